//! nursecare-server: a NurseCare-compatible backend (REST + Socket.io on one port, SQLite).
//!
//! Entry points: [`Server::new`] builds the app from a store and settings; [`Server::run`]
//! serves it on a bound listener until a shutdown future resolves. `main.rs` only parses flags
//! and wires these together, so tests run the very same server on port 0.

pub mod access;
pub mod access_log;
pub mod auth;
pub mod calls;
pub mod connections;
pub mod cors;
pub mod demo;
pub mod error;
pub mod files;
pub mod hashing;
pub mod headers;
pub mod identity;
pub mod jitsi;
pub mod logging;
pub mod login_limit;
pub mod password_policy;
pub mod presence;
pub mod realtime;
pub mod rest;
pub mod secret;
pub mod sign_outs;
pub mod state;
pub mod store;

use axum::{Router, middleware};
use socketioxide::SocketIo;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub use state::{AppState, Registration, Settings};
pub use store::Store;

/// How long open connections get to finish after the shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

/// Socket.io timings: production's defaults (ping every 25 s, 20 s to answer).
#[derive(Debug, Clone, Copy)]
pub struct SocketTimings {
    /// Interval between server pings.
    pub ping_interval: Duration,
    /// How long a client has to answer a ping.
    pub ping_timeout: Duration,
}

impl Default for SocketTimings {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
        }
    }
}

/// A built server, ready to run.
pub struct Server {
    router: Router,
    state: Arc<AppState>,
}

impl Server {
    /// Builds the REST router and the Socket.io layer over `store`.
    pub fn new(
        store: Arc<dyn Store>,
        jwt_secret: &[u8],
        settings: Settings,
        timings: SocketTimings,
    ) -> Self {
        let (layer, io) = SocketIo::builder()
            .max_payload(rest::MAX_BODY as u64)
            // The same limit on WebSocket frames, enforced as they arrive (the default read
            // 64 MiB before parsing, signed in or not).
            .ws_max_message_size(rest::MAX_BODY)
            .ws_max_frame_size(rest::MAX_BODY)
            .ping_interval(timings.ping_interval)
            .ping_timeout(timings.ping_timeout)
            .build_layer();
        let cors = Arc::new(cors::Policy {
            local_networks: settings.local_origins,
            origins: settings.allowed_origins.clone(),
        });
        let hashing = hashing::Gate::new(settings.hash_turns, settings.hash_wait);
        // A folder that cannot be opened turns files off (said in the log); the binary checks
        // it before it gets here.
        let blobs = settings.files.dir.as_deref().and_then(|dir| {
            files::Blobs::open(dir)
                .inspect_err(|e| tracing::error!(error = %e, "the files folder cannot be used: files are off"))
                .ok()
        });
        let state = Arc::new(AppState {
            store,
            keys: auth::TokenKeys::new(jwt_secret),
            settings,
            login_limiter: Default::default(),
            hashing,
            presence: Default::default(),
            io: io.clone(),
            blobs,
            links: files::links::LinkKey::from_secret(jwt_secret),
            upload_rate: Default::default(),
        });
        realtime::attach(&io, state.clone());
        // Socket.io is served from inside the router (its layer takes /socket.io/ before any
        // route); CORS and the access log wrap both, so long-polling answers get CORS headers
        // and a log line too.
        let app = rest::router(state.clone()).layer(layer);
        let router = Router::new()
            .fallback_service(app)
            .layer(middleware::from_fn_with_state(cors, cors::layer))
            .layer(middleware::from_fn(headers::layer))
            .layer(middleware::from_fn(access_log::log));
        Self { router, state }
    }

    /// The shared state (tests use it to mint tokens).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Serves until `shutdown` resolves, then disconnects every socket and drains requests for
    /// at most ten seconds.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        if self.state.extensions() {
            calls::sweep(&self.state).await?;
        }
        files::sweep(&self.state).await;
        let sign_outs = tokio::spawn(sign_outs::watch(self.state.clone()));
        let io = self.state.io.clone();
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let graceful = async move {
            shutdown.await;
            tracing::info!("shutting down");
            let _ = stopping_tx.send(());
            io.close().await;
        };
        let serve = connections::serve(
            listener,
            self.router,
            self.state.settings.connections,
            graceful,
        );
        tokio::pin!(serve);
        tokio::select! {
            () = &mut serve => {},
            _ = async {
                let _ = stopping_rx.await;
                tokio::time::sleep(DRAIN).await;
            } => tracing::warn!("connections still open after {DRAIN:?}; stopping anyway"),
        }
        sign_outs.abort();
        Ok(())
    }
}
