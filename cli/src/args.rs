//! The command line.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Production's address.
pub const PRODUCTION: &str = "https://nursecare-backend-luth.onrender.com";

#[derive(Debug, Parser)]
#[command(name = "nursecare-cli", version, about = "A headless NurseCare client")]
pub struct Cli {
    /// The server's base URL.
    #[arg(long, env = "NURSECARE_SERVER", default_value = PRODUCTION, global = true)]
    pub server: String,
    /// Where the cache and settings live (default: the platform's data directory).
    #[arg(long, env = "NURSECARE_PROFILE", global = true)]
    pub profile: Option<PathBuf>,
    /// Where the sign-in token and the cache key are kept. `file` (a mode-600 file in the
    /// profile) only where no keychain answers.
    #[arg(long, env = "NURSECARE_SECRET_STORE", value_enum, default_value_t = Store::Keychain, global = true)]
    pub secret_store: Store,
    /// Seconds to wait for the server before answering from the cache or giving up (a host
    /// that sleeps when idle may take 30 s to wake).
    #[arg(
        long,
        env = "NURSECARE_CONNECT_TIMEOUT",
        default_value_t = 20,
        global = true
    )]
    pub connect_timeout: u64,
    /// Machine-readable output (JSON).
    #[arg(long, global = true)]
    pub json: bool,
    /// Speak plain http:// to a server on another computer (a lab without TLS): the password,
    /// the token and messages then cross the network unencrypted, and every start says so.
    #[arg(long, env = "NURSECARE_ALLOW_PLAIN_HTTP", global = true)]
    pub allow_plain_http: bool,
    /// Seconds a call rings (and, calling on production, before an unanswered call is marked
    /// missed) [default: the core's, 60]. For tests.
    #[arg(
        long,
        env = "NURSECARE_RING_FOR",
        value_name = "SECS",
        global = true,
        hide = true
    )]
    pub ring_for: Option<u64>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Store {
    Keychain,
    File,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in (password from NURSECARE_PASSWORD, else a prompt).
    Login {
        #[arg(long)]
        email: String,
    },
    /// Sign out.
    Logout {
        /// Also delete this account's local cache and its key.
        #[arg(long)]
        forget_cache: bool,
    },
    /// Who is signed in (read from the kept token; no network).
    Whoami,
    /// The accounts signed in on this computer (a ward's shared computer keeps up to 8), the
    /// one in use first; no network, no PIN.
    Accounts,
    /// Use another signed-in account from now on (by email or user id).
    Switch { account: String },
    /// The conversation list.
    Conversations,
    /// Get or create the conversation with a user (does not join it).
    Open {
        user_id: i64,
        #[arg(long)]
        booking: Option<i64>,
    },
    /// A conversation's messages, oldest to newest.
    History {
        conversation_id: i64,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// From the cache only, never the network.
        #[arg(long)]
        offline: bool,
    },
    /// Send a message and wait for the server to have it (queued when offline: exit code 6).
    /// Other accounts on this computer can read a command's arguments: pass a patient's words
    /// with `-` (standard input) or `--file` instead.
    Send {
        conversation_id: i64,
        /// The message; `-` reads it from standard input (one final line ending is dropped).
        #[arg(required_unless_present = "file", conflicts_with = "file")]
        text: Option<String>,
        /// Read the message from this file (one final line ending is dropped).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Mark it urgent: the other side's app alerts again every 2 minutes until it is read
        /// (our server; refused where the server has no urgent messages).
        #[arg(long)]
        urgent: bool,
    },
    /// Mark a conversation's messages read.
    Read { conversation_id: i64 },
    /// Show the other participant that you are typing, for SECS seconds, then stop (for
    /// support staff and tests).
    Typing {
        conversation_id: i64,
        #[arg(long = "for", value_name = "SECS", default_value_t = 5)]
        duration: u64,
    },
    /// Search cached messages (never the network).
    Search {
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Print events as JSON lines.
    Watch {
        /// Stop after this many seconds.
        #[arg(long = "for")]
        duration: Option<u64>,
        /// Join this conversation as an open chat would (marks its messages read).
        #[arg(long)]
        open: Option<i64>,
    },
    /// Video calls.
    Call {
        #[command(subcommand)]
        command: CallCommand,
    },
    /// A chat's files.
    Files {
        #[command(subcommand)]
        command: FilesCommand,
    },
    /// The PIN that locks this account on this computer.
    Pin {
        #[command(subcommand)]
        command: PinCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PinCommand {
    /// Set or change the PIN (6 or more digits; from NURSECARE_NEW_PIN, else asked twice),
    /// proven by the account's password (NURSECARE_PASSWORD, else asked). From then on the
    /// account's cache key and token are kept only sealed under the PIN and the password, and
    /// every command asks for one of them (NURSECARE_PIN, else a prompt).
    Set,
}

#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// A conversation's files, newest first.
    List { conversation_id: i64 },
    /// Share a file from disk in a conversation (photos, PDF, plain text, office documents).
    Upload { conversation_id: i64, path: PathBuf },
    /// Save a copy of a file (kept in the encrypted cache first; a kept file saves offline).
    Download {
        file_id: i64,
        /// The folder to save into [default: the current folder].
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
    },
    /// Delete a file you shared.
    Delete { file_id: i64 },
    /// Drop the copies of files kept on this computer (the files stay listed and on the
    /// server).
    Forget {
        /// One file's copy.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        file_id: Option<i64>,
        /// Every copy.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CallCommand {
    /// Start a call in a conversation.
    Start {
        conversation_id: i64,
        /// Stay on the call: print its events until it ends, and end it after SECS (or at
        /// Ctrl-C) if it is still ongoing; then print the final call.
        #[arg(long, value_name = "SECS")]
        hold: Option<u64>,
    },
    /// Print incoming calls until Ctrl-C; or answer the first one.
    Watch {
        /// Accept the first call and stay on it until it ends (by any route) or --hold runs
        /// out (then hang up); then print the final call.
        #[arg(long, conflicts_with = "reject")]
        accept: bool,
        /// Decline the first call, print it, and exit.
        #[arg(long)]
        reject: bool,
        /// With --accept: hang up after SECS on the call.
        #[arg(long, value_name = "SECS", requires = "accept")]
        hold: Option<u64>,
    },
    /// Accept a call by its room name.
    Accept { room_name: String },
    /// Decline a call.
    Reject { call_id: i64 },
    /// End a call.
    End { call_id: i64 },
    /// A conversation's calls.
    History { conversation_id: i64 },
}
