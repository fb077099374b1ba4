//! Why a client call failed: one typed enum for the CLI and the app.

use crate::api::ApiError;
use crate::cache::CacheError;
use crate::profile::ProfileError;
use crate::socket::SocketError;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error, or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The local cache failed.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The profile (cache key, cache file) failed.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The message is empty.
    #[error("the message is empty")]
    Empty,
    /// The message is too long.
    #[error("the message is too long ({chars} characters; at most {max})")]
    TooLong {
        /// Its length.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// The link is down and this needs it.
    #[error("not connected to the server")]
    Offline,
    /// The conversation is not one of the user's (neither in the cache nor, when online, on
    /// the server's list): nothing was queued.
    #[error("unknown conversation {0}: not one of yours")]
    UnknownConversation(nursecare_wire::Id),
    /// The conversation is not in this device's cache and the server could not be reached
    /// to check it: nothing was queued.
    #[error("conversation {0} is not on this device and the server cannot be reached to check it")]
    ConversationUnchecked(nursecare_wire::Id),
    /// The user is in a call on this device already: hang it up first (accepting another
    /// call does that by itself).
    #[error("you are in a call already: hang it up first")]
    InCall,
    /// No call to rejoin: it ended meanwhile, or there was none.
    #[error("that call is over")]
    CallOver,
    /// A call answered earlier is still going in that conversation (on another device, or
    /// never ended): offered for rejoining or ending instead of a new one.
    #[error("a call in this conversation is still going (call {0}): rejoin it or end it")]
    CallGoingOn(nursecare_wire::Id),
    /// The user left the call but the server could not be reached to end it: it is told on
    /// the next connection (the call shows as hanging up until then).
    #[error(
        "you left the call; the server could not be reached and will be told it ended once the connection is back"
    )]
    HangUpPending,
    /// Nothing of that id here.
    #[error("{0}")]
    NotFound(String),
    /// This server has no urgent messages (production): send it as an ordinary message.
    #[error("this server does not take urgent messages; send it as an ordinary message")]
    NoUrgent,
    /// This file is not one NurseCare shares (decided here from its bytes and name, before
    /// anything is sent): why, in our words.
    #[error("{0}")]
    FileRefused(String),
    /// A file on this computer could not be read or written.
    #[error("{0}")]
    FileIo(String),
    /// A file whose name is not on the allowlist is never handed to the system to open (a
    /// server that takes anything may hold `invoice.pdf.exe`).
    #[error("{0} is not a kind of file NurseCare opens")]
    NotOpenable(String),
}

impl From<SocketError> for ClientError {
    fn from(_: SocketError) -> Self {
        Self::Offline
    }
}

/// What went wrong, as data the UI can act on (it words each kind itself; `message` in an
/// [`ErrorReport`] is the English fallback). Never carries message text or tokens.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub enum ErrorKind {
    /// Sign in again.
    SessionExpired,
    /// Wrong email or password.
    InvalidCredentials,
    /// Too many failed sign-ins.
    #[serde(rename_all = "camelCase")]
    RateLimited {
        /// Seconds to wait, when the server said.
        retry_after_secs: Option<u64>,
    },
    /// Not allowed (not a participant, …).
    Forbidden,
    /// No such thing on the server.
    NotFound,
    /// The server refused the request as invalid.
    Rejected {
        /// HTTP status.
        status: u16,
    },
    /// The server is too busy to check a password now; nothing was done.
    #[serde(rename_all = "camelCase")]
    Busy {
        /// Seconds to wait, when the server said.
        retry_after_secs: Option<u64>,
    },
    /// The server failed.
    ServerError {
        /// HTTP status.
        status: u16,
    },
    /// No connection to the server.
    Unreachable,
    /// The connection broke after the request went out: it may have been done.
    AnswerLost,
    /// No answer in time (a sleeping server takes tens of seconds to wake).
    Timeout,
    /// The server answered something this app does not understand.
    UnexpectedAnswer,
    /// The server address is not a usable URL.
    BadServerAddress,
    /// The message is empty.
    EmptyMessage,
    /// The message is too long.
    TooLong {
        /// Its length.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// This needs the link, which is down.
    Offline,
    /// Not one of the user's conversations.
    #[serde(rename_all = "camelCase")]
    UnknownConversation {
        /// Which.
        conversation_id: nursecare_wire::Id,
    },
    /// Not in the cache, and the server cannot be reached to check it.
    #[serde(rename_all = "camelCase")]
    ConversationUnchecked {
        /// Which.
        conversation_id: nursecare_wire::Id,
    },
    /// The file is larger than the server takes.
    FileTooLarge,
    /// Not a kind of file NurseCare shares.
    FileRefused,
    /// A file on this computer could not be read or written.
    FileIo,
    /// Not a kind of file NurseCare opens.
    NotOpenable,
    /// The user is in a call on this device already.
    InCall,
    /// The call is over (nothing to rejoin).
    CallOver,
    /// Left the call; the server is told when the connection is back.
    HangUpPending,
    /// A call is still going in that conversation (offered for rejoining).
    #[serde(rename_all = "camelCase")]
    CallGoingOn {
        /// Which.
        call_id: nursecare_wire::Id,
    },
    /// Nothing of that id here.
    NotFoundHere,
    /// Another NurseCare program has this account's cache open.
    CacheInUse,
    /// The local cache cannot be read.
    CacheUnreadable,
    /// The local cache was written by a newer version.
    CacheTooNew,
    /// The local cache failed.
    CacheFailed,
    /// No OS keychain answered (offer the file store).
    KeychainUnavailable,
    /// The keychain did not answer (it may be locked).
    KeychainLocked,
    /// The secrets file could not be used.
    SecretsFileFailed,
    /// No data directory on this system.
    NoDataDirectory,
    /// The server's sign-in token cannot be read.
    BadToken,
    /// Nobody is signed in (the app asked for something that needs an account).
    NotSignedIn,
    /// A plain http:// server other than this computer's own: the password would travel
    /// unencrypted.
    InsecureServer,
    /// The profile's settings file could not be written.
    SettingsFailed,
    /// An administrator signed the user out: sign in again.
    SignedOutByAdmin,
    /// This server has no urgent messages.
    NoUrgent,
    /// The account is locked with its nurse's PIN.
    Locked,
    /// Wrong PIN or password; `left` more tries before signing out.
    WrongSecret {
        /// Tries left.
        left: u8,
    },
    /// Too many wrong tries: signed out (the cache waits, sealed, for the next sign-in).
    TooManyTries,
    /// Setting a PIN needs the account's password, and it was refused.
    WrongPassword,
    /// A PIN is 6 or more digits.
    PinRule,
    /// The protected sign-in kept on this computer cannot be read.
    VaultDamaged,
    /// As many nurses as one computer keeps are signed in already.
    TooManyAccounts {
        /// The limit.
        max: u8,
    },
}

/// An error for the UI: its kind and the English sentence (for logs and as a fallback).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ErrorReport {
    /// What went wrong.
    #[serde(flatten)]
    pub kind: ErrorKind,
    /// In words.
    pub message: String,
}

/// A kind is its own kind: `ErrorReport::of(&ErrorKind::NotSignedIn)` where no error value
/// stands behind the report.
impl From<&ErrorKind> for ErrorKind {
    fn from(kind: &ErrorKind) -> Self {
        kind.clone()
    }
}

impl ErrorReport {
    /// The report of any error that has a kind. Its sentence is fixed per kind: it never
    /// repeats what a server said (which could quote what was sent).
    pub fn of<E>(e: &E) -> Self
    where
        for<'a> &'a E: Into<ErrorKind>,
    {
        let kind: ErrorKind = e.into();
        Self {
            message: kind.sentence(),
            kind,
        }
    }
}

impl ErrorKind {
    /// The English sentence for this kind (the UI words kinds itself; this is the fallback
    /// and what logs may show).
    pub fn sentence(&self) -> String {
        match self {
            Self::SessionExpired => "Your session has expired; please sign in again.".into(),
            Self::InvalidCredentials => "Wrong email or password.".into(),
            Self::RateLimited {
                retry_after_secs: Some(s),
            } => format!("Too many failed sign-in attempts; try again later (in {s} s)."),
            Self::RateLimited { .. } => {
                "Too many failed sign-in attempts; try again later.".into()
            }
            Self::Forbidden => "Not allowed.".into(),
            Self::NotFound => "Not found on the server.".into(),
            Self::Rejected { status } => format!("The server refused the request ({status})."),
            Self::Busy {
                retry_after_secs: Some(s),
            } => format!("The server is busy; try again in {s} s."),
            Self::Busy { .. } => "The server is busy; try again in a moment.".into(),
            Self::ServerError { status } => {
                format!("The server had a problem ({status}); try again later.")
            }
            Self::Unreachable => "Cannot reach the server.".into(),
            Self::AnswerLost => {
                "The connection broke before the server answered; it may have been done.".into()
            }
            Self::Timeout => "The server took too long to answer.".into(),
            Self::UnexpectedAnswer => "The server answered something unexpected.".into(),
            Self::BadServerAddress => "The server address is not valid.".into(),
            Self::EmptyMessage => "The message is empty.".into(),
            Self::TooLong { chars, max } => {
                format!("The message is too long ({chars} characters; at most {max}).")
            }
            Self::Offline => "Not connected to the server.".into(),
            Self::UnknownConversation { conversation_id } => {
                format!("Conversation {conversation_id} is not one of yours.")
            }
            Self::ConversationUnchecked { conversation_id } => format!(
                "Conversation {conversation_id} is not on this device and the server cannot be reached to check it."
            ),
            Self::NotFoundHere => "Not found.".into(),
            Self::FileTooLarge => "The file is larger than the server takes.".into(),
            Self::FileRefused => "This kind of file cannot be shared: photos, PDF, plain text, and Word, Excel, PowerPoint or OpenDocument files only.".into(),
            Self::FileIo => "The file could not be read or written on this computer.".into(),
            Self::NotOpenable => "NurseCare does not open this kind of file.".into(),
            Self::InCall => "You are in a call already: hang it up first.".into(),
            Self::CallOver => "That call is over.".into(),
            Self::CallGoingOn { .. } => {
                "A call in this chat is still going: rejoin it or end it.".into()
            }
            Self::HangUpPending => {
                "You left the call. The server cannot be reached; it will be told the call ended once the connection is back.".into()
            }
            Self::CacheInUse => {
                "This account is open in another NurseCare program (is the app running?).".into()
            }
            Self::CacheUnreadable => "The local cache cannot be read.".into(),
            Self::CacheTooNew => "The local cache was written by a newer version.".into(),
            Self::CacheFailed => "The local cache failed.".into(),
            Self::KeychainUnavailable => {
                "No OS keychain is available; secrets can be kept in a file readable only by you instead.".into()
            }
            Self::KeychainLocked => "The OS keychain did not answer (is it locked?).".into(),
            Self::SecretsFileFailed => "The secrets file could not be used.".into(),
            Self::NoDataDirectory => "No data directory was found on this system.".into(),
            Self::BadToken => "The server sent a sign-in token this app cannot read.".into(),
            Self::NotSignedIn => "Nobody is signed in.".into(),
            Self::InsecureServer => {
                "Plain http:// would send the password unencrypted; use the server's https:// address.".into()
            }
            Self::SettingsFailed => "The settings could not be saved.".into(),
            Self::NoUrgent => {
                "This server does not take urgent messages; send it as an ordinary message."
                    .into()
            }
            Self::SignedOutByAdmin => {
                "An administrator signed you out of NurseCare; please sign in again.".into()
            }
            Self::Locked => "This account is locked: unlock it with your PIN or password.".into(),
            Self::WrongSecret { left: 1 } => {
                "Wrong PIN or password. One try left before you are signed out.".into()
            }
            Self::WrongSecret { left } => {
                format!("Wrong PIN or password. {left} tries left before you are signed out.")
            }
            Self::TooManyTries => {
                "Too many wrong tries: you are signed out. Sign in again with your password; nothing waiting to be sent is lost.".into()
            }
            Self::WrongPassword => "Wrong password.".into(),
            Self::PinRule => format!(
                "A PIN is {} to {} digits, and digits only.",
                crate::vault::PIN_MIN_DIGITS,
                crate::vault::PIN_MAX_DIGITS
            ),
            Self::VaultDamaged => {
                "The protected sign-in kept on this computer cannot be read; sign in again.".into()
            }
            Self::TooManyAccounts { max } => format!(
                "{max} nurses are signed in on this computer already, the most it keeps. Sign one of them out first (Switch nurse on the lock screen)."
            ),
        }
    }
}

impl From<&ApiError> for ErrorKind {
    fn from(e: &ApiError) -> Self {
        match e {
            ApiError::SessionExpired => Self::SessionExpired,
            ApiError::SignedOutByAdmin => Self::SignedOutByAdmin,
            ApiError::InvalidCredentials => Self::InvalidCredentials,
            ApiError::RateLimited { retry_after_secs } => Self::RateLimited {
                retry_after_secs: *retry_after_secs,
            },
            ApiError::Forbidden(_) => Self::Forbidden,
            ApiError::NotFound(_) => Self::NotFound,
            ApiError::Rejected { status, .. } => Self::Rejected { status: *status },
            ApiError::Busy { retry_after_secs } => Self::Busy {
                retry_after_secs: *retry_after_secs,
            },
            ApiError::Server { status } => Self::ServerError { status: *status },
            ApiError::Unreachable => Self::Unreachable,
            ApiError::AnswerLost => Self::AnswerLost,
            ApiError::Timeout => Self::Timeout,
            ApiError::Decode(_) => Self::UnexpectedAnswer,
            ApiError::BadUrl(_) => Self::BadServerAddress,
            ApiError::InsecureServer => Self::InsecureServer,
            ApiError::FileTooLarge(_) => Self::FileTooLarge,
            ApiError::FileRefused(_) => Self::FileRefused,
        }
    }
}

impl From<&CacheError> for ErrorKind {
    fn from(e: &CacheError) -> Self {
        match e {
            CacheError::InUse => Self::CacheInUse,
            CacheError::Unreadable => Self::CacheUnreadable,
            CacheError::TooNew { .. } => Self::CacheTooNew,
            CacheError::Sqlite(_) | CacheError::Io(_) | CacheError::Closed => Self::CacheFailed,
        }
    }
}

impl From<&crate::secrets::SecretError> for ErrorKind {
    fn from(e: &crate::secrets::SecretError) -> Self {
        use crate::secrets::SecretError;
        match e {
            SecretError::KeychainUnavailable(_) => Self::KeychainUnavailable,
            SecretError::KeychainTimeout => Self::KeychainLocked,
            SecretError::File { .. } => Self::SecretsFileFailed,
        }
    }
}

impl From<&ProfileError> for ErrorKind {
    fn from(e: &ProfileError) -> Self {
        match e {
            ProfileError::NoDataDir => Self::NoDataDirectory,
            ProfileError::Secret(s) => s.into(),
            ProfileError::Cache(c) => c.into(),
            ProfileError::Session(e) => e.into(),
        }
    }
}

impl From<&crate::session::SessionError> for ErrorKind {
    fn from(e: &crate::session::SessionError) -> Self {
        use crate::session::SessionError;
        match e {
            SessionError::Api(a) => a.into(),
            SessionError::Secret(s) => s.into(),
            SessionError::BadToken => Self::BadToken,
            SessionError::Locked { .. } => Self::Locked,
            SessionError::WrongSecret { left } => Self::WrongSecret { left: *left },
            SessionError::TooManyTries => Self::TooManyTries,
            SessionError::WrongPassword => Self::WrongPassword,
            SessionError::NotSignedIn => Self::NotSignedIn,
            SessionError::TooManyAccounts { max } => Self::TooManyAccounts {
                max: u8::try_from(*max).unwrap_or(u8::MAX),
            },
            SessionError::Vault(crate::vault::VaultError::PinRule) => Self::PinRule,
            SessionError::Vault(_) => Self::VaultDamaged,
        }
    }
}

impl From<&crate::settings::SettingsError> for ErrorKind {
    fn from(_: &crate::settings::SettingsError) -> Self {
        Self::SettingsFailed
    }
}

impl From<&ClientError> for ErrorKind {
    fn from(e: &ClientError) -> Self {
        match e {
            ClientError::Api(a) => a.into(),
            ClientError::Cache(c) => c.into(),
            ClientError::Profile(p) => p.into(),
            ClientError::Empty => Self::EmptyMessage,
            ClientError::TooLong { chars, max } => Self::TooLong {
                chars: *chars,
                max: *max,
            },
            ClientError::Offline => Self::Offline,
            ClientError::UnknownConversation(id) => Self::UnknownConversation {
                conversation_id: *id,
            },
            ClientError::ConversationUnchecked(id) => Self::ConversationUnchecked {
                conversation_id: *id,
            },
            ClientError::NotFound(_) => Self::NotFoundHere,
            ClientError::InCall => Self::InCall,
            ClientError::CallOver => Self::CallOver,
            ClientError::HangUpPending => Self::HangUpPending,
            ClientError::CallGoingOn(id) => Self::CallGoingOn { call_id: *id },
            ClientError::FileRefused(_) => Self::FileRefused,
            ClientError::FileIo(_) => Self::FileIo,
            ClientError::NotOpenable(_) => Self::NotOpenable,
            ClientError::NoUrgent => Self::NoUrgent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_tagged_data_without_the_server_text() {
        let e = ClientError::Api(ApiError::RateLimited {
            retry_after_secs: Some(30),
        });
        let json = serde_json::to_value(ErrorReport::of(&e)).unwrap();
        assert_eq!(json["kind"], "rateLimited");
        assert_eq!(json["retryAfterSecs"], 30);
        assert!(
            json["message"]
                .as_str()
                .unwrap()
                .contains("try again later")
        );
        let e = ClientError::UnknownConversation(7);
        let json = serde_json::to_value(ErrorReport::of(&e)).unwrap();
        assert_eq!(json["kind"], "unknownConversation");
        assert_eq!(json["conversationId"], 7);
        let e = ClientError::Cache(CacheError::InUse);
        assert_eq!(ErrorKind::from(&e), ErrorKind::CacheInUse);
    }
}
