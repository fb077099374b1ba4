//! The REST client: every Part A endpoint, with production's quirks handled here so nothing
//! above this module sees them (201s, empty bodies meaning "none", the plain-text read count,
//! error messages that are a string or a list).
//!
//! Time-outs suit a free-tier host that sleeps when idle: its first answer may take 30 s.
//! Requests that cannot have reached the server (the connection never opened) are retried
//! with back-off whatever their method; GETs are also retried on time-outs, gateway errors and
//! connections that broke after sending. A 401 on an authenticated call is [`ApiError::SessionExpired`]: there is no
//! refresh endpoint, so the user signs in again.

mod files;

pub use files::Upload;

use nursecare_wire::rest::{
    AcceptCallRequest, CreateConversationRequest, ErrorBody, LoginRequest, LoginResponse,
    RegisterRequest, RegisterResponse, StartCallRequest, UnreadCount,
};
use nursecare_wire::{
    Conversation, Id, Message, VideoCall, VideoCallWithConversation, VideoCallWithUrl,
};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// Why a REST call failed, in terms a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The access token was refused (expired or revoked): sign in again.
    #[error("your session has expired; please sign in again")]
    SessionExpired,
    /// An administrator signed the user out (our server, Part B): sign in again.
    #[error("an administrator signed you out; please sign in again")]
    SignedOutByAdmin,
    /// Login refused.
    #[error("wrong email or password")]
    InvalidCredentials,
    /// Too many failed logins.
    #[error("too many failed sign-in attempts; try again later")]
    RateLimited {
        /// Seconds the server asks to wait, if it said.
        retry_after_secs: Option<u64>,
    },
    /// The user may not do this (not a participant, …).
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The thing does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The server refused the request as invalid (4xx).
    #[error("the server refused the request ({status}): {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The file is over the server's size limit (413); the server's message names it.
    #[error("{0}")]
    FileTooLarge(String),
    /// The server does not take this kind of file (415); its message says which it takes.
    #[error("{0}")]
    FileRefused(String),
    /// A plain `http://` server on another computer: the password, the token and messages
    /// would cross the network unencrypted.
    #[error(
        "the server's address starts with http://, so the password and messages would cross the network unencrypted; use its https:// address"
    )]
    InsecureServer,
    /// The server is too busy to check a password now (503 with `Retry-After`, Part B): try
    /// again shortly; nothing was done.
    #[error("the server is busy; try again in a moment")]
    Busy {
        /// Seconds the server asks to wait.
        retry_after_secs: Option<u64>,
    },
    /// The server failed (5xx).
    #[error("the server had a problem ({status}); try again later")]
    Server {
        /// HTTP status.
        status: u16,
    },
    /// No connection (offline, DNS, refused).
    #[error("cannot reach the server")]
    Unreachable,
    /// The connection broke after the request went out: the server may have done it.
    #[error("the connection broke before the server answered; it may have been done")]
    AnswerLost,
    /// No answer in time.
    #[error("the server took too long to answer")]
    Timeout,
    /// An answer that does not match the contract. Says where, never what (it may hold
    /// message text).
    #[error("unexpected answer from the server ({0})")]
    Decode(String),
    /// The configured server address is not a usable URL.
    #[error("invalid server address: {0}")]
    BadUrl(String),
}

impl ApiError {
    /// The server refused the token: the session is over (sign in again).
    pub fn ends_session(&self) -> bool {
        matches!(self, Self::SessionExpired | Self::SignedOutByAdmin)
    }

    /// True for failures of the link rather than refusals (worth retrying later).
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            ApiError::Unreachable | ApiError::AnswerLost | ApiError::Timeout
        )
    }
}

/// Result of a REST call.
pub type ApiResult<T> = Result<T, ApiError>;

/// Time-outs and retries.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// To open a connection.
    pub connect_timeout: Duration,
    /// For a whole request, answer included.
    pub request_timeout: Duration,
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// Wait before the first retry; doubles each time.
    pub backoff: Duration,
    /// Speak plain `http://` to a server on another computer (a lab without TLS; the CLI's
    /// `--allow-plain-http`). Off: such a server is refused ([`ApiError::InsecureServer`]).
    pub allow_plain_http: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(15),
            // A sleeping free-tier host takes tens of seconds to wake.
            request_timeout: Duration::from_secs(45),
            attempts: 3,
            backoff: Duration::from_millis(500),
            allow_plain_http: false,
        }
    }
}

/// A REST client for one server, optionally signed in.
#[derive(Clone)]
pub struct ApiClient {
    base: Url,
    http: reqwest::Client,
    config: ApiConfig,
    token: Option<Arc<str>>,
    /// Told when the server refuses the token, whichever request it was (see
    /// [`ApiClient::on_session_expired`]).
    on_expired: Option<Arc<dyn Fn(bool) + Send + Sync>>,
}

/// A raw answer: status, content type and body.
struct Answer {
    status: StatusCode,
    body: bytes::Bytes,
}

impl ApiClient {
    /// A client for the server at `base` (for example `https://nursecare.example`).
    pub fn new(base: &str, config: ApiConfig) -> ApiResult<Self> {
        let base = Url::parse(base).map_err(|e| ApiError::BadUrl(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ApiError::BadUrl(format!(
                "{base} is not an http(s) address"
            )));
        }
        if !config.allow_plain_http && crate::server_address::unencrypted_over_a_network(&base) {
            return Err(ApiError::InsecureServer);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .tcp_nodelay(true)
            .user_agent(concat!("nursecare-core/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::BadUrl(e.to_string()))?;
        Ok(Self {
            base,
            http,
            config,
            token: None,
            on_expired: None,
        })
    }

    /// The same client, sending `token` as `Authorization: Bearer`.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(Arc::from(token)),
            ..self.clone()
        }
    }

    /// Calls `f` whenever the server refuses this client's token (a 401 on any signed-in
    /// request), so one refused request signs the user out everywhere; `f(true)` when an
    /// administrator signed the user out.
    pub fn on_session_expired(self, f: impl Fn(bool) + Send + Sync + 'static) -> Self {
        Self {
            on_expired: Some(Arc::new(f)),
            ..self
        }
    }

    /// The server's base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `POST /auth/login`.
    pub async fn login(&self, email: &str, password: &str) -> ApiResult<LoginResponse> {
        let body = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        match self
            .call(Method::POST, &["auth", "login"], Some(&body))
            .await
        {
            Err(ApiError::SessionExpired) => Err(ApiError::InvalidCredentials),
            other => json(other?),
        }
    }

    /// `POST /auth/register`.
    pub async fn register(&self, request: &RegisterRequest) -> ApiResult<RegisterResponse> {
        json(
            self.call(Method::POST, &["auth", "register"], Some(request))
                .await?,
        )
    }

    /// `POST /messaging/conversations`: get or create the conversation with `other`.
    pub async fn create_conversation(
        &self,
        other: Id,
        booking: Option<Id>,
    ) -> ApiResult<Conversation> {
        let body = CreateConversationRequest {
            other_user_id: other,
            booking_id: booking,
        };
        json(
            self.call(Method::POST, &["messaging", "conversations"], Some(&body))
                .await?,
        )
    }

    /// `GET /messaging/conversations`, by `updatedAt` desc.
    pub async fn conversations(&self) -> ApiResult<Vec<Conversation>> {
        json(self.get(&["messaging", "conversations"], &[]).await?)
    }

    /// `GET /messaging/conversations/:id/messages`, newest first.
    pub async fn messages(
        &self,
        conversation: Id,
        limit: u32,
        offset: u64,
    ) -> ApiResult<Vec<Message>> {
        let id = conversation.to_string();
        let query = [("limit", limit.to_string()), ("offset", offset.to_string())];
        json(
            self.get(&["messaging", "conversations", &id, "messages"], &query)
                .await?,
        )
    }

    /// `POST /messaging/conversations/:id/read`: how many messages it marked (production
    /// answers the count as plain text).
    pub async fn mark_read(&self, conversation: Id) -> ApiResult<u64> {
        let id = conversation.to_string();
        let answer = self
            .call::<()>(
                Method::POST,
                &["messaging", "conversations", &id, "read"],
                None,
            )
            .await?;
        let text =
            std::str::from_utf8(&answer.body).map_err(|_| ApiError::Decode("read count".into()))?;
        text.trim()
            .parse()
            .map_err(|_| ApiError::Decode("read count is not a number".into()))
    }

    /// `GET /messaging/unread-count`.
    pub async fn unread_count(&self) -> ApiResult<i64> {
        json::<UnreadCount>(self.get(&["messaging", "unread-count"], &[]).await?).map(|c| c.count)
    }

    /// `POST /video-calls/start`.
    pub async fn start_call(&self, conversation: Id) -> ApiResult<VideoCallWithUrl> {
        let body = StartCallRequest {
            conversation_id: conversation,
        };
        json(
            self.call(Method::POST, &["video-calls", "start"], Some(&body))
                .await?,
        )
    }

    /// `POST /video-calls/accept`.
    pub async fn accept_call(&self, room_name: &str) -> ApiResult<VideoCallWithUrl> {
        let body = AcceptCallRequest {
            room_name: room_name.to_owned(),
        };
        json(
            self.call(Method::POST, &["video-calls", "accept"], Some(&body))
                .await?,
        )
    }

    /// `PATCH /video-calls/:id/reject`.
    pub async fn reject_call(&self, call: Id) -> ApiResult<VideoCall> {
        self.call_patch(call, "reject").await
    }

    /// `PATCH /video-calls/:id/missed`.
    pub async fn missed_call(&self, call: Id) -> ApiResult<VideoCall> {
        self.call_patch(call, "missed").await
    }

    /// `PATCH /video-calls/:id/end`.
    pub async fn end_call(&self, call: Id) -> ApiResult<VideoCall> {
        self.call_patch(call, "end").await
    }

    async fn call_patch(&self, call: Id, verb: &str) -> ApiResult<VideoCall> {
        let id = call.to_string();
        json(
            self.call::<()>(Method::PATCH, &["video-calls", &id, verb], None)
                .await?,
        )
    }

    /// `GET /video-calls/room/:roomName`; `None` for an unknown room (an empty body).
    pub async fn call_by_room(
        &self,
        room_name: &str,
    ) -> ApiResult<Option<VideoCallWithConversation>> {
        optional_json(self.get(&["video-calls", "room", room_name], &[]).await?)
    }

    /// `GET /video-calls/conversation/:id/history`, by `startedAt` desc.
    pub async fn call_history(&self, conversation: Id) -> ApiResult<Vec<VideoCall>> {
        let id = conversation.to_string();
        json(
            self.get(&["video-calls", "conversation", &id, "history"], &[])
                .await?,
        )
    }

    /// `GET /video-calls/conversation/:id/ongoing`; `None` when no call is ongoing.
    pub async fn ongoing_call(&self, conversation: Id) -> ApiResult<Option<VideoCall>> {
        let id = conversation.to_string();
        optional_json(
            self.get(&["video-calls", "conversation", &id, "ongoing"], &[])
                .await?,
        )
    }

    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        // `cannot_be_a_base` was refused in `new`, so there are segments to extend.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    async fn get(&self, segments: &[&str], query: &[(&str, String)]) -> ApiResult<Answer> {
        self.send::<()>(Method::GET, self.url(segments, query), None)
            .await
    }

    async fn call<B: Serialize>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&B>,
    ) -> ApiResult<Answer> {
        self.send(method, self.url(segments, &[]), body).await
    }

    /// Sends with retries, and turns statuses into [`ApiError`]s.
    async fn send<B: Serialize>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> ApiResult<Answer> {
        let idempotent = method == Method::GET;
        let mut wait = self.config.backoff;
        let mut attempt = 1;
        loop {
            let mut req = self.http.request(method.clone(), url.clone());
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            // Only a request whose connection never opened (`Unreachable`) certainly did not
            // reach the server, so only that one is repeated whatever its method: a repeated
            // `/video-calls/start` is a second call. One that broke after it went out
            // (`AnswerLost`) is repeated only when it is a GET.
            let outcome = answer(req).await;
            let retry = match &outcome {
                Err(ApiError::Unreachable) => true,
                Err(ApiError::AnswerLost) => idempotent,
                Err(ApiError::Timeout) => idempotent,
                Err(ApiError::Server { status }) => idempotent && matches!(status, 502..=504),
                _ => false,
            };
            if let (Err(e), Some(expired), Some(_)) = (&outcome, &self.on_expired, &self.token)
                && e.ends_session()
            {
                expired(*e == ApiError::SignedOutByAdmin);
            }
            if !retry || attempt >= self.config.attempts {
                if let Err(e) = &outcome {
                    tracing::debug!(%method, path = url.path(), attempt, error = %e, "request failed");
                }
                return outcome;
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
            attempt += 1;
        }
    }
}

/// Sends a request once and classifies what came back (or why nothing did).
async fn answer(req: reqwest::RequestBuilder) -> ApiResult<Answer> {
    match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.trim().parse().ok());
            match resp.bytes().await {
                Ok(body) => classify(status, body, retry_after),
                // The server answered, then the body broke off.
                Err(e) => Err(transport(&e)),
            }
        }
        Err(e) if e.is_connect() => Err(ApiError::Unreachable),
        Err(e) => Err(transport(&e)),
    }
}

/// A failure after the connection opened: the request may have reached the server.
fn transport(e: &reqwest::Error) -> ApiError {
    if e.is_timeout() {
        ApiError::Timeout
    } else {
        ApiError::AnswerLost
    }
}

/// Maps a status and body to success or the matching error.
fn classify(status: StatusCode, body: bytes::Bytes, retry_after: Option<u64>) -> ApiResult<Answer> {
    if status.is_success() {
        return Ok(Answer { status, body });
    }
    // The server's message, if its body is the contract's error shape.
    let message = serde_json::from_slice::<ErrorBody>(&body)
        .map(|b| b.message.to_string())
        .unwrap_or_else(|_| status.canonical_reason().unwrap_or("error").to_owned());
    Err(match status {
        StatusCode::UNAUTHORIZED if message == nursecare_wire::rest::SIGNED_OUT_MESSAGE => {
            ApiError::SignedOutByAdmin
        }
        StatusCode::UNAUTHORIZED => ApiError::SessionExpired,
        StatusCode::FORBIDDEN => ApiError::Forbidden(message),
        StatusCode::NOT_FOUND => ApiError::NotFound(message),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::FileTooLarge(message),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::FileRefused(message),
        StatusCode::TOO_MANY_REQUESTS => ApiError::RateLimited {
            retry_after_secs: retry_after,
        },
        // Our server's answer when password hashing is at capacity; a 503 without the header
        // (a host waking up) stays a server error.
        StatusCode::SERVICE_UNAVAILABLE if retry_after.is_some() => ApiError::Busy {
            retry_after_secs: retry_after,
        },
        s if s.is_server_error() => ApiError::Server { status: s.as_u16() },
        s => ApiError::Rejected {
            status: s.as_u16(),
            message,
        },
    })
}

/// Parses a JSON body. A decoding error names the place, never the content.
fn json<T: DeserializeOwned>(answer: Answer) -> ApiResult<T> {
    serde_json::from_slice(&answer.body).map_err(|e| {
        ApiError::Decode(format!(
            "{:?} at line {} column {} of a {} answer",
            e.classify(),
            e.line(),
            e.column(),
            answer.status.as_u16()
        ))
    })
}

/// Like [`json`], but an empty body (production's "returns nothing") is `None`.
fn optional_json<T: DeserializeOwned>(answer: Answer) -> ApiResult<Option<T>> {
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    json(answer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> bytes::Bytes {
        bytes::Bytes::from(body.to_owned())
    }

    #[test]
    fn error_bodies_map_to_errors() {
        let e = classify(
            StatusCode::UNAUTHORIZED,
            answer(r#"{"message":"Unauthorized","statusCode":401}"#),
            None,
        );
        assert_eq!(e.err(), Some(ApiError::SessionExpired));
        let e = classify(
            StatusCode::BAD_REQUEST,
            answer(r#"{"message":["a","b"],"error":"Bad Request","statusCode":400}"#),
            None,
        );
        assert_eq!(
            e.err(),
            Some(ApiError::Rejected {
                status: 400,
                message: "a; b".into()
            })
        );
        let e = classify(StatusCode::BAD_GATEWAY, answer("<html>"), None);
        assert_eq!(e.err(), Some(ApiError::Server { status: 502 }));
        let e = classify(StatusCode::SERVICE_UNAVAILABLE, answer(""), Some(1));
        assert_eq!(
            e.err(),
            Some(ApiError::Busy {
                retry_after_secs: Some(1)
            })
        );
        let e = classify(StatusCode::SERVICE_UNAVAILABLE, answer("<html>"), None);
        assert_eq!(e.err(), Some(ApiError::Server { status: 503 }));
        let e = classify(StatusCode::TOO_MANY_REQUESTS, answer(""), Some(30));
        assert_eq!(
            e.err(),
            Some(ApiError::RateLimited {
                retry_after_secs: Some(30)
            })
        );
    }

    #[test]
    fn decode_errors_do_not_quote_the_body() {
        let a = Answer {
            status: StatusCode::OK,
            body: answer(r#"{"count":"secret text"}"#),
        };
        let e = json::<UnreadCount>(a).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn empty_body_is_none() {
        let a = Answer {
            status: StatusCode::OK,
            body: answer(""),
        };
        assert_eq!(optional_json::<VideoCall>(a).unwrap(), None);
    }

    #[test]
    fn urls_keep_a_base_path_and_encode_segments() {
        let c = ApiClient::new("https://host.example/api/", ApiConfig::default()).unwrap();
        let u = c.url(&["video-calls", "room", "a b/c"], &[]);
        assert_eq!(
            u.as_str(),
            "https://host.example/api/video-calls/room/a%20b%2Fc"
        );
        assert!(ApiClient::new("ftp://x", ApiConfig::default()).is_err());
        assert!(ApiClient::new("not a url", ApiConfig::default()).is_err());
    }
}
