//! Storage behind a small repository trait.
//!
//! Handlers see only [`Store`], so a PostgreSQL implementation can be added for clinics that
//! outgrow one machine. [`sqlite::SqliteStore`] is the one implementation today. The store
//! returns the contract's shapes directly: they are the domain model.
//!
//! Invariant: every multi-row change (a message and its conversation's `updatedAt`, a call and
//! its SYSTEM message) happens in one transaction, so a crash never leaves half of it.

pub mod sqlite;

use async_trait::async_trait;
use nursecare_wire::{
    CallStatus, Conversation, ConversationWithParticipants, Id, Message, MessageType, Role,
    Timestamp, UserSummary, VideoCall,
};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint: the thing exists already.
    #[error("{0}")]
    Conflict(String),
    /// The database file's folder could not be made.
    #[error("cannot create the database folder: {0}")]
    Io(#[from] std::io::Error),
    /// The database said no.
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    /// The file's schema is newer than this build knows.
    #[error(
        "database schema version {found} is newer than this server ({known}); upgrade the server"
    )]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        known: i64,
    },
    /// Version 2 keeps emails without case, and these accounts differ only in case.
    #[error(
        "these accounts' emails differ only in case, and emails are now compared without case: {0}. \
         Keep one account per person: give each other one a different email \
         (sqlite3 DB \"UPDATE users SET email = 'new@address' WHERE id = N\") or delete it, \
         then start the server again"
    )]
    EmailsDifferOnlyInCase(String),
    /// A row that should be there is not (a broken invariant, not a client error).
    #[error("missing row: {0}")]
    Missing(&'static str),
    /// The blocking task died.
    #[error("storage worker failed")]
    Worker,
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A user as stored, with the password hash that never leaves the server.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// User id.
    pub id: Id,
    /// Login.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Role.
    pub role: Role,
    /// PHC string of the argon2 hash.
    pub password_hash: String,
    /// Last disconnect.
    pub last_seen: Option<Timestamp>,
    /// When an administrator last signed the user out (Unix seconds): tokens issued at or
    /// before it are refused.
    pub signed_out_at: Option<i64>,
}

impl UserRecord {
    /// The public view.
    pub fn summary(&self) -> UserSummary {
        UserSummary {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
        }
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login (unique).
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Role.
    pub role: Role,
    /// PHC string of the argon2 hash.
    pub password_hash: String,
}

/// Who takes part in a conversation: enough for membership checks and routing.
#[derive(Debug, Clone)]
pub struct ConversationMembers {
    /// Conversation id.
    pub id: Id,
    /// User ids of the participants.
    pub user_ids: Vec<Id>,
}

impl ConversationMembers {
    /// Is `user` a participant?
    pub fn has(&self, user: Id) -> bool {
        self.user_ids.contains(&user)
    }

    /// The participants other than `user`.
    pub fn others(&self, user: Id) -> impl Iterator<Item = Id> + '_ {
        self.user_ids.iter().copied().filter(move |u| *u != user)
    }
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Conversation.
    pub conversation_id: Id,
    /// Author.
    pub sender_id: Id,
    /// Text.
    pub content: String,
    /// Kind.
    pub kind: MessageType,
    /// Idempotency key (Part B.5); `None` stores no key and de-duplicates nothing.
    pub client_id: Option<String>,
    /// Urgent (Part B, feature `urgent`).
    pub urgent: bool,
    /// When it was received.
    pub at: Timestamp,
}

/// A call as stored: the wire shape plus when it was answered.
#[derive(Debug, Clone)]
pub struct CallRecord {
    /// The wire shape.
    pub call: VideoCall,
    /// When the callee accepted (Part B.8).
    pub answered_at: Option<Timestamp>,
}

/// Which calls a [`CallChange`] may touch; checked inside the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallGuard {
    /// Any call (production: endings are not idempotent).
    Any,
    /// Only an ONGOING call (Part B.9).
    Ongoing,
    /// Only an ONGOING call nobody has answered (the missed-call timer).
    OngoingUnanswered,
}

/// Who a SYSTEM message is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemSender {
    /// The user who started the call.
    Starter,
    /// The user who acted.
    User(Id),
}

/// The text of a SYSTEM message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemText {
    /// A fixed text such as `VIDEO_CALL_JOINED`.
    Fixed(&'static str),
    /// `VIDEO_CALL_ENDED:<duration>`, computed from the stored `startedAt`.
    EndedWithDuration,
}

/// A change of a call's state and the SYSTEM message that records it.
#[derive(Debug, Clone)]
pub struct CallChange {
    /// The guard.
    pub guard: CallGuard,
    /// New status, if it changes.
    pub status: Option<CallStatus>,
    /// Set `endedAt` to `at`.
    pub set_ended_at: bool,
    /// Set `duration` to `at - startedAt` in seconds.
    pub set_duration: bool,
    /// Set `answered_at` to `at` unless already set.
    pub set_answered: bool,
    /// The SYSTEM message to add.
    pub system: (SystemSender, SystemText),
    /// When.
    pub at: Timestamp,
}

/// What [`Store::change_call`] did.
#[derive(Debug, Clone)]
pub struct CallChanged {
    /// The call as it is now.
    pub record: CallRecord,
    /// False when the guard refused the change (the call is returned as it is).
    pub applied: bool,
}

/// An upload to record (its bytes are on disk already, under `sha256`).
#[derive(Debug, Clone)]
pub struct NewFile {
    /// Its conversation.
    pub conversation_id: Id,
    /// Who uploaded it.
    pub uploaded_by: Id,
    /// The name kept (sanitised).
    pub filename: String,
    /// Its type, from its content.
    pub mimetype: String,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256 of the bytes: the name of the stored copy.
    pub sha256: String,
    /// When.
    pub at: Timestamp,
}

/// A file as stored.
#[derive(Debug, Clone)]
pub struct FileRecord {
    /// File id.
    pub id: Id,
    /// Its conversation.
    pub conversation_id: Id,
    /// Who uploaded it.
    pub uploaded_by: UserSummary,
    /// The name kept.
    pub filename: String,
    /// Its type.
    pub mimetype: String,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// When it was uploaded.
    pub created_at: Timestamp,
}

/// The repository. Every method is one short transaction.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates a user; [`StoreError::Conflict`] when the email is taken.
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord>;
    /// Finds a user by email.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
    /// Finds users by id, in no particular order; unknown ids are left out.
    async fn users(&self, ids: &[Id]) -> StoreResult<Vec<UserRecord>>;
    /// Records a user's last disconnect.
    async fn set_last_seen(&self, user: Id, at: Timestamp) -> StoreResult<()>;
    /// An administrator signs `email` out of every session: tokens issued at or before `at`
    /// (Unix seconds) are refused from then on. The user's id, or `None` when unknown.
    async fn sign_out(&self, email: &str, at: i64) -> StoreResult<Option<Id>>;
    /// Users signed out after `after` (Unix seconds), with when.
    async fn signed_out_since(&self, after: i64) -> StoreResult<Vec<(Id, i64)>>;
    /// How many users there are (the demo seeds only an empty database).
    async fn user_count(&self) -> StoreResult<i64>;

    /// The first conversation holding both users, or a new one; `true` when new.
    async fn get_or_create_conversation(
        &self,
        me: Id,
        other: Id,
        booking_id: Option<Id>,
        at: Timestamp,
    ) -> StoreResult<(Conversation, bool)>;
    /// Who takes part in a conversation; `None` when it does not exist.
    async fn members(&self, conversation: Id) -> StoreResult<Option<ConversationMembers>>;
    /// The user's conversations by `updatedAt` desc, each with 50 messages and `unreadCount`.
    async fn conversations_of(&self, user: Id) -> StoreResult<Vec<Conversation>>;
    /// A conversation with its participants (no messages).
    async fn conversation_with_participants(
        &self,
        conversation: Id,
    ) -> StoreResult<Option<ConversationWithParticipants>>;
    /// Every user who shares a conversation with `user`.
    async fn peers_of(&self, user: Id) -> StoreResult<Vec<Id>>;

    /// A page of messages, newest first.
    async fn messages(
        &self,
        conversation: Id,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<Message>>;
    /// Stores a message; with a `client_id` already used by this sender, returns the stored one
    /// and `false`.
    async fn insert_message(&self, message: NewMessage) -> StoreResult<(Message, bool)>;
    /// Marks the other parties' messages read; answers how many changed.
    async fn mark_read(&self, conversation: Id, reader: Id) -> StoreResult<u64>;
    /// Unread messages addressed to `user` over all conversations.
    async fn unread_count(&self, user: Id) -> StoreResult<i64>;

    /// Creates an ONGOING call and its `VIDEO_CALL_STARTED` message.
    async fn create_call(
        &self,
        conversation: Id,
        room_name: &str,
        started_by: Id,
        at: Timestamp,
    ) -> StoreResult<CallRecord>;
    /// As [`Store::create_call`], unless the other participant's call is still ringing in the
    /// conversation (ONGOING, unanswered, started at or after `ringing_since`): then that one,
    /// and `false` (nothing written); [`StoreError::Conflict`] (nothing written) while an
    /// answered call is ONGOING there. One transaction, so two starts racing make one call
    /// and an answer landing meanwhile is seen.
    async fn create_call_once(
        &self,
        conversation: Id,
        room_name: &str,
        started_by: Id,
        at: Timestamp,
        ringing_since: Timestamp,
    ) -> StoreResult<(CallRecord, bool)>;
    /// A call by id.
    async fn call(&self, id: Id) -> StoreResult<Option<CallRecord>>;
    /// A call by room name.
    async fn call_by_room(&self, room_name: &str) -> StoreResult<Option<CallRecord>>;
    /// Applies a change under its guard; `None` when the call does not exist.
    async fn change_call(&self, id: Id, change: CallChange) -> StoreResult<Option<CallChanged>>;
    /// A conversation's calls by `startedAt` desc.
    async fn calls_of(&self, conversation: Id) -> StoreResult<Vec<VideoCall>>;
    /// The newest ONGOING call of a conversation.
    async fn ongoing_call(&self, conversation: Id) -> StoreResult<Option<VideoCall>>;
    /// Every ONGOING call nobody has answered (for the missed-call sweep at start).
    async fn unanswered_calls(&self) -> StoreResult<Vec<CallRecord>>;

    /// Records an upload.
    async fn insert_file(&self, file: NewFile) -> StoreResult<FileRecord>;
    /// A file by id.
    async fn file(&self, id: Id) -> StoreResult<Option<FileRecord>>;
    /// A conversation's files, newest first.
    async fn files_of(&self, conversation: Id) -> StoreResult<Vec<FileRecord>>;
    /// Deletes a file's row; answers it and whether another row still holds the same bytes.
    async fn delete_file(&self, id: Id) -> StoreResult<Option<(FileRecord, bool)>>;
    /// Whether any row holds these bytes (the sweep of stored copies at start).
    async fn content_used(&self, sha256: &str) -> StoreResult<bool>;
}
