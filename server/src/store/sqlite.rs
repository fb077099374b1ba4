//! [`Store`] on SQLite (rusqlite, the workspace's one SQLite build).
//!
//! Writes go to one writer thread that owns the write connection (SQLite has one writer
//! anyway). It takes every write waiting in its queue, runs each in a savepoint of one
//! transaction and commits them together (group commit): under load one commit serves many
//! messages, and a failing write rolls back only its own savepoint. Callers hear back only after
//! the commit, so an acknowledgement always means durable. Reads use a few read-only connections
//! on tokio's blocking pool, which WAL lets run beside the writer; nothing blocks the async
//! runtime. WAL with `synchronous=NORMAL`: a committed transaction survives the process being
//! killed (it may not survive a power cut, which is the documented trade of NORMAL).

use super::*;
use crate::identity;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Transaction, params};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use tokio::sync::Semaphore;

/// One rung of the schema ladder.
enum Step {
    Sql(&'static str),
    /// A step SQL cannot say (SQLite's `lower` folds ASCII only).
    Code(fn(&Transaction<'_>) -> StoreResult<()>),
}

/// The schema ladder: entry N-1 moves the file from version N-1 to N.
const MIGRATIONS: &[Step] = &[
    Step::Sql(include_str!("migrations/0001_init.sql")),
    Step::Code(emails_without_case),
    Step::Sql(include_str!("migrations/0003_files.sql")),
    Step::Sql(include_str!("migrations/0004_sign_out.sql")),
    Step::Sql(include_str!("migrations/0005_urgent.sql")),
];

/// How many read connections to keep.
const READERS: usize = 4;

/// Most writes committed together.
const MAX_BATCH: usize = 256;

/// What the writer thread runs: a write given the batch's transaction (or `None` when the
/// batch could not begin), answering the callback that reports the outcome after the commit.
type Job = Box<dyn FnOnce(Option<&Transaction<'_>>) -> Finish + Send>;
/// Reports a job's outcome; `true` when the batch committed.
type Finish = Box<dyn FnOnce(bool) + Send>;

/// How many messages a conversation carries in the list and in get-or-create.
const CONVERSATION_MESSAGES: i64 = 50;

/// SQLite storage.
#[derive(Clone)]
pub struct SqliteStore {
    /// The queue of the writer thread, which owns the one connection that writes.
    writer: std_mpsc::Sender<Job>,
    /// Idle read-only connections; `permits` counts them so a reader waits instead of spinning.
    readers: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database file.
    pub fn open(path: &Path) -> StoreResult<Self> {
        // Password hashes and every message: owner-only, the log and shared memory included
        // (SQLite gives them their database's mode; older ones are tightened here).
        if let Some(dir) = path.parent() {
            nursecare_owner_only::create_dir(dir)?;
        }
        // A file that exists but cannot be tightened (another owner's, a read-only mount) is
        // said in the log; the server still starts.
        if let Err(e) = nursecare_owner_only::create_file(path) {
            if !path.exists() {
                return Err(e.into());
            }
            tracing::warn!(error = %e, "the database could not be made owner-only");
        }
        for side in ["-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(side);
            if let Err(e) = nursecare_owner_only::tighten(Path::new(&p)) {
                tracing::warn!(error = %e, "the database's {side} file could not be made owner-only");
            }
        }
        let mut writer = Connection::open(path)?;
        set_pragmas(&writer)?;
        // WAL is a property of the file; set it once, outside any transaction.
        writer.pragma_update(None, "journal_mode", "WAL")?;
        migrate(&mut writer)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            set_pragmas(&r)?;
            readers.push(r);
        }
        let (jobs, queue) = std_mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(writer, queue))?;
        Ok(Self {
            writer: jobs,
            readers: Arc::new(Mutex::new(readers)),
            permits: Arc::new(Semaphore::new(READERS)),
        })
    }

    /// Runs `f` on a read connection, off the async runtime.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Worker)?;
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = readers
                .lock()
                .map_err(|_| StoreError::Worker)?
                .pop()
                .ok_or(StoreError::Worker)?;
            let out = f(&conn);
            readers.lock().map_err(|_| StoreError::Worker)?.push(conn);
            out
        })
        .await
        .map_err(|_| StoreError::Worker)?
    }

    /// Runs `f` atomically (in its own savepoint) on the writer thread; answers after the
    /// commit.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(move |tx| {
            let result = match tx {
                Some(tx) => in_savepoint(tx, f),
                None => Err(StoreError::Worker),
            };
            Box::new(move |committed| {
                let _ = reply.send(if committed {
                    result
                } else {
                    Err(StoreError::Worker)
                });
            })
        });
        self.writer.send(job).map_err(|_| StoreError::Worker)?;
        answer.await.map_err(|_| StoreError::Worker)?
    }
}

/// Runs one write in a savepoint: its failure (or panic) undoes only its own changes.
fn in_savepoint<T>(
    tx: &Transaction<'_>,
    f: impl FnOnce(&Transaction<'_>) -> StoreResult<T>,
) -> StoreResult<T> {
    tx.execute_batch("SAVEPOINT job")?;
    let out = std::panic::catch_unwind(AssertUnwindSafe(|| f(tx))).unwrap_or_else(|_| {
        tracing::error!("a storage write panicked; rolled back");
        Err(StoreError::Worker)
    });
    if out.is_err() {
        tx.execute_batch("ROLLBACK TO job")?;
    }
    tx.execute_batch("RELEASE job")?;
    out
}

/// The writer thread: batches waiting jobs into one transaction each, until every sender is
/// gone.
fn write_loop(mut conn: Connection, queue: std_mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let finishes: Vec<Finish>;
        let committed =
            match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
                Ok(tx) => {
                    finishes = batch.into_iter().map(|job| job(Some(&tx))).collect();
                    match tx.commit() {
                        Ok(()) => true,
                        Err(e) => {
                            tracing::error!(error = %e, "commit failed");
                            false
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot begin a write transaction");
                    finishes = batch.into_iter().map(|job| job(None)).collect();
                    false
                }
            };
        for finish in finishes {
            finish(committed);
        }
    }
}

fn set_pragmas(conn: &Connection) -> StoreResult<()> {
    // Room for every statement this module prepares (the default 16 thrashes: re-preparing a
    // join costs more than running it).
    conn.set_prepared_statement_cache_capacity(64);
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

/// Applies the migrations the file lacks, each in a transaction with its version bump; refuses
/// a file newer than this build.
fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        match step {
            Step::Sql(sql) => tx.execute_batch(sql)?,
            Step::Code(run) => run(&tx)?,
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database migrated");
    }
    Ok(())
}

/// Version 2: emails are kept in their canonical form (`identity::canonical_email`), so an
/// account is found whatever the case typed and no second account differs only in case.
/// Accounts that already differ only in case cannot be merged by a program (each has its own
/// messages and password): the step stops and names them for the operator.
fn emails_without_case(tx: &Transaction<'_>) -> StoreResult<()> {
    let mut by_key: std::collections::BTreeMap<String, Vec<(Id, String)>> = Default::default();
    let mut stmt = tx.prepare("SELECT id, email FROM users ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, Id>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (id, email) = row?;
        by_key
            .entry(identity::canonical_email(&email))
            .or_default()
            .push((id, email));
    }
    let clashes: Vec<String> = by_key
        .values()
        .filter(|accounts| accounts.len() > 1)
        .map(|accounts| {
            accounts
                .iter()
                .map(|(id, email)| format!("{email} (id {id})"))
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect();
    if !clashes.is_empty() {
        return Err(StoreError::EmailsDifferOnlyInCase(clashes.join("; ")));
    }
    let mut update = tx.prepare("UPDATE users SET email = ?1 WHERE id = ?2")?;
    for (key, accounts) in &by_key {
        for (id, email) in accounts {
            if email != key {
                update.execute(params![key, id])?;
            }
        }
    }
    Ok(())
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn opt_ts(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(Timestamp::from_millis)
}

/// Maps a stored enum spelling, failing loudly on a value the schema's CHECK should forbid.
fn parse_enum<T>(s: String, f: fn(&str) -> Option<T>, col: usize) -> rusqlite::Result<T> {
    f(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            col,
            rusqlite::types::Type::Text,
            format!("unexpected enum value {s:?}").into(),
        )
    })
}

const USER_COLS: &str = "id, email, name, role, password_hash, last_seen, signed_out_at";

fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: parse_enum(r.get(3)?, Role::parse, 3)?,
        password_hash: r.get(4)?,
        last_seen: opt_ts(r.get(5)?),
        signed_out_at: r.get(6)?,
    })
}

const MESSAGE_SELECT: &str = "SELECT m.id, m.conversation_id, m.sender_id, m.content, m.type, \
     m.read, m.created_at, m.client_id, u.name, u.role, m.urgent, m.read_at \
     FROM messages m JOIN users u ON u.id = m.sender_id";

fn message_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let sender_id: Id = r.get(2)?;
    Ok(Message {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        sender_id,
        content: r.get(3)?,
        kind: parse_enum(r.get(4)?, MessageType::parse, 4)?,
        read: r.get(5)?,
        created_at: ts(r.get(6)?),
        client_id: r.get(7)?,
        sender: nursecare_wire::Sender {
            id: sender_id,
            name: r.get(8)?,
            role: parse_enum(r.get(9)?, Role::parse, 9)?,
        },
        // Part B's fields only on urgent messages: every other answer stays Part A's.
        urgent: r.get::<_, bool>(10)?.then_some(true),
        read_at: if r.get::<_, bool>(10)? {
            opt_ts(r.get(11)?)
        } else {
            None
        },
    })
}

const CALL_COLS: &str = "id, conversation_id, room_name, started_by, started_at, ended_at, \
     duration, status, created_at, updated_at, answered_at";

fn call_row(r: &Row<'_>) -> rusqlite::Result<CallRecord> {
    Ok(CallRecord {
        call: VideoCall {
            id: r.get(0)?,
            conversation_id: r.get(1)?,
            room_name: r.get(2)?,
            started_by: r.get(3)?,
            started_at: ts(r.get(4)?),
            ended_at: opt_ts(r.get(5)?),
            duration: r.get(6)?,
            status: parse_enum(r.get(7)?, CallStatus::parse, 7)?,
            created_at: ts(r.get(8)?),
            updated_at: ts(r.get(9)?),
        },
        answered_at: opt_ts(r.get(10)?),
    })
}

fn participants(
    conn: &Connection,
    conversation: Id,
) -> rusqlite::Result<Vec<nursecare_wire::Participant>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.conversation_id, p.user_id, p.joined_at, u.name, u.email, u.role \
         FROM participants p JOIN users u ON u.id = p.user_id \
         WHERE p.conversation_id = ?1 ORDER BY p.id",
    )?;
    let rows = stmt.query_map([conversation], |r| {
        let user_id: Id = r.get(2)?;
        Ok(nursecare_wire::Participant {
            id: r.get(0)?,
            conversation_id: r.get(1)?,
            user_id,
            joined_at: ts(r.get(3)?),
            user: UserSummary {
                id: user_id,
                name: r.get(4)?,
                email: r.get(5)?,
                role: parse_enum(r.get(6)?, Role::parse, 6)?,
            },
        })
    })?;
    rows.collect()
}

fn message_page(
    conn: &Connection,
    conversation: Id,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{MESSAGE_SELECT} WHERE m.conversation_id = ?1 \
         ORDER BY m.created_at DESC, m.id DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(params![conversation, limit, offset], message_row)?;
    rows.collect()
}

fn message_by_id(conn: &Connection, id: Id) -> rusqlite::Result<Message> {
    conn.prepare_cached(&format!("{MESSAGE_SELECT} WHERE m.id = ?1"))?
        .query_row([id], message_row)
}

/// A conversation with its participants and newest messages; `unread_for` adds `unreadCount`
/// counted as production does, within those messages.
fn full_conversation(
    conn: &Connection,
    id: Id,
    unread_for: Option<Id>,
) -> StoreResult<Conversation> {
    let (booking_id, created_at, updated_at): (Option<Id>, i64, i64) = conn
        .prepare_cached(
            "SELECT booking_id, created_at, updated_at FROM conversations WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let messages = message_page(conn, id, CONVERSATION_MESSAGES, 0)?;
    let unread_count = unread_for.map(|me| {
        messages
            .iter()
            .filter(|m| !m.read && m.sender_id != me)
            .count() as i64
    });
    Ok(Conversation {
        id,
        booking_id,
        created_at: ts(created_at),
        updated_at: ts(updated_at),
        participants: participants(conn, id)?,
        messages,
        unread_count,
    })
}

/// The columns [`file_row`] reads, the uploader joined.
const FILE_COLUMNS: &str = "f.id, f.conversation_id, f.filename, f.mimetype, f.size, f.sha256, f.created_at, \
     u.id, u.name, u.email, u.role FROM files f JOIN users u ON u.id = f.uploaded_by";

fn file_row(r: &Row<'_>) -> rusqlite::Result<FileRecord> {
    Ok(FileRecord {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        filename: r.get(2)?,
        mimetype: r.get(3)?,
        size: r.get(4)?,
        sha256: r.get(5)?,
        created_at: ts(r.get(6)?),
        uploaded_by: UserSummary {
            id: r.get(7)?,
            name: r.get(8)?,
            email: r.get(9)?,
            role: parse_enum(r.get(10)?, Role::parse, 10)?,
        },
    })
}

fn file_by_id(conn: &Connection, id: Id) -> rusqlite::Result<Option<FileRecord>> {
    conn.prepare_cached(&format!("SELECT {FILE_COLUMNS} WHERE f.id = ?1"))?
        .query_row([id], file_row)
        .optional()
}

fn content_used(conn: &Connection, sha256: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM files WHERE sha256 = ?1)")?
        .query_row([sha256], |r| r.get(0))
}

fn call_by(
    conn: &Connection,
    clause: &str,
    param: &dyn rusqlite::ToSql,
) -> StoreResult<Option<CallRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CALL_COLS} FROM video_calls WHERE {clause}"
        ))?
        .query_row([param], call_row)
        .optional()?)
}

fn insert_system(
    tx: &Transaction<'_>,
    conversation: Id,
    sender: Id,
    content: &str,
    at: Timestamp,
) -> StoreResult<()> {
    // SYSTEM messages are stored read: they never count as unread.
    tx.prepare_cached(
        "INSERT INTO messages (conversation_id, sender_id, content, type, read, created_at) \
         VALUES (?1, ?2, ?3, 'SYSTEM', 1, ?4)",
    )?
    .execute(params![conversation, sender, content, at.millis()])?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_user(&self, mut user: NewUser) -> StoreResult<UserRecord> {
        user.email = identity::canonical_email(&user.email);
        self.write(move |tx| {
            let taken: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)")?
                .query_row([&user.email], |r| r.get(0))?;
            if taken {
                return Err(StoreError::Conflict(
                    "A user with this email already exists".into(),
                ));
            }
            tx.prepare_cached(
                "INSERT INTO users (email, password_hash, name, role, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                user.email,
                user.password_hash,
                user.name,
                user.role.as_str(),
                Timestamp::now().millis()
            ])?;
            Ok(UserRecord {
                id: tx.last_insert_rowid(),
                email: user.email,
                name: user.name,
                role: user.role,
                password_hash: user.password_hash,
                last_seen: None,
                signed_out_at: None,
            })
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let email = identity::canonical_email(email);
        self.read(move |c| {
            Ok(
                c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE email = ?1"))?
                    .query_row([email], user_row)
                    .optional()?,
            )
        })
        .await
    }

    async fn users(&self, ids: &[Id]) -> StoreResult<Vec<UserRecord>> {
        let ids = ids.to_vec();
        self.read(move |c| {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE id = ?1"))?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(u) = stmt.query_row([id], user_row).optional()? {
                    out.push(u);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn set_last_seen(&self, user: Id, at: Timestamp) -> StoreResult<()> {
        self.write(move |tx| {
            tx.prepare_cached("UPDATE users SET last_seen = ?2 WHERE id = ?1")?
                .execute(params![user, at.millis()])?;
            Ok(())
        })
        .await
    }

    async fn sign_out(&self, email: &str, at: i64) -> StoreResult<Option<Id>> {
        let email = identity::canonical_email(email);
        self.write(move |tx| {
            let id: Option<Id> = tx
                .prepare_cached("SELECT id FROM users WHERE email = ?1")?
                .query_row([&email], |r| r.get(0))
                .optional()?;
            if let Some(id) = id {
                tx.prepare_cached("UPDATE users SET signed_out_at = ?2 WHERE id = ?1")?
                    .execute(params![id, at])?;
            }
            Ok(id)
        })
        .await
    }

    async fn signed_out_since(&self, after: i64) -> StoreResult<Vec<(Id, i64)>> {
        self.read(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT id, signed_out_at FROM users WHERE signed_out_at > ?1")?;
            let rows = stmt.query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn user_count(&self) -> StoreResult<i64> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?))
            .await
    }

    async fn get_or_create_conversation(
        &self,
        me: Id,
        other: Id,
        booking_id: Option<Id>,
        at: Timestamp,
    ) -> StoreResult<(Conversation, bool)> {
        self.write(move |tx| {
            let existing: Option<Id> = tx
                .prepare_cached(
                    "SELECT a.conversation_id FROM participants a \
                     JOIN participants b ON b.conversation_id = a.conversation_id \
                     WHERE a.user_id = ?1 AND b.user_id = ?2 \
                     ORDER BY a.conversation_id LIMIT 1",
                )?
                .query_row([me, other], |r| r.get(0))
                .optional()?;
            // Production keeps the first bookingId: an existing conversation is returned as is.
            if let Some(id) = existing {
                let mut c = full_conversation(tx, id, None)?;
                c.unread_count = None;
                return Ok((c, false));
            }
            tx.prepare_cached(
                "INSERT INTO conversations (booking_id, created_at, updated_at) VALUES (?1, ?2, ?2)",
            )?
            .execute(params![booking_id, at.millis()])?;
            let id = tx.last_insert_rowid();
            let mut add = tx.prepare_cached(
                "INSERT INTO participants (conversation_id, user_id, joined_at) VALUES (?1, ?2, ?3)",
            )?;
            add.execute(params![id, me, at.millis()])?;
            add.execute(params![id, other, at.millis()])?;
            Ok((full_conversation(tx, id, None)?, true))
        })
        .await
    }

    async fn members(&self, conversation: Id) -> StoreResult<Option<ConversationMembers>> {
        self.read(move |c| {
            let exists: bool = c
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM conversations WHERE id = ?1)")?
                .query_row([conversation], |r| r.get(0))?;
            if !exists {
                return Ok(None);
            }
            let mut stmt = c.prepare_cached(
                "SELECT user_id FROM participants WHERE conversation_id = ?1 ORDER BY id",
            )?;
            let user_ids = stmt
                .query_map([conversation], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<Id>>>()?;
            Ok(Some(ConversationMembers {
                id: conversation,
                user_ids,
            }))
        })
        .await
    }

    async fn conversations_of(&self, user: Id) -> StoreResult<Vec<Conversation>> {
        self.read(move |c| {
            let ids = c
                .prepare_cached(
                    "SELECT c.id FROM conversations c \
                     JOIN participants p ON p.conversation_id = c.id AND p.user_id = ?1 \
                     ORDER BY c.updated_at DESC, c.id DESC",
                )?
                .query_map([user], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<Id>>>()?;
            ids.into_iter()
                .map(|id| full_conversation(c, id, Some(user)))
                .collect()
        })
        .await
    }

    async fn conversation_with_participants(
        &self,
        conversation: Id,
    ) -> StoreResult<Option<ConversationWithParticipants>> {
        self.read(move |c| {
            let row: Option<(Option<Id>, i64, i64)> = c
                .prepare_cached(
                    "SELECT booking_id, created_at, updated_at FROM conversations WHERE id = ?1",
                )?
                .query_row([conversation], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let Some((booking_id, created_at, updated_at)) = row else {
                return Ok(None);
            };
            Ok(Some(ConversationWithParticipants {
                id: conversation,
                booking_id,
                created_at: ts(created_at),
                updated_at: ts(updated_at),
                participants: participants(c, conversation)?,
            }))
        })
        .await
    }

    async fn peers_of(&self, user: Id) -> StoreResult<Vec<Id>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT DISTINCT b.user_id FROM participants a \
                 JOIN participants b ON b.conversation_id = a.conversation_id \
                 WHERE a.user_id = ?1 AND b.user_id != ?1",
            )?
            .query_map([user], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<Id>>>()?)
        })
        .await
    }

    async fn messages(
        &self,
        conversation: Id,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<Message>> {
        self.read(move |c| Ok(message_page(c, conversation, limit, offset)?))
            .await
    }

    async fn insert_message(&self, m: NewMessage) -> StoreResult<(Message, bool)> {
        self.write(move |tx| {
            if let Some(key) = &m.client_id {
                let existing: Option<Id> = tx
                    .prepare_cached("SELECT id FROM messages WHERE sender_id = ?1 AND client_id = ?2")?
                    .query_row(params![m.sender_id, key], |r| r.get(0))
                    .optional()?;
                if let Some(id) = existing {
                    return Ok((message_by_id(tx, id)?, false));
                }
            }
            let read = m.kind == MessageType::System;
            tx.prepare_cached(
                "INSERT INTO messages (conversation_id, sender_id, content, type, read, client_id, created_at, urgent) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                m.conversation_id,
                m.sender_id,
                m.content,
                m.kind.as_str(),
                read,
                m.client_id,
                m.at.millis(),
                m.urgent
            ])?;
            let id = tx.last_insert_rowid();
            tx.prepare_cached("UPDATE conversations SET updated_at = ?2 WHERE id = ?1")?
                .execute(params![m.conversation_id, m.at.millis()])?;
            Ok((message_by_id(tx, id)?, true))
        })
        .await
    }

    async fn mark_read(&self, conversation: Id, reader: Id) -> StoreResult<u64> {
        self.write(move |tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE messages SET read = 1, read_at = ?3 \
                     WHERE conversation_id = ?1 AND sender_id != ?2 AND read = 0",
                )?
                .execute(params![conversation, reader, Timestamp::now().millis()])?;
            Ok(n as u64)
        })
        .await
    }

    async fn unread_count(&self, user: Id) -> StoreResult<i64> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT COUNT(*) FROM messages m \
                 JOIN participants p ON p.conversation_id = m.conversation_id AND p.user_id = ?1 \
                 WHERE m.read = 0 AND m.sender_id != ?1",
            )?
            .query_row([user], |r| r.get(0))?)
        })
        .await
    }

    async fn create_call(
        &self,
        conversation: Id,
        room_name: &str,
        started_by: Id,
        at: Timestamp,
    ) -> StoreResult<CallRecord> {
        let room_name = room_name.to_owned();
        self.write(move |tx| {
            tx.prepare_cached(
                "INSERT INTO video_calls (conversation_id, room_name, started_by, started_at, status, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, 'ONGOING', ?4, ?4)",
            )?
            .execute(params![conversation, room_name, started_by, at.millis()])?;
            let id = tx.last_insert_rowid();
            insert_system(tx, conversation, started_by, nursecare_wire::system::VIDEO_CALL_STARTED, at)?;
            call_by(tx, "id = ?1", &id)?.ok_or(StoreError::Missing("video_calls"))
        })
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
        let room_name = room_name.to_owned();
        self.write(move |tx| {
            // An answered call still ONGOING may have people in it: no second call beside it.
            if let Some(answered) = call_by(
                tx,
                "conversation_id = ?1 AND status = 'ONGOING' AND answered_at IS NOT NULL ORDER BY id DESC LIMIT 1",
                &conversation,
            )? {
                return Err(StoreError::Conflict(format!(
                    "Video call {} is still ONGOING in this conversation: rejoin it or end it first",
                    answered.call.id
                )));
            }
            // Only a call still ringing from the other side: an answered call left ONGOING
            // (nobody ended it) is not one to join.
            let ringing = call_by(
                tx,
                "conversation_id = ?1 AND status = 'ONGOING' ORDER BY started_at DESC, id DESC LIMIT 1",
                &conversation,
            )?
            .filter(|c| {
                c.answered_at.is_none()
                    && c.call.started_by != started_by
                    && c.call.started_at.millis() >= ringing_since.millis()
            });
            if let Some(ringing) = ringing {
                return Ok((ringing, false));
            }
            tx.prepare_cached(
                "INSERT INTO video_calls (conversation_id, room_name, started_by, started_at, status, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, 'ONGOING', ?4, ?4)",
            )?
            .execute(params![conversation, room_name, started_by, at.millis()])?;
            let id = tx.last_insert_rowid();
            insert_system(tx, conversation, started_by, nursecare_wire::system::VIDEO_CALL_STARTED, at)?;
            let record = call_by(tx, "id = ?1", &id)?.ok_or(StoreError::Missing("video_calls"))?;
            Ok((record, true))
        })
        .await
    }

    async fn call(&self, id: Id) -> StoreResult<Option<CallRecord>> {
        self.read(move |c| call_by(c, "id = ?1", &id)).await
    }

    async fn call_by_room(&self, room_name: &str) -> StoreResult<Option<CallRecord>> {
        let room_name = room_name.to_owned();
        self.read(move |c| call_by(c, "room_name = ?1", &room_name))
            .await
    }

    async fn change_call(&self, id: Id, ch: CallChange) -> StoreResult<Option<CallChanged>> {
        self.write(move |tx| {
            let Some(before) = call_by(tx, "id = ?1", &id)? else {
                return Ok(None);
            };
            let ongoing = before.call.status == CallStatus::Ongoing;
            let allowed = match ch.guard {
                CallGuard::Any => true,
                CallGuard::Ongoing => ongoing,
                CallGuard::OngoingUnanswered => ongoing && before.answered_at.is_none(),
            };
            if !allowed {
                return Ok(Some(CallChanged {
                    record: before,
                    applied: false,
                }));
            }
            let at = ch.at.millis();
            let duration = (at - before.call.started_at.millis()).max(0) / 1000;
            tx.prepare_cached(
                "UPDATE video_calls SET \
                   status = COALESCE(?2, status), \
                   ended_at = CASE WHEN ?3 THEN ?6 ELSE ended_at END, \
                   duration = CASE WHEN ?4 THEN ?7 ELSE duration END, \
                   answered_at = CASE WHEN ?5 THEN COALESCE(answered_at, ?6) ELSE answered_at END, \
                   updated_at = ?6 \
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                ch.status.map(CallStatus::as_str),
                ch.set_ended_at,
                ch.set_duration,
                ch.set_answered,
                at,
                duration
            ])?;
            let (sender, text) = ch.system;
            let sender = match sender {
                SystemSender::Starter => before.call.started_by,
                SystemSender::User(u) => u,
            };
            let content = match text {
                SystemText::Fixed(s) => s.to_owned(),
                SystemText::EndedWithDuration => nursecare_wire::system::ended(duration),
            };
            insert_system(tx, before.call.conversation_id, sender, &content, ch.at)?;
            let record = call_by(tx, "id = ?1", &id)?.ok_or(StoreError::Missing("video_calls"))?;
            Ok(Some(CallChanged {
                record,
                applied: true,
            }))
        })
        .await
    }

    async fn calls_of(&self, conversation: Id) -> StoreResult<Vec<VideoCall>> {
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {CALL_COLS} FROM video_calls WHERE conversation_id = ?1 \
                 ORDER BY started_at DESC, id DESC"
            ))?
            .query_map([conversation], |r| call_row(r).map(|c| c.call))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn ongoing_call(&self, conversation: Id) -> StoreResult<Option<VideoCall>> {
        self.read(move |c| {
            Ok(call_by(
                c,
                "conversation_id = ?1 AND status = 'ONGOING' ORDER BY started_at DESC, id DESC LIMIT 1",
                &conversation,
            )?
            .map(|r| r.call))
        })
        .await
    }

    async fn unanswered_calls(&self) -> StoreResult<Vec<CallRecord>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {CALL_COLS} FROM video_calls WHERE status = 'ONGOING' AND answered_at IS NULL"
            ))?
            .query_map([], call_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn insert_file(&self, file: NewFile) -> StoreResult<FileRecord> {
        self.write(move |tx| {
            tx.prepare_cached(
                "INSERT INTO files (conversation_id, uploaded_by, filename, mimetype, size, sha256, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                file.conversation_id,
                file.uploaded_by,
                file.filename,
                file.mimetype,
                file.size,
                file.sha256,
                file.at.millis()
            ])?;
            let id = tx.last_insert_rowid();
            file_by_id(tx, id)?.ok_or(StoreError::Missing("files"))
        })
        .await
    }

    async fn file(&self, id: Id) -> StoreResult<Option<FileRecord>> {
        self.read(move |c| Ok(file_by_id(c, id)?)).await
    }

    async fn files_of(&self, conversation: Id) -> StoreResult<Vec<FileRecord>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {FILE_COLUMNS} WHERE f.conversation_id = ?1 ORDER BY f.created_at DESC, f.id DESC"
            ))?;
            let files = stmt
                .query_map([conversation], file_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(files)
        })
        .await
    }

    async fn delete_file(&self, id: Id) -> StoreResult<Option<(FileRecord, bool)>> {
        self.write(move |tx| {
            let Some(file) = file_by_id(tx, id)? else {
                return Ok(None);
            };
            tx.prepare_cached("DELETE FROM files WHERE id = ?1")?
                .execute([id])?;
            let used = content_used(tx, &file.sha256)?;
            Ok(Some((file, used)))
        })
        .await
    }

    async fn content_used(&self, sha256: &str) -> StoreResult<bool> {
        let sha256 = sha256.to_owned();
        self.read(move |c| Ok(content_used(c, &sha256)?)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        (dir, s)
    }

    async fn user(s: &SqliteStore, email: &str) -> Id {
        s.create_user(NewUser {
            email: email.into(),
            name: None,
            role: Role::Patient,
            password_hash: "x".into(),
        })
        .await
        .unwrap()
        .id
    }

    /// The database held password hashes and every message at mode 644 (issue 16).
    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_its_log_and_folder_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let db = root.path().join("data/server.db");
        let mode = |p: &str| {
            std::fs::metadata(root.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        let files = ["data/server.db", "data/server.db-wal", "data/server.db-shm"];
        {
            let s = SqliteStore::open(&db).unwrap();
            user(&s, "a@x").await;
            assert_eq!(mode("data"), 0o700);
            for f in files {
                assert_eq!(mode(f), 0o600, "{f}");
            }
        }
        // What an older version left readable is tightened at the next start (the log may
        // be gone after a clean close; a new one takes the database's mode).
        for f in files {
            let _ = std::fs::set_permissions(
                root.path().join(f),
                std::fs::Permissions::from_mode(0o644),
            );
        }
        let s = SqliteStore::open(&db).unwrap();
        user(&s, "b@x").await;
        for f in files {
            assert_eq!(mode(f), 0o600, "{f} after reopening");
        }
    }

    /// A database from before version 2 whose emails differ only in case: the server does not
    /// start, and says which accounts and what to do; once the operator has fixed them, the
    /// emails are folded and a login in any case finds its account.
    #[tokio::test]
    async fn the_case_migration_names_clashing_accounts_then_folds_emails() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("old.db");
        {
            let c = Connection::open(&db).unwrap();
            let Step::Sql(v1) = MIGRATIONS[0] else {
                unreachable!()
            };
            c.execute_batch(v1).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
            for email in ["Chloe.Martin@c.test", "chloe.martin@c.test", "Ben@C.test"] {
                c.execute(
                    "INSERT INTO users (email, password_hash, role, created_at) VALUES (?1, 'x', 'PATIENT', 0)",
                    [email],
                )
                .unwrap();
            }
        }
        let Err(e) = SqliteStore::open(&db) else {
            panic!("opened with clashing emails")
        };
        let said = e.to_string();
        for part in [
            "Chloe.Martin@c.test (id 1)",
            "chloe.martin@c.test (id 2)",
            "UPDATE users",
        ] {
            assert!(said.contains(part), "{part}: {said}");
        }
        assert!(!said.contains("Ben"), "{said}");
        Connection::open(&db)
            .unwrap()
            .execute(
                "UPDATE users SET email = 'chloe.m2@c.test' WHERE id = 2",
                [],
            )
            .unwrap();
        let s = SqliteStore::open(&db).unwrap();
        let ben = s.user_by_email("BEN@c.test").await.unwrap().unwrap();
        assert_eq!(ben.email, "ben@c.test");
        assert_eq!(
            s.user_by_email("chloe.MARTIN@c.test")
                .await
                .unwrap()
                .unwrap()
                .id,
            1
        );
    }

    #[tokio::test]
    async fn duplicate_email_is_a_conflict() {
        let (_d, s) = store().await;
        user(&s, "a@x").await;
        let e = s
            .create_user(NewUser {
                email: "a@x".into(),
                name: None,
                role: Role::Nurse,
                password_hash: "y".into(),
            })
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict(_)));
    }

    #[tokio::test]
    async fn one_conversation_per_pair_keeps_first_booking() {
        let (_d, s) = store().await;
        let (a, b) = (user(&s, "a@x").await, user(&s, "b@x").await);
        let (c1, new1) = s
            .get_or_create_conversation(a, b, Some(7), Timestamp::now())
            .await
            .unwrap();
        let (c2, new2) = s
            .get_or_create_conversation(b, a, Some(9), Timestamp::now())
            .await
            .unwrap();
        assert!(new1 && !new2);
        assert_eq!(c1.id, c2.id);
        assert_eq!(c2.booking_id, Some(7));
    }

    #[tokio::test]
    async fn client_id_deduplicates_per_sender() {
        let (_d, s) = store().await;
        let (a, b) = (user(&s, "a@x").await, user(&s, "b@x").await);
        let (c, _) = s
            .get_or_create_conversation(a, b, None, Timestamp::now())
            .await
            .unwrap();
        let msg = |sender, key: &str| NewMessage {
            conversation_id: c.id,
            sender_id: sender,
            content: "hi".into(),
            kind: MessageType::Text,
            client_id: Some(key.into()),
            urgent: false,
            at: Timestamp::now(),
        };
        let (m1, fresh1) = s.insert_message(msg(a, "k1")).await.unwrap();
        let (m2, fresh2) = s.insert_message(msg(a, "k1")).await.unwrap();
        let (m3, fresh3) = s.insert_message(msg(b, "k1")).await.unwrap();
        assert!(fresh1 && !fresh2 && fresh3);
        assert_eq!(m1.id, m2.id);
        assert_ne!(m1.id, m3.id);
        assert_eq!(s.messages(c.id, 50, 0).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", 99).unwrap();
        }
        assert!(matches!(
            SqliteStore::open(&path),
            Err(StoreError::SchemaTooNew { found: 99, .. })
        ));
    }
}
