//! Logging setup: `RUST_LOG` as usual, minus the crates that log raw traffic.
//!
//! tungstenite logs every WebSocket frame at trace level (message text, tokens), and axum logs
//! rejected request bodies; those targets are dropped whatever `RUST_LOG` says, because logs
//! must never hold message text, passwords or tokens.

use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::prelude::*;

/// Targets whose events are never written.
const SILENCED: &[&str] = &[
    "tungstenite",
    "tokio_tungstenite",
    "engineioxide",
    "socketioxide",
    "axum::rejection",
];

/// True when events of `target` may be written.
pub fn allowed(target: &str) -> bool {
    !SILENCED
        .iter()
        .any(|s| target == *s || target.strip_prefix(s).is_some_and(|r| r.starts_with("::")))
}

/// Installs the global subscriber: to stderr, filtered by `RUST_LOG` (default
/// `nursecare_server=info,warn`), never the silenced targets.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("nursecare_server=info,warn"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter)
        .with_filter(filter_fn(|meta| allowed(meta.target())));
    tracing_subscriber::registry().with(fmt).init();
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn silences_traffic_loggers_only() {
        assert!(!allowed("tungstenite::protocol"));
        assert!(!allowed("tungstenite"));
        assert!(!allowed("axum::rejection"));
        assert!(allowed("tungstenite_other"));
        assert!(allowed("nursecare_server::realtime"));
        assert!(allowed("axum::serve"));
    }
}
