//! What the UI reads from the cache besides message pages: the conversation list with its
//! previews and unread counts, read flags, calls, and how far each history is known.

use super::{Cache, CacheError, MESSAGE_COLUMNS, message_row};
use nursecare_wire::{CallStatus, Id, Message, Role, Timestamp, UserSummary, VideoCall};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// One row of the conversation list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct ConversationSummary {
    /// The conversation.
    pub id: Id,
    /// Its booking, if any.
    pub booking_id: Option<Id>,
    /// The other participant (the first one that is not the user).
    pub other: Option<UserSummary>,
    /// The newest message (the preview).
    pub last_message: Option<Message>,
    /// Messages from the others the user has not read.
    pub unread: u32,
    /// Last activity: the newest message's time, else the conversation's.
    pub updated_at: Timestamp,
    /// Muted on this device: no notifications.
    pub muted: bool,
    /// The composer's unsent text, if any.
    pub draft: Option<String>,
    /// A call rang here unanswered since the chat was last opened.
    pub missed_call: bool,
    /// The newest file shared in the chat, when it is newer than the newest message (the
    /// preview then says "Chloe sent a photo").
    pub last_file: Option<FileNote>,
    /// Urgent messages from the others not read yet (our server): the row says so.
    pub urgent: u32,
}

/// A file shared in a chat, as its row tells it: who, and whether it is a photo. Never the
/// file's name (a name can say as much as a message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct FileNote {
    /// Who shared it, when known.
    pub uploaded_by: Option<Id>,
    /// A photo (an image type).
    pub image: bool,
    /// When.
    pub created_at: Timestamp,
}

impl Cache {
    /// The conversation list, most recent activity first.
    pub fn conversation_summaries(&self, me: Id) -> Result<Vec<ConversationSummary>, CacheError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, booking_id, updated_at FROM conversations")?;
        let rows: Vec<(Id, Option<Id>, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, booking_id, updated) in rows {
            out.push(self.summary_of(id, booking_id, updated, me)?);
        }
        out.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
        Ok(out)
    }

    /// One row of the conversation list; `None` for a conversation the cache does not know.
    pub fn conversation_summary(
        &self,
        id: Id,
        me: Id,
    ) -> Result<Option<ConversationSummary>, CacheError> {
        let row: Option<(Option<Id>, i64)> = self
            .conn
            .prepare_cached("SELECT booking_id, updated_at FROM conversations WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(booking_id, updated)| self.summary_of(id, booking_id, updated, me))
            .transpose()
    }

    fn summary_of(
        &self,
        id: Id,
        booking_id: Option<Id>,
        updated: i64,
        me: Id,
    ) -> Result<ConversationSummary, CacheError> {
        let last_message = self.messages(id, None, 1)?.into_iter().next();
        let mut updated_at = last_message
            .as_ref()
            .map(|m| m.created_at.max(Timestamp::from_millis(updated)))
            .unwrap_or(Timestamp::from_millis(updated));
        let last_file = self.newest_file(id)?.filter(|f| {
            last_message
                .as_ref()
                .is_none_or(|m| f.created_at > m.created_at)
        });
        if let Some(f) = &last_file {
            // A file shared is activity: the chat moves up.
            updated_at = updated_at.max(f.created_at);
        }
        let (muted, draft) = self.prefs(id)?;
        Ok(ConversationSummary {
            id,
            booking_id,
            other: self.other_participant(id, me)?,
            last_message,
            unread: self.unread_in(id, me)?,
            updated_at,
            muted,
            draft,
            missed_call: self.missed_call(id)?,
            last_file,
            urgent: self.urgent_in(id, me)?,
        })
    }

    fn newest_file(&self, conversation: Id) -> Result<Option<FileNote>, CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT uploaded_by, mimetype, created_at FROM files WHERE conversation_id = ?1 \
                 ORDER BY created_at DESC, id DESC LIMIT 1",
            )?
            .query_row([conversation], |r| {
                Ok(FileNote {
                    uploaded_by: r.get(0)?,
                    image: r.get::<_, String>(1)?.starts_with("image/"),
                    created_at: Timestamp::from_millis(r.get(2)?),
                })
            })
            .optional()?)
    }

    /// Whether a call rang unanswered in the conversation since it was last opened.
    fn missed_call(&self, conversation: Id) -> Result<bool, CacheError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM missed_calls WHERE conversation_id = ?1")?
            .query_row([conversation], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Marks a missed call in its conversation (the newest one counts).
    pub fn set_missed_call(
        &mut self,
        conversation: Id,
        call: Id,
        caller: Id,
        at: Timestamp,
    ) -> Result<(), CacheError> {
        self.conn
            .prepare_cached(
                "INSERT INTO missed_calls (conversation_id, call_id, caller_id, at)                  VALUES (?1, ?2, ?3, ?4) ON CONFLICT (conversation_id) DO UPDATE                  SET call_id = ?2, caller_id = ?3, at = ?4",
            )?
            .execute(params![conversation, call, caller, at.millis()])?;
        Ok(())
    }

    /// The chat was opened: its missed-call mark goes. Answers whether there was one.
    pub fn clear_missed_call(&mut self, conversation: Id) -> Result<bool, CacheError> {
        Ok(self
            .conn
            .prepare_cached("DELETE FROM missed_calls WHERE conversation_id = ?1")?
            .execute([conversation])?
            > 0)
    }

    /// A conversation's muted flag and draft.
    fn prefs(&self, conversation: Id) -> Result<(bool, Option<String>), CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT muted, draft FROM conversation_prefs WHERE conversation_id = ?1",
            )?
            .query_row([conversation], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or((false, None)))
    }

    /// Mutes or unmutes a conversation on this device.
    pub fn set_muted(&mut self, conversation: Id, muted: bool) -> Result<(), CacheError> {
        self.conn
            .prepare_cached(
                "INSERT INTO conversation_prefs (conversation_id, muted) VALUES (?1, ?2) \
                 ON CONFLICT (conversation_id) DO UPDATE SET muted = ?2",
            )?
            .execute(params![conversation, muted])?;
        Ok(())
    }

    /// Keeps (or, empty, drops) a conversation's unsent draft.
    pub fn set_draft(&mut self, conversation: Id, draft: &str) -> Result<(), CacheError> {
        let draft = (!draft.is_empty()).then_some(draft);
        self.conn
            .prepare_cached(
                "INSERT INTO conversation_prefs (conversation_id, draft) VALUES (?1, ?2) \
                 ON CONFLICT (conversation_id) DO UPDATE SET draft = ?2",
            )?
            .execute(params![conversation, draft])?;
        Ok(())
    }

    fn other_participant(
        &self,
        conversation: Id,
        me: Id,
    ) -> Result<Option<UserSummary>, CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT u.id, u.name, u.email, u.role FROM participants p JOIN users u ON u.id = p.user_id \
                 WHERE p.conversation_id = ?1 AND p.user_id != ?2 ORDER BY p.id LIMIT 1",
            )?
            .query_row(params![conversation, me], |r| {
                let role: String = r.get(3)?;
                Ok(UserSummary {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    email: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    role: Role::parse(&role).unwrap_or(Role::Patient),
                })
            })
            .optional()?)
    }

    /// Unread messages of one conversation (from the others, not yet read).
    pub fn unread_in(&self, conversation: Id, me: Id) -> Result<u32, CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM messages WHERE conversation_id = ?1 AND read = 0 AND sender_id != ?2",
            )?
            .query_row(params![conversation, me], |r| r.get(0))?)
    }

    /// Urgent messages of one conversation from the others, not yet read.
    pub fn urgent_in(&self, conversation: Id, me: Id) -> Result<u32, CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM messages WHERE conversation_id = ?1 AND read = 0 \
                 AND urgent = 1 AND sender_id != ?2",
            )?
            .query_row(params![conversation, me], |r| r.get(0))?)
    }

    /// Unread counts of every conversation that has any.
    pub fn unread_counts(&self, me: Id) -> Result<Vec<(Id, u32)>, CacheError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT conversation_id, count(*) FROM messages WHERE read = 0 AND sender_id != ?1 \
             GROUP BY conversation_id ORDER BY conversation_id",
        )?;
        let rows = stmt.query_map([me], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The user's own messages the other party has not read yet, per conversation (of one
    /// conversation when given).
    pub fn unread_sent(
        &self,
        me: Id,
        conversation: Option<Id>,
    ) -> Result<Vec<(Id, u32)>, CacheError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT conversation_id, count(*) FROM messages WHERE read = 0 AND sender_id = ?1 \
             AND (?2 IS NULL OR conversation_id = ?2) GROUP BY conversation_id",
        )?;
        let rows = stmt.query_map(params![me, conversation], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks read what `reader` received in a conversation (the messages of everyone else);
    /// answers how many changed.
    pub fn mark_read_by(&mut self, conversation: Id, reader: Id) -> Result<usize, CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "UPDATE messages SET read = 1 WHERE conversation_id = ?1 AND sender_id != ?2 AND read = 0",
            )?
            .execute(params![conversation, reader])?)
    }

    /// Stamps when `reader` read the urgent messages the others sent them in a conversation
    /// (the sender sees it; our server sends the time with its read event).
    pub fn stamp_urgent_read(
        &mut self,
        conversation: Id,
        reader: Id,
        at: nursecare_wire::Timestamp,
    ) -> Result<usize, CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "UPDATE messages SET read_at = ?3 WHERE conversation_id = ?1 AND sender_id != ?2 \
                 AND urgent = 1 AND read_at IS NULL AND created_at <= ?3",
            )?
            .execute(params![conversation, reader, at.millis()])?)
    }

    /// Marks read the others' messages of a conversation up to and including `up_to` (a
    /// message id; by place in the order): what a read request sent before later messages
    /// arrived covered, and no more.
    pub fn mark_read_up_to(
        &mut self,
        conversation: Id,
        reader: Id,
        up_to: Id,
    ) -> Result<usize, CacheError> {
        let Some((at, id)) = self.message_key(up_to)? else {
            return Ok(0);
        };
        Ok(self
            .conn
            .prepare_cached(
                "UPDATE messages SET read = 1 WHERE conversation_id = ?1 AND sender_id != ?2 \
                 AND read = 0 AND (created_at, id) <= (?3, ?4)",
            )?
            .execute(params![conversation, reader, at, id])?)
    }

    /// The most recently active conversation shared with `user` (production's `userTyping`
    /// names no conversation).
    pub fn conversation_with(&self, user: Id) -> Result<Option<Id>, CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT c.id FROM conversations c JOIN participants p ON p.conversation_id = c.id \
                 WHERE p.user_id = ?1 ORDER BY c.updated_at DESC, c.id DESC LIMIT 1",
            )?
            .query_row([user], |r| r.get(0))
            .optional()?)
    }

    /// Whether the cache knows a conversation (the user's conversations are all it holds).
    pub fn has_conversation(&self, id: Id) -> Result<bool, CacheError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Every cached conversation's id.
    pub fn conversation_ids(&self) -> Result<Vec<Id>, CacheError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM conversations ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The people the user shares conversations with.
    pub fn contacts(&self, me: Id) -> Result<Vec<Id>, CacheError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT user_id FROM participants WHERE user_id != ?1 ORDER BY user_id",
        )?;
        let rows = stmt.query_map([me], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many messages of a conversation are cached.
    pub fn message_count(&self, conversation: Id) -> Result<u64, CacheError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM messages WHERE conversation_id = ?1")?
            .query_row([conversation], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// One cached message.
    pub fn message(&self, id: Id) -> Result<Option<Message>, CacheError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?1"
            ))?
            .query_row([id], message_row)
            .optional()?)
    }

    /// Whether the whole history of a conversation is cached.
    pub fn history_complete(&self, conversation: Id) -> Result<bool, CacheError> {
        Ok(self
            .conn
            .prepare_cached("SELECT complete FROM sync_state WHERE conversation_id = ?1")?
            .query_row([conversation], |r| r.get(0))
            .optional()?
            .unwrap_or(false))
    }

    /// Records that nothing older than the cached history exists on the server.
    pub fn set_history_complete(&mut self, conversation: Id) -> Result<(), CacheError> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_state (conversation_id, complete) VALUES (?1, 1) \
                 ON CONFLICT (conversation_id) DO UPDATE SET complete = 1",
            )?
            .execute([conversation])?;
        Ok(())
    }

    /// The newest message up to which the cached history has no gap (see `sync`); `None`
    /// before the first finished catch-up.
    pub fn contiguous_to(&self, conversation: Id) -> Result<Option<Id>, CacheError> {
        Ok(self
            .conn
            .prepare_cached("SELECT contiguous_to FROM sync_state WHERE conversation_id = ?1")?
            .query_row([conversation], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Moves the no-gap mark (a finished catch-up reached the old one).
    pub fn set_contiguous_to(&mut self, conversation: Id, message: Id) -> Result<(), CacheError> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_state (conversation_id, contiguous_to) VALUES (?1, ?2) \
                 ON CONFLICT (conversation_id) DO UPDATE SET contiguous_to = ?2",
            )?
            .execute([conversation, message])?;
        Ok(())
    }

    /// Stores calls as the server sent them.
    pub fn put_calls(&mut self, calls: &[VideoCall]) -> Result<(), CacheError> {
        let tx = self.conn.transaction()?;
        for c in calls {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO calls (id, conversation_id, room_name, started_by, started_at, \
                 ended_at, duration, status, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                c.id,
                c.conversation_id,
                c.room_name,
                c.started_by,
                c.started_at.millis(),
                c.ended_at.map(|t| t.millis()),
                c.duration,
                c.status.as_str(),
                c.created_at.millis(),
                c.updated_at.millis()
            ])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A user's name as the server last gave it (none: unknown, or the account has none).
    pub fn user_name(&self, user: Id) -> Result<Option<String>, CacheError> {
        Ok(self
            .conn
            .prepare_cached("SELECT name FROM users WHERE id = ?1")?
            .query_row([user], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    /// The user's call on this device, as JSON ([`crate::my_call::CallNow`] without its
    /// token), or none.
    pub fn my_call(&self) -> Result<Option<String>, CacheError> {
        Ok(self
            .conn
            .prepare_cached("SELECT json FROM my_call WHERE id = 1")?
            .query_row([], |r| r.get(0))
            .optional()?)
    }

    /// Keeps (or, with `None`, forgets) the user's call on this device.
    pub fn set_my_call(&mut self, json: Option<&str>) -> Result<(), CacheError> {
        match json {
            Some(j) => self
                .conn
                .prepare_cached("INSERT OR REPLACE INTO my_call (id, json) VALUES (1, ?1)")?
                .execute([j])?,
            None => self
                .conn
                .prepare_cached("DELETE FROM my_call")?
                .execute([])?,
        };
        Ok(())
    }

    /// A conversation's cached calls, newest first.
    pub fn calls(&self, conversation: Id) -> Result<Vec<VideoCall>, CacheError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, conversation_id, room_name, started_by, started_at, ended_at, duration, status, \
             created_at, updated_at FROM calls WHERE conversation_id = ?1 ORDER BY started_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([conversation], call_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One cached call.
    pub fn call(&self, id: Id) -> Result<Option<VideoCall>, CacheError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, conversation_id, room_name, started_by, started_at, ended_at, duration, status, \
                 created_at, updated_at FROM calls WHERE id = ?1",
            )?
            .query_row([id], call_row)
            .optional()?)
    }
}

fn call_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<VideoCall> {
    let status: String = r.get(7)?;
    Ok(VideoCall {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        room_name: r.get(2)?,
        started_by: r.get(3)?,
        started_at: Timestamp::from_millis(r.get(4)?),
        ended_at: r.get::<_, Option<i64>>(5)?.map(Timestamp::from_millis),
        duration: r.get(6)?,
        status: CallStatus::parse(&status).unwrap_or(CallStatus::Ended),
        created_at: Timestamp::from_millis(r.get(8)?),
        updated_at: Timestamp::from_millis(r.get(9)?),
    })
}
