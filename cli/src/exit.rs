//! Exit codes (the table in README) and the one line printed for an error.

use nursecare_core::ClientError;
use nursecare_core::api::ApiError;
use nursecare_core::profile::ProfileError;
use nursecare_core::secrets::SecretError;
use nursecare_core::session::SessionError;
use nursecare_core::vault::VaultError;

/// Everything went as asked.
pub const OK: u8 = 0;
/// Anything not listed below.
pub const FAILURE: u8 = 1;
/// Bad usage (clap's own code).
pub const USAGE: u8 = 2;
/// Not signed in, or the session expired: run `login`.
pub const SIGNED_OUT: u8 = 3;
/// Wrong email or password, or too many attempts.
pub const CREDENTIALS: u8 = 4;
/// The server could not be reached (or did not answer in time).
pub const UNREACHABLE: u8 = 5;
/// The message was queued (offline, or not confirmed yet); it goes out with the next command
/// that gets online.
pub const QUEUED: u8 = 6;
/// The server refused: not found, not a participant, invalid input (a refused message is not
/// queued).
pub const REFUSED: u8 = 7;
/// No keychain answered (use `--secret-store file`).
pub const SECRET_STORE: u8 = 8;
/// The local cache failed.
pub const CACHE: u8 = 9;
/// Another NurseCare program (the app) has this account's cache open.
pub const IN_USE: u8 = 10;

/// The file is larger than the server takes.
pub const TOO_LARGE: u8 = 11;
/// Not a kind of file NurseCare shares (refused here before sending, or by the server).
pub const FILE_REFUSED: u8 = 12;
/// A file on this computer could not be read or written.
pub const LOCAL_FILE: u8 = 13;
/// The account is locked with its nurse's PIN and no PIN was given (not at a terminal, and
/// no NURSECARE_PIN).
pub const LOCKED: u8 = 14;
/// As many accounts as one computer keeps are signed in already (8): sign one out first.
pub const TOO_MANY_ACCOUNTS: u8 = 15;

/// The name of an exit code, for `--json`'s error object.
pub fn name(code: u8) -> &'static str {
    match code {
        OK => "ok",
        USAGE => "usage",
        SIGNED_OUT => "signedOut",
        CREDENTIALS => "credentials",
        UNREACHABLE => "unreachable",
        QUEUED => "queued",
        REFUSED => "refused",
        SECRET_STORE => "secretStore",
        CACHE => "cache",
        IN_USE => "inUse",
        TOO_LARGE => "tooLarge",
        FILE_REFUSED => "fileRefused",
        LOCAL_FILE => "localFile",
        LOCKED => "locked",
        TOO_MANY_ACCOUNTS => "tooManyAccounts",
        _ => "failure",
    }
}

/// The code of a cache failure.
fn cache(e: &nursecare_core::cache::CacheError) -> u8 {
    match e {
        nursecare_core::cache::CacheError::InUse => IN_USE,
        _ => CACHE,
    }
}

/// A failure: what to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let code = match &e {
            ApiError::SessionExpired | ApiError::SignedOutByAdmin => SIGNED_OUT,
            ApiError::InvalidCredentials | ApiError::RateLimited { .. } => CREDENTIALS,
            ApiError::Unreachable
            | ApiError::AnswerLost
            | ApiError::Timeout
            | ApiError::Busy { .. } => UNREACHABLE,
            ApiError::Forbidden(_) | ApiError::NotFound(_) | ApiError::Rejected { .. } => REFUSED,
            ApiError::BadUrl(_) | ApiError::InsecureServer => USAGE,
            ApiError::FileTooLarge(_) => TOO_LARGE,
            ApiError::FileRefused(_) => FILE_REFUSED,
            _ => FAILURE,
        };
        Self::new(code, e.to_string())
    }
}

impl From<SecretError> for Failure {
    fn from(e: SecretError) -> Self {
        Self::new(SECRET_STORE, e.to_string())
    }
}

impl From<ProfileError> for Failure {
    fn from(e: ProfileError) -> Self {
        match e {
            ProfileError::Secret(s) => s.into(),
            ProfileError::Cache(c) => Self::new(cache(&c), c.to_string()),
            ProfileError::NoDataDir => Self::new(USAGE, e.to_string()),
            ProfileError::Session(e) => e.into(),
        }
    }
}

impl From<SessionError> for Failure {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Api(a) => a.into(),
            SessionError::Secret(s) => s.into(),
            SessionError::BadToken | SessionError::Vault(VaultError::Damaged) => {
                Self::new(FAILURE, e.to_string())
            }
            SessionError::Locked { .. } => Self::new(
                LOCKED,
                format!("{e}: run it at a terminal to be asked, or set NURSECARE_PIN"),
            ),
            SessionError::WrongSecret { .. } | SessionError::WrongPassword => {
                Self::new(CREDENTIALS, e.to_string())
            }
            SessionError::TooManyTries | SessionError::NotSignedIn => {
                Self::new(SIGNED_OUT, e.to_string())
            }
            SessionError::TooManyAccounts { .. } => Self::new(
                TOO_MANY_ACCOUNTS,
                format!("{e} (`nursecare-cli accounts` lists them)"),
            ),
            SessionError::Vault(_) => Self::new(USAGE, e.to_string()),
        }
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Api(a) => a.into(),
            ClientError::Profile(p) => p.into(),
            ClientError::Cache(c) => Self::new(cache(&c), c.to_string()),
            // The call is left here and ended on the server by a later run that connects.
            ClientError::Offline
            | ClientError::ConversationUnchecked(_)
            | ClientError::HangUpPending => Self::new(UNREACHABLE, e.to_string()),
            ClientError::NotFound(_)
            | ClientError::UnknownConversation(_)
            | ClientError::InCall
            | ClientError::CallOver => Self::new(REFUSED, e.to_string()),
            // The CLI has no rejoin: say how to end it.
            ClientError::CallGoingOn(id) => Self::new(
                REFUSED,
                format!("{e}; to end it: nursecare-cli call end {id}"),
            ),
            ClientError::Empty | ClientError::TooLong { .. } => Self::new(USAGE, e.to_string()),
            ClientError::NoUrgent => Self::new(REFUSED, e.to_string()),
            ClientError::FileRefused(_) | ClientError::NotOpenable(_) => {
                Self::new(FILE_REFUSED, e.to_string())
            }
            ClientError::FileIo(_) => Self::new(LOCAL_FILE, e.to_string()),
        }
    }
}
