//! The local cache: one SQLCipher database per server + account, so history stays readable
//! with no network.
//!
//! Opening applies the key first (a wrong key or a damaged file reads as "not a database"),
//! then the pragmas and the migration ladder. [`Cache::open_or_rebuild`] moves an unreadable
//! file aside (never deletes it: it may be the only copy of unsent messages) and starts a fresh
//! one, saying so, so the caller can tell the user and re-sync from the server.
//!
//! This type is synchronous on purpose: it is owned by one thread (see `ARCHITECTURE.md`), so
//! no SQLite call ever runs on the async runtime.

mod files;
mod outbox;
mod views;
mod worker;

pub use files::ChatFile;
pub use outbox::{OutboxItem, OutboxState, SendFailure};
pub use views::{ConversationSummary, FileNote};
pub use worker::CacheHandle;

use nursecare_wire::{Conversation, Id, Message, MessageType, Role, Sender, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// Starts a matched word in a [`Cache::search_hits`] snippet.
pub const HIT_START: char = '\u{2}';
/// Ends a matched word in a [`Cache::search_hits`] snippet.
pub const HIT_END: char = '\u{3}';

/// The schema ladder: entry N-1 moves the file from version N-1 to N.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_outbox_failure.sql"),
    include_str!("migrations/0003_contiguous_mark.sql"),
    include_str!("migrations/0004_conversation_prefs.sql"),
    include_str!("migrations/0005_my_call.sql"),
    include_str!("migrations/0006_missed_calls.sql"),
    include_str!("migrations/0007_files.sql"),
    include_str!("migrations/0008_urgent.sql"),
];

/// The 32-byte key of a cache file. Its `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut k);
        Self(k)
    }

    /// From its hex form (as kept in the keychain).
    pub fn from_hex(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut k = [0u8; 32];
        for (i, byte) in k.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(k))
    }

    /// The raw bytes (for wrapping under a nurse's PIN or password).
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// From raw bytes (as unwrapped).
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The hex form.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CacheKey(…)")
    }
}

/// What can go wrong with the cache.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Wrong key, or not a database (damaged, or another program's file).
    #[error("the local cache cannot be read (wrong key or damaged file)")]
    Unreadable,
    /// Made by a newer version of the app.
    #[error(
        "the local cache was written by a newer version (schema {found}, this build knows {known})"
    )]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        known: i64,
    },
    /// SQLite failed.
    #[error("local cache error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file system failed.
    #[error("local cache file error: {0}")]
    Io(#[from] std::io::Error),
    /// The cache's thread has stopped.
    #[error("the local cache is closed")]
    Closed,
    /// Another process (the app, a CLI command) has this account's cache open.
    #[error(
        "this account's local cache is in use by another NurseCare program (is the app running?)"
    )]
    InUse,
}

/// What a WAL file is cut back to when it starts over (SQLite's `journal_size_limit`).
const WAL_KEEP_BYTES: i64 = 4 << 20;

/// See [`Cache::checkpointer`].
pub struct Checkpointer {
    conn: Connection,
}

impl Checkpointer {
    /// A passive checkpoint: copies what it can without waiting for, or blocking, the writer.
    pub fn checkpoint(&self) -> Result<(), CacheError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }
}

/// A file [`Cache::open_or_rebuild`] moved aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedAside {
    /// Where the unreadable file now is.
    pub to: PathBuf,
    /// Why it was unreadable.
    pub reason: String,
}

/// An open cache.
pub struct Cache {
    conn: Connection,
    /// Where it lives and its key, to open a second connection for checkpoints.
    path: PathBuf,
    key: CacheKey,
    /// The lock that makes this process the cache's only user (see [`Cache::open_or_rebuild`]);
    /// released when the cache is dropped.
    _owner: Option<std::fs::File>,
}

impl Cache {
    /// Opens (creating if needed) the cache at `path` with `key`.
    pub fn open(path: &Path, key: &CacheKey) -> Result<Self, CacheError> {
        if let Some(dir) = path.parent() {
            nursecare_owner_only::create_dir(dir)?;
        }
        // SQLite gives the log and shared memory their database's mode.
        private_file(path)?;
        let mut conn = Connection::open(path)?;
        Self::prepare(&mut conn, key).map_err(|e| match e {
            CacheError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt
                ) =>
            {
                CacheError::Unreadable
            }
            other => other,
        })?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            key: key.clone(),
            _owner: None,
        })
    }

    /// Key, pragmas and migrations. A wrong key or a damaged file fails here with "not a
    /// database" (which `open` maps to [`CacheError::Unreadable`]).
    fn prepare(conn: &mut Connection, key: &CacheKey) -> Result<(), CacheError> {
        // SQLCipher logs decryption failures to stderr by itself; errors reach the user as
        // `CacheError`s instead.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        // The key must come before anything reads the file.
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex()))?;
        // SQLCipher's default page cache is small; 64 MiB keeps pages decrypted (notes: 3x).
        conn.execute_batch("PRAGMA cache_size = -65536;")?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // When the WAL starts over, a file a burst made large is cut back to this size.
        conn.pragma_update(None, "journal_size_limit", WAL_KEEP_BYTES)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.set_prepared_statement_cache_capacity(64);
        migrate(conn)
    }

    /// Opens the cache; an unreadable file is moved aside and a fresh cache made in its place.
    pub fn open_or_rebuild(
        path: &Path,
        key: &CacheKey,
    ) -> Result<(Self, Option<MovedAside>), CacheError> {
        // One process at a time: a second one (a CLI command while the app runs) is told so,
        // and a cache in use is never taken for a damaged one.
        let owner = Self::own(path)?;
        let (mut cache, moved) = match Self::open(path, key) {
            Ok(c) => (c, None),
            // Only a file that is not a database under this key (damaged, or its key lost) is
            // moved aside; any other failure (busy, disk full, permissions) is reported as is.
            Err(e @ CacheError::Unreadable) => {
                let reason = e.to_string();
                let stamp = Timestamp::now().millis();
                let to = path.with_extension(format!("unreadable-{stamp}"));
                std::fs::rename(path, &to)?;
                for side in ["-wal", "-shm"] {
                    let mut from = path.as_os_str().to_owned();
                    from.push(side);
                    let mut dest = to.as_os_str().to_owned();
                    dest.push(side);
                    if Path::new(&from).exists() {
                        std::fs::rename(&from, &dest)?;
                    }
                }
                tracing::warn!(to = %to.display(), "unreadable cache moved aside; rebuilding");
                let fresh = Self::open(path, key)?;
                (fresh, Some(MovedAside { to, reason }))
            }
            Err(e) => return Err(e),
        };
        cache._owner = Some(owner);
        Ok((cache, moved))
    }

    /// Takes the lock file beside the cache, or fails with [`CacheError::InUse`]; held until
    /// the file answered is dropped.
    pub fn own(path: &Path) -> Result<std::fs::File, CacheError> {
        if let Some(dir) = path.parent() {
            nursecare_owner_only::create_dir(dir)?;
        }
        let lock_path = path.with_extension("lock");
        private_file(&lock_path)?;
        let lock = std::fs::OpenOptions::new()
            .truncate(false)
            .write(true)
            .open(lock_path)?;
        match lock.try_lock() {
            Ok(()) => Ok(lock),
            Err(std::fs::TryLockError::WouldBlock) => Err(CacheError::InUse),
            Err(std::fs::TryLockError::Error(e)) => Err(CacheError::Io(e)),
        }
    }

    /// Deletes the cache at `path` and everything in its folder, unless another program has
    /// it open ([`CacheError::InUse`]). The log and shared memory go before the database, so
    /// a removal cut short never leaves an old log beside a new database. Unix removes the
    /// folder under the lock; Windows cannot delete the open lock file, so it empties the
    /// folder under the lock, lets it go, and then removes the folder only if nothing new
    /// appeared in it meanwhile (another program opening the account again).
    pub fn remove(path: &Path) -> Result<(), CacheError> {
        let Some(dir) = path.parent().filter(|d| d.exists()) else {
            return Ok(());
        };
        let owner = Self::own(path)?;
        let gone = |r: std::io::Result<()>| match r {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
        for suffix in ["-wal", "-shm", ""] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            gone(std::fs::remove_file(file))?;
        }
        #[cfg(unix)]
        {
            gone(std::fs::remove_dir_all(dir))?;
            drop(owner);
        }
        #[cfg(not(unix))]
        {
            let lock = path.with_extension("lock");
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                if entry.path() == lock {
                    continue;
                }
                if entry.file_type()?.is_dir() {
                    std::fs::remove_dir_all(entry.path())?;
                } else {
                    std::fs::remove_file(entry.path())?;
                }
            }
            drop(owner);
            // Best effort: another program may hold it already.
            let _ = std::fs::remove_file(&lock);
            if let Err(e) = std::fs::remove_dir(dir)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::info!(error = %e, "the cache's folder was kept: it is in use again");
            }
        }
        Ok(())
    }

    /// Stores conversations as the server sent them (participants, users, their messages,
    /// unread counts), in one transaction. Answers the message ids that were new.
    pub fn put_conversations(
        &mut self,
        conversations: &[Conversation],
    ) -> Result<Vec<Id>, CacheError> {
        let tx = self.conn.transaction()?;
        let mut fresh = Vec::new();
        for c in conversations {
            tx.prepare_cached(
                "INSERT INTO conversations (id, booking_id, created_at, updated_at, unread_count) \
                 VALUES (?1, ?2, ?3, ?4, COALESCE(?5, 0)) \
                 ON CONFLICT (id) DO UPDATE SET booking_id = excluded.booking_id, \
                   updated_at = excluded.updated_at, \
                   unread_count = COALESCE(?5, unread_count)",
            )?
            .execute(params![
                c.id,
                c.booking_id,
                c.created_at.millis(),
                c.updated_at.millis(),
                c.unread_count
            ])?;
            for p in &c.participants {
                tx.prepare_cached(
                    "INSERT INTO users (id, name, email, role) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, role = excluded.role",
                )?
                .execute(params![p.user.id, p.user.name, p.user.email, p.user.role.as_str()])?;
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO participants (id, conversation_id, user_id, joined_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![p.id, p.conversation_id, p.user_id, p.joined_at.millis()])?;
            }
            fresh.extend(put_messages(&tx, &c.messages)?);
        }
        tx.commit()?;
        Ok(fresh)
    }

    /// Stores messages; answers the ids that were new. A known message is updated (its `read`
    /// flag, its `clientId`) and never duplicated.
    pub fn put_messages(&mut self, messages: &[Message]) -> Result<Vec<Id>, CacheError> {
        let tx = self.conn.transaction()?;
        let fresh = put_messages(&tx, messages)?;
        tx.commit()?;
        Ok(fresh)
    }

    /// Urgent messages to `me` not read yet, oldest first (the urgent owner's start).
    pub fn unread_urgent(&self, me: Id) -> Result<Vec<Message>, CacheError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m \
             WHERE m.urgent = 1 AND m.read = 0 AND m.sender_id != ?1 \
             ORDER BY m.created_at, m.id"
        ))?;
        let rows = stmt.query_map([me], message_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A page of a conversation's messages, newest first, older than `before` (a message id)
    /// when given.
    pub fn messages(
        &self,
        conversation: Id,
        before: Option<Id>,
        limit: u32,
    ) -> Result<Vec<Message>, CacheError> {
        let Some(before) = before else {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = ?1 \
                 ORDER BY m.created_at DESC, m.id DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![conversation, limit], message_row)?;
            return Ok(rows.collect::<Result<_, _>>()?);
        };
        let anchor = self
            .conn
            .prepare_cached("SELECT created_at FROM messages WHERE id = ?1")?
            .query_row([before], |r| r.get::<_, i64>(0))
            .optional()?;
        // An anchor this cache does not hold has nothing cached before it.
        let Some(at) = anchor else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m \
             WHERE m.conversation_id = ?1 AND (m.created_at, m.id) < (?2, ?3) \
             ORDER BY m.created_at DESC, m.id DESC LIMIT ?4"
        ))?;
        let rows = stmt.query_map(params![conversation, at, before, limit], message_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Messages whose text matches `query` (FTS5, each word as a prefix), newest (highest id)
    /// first.
    pub fn search(&mut self, query: &str, limit: u32) -> Result<Vec<Message>, CacheError> {
        self.words_then_prefixes(query, limit, Self::search_fts)
    }

    /// Like [`Cache::search`], each message with a snippet of its text around the match:
    /// matched words between [`HIT_START`] and [`HIT_END`] (control characters; a message
    /// that holds them itself only shifts its own highlighting).
    pub fn search_hits(
        &mut self,
        query: &str,
        limit: u32,
    ) -> Result<Vec<(Message, String)>, CacheError> {
        self.words_then_prefixes(query, limit, Self::hits_fts)
    }

    /// Runs an FTS query for whole words, and for prefixes only when those do not fill the
    /// page: a prefix query gathers every match of every word it covers before it can stop
    /// at `limit` (13 ms for a word in 30% of 1M messages, 0.3 ms exact).
    fn words_then_prefixes<T>(
        &mut self,
        query: &str,
        limit: u32,
        run: impl Fn(&Self, &str, u32) -> Result<Vec<T>, CacheError>,
    ) -> Result<Vec<T>, CacheError> {
        let Some((exact, prefix)) = fts_queries(query) else {
            return Ok(Vec::new());
        };
        // Search sees every stored message: index what is still queued.
        self.index_pending(usize::MAX)?;
        let found = run(self, &exact, limit)?;
        if found.len() as u32 >= limit {
            return Ok(found);
        }
        run(self, &prefix, limit)
    }

    fn hits_fts(&self, fts: &str, limit: u32) -> Result<Vec<(Message, String)>, CacheError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS}, f.snip \
             FROM (SELECT rowid AS rid, \
                          snippet(messages_fts, 0, char(2), char(3), '…', 12) AS snip \
                   FROM messages_fts WHERE messages_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2) f \
             JOIN messages m ON m.id = f.rid ORDER BY m.id DESC"
        ))?;
        let columns = stmt.column_count();
        let rows = stmt.query_map(params![fts, limit], |r| {
            Ok((message_row(r)?, r.get::<_, String>(columns - 1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Messages of a conversation newer than `after` (a cached message), oldest first.
    pub fn messages_after(
        &self,
        conversation: Id,
        after: Id,
        limit: u32,
    ) -> Result<Vec<Message>, CacheError> {
        let Some((at, id)) = self.message_key(after)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m \
             WHERE m.conversation_id = ?1 AND (m.created_at, m.id) > (?2, ?3) \
             ORDER BY m.created_at, m.id LIMIT ?4"
        ))?;
        let rows = stmt.query_map(params![conversation, at, id, limit], message_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn search_fts(&self, fts: &str, limit: u32) -> Result<Vec<Message>, CacheError> {
        // Newest first by rowid (server ids grow with time): FTS5 walks its index backwards
        // and stops at `limit`, instead of sorting every match.
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} \
             FROM (SELECT rowid AS rid FROM messages_fts WHERE messages_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2) f \
             JOIN messages m ON m.id = f.rid ORDER BY m.id DESC"
        ))?;
        let rows = stmt.query_map(params![fts, limit], message_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Moves up to `max` queued messages into the full-text index; answers how many. (New
    /// messages are queued, not indexed, as they are stored: see the migration.)
    pub fn index_pending(&mut self, max: usize) -> Result<usize, CacheError> {
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        let tx = self.conn.transaction()?;
        tx.prepare_cached("CREATE TEMP TABLE IF NOT EXISTS fts_batch (id INTEGER PRIMARY KEY)")?
            .execute([])?;
        tx.prepare_cached("DELETE FROM temp.fts_batch")?
            .execute([])?;
        let n = tx
            .prepare_cached(
                "INSERT INTO temp.fts_batch (id) SELECT id FROM fts_queue ORDER BY id LIMIT ?1",
            )?
            .execute([max])?;
        if n > 0 {
            tx.prepare_cached(
                "INSERT INTO messages_fts (rowid, content) \
                 SELECT m.id, m.content FROM temp.fts_batch b JOIN messages m ON m.id = b.id",
            )?
            .execute([])?;
            tx.prepare_cached("DELETE FROM fts_queue WHERE id IN (SELECT id FROM temp.fts_batch)")?
                .execute([])?;
        }
        tx.commit()?;
        Ok(n)
    }

    /// How many stored messages wait to be indexed.
    pub fn index_queue_len(&self) -> Result<u64, CacheError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM fts_queue")?
            .query_row([], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// Turns SQLite's automatic WAL checkpoint on or off. Off, the owner must call
    /// [`Cache::checkpoint`] (the cache thread does, when idle): an automatic checkpoint runs
    /// inside some unlucky commit and fsyncs there (p99 of a message went from 4 to 18 ms).
    pub fn set_auto_checkpoint(&self, on: bool) -> Result<(), CacheError> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", if on { 1000 } else { 0 })?;
        Ok(())
    }

    /// A second connection to the same file that can only checkpoint: it runs on a thread of
    /// its own, so the copy and its fsync never hold up the connection that writes.
    pub fn checkpointer(&self) -> Result<Checkpointer, CacheError> {
        let conn = Connection::open(&self.path)?;
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", self.key.to_hex()))?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        Ok(Checkpointer { conn })
    }

    /// The WAL file's size in bytes (0 when there is none).
    pub fn wal_bytes(&self) -> u64 {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
    }

    /// Copies the whole WAL into the database and empties the file. Run by the writer itself
    /// (nothing else writes meanwhile); busy while the checkpointer thread is mid-copy, then
    /// it is simply tried again later.
    pub fn truncate_wal(&self) -> Result<(), CacheError> {
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy != 0 {
            return Err(CacheError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                Some("the WAL is in use".into()),
            )));
        }
        Ok(())
    }

    /// Copies the WAL into the database as far as no reader prevents it.
    pub fn checkpoint(&self) -> Result<(), CacheError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// The oldest cached message id of a conversation.
    pub fn oldest_message(&self, conversation: Id) -> Result<Option<Id>, CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM messages WHERE conversation_id = ?1 ORDER BY created_at, id LIMIT 1",
            )?
            .query_row([conversation], |r| r.get(0))
            .optional()?)
    }

    /// A cached message's place in the order (its time in ms, then its id).
    pub fn message_key(&self, id: Id) -> Result<Option<(i64, Id)>, CacheError> {
        Ok(self
            .conn
            .prepare_cached("SELECT created_at, id FROM messages WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// The newest cached message id of a conversation.
    pub fn newest_message(&self, conversation: Id) -> Result<Option<Id>, CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM messages WHERE conversation_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 1",
            )?
            .query_row([conversation], |r| r.get(0))
            .optional()?)
    }
}

fn put_messages(
    tx: &rusqlite::Transaction<'_>,
    messages: &[Message],
) -> Result<Vec<Id>, CacheError> {
    let mut fresh = Vec::new();
    for m in messages {
        let inserted = tx
            .prepare_cached(
                "INSERT INTO messages (id, conversation_id, sender_id, content, type, read, created_at, client_id, \
                 sender_name, sender_role, urgent, read_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                m.id,
                m.conversation_id,
                m.sender_id,
                m.content,
                m.kind.as_str(),
                m.read,
                m.created_at.millis(),
                m.client_id,
                m.sender.name,
                m.sender.role.as_str(),
                m.urgent == Some(true),
                m.read_at.map(|t| t.millis())
            ])?;
        if inserted == 1 {
            fresh.push(m.id);
        } else {
            // Read flags only move forward; a clientId or a read time learnt later is kept.
            tx.prepare_cached(
                "UPDATE messages SET read = MAX(read, ?2), client_id = COALESCE(client_id, ?3), \
                 read_at = COALESCE(read_at, ?4) WHERE id = ?1",
            )?
            .execute(params![
                m.id,
                m.read,
                m.client_id,
                m.read_at.map(|t| t.millis())
            ])?;
        }
    }
    Ok(fresh)
}

/// The columns [`message_row`] reads, for a query over `messages m`.
const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.sender_id, m.content, m.type, m.read, \
                               m.created_at, m.client_id, m.sender_name, m.sender_role, \
                               m.urgent, m.read_at";

fn message_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    let sender_id: Id = r.get(2)?;
    let kind: String = r.get(4)?;
    let role: Option<String> = r.get(9)?;
    Ok(Message {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        sender_id,
        content: r.get(3)?,
        kind: MessageType::parse(&kind).unwrap_or(MessageType::Text),
        read: r.get(5)?,
        created_at: Timestamp::from_millis(r.get(6)?),
        client_id: r.get(7)?,
        sender: Sender {
            id: sender_id,
            name: r.get(8)?,
            role: role
                .as_deref()
                .and_then(Role::parse)
                .unwrap_or(Role::Patient),
        },
        urgent: r.get::<_, bool>(10)?.then_some(true),
        read_at: r.get::<_, Option<i64>>(11)?.map(Timestamp::from_millis),
    })
}

/// Turns what a user typed into FTS5 queries: whole words, and each word as a prefix. Every
/// word is quoted, so no FTS syntax leaks in. `None` when nothing searchable is left.
fn fts_queries(input: &str) -> Option<(String, String)> {
    let words: Vec<&str> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return None;
    }
    let exact = words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>();
    let prefix = words
        .iter()
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>();
    Some((exact.join(" "), prefix.join(" ")))
}

fn migrate(conn: &mut Connection) -> Result<(), CacheError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(CacheError::TooNew { found, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// Makes `file` owner-only, creating it empty if missing. One that exists but cannot be
/// tightened is said in the log and used as it is: its folder is owner-only already.
fn private_file(file: &Path) -> std::io::Result<()> {
    match nursecare_owner_only::create_file(file) {
        Err(e) if file.exists() => {
            tracing::warn!(error = %e, "a cache file could not be made owner-only");
            Ok(())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_hide() {
        let k = CacheKey::generate();
        assert_eq!(CacheKey::from_hex(&k.to_hex()), Some(k.clone()));
        assert_eq!(format!("{k:?}"), "CacheKey(…)");
        assert_eq!(CacheKey::from_hex("zz"), None);
    }

    #[test]
    fn fts_queries_are_quoted_words_and_prefixes() {
        assert_eq!(
            fts_queries("blood pressure"),
            Some((
                "\"blood\" \"pressure\"".into(),
                "\"blood\"* \"pressure\"*".into()
            ))
        );
        assert_eq!(
            fts_queries("NEAR(\"x\" OR").unwrap().1,
            "\"NEAR\"* \"x\"* \"OR\"*"
        );
        assert_eq!(fts_queries("  -- "), None);
    }
}
