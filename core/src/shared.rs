//! What every task of a running client reads: who is signed in, the REST client, the cache,
//! the link, the event sink, the open conversation and the tasks spawned on the way.
//!
//! The outbox's and the calls' own state live in those modules ([`crate::outbox::Delivery`],
//! [`crate::call_owner`]); this holds only what no one task owns.

use crate::api::{ApiClient, ApiError};
use crate::cache::CacheHandle;
use crate::config::ClientConfig;
use crate::error::ClientError;
use crate::events::{Event, EventSink, PresenceNow, TypingNow};
use crate::socket::{Features, LinkState, SocketHandle};
use crate::typing;
use nursecare_wire::{Id, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::task::JoinSet;

/// What the tasks of one client share.
pub(crate) struct Shared {
    /// The signed-in user.
    pub me: Id,
    pub api: ApiClient,
    pub cache: CacheHandle,
    pub events: EventSink,
    pub socket: SocketHandle,
    pub config: ClientConfig,
    open: Mutex<Option<Id>>,
    dirty: Mutex<Dirty>,
    /// One sync at a time.
    pub sync_lock: tokio::sync::Mutex<()>,
    /// One download into the cache at a time: two at once could wipe each other's chunks.
    pub keeping: tokio::sync::Mutex<()>,
    /// How many connect-time syncs have finished (well or not).
    pub syncs: tokio::sync::watch::Sender<u64>,
    pub typing_sent: Mutex<typing::Sent>,
    /// Work started on the way (syncs, refreshes, call watchers): stopped with the client.
    tasks: Mutex<Option<JoinSet<()>>>,
    /// The runtime the client started on: its tasks run there, whoever starts them (a
    /// window's command may run on the UI thread, outside any runtime).
    runtime: tokio::runtime::Handle,
    /// Who is shown typing and who is online, as last announced: for a snapshot.
    live: Mutex<Live>,
    /// Whether the window has the user's attention (see `reads`).
    focused: AtomicBool,
    /// Whether the open chat should be checked for unread messages on the next tick.
    read_request: AtomicBool,
}

/// What the UI shows that lives only in memory (not in the cache).
#[derive(Debug, Default)]
pub(crate) struct Live {
    /// (conversation, user) shown typing.
    pub typing: BTreeSet<(Id, Id)>,
    /// user → (online, last seen).
    pub presence: BTreeMap<Id, (bool, Option<Timestamp>)>,
}

/// List rows and counts to re-announce on the engine's next tick (coalesced: under a burst of
/// messages the UI gets one update per tick, not one per message).
#[derive(Debug, Default)]
pub(crate) struct Dirty {
    pub conversations: BTreeSet<Id>,
    pub unread: bool,
}

impl Shared {
    pub fn new(
        me: Id,
        api: ApiClient,
        cache: CacheHandle,
        events: EventSink,
        socket: SocketHandle,
        config: ClientConfig,
    ) -> Self {
        Self {
            me,
            api,
            cache,
            events,
            socket,
            config,
            open: Mutex::new(None),
            dirty: Mutex::new(Dirty::default()),
            sync_lock: tokio::sync::Mutex::new(()),
            keeping: tokio::sync::Mutex::new(()),
            syncs: tokio::sync::watch::Sender::new(0),
            typing_sent: Mutex::new(typing::Sent::default()),
            tasks: Mutex::new(Some(JoinSet::new())),
            runtime: tokio::runtime::Handle::current(),
            live: Mutex::new(Live::default()),
            focused: AtomicBool::new(false),
            read_request: AtomicBool::new(false),
        }
    }

    /// Shows (or stops showing) someone typing, and remembers it for a snapshot.
    pub fn show_typing(&self, conversation_id: Id, user_id: Id, typing: bool) {
        {
            let mut live = self.live.lock().expect("live lock");
            if typing {
                live.typing.insert((conversation_id, user_id));
            } else {
                live.typing.remove(&(conversation_id, user_id));
            }
        }
        self.events.send(Event::Typing {
            conversation_id,
            user_id,
            typing,
        });
    }

    /// Shows a contact's presence, and remembers it for a snapshot.
    pub fn show_presence(&self, user_id: Id, online: bool, last_seen: Option<Timestamp>) {
        self.live
            .lock()
            .expect("live lock")
            .presence
            .insert(user_id, (online, last_seen));
        self.events.send(Event::Presence {
            user_id,
            online,
            last_seen,
        });
    }

    /// The link went down: what was heard of presence and typing on it no longer holds (the
    /// next connection asks again).
    pub fn forget_live(&self) {
        let mut live = self.live.lock().expect("live lock");
        live.presence.clear();
        live.typing.clear();
    }

    /// Who is shown typing, and who is online, now.
    pub fn live(&self) -> (Vec<TypingNow>, Vec<PresenceNow>) {
        let live = self.live.lock().expect("live lock");
        let typing = live
            .typing
            .iter()
            .map(|&(conversation_id, user_id)| TypingNow {
                conversation_id,
                user_id,
            })
            .collect();
        let presence = live
            .presence
            .iter()
            .map(|(&user_id, &(online, last_seen))| PresenceNow {
                user_id,
                online,
                last_seen,
            })
            .collect();
        (typing, presence)
    }

    /// Marks a conversation's row (and, when `unread`, the counts) for the next tick.
    pub fn touch(&self, conversation: Id, unread: bool) {
        let mut d = self.dirty.lock().expect("dirty lock");
        d.conversations.insert(conversation);
        d.unread |= unread;
    }

    /// What was marked since the last call.
    pub fn take_dirty(&self) -> Dirty {
        std::mem::take(&mut *self.dirty.lock().expect("dirty lock"))
    }

    /// The conversation the user has open.
    pub fn open_conversation(&self) -> Option<Id> {
        *self.open.lock().expect("open lock")
    }

    /// Opens a conversation (or none): remembered here and joined by the link.
    pub fn set_open_conversation(&self, conversation: Option<Id>) {
        *self.open.lock().expect("open lock") = conversation;
        self.socket.open_conversation(conversation);
        self.request_read();
    }

    /// Whether the window has the user's attention.
    pub fn focused(&self) -> bool {
        self.focused.load(Ordering::SeqCst)
    }

    /// The window gained or lost the user's attention.
    pub fn set_focused(&self, focused: bool) {
        self.focused.store(focused, Ordering::SeqCst);
        if focused {
            self.request_read();
        }
    }

    /// Asks the next tick to check the open chat for unread messages.
    pub fn request_read(&self) {
        self.read_request.store(true, Ordering::SeqCst);
    }

    /// Whether a check was asked for since the last call.
    pub fn take_read_request(&self) -> bool {
        self.read_request.swap(false, Ordering::SeqCst)
    }

    /// The features the server offers, when online.
    pub fn features(&self) -> Option<Features> {
        match &*self.socket.state().borrow() {
            LinkState::Online { features, .. } => Some(*features),
            _ => None,
        }
    }

    /// Sends an event to the server over the link, or fails with [`ClientError::Offline`].
    pub async fn tell_server<T: Serialize>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), ClientError> {
        let value = serde_json::to_value(data).map_err(|e| ApiError::Decode(e.to_string()))?;
        Ok(self.socket.emit(event, value).await?)
    }

    /// Runs `work` as a task of this client: it stops when the client does. (After
    /// [`Shared::stop_tasks`] nothing new starts.)
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().expect("tasks lock");
        if let Some(set) = tasks.as_mut() {
            // Reap the finished ones so a client left running all shift does not grow.
            while set.try_join_next().is_some() {}
            set.spawn_on(work, &self.runtime);
        }
    }

    /// Stops every task started with [`Shared::spawn`] and waits until they have.
    pub async fn stop_tasks(&self) {
        let set = self.tasks.lock().expect("tasks lock").take();
        if let Some(mut set) = set {
            set.abort_all();
            while set.join_next().await.is_some() {}
        }
    }
}
