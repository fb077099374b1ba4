//! Exists because a nurse's support call starts with "send us the log": the app logs to a
//! daily file in the platform's log directory and to stderr, and never logs message text or
//! tokens (the core's noisy dependencies are silenced whatever level is asked for).

use std::path::PathBuf;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Where the log files go: `~/.local/share/nursecare/logs` on Linux, the platform's
/// equivalent elsewhere.
pub fn dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("care", "NurseCare", "nursecare")
        .map(|d| d.data_local_dir().join("logs"))
}

/// Starts logging at `level`; keep the guard for the life of the process.
pub fn init(level: &str) -> Option<WorkerGuard> {
    let filter = || {
        EnvFilter::try_new(nursecare_core::logs::directives(level))
            .unwrap_or_else(|_| EnvFilter::new(nursecare_core::logs::directives("info")))
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter());
    let (file, guard) = match dir().and_then(|d| {
        // Logs hold ids and server names: owner-only, as the profile is.
        nursecare_owner_only::create_dir(&d).ok()?;
        let _ = nursecare_owner_only::tighten(&d);
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("nursecare-desktop")
            .filename_suffix("log")
            .max_log_files(7)
            .build(d)
            .ok()
    }) {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(filter());
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    guard
}
