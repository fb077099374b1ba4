//! The Socket.io link: rust_socketio behind an adapter that owns the life cycle.
//!
//! rust_socketio's own life cycle cannot be trusted (see `shared/platform-notes.md`): its
//! `connect()` returns before the namespace is accepted, a refused handshake is only an error
//! event, a failed first connect is never retried, a dropped transport ends silently, emits
//! while disconnected fail, and nothing is replayed. So one task here does it all, with the
//! library's reconnection switched off:
//!
//! - connect with the token in the handshake and wait for the namespace's Connect;
//! - `register` after every connect and read the features from `registered`;
//! - re-join the open conversation after every reconnect (and only that one: joining marks
//!   messages read);
//! - `heartbeat` on a timer; a failed emit or a missing `heartbeatAck` means the link is dead;
//! - a jump of the wall clock against the monotonic clock means the machine slept: reconnect;
//! - reconnect with capped exponential back-off and jitter, also when the first connect fails;
//! - a refused handshake (`unauthorized`) ends the session instead of retrying.
//!
//! Callbacks only forward to a channel (rust_socketio runs them one at a time). No acks are
//! used. Decoded events come out of [`spawn`]'s receiver in arrival order.

pub mod decode;

use futures_util::FutureExt;
use nursecare_wire::Id;
use nursecare_wire::events::{UNAUTHORIZED, client as cev, features as feat, server as sev};
use rand::Rng;
use rust_socketio::asynchronous::{Client, ClientBuilder};
use rust_socketio::{Event, Payload};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{mpsc, oneshot, watch};

pub use decode::{Malformed, ServerEvent};

/// How the link behaves.
#[derive(Debug, Clone)]
pub struct SocketConfig {
    /// The server's base URL (`http(s)://host[:port]`).
    pub url: String,
    /// The access token, sent in the handshake (production ignores it).
    pub token: Option<String>,
    /// The signed-in user, for `register`.
    pub user_id: Id,
    /// Interval of `heartbeat`.
    pub heartbeat: Duration,
    /// A link whose heartbeat is not answered within this is dead.
    pub dead_after: Duration,
    /// First reconnect delay.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// How long a connect (handshake and `registered`) may take.
    pub connect_timeout: Duration,
    /// How often to compare the wall clock with the monotonic clock.
    pub wake_check: Duration,
    /// A difference larger than this is a wake-up from sleep.
    pub wake_jump: Duration,
    /// After a transport error, a heartbeat goes at once; unanswered within this, the link
    /// is dead (a dead server's socket errors at once, but the next heartbeat may be 25 s off).
    pub probe_timeout: Duration,
}

impl SocketConfig {
    /// Defaults for a desktop client: heartbeat every 25 s (the web client's is 30 s).
    pub fn new(url: impl Into<String>, token: Option<String>, user_id: Id) -> Self {
        Self {
            url: url.into(),
            token,
            user_id,
            heartbeat: Duration::from_secs(25),
            dead_after: Duration::from_secs(10),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(45),
            wake_check: Duration::from_secs(5),
            wake_jump: Duration::from_secs(15),
            probe_timeout: Duration::from_secs(3),
        }
    }
}

/// What the server offers (Part B.3); all false on production.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    /// The handshake token is checked.
    pub auth: bool,
    /// Call events reach every socket of the participants.
    pub user_ring: bool,
    /// `sendMessage` takes a `clientId`.
    pub client_id: bool,
    /// REST read emits `messagesRead`.
    pub read_events: bool,
    /// `fileShared` and `fileRemoved` tell a chat's files.
    pub file_events: bool,
    /// Urgent messages (`urgent` on `sendMessage`, `readAt` on messages).
    pub urgent: bool,
}

impl Features {
    fn from_list(list: Option<&[String]>) -> Self {
        let has = |f: &str| list.is_some_and(|l| l.iter().any(|x| x == f));
        Self {
            auth: has(feat::AUTH),
            user_ring: has(feat::USER_RING),
            client_id: has(feat::CLIENT_ID),
            read_events: has(feat::READ_EVENTS),
            file_events: has(feat::FILE_EVENTS),
            urgent: has(feat::URGENT),
        }
    }
}

/// The state of the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// Connecting (or registering).
    Connecting,
    /// Connected and registered.
    Online {
        /// What the server offers.
        features: Features,
        /// Which connection this is (1 for the first, one more for each reconnect): two
        /// connects in a row differ even when a watcher missed the drop between them.
        connection: u64,
    },
    /// Not connected; the next attempt is in `retry_in`.
    Offline {
        /// Delay before the next attempt.
        retry_in: Duration,
    },
    /// The server refused the token: sign in again. The link has stopped.
    SessionExpired,
    /// Stopped on request.
    Stopped,
}

/// Why an emit did not go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SocketError {
    /// The link is down; queue it (the outbox's job) and try when online.
    #[error("not connected")]
    NotConnected,
    /// The link has stopped.
    #[error("the connection has stopped")]
    Stopped,
}

enum Command {
    /// The server refused the token elsewhere (a REST 401): end as a refused session.
    Expire,
    Emit(String, Value, oneshot::Sender<Result<(), SocketError>>),
    Open(Option<Id>),
    Reconnect,
    Stop(oneshot::Sender<()>),
}

/// What the callbacks forward.
enum Raw {
    Connected,
    Closed,
    Error(Vec<Value>),
    Event(String, Vec<Value>),
}

/// The handle of a running link.
#[derive(Clone)]
pub struct SocketHandle {
    commands: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<LinkState>,
    by_admin: Arc<AtomicBool>,
}

impl SocketHandle {
    /// Emits now, or fails at once when the link is down.
    pub async fn emit(&self, event: &str, data: Value) -> Result<(), SocketError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Emit(event.to_owned(), data, tx))
            .map_err(|_| SocketError::Stopped)?;
        rx.await.map_err(|_| SocketError::Stopped)?
    }

    /// The conversation the user has open (joined now and after every reconnect), or none.
    pub fn open_conversation(&self, conversation: Option<Id>) {
        let _ = self.commands.send(Command::Open(conversation));
    }

    /// Drops the link and connects again at once (a network change, a wake-up).
    pub fn reconnect_now(&self) {
        let _ = self.commands.send(Command::Reconnect);
    }

    /// The session was refused over REST (production's socket never checks the token): the
    /// link ends as [`LinkState::SessionExpired`], so every task sees one sign-out.
    pub fn session_expired(&self) {
        let _ = self.commands.send(Command::Expire);
    }

    /// Whether the session ended because an administrator signed the user out (the server
    /// said `signedOut`, Part B), rather than because its token expired.
    pub fn signed_out_by_admin(&self) -> bool {
        self.by_admin.load(Ordering::Relaxed)
    }

    /// An administrator signed the user out (a REST answer said so): the session's end is
    /// told as theirs.
    pub fn mark_signed_out_by_admin(&self) {
        self.by_admin.store(true, Ordering::Relaxed);
    }

    /// Watches the link state.
    pub fn state(&self) -> watch::Receiver<LinkState> {
        self.state.clone()
    }

    /// Disconnects and stops the link.
    pub async fn stop(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Stop(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// Asked once when the server refuses the handshake: did an administrator sign the user out?
/// (The handshake's refusal says only `unauthorized`; a REST request's 401 says why.)
pub type WhyRefused =
    Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// Starts the link; decoded server events arrive on the receiver.
pub fn spawn(config: SocketConfig) -> (SocketHandle, mpsc::UnboundedReceiver<ServerEvent>) {
    spawn_with(config, None)
}

/// [`spawn`], asking `why_refused` when the handshake is refused.
pub fn spawn_with(
    config: SocketConfig,
    why_refused: Option<WhyRefused>,
) -> (SocketHandle, mpsc::UnboundedReceiver<ServerEvent>) {
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (state_tx, state) = watch::channel(LinkState::Connecting);
    let (events_tx, events) = mpsc::unbounded_channel();
    let by_admin = Arc::new(AtomicBool::new(false));
    let refused = Refusal {
        by_admin: by_admin.clone(),
        why: why_refused,
    };
    tokio::spawn(run(config, command_rx, state_tx, events_tx, refused));
    (
        SocketHandle {
            commands,
            state,
            by_admin,
        },
        events,
    )
}

/// What the link learns of a refused session.
struct Refusal {
    by_admin: Arc<AtomicBool>,
    why: Option<WhyRefused>,
}

/// How a connected period ended.
enum Ended {
    Lost,
    /// Asked to connect again now (no back-off).
    Retry,
    Refused,
    /// A REST request's 401 ended the session (its hook has said whether an administrator
    /// did it): no need to ask why.
    Expired,
    /// An administrator signed the user out (Part B's `signedOut`).
    SignedOut,
    Stop(oneshot::Sender<()>),
    Closed,
}

async fn run(
    config: SocketConfig,
    mut commands: mpsc::UnboundedReceiver<Command>,
    state: watch::Sender<LinkState>,
    events: mpsc::UnboundedSender<ServerEvent>,
    refusal: Refusal,
) {
    let by_admin = refusal.by_admin.clone();
    let mut open: Option<Id> = None;
    let mut delay = config.backoff_min;
    let mut connections = 0u64;
    loop {
        let _ = state.send(LinkState::Connecting);
        let ended = match connect(&config, &mut commands, &mut open, &events).await {
            Ok((client, raw, features)) => {
                delay = config.backoff_min;
                connections += 1;
                let _ = state.send(LinkState::Online {
                    features,
                    connection: connections,
                });
                tracing::info!(?features, "online");
                let ended = online(&config, &client, raw, &mut commands, &mut open, &events).await;
                let _ = client.disconnect().await;
                ended
            }
            Err(e) => e,
        };
        match ended {
            Ended::Expired => {
                tracing::info!("the session was refused over REST; sign in again");
                let _ = state.send(LinkState::SessionExpired);
                return;
            }
            Ended::SignedOut => {
                tracing::info!("an administrator signed the user out");
                by_admin.store(true, Ordering::Relaxed);
                let _ = state.send(LinkState::SessionExpired);
                return;
            }
            Ended::Refused => {
                if let Some(why) = &refusal.why
                    && why().await
                {
                    by_admin.store(true, Ordering::Relaxed);
                }
                tracing::info!("the session was refused; sign in again");
                let _ = state.send(LinkState::SessionExpired);
                return;
            }
            Ended::Stop(done) => {
                let _ = state.send(LinkState::Stopped);
                let _ = done.send(());
                return;
            }
            Ended::Closed => {
                let _ = state.send(LinkState::Stopped);
                return;
            }
            Ended::Retry => {
                tracing::info!("reconnecting on request");
                // Asked for (a wake-up, the network back): if this try fails, the next one
                // comes soon, not after the backoff grown while the machine slept.
                delay = config.backoff_min;
                continue;
            }
            Ended::Lost => {}
        }
        // Back off with jitter, still answering commands.
        let wait = jitter(delay);
        delay = (delay * 2).min(config.backoff_max);
        let _ = state.send(LinkState::Offline { retry_in: wait });
        tracing::info!(retry_in_ms = wait.as_millis() as u64, "offline");
        let until = tokio::time::Instant::now() + wait;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => break,
                cmd = commands.recv() => match cmd {
                    None => {
                        let _ = state.send(LinkState::Stopped);
                        return;
                    }
                    Some(Command::Emit(_, _, reply)) => {
                        let _ = reply.send(Err(SocketError::NotConnected));
                    }
                    Some(Command::Open(c)) => open = c,
                    Some(Command::Reconnect) => {
                        delay = config.backoff_min;
                        break;
                    }
                    Some(Command::Expire) => {
                        let _ = state.send(LinkState::SessionExpired);
                        return;
                    }
                    Some(Command::Stop(done)) => {
                        let _ = state.send(LinkState::Stopped);
                        let _ = done.send(());
                        return;
                    }
                },
            }
        }
    }
}

/// A random delay between half and all of `d`, so many clients do not return at once.
fn jitter(d: Duration) -> Duration {
    let ms = d.as_millis().max(1) as u64;
    Duration::from_millis(rand::rng().random_range(ms / 2..=ms))
}

/// What a command received while connecting means for the attempt.
fn while_connecting(cmd: Option<Command>, open: &mut Option<Id>) -> Option<Ended> {
    match cmd {
        None => Some(Ended::Closed),
        Some(Command::Stop(done)) => Some(Ended::Stop(done)),
        Some(Command::Reconnect) => Some(Ended::Retry),
        Some(Command::Expire) => Some(Ended::Refused),
        Some(Command::Emit(_, _, reply)) => {
            let _ = reply.send(Err(SocketError::NotConnected));
            None
        }
        Some(Command::Open(c)) => {
            // Joined once registered.
            *open = c;
            None
        }
    }
}

/// Connects, registers and joins the open conversation. Commands are heard all along: a
/// stop never waits for a slow or silent server.
async fn connect(
    config: &SocketConfig,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    open: &mut Option<Id>,
    events: &mpsc::UnboundedSender<ServerEvent>,
) -> Result<(Client, mpsc::UnboundedReceiver<Raw>, Features), Ended> {
    let (raw_tx, mut raw) = mpsc::unbounded_channel::<Raw>();
    let mut builder = ClientBuilder::new(config.url.clone()).reconnect(false);
    if let Some(t) = &config.token {
        builder = builder.auth(json!({ "token": t }));
    }
    let (a, b, c, d) = (raw_tx.clone(), raw_tx.clone(), raw_tx.clone(), raw_tx);
    let builder = builder
        .on(Event::Connect, move |_, _| {
            let _ = a.send(Raw::Connected);
            async {}.boxed()
        })
        .on(Event::Close, move |_, _| {
            let _ = b.send(Raw::Closed);
            async {}.boxed()
        })
        .on(Event::Error, move |p: Payload, _| {
            let _ = c.send(Raw::Error(args(p)));
            async {}.boxed()
        })
        .on_any(move |e: Event, p: Payload, _| {
            let _ = d.send(Raw::Event(e.as_str().to_owned(), args(p)));
            async {}.boxed()
        });
    let deadline = tokio::time::Instant::now() + config.connect_timeout;
    // 0. The transport. Dropping this future before it answers leaves nothing running.
    let transport = tokio::time::timeout_at(deadline, builder.connect());
    tokio::pin!(transport);
    let client = loop {
        tokio::select! {
            r = &mut transport => match r {
                Ok(Ok(c)) => break c,
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "connect failed");
                    return Err(Ended::Lost);
                }
                Err(_) => return Err(Ended::Lost),
            },
            cmd = commands.recv() => if let Some(end) = while_connecting(cmd, open) {
                return Err(end);
            },
        }
    };
    let fail = |ended| {
        let client = client.clone();
        async move {
            let _ = client.disconnect().await;
            Err(ended)
        }
    };
    // 1. The namespace's Connect (or a refusal); 2. register → registered, passing other
    // events on.
    let mut registering = false;
    let features = loop {
        let next = tokio::select! {
            r = tokio::time::timeout_at(deadline, raw.recv()) => r,
            cmd = commands.recv() => {
                if let Some(end) = while_connecting(cmd, open) {
                    return fail(end).await;
                }
                continue;
            }
        };
        match next {
            Ok(Some(Raw::Connected)) if !registering => {
                registering = true;
                if client
                    .emit(cev::REGISTER, json!({ "userId": config.user_id }))
                    .await
                    .is_err()
                {
                    return fail(Ended::Lost).await;
                }
            }
            Ok(Some(Raw::Event(name, a))) if registering => match forward(&name, a, events) {
                Some(ServerEvent::Registered(r)) => {
                    break Features::from_list(r.features.as_deref());
                }
                Some(ServerEvent::Exception(e)) => {
                    tracing::warn!(message = %e.message, "register refused");
                    return fail(Ended::Refused).await;
                }
                _ => {}
            },
            Ok(Some(Raw::Error(a))) if refused(&a) => return fail(Ended::Refused).await,
            Ok(Some(Raw::Error(_))) if !registering => return fail(Ended::Lost).await,
            Ok(Some(Raw::Closed)) | Ok(None) | Err(_) => return fail(Ended::Lost).await,
            Ok(Some(_)) => {}
        }
    };
    // 3. The open conversation, again.
    if let Some(c) = *open
        && client
            .emit(
                cev::JOIN_CONVERSATION,
                json!({ "conversationId": c, "userId": config.user_id }),
            )
            .await
            .is_err()
    {
        return fail(Ended::Lost).await;
    }
    Ok((client, raw, features))
}

/// The connected period: commands, events, heartbeat and the wake-up check.
async fn online(
    config: &SocketConfig,
    client: &Client,
    mut raw: mpsc::UnboundedReceiver<Raw>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    open: &mut Option<Id>,
    events: &mpsc::UnboundedSender<ServerEvent>,
) -> Ended {
    let mut heartbeat = tokio::time::interval(config.heartbeat);
    heartbeat.tick().await;
    let mut wake = tokio::time::interval(config.wake_check);
    wake.tick().await;
    let mut clocks = (Instant::now(), SystemTime::now());
    let mut unanswered_since: Option<Instant> = None;
    // Armed by a transport error: the link must answer a heartbeat before it fires.
    let mut probe: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    let user = config.user_id;
    loop {
        tokio::select! {
            cmd = commands.recv() => match cmd {
                None => return Ended::Closed,
                Some(Command::Stop(done)) => return Ended::Stop(done),
                Some(Command::Reconnect) => return Ended::Retry,
                Some(Command::Expire) => return Ended::Expired,
                Some(Command::Emit(event, data, reply)) => {
                    let ok = client.emit(event.as_str(), data).await.is_ok();
                    let _ = reply.send(if ok { Ok(()) } else { Err(SocketError::NotConnected) });
                    if !ok {
                        return Ended::Lost;
                    }
                }
                Some(Command::Open(c)) => {
                    if *open != c {
                        if let Some(old) = *open {
                            let _ = client.emit(cev::LEAVE_CONVERSATION, json!({ "conversationId": old })).await;
                        }
                        if let Some(new) = c
                            && client.emit(cev::JOIN_CONVERSATION, json!({ "conversationId": new, "userId": user })).await.is_err()
                        {
                            *open = c;
                            return Ended::Lost;
                        }
                        *open = c;
                    }
                }
            },
            r = raw.recv() => match r {
                None | Some(Raw::Closed) => return Ended::Lost,
                Some(Raw::Connected) => {}
                Some(Raw::Error(a)) => {
                    if refused(&a) {
                        return Ended::Refused;
                    }
                    // The server's `error` event (an object) is a failed send, not a link error.
                    if matches!(a.first(), Some(Value::Object(_))) {
                        forward("error", a, events);
                    } else if closed_by_server(&a) {
                        tracing::info!("the server closed the link");
                        return Ended::Lost;
                    } else if probe.is_none() {
                        tracing::debug!("transport error; probing the link");
                        if client.emit(cev::HEARTBEAT, json!({ "userId": user })).await.is_err() {
                            return Ended::Lost;
                        }
                        unanswered_since.get_or_insert_with(Instant::now);
                        probe = Some(Box::pin(tokio::time::sleep(config.probe_timeout)));
                    }
                }
                Some(Raw::Event(name, _)) if name == sev::SIGNED_OUT => return Ended::SignedOut,
                Some(Raw::Event(name, a)) => {
                    if let Some(ServerEvent::HeartbeatAck) = forward(&name, a, events) {
                        unanswered_since = None;
                        probe = None;
                    }
                }
            },
            _ = async {
                match probe.as_mut() {
                    Some(p) => p.as_mut().await,
                    None => std::future::pending().await,
                }
            } => {
                tracing::info!("the link did not answer after a transport error; it is dead");
                return Ended::Lost;
            },
            _ = heartbeat.tick() => {
                if unanswered_since.is_some_and(|t| t.elapsed() >= config.dead_after) {
                    tracing::info!("heartbeat unanswered; the link is dead");
                    return Ended::Lost;
                }
                if client.emit(cev::HEARTBEAT, json!({ "userId": user })).await.is_err() {
                    return Ended::Lost;
                }
                unanswered_since.get_or_insert_with(Instant::now);
            },
            _ = wake.tick() => {
                let (mono, wall) = (clocks.0.elapsed(), clocks.1.elapsed().unwrap_or_default());
                clocks = (Instant::now(), SystemTime::now());
                if wall.saturating_sub(mono) > config.wake_jump {
                    tracing::info!("the machine woke from sleep; reconnecting");
                    return Ended::Lost;
                }
            },
        }
    }
}

/// The transport's last word when the server ended the connection (an Engine.IO `close`, a
/// WebSocket close frame, the stream's end): the link is gone now, not at the next heartbeat.
/// (A socket.io `disconnect` comes as `Event::Close`.)
fn closed_by_server(a: &[Value]) -> bool {
    a.iter().any(|v| {
        v.as_str()
            .is_some_and(|s| s.contains(rust_engineio::CLOSED_BY_SERVER))
    })
}

/// Decodes and passes on an event; answers it too so the caller can react.
fn forward(
    name: &str,
    a: Vec<Value>,
    events: &mpsc::UnboundedSender<ServerEvent>,
) -> Option<ServerEvent> {
    let (name, a) = decode::normalise(name, a);
    match decode::decode(&name, &a) {
        Ok(e) => {
            let _ = events.send(e.clone());
            Some(e)
        }
        Err(m) => {
            tracing::warn!(event = %m.event, "malformed event dropped");
            None
        }
    }
}

/// A refused handshake: rust_socketio reports `connect_error` as an error string.
fn refused(a: &[Value]) -> bool {
    a.iter().any(|v| {
        v.as_str()
            .is_some_and(|s| s.contains("ConnectError") && s.contains(UNAUTHORIZED))
    })
}

fn args(p: Payload) -> Vec<Value> {
    match p {
        Payload::Text(v) => v,
        #[allow(deprecated)]
        Payload::String(s) => vec![serde_json::from_str(&s).unwrap_or(Value::String(s))],
        Payload::Binary(_) => Vec::new(),
    }
}
