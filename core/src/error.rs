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
    /// Nothing of that id here.
    #[error("{0}")]
    NotFound(String),
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

impl ErrorReport {
    /// The report of any error that has a kind.
    pub fn of<E>(e: &E) -> Self
    where
        E: std::fmt::Display,
        for<'a> &'a E: Into<ErrorKind>,
    {
        Self {
            kind: e.into(),
            message: e.to_string(),
        }
    }
}

impl From<&ApiError> for ErrorKind {
    fn from(e: &ApiError) -> Self {
        match e {
            ApiError::SessionExpired => Self::SessionExpired,
            ApiError::InvalidCredentials => Self::InvalidCredentials,
            ApiError::RateLimited { retry_after_secs } => Self::RateLimited {
                retry_after_secs: *retry_after_secs,
            },
            ApiError::Forbidden(_) => Self::Forbidden,
            ApiError::NotFound(_) => Self::NotFound,
            ApiError::Rejected { status, .. } => Self::Rejected { status: *status },
            ApiError::Server { status } => Self::ServerError { status: *status },
            ApiError::Unreachable => Self::Unreachable,
            ApiError::AnswerLost => Self::AnswerLost,
            ApiError::Timeout => Self::Timeout,
            ApiError::Decode(_) => Self::UnexpectedAnswer,
            ApiError::BadUrl(_) => Self::BadServerAddress,
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
        }
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
