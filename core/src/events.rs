//! The one typed stream the UI (and `nursecare-cli watch`) reads. Everything here has already
//! been written to the cache: an event says what changed, the cache holds the truth.

use crate::cache::{ConversationSummary, OutboxItem};
use crate::my_call::CallNow;
use nursecare_wire::{Id, Message, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// The state of the link as the user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub enum Connection {
    /// Connected and registered.
    Online,
    /// Trying to connect.
    Connecting,
    /// No link; history is read from the cache and typed messages wait in the outbox.
    Offline,
    /// The server refused the session: sign in again.
    SignedOut,
}

/// What happened to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub enum CallChange {
    /// The other side joined.
    Accepted,
    /// The callee declined.
    Rejected,
    /// Someone hung up.
    HungUp,
    /// The call ended.
    Ended,
    /// Nobody answered.
    Missed,
    /// An incoming call stopped ringing here: answered on another device (`by` the user), or
    /// rang out unanswered (`by` none).
    StoppedRinging,
}

/// One event for the UI.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub enum Event {
    /// The link changed; `outbox` messages wait to go out.
    #[serde(rename_all = "camelCase")]
    Connection {
        /// The state.
        state: Connection,
        /// Messages waiting in the outbox.
        outbox: u32,
        /// Milliseconds to the next attempt, when offline.
        retry_in_ms: Option<u64>,
        /// The server takes urgent messages (our server, online).
        urgent: bool,
    },
    /// The conversation list changed (new conversation, new preview, new count).
    #[serde(rename = "conversations", rename_all = "camelCase")]
    ConversationList {
        /// The whole list, most recent first.
        conversations: Vec<ConversationSummary>,
    },
    /// One conversation's row changed (new message, new count).
    #[serde(rename = "conversation", rename_all = "camelCase")]
    ConversationChanged {
        /// The row.
        summary: ConversationSummary,
    },
    /// A message reached the cache over the socket just now (worth a notification). `live`
    /// is always true (messages a sync finds come as [`Event::MessagesFound`]); kept so the
    /// JSON stays as it was.
    #[serde(rename_all = "camelCase")]
    MessageAdded {
        /// The message.
        message: Message,
        /// Arrived live.
        live: bool,
    },
    /// Messages a sync found (a catch-up, a refresh, paging back), new to the cache: one
    /// conversation's, oldest first. Not worth a notification each.
    #[serde(rename_all = "camelCase")]
    MessagesFound {
        /// Where.
        conversation_id: Id,
        /// The messages.
        messages: Vec<Message>,
    },
    /// An outbox row changed (queued, sent, failed).
    #[serde(rename_all = "camelCase")]
    Outbox {
        /// The row.
        item: OutboxItem,
    },
    /// A failed outbox row was dropped at the user's request.
    #[serde(rename_all = "camelCase")]
    OutboxDiscarded {
        /// The row.
        client_id: String,
        /// Its conversation.
        conversation_id: Id,
    },
    /// Unread counts, per conversation (only those with unread messages) and in total.
    #[serde(rename_all = "camelCase")]
    Unread {
        /// Per conversation.
        conversations: BTreeMap<Id, u32>,
        /// Sum, for the badge.
        total: u32,
    },
    /// The open conversation is joined (now, or again after a reconnect): its live events
    /// (typing, read receipts; on production, calls) reach this client from here on.
    #[serde(rename_all = "camelCase")]
    Joined {
        /// The conversation.
        conversation_id: Id,
    },
    /// Someone started or stopped typing.
    #[serde(rename_all = "camelCase")]
    Typing {
        /// Where.
        conversation_id: Id,
        /// Who.
        user_id: Id,
        /// On or off.
        typing: bool,
    },
    /// The other party read the user's messages in a conversation.
    #[serde(rename_all = "camelCase")]
    Read {
        /// Where.
        conversation_id: Id,
        /// Who read.
        read_by: Id,
        /// When.
        at: Timestamp,
    },
    /// A contact came online or went offline.
    #[serde(rename_all = "camelCase")]
    Presence {
        /// Who.
        user_id: Id,
        /// Online now.
        online: bool,
        /// Last seen, when offline.
        last_seen: Option<Timestamp>,
    },
    /// An incoming call is ringing.
    #[serde(rename_all = "camelCase")]
    IncomingCall {
        /// The call.
        call_id: Id,
        /// Its conversation.
        conversation_id: Id,
        /// Its Jitsi room.
        room_name: String,
        /// Who calls.
        caller_id: Id,
    },
    /// A call changed.
    #[serde(rename_all = "camelCase")]
    Call {
        /// The call, when known.
        call_id: Option<Id>,
        /// Its conversation, when known.
        conversation_id: Option<Id>,
        /// What happened.
        change: CallChange,
        /// Who did it, when known.
        by: Option<Id>,
        /// Length in seconds, for an ended call.
        duration: Option<i64>,
    },
    /// A call rang here and nobody answered it (it rang out, the caller gave up, or it was
    /// marked missed): its chat's row carries `missedCall` until the chat is opened.
    #[serde(rename_all = "camelCase")]
    MissedCall {
        /// The call.
        call_id: Id,
        /// Its conversation.
        conversation_id: Id,
        /// Who called.
        caller_id: Id,
    },
    /// The other side shared a file, heard live (our server): what a notification tells, as
    /// the privacy setting allows (production tells no one).
    #[serde(rename_all = "camelCase")]
    FileShared {
        /// The chat.
        conversation_id: Id,
        /// The file.
        file: nursecare_wire::files::SharedFile,
    },
    /// A chat's files changed (listed anew, uploaded, shared by the other side, deleted, or a
    /// copy kept here): read them again with `Client::files`.
    #[serde(rename_all = "camelCase")]
    FilesChanged {
        /// The chat.
        conversation_id: Id,
    },
    /// The user's call on this device changed (started, answered, offered for rejoin, over:
    /// `None`). How a call ended comes as [`Event::Call`].
    #[serde(rename_all = "camelCase")]
    MyCall {
        /// The call now, if any.
        call: Option<CallNow>,
    },
    /// An urgent message to the user is still unread: alert again (every two minutes, at
    /// most ten times; see `urgent`).
    #[serde(rename_all = "camelCase")]
    UrgentAgain {
        /// Its conversation.
        conversation_id: Id,
        /// The message.
        message_id: Id,
        /// Which alert this is (1 for the first after the message's own notification).
        times: u32,
    },
    /// The local cache could not be read and was rebuilt; the old file was kept.
    #[serde(rename_all = "camelCase")]
    CacheRebuilt {
        /// Where the unreadable file went.
        moved_to: String,
        /// Why it was unreadable.
        reason: String,
    },
    /// Something the user should know about (never carries message text or tokens).
    #[serde(rename_all = "camelCase")]
    Error {
        /// One sentence.
        message: String,
    },
}

/// Everything the UI shows, at once: what a reloaded window starts from before it applies
/// the events that follow (each of which is an idempotent update of this).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct Snapshot {
    /// How many events the stream had carried when this was read: events numbered from here
    /// on (counting from 0 at the stream's start) may be newer than the snapshot, so a window
    /// applies those it holds on top of it; earlier ones are in it already.
    pub events_before: u64,
    /// The signed-in user.
    pub me: Id,
    /// The link.
    pub connection: ConnectionNow,
    /// The conversation list, most recent first.
    pub conversations: Vec<ConversationSummary>,
    /// Unread counts per conversation (only those with unread messages).
    pub unread: BTreeMap<Id, u32>,
    /// Their sum, for the badge.
    pub unread_total: u32,
    /// Messages not yet on the server (pending and failed), oldest first.
    pub outbox: Vec<OutboxItem>,
    /// Who is typing where.
    pub typing: Vec<TypingNow>,
    /// Contacts' presence, as last heard on the current connection.
    pub presence: Vec<PresenceNow>,
    /// Calls ringing here.
    pub ringing: Vec<RingingNow>,
    /// The user's call on this device.
    pub call: Option<CallNow>,
    /// The conversation open in the window, if any.
    pub open: Option<Id>,
}

/// The link, in a [`Snapshot`] (what [`Event::Connection`] says).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct ConnectionNow {
    /// The state.
    pub state: Connection,
    /// Messages waiting in the outbox.
    pub outbox: u32,
    /// Milliseconds to the next attempt, when offline.
    pub retry_in_ms: Option<u64>,
    /// The server takes urgent messages (our server, online).
    pub urgent: bool,
}

/// A call ringing here, in a [`Snapshot`] (what [`Event::IncomingCall`] said).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct RingingNow {
    /// The call.
    pub call_id: Id,
    /// Its conversation.
    pub conversation_id: Id,
    /// Its Jitsi room.
    pub room_name: String,
    /// Who calls.
    pub caller_id: Id,
}

/// Someone typing, in a [`Snapshot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct TypingNow {
    /// Where.
    pub conversation_id: Id,
    /// Who.
    pub user_id: Id,
}

/// A contact's presence, in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct PresenceNow {
    /// Who.
    pub user_id: Id,
    /// Online now.
    pub online: bool,
    /// Last seen, when offline.
    pub last_seen: Option<Timestamp>,
}

/// The sending side of the stream. Sending never blocks and never fails: a UI that went away
/// just stops receiving.
#[derive(Clone)]
pub struct EventSink {
    /// The sender, and how many events went through it (see [`Snapshot::events_before`]):
    /// counted and sent under one lock, so the count is the event's place in the stream.
    tx: Arc<Mutex<(mpsc::UnboundedSender<Event>, u64)>>,
    /// The urgent messages' owner hears the events that concern it (`urgent::concerns`).
    tap: Arc<std::sync::OnceLock<mpsc::UnboundedSender<Event>>>,
}

/// The receiving side.
pub type EventStream = mpsc::UnboundedReceiver<Event>;

impl EventSink {
    /// A new stream.
    pub fn new() -> (Self, EventStream) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Self {
                tx: Arc::new(Mutex::new((tx, 0))),
                tap: Arc::default(),
            },
            rx,
        )
    }

    /// Passes the events that concern urgent messages to `tap` as well (set once).
    pub(crate) fn tap(&self, tap: mpsc::UnboundedSender<Event>) {
        let _ = self.tap.set(tap);
    }

    /// Sends one event.
    pub fn send(&self, event: Event) {
        if let Some(tap) = self.tap.get()
            && crate::urgent::concerns(&event)
        {
            let _ = tap.send(event.clone());
        }
        let mut tx = self.tx.lock().expect("event sink lock");
        tx.1 += 1;
        let _ = tx.0.send(event);
    }

    /// How many events were sent so far.
    pub fn sent(&self) -> u64 {
        self.tx.lock().expect("event sink lock").1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_events_keep_their_json_names() {
        let list = serde_json::to_value(Event::ConversationList {
            conversations: Vec::new(),
        })
        .unwrap();
        assert_eq!(list["event"], "conversations");
        let unread = serde_json::to_value(Event::Unread {
            conversations: BTreeMap::new(),
            total: 0,
        })
        .unwrap();
        assert_eq!(unread["event"], "unread");
    }
}
