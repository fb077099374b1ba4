//! A chat's files on this side: listing (kept in the cache, so the panel works offline),
//! uploading a file from disk, keeping a downloaded copy in the encrypted cache, saving a
//! plaintext copy where the user asks, and deleting one's own.
//!
//! - An upload streams from disk (never read into memory whole) after the same allowlist as
//!   our server's decides, from its bytes and name, that it may be shared: production takes
//!   anything, and nothing here sends what our server would refuse. An upload whose answer was
//!   lost may have landed: the chat's list is asked before it is sent again, so a lost answer
//!   never makes two files.
//! - A download goes into the cache in chunks (encrypted with it; never a plaintext file beside
//!   it), least recently used copies evicted past [`crate::ClientConfig::kept_files_cap`].
//! - A saved copy is the user's: written where they chose, under a name that takes nothing
//!   over. Only names on the allowlist are ever offered to the system to open.

use crate::api::{ApiError, Upload};
use crate::cache::ChatFile;
use crate::error::ClientError;
use crate::events::Event;
use crate::shared::Shared;
use bytes::Bytes;
use futures_util::StreamExt;
use nursecare_file_kinds::kind;
use nursecare_wire::Id;
use nursecare_wire::files::SharedFile;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes per chunk of a kept copy.
const CHUNK: usize = 256 * 1024;

/// Told how far a transfer is: bytes done of the total.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

fn io_error(what: &str, path: &Path, e: std::io::Error) -> ClientError {
    ClientError::FileIo(format!("{what} {}: {e}", path.display()))
}

/// The chat's files from the server, stored and announced when they changed; the cached list
/// when the server cannot be reached.
pub(crate) async fn list(
    shared: &Arc<Shared>,
    conversation: Id,
) -> Result<Vec<ChatFile>, ClientError> {
    match shared.api.files(conversation).await {
        Ok(files) => {
            let changed = shared
                .cache
                .call(move |c| c.put_files(conversation, &files))
                .await?;
            if changed {
                shared.events.send(Event::FilesChanged {
                    conversation_id: conversation,
                });
                crate::announce::row(shared, conversation).await;
            }
        }
        Err(e) if e.is_network() => {}
        Err(e) => return Err(e.into()),
    }
    Ok(shared.cache.call(move |c| c.files(conversation)).await?)
}

/// Uploads a file from disk into a chat.
pub(crate) async fn upload(
    shared: &Arc<Shared>,
    conversation: Id,
    path: &Path,
    progress: Progress,
) -> Result<ChatFile, ClientError> {
    let (found, name, size) = judge(path).await?;
    // What the chat holds before: an answer lost later is looked up among files new since.
    let before: Option<HashSet<Id>> = shared
        .api
        .files(conversation)
        .await
        .ok()
        .map(|files| files.iter().map(|f| f.id).collect());
    let mut tries = 0;
    let file = loop {
        tries += 1;
        let body = reader(path, size, progress.clone()).await?;
        let sent = shared
            .api
            .upload_file(
                conversation,
                Upload {
                    name: name.clone(),
                    mime: found.mime.to_owned(),
                    size,
                    body,
                },
            )
            .await;
        match sent {
            Ok(file) => break file,
            // It may have landed: look before sending again.
            Err(e @ (ApiError::AnswerLost | ApiError::Timeout)) => {
                let Some(before) = &before else {
                    // Nothing to tell a new file from an old one: never risk a second copy.
                    return Err(e.into());
                };
                match landed(shared, conversation, &name, size, before).await {
                    Some(file) => {
                        tracing::info!(
                            file = file.id,
                            "an upload whose answer was lost had landed"
                        );
                        break file;
                    }
                    None if tries < 2 => continue,
                    None => return Err(e.into()),
                }
            }
            Err(ApiError::Unreachable) if tries < 2 => continue,
            Err(e) => return Err(e.into()),
        }
    };
    let id = file.id;
    let kept = file.clone();
    shared
        .cache
        .call(move |c| c.put_file(conversation, &kept))
        .await?;
    shared.events.send(Event::FilesChanged {
        conversation_id: conversation,
    });
    crate::announce::row(shared, conversation).await;
    tracing::info!(file = id, conversation, size, "file uploaded");
    Ok(ChatFile {
        conversation_id: conversation,
        file,
        kept: false,
    })
}

/// Decides from the file's first bytes and name whether it may be shared, as our server
/// does: its kind, the name it goes under, its size.
async fn judge(path: &Path) -> Result<(kind::Kind, String, u64), ClientError> {
    let mut f = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error("cannot open", path, e))?;
    let size = f
        .metadata()
        .await
        .map_err(|e| io_error("cannot read", path, e))?
        .len();
    if size == 0 {
        return Err(ClientError::FileRefused(format!(
            "{} is empty",
            path.display()
        )));
    }
    let mut head = Vec::with_capacity(kind::SNIFF.min(size as usize));
    (&mut f)
        .take(kind::SNIFF as u64)
        .read_to_end(&mut head)
        .await
        .map_err(|e| io_error("cannot read", path, e))?;
    let mut text = kind::TextCheck::default();
    text.feed(&head);
    let whole = head.len() as u64 == size;
    let is_text = if whole {
        text.is_text()
    } else {
        text.is_text_so_far()
    };
    let raw = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (found, name) =
        kind::judge(&head, is_text, &raw).map_err(|e| ClientError::FileRefused(e.to_string()))?;
    Ok((found, name, size))
}

/// The file's bytes as a stream, counted as they go.
async fn reader(
    path: &Path,
    size: u64,
    progress: Progress,
) -> Result<
    impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
    ClientError,
> {
    let f = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error("cannot open", path, e))?;
    let mut done = 0u64;
    progress(0, size);
    Ok(
        tokio_util::io::ReaderStream::with_capacity(f, 64 * 1024).map(move |chunk| {
            if let Ok(c) = &chunk {
                done += c.len() as u64;
                progress(done, size);
            }
            chunk
        }),
    )
}

/// The user's upload, if it landed though its answer was lost: a file the chat did not hold
/// before the upload began, by the user, with this name and size.
async fn landed(
    shared: &Shared,
    conversation: Id,
    name: &str,
    size: u64,
    before: &HashSet<Id>,
) -> Option<SharedFile> {
    let files = shared.api.files(conversation).await.ok()?;
    files.into_iter().find(|f| {
        !before.contains(&f.id)
            && f.filename == name
            && f.size == size as i64
            && f.uploaded_by.as_ref().is_some_and(|u| u.id == shared.me)
    })
}

/// Keeps a copy of a listed file in the cache (downloading it unless kept already).
pub(crate) async fn keep(
    shared: &Arc<Shared>,
    id: Id,
    progress: Progress,
) -> Result<ChatFile, ClientError> {
    let listed = match shared.cache.call(move |c| c.file(id)).await? {
        Some(listed) => listed,
        None => locate(shared, id).await?,
    };
    if listed.kept {
        return Ok(listed);
    }
    let _one_at_a_time = shared.keeping.lock().await;
    // Kept meanwhile by another download of it.
    if let Some(now) = shared.cache.call(move |c| c.file(id)).await?
        && now.kept
    {
        return Ok(now);
    }
    // Our server (it announces file events): always its own route with the token, whatever
    // host a cached link names (it may have expired).
    let ours = shared.features().is_some_and(|f| f.file_events);
    let (length, body) = shared.api.download_file(&listed.file, ours).await?;
    let mut body = std::pin::pin!(body);
    let total = length.unwrap_or(listed.file.size.max(0) as u64);
    shared.cache.call(move |c| c.begin_keep(id)).await?;
    let outcome: Result<i64, ClientError> = async {
        let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK);
        let (mut n, mut done) = (0i64, 0u64);
        progress(0, total);
        let listed_size = listed.file.size.max(0) as u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            done += chunk.len() as u64;
            if done > listed_size {
                // More than was listed: stop before it fills the cache.
                return Ok(done as i64);
            }
            buffer.extend_from_slice(&chunk);
            while buffer.len() >= CHUNK {
                let rest = buffer.split_off(CHUNK);
                let full = std::mem::replace(&mut buffer, rest);
                shared
                    .cache
                    .call(move |c| c.put_chunk(id, n, &full))
                    .await?;
                n += 1;
            }
            progress(done, total);
        }
        if !buffer.is_empty() {
            shared
                .cache
                .call(move |c| c.put_chunk(id, n, &buffer))
                .await?;
        }
        Ok(done as i64)
    }
    .await;
    let size = match outcome {
        Ok(size) if size == listed.file.size => size,
        Ok(size) => {
            let _ = shared.cache.call(move |c| c.forget_kept(id)).await;
            return Err(ApiError::Decode(format!(
                "the file came with {size} bytes of the {} listed",
                listed.file.size
            ))
            .into());
        }
        Err(e) => {
            let _ = shared.cache.call(move |c| c.forget_kept(id)).await;
            return Err(e);
        }
    };
    let cap = shared.config.kept_files_cap as i64;
    let evicted = shared
        .cache
        .call(move |c| {
            c.finish_keep(id, size)?;
            c.evict_kept(cap, Some(id))
        })
        .await?;
    if !evicted.is_empty() {
        tracing::info!(count = evicted.len(), "older kept files made room");
    }
    shared.events.send(Event::FilesChanged {
        conversation_id: listed.conversation_id,
    });
    Ok(ChatFile {
        kept: true,
        ..listed
    })
}

/// A file this device has not listed: the user's chats are listed until it turns up.
async fn locate(shared: &Arc<Shared>, id: Id) -> Result<ChatFile, ClientError> {
    let conversations = shared.cache.call(|c| c.conversation_ids()).await?;
    for conversation in conversations {
        if let Some(found) = list(shared, conversation)
            .await?
            .into_iter()
            .find(|f| f.file.id == id)
        {
            return Ok(found);
        }
    }
    Err(ClientError::NotFound(format!(
        "file {id} is in none of your conversations"
    )))
}

/// Where a saved copy went, and whether the system may be asked to open it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct Saved {
    /// The copy.
    pub path: String,
    /// Its name is on the allowlist: the system's viewer may open it.
    pub openable: bool,
}

/// Writes a plaintext copy of a file into `dir` (kept first if it is not), under its name or,
/// when that is taken, `name (2).ext`. Works offline for a kept file.
pub(crate) async fn save(
    shared: &Arc<Shared>,
    id: Id,
    dir: &Path,
    progress: Progress,
) -> Result<Saved, ClientError> {
    let file = keep(shared, id, progress).await?;
    let chunks = shared
        .cache
        .call(move |c| c.kept_chunks(id))
        .await?
        .ok_or_else(|| ClientError::NotFound(format!("file {id} is not kept here")))?;
    let name = nursecare_file_kinds::names::sanitize(&file.file.filename);
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| io_error("cannot make", dir, e))?;
    let (path, mut out) = fresh(dir, &name).await?;
    // Cancelled (the future dropped) or failed: no half copy is left under the real name.
    let mut partial = Partial(Some(path.clone()));
    let expected = file.file.size;
    let written: Result<(), ClientError> = async {
        let mut total = 0i64;
        for n in 0..chunks {
            let data = kept_part(shared, id, n).await?;
            total += data.len() as i64;
            out.write_all(&data)
                .await
                .map_err(|e| io_error("cannot write", &path, e))?;
        }
        out.flush()
            .await
            .map_err(|e| io_error("cannot write", &path, e))?;
        if total != expected {
            return Err(ClientError::NotFound(format!(
                "file {id} is kept incomplete ({total} of {expected} bytes)"
            )));
        }
        Ok(())
    }
    .await;
    drop(out);
    if let Err(e) = written {
        if matches!(e, ClientError::NotFound(_)) {
            // A copy kept short is no copy: fetched again next time.
            let _ = shared.cache.call(move |c| c.forget_kept(id)).await;
        }
        return Err(e);
    }
    partial.0 = None;
    tracing::info!(file = id, "file saved");
    Ok(Saved {
        openable: kind::openable(&name),
        path: path.display().to_string(),
    })
}

/// Part `n` of a kept copy (a part missing is a copy lost, not an empty one).
async fn kept_part(shared: &Shared, id: Id, n: i64) -> Result<Vec<u8>, ClientError> {
    shared
        .cache
        .call(move |c| c.kept_chunk(id, n))
        .await?
        .ok_or_else(|| ClientError::NotFound(format!("file {id} lost a part")))
}

/// A saved copy being written: removed unless it was finished.
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A kept photo's bytes, for a thumbnail in the window (never a document: those are opened
/// by the system's viewer only).
pub(crate) async fn photo(shared: &Arc<Shared>, id: Id, max: u64) -> Result<Vec<u8>, ClientError> {
    const SHOWN: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];
    let file = keep(shared, id, Arc::new(|_, _| {})).await?;
    if !SHOWN.contains(&file.file.mimetype.as_str()) || file.file.size as u64 > max {
        return Err(ClientError::NotOpenable(file.file.filename));
    }
    let chunks = shared
        .cache
        .call(move |c| c.kept_chunks(id))
        .await?
        .ok_or_else(|| ClientError::NotFound(format!("file {id} is not kept here")))?;
    let mut bytes = Vec::with_capacity(file.file.size.max(0) as usize);
    for n in 0..chunks {
        let data = kept_part(shared, id, n).await?;
        bytes.extend_from_slice(&data);
    }
    Ok(bytes)
}

/// A new file named `name` in `dir`, or `stem (2).ext`, … when taken: nothing is overwritten.
async fn fresh(dir: &Path, name: &str) -> Result<(PathBuf, tokio::fs::File), ClientError> {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (name.to_owned(), String::new()),
    };
    for n in 1..1000 {
        let candidate = if n == 1 {
            dir.join(name)
        } else {
            dir.join(format!("{stem} ({n}){ext}"))
        };
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
            .await
        {
            Ok(f) => return Ok((candidate, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error("cannot write", &candidate, e)),
        }
    }
    Err(ClientError::FileIo(format!(
        "{} holds too many files named {name}",
        dir.display()
    )))
}

/// Deletes one's own file on the server, and here.
pub(crate) async fn delete(shared: &Arc<Shared>, id: Id) -> Result<(), ClientError> {
    shared.api.delete_file(id).await?;
    removed(shared, id).await;
    Ok(())
}

/// A file gone from the server (deleted here, or `fileRemoved` heard): its row and copy go.
pub(crate) async fn removed(shared: &Arc<Shared>, id: Id) {
    match shared.cache.call(move |c| c.remove_file(id)).await {
        Ok(Some(conversation)) => {
            shared.events.send(Event::FilesChanged {
                conversation_id: conversation,
            });
            crate::announce::row(shared, conversation).await;
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "a deleted file stayed in the cache"),
    }
}

/// A file shared by the other side (`fileShared`, our server): listed at once.
pub(crate) async fn shared_with_me(shared: &Arc<Shared>, conversation: Id, file: SharedFile) {
    let told = file.clone();
    match shared
        .cache
        .call(move |c| c.put_file(conversation, &file))
        .await
    {
        Ok(()) => {
            shared.events.send(Event::FilesChanged {
                conversation_id: conversation,
            });
            crate::announce::row(shared, conversation).await;
        }
        Err(e) => tracing::warn!(error = %e, "a shared file was not cached"),
    }
    shared.events.send(Event::FileShared {
        conversation_id: conversation,
        file: told,
    });
}
