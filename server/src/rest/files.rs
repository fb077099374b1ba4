//! `/files/…`: files shared in a conversation, in production's shapes (so the web app's Files
//! panel works unchanged), kept on this server's disk and reached only by participants.
//!
//! Anyone who is not a participant gets the very 404 an unknown id gets. The `url` in a list
//! or an upload's answer is a signed link that expires (the web app shows images with a bare
//! `<img src={file.url}>`); downloads are attachments, never sniffed, never a page.

use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nursecare_wire::events::server as ev;
use nursecare_wire::files::{
    FileDeleted, FileList, FileRemoved, FileShared, FileUploader, SharedFile, UploadAnswer,
};
use nursecare_wire::{Id, Timestamp};
use std::sync::Arc;

use super::extract::ApiPath;
use crate::access;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::files::{Blobs, ReceiveError, kind, names};
use crate::realtime::routing;
use crate::state::AppState;
use crate::store::{FileRecord, NewFile};

/// The same answer for a file that does not exist and one the caller may not see.
fn file_not_found() -> ApiError {
    ApiError::NotFound("File not found".into())
}

fn blobs(state: &AppState) -> ApiResult<&Blobs> {
    state
        .blobs
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("Files are not kept on this server".into()))
}

/// The file, if `user` takes part in its conversation.
async fn visible(state: &AppState, id: Id, user: Id) -> ApiResult<FileRecord> {
    let file = state.store.file(id).await?.ok_or_else(file_not_found)?;
    match access::conversation(state, file.conversation_id, user).await {
        Ok(_) => Ok(file),
        Err(ApiError::Forbidden(_) | ApiError::NotFound(_)) => Err(file_not_found()),
        Err(e) => Err(e),
    }
}

/// The base of absolute links: the operator's `--public-url`, else the address the request
/// came to.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.settings.files.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// A file as the wire carries it, its `url` a link signed until the link time from now.
fn shared(state: &AppState, base: &str, file: &FileRecord, with_uploader: bool) -> SharedFile {
    let expires = Timestamp::now().millis() / 1000 + state.settings.files.link_for.as_secs() as i64;
    SharedFile {
        id: file.id,
        filename: file.filename.clone(),
        mimetype: file.mimetype.clone(),
        size: file.size,
        url: format!("{base}{}", state.links.path(file.id, &file.sha256, expires)),
        uploaded_by: with_uploader.then(|| FileUploader {
            id: file.uploaded_by.id,
            name: file.uploaded_by.name.clone(),
            email: file.uploaded_by.email.clone(),
        }),
        created_at: file.created_at,
    }
}

/// `POST /files/upload`: multipart `file` (any order) and `conversationId`.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    headers: HeaderMap,
    mut form: Multipart,
) -> ApiResult<(StatusCode, Json<UploadAnswer>)> {
    let blobs = blobs(&state)?;
    let limits = &state.settings.files;
    state
        .upload_rate
        .take(me.id(), limits.uploads_per_minute)
        .map_err(|retry_after_secs| ApiError::TooManyUploads { retry_after_secs })?;
    let too_large = || {
        ApiError::FileTooLarge(format!(
            "File too large: at most {} MB",
            limits.max_bytes / (1024 * 1024)
        ))
    };
    let malformed = |e: &dyn std::fmt::Display| {
        ApiError::bad_request(format!("The upload was cut short or malformed: {e}"))
    };
    let mut conversation: Option<String> = None;
    let mut received = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => return Err(malformed(&e)),
        };
        match field.name() {
            Some("file") if received.is_some() => {
                return Err(ApiError::bad_request("One file per upload"));
            }
            Some("file") => {
                let raw_name = field.file_name().unwrap_or_default().to_owned();
                use futures_util::TryStreamExt;
                let body = field.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ReceiveError::TooLarge
                    } else {
                        ReceiveError::Malformed(e.to_string())
                    }
                });
                let got = match blobs.receive(body, limits.max_bytes).await {
                    Ok(got) => got,
                    Err(ReceiveError::TooLarge) => return Err(too_large()),
                    Err(ReceiveError::Malformed(e)) => return Err(malformed(&e)),
                    Err(ReceiveError::Io(e)) => return Err(ApiError::Internal(e.into())),
                };
                received = Some((raw_name, got));
            }
            Some("conversationId") => {
                conversation = Some(small_text(field).await.map_err(|e| malformed(&e))?);
            }
            // Fields production ignores are ignored here too: read chunk by chunk and dropped,
            // never held (one could be as large as the body).
            _ => {
                let mut field = field;
                while field.chunk().await.map_err(|e| malformed(&e))?.is_some() {}
            }
        }
    }
    let Some((raw_name, got)) = received else {
        return Err(ApiError::bad_request("No file uploaded"));
    };
    // Production files an upload without a conversation under its uploader alone; here every
    // file belongs to a conversation (its participants are who may see it).
    let conversation: Id = conversation
        .as_deref()
        .map(str::trim)
        .ok_or_else(|| ApiError::bad_request("conversationId is required"))?
        .parse()
        .map_err(|_| ApiError::bad_request("conversationId must be a number"))?;
    if got.size == 0 {
        return Err(ApiError::bad_request("The file is empty"));
    }
    let members = match access::conversation(&state, conversation, me.id()).await {
        Ok(members) => members,
        Err(ApiError::Forbidden(_)) => {
            return Err(ApiError::NotFound(format!(
                "Conversation {conversation} not found"
            )));
        }
        Err(e) => return Err(e),
    };
    let name = names::sanitize(&raw_name);
    let extension = kind::extension(&name);
    let found = kind::detect(&got.head, got.is_text, extension.as_deref())
        .ok_or_else(|| ApiError::UnsupportedFile(kind::Refused::NotAllowed.to_string()))?;
    let name =
        kind::fit_name(&name, found).map_err(|e| ApiError::UnsupportedFile(e.to_string()))?;
    let sha256 = got.sha256.clone();
    let size = got.size as i64;
    // Kept and recorded under the content lock, so a delete of the same bytes meanwhile
    // cannot remove the copy this row will name.
    let content = blobs.content.lock().await;
    blobs
        .keep(got)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let record = state
        .store
        .insert_file(NewFile {
            conversation_id: conversation,
            uploaded_by: me.id(),
            filename: name,
            mimetype: found.mime.to_owned(),
            size,
            sha256,
            at: Timestamp::now(),
        })
        .await?;
    drop(content);
    tracing::info!(file = record.id, conversation, size, "file shared");
    let base = base_url(&state, &headers);
    if state.extensions() {
        let others: Vec<String> = members.others(me.id()).map(routing::user_room).collect();
        // Signed against the operator's address if set; else a path on this server (the
        // uploader's Host header is not the other side's to trust).
        let event_base = state.settings.files.public_url.clone().unwrap_or_default();
        let payload = FileShared {
            conversation_id: conversation,
            file: shared(&state, event_base.trim_end_matches('/'), &record, true),
        };
        routing::emit_to(&state, others, ev::FILE_SHARED, &payload).await;
    }
    Ok((
        StatusCode::CREATED,
        Json(UploadAnswer {
            success: true,
            file: shared(&state, &base, &record, false),
        }),
    ))
}

/// A short text field (an id): at most 32 bytes are held; more is malformed.
async fn small_text(mut field: axum::extract::multipart::Field<'_>) -> Result<String, String> {
    const MOST: usize = 32;
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| e.to_string())? {
        if text.len() + chunk.len() > MOST {
            return Err("conversationId is too long".into());
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).map_err(|_| "conversationId is not text".into())
}

/// `GET /files/conversation/:conversationId`: newest first.
pub async fn list(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    headers: HeaderMap,
    ApiPath(conversation): ApiPath<Id>,
) -> ApiResult<Json<FileList>> {
    blobs(&state)?;
    match access::conversation(&state, conversation, me.id()).await {
        Ok(_) => {}
        Err(ApiError::Forbidden(_)) => {
            return Err(ApiError::NotFound(format!(
                "Conversation {conversation} not found"
            )));
        }
        Err(e) => return Err(e),
    }
    let base = base_url(&state, &headers);
    let files = state.store.files_of(conversation).await?;
    Ok(Json(FileList {
        success: true,
        files: files
            .iter()
            .map(|f| shared(&state, &base, f, true))
            .collect(),
    }))
}

/// `GET /files/:id`.
pub async fn info(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Id>,
) -> ApiResult<Json<SharedFile>> {
    blobs(&state)?;
    let file = visible(&state, id, me.id()).await?;
    Ok(Json(shared(
        &state,
        &base_url(&state, &headers),
        &file,
        true,
    )))
}

/// `GET /files/:id/download`: the bytes, with the caller's token.
pub async fn download(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiPath(id): ApiPath<Id>,
) -> ApiResult<Response> {
    let blobs = blobs(&state)?;
    let file = visible(&state, id, me.id()).await?;
    serve(blobs, &file).await
}

/// `GET /files/link/:id/:expires/:sig`: the bytes, by a signed link (no token).
pub async fn by_link(
    State(state): State<Arc<AppState>>,
    axum::extract::Path((id, expires, sig)): axum::extract::Path<(String, String, String)>,
) -> ApiResult<Response> {
    let blobs = blobs(&state)?;
    let (Ok(id), Ok(expires)) = (id.parse::<Id>(), expires.parse::<i64>()) else {
        return Err(file_not_found());
    };
    let file = state.store.file(id).await?.ok_or_else(file_not_found)?;
    let now = Timestamp::now().millis() / 1000;
    if !state.links.check(id, &file.sha256, expires, &sig, now) {
        return Err(file_not_found());
    }
    serve(blobs, &file).await
}

/// The stored bytes as an attachment: never sniffed, never run as a page.
async fn serve(blobs: &Blobs, file: &FileRecord) -> ApiResult<Response> {
    let path = blobs.path(&file.sha256).ok_or_else(file_not_found)?;
    let stored = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(file = file.id, "a file's stored copy is missing");
            return Err(file_not_found());
        }
        Err(e) => return Err(ApiError::Internal(e.into())),
    };
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(stored));
    let mut response = body.into_response();
    let h = response.headers_mut();
    let value = |s: &str| HeaderValue::from_str(s).map_err(|e| ApiError::Internal(e.into()));
    h.insert(header::CONTENT_TYPE, value(&file.mimetype)?);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    h.insert(
        header::CONTENT_DISPOSITION,
        value(&names::content_disposition(&file.filename))?,
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Opened in a browser tab all the same: no script, no plugin, no same-origin rights.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; sandbox"),
    );
    Ok(response)
}

/// `DELETE /files/:id`: one's own only.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiPath(id): ApiPath<Id>,
) -> ApiResult<Json<FileDeleted>> {
    let blobs = blobs(&state)?;
    let file = visible(&state, id, me.id()).await?;
    if file.uploaded_by.id != me.id() {
        return Err(ApiError::Forbidden(
            "You can only delete your own files".into(),
        ));
    }
    let content = blobs.content.lock().await;
    if let Some((gone, still_used)) = state.store.delete_file(id).await?
        && !still_used
    {
        blobs.remove(&gone.sha256).await;
    }
    drop(content);
    tracing::info!(file = id, "file deleted");
    if state.extensions()
        && let Some(members) = state.store.members(file.conversation_id).await?
    {
        let payload = FileRemoved {
            conversation_id: file.conversation_id,
            file_id: id,
        };
        routing::emit_to(
            &state,
            routing::member_rooms(&members),
            ev::FILE_REMOVED,
            &payload,
        )
        .await;
    }
    Ok(Json(FileDeleted {
        message: "File deleted successfully".into(),
    }))
}
