//! What every handler shares: storage, keys, settings, presence and the Socket.io handle.

use socketioxide::SocketIo;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::TokenKeys;
use crate::jitsi::Jitsi;
use crate::login_limit::LoginLimiter;
use crate::presence::Presence;
use crate::store::Store;

/// Settings that change behaviour.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Speak Part A as production does (no socket auth, no extensions, trusted payload ids).
    pub production_compat: bool,
    /// An unanswered call turns MISSED after this long (Part B.8; off in compat mode).
    pub missed_after: Duration,
    /// Where calls meet (`jitsiUrl`; production: `https://meet.jit.si`) and how their tokens
    /// are signed (Part B).
    pub jitsi: Arc<Jitsi>,
    /// Who may register over REST. The default here is [`Registration::Open`] (today's
    /// behaviour, which tests and embedders rely on); the binary defaults to
    /// [`Registration::Patients`] unless it runs with `--demo` or `--production-compat`.
    pub registration: Registration,
    /// Browsers on localhost and private networks may call (CORS; the binary sets it with
    /// `--production-compat` and `--demo`, as production allows its web app's dev hosts).
    pub local_origins: bool,
    /// Further web origins allowed by the operator (`--allow-origin`), normalized by
    /// [`crate::cors::normalize_origin`].
    pub allowed_origins: Vec<String>,
    /// How many password hashes for callers run at once (default: what 128 MiB and the
    /// cores allow, [`crate::hashing::Gate::turns_for`]).
    pub hash_turns: usize,
    /// How long a caller waits for a turn before a 503.
    pub hash_wait: Duration,
    /// The header timeout and the connection caps.
    pub connections: crate::connections::Limits,
    /// Each socket's event rates.
    pub socket_rates: crate::realtime::rate::SocketRates,
    /// Where files are kept, and their limits.
    pub files: crate::files::FileSettings,
}

/// Who may create an account with `POST /auth/register`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Registration {
    /// PATIENT and NURSE (ADMIN never: the operator makes those).
    #[default]
    Open,
    /// PATIENT only: staff accounts are made by the operator (`--create-user`).
    Patients,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            production_compat: false,
            missed_after: Duration::from_secs(60),
            jitsi: Arc::default(),
            registration: Registration::Open,
            local_origins: false,
            allowed_origins: Vec::new(),
            hash_turns: crate::hashing::Gate::turns_here(crate::hashing::DEFAULT_BUDGET_MIB),
            hash_wait: crate::hashing::DEFAULT_WAIT,
            connections: Default::default(),
            socket_rates: Default::default(),
            files: Default::default(),
        }
    }
}

/// The shared state, behind an `Arc`.
pub struct AppState {
    /// The repository.
    pub store: Arc<dyn Store>,
    /// Token signing.
    pub keys: TokenKeys,
    /// Behaviour switches.
    pub settings: Settings,
    /// Failed-login table.
    pub login_limiter: LoginLimiter,
    /// Turns for password hashing (what an anonymous caller can make costly).
    pub hashing: crate::hashing::Gate,
    /// Who is online, by socket.
    pub presence: Presence,
    /// For emits that do not start from a socket (REST read, missed-call timer).
    pub io: SocketIo,
    /// The stored copies of shared files; `None` when files are off.
    pub blobs: Option<crate::files::Blobs>,
    /// Signs and checks file links.
    pub links: crate::files::links::LinkKey,
    /// Uploads per user per minute.
    pub upload_rate: crate::files::UploadRate,
}

impl AppState {
    /// True when the Part B extensions are on.
    pub fn extensions(&self) -> bool {
        !self.settings.production_compat
    }
}
