//! The real SQLite store behind a window: the test sees every page request
//! (`GET …/messages`) as it reaches storage, and may make it fail, slowly. The server, its
//! routes and its database are the real ones; only the page reads can be delayed or refused,
//! the way a loaded or failing server would.

use async_trait::async_trait;
use nursecare_server::store::sqlite::SqliteStore;
use nursecare_server::store::*;
use nursecare_wire::{
    Conversation, ConversationWithParticipants, Id, Message, Timestamp, VideoCall,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What a page request meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Served.
    Serve,
    /// Fails (a 500) after this long.
    FailAfter(Duration),
}

/// Told the 1-based number of each page request; answers what it meets.
pub type PageHook = Arc<dyn Fn(u64) -> Page + Send + Sync>;

pub struct Watched {
    inner: SqliteStore,
    pages: AtomicU64,
    hook: std::sync::Mutex<Option<PageHook>>,
}

impl Watched {
    pub fn new(inner: SqliteStore) -> Self {
        Self {
            inner,
            pages: AtomicU64::new(0),
            hook: std::sync::Mutex::new(None),
        }
    }

    /// Watches page requests from now on, counting from 1.
    pub fn watch(&self, hook: PageHook) {
        self.pages.store(0, Ordering::SeqCst);
        *self.hook.lock().unwrap() = Some(hook);
    }

    /// Stops watching.
    pub fn unwatch(&self) {
        *self.hook.lock().unwrap() = None;
    }
}

#[async_trait]
impl Store for Watched {
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        self.inner.create_user(user).await
    }
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        self.inner.user_by_email(email).await
    }
    async fn users(&self, ids: &[Id]) -> StoreResult<Vec<UserRecord>> {
        self.inner.users(ids).await
    }
    async fn set_last_seen(&self, user: Id, at: Timestamp) -> StoreResult<()> {
        self.inner.set_last_seen(user, at).await
    }
    async fn user_count(&self) -> StoreResult<i64> {
        self.inner.user_count().await
    }
    async fn sign_out(&self, email: &str, at: i64) -> StoreResult<Option<Id>> {
        self.inner.sign_out(email, at).await
    }
    async fn signed_out_since(&self, after: i64) -> StoreResult<Vec<(Id, i64)>> {
        self.inner.signed_out_since(after).await
    }
    async fn get_or_create_conversation(
        &self,
        me: Id,
        other: Id,
        booking_id: Option<Id>,
        at: Timestamp,
    ) -> StoreResult<(Conversation, bool)> {
        self.inner
            .get_or_create_conversation(me, other, booking_id, at)
            .await
    }
    async fn members(&self, conversation: Id) -> StoreResult<Option<ConversationMembers>> {
        self.inner.members(conversation).await
    }
    async fn conversations_of(&self, user: Id) -> StoreResult<Vec<Conversation>> {
        self.inner.conversations_of(user).await
    }
    async fn conversation_with_participants(
        &self,
        conversation: Id,
    ) -> StoreResult<Option<ConversationWithParticipants>> {
        self.inner
            .conversation_with_participants(conversation)
            .await
    }
    async fn peers_of(&self, user: Id) -> StoreResult<Vec<Id>> {
        self.inner.peers_of(user).await
    }
    async fn messages(
        &self,
        conversation: Id,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<Message>> {
        let hook = self.hook.lock().unwrap().clone();
        if let Some(hook) = hook {
            let n = self.pages.fetch_add(1, Ordering::SeqCst) + 1;
            if let Page::FailAfter(d) = hook(n) {
                tokio::time::sleep(d).await;
                return Err(StoreError::Io(std::io::Error::other(
                    "injected page failure",
                )));
            }
        }
        self.inner.messages(conversation, limit, offset).await
    }
    async fn insert_message(&self, message: NewMessage) -> StoreResult<(Message, bool)> {
        self.inner.insert_message(message).await
    }
    async fn mark_read(&self, conversation: Id, reader: Id) -> StoreResult<u64> {
        self.inner.mark_read(conversation, reader).await
    }
    async fn unread_count(&self, user: Id) -> StoreResult<i64> {
        self.inner.unread_count(user).await
    }
    async fn create_call(
        &self,
        conversation: Id,
        room_name: &str,
        started_by: Id,
        at: Timestamp,
    ) -> StoreResult<CallRecord> {
        self.inner
            .create_call(conversation, room_name, started_by, at)
            .await
    }
    async fn create_call_once(
        &self,
        conversation: Id,
        room_name: &str,
        started_by: Id,
        at: Timestamp,
        ringing_since: Timestamp,
    ) -> StoreResult<(CallRecord, bool)> {
        self.inner
            .create_call_once(conversation, room_name, started_by, at, ringing_since)
            .await
    }
    async fn call(&self, id: Id) -> StoreResult<Option<CallRecord>> {
        self.inner.call(id).await
    }
    async fn call_by_room(&self, room_name: &str) -> StoreResult<Option<CallRecord>> {
        self.inner.call_by_room(room_name).await
    }
    async fn change_call(&self, id: Id, change: CallChange) -> StoreResult<Option<CallChanged>> {
        self.inner.change_call(id, change).await
    }
    async fn calls_of(&self, conversation: Id) -> StoreResult<Vec<VideoCall>> {
        self.inner.calls_of(conversation).await
    }
    async fn ongoing_call(&self, conversation: Id) -> StoreResult<Option<VideoCall>> {
        self.inner.ongoing_call(conversation).await
    }
    async fn unanswered_calls(&self) -> StoreResult<Vec<CallRecord>> {
        self.inner.unanswered_calls().await
    }

    async fn insert_file(&self, file: NewFile) -> StoreResult<FileRecord> {
        self.inner.insert_file(file).await
    }

    async fn file(&self, id: Id) -> StoreResult<Option<FileRecord>> {
        self.inner.file(id).await
    }

    async fn files_of(&self, conversation: Id) -> StoreResult<Vec<FileRecord>> {
        self.inner.files_of(conversation).await
    }

    async fn delete_file(&self, id: Id) -> StoreResult<Option<(FileRecord, bool)>> {
        self.inner.delete_file(id).await
    }

    async fn content_used(&self, sha256: &str) -> StoreResult<bool> {
        self.inner.content_used(sha256).await
    }
}
