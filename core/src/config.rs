//! How a client behaves: time-outs, retries and ringing, with defaults for a desktop.

use crate::api::ApiConfig;
use crate::socket::SocketConfig;
use std::time::Duration;

/// How the client behaves; the defaults suit a desktop.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The REST client's settings.
    pub api: ApiConfig,
    /// The link's settings (`url`, `token` and `user_id` are filled in from the session).
    pub socket: SocketConfig,
    /// How long to wait for a sent message's echo before trying again.
    pub echo_timeout: Duration,
    /// After this many unanswered attempts a message is marked failed.
    pub max_attempts: u32,
    /// Clock skew allowed between this machine and the server when looking for an attempted
    /// message on production (which echoes no clientId) by its time.
    pub reconcile_skew: Duration,
    /// How often to poll `/ongoing` for calls where the server lacks userRing.
    pub ring_poll: Duration,
    /// Calls started longer ago than this do not ring.
    pub ring_for: Duration,
    /// Bytes of downloaded files kept in the cache for offline use; past it the least
    /// recently opened go.
    pub kept_files_cap: u64,
    /// Between two alerts of an urgent message not read yet ([`crate::urgent::EVERY`]).
    pub urgent_every: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            api: ApiConfig::default(),
            socket: SocketConfig::new("", None, 0),
            echo_timeout: Duration::from_secs(10),
            max_attempts: 5,
            reconcile_skew: Duration::from_secs(120),
            ring_poll: Duration::from_secs(5),
            ring_for: Duration::from_secs(60),
            kept_files_cap: 500 * 1024 * 1024,
            urgent_every: crate::urgent::EVERY,
        }
    }
}
