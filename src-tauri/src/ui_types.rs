//! What the shell and the window send each other beyond the core's own types: the feed's
//! notice and items, who is signed in, and the page's start-up times. TypeScript for them is
//! generated (tests/bindings.rs).

use nursecare_core::ErrorReport;
use nursecare_core::events::{Event, Snapshot};
use nursecare_wire::{Id, Role};
use serde::{Deserialize, Serialize};

/// When the page reached each step of its start, in ms since its `performance.timeOrigin`
/// (which is ms since the Unix epoch): the shell logs them beside its own steps.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct PageTimes {
    /// The page's time origin (ms since the Unix epoch).
    pub time_origin: f64,
    /// The document had arrived (the navigation's `responseEnd`).
    pub document: f64,
    /// The bundle began to run.
    pub script: f64,
    /// `attach` answered.
    pub attached: f64,
    /// The first snapshot was pulled and applied.
    pub snapshot: f64,
    /// The list was in the page (React's commit), before its layout and paint.
    pub rendered: f64,
    /// The list was laid out (style and layout, forced once right after the commit).
    pub laid_out: f64,
    /// The list was painted.
    pub painted: f64,
}

/// `attach`'s answer: who is signed in, the page's feed, and what is in it already (the
/// snapshot, when an account runs), so the first screen needs no notice and no pull.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Attached {
    /// Who is signed in.
    pub session: SessionInfo,
    /// The feed to pull from.
    #[ts(type = "number")]
    pub feed: u64,
    /// Its first items, in order.
    pub first: Vec<AppEvent>,
}

/// The one thing the shell's channel carries: there is something to pull (`pull_events`)
/// from this feed. Tiny on purpose: each channel message is a script the webview evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FeedNotice {
    /// The feed to pull from (a new one per attach; a page from before a reload has an old one).
    #[ts(type = "number")]
    pub feed: u64,
}

/// One item of the window's event feed, in order (pulled as bytes by `pull_events`).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "camelCase")]
#[allow(clippy::large_enum_variant)]
pub enum AppEvent {
    /// The whole state: sent first after the window attaches or an account starts; the window
    /// replaces what it had.
    Snapshot {
        /// The state.
        snapshot: Snapshot,
    },
    /// A core event, newer than the snapshot before it: applied on top.
    Core {
        /// The event.
        event: Event,
    },
    /// Core events that came together (a burst), in order: each applied as a `core` message.
    CoreBatch {
        /// The events.
        events: Vec<Event>,
    },
    /// Signed in, signed out, or the session ended.
    Session {
        /// Who is signed in now.
        session: SessionInfo,
    },
    /// Show this conversation (a notification or the tray asked).
    #[serde(rename_all = "camelCase")]
    OpenConversation {
        /// Which.
        conversation_id: Id,
    },
    /// Files were dropped on the window: the open chat shares them.
    FilesDropped {
        /// Where they are on this computer.
        paths: Vec<String>,
    },
}

/// How far a transfer is (an upload, a file fetched to open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TransferProgress {
    /// Bytes done.
    #[ts(type = "number")]
    pub done: u64,
    /// Of this many.
    #[ts(type = "number")]
    pub total: u64,
}

/// Why the last session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Ended {
    /// The server refused the token: sign in again.
    Expired,
    /// The user signed out.
    SignedOut,
    /// An administrator signed the user out of every session (our server, Part B).
    SignedOutByAdmin,
    /// Five wrong PINs or passwords at the lock: signed out (the cache and the queue wait,
    /// sealed, for the next sign-in).
    TooManyTries,
}

/// Who is signed in, and the servers the sign-in screen offers.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// Whether an account is running.
    pub signed_in: bool,
    /// The server in use (or to sign in to).
    pub server: String,
    /// The account's email.
    pub email: Option<String>,
    /// The account's role.
    pub role: Option<Role>,
    /// The account's user id.
    pub user_id: Option<Id>,
    /// The window is locked: it shows nothing of the account until the PIN or password.
    pub locked: bool,
    /// The account has a PIN (else the lock asks for the password and a new PIN).
    pub has_pin: bool,
    /// Why the last session ended, when it did.
    pub ended: Option<Ended>,
    /// Why the kept session could not start, when it could not (a locked keychain, the cache
    /// held by another program).
    pub problem: Option<ErrorReport>,
    /// The other nurses signed in on this computer (a ward's shared computer): whose, and
    /// their counts, never a patient's name.
    pub others: Vec<OtherAccount>,
    /// Production's address.
    pub production_server: String,
    /// The local server's usual address.
    pub local_server: String,
}

/// Another nurse signed in on this computer, as the lock screen's *Switch nurse* lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct OtherAccount {
    /// The user id.
    pub user_id: Id,
    /// The email.
    pub email: String,
    /// Unread messages; none while the account waits for its PIN to start (it receives
    /// nothing until then).
    pub unread: Option<u32>,
    /// A call rings for them: they come to the front, unlock, and answer.
    pub ringing: bool,
}
