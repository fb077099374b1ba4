//! The outbox table: messages typed here, kept until the server has them.
//!
//! A row is `pending` until its echo (or the server's newest page) shows the stored message,
//! then `sent` with the message's id; `failed` rows wait for the user to retry or discard.
//! Rows go out oldest first. Sent rows are kept a while: on production (no clientId) they are
//! what tells an already-matched server message from a new one.

use super::{Cache, CacheError, put_messages};
use nursecare_wire::{Id, Message, Timestamp};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// Where an outbox row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub enum OutboxState {
    /// Waiting to go out (or for its echo).
    Pending,
    /// On the server.
    Sent,
    /// Given up on; `reason` says why.
    Failed,
}

impl OutboxState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// Why a row failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub enum SendFailure {
    /// The server will not take it (not a participant, invalid input): sending it again as
    /// it is will not help.
    Refused,
    /// The server could not store it.
    ServerError,
    /// No answer after every attempt.
    Unconfirmed,
}

impl SendFailure {
    fn as_str(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::ServerError => "server",
            Self::Unconfirmed => "unconfirmed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "refused" => Self::Refused,
            "server" => Self::ServerError,
            _ => Self::Unconfirmed,
        }
    }
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct OutboxItem {
    /// Local order.
    pub local_id: i64,
    /// The idempotency key (a UUID), also on the stored message once matched.
    pub client_id: String,
    /// Its conversation.
    pub conversation_id: Id,
    /// Its text.
    pub content: String,
    /// Where it is.
    pub state: OutboxState,
    /// Why it failed, in words for the user.
    pub reason: Option<String>,
    /// Why it failed, as a kind.
    pub failure: Option<SendFailure>,
    /// The stored message, once sent.
    pub message_id: Option<Id>,
    /// When it was typed.
    pub created_at: Timestamp,
    /// How often it was emitted.
    pub attempts: u32,
    /// When it was first emitted (it may be on the server since then).
    pub attempted_at: Option<Timestamp>,
    /// Marked urgent by its sender (our server: the recipient's app alerts again until read).
    pub urgent: bool,
}

const COLUMNS: &str = "local_id, client_id, conversation_id, content, state, reason, message_id, \
                       created_at, attempts, attempted_at, failure, urgent";

fn item_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxItem> {
    let state: String = r.get(4)?;
    Ok(OutboxItem {
        local_id: r.get(0)?,
        client_id: r.get(1)?,
        conversation_id: r.get(2)?,
        content: r.get(3)?,
        state: OutboxState::parse(&state),
        reason: r.get(5)?,
        message_id: r.get(6)?,
        created_at: Timestamp::from_millis(r.get(7)?),
        attempts: r.get(8)?,
        attempted_at: r.get::<_, Option<i64>>(9)?.map(Timestamp::from_millis),
        failure: r
            .get::<_, Option<String>>(10)?
            .map(|f| SendFailure::parse(&f)),
        urgent: r.get(11)?,
    })
}

/// How long sent rows are kept.
const KEEP_SENT_MS: i64 = 7 * 24 * 3600 * 1000;

impl Cache {
    /// Queues a message.
    pub fn outbox_add(
        &mut self,
        conversation: Id,
        content: &str,
        client_id: &str,
    ) -> Result<OutboxItem, CacheError> {
        self.outbox_add_with(conversation, content, client_id, false)
    }

    /// Queues a message, urgent or not.
    pub fn outbox_add_with(
        &mut self,
        conversation: Id,
        content: &str,
        client_id: &str,
        urgent: bool,
    ) -> Result<OutboxItem, CacheError> {
        self.conn
            .prepare_cached(
                "INSERT INTO outbox (client_id, conversation_id, content, state, created_at, urgent) \
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?5)",
            )?
            .execute(params![
                client_id,
                conversation,
                content,
                Timestamp::now().millis(),
                urgent
            ])?;
        self.outbox_item(client_id)?
            .ok_or(CacheError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    /// Queues a message to a conversation the cache knows; `None` (nothing queued) for one it
    /// does not.
    pub fn outbox_add_if_known(
        &mut self,
        conversation: Id,
        content: &str,
        client_id: &str,
        urgent: bool,
    ) -> Result<Option<OutboxItem>, CacheError> {
        if !self.has_conversation(conversation)? {
            return Ok(None);
        }
        self.outbox_add_with(conversation, content, client_id, urgent)
            .map(Some)
    }

    /// One row by its clientId.
    pub fn outbox_item(&self, client_id: &str) -> Result<Option<OutboxItem>, CacheError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE client_id = ?1"
            ))?
            .query_row([client_id], item_row)
            .optional()?)
    }

    /// The oldest pending row.
    pub fn outbox_next(&self) -> Result<Option<OutboxItem>, CacheError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE state = 'pending' ORDER BY local_id LIMIT 1"
            ))?
            .query_row([], item_row)
            .optional()?)
    }

    /// Rows not yet sent (pending and failed), oldest first; of one conversation when given.
    pub fn outbox_unsent(&self, conversation: Option<Id>) -> Result<Vec<OutboxItem>, CacheError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE state != 'sent' \
             AND (?1 IS NULL OR conversation_id = ?1) ORDER BY local_id"
        ))?;
        let rows = stmt.query_map([conversation], item_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many rows wait to go out.
    pub fn outbox_pending_count(&self) -> Result<u32, CacheError> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM outbox WHERE state = 'pending'")?
            .query_row([], |r| r.get(0))?)
    }

    /// Records that a row is being emitted. `attempted_at` keeps the first attempt: a retry
    /// must look for the message from there on, however long the retries took.
    pub fn outbox_attempt(&mut self, local_id: i64) -> Result<(), CacheError> {
        self.conn
            .prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, \
                 attempted_at = COALESCE(attempted_at, ?2) WHERE local_id = ?1",
            )?
            .execute(params![local_id, Timestamp::now().millis()])?;
        Ok(())
    }

    /// Takes back an attempt whose emit never left (the link was down): it must not count
    /// towards giving up. `attempted_at` stays, so production still reconciles first.
    pub fn outbox_attempt_undo(&mut self, local_id: i64) -> Result<(), CacheError> {
        self.conn
            .prepare_cached(
                "UPDATE outbox SET attempts = MAX(attempts - 1, 0) WHERE local_id = ?1",
            )?
            .execute([local_id])?;
        Ok(())
    }

    /// Matches a pending row with its stored message: the message is cached with the row's
    /// clientId and the row becomes `sent`, in one transaction. Answers the row when it was
    /// pending (a second echo answers `None`), and whether the message was new to the cache.
    pub fn outbox_confirm(
        &mut self,
        client_id: &str,
        message: &Message,
    ) -> Result<(Option<OutboxItem>, bool), CacheError> {
        let tx = self.conn.transaction()?;
        let mut message = message.clone();
        message.client_id = Some(client_id.to_owned());
        let fresh = !put_messages(&tx, std::slice::from_ref(&message))?.is_empty();
        let changed = tx
            .prepare_cached(
                "UPDATE outbox SET state = 'sent', message_id = ?2, reason = NULL, failure = NULL \
                 WHERE client_id = ?1 AND state != 'sent'",
            )?
            .execute(params![client_id, message.id])?;
        tx.commit()?;
        let item = if changed == 1 {
            self.outbox_item(client_id)?
        } else {
            None
        };
        Ok((item, fresh))
    }

    /// Gives up on a pending row; answers the row when it was pending.
    pub fn outbox_fail(
        &mut self,
        local_id: i64,
        failure: SendFailure,
        reason: &str,
    ) -> Result<Option<OutboxItem>, CacheError> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET state = 'failed', failure = ?2, reason = ?3 \
                 WHERE local_id = ?1 AND state = 'pending'",
            )?
            .execute(params![local_id, failure.as_str(), reason])?;
        if changed == 0 {
            return Ok(None);
        }
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE local_id = ?1"))?
            .query_row([local_id], item_row)
            .optional()?)
    }

    /// Puts a failed row back in the queue. A row the server said it did not store (refused,
    /// or failed to store) starts afresh; one that was never confirmed keeps the time of its
    /// first emit, so it is looked for on the server before it goes out again.
    pub fn outbox_retry(&mut self, client_id: &str) -> Result<Option<OutboxItem>, CacheError> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET state = 'pending', reason = NULL, failure = NULL, attempts = 0, \
                 attempted_at = CASE WHEN failure = 'unconfirmed' THEN attempted_at END \
                 WHERE client_id = ?1 AND state = 'failed'",
            )?
            .execute([client_id])?;
        if changed == 0 {
            return Ok(None);
        }
        self.outbox_item(client_id)
    }

    /// Drops a failed row (the user chose not to send it).
    pub fn outbox_discard(&mut self, client_id: &str) -> Result<bool, CacheError> {
        Ok(self
            .conn
            .prepare_cached("DELETE FROM outbox WHERE client_id = ?1 AND state = 'failed'")?
            .execute([client_id])?
            == 1)
    }

    /// The oldest row of a conversation failed as `ServerError` with this text: production's
    /// `error` names no message, so a late echo is matched back to it by its text.
    pub fn outbox_failed_by_server(
        &self,
        conversation: Id,
        content: &str,
    ) -> Result<Option<String>, CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT client_id FROM outbox WHERE state = 'failed' AND failure = 'server' \
                 AND conversation_id = ?1 AND content = ?2 ORDER BY local_id LIMIT 1",
            )?
            .query_row(params![conversation, content], |r| r.get(0))
            .optional()?)
    }

    /// Whether a server message was already matched with an outbox row.
    pub fn outbox_claimed(&self, message_id: Id) -> Result<bool, CacheError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM outbox WHERE message_id = ?1")?
            .query_row([message_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Forgets sent rows older than a week.
    pub fn outbox_prune(&mut self) -> Result<usize, CacheError> {
        Ok(self
            .conn
            .prepare_cached("DELETE FROM outbox WHERE state = 'sent' AND created_at < ?1")?
            .execute([Timestamp::now().millis() - KEEP_SENT_MS])?)
    }
}
