//! The client: one signed-in account on one server, with its cache, its link and the tasks that
//! keep them in step. The UI and the CLI talk to this type only.
//!
//! Data flows one way: server → socket/REST → cache → [`Event`]s. Reads ([`Client::history`],
//! [`Client::conversations`], [`Client::search`]) answer from the cache, so they work offline.
//! Writes that must reach the server go through the outbox ([`Client::send`]) or straight to
//! REST (calls, read marks) and fail with [`ClientError::Offline`] when it cannot be reached.

use crate::announce;
use crate::api::ApiClient;
use crate::cache::{CacheHandle, ConversationSummary, OutboxItem};
use crate::call_owner::CallOwner;
use crate::engine::{self, Engine};
use crate::events::{Event, EventSink, EventStream, RingingNow, Snapshot};
use crate::my_call::{CallNow, Phase};
use crate::outbox::{self, Delivery};
use crate::profile::Profile;
use crate::reads;
use crate::ring_poll;
use crate::search::{self, SearchHit};
use crate::session::Session;
use crate::shared::Shared;
use crate::socket::{self, LinkState};
use crate::sync;
use nursecare_wire::events::client as cev;
use nursecare_wire::socket::Typing;
use nursecare_wire::{Conversation, Id, Message, VideoCall, VideoCallWithUrl};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

pub use crate::config::ClientConfig;
pub use crate::error::ClientError;

/// Longest message the server accepts, in Unicode scalar values (Part B.7; production has no
/// limit, but a message this long is a paste gone wrong).
pub const MAX_MESSAGE_CHARS: usize = 10_000;

/// A running client.
pub struct Client {
    shared: Arc<Shared>,
    delivery: Arc<Delivery>,
    calls: CallOwner,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
    /// Whether `shutdown` has run (it may be called from several places, once takes effect).
    stopped: tokio::sync::Mutex<bool>,
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
        // Urgent messages not read yet are alerted again until read (our server), those
        // already waiting in the cache too.
        let urgent = crate::urgent::start(session.user_id, events.clone(), config.urgent_every);
        events.tap(urgent.clone());
        if let Some(m) = moved {
            events.send(Event::CacheRebuilt {
                moved_to: m.to.display().to_string(),
                reason: m.reason,
            });
        }
        let cache = CacheHandle::spawn(cache);
        let me = session.user_id;
        match cache.call(move |c| c.unread_urgent(me)).await {
            Ok(waiting) if !waiting.is_empty() => {
                let _ = urgent.send(Event::MessagesFound {
                    conversation_id: waiting[0].conversation_id,
                    messages: waiting,
                });
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "urgent messages waiting"),
        }
        if let Err(e) = cache.call(|c| c.outbox_prune()).await {
            tracing::warn!(error = %e, "outbox prune");
        }
        let mut socket_config = config.socket.clone();
        socket_config.url = profile.server().to_owned();
        socket_config.token = Some(session.token.clone());
        socket_config.user_id = session.user_id;
        // A refused handshake does not say why; one REST request does (an administrator's
        // sign-out is told as such).
        let asker =
            ApiClient::new(profile.server(), config.api.clone())?.with_token(&session.token);
        let why_refused: socket::WhyRefused = Arc::new(move || {
            let asker = asker.clone();
            Box::pin(async move {
                asker.unread_count().await == Err(crate::api::ApiError::SignedOutByAdmin)
            })
        });
        let (socket, server_events) = socket::spawn_with(socket_config, Some(why_refused));
        // A token refused over REST (production's socket never checks it) ends the link as a
        // refused session: one sign-out, seen by every task and the UI. A message emitted
        // before may be stored all the same (that socket takes no token): the link ends once
        // its echo has settled it, so it is told as sent, not left unknown.
        let delivery = Arc::new(Delivery::default());
        let (link, flights, echo_wait) = (socket.clone(), delivery.clone(), config.echo_timeout);
        let api = ApiClient::new(profile.server(), config.api.clone())?
            .with_token(&session.token)
            .on_session_expired(move |by_admin| {
                // Said at once, before any other task ends the link for the same refusal.
                if by_admin {
                    link.mark_signed_out_by_admin();
                }
                let (link, flights) = (link.clone(), flights.clone());
                tokio::spawn(async move {
                    flights.landed(echo_wait).await;
                    link.session_expired();
                });
            });
        let shared = Arc::new(Shared::new(
            session.user_id,
            api,
            cache,
            events,
            socket,
            config,
        ));
        let (calls, call_owner) = CallOwner::spawn(shared.clone());
        let engine = Engine {
            shared: shared.clone(),
            delivery: delivery.clone(),
            calls: calls.clone(),
        };
        let tasks = vec![
            tokio::spawn(engine::run(engine, server_events)),
            tokio::spawn(outbox::run(shared.clone(), delivery.clone())),
            tokio::spawn(ring_poll::poll(shared.clone(), calls.clone())),
            call_owner,
        ];
        Ok((
            Self {
                shared,
                delivery,
                calls,
                tasks: std::sync::Mutex::new(tasks),
                stopped: tokio::sync::Mutex::new(false),
            },
            stream,
        ))
    }

    /// The signed-in user.
    pub fn me(&self) -> Id {
        self.shared.me
    }

    /// Watches the link.
    pub fn link(&self) -> tokio::sync::watch::Receiver<LinkState> {
        self.shared.socket.state()
    }

    /// Whether the session ended because an administrator signed the user out (rather than
    /// because its token expired or was refused).
    pub fn signed_out_by_admin(&self) -> bool {
        self.shared.socket.signed_out_by_admin()
    }

    /// Waits until the link is online, up to `timeout`; answers whether it is.
    pub async fn wait_online(&self, timeout: Duration) -> bool {
        let mut link = self.link();
        tokio::time::timeout(timeout, async {
            loop {
                if matches!(&*link.borrow_and_update(), LinkState::Online { .. }) {
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
        let mut syncs = self.shared.syncs.subscribe();
        let _ = syncs.wait_for(|n| *n > 0).await;
        drop(self.shared.sync_lock.lock().await);
    }

    /// Fetches the conversation list and catches every conversation up now.
    pub async fn sync(&self) -> Result<(), ClientError> {
        sync::full(&self.shared).await
    }

    /// The conversation list from the cache, most recent first.
    pub async fn conversations(&self) -> Result<Vec<ConversationSummary>, ClientError> {
        let me = self.shared.me;
        Ok(self
            .shared
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
        let conversation = self.shared.api.create_conversation(other, booking).await?;
        let put = conversation.clone();
        self.shared
            .cache
            .call(move |c| c.put_conversations(std::slice::from_ref(&put)))
            .await?;
        announce::row(&self.shared, conversation.id).await;
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
        sync::page(&self.shared, conversation, before, limit).await
    }

    /// Searches the cached messages (never the network), newest first, each with a snippet.
    pub async fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>, ClientError> {
        let query = query.to_owned();
        let found = self
            .shared
            .cache
            .call(move |c| c.search_hits(&query, limit))
            .await?;
        Ok(found
            .into_iter()
            .map(|(message, marked)| SearchHit {
                message,
                snippet: search::parts(&marked),
            })
            .collect())
    }

    /// A message and up to `n` cached messages on each side of it, newest first: where a
    /// search hit opens its thread (from the cache; paging on from there as usual).
    pub async fn around(
        &self,
        conversation: Id,
        message: Id,
        n: u32,
    ) -> Result<Vec<Message>, ClientError> {
        Ok(self
            .shared
            .cache
            .call(move |c| {
                let mut newer = c.messages_after(conversation, message, n)?;
                newer.reverse();
                let Some(this) = c.message(message)? else {
                    return Ok(Vec::new());
                };
                if this.conversation_id != conversation {
                    return Ok(Vec::new());
                }
                newer.push(this);
                newer.extend(c.messages(conversation, Some(message), n)?);
                Ok(newer)
            })
            .await?)
    }

    /// Queues a message; it goes out now if the link is up, else when it returns. Progress
    /// arrives as [`Event::Outbox`].
    pub async fn send(&self, conversation: Id, text: &str) -> Result<OutboxItem, ClientError> {
        self.send_with(conversation, text, false).await
    }

    /// [`Client::send`], marked urgent when `urgent` (our server: the recipient's app alerts
    /// again until it is read). Refused at once where the server is known to lack urgent
    /// messages (production): [`ClientError::NoUrgent`].
    pub async fn send_with(
        &self,
        conversation: Id,
        text: &str,
        urgent: bool,
    ) -> Result<OutboxItem, ClientError> {
        if urgent && self.shared.features().is_some_and(|f| !f.urgent) {
            return Err(ClientError::NoUrgent);
        }
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
        // Queued in the same trip to the cache that checks the conversation is known (the
        // usual case); one the cache does not know is looked up first.
        let (cid, text) = (client_id.clone(), content.clone());
        let queued = self
            .shared
            .cache
            .call(move |c| c.outbox_add_if_known(conversation, &text, &cid, urgent))
            .await?;
        let item = match queued {
            Some(item) => item,
            None => {
                self.check_conversation(conversation).await?;
                self.shared
                    .cache
                    .call(move |c| c.outbox_add_with(conversation, &content, &client_id, urgent))
                    .await?
            }
        };
        self.shared
            .events
            .send(Event::Outbox { item: item.clone() });
        self.stop_typing(conversation).await;
        self.delivery.kick();
        Ok(item)
    }

    /// Looks a conversation the cache does not know up on the server's list (it may be new,
    /// or the cache not synced yet), and refuses it when it is not the user's, or when the
    /// server cannot be reached to tell.
    async fn check_conversation(&self, conversation: Id) -> Result<(), ClientError> {
        // Not cached (yet: a fresh cache syncs after connecting): ask the server's list.
        match self.shared.api.conversations().await {
            Ok(list) => {
                if let Some(mut found) = list.into_iter().find(|c| c.id == conversation) {
                    // Its row only: its messages come with the sync, which pages back from
                    // what the cache held (storing a newest page here could hide a gap).
                    found.messages.clear();
                    self.shared
                        .cache
                        .call(move |c| c.put_conversations(std::slice::from_ref(&found)))
                        .await?;
                    announce::list(&self.shared).await;
                    return Ok(());
                }
            }
            // Unreachable: nothing says it is not the user's, nothing says it is.
            Err(e) if e.is_network() => {
                return Err(ClientError::ConversationUnchecked(conversation));
            }
            Err(e) => return Err(e.into()),
        }
        Err(ClientError::UnknownConversation(conversation))
    }

    /// Unsent messages (pending and failed), of one conversation when given.
    pub async fn outbox(&self, conversation: Option<Id>) -> Result<Vec<OutboxItem>, ClientError> {
        Ok(self
            .shared
            .cache
            .call(move |c| c.outbox_unsent(conversation))
            .await?)
    }

    /// Puts a failed message back in the queue.
    pub async fn retry(&self, client_id: &str) -> Result<OutboxItem, ClientError> {
        let id = client_id.to_owned();
        let item = self
            .shared
            .cache
            .call(move |c| c.outbox_retry(&id))
            .await?
            .ok_or_else(|| ClientError::NotFound("no failed message with that id".into()))?;
        self.shared
            .events
            .send(Event::Outbox { item: item.clone() });
        self.delivery.kick();
        Ok(item)
    }

    /// Drops a failed message (the user chose not to send it); says so on the stream.
    pub async fn discard(&self, client_id: &str) -> Result<bool, ClientError> {
        let id = client_id.to_owned();
        let dropped = self
            .shared
            .cache
            .call(move |c| {
                let row = c.outbox_item(&id)?;
                Ok(if c.outbox_discard(&id)? { row } else { None })
            })
            .await?;
        match dropped {
            Some(row) => {
                self.shared.events.send(Event::OutboxDiscarded {
                    client_id: row.client_id,
                    conversation_id: row.conversation_id,
                });
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Marks a conversation read (REST) and clears its count here.
    pub async fn mark_read(&self, conversation: Id) -> Result<u64, ClientError> {
        reads::mark_read(&self.shared, conversation).await
    }

    /// Mutes (or unmutes) a conversation on this device: no notifications for it.
    pub async fn set_muted(&self, conversation: Id, muted: bool) -> Result<(), ClientError> {
        self.shared
            .cache
            .call(move |c| c.set_muted(conversation, muted))
            .await?;
        announce::row(&self.shared, conversation).await;
        Ok(())
    }

    /// Keeps the composer's unsent text of a conversation (empty drops it), across restarts.
    pub async fn set_draft(&self, conversation: Id, text: &str) -> Result<(), ClientError> {
        let text = text.to_owned();
        self.shared
            .cache
            .call(move |c| c.set_draft(conversation, &text))
            .await?;
        announce::row(&self.shared, conversation).await;
        Ok(())
    }

    /// Whether the window has the user's attention: while it has, the open chat is kept read
    /// as messages arrive in it.
    pub fn set_focused(&self, focused: bool) {
        self.shared.set_focused(focused);
    }

    /// The conversation the user has open, or none: it is joined now and after every
    /// reconnect (joining marks its messages read, so only an open chat is ever joined).
    pub fn open(&self, conversation: Option<Id>) {
        self.shared.set_open_conversation(conversation);
        if let Some(conversation) = conversation {
            // Opened: its missed call is seen.
            let shared = self.shared.clone();
            self.shared.spawn(async move {
                match shared
                    .cache
                    .call(move |c| c.clear_missed_call(conversation))
                    .await
                {
                    Ok(true) => {
                        announce::row(&shared, conversation).await;
                    }
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "missed-call mark not cleared"),
                }
                // Production tells no one of a file: a chat opened lists its files anew.
                if let Err(e) = crate::files::list(&shared, conversation).await {
                    tracing::debug!(error = %e, "files not listed");
                }
            });
        }
    }

    /// A chat's files, newest first: from the server (stored, and announced when changed as
    /// [`Event::FilesChanged`]), or as last listed when it cannot be reached.
    pub async fn files(
        &self,
        conversation: Id,
    ) -> Result<Vec<crate::cache::ChatFile>, ClientError> {
        crate::files::list(&self.shared, conversation).await
    }

    /// A chat's files as last listed, without asking the server.
    pub async fn cached_files(
        &self,
        conversation: Id,
    ) -> Result<Vec<crate::cache::ChatFile>, ClientError> {
        Ok(self
            .shared
            .cache
            .call(move |c| c.files(conversation))
            .await?)
    }

    /// Uploads a file from disk into a chat, streamed, telling `progress` (bytes sent, of
    /// the total). Refused here, before anything is sent, when it is not a kind NurseCare
    /// shares. Dropping the future cancels it.
    pub async fn upload_file(
        &self,
        conversation: Id,
        path: &std::path::Path,
        progress: crate::files::Progress,
    ) -> Result<crate::cache::ChatFile, ClientError> {
        let known = self
            .shared
            .cache
            .call(move |c| c.conversation_ids())
            .await?
            .contains(&conversation);
        if !known {
            return Err(ClientError::UnknownConversation(conversation));
        }
        crate::files::upload(&self.shared, conversation, path, progress).await
    }

    /// Keeps a copy of a listed file here (encrypted in the cache) for offline use.
    pub async fn keep_file(
        &self,
        file: Id,
        progress: crate::files::Progress,
    ) -> Result<crate::cache::ChatFile, ClientError> {
        crate::files::keep(&self.shared, file, progress).await
    }

    /// Writes a copy of a file into `dir` (downloaded and kept first unless kept already);
    /// says whether the system may be asked to open it.
    pub async fn save_file(
        &self,
        file: Id,
        dir: &std::path::Path,
        progress: crate::files::Progress,
    ) -> Result<crate::files::Saved, ClientError> {
        crate::files::save(&self.shared, file, dir, progress).await
    }

    /// A photo's bytes for a thumbnail (kept here first, like an open): only photos of
    /// the allowlist's web kinds, at most `max` bytes.
    pub async fn photo_bytes(&self, file: Id, max: u64) -> Result<Vec<u8>, ClientError> {
        crate::files::photo(&self.shared, file, max).await
    }

    /// Deletes one's own file (everywhere).
    pub async fn delete_file(&self, file: Id) -> Result<(), ClientError> {
        crate::files::delete(&self.shared, file).await
    }

    /// Drops the copy of a file kept here (the file stays listed).
    pub async fn forget_file(&self, file: Id) -> Result<(), ClientError> {
        let conversation = self
            .shared
            .cache
            .call(move |c| {
                c.forget_kept(file)?;
                Ok(c.file(file)?.map(|f| f.conversation_id))
            })
            .await?;
        if let Some(conversation_id) = conversation {
            self.shared
                .events
                .send(Event::FilesChanged { conversation_id });
        }
        Ok(())
    }

    /// Drops every copy of a file kept here (the files stay listed); answers the bytes freed.
    pub async fn forget_kept_files(&self) -> Result<i64, ClientError> {
        Ok(self
            .shared
            .cache
            .call(|c| {
                let freed = c.kept_bytes()?;
                c.forget_all_kept()?;
                Ok(freed)
            })
            .await?)
    }

    /// A keystroke in a conversation's composer.
    pub async fn keystroke(&self, conversation: Id) {
        let send = self
            .shared
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
            .shared
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
            user_id: Some(self.shared.me),
            is_typing: typing,
        };
        // Typing is best effort: offline, nobody is watching.
        let _ = self.shared.tell_server(cev::TYPING, &payload).await;
    }

    /// Starts a call in a conversation and rings the other side; answers the call the user is
    /// now in (the other side's, when both called at once). Fails with
    /// [`ClientError::InCall`] while the user is in a call on this device.
    pub async fn start_call(&self, conversation: Id) -> Result<VideoCallWithUrl, ClientError> {
        self.calls.start(conversation).await
    }

    /// Accepts a ringing call by its room; a call the user was in here is hung up once this
    /// one is accepted (ask the user first).
    pub async fn accept_call(&self, room_name: &str) -> Result<VideoCallWithUrl, ClientError> {
        self.calls.accept(room_name).await
    }

    /// Declines a ringing call.
    pub async fn reject_call(&self, call: Id) -> Result<VideoCall, ClientError> {
        self.calls.reject(call).await
    }

    /// Hangs up (the web client's way of ending: `/end`, then `hangupVideoCall`).
    pub async fn hang_up(&self, call: Id) -> Result<VideoCall, ClientError> {
        self.calls.hang_up(call).await
    }

    /// The user leaves this computer's front (another nurse comes to it, or she signs out):
    /// her call, ringing out or on, is hung up, so the other side is not left in a meeting no
    /// one here sees or hears. A call offered for rejoining stays offered, and one already
    /// hanging up goes on as it was. The call hung up, if any.
    pub async fn leave_call(&self) -> Result<Option<VideoCall>, ClientError> {
        match self.current_call() {
            Some(c) if matches!(c.phase, Phase::RingingOut | Phase::InCall) => {
                self.hang_up(c.call_id).await.map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Ends a call for both sides (`/end`, then `endVideoCall` with its duration).
    pub async fn end_call(&self, call: Id) -> Result<VideoCall, ClientError> {
        self.calls.end(call).await
    }

    /// Goes back into the call offered for rejoining ([`crate::my_call::Phase::Rejoin`]).
    pub async fn rejoin_call(&self) -> Result<VideoCallWithUrl, ClientError> {
        self.calls.rejoin().await
    }

    /// The signed-in user's name as the server gave it in a conversation (what a meeting
    /// shows); none before the first conversation is known.
    pub async fn my_name(&self) -> Option<String> {
        let me = self.shared.me;
        self.shared
            .cache
            .call(move |c| c.user_name(me))
            .await
            .ok()
            .flatten()
            .filter(|n| !n.trim().is_empty())
    }

    /// The user's call on this device, if any.
    pub fn current_call(&self) -> Option<CallNow> {
        self.calls.mine()
    }

    /// Marks an unanswered call missed.
    pub async fn mark_missed(&self, call: Id) -> Result<VideoCall, ClientError> {
        let call = self.shared.api.missed_call(call).await?;
        let put = call.clone();
        if let Err(e) = self.shared.cache.call(move |c| c.put_calls(&[put])).await {
            tracing::warn!(error = %e, "call not cached");
        }
        Ok(call)
    }

    /// A conversation's calls, newest first: from the server, or the cache when offline.
    pub async fn call_history(&self, conversation: Id) -> Result<Vec<VideoCall>, ClientError> {
        match self.shared.api.call_history(conversation).await {
            Ok(calls) => {
                let put = calls.clone();
                self.shared.cache.call(move |c| c.put_calls(&put)).await?;
                Ok(calls)
            }
            Err(e) if e.is_network() => Ok(self
                .shared
                .cache
                .call(move |c| c.calls(conversation))
                .await?),
            Err(e) => Err(e.into()),
        }
    }

    /// The ongoing call of a conversation, if any.
    pub async fn ongoing_call(&self, conversation: Id) -> Result<Option<VideoCall>, ClientError> {
        Ok(self.shared.api.ongoing_call(conversation).await?)
    }

    /// Everything the UI shows, read now: what a reloaded window starts from. Events
    /// numbered `events_before` and later may be newer: apply them on top.
    pub async fn snapshot(&self) -> Result<Snapshot, ClientError> {
        let me = self.shared.me;
        // First the count, then the reads: what an event before it says is in what is read.
        let events_before = self.shared.events.sent();
        let state = self.shared.socket.state().borrow().clone();
        let connection = announce::connection_now(&self.shared, &state).await;
        let (conversations, counts, outbox) = self
            .shared
            .cache
            .call(move |c| {
                Ok((
                    c.conversation_summaries(me)?,
                    c.unread_counts(me)?,
                    c.outbox_unsent(None)?,
                ))
            })
            .await?;
        let unread_total = counts.iter().map(|(_, n)| n).sum();
        let (typing, presence) = self.shared.live();
        Ok(Snapshot {
            events_before,
            me,
            connection,
            conversations,
            unread: counts.into_iter().collect(),
            unread_total,
            outbox,
            typing,
            presence,
            ringing: self
                .calls
                .ringing()
                .into_iter()
                .map(|(call_id, r)| RingingNow {
                    call_id,
                    conversation_id: r.conversation_id,
                    room_name: r.room_name,
                    caller_id: r.caller_id,
                })
                .collect(),
            call: self.calls.mine(),
            open: self.shared.open_conversation(),
        })
    }

    /// Drops the link and connects again at once (the machine woke up, the network changed).
    pub fn reconnect_now(&self) {
        self.shared.socket.reconnect_now();
    }

    /// Disconnects and stops every task; unsent messages stay in the outbox for next time.
    /// Callable from shared state, more than once: the first call does it, later ones return
    /// when it is done.
    pub async fn shutdown(&self) {
        let mut stopped = self.stopped.lock().await;
        if *stopped {
            return;
        }
        self.shared.socket.stop().await;
        let tasks = std::mem::take(&mut *self.tasks.lock().expect("tasks lock"));
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = t.await;
        }
        self.shared.stop_tasks().await;
        // Last: no database work may outlive the client (the process may exit next).
        self.shared.cache.close().await;
        *stopped = true;
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(tasks) = self.tasks.lock() {
            for t in tasks.iter() {
                t.abort();
            }
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
