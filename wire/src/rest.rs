//! REST request and response bodies that are not entities.

use crate::{Id, Role};
use serde::{Deserialize, Serialize};

/// `POST /auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Answer to `POST /auth/login`: no user object; the user id is the access token's `sub`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    pub access_token: String,
    pub refresh_token: String,
}

/// `POST /auth/register`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub role: Role,
}

/// Answer to `POST /auth/register`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterResponse {
    pub id: Id,
    pub email: String,
}

/// The access token's payload (HS256, 24 h).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Id,
    pub email: String,
    pub role: Role,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
}

/// `POST /messaging/conversations`: get or create the conversation with another user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateConversationRequest {
    pub other_user_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<Id>,
}

/// `GET /messaging/unread-count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadCount {
    pub count: i64,
}

/// `POST /video-calls/start`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartCallRequest {
    pub conversation_id: Id,
}

/// `POST /video-calls/accept`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptCallRequest {
    pub room_name: String,
}

/// An error's `message`: NestJS writes a string, or a list for validation errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ErrorMessage {
    One(String),
    Many(Vec<String>),
}

impl std::fmt::Display for ErrorMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorMessage::One(s) => f.write_str(s),
            ErrorMessage::Many(v) => f.write_str(&v.join("; ")),
        }
    }
}

/// Every error body: `{"statusCode": n, "message": …, "error"?: …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub status_code: u16,
    pub message: ErrorMessage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_message_is_string_or_list() {
        let one: ErrorBody =
            serde_json::from_value(json!({"message":"Unauthorized","statusCode":401})).unwrap();
        assert_eq!(one.message, ErrorMessage::One("Unauthorized".into()));
        let many: ErrorBody = serde_json::from_value(
            json!({"message":["a","b"],"error":"Bad Request","statusCode":400}),
        )
        .unwrap();
        assert_eq!(many.message.to_string(), "a; b");
    }
}

/// Part B: the message of the 401 that refuses a token an administrator signed out (production
/// answers every refused token with `Unauthorized`).
pub const SIGNED_OUT_MESSAGE: &str = "Signed out by an administrator";

/// Part B: `POST /admin/sign-out` (ADMIN only): end every session of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignOutRequest {
    pub email: String,
}

/// Part B: `signedOut`, to every socket of a user an administrator signed out, just before the
/// server closes them. Every token the user held is refused from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedOut {
    /// Why, for the user: `"administrator"`.
    pub reason: String,
}
