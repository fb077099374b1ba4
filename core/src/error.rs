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
