//! The app's options: the CLI's (`--server`, `--profile`, `--secret-store`), as flags and
//! environment variables, so the app and `nursecare-cli` share profiles.

use clap::{Parser, ValueEnum};
use nursecare_core::secrets::SecretStoreKind;
use std::path::PathBuf;

/// Production's address.
pub const PRODUCTION: &str = "https://nursecare-backend-luth.onrender.com";
/// Where `nursecare-server` listens by default (the sign-in screen's one-click choice).
pub const LOCAL: &str = "http://127.0.0.1:3001";

#[derive(Debug, Clone, Parser)]
#[command(name = "nursecare-desktop", version, about = "NurseCare Desktop")]
pub struct Options {
    /// The server's base URL [default: the one chosen at sign-in, else production].
    #[arg(long, env = "NURSECARE_SERVER")]
    pub server: Option<String>,
    /// Where the cache and settings live (default: the platform's data directory).
    #[arg(long, env = "NURSECARE_PROFILE")]
    pub profile: Option<PathBuf>,
    /// Where the sign-in token and the cache key are kept. `file` (a mode-600 file in the
    /// profile) only where no keychain answers.
    #[arg(long, env = "NURSECARE_SECRET_STORE", value_enum, default_value_t = Store::Keychain)]
    pub secret_store: Store,
    /// Log filter (`info`, `debug`, ...); the log file is in the platform's log directory.
    #[arg(long, env = "NURSECARE_LOG", default_value = "info")]
    pub log: String,
    /// Start hidden in the tray (how start-at-login launches it).
    #[arg(long)]
    pub hidden: bool,
    /// Tests only: embed meetings in the call window even where the webview has no WebRTC,
    /// so a loopback stand-in for Jitsi can be checked there.
    #[arg(long, env = "NURSECARE_TEST_EMBED_CALLS", hide = true)]
    pub test_embed_calls: bool,
    /// Tests only: the file picker answers this file instead of opening (no test can drive
    /// the system's dialog); what follows is the real path of a picked file.
    #[arg(long, env = "NURSECARE_TEST_PICK_FILE", hide = true)]
    pub test_pick_file: Option<PathBuf>,
}

/// Where secrets are kept.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Store {
    /// The OS keychain (Secret Service, Keychain, Credential Manager).
    Keychain,
    /// A mode-600 file in the profile.
    File,
}

impl Store {
    /// The core's kind.
    pub fn kind(self) -> SecretStoreKind {
        match self {
            Store::Keychain => SecretStoreKind::Keychain,
            Store::File => SecretStoreKind::File,
        }
    }
}
