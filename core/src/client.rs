//! The client: one signed-in account on one server, with its cache, its link and the tasks that
//! keep them in step. The UI and the CLI talk to this type only.
//!
//! Data flows one way: server → socket/REST → cache → [`Event`]s. Reads ([`Client::history`],
//! [`Client::conversations`], [`Client::search`]) answer from the cache, so they work offline.
//! Writes that must reach the server go through the outbox ([`Client::send`]) or straight to
//! REST (calls, read marks) and fail with [`ClientError::Offline`] when it cannot be reached.

use crate::api::{ApiClient, ApiConfig, ApiError};
use crate::cache::{CacheError, CacheHandle, ConversationSummary, OutboxItem};
use crate::calls::Board;
use crate::events::{Connection, Event, EventSink, EventStream};
use crate::profile::{Profile, ProfileError};
use crate::session::Session;
use crate::socket::{self, LinkState, SocketConfig, SocketHandle};
use crate::typing;
use crate::{engine, outbox, sync};
use nursecare_wire::events::client as cev;
use nursecare_wire::socket::{AcceptVideoCall, CallAction, EndVideoCall, StartVideoCall, Typing};
use nursecare_wire::{Conversation, Id, Message, VideoCall, VideoCallWithUrl};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Longest message the server accepts, in Unicode scalar values (Part B.7; production has no
/// limit, but a message this long is a paste gone wrong).
pub const MAX_MESSAGE_CHARS: usize = 10_000;

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
    /// Nothing of that id here.
    #[error("{0}")]
    NotFound(String),
}

impl From<socket::SocketError> for ClientError {
    fn from(_: socket::SocketError) -> Self {
        Self::Offline
    }
}

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
    /// How often to poll `/ongoing` for calls where the server lacks userRing.
    pub ring_poll: Duration,
    /// Calls started longer ago than this do not ring.
    pub ring_for: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            api: ApiConfig::default(),
            socket: SocketConfig::new("", None, 0),
            echo_timeout: Duration::from_secs(10),
            max_attempts: 5,
            ring_poll: Duration::from_secs(5),
            ring_for: Duration::from_secs(60),
        }
    }
}

/// The message being emitted now (one at a time keeps the order and ties a production echo,
/// which has no clientId, to its row).
#[derive(Debug, Clone)]
pub(crate) struct InFlight {
    pub client_id: String,
    pub conversation_id: Id,
    pub content: String,
    pub local_id: i64,
}

/// What every task of a client shares.
pub(crate) struct Ctx {
    pub me: Id,
    pub api: ApiClient,
    pub cache: CacheHandle,
    pub events: EventSink,
    pub socket: SocketHandle,
    pub config: ClientConfig,
    pub inflight: Mutex<Option<InFlight>>,
    /// Woken when an outbox row is confirmed or failed.
    pub settled: Notify,
    /// Woken when a row is queued.
    pub kick: Notify,
    pub open: Mutex<Option<Id>>,
    /// List rows and counts to re-emit on the engine's next tick (coalesced: under a burst
    /// of messages the UI gets one update per tick, not one per message).
    pub dirty: Mutex<Dirty>,
    pub sync_lock: tokio::sync::Mutex<()>,
    /// How many connect-time syncs have finished (well or not).
    pub syncs: tokio::sync::watch::Sender<u64>,
    pub typing_sent: Mutex<typing::Sent>,
    pub calls: Mutex<Board>,
}

/// What changed since the last tick.
#[derive(Debug, Default)]
pub(crate) struct Dirty {
    pub conversations: std::collections::BTreeSet<Id>,
    pub unread: bool,
}

impl Ctx {
    /// Marks a conversation's row (and, when `unread`, the counts) for the next tick.
    pub fn touch(&self, conversation: Id, unread: bool) {
        let mut d = self.dirty.lock().expect("dirty lock");
        d.conversations.insert(conversation);
        d.unread |= unread;
    }

    /// The features the server offers, when online.
    pub fn features(&self) -> Option<socket::Features> {
        match &*self.socket.state().borrow() {
            LinkState::Online(f) => Some(*f),
            _ => None,
        }
    }

    pub async fn emit_unread(&self) {
        let me = self.me;
        match self.cache.call(move |c| c.unread_counts(me)).await {
            Ok(counts) => {
                let total = counts.iter().map(|(_, n)| n).sum();
                self.events.send(Event::Unread {
                    conversations: counts.into_iter().collect(),
                    total,
                });
            }
            Err(e) => tracing::warn!(error = %e, "unread counts"),
        }
    }

    pub async fn emit_summary(&self, conversation: Id) -> bool {
        let me = self.me;
        match self
            .cache
            .call(move |c| c.conversation_summary(conversation, me))
            .await
        {
            Ok(Some(summary)) => {
                self.events.send(Event::Conversation { summary });
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(error = %e, "conversation summary");
                false
            }
        }
    }

    pub async fn emit_conversations(&self) {
        let me = self.me;
        match self.cache.call(move |c| c.conversation_summaries(me)).await {
            Ok(conversations) => self.events.send(Event::Conversations { conversations }),
            Err(e) => tracing::warn!(error = %e, "conversation list"),
        }
    }

    pub async fn emit_connection(&self, state: &LinkState) {
        let outbox = self
            .cache
            .call(|c| c.outbox_pending_count())
            .await
            .unwrap_or(0);
        let (state, retry_in_ms) = match state {
            LinkState::Online(_) => (Connection::Online, None),
            LinkState::Connecting => (Connection::Connecting, None),
            LinkState::Offline { retry_in } => {
                (Connection::Offline, Some(retry_in.as_millis() as u64))
            }
            LinkState::SessionExpired => (Connection::SignedOut, None),
            LinkState::Stopped => (Connection::Offline, None),
        };
        self.events.send(Event::Connection {
            state,
            outbox,
            retry_in_ms,
        });
    }

    /// Emits on the socket, or fails with [`ClientError::Offline`].
    pub async fn emit<T: Serialize>(&self, event: &str, data: &T) -> Result<(), ClientError> {
        let value = serde_json::to_value(data).map_err(|e| ApiError::Decode(e.to_string()))?;
        Ok(self.socket.emit(event, value).await?)
    }
}

/// A running client.
pub struct Client {
    ctx: Arc<Ctx>,
    tasks: Vec<JoinHandle<()>>,
}

impl Client {
    /// Opens the account's cache, connects, and starts syncing. Events (starting with a
    /// [`Event::CacheRebuilt`] if the cache had to be rebuilt) arrive on the stream.
    pub async fn start(
        profile: &Profile,
        session: &Session,
        config: ClientConfig,
    ) -> Result<(Self, EventStream), ClientError> {
        let (cache, moved) = profile.open_cache(session).await?;
        let (events, stream) = EventSink::new();
        if let Some(m) = moved {
            events.send(Event::CacheRebuilt {
                moved_to: m.to.display().to_string(),
                reason: m.reason,
            });
        }
        let cache = CacheHandle::spawn(cache);
        if let Err(e) = cache.call(|c| c.outbox_prune()).await {
            tracing::warn!(error = %e, "outbox prune");
        }
        let api = ApiClient::new(profile.server(), config.api.clone())?.with_token(&session.token);
        let mut socket_config = config.socket.clone();
        socket_config.url = profile.server().to_owned();
        socket_config.token = Some(session.token.clone());
        socket_config.user_id = session.user_id;
        let (socket, server_events) = socket::spawn(socket_config);
        let ctx = Arc::new(Ctx {
            me: session.user_id,
            api,
            cache,
            events,
            socket,
            config,
            inflight: Mutex::new(None),
            settled: Notify::new(),
            kick: Notify::new(),
            open: Mutex::new(None),
            dirty: Mutex::new(Dirty::default()),
            sync_lock: tokio::sync::Mutex::new(()),
            syncs: tokio::sync::watch::Sender::new(0),
            typing_sent: Mutex::new(typing::Sent::default()),
            calls: Mutex::new(Board::default()),
        });
        let tasks = vec![
            tokio::spawn(engine::run(ctx.clone(), server_events)),
            tokio::spawn(outbox::run(ctx.clone())),
            tokio::spawn(crate::calls::poll(ctx.clone())),
        ];
        Ok((Self { ctx, tasks }, stream))
    }

    /// The signed-in user.
    pub fn me(&self) -> Id {
        self.ctx.me
    }

    /// Watches the link.
    pub fn link(&self) -> tokio::sync::watch::Receiver<LinkState> {
        self.ctx.socket.state()
    }

    /// Waits until the link is online, up to `timeout`; answers whether it is.
    pub async fn wait_online(&self, timeout: Duration) -> bool {
        let mut link = self.link();
        tokio::time::timeout(timeout, async {
            loop {
                if matches!(&*link.borrow_and_update(), LinkState::Online(_)) {
                    return true;
                }
                if matches!(
                    &*link.borrow(),
                    LinkState::SessionExpired | LinkState::Stopped
                ) || link.changed().await.is_err()
                {
                    return false;
                }
            }
        })
        .await
        .unwrap_or(false)
    }

    /// Waits until the sync of the latest connect has finished (well or not), and any sync
    /// running now.
    pub async fn synced(&self) {
        let mut syncs = self.ctx.syncs.subscribe();
        let _ = syncs.wait_for(|n| *n > 0).await;
        drop(self.ctx.sync_lock.lock().await);
    }

    /// Fetches the conversation list and catches every conversation up now.
    pub async fn sync(&self) -> Result<(), ClientError> {
        sync::full(&self.ctx).await
    }

    /// The conversation list from the cache, most recent first.
    pub async fn conversations(&self) -> Result<Vec<ConversationSummary>, ClientError> {
        let me = self.ctx.me;
        Ok(self
            .ctx
            .cache
            .call(move |c| c.conversation_summaries(me))
            .await?)
    }

    /// Gets or creates the conversation with another user (REST; does not join it).
    pub async fn open_with(
        &self,
        other: Id,
        booking: Option<Id>,
    ) -> Result<Conversation, ClientError> {
        let conversation = self.ctx.api.create_conversation(other, booking).await?;
        let put = conversation.clone();
        self.ctx
            .cache
            .call(move |c| c.put_conversations(std::slice::from_ref(&put)))
            .await?;
        self.ctx.emit_summary(conversation.id).await;
        Ok(conversation)
    }

    /// A page of history, newest first, older than message `before`: from the cache, and from
    /// the server only past the oldest cached message (when reachable).
    pub async fn history(
        &self,
        conversation: Id,
        before: Option<Id>,
        limit: u32,
    ) -> Result<Vec<Message>, ClientError> {
        sync::page(&self.ctx, conversation, before, limit).await
    }

    /// Searches the cached messages (never the network).
    pub async fn search(&self, query: &str, limit: u32) -> Result<Vec<Message>, ClientError> {
        let query = query.to_owned();
        Ok(self
            .ctx
            .cache
            .call(move |c| c.search(&query, limit))
            .await?)
    }

    /// Queues a message; it goes out now if the link is up, else when it returns. Progress
    /// arrives as [`Event::Outbox`].
    pub async fn send(&self, conversation: Id, text: &str) -> Result<OutboxItem, ClientError> {
        let chars = text.chars().count();
        if text.trim().is_empty() {
            return Err(ClientError::Empty);
        }
        if chars > MAX_MESSAGE_CHARS {
            return Err(ClientError::TooLong {
                chars,
                max: MAX_MESSAGE_CHARS,
            });
        }
        let client_id = new_client_id();
        let content = text.to_owned();
        let item = self
            .ctx
            .cache
            .call(move |c| c.outbox_add(conversation, &content, &client_id))
            .await?;
        self.ctx.events.send(Event::Outbox { item: item.clone() });
        self.stop_typing(conversation).await;
        self.ctx.kick.notify_one();
        Ok(item)
    }

    /// Unsent messages (pending and failed), of one conversation when given.
    pub async fn outbox(&self, conversation: Option<Id>) -> Result<Vec<OutboxItem>, ClientError> {
        Ok(self
            .ctx
            .cache
            .call(move |c| c.outbox_unsent(conversation))
            .await?)
    }

    /// Puts a failed message back in the queue.
    pub async fn retry(&self, client_id: &str) -> Result<OutboxItem, ClientError> {
        let id = client_id.to_owned();
        let item = self
            .ctx
            .cache
            .call(move |c| c.outbox_retry(&id))
            .await?
            .ok_or_else(|| ClientError::NotFound("no failed message with that id".into()))?;
        self.ctx.events.send(Event::Outbox { item: item.clone() });
        self.ctx.kick.notify_one();
        Ok(item)
    }

    /// Drops a failed message.
    pub async fn discard(&self, client_id: &str) -> Result<bool, ClientError> {
        let id = client_id.to_owned();
        Ok(self.ctx.cache.call(move |c| c.outbox_discard(&id)).await?)
    }

    /// Marks a conversation read (REST) and clears its count here.
    pub async fn mark_read(&self, conversation: Id) -> Result<u64, ClientError> {
        let n = self.ctx.api.mark_read(conversation).await?;
        let me = self.ctx.me;
        self.ctx
            .cache
            .call(move |c| c.mark_read_by(conversation, me))
            .await?;
        self.ctx.emit_unread().await;
        self.ctx.emit_summary(conversation).await;
        Ok(n)
    }

    /// The conversation the user has open, or none: it is joined now and after every
    /// reconnect (joining marks its messages read, so only an open chat is ever joined).
    pub fn open(&self, conversation: Option<Id>) {
        *self.ctx.open.lock().expect("open lock") = conversation;
        self.ctx.socket.open_conversation(conversation);
    }

    /// A keystroke in a conversation's composer.
    pub async fn keystroke(&self, conversation: Id) {
        let send = self
            .ctx
            .typing_sent
            .lock()
            .expect("typing lock")
            .keystroke(conversation, Instant::now());
        if send {
            self.emit_typing(conversation, true).await;
        }
    }

    /// The composer was cleared or its message sent.
    pub async fn stop_typing(&self, conversation: Id) {
        let send = self
            .ctx
            .typing_sent
            .lock()
            .expect("typing lock")
            .stop(conversation);
        if send {
            self.emit_typing(conversation, false).await;
        }
    }

    async fn emit_typing(&self, conversation: Id, typing: bool) {
        let payload = Typing {
            conversation_id: conversation,
            user_id: Some(self.ctx.me),
            is_typing: typing,
        };
        // Typing is best effort: offline, nobody is watching.
        let _ = self.ctx.emit(cev::TYPING, &payload).await;
    }

    /// Starts a call in a conversation and rings the other side.
    pub async fn start_call(&self, conversation: Id) -> Result<VideoCallWithUrl, ClientError> {
        let call = self.ctx.api.start_call(conversation).await?;
        self.remember_call(&call.call).await;
        let payload = StartVideoCall {
            conversation_id: conversation,
            room_name: call.call.room_name.clone(),
            user_id: Some(self.ctx.me),
            call_id: call.call.id,
        };
        if let Err(e) = self.ctx.emit(cev::START_VIDEO_CALL, &payload).await {
            // The call exists; the callee's polling (or userRing on reconnect) still finds it.
            tracing::warn!(error = %e, "startVideoCall not emitted");
        }
        crate::calls::watch_unanswered(self.ctx.clone(), call.call.clone());
        Ok(call)
    }

    /// Accepts a ringing call by its room.
    pub async fn accept_call(&self, room_name: &str) -> Result<VideoCallWithUrl, ClientError> {
        let call = self.ctx.api.accept_call(room_name).await?;
        self.remember_call(&call.call).await;
        self.ctx
            .calls
            .lock()
            .expect("calls lock")
            .answered(call.call.id);
        let payload = AcceptVideoCall {
            conversation_id: call.call.conversation_id,
            room_name: call.call.room_name.clone(),
            user_id: Some(self.ctx.me),
        };
        if let Err(e) = self.ctx.emit(cev::ACCEPT_VIDEO_CALL, &payload).await {
            tracing::warn!(error = %e, "acceptVideoCall not emitted");
        }
        Ok(call)
    }

    /// Declines a ringing call.
    pub async fn reject_call(&self, call: Id) -> Result<VideoCall, ClientError> {
        let call = self.ctx.api.reject_call(call).await?;
        self.remember_call(&call).await;
        self.ctx.calls.lock().expect("calls lock").answered(call.id);
        self.call_action(cev::REJECT_VIDEO_CALL, &call).await;
        Ok(call)
    }

    /// Hangs up (the web client's way of ending: `/end`, then `hangupVideoCall`).
    pub async fn hang_up(&self, call: Id) -> Result<VideoCall, ClientError> {
        let call = self.ctx.api.end_call(call).await?;
        self.remember_call(&call).await;
        self.call_action(cev::HANGUP_VIDEO_CALL, &call).await;
        Ok(call)
    }

    /// Ends a call for both sides (`/end`, then `endVideoCall` with its duration).
    pub async fn end_call(&self, call: Id) -> Result<VideoCall, ClientError> {
        let call = self.ctx.api.end_call(call).await?;
        self.remember_call(&call).await;
        let payload = EndVideoCall {
            conversation_id: call.conversation_id,
            user_id: Some(self.ctx.me),
            duration: call.duration,
            // Part B; production ignores the extra field.
            call_id: Some(call.id),
        };
        if let Err(e) = self.ctx.emit(cev::END_VIDEO_CALL, &payload).await {
            tracing::warn!(error = %e, "endVideoCall not emitted");
        }
        Ok(call)
    }

    /// Marks an unanswered call missed.
    pub async fn mark_missed(&self, call: Id) -> Result<VideoCall, ClientError> {
        let call = self.ctx.api.missed_call(call).await?;
        self.remember_call(&call).await;
        Ok(call)
    }

    /// A conversation's calls, newest first: from the server, or the cache when offline.
    pub async fn call_history(&self, conversation: Id) -> Result<Vec<VideoCall>, ClientError> {
        match self.ctx.api.call_history(conversation).await {
            Ok(calls) => {
                let put = calls.clone();
                self.ctx.cache.call(move |c| c.put_calls(&put)).await?;
                Ok(calls)
            }
            Err(e) if e.is_network() => {
                Ok(self.ctx.cache.call(move |c| c.calls(conversation)).await?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The ongoing call of a conversation, if any.
    pub async fn ongoing_call(&self, conversation: Id) -> Result<Option<VideoCall>, ClientError> {
        Ok(self.ctx.api.ongoing_call(conversation).await?)
    }

    async fn remember_call(&self, call: &VideoCall) {
        let put = call.clone();
        if let Err(e) = self
            .ctx
            .cache
            .call(move |c| c.put_calls(std::slice::from_ref(&put)))
            .await
        {
            tracing::warn!(error = %e, "call not cached");
        }
    }

    async fn call_action(&self, event: &str, call: &VideoCall) {
        let payload = CallAction {
            conversation_id: call.conversation_id,
            call_id: call.id,
            user_id: Some(self.ctx.me),
        };
        if let Err(e) = self.ctx.emit(event, &payload).await {
            tracing::warn!(error = %e, event, "call event not emitted");
        }
    }

    /// Disconnects and stops every task. Unsent messages stay in the outbox for next time.
    pub async fn shutdown(self) {
        self.ctx.socket.stop().await;
        for t in &self.tasks {
            t.abort();
        }
        // Last: no database work may outlive the client (the process may exit next).
        self.ctx.cache.close().await;
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A random UUID (version 4), the clientId of a queued message.
fn new_client_id() -> String {
    let mut b = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_ids_are_v4_uuids() {
        let a = super::new_client_id();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(a, super::new_client_id());
    }
}
