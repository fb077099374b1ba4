//! The one error type of the request handlers, REST and socket alike.
//!
//! REST answers it with NestJS-shaped bodies (`{statusCode, message, error?}`), the socket with an
//! `exception {status: "error", message}`. Internal failures keep their details in the log and
//! show the client only "Internal server error".

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nursecare_wire::rest::{ErrorBody, ErrorMessage};

use crate::store::StoreError;

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed or invalid input (400).
    #[error("{0}")]
    BadRequest(ErrorMessage),
    /// No or bad credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// The named thing does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with what exists (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is over the size limit (413).
    #[error("Request body is too large")]
    PayloadTooLarge,
    /// A file over the size limit (413), the limit in the message.
    #[error("{0}")]
    FileTooLarge(String),
    /// A kind of file not on the allowlist, or named as another kind (415).
    #[error("{0}")]
    UnsupportedFile(String),
    /// Too many uploads in a minute (429).
    #[error("Too many uploads; try again in {retry_after_secs} s")]
    TooManyUploads {
        /// Seconds until the next upload is taken.
        retry_after_secs: u64,
    },
    /// Something this server does not offer as set up (503).
    #[error("{0}")]
    Unavailable(String),
    /// Too many failed logins (429).
    #[error("Too many failed login attempts; try again in {retry_after_secs} s")]
    TooManyRequests {
        /// Seconds until the next attempt is heard.
        retry_after_secs: u64,
    },
    /// Too busy to check a password now (503).
    #[error("The server is busy; try again in {retry_after_secs} s")]
    ServiceUnavailable {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// Anything else: logged, never shown (500).
    #[error("Internal server error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 400 with one message.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError::BadRequest(ErrorMessage::One(msg.into()))
    }

    /// The 401 that production answers to a missing or bad token.
    pub fn unauthorized() -> Self {
        ApiError::Unauthorized("Unauthorized".into())
    }

    /// The 403 for a non-participant.
    pub fn not_a_participant() -> Self {
        ApiError::Forbidden("You are not a participant of this conversation".into())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge | ApiError::FileTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedFile(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyUploads { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ServiceUnavailable { .. } | ApiError::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body production would send for this error.
    pub fn body(&self) -> ErrorBody {
        let status = self.status();
        let message = match self {
            ApiError::BadRequest(m) => m.clone(),
            other => ErrorMessage::One(other.to_string()),
        };
        // Production's bare 401 and 500 carry no `error` field; the others name the status.
        let error = match self {
            ApiError::Internal(_) => None,
            ApiError::Unauthorized(m) if m == "Unauthorized" => None,
            _ => status.canonical_reason().map(str::to_owned),
        };
        ErrorBody {
            status_code: status.as_u16(),
            message,
            error,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => ApiError::Conflict(what),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = %format!("{e:#}"), "request failed");
        }
        let status = self.status();
        let mut response = (status, axum::Json(self.body())).into_response();
        if let ApiError::TooManyRequests { retry_after_secs }
        | ApiError::TooManyUploads { retry_after_secs }
        | ApiError::ServiceUnavailable { retry_after_secs } = self
        {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        response
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_match_production() {
        let v = serde_json::to_value(ApiError::unauthorized().body()).unwrap();
        assert_eq!(v, json!({"statusCode": 401, "message": "Unauthorized"}));
        let v =
            serde_json::to_value(ApiError::Internal(anyhow::anyhow!("db gone")).body()).unwrap();
        assert_eq!(
            v,
            json!({"statusCode": 500, "message": "Internal server error"})
        );
        let v = serde_json::to_value(ApiError::not_a_participant().body()).unwrap();
        assert_eq!(v["error"], "Forbidden");
        assert_eq!(v["statusCode"], 403);
    }
}
