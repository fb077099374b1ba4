//! A chat's files in the cache: the list as the server last gave it, and the copies kept here
//! (their bytes in chunks of this encrypted database), least recently used evicted past a cap.

use super::{Cache, CacheError};
use nursecare_wire::files::{FileUploader, SharedFile};
use nursecare_wire::{Id, Timestamp};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

/// A file of a chat, as the Files panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct ChatFile {
    /// Its conversation.
    pub conversation_id: Id,
    /// The file as the server listed it.
    pub file: SharedFile,
    /// Whether a copy is kept here (it opens offline).
    pub kept: bool,
}

const COLUMNS: &str = "f.id, f.conversation_id, f.filename, f.mimetype, f.size, f.url, \
     f.uploaded_by, f.uploader_name, f.uploader_email, f.created_at, \
     COALESCE(k.complete, 0) FROM files f LEFT JOIN kept_files k ON k.file_id = f.id";

fn chat_file(r: &Row<'_>) -> rusqlite::Result<ChatFile> {
    let uploader: Option<Id> = r.get(6)?;
    Ok(ChatFile {
        conversation_id: r.get(1)?,
        file: SharedFile {
            id: r.get(0)?,
            filename: r.get(2)?,
            mimetype: r.get(3)?,
            size: r.get(4)?,
            url: r.get(5)?,
            uploaded_by: match uploader {
                Some(id) => Some(FileUploader {
                    id,
                    name: r.get(7)?,
                    email: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
                }),
                None => None,
            },
            created_at: Timestamp::from_millis(r.get(9)?),
        },
        kept: r.get::<_, i64>(10)? == 1,
    })
}

impl Cache {
    /// A chat's files, newest first.
    pub fn files(&self, conversation: Id) -> Result<Vec<ChatFile>, CacheError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} WHERE f.conversation_id = ?1 ORDER BY f.created_at DESC, f.id DESC"
        ))?;
        let rows = stmt
            .query_map([conversation], chat_file)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// One file.
    pub fn file(&self, id: Id) -> Result<Option<ChatFile>, CacheError> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} WHERE f.id = ?1"))?
            .query_row([id], chat_file)
            .optional()?)
    }

    /// Stores or updates one file of a chat.
    pub fn put_file(&mut self, conversation: Id, file: &SharedFile) -> Result<(), CacheError> {
        put(&self.conn, conversation, file)
    }

    /// The chat's list as the server gave it now: files it no longer lists go, kept copies
    /// with them. Answers whether anything changed.
    pub fn put_files(
        &mut self,
        conversation: Id,
        files: &[SharedFile],
    ) -> Result<bool, CacheError> {
        let before = self.files(conversation)?;
        let tx = self.conn.transaction()?;
        let gone: Vec<Id> = before
            .iter()
            .map(|f| f.file.id)
            .filter(|id| !files.iter().any(|f| f.id == *id))
            .collect();
        for id in &gone {
            forget(&tx, *id)?;
            tx.prepare_cached("DELETE FROM files WHERE id = ?1")?
                .execute([id])?;
        }
        for f in files {
            put(&tx, conversation, f)?;
        }
        tx.commit()?;
        // The url is signed anew on every listing: not a change.
        let key = |id: Id, name: &str, size: i64| (id, name.to_owned(), size);
        let mut was: Vec<_> = before
            .iter()
            .map(|f| key(f.file.id, &f.file.filename, f.file.size))
            .collect();
        let mut now: Vec<_> = files
            .iter()
            .map(|f| key(f.id, &f.filename, f.size))
            .collect();
        was.sort();
        now.sort();
        let unchanged = was == now;
        Ok(!unchanged)
    }

    /// A file deleted on the server: its row and any kept copy go. Answers its conversation.
    pub fn remove_file(&mut self, id: Id) -> Result<Option<Id>, CacheError> {
        let conversation = self.file(id)?.map(|f| f.conversation_id);
        forget(&self.conn, id)?;
        self.conn
            .prepare_cached("DELETE FROM files WHERE id = ?1")?
            .execute([id])?;
        Ok(conversation)
    }

    /// Starts keeping a copy (any earlier, partial one goes).
    pub fn begin_keep(&mut self, id: Id) -> Result<(), CacheError> {
        forget(&self.conn, id)?;
        let now = Timestamp::now().millis();
        self.conn
            .prepare_cached(
                "INSERT INTO kept_files (file_id, size, kept_at, used_at, complete) VALUES (?1, 0, ?2, ?2, 0)",
            )?
            .execute(params![id, now])?;
        Ok(())
    }

    /// The next chunk of a copy being kept.
    pub fn put_chunk(&mut self, id: Id, n: i64, data: &[u8]) -> Result<(), CacheError> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO file_chunks (file_id, n, data) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id, n, data])?;
        Ok(())
    }

    /// All chunks are in. Fails when the copy was dropped meanwhile (nothing to finish).
    pub fn finish_keep(&mut self, id: Id, size: i64) -> Result<(), CacheError> {
        let finished = self
            .conn
            .prepare_cached("UPDATE kept_files SET complete = 1, size = ?2 WHERE file_id = ?1")?
            .execute(params![id, size])?;
        if finished == 0 {
            return Err(CacheError::Sqlite(rusqlite::Error::QueryReturnedNoRows));
        }
        Ok(())
    }

    /// Drops a kept copy (or one cut short).
    pub fn forget_kept(&mut self, id: Id) -> Result<(), CacheError> {
        forget(&self.conn, id)
    }

    /// How many chunks a complete copy has; `None` when none is kept. Marks it used.
    pub fn kept_chunks(&mut self, id: Id) -> Result<Option<i64>, CacheError> {
        let complete: Option<i64> = self
            .conn
            .prepare_cached("SELECT complete FROM kept_files WHERE file_id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        if complete != Some(1) {
            return Ok(None);
        }
        self.conn
            .prepare_cached("UPDATE kept_files SET used_at = ?2 WHERE file_id = ?1")?
            .execute(params![id, Timestamp::now().millis()])?;
        Ok(Some(
            self.conn
                .prepare_cached("SELECT COUNT(*) FROM file_chunks WHERE file_id = ?1")?
                .query_row([id], |r| r.get(0))?,
        ))
    }

    /// One chunk of a kept copy.
    pub fn kept_chunk(&self, id: Id, n: i64) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self
            .conn
            .prepare_cached("SELECT data FROM file_chunks WHERE file_id = ?1 AND n = ?2")?
            .query_row(params![id, n], |r| r.get(0))
            .optional()?)
    }

    /// Bytes held by kept copies.
    pub fn kept_bytes(&self) -> Result<i64, CacheError> {
        Ok(self
            .conn
            .prepare_cached("SELECT COALESCE(SUM(size), 0) FROM kept_files WHERE complete = 1")?
            .query_row([], |r| r.get(0))?)
    }

    /// Copies cut short (a stop mid-download) go, and the least recently used complete ones
    /// until they hold at most `cap` bytes; `keep` (the one just kept) stays. Answers the
    /// ids dropped.
    pub fn evict_kept(&mut self, cap: i64, keep: Option<Id>) -> Result<Vec<Id>, CacheError> {
        let mut dropped: Vec<Id> = self
            .conn
            .prepare_cached(
                "SELECT file_id FROM kept_files WHERE complete = 0 AND file_id IS NOT ?1",
            )?
            .query_map([keep], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &dropped {
            forget(&self.conn, *id)?;
        }
        let mut total = self.kept_bytes()?;
        if total <= cap {
            return Ok(dropped);
        }
        let oldest: Vec<(Id, i64)> = self
            .conn
            .prepare_cached(
                "SELECT file_id, size FROM kept_files WHERE complete = 1 AND file_id IS NOT ?1 ORDER BY used_at, file_id",
            )?
            .query_map([keep], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, size) in oldest {
            if total <= cap {
                break;
            }
            forget(&self.conn, id)?;
            total -= size;
            dropped.push(id);
        }
        Ok(dropped)
    }

    /// Every kept copy goes (the user asked; the list stays).
    pub fn forget_all_kept(&mut self) -> Result<(), CacheError> {
        self.conn
            .execute_batch("DELETE FROM file_chunks; DELETE FROM kept_files;")?;
        Ok(())
    }
}

fn put(conn: &rusqlite::Connection, conversation: Id, f: &SharedFile) -> Result<(), CacheError> {
    let by = f.uploaded_by.as_ref();
    conn.prepare_cached(
        "INSERT INTO files (id, conversation_id, filename, mimetype, size, url, uploaded_by, uploader_name, uploader_email, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO UPDATE SET \
         filename = ?3, mimetype = ?4, size = ?5, url = ?6, \
         uploaded_by = COALESCE(?7, uploaded_by), uploader_name = COALESCE(?8, uploader_name), \
         uploader_email = COALESCE(?9, uploader_email), created_at = ?10",
    )?
    .execute(params![
        f.id,
        conversation,
        f.filename,
        f.mimetype,
        f.size,
        f.url,
        by.map(|u| u.id),
        by.and_then(|u| u.name.clone()),
        by.map(|u| u.email.clone()),
        f.created_at.millis()
    ])?;
    Ok(())
}

fn forget(conn: &rusqlite::Connection, id: Id) -> Result<(), CacheError> {
    conn.prepare_cached("DELETE FROM file_chunks WHERE file_id = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM kept_files WHERE file_id = ?1")?
        .execute([id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::CacheKey;

    fn shared(id: Id, size: i64) -> SharedFile {
        SharedFile {
            id,
            filename: format!("f{id}.pdf"),
            mimetype: "application/pdf".into(),
            size,
            url: format!("/files/link/{id}"),
            uploaded_by: None,
            created_at: Timestamp::from_millis(1_000 + id),
        }
    }

    fn keep(c: &mut Cache, id: Id, size: i64) {
        c.begin_keep(id).unwrap();
        c.put_chunk(id, 0, &vec![7u8; size as usize]).unwrap();
        c.finish_keep(id, size).unwrap();
    }

    #[test]
    fn kept_copies_past_the_cap_go_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Cache::open(&dir.path().join("c.db"), &CacheKey::generate()).unwrap();
        let files: Vec<SharedFile> = (1..=3).map(|id| shared(id, 100)).collect();
        assert!(c.put_files(5, &files).unwrap());
        assert!(!c.put_files(5, &files).unwrap(), "listed again unchanged");
        for id in 1..=3 {
            keep(&mut c, id, 100);
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        // File 1 opened since: file 2 is now the least recently used.
        assert_eq!(c.kept_chunks(1).unwrap(), Some(1));
        assert_eq!(c.evict_kept(250, Some(3)).unwrap(), vec![2]);
        let kept: Vec<(Id, bool)> = c
            .files(5)
            .unwrap()
            .iter()
            .map(|f| (f.file.id, f.kept))
            .collect();
        assert_eq!(kept, vec![(3, true), (2, false), (1, true)], "newest first");
        // A copy cut short goes at the next eviction; one the server no longer lists, at once.
        c.begin_keep(2).unwrap();
        assert_eq!(c.evict_kept(1_000, None).unwrap(), vec![2]);
        assert!(c.put_files(5, &files[..1]).unwrap());
        assert_eq!(c.kept_chunk(3, 0).unwrap(), None);
        assert_eq!(c.kept_bytes().unwrap(), 100);
    }
}
