//! `/files/…`: a chat's files. Uploads stream from a reader with their length known (never read
//! into memory whole) and are never repeated here: an upload whose answer was lost may have
//! landed, and only the caller can look it up. Downloads stream too. On production a file's
//! `url` is a public CDN link on another host: it is fetched directly, and the token never
//! goes to that host.

use super::{ApiClient, ApiError, ApiResult, answer, classify, json, transport};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use nursecare_wire::Id;
use nursecare_wire::files::{FileList, SharedFile, UploadAnswer};
use reqwest::{Method, Url};

/// The longest an upload or a download may take.
const TRANSFER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// A file to upload: its name, declared type, length, and its bytes as a stream.
pub struct Upload<S> {
    /// The name it is sent under.
    pub name: String,
    /// Its type.
    pub mime: String,
    /// Bytes (the stream must yield exactly this many).
    pub size: u64,
    /// The bytes.
    pub body: S,
}

impl ApiClient {
    /// `GET /files/conversation/:id`, newest first.
    pub async fn files(&self, conversation: Id) -> ApiResult<Vec<SharedFile>> {
        let answer = self
            .get(&["files", "conversation", &conversation.to_string()], &[])
            .await?;
        Ok(json::<FileList>(answer)?.files)
    }

    /// `DELETE /files/:id`.
    pub async fn delete_file(&self, file: Id) -> ApiResult<()> {
        self.call::<()>(Method::DELETE, &["files", &file.to_string()], None)
            .await
            .map(|_| ())
    }

    /// `POST /files/upload`, as the web app sends it (`file`, then `conversationId`).
    pub async fn upload_file<S>(&self, conversation: Id, upload: Upload<S>) -> ApiResult<SharedFile>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
    {
        let part = reqwest::multipart::Part::stream_with_length(
            reqwest::Body::wrap_stream(upload.body),
            upload.size,
        )
        .file_name(upload.name)
        .mime_str(&upload.mime)
        .map_err(|e| ApiError::Decode(format!("file type: {e}")))?;
        let form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("conversationId", conversation.to_string());
        let mut req = self
            .http
            .post(self.url(&["files", "upload"], &[]))
            .timeout(TRANSFER_TIMEOUT)
            .multipart(form);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let outcome = answer(req).await.map_err(|e| match e {
            // Our server's upload rate, not a sign-in limit.
            ApiError::RateLimited { retry_after_secs } => ApiError::Rejected {
                status: 429,
                message: format!(
                    "too many uploads; try again in {} s",
                    retry_after_secs.unwrap_or(60)
                ),
            },
            other => other,
        });
        if let (Err(e), Some(expired), Some(_)) = (&outcome, &self.on_expired, &self.token)
            && e.ends_session()
        {
            expired(*e == ApiError::SignedOutByAdmin);
        }
        Ok(json::<UploadAnswer>(outcome?)?.file)
    }

    /// Where a file's bytes come from: production's CDN link on another host (fetched without
    /// the token), else this server's `/files/:id/download` with it (always, on `ours`).
    fn source(&self, file: &SharedFile, ours: bool) -> (Url, bool) {
        if !ours
            && let Ok(url) = Url::parse(&file.url)
            && url.scheme() == "https"
            && url.host_str() != self.base.host_str()
        {
            return (url, false);
        }
        (
            self.url(&["files", &file.id.to_string(), "download"], &[]),
            true,
        )
    }

    /// A file's bytes, as they arrive, with their length when the server says it. `ours`: the
    /// server is known to be the project's (its links are never fetched directly).
    pub async fn download_file(
        &self,
        file: &SharedFile,
        ours: bool,
    ) -> ApiResult<(
        Option<u64>,
        impl Stream<Item = ApiResult<Bytes>> + Send + use<>,
    )> {
        let (url, ours) = self.source(file, ours);
        let mut req = self.http.get(url).timeout(TRANSFER_TIMEOUT);
        if ours && let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) if e.is_connect() => return Err(ApiError::Unreachable),
            Err(e) => return Err(transport(&e)),
        };
        let status = resp.status();
        if !status.is_success() {
            let body = resp.bytes().await.unwrap_or_default();
            let refused = classify(status, body, None)
                .err()
                .unwrap_or(ApiError::Server {
                    status: status.as_u16(),
                });
            if ours
                && refused.ends_session()
                && let Some(expired) = &self.on_expired
            {
                expired(refused == ApiError::SignedOutByAdmin);
            }
            return Err(refused);
        }
        let length = resp.content_length();
        Ok((
            length,
            resp.bytes_stream().map(|c| c.map_err(|e| transport(&e))),
        ))
    }
}
