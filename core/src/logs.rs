//! What the core's dependencies must never log. rust_socketio's transport (tungstenite, via
//! the `log` crate) writes whole WebSocket frames at trace level: message text, and the token
//! in the handshake. A program that installs a subscriber turns these targets off whatever
//! level the user asks for (see [`directives`]). The core itself logs ids and error kinds only.

/// Targets whose records may hold message text or tokens.
pub const SILENCED: &[&str] = &[
    "tungstenite",
    "tokio_tungstenite",
    "rust_engineio",
    "rust_socketio",
    "reqwest",
    "hyper",
    "hyper_util",
    "rustls",
];

/// `user` (an `EnvFilter` spec such as `"debug"`, or empty) with every silenced target
/// turned off after it, so a user-chosen level cannot turn them back on.
pub fn directives(user: &str) -> String {
    let mut spec = if user.trim().is_empty() {
        "warn".to_owned()
    } else {
        user.trim().to_owned()
    };
    for t in SILENCED {
        spec.push_str(&format!(",{t}=off"));
    }
    spec
}

#[cfg(test)]
mod tests {
    #[test]
    fn silenced_targets_come_last() {
        let d = super::directives("trace");
        assert!(d.starts_with("trace,"));
        assert!(d.ends_with(",rustls=off"));
        assert_eq!(super::directives(" "), super::directives("warn"));
    }
}
