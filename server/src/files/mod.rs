//! Files shared in a conversation, kept on the server's own disk (production keeps them on a
//! public CDN). The bytes are named by their SHA-256 in a folder of their own, outside
//! anything served as it is; a row in the store holds each upload's name, type and owner.
//! Only participants reach a file: by their token, or by a signed link that expires
//! ([`links`]).

pub mod links;

pub use nursecare_file_kinds::{kind, names};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use nursecare_wire::Id;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// What the operator sets for files.
#[derive(Debug, Clone)]
pub struct FileSettings {
    /// Where the bytes are kept; `None` turns files off (answered 503).
    pub dir: Option<PathBuf>,
    /// The largest file taken, in bytes (`--max-file-mb`, default 25 MB).
    pub max_bytes: u64,
    /// Uploads a user may make in a minute (`--uploads-per-minute`).
    pub uploads_per_minute: u32,
    /// How long a signed link works.
    pub link_for: Duration,
    /// The server's address as browsers reach it (`--public-url`), for links; `None`: the
    /// address the request came to.
    pub public_url: Option<String>,
}

/// Default largest file: 25 MB.
pub const DEFAULT_MAX_MB: u64 = 25;

impl Default for FileSettings {
    fn default() -> Self {
        Self {
            dir: None,
            max_bytes: DEFAULT_MAX_MB * 1024 * 1024,
            uploads_per_minute: 30,
            link_for: Duration::from_secs(10 * 60),
            public_url: None,
        }
    }
}

/// Why an upload's bytes were not taken.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// Over the limit (the rest is not read).
    #[error("file too large")]
    TooLarge,
    /// The body broke off or was not multipart.
    #[error("the upload was cut short or malformed: {0}")]
    Malformed(String),
    /// The disk failed.
    #[error("storing the file failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The stored copies: `DIR/<sha256>`, and `DIR/incoming/` for uploads still arriving.
#[derive(Debug)]
pub struct Blobs {
    dir: PathBuf,
    incoming: PathBuf,
    /// Held while a copy is kept and its row written, or a row deleted and its copy
    /// removed: a copy is never removed under a row being written.
    pub content: tokio::sync::Mutex<()>,
}

/// An upload's bytes, received into a temporary file: kept under their hash by
/// [`Blobs::keep`], or removed when dropped.
#[derive(Debug)]
pub struct Received {
    /// Hex SHA-256.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
    /// The first [`kind::SNIFF`] bytes.
    pub head: Vec<u8>,
    /// Whether the whole of it is plain text.
    pub is_text: bool,
    temp: tempfile::TempPath,
}

impl Blobs {
    /// Opens (creating, owner-only) the folder, and clears uploads a stop cut short.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        let incoming = dir.join("incoming");
        nursecare_owner_only::create_dir(dir)?;
        nursecare_owner_only::create_dir(&incoming)?;
        for entry in std::fs::read_dir(&incoming)? {
            let _ = std::fs::remove_file(entry?.path());
        }
        Ok(Self {
            dir: dir.to_owned(),
            incoming,
            content: Default::default(),
        })
    }

    /// Where the copy of these bytes is; `None` for anything but a hex SHA-256.
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        (sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.dir.join(sha256))
    }

    /// Every stored copy's hash (the sweep at start).
    pub fn stored(&self) -> std::io::Result<Vec<String>> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if self.path(&name).is_some() {
                all.push(name);
            }
        }
        Ok(all)
    }

    /// Streams an upload's bytes to a temporary file, hashing and checking them as they come;
    /// stops reading as soon as they pass `limit`.
    pub async fn receive<S>(&self, mut body: S, limit: u64) -> Result<Received, ReceiveError>
    where
        S: Stream<Item = Result<Bytes, ReceiveError>> + Unpin,
    {
        let incoming = self.incoming.clone();
        let temp =
            tokio::task::spawn_blocking(move || tempfile::Builder::new().tempfile_in(incoming))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))??;
        let (file, temp) = temp.into_parts();
        let mut out = tokio::fs::File::from_std(file);
        let mut hash = Sha256::new();
        let mut text = kind::TextCheck::default();
        let mut head = Vec::new();
        let mut size: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(ReceiveError::TooLarge);
            }
            if head.len() < kind::SNIFF {
                let take = (kind::SNIFF - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
            }
            hash.update(&chunk);
            text.feed(&chunk);
            out.write_all(&chunk).await?;
        }
        out.sync_all().await?;
        Ok(Received {
            sha256: hex(&hash.finalize()),
            size,
            head,
            is_text: text.is_text(),
            temp,
        })
    }

    /// Keeps received bytes under their hash (one copy, however often they are shared).
    pub async fn keep(&self, received: Received) -> std::io::Result<()> {
        let target = self.dir.join(&received.sha256);
        tokio::task::spawn_blocking(move || {
            if target.exists() {
                // The same bytes are stored already; the temporary file goes on drop.
                return Ok(());
            }
            received
                .temp
                .persist(&target)
                .map_err(|e| e.error)
                .map(|_| ())
        })
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?
    }

    /// Removes a stored copy no row holds any more.
    pub async fn remove(&self, sha256: &str) {
        if let Some(path) = self.path(sha256)
            && let Err(e) = tokio::fs::remove_file(&path).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, "a deleted file's copy was not removed");
        }
    }
}

/// At start: removes stored copies no row holds (a stop between keeping a copy and writing
/// its row, or between deleting a row and removing its copy).
pub async fn sweep(state: &crate::state::AppState) {
    let Some(blobs) = &state.blobs else { return };
    let stored = match blobs.stored() {
        Ok(stored) => stored,
        Err(e) => {
            tracing::warn!(error = %e, "the files folder could not be listed");
            return;
        }
    };
    let mut removed = 0;
    for sha in stored {
        match state.store.content_used(&sha).await {
            Ok(false) => {
                blobs.remove(&sha).await;
                removed += 1;
            }
            Ok(true) => {}
            Err(e) => tracing::warn!(error = %e, "a stored file could not be checked"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "stored files no upload holds were removed");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Uploads per user per minute: a window of the last minute's upload times.
#[derive(Debug, Default)]
pub struct UploadRate {
    seen: Mutex<HashMap<Id, VecDeque<Instant>>>,
}

impl UploadRate {
    /// Counts an upload by `user`; `Err(seconds to wait)` when `per_minute` were made in the
    /// last minute.
    pub fn take(&self, user: Id, per_minute: u32) -> Result<(), u64> {
        const MINUTE: Duration = Duration::from_secs(60);
        let now = Instant::now();
        let mut seen = self.seen.lock().expect("upload rate lock");
        // Forget users quiet for a minute, so the table holds only the last minute's uploaders.
        seen.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.duration_since(*t) < MINUTE)
        });
        let times = seen.entry(user).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE)
        {
            times.pop_front();
        }
        if times.len() >= per_minute as usize {
            let oldest = times.front().copied().unwrap_or(now);
            return Err((MINUTE - now.duration_since(oldest)).as_secs().max(1));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_counted_per_user_per_minute() {
        let rate = UploadRate::default();
        assert!(rate.take(1, 2).is_ok());
        assert!(rate.take(1, 2).is_ok());
        let wait = rate.take(1, 2).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(rate.take(2, 2).is_ok(), "another user is not held up");
    }

    #[tokio::test]
    async fn bytes_are_kept_once_under_their_hash_and_never_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let body = |parts: Vec<&'static [u8]>| {
            futures_util::stream::iter(
                parts
                    .into_iter()
                    .map(|p| Ok::<_, ReceiveError>(Bytes::from_static(p))),
            )
        };
        let got = blobs
            .receive(body(vec![b"care ", b"plan\n"]), 100)
            .await
            .unwrap();
        assert_eq!(got.size, 10);
        assert!(got.is_text);
        let sha = got.sha256.clone();
        blobs.keep(got).await.unwrap();
        let again = blobs
            .receive(body(vec![b"care plan\n"]), 100)
            .await
            .unwrap();
        assert_eq!(again.sha256, sha);
        blobs.keep(again).await.unwrap();
        assert_eq!(blobs.stored().unwrap(), vec![sha.clone()]);
        assert_eq!(
            std::fs::read(blobs.path(&sha).unwrap()).unwrap(),
            b"care plan\n"
        );
        assert!(matches!(
            blobs.receive(body(vec![b"0123456789", b"x"]), 10).await,
            Err(ReceiveError::TooLarge)
        ));
        assert_eq!(
            std::fs::read_dir(dir.path().join("incoming"))
                .unwrap()
                .count(),
            0,
            "a refused upload leaves nothing behind"
        );
        assert_eq!(blobs.path("../server.db"), None);
    }
}
