//! The Socket.io side: handshake, per-socket life cycle and event handlers.
//!
//! With the extensions on, the handshake must carry a valid access token (B.1) and every id in
//! a payload is taken from it. In compat mode the handshake is open and payload ids are trusted,
//! as in production; membership checks and input validation stay on in both.

mod handlers;
mod inbox;
pub mod rate;
pub mod routing;

use nursecare_wire::Id;
use nursecare_wire::events::UNAUTHORIZED;
use nursecare_wire::socket::HandshakeAuth;
use rate::Admit;
use socketioxide::SocketIo;
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

use crate::state::AppState;
use inbox::{Inbound, InboxSender};

/// The token's user, set by the handshake check (extensions on).
#[derive(Debug, Clone, Copy)]
pub struct TokenUser {
    /// User id (`sub`).
    pub id: Id,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

/// The user this socket registered as.
#[derive(Debug, Clone, Copy)]
pub struct RegisteredUser(pub Id);

/// Ends the token-expiry timer when the socket goes first.
#[derive(Clone)]
struct ExpiryTimer(Arc<tokio::task::AbortHandle>);

/// Refusal of a handshake; its text is what the client sees in `connect_error`.
#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(UNAUTHORIZED)
    }
}

/// The receiving half of a socket's queue, parked by [`prepare`] until [`connected`] starts
/// the worker.
#[derive(Clone)]
struct ParkedInbox(Arc<std::sync::Mutex<Option<mpsc::Receiver<inbox::Received>>>>);

/// Registers the `/` namespace on `io`.
pub fn attach(io: &SocketIo, state: Arc<AppState>) {
    let on_connect = {
        let state = state.clone();
        move |socket: SocketRef| connected(state.clone(), socket)
    };
    let prepare = {
        let state = state.clone();
        move |socket: SocketRef, TryData(auth): TryData<HandshakeAuth>| {
            let state = state.clone();
            async move { prepare(&state, &socket, auth.ok()).await }
        }
    };
    io.ns("/", on_connect.with(prepare));
}

/// Runs before the server accepts the namespace (socketioxide sends the CONNECT packet before
/// it calls the connect handler, so a client's first emit can beat that handler): checks the
/// token and installs the event queue, so no event is lost.
async fn prepare(
    state: &AppState,
    socket: &SocketRef,
    auth: Option<HandshakeAuth>,
) -> Result<(), Refused> {
    if state.extensions() {
        let claims = auth.and_then(|a| state.keys.verify(&a.token));
        let holder = match &claims {
            // A storage failure must not read as "signed out" (the client would drop its
            // session): the signed token is trusted for this once, and the failure logged.
            Some(c) => crate::auth::holder_exists(state, c)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "could not check a socket token's account; trusted it");
                    true
                }),
            None => false,
        };
        match claims.filter(|_| holder) {
            Some(c) => socket.extensions.insert(TokenUser {
                id: c.sub,
                exp: c.exp,
            }),
            None => {
                tracing::info!(socket = %socket.id, "handshake refused: no valid token");
                return Err(Refused);
            }
        };
    }
    let (tx, rx) = mpsc::channel(inbox::CAPACITY);
    socket.extensions.insert(InboxSender(tx));
    socket
        .extensions
        .insert(ParkedInbox(Arc::new(std::sync::Mutex::new(Some(rx)))));
    socket.on_fallback(async |_: Inbound| {});
    Ok(())
}

async fn connected(state: Arc<AppState>, socket: SocketRef) {
    let Some(mut rx) = socket
        .extensions
        .remove::<ParkedInbox>()
        .and_then(|p| p.0.lock().ok()?.take())
    else {
        return;
    };

    if let Some(token) = socket.extensions.get::<TokenUser>() {
        // B.1: a socket whose token expires is disconnected.
        let remaining = (token.exp - chrono::Utc::now().timestamp()).max(0) as u64;
        let io = state.io.clone();
        let sid = socket.id;
        let timer = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(remaining)).await;
            if let Some(s) = io.of("/").and_then(|root| root.get_socket(sid)) {
                tracing::info!(socket = %sid, "token expired; disconnecting");
                let _ = s.disconnect();
            }
        });
        socket
            .extensions
            .insert(ExpiryTimer(Arc::new(timer.abort_handle())));
    }

    socket.on_disconnect({
        let state = state.clone();
        move |socket: SocketRef| {
            let state = state.clone();
            async move {
                // Dropping the queue's sender ends the worker, which holds the last SocketRef.
                socket.extensions.remove::<InboxSender>();
                if let Some(t) = socket.extensions.remove::<ExpiryTimer>() {
                    t.0.abort();
                }
                handlers::disconnected(&state, &socket).await;
            }
        }
    });

    tokio::spawn(async move {
        let mut rate = rate::SocketRate::new(state.settings.socket_rates, Instant::now());
        while let Some(received) = rx.recv().await {
            let now = Instant::now();
            match rate.admit(&received.event, now) {
                Admit::Now => {}
                Admit::After(wait) => {
                    if rate.warn(now) {
                        slow_down(&socket, "Too many events; this connection is slowed down");
                    }
                    tokio::time::sleep(wait).await;
                }
                Admit::Drop => {
                    if rate.warn(now) {
                        slow_down(&socket, "Too many typing events; some were dropped");
                    }
                    continue;
                }
            }
            handlers::dispatch(&state, &socket, received).await;
        }
    });
}

/// Tells a socket it is over its rate: an `exception` naming no message (none was refused).
fn slow_down(socket: &SocketRef, what: &str) {
    tracing::debug!(socket = %socket.id, "socket over its event rate");
    let exception = nursecare_wire::socket::Exception::new(what);
    if let Err(e) = socket.emit(nursecare_wire::events::server::EXCEPTION, &exception) {
        tracing::debug!(error = %e, "rate warning not sent");
    }
}
