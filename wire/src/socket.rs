//! Socket.io payloads. Client payloads carry the ids production trusts; the project's server
//! takes them from the token instead, so they are optional where it ignores them.

use crate::{Id, MessageType, Timestamp};
use serde::{Deserialize, Serialize};

/// `register`, and `heartbeat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    pub user_id: Id,
}

/// The `handshake auth` object (Part B.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeAuth {
    pub token: String,
}

/// `sendMessage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessage {
    pub conversation_id: Id,
    /// Trusted by production, ignored by the project's server (taken from the token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<Id>,
    pub content: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<MessageType>,
    /// Part B.5: an idempotency key made by the client (a UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Part B (feature `urgent`): the recipient's app alerts again until it is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent: Option<bool>,
}

/// `joinConversation`, `typing` without the flag, and friends: a conversation and (in
/// production) the acting user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationRef {
    pub conversation_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
}

/// `typing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Typing {
    pub conversation_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    pub is_typing: bool,
}

/// `startVideoCall`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartVideoCall {
    pub conversation_id: Id,
    pub room_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    pub call_id: Id,
}

/// `acceptVideoCall`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptVideoCall {
    pub conversation_id: Id,
    pub room_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
}

/// `rejectVideoCall` and `hangupVideoCall`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallAction {
    pub conversation_id: Id,
    pub call_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
}

/// `endVideoCall`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndVideoCall {
    pub conversation_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    /// Part B: the call this ended (production names none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<Id>,
}

/// `getOnlineStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetOnlineStatus {
    pub user_ids: Vec<Id>,
}

/// `registered`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    pub user_id: Id,
    /// Part B.3: absent on production.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
}

/// `messagesRead`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagesRead {
    pub conversation_id: Id,
    pub read_by: Id,
    pub timestamp: Timestamp,
}

/// `joinedConversation` and `leftConversation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationAck {
    pub conversation_id: Id,
}

/// `userTyping`. Production sends no `conversationId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTyping {
    pub user_id: Id,
    pub is_typing: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<Id>,
}

/// `userStatusChanged`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserStatusChanged {
    pub user_id: Id,
    pub is_online: bool,
    pub last_seen: Option<Timestamp>,
}

/// One entry of `onlineStatuses` (`null` for an unknown id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnlineStatus {
    pub id: Id,
    pub is_online: bool,
    pub last_seen: Option<Timestamp>,
}

/// `incomingVideoCall`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomingVideoCall {
    pub room_name: String,
    pub caller_id: Id,
    pub call_id: Id,
    pub conversation_id: Id,
}

/// `videoCallStarted`, and the reply shape of `videoCallAccepted` (`{roomName}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomRef {
    pub room_name: String,
}

/// The broadcast shape of `videoCallAccepted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoCallAccepted {
    pub room_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<Id>,
}

/// `videoCallRejected` and `videoCallHungUp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallActionEvent {
    pub call_id: Id,
    pub user_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<Id>,
}

/// `videoCallEnded` (broadcast; the reply carries no payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoCallEnded {
    pub user_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<Id>,
}

/// `videoCallMissed` (Part B.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoCallMissed {
    pub call_id: Id,
    pub conversation_id: Id,
}

/// `refreshMessages`: no payload on production, `{conversationId}` with userRing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshMessages {
    pub conversation_id: Id,
}

/// `exception`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exception {
    /// Always `"error"`.
    pub status: String,
    pub message: String,
    /// Part B: the refused `sendMessage`'s clientId, so the client fails that message (and
    /// only that one) at once instead of waiting for an echo that never comes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

impl Exception {
    /// An `exception` with the given message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            status: "error".into(),
            message: message.into(),
            client_id: None,
        }
    }

    /// The refusal of a `sendMessage` that carried a clientId (Part B).
    pub fn for_message(message: impl Into<String>, client_id: Option<String>) -> Self {
        Self {
            client_id,
            ..Self::new(message)
        }
    }
}

/// The server's `error` event (failed `sendMessage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendFailed {
    pub message: String,
}

/// The message of [`SendFailed`] on production.
pub const FAILED_TO_SEND: &str = "Failed to send message";

/// `heartbeatAck`. The contract fixes no payload; the project's server sends `{timestamp}` and
/// clients must not rely on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatAck {
    pub timestamp: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn production_payloads_parse() {
        let s: SendMessage =
            serde_json::from_value(json!({"conversationId": 3, "senderId": 2, "content": "hi"}))
                .unwrap();
        assert_eq!(s.kind, None);
        let t: UserTyping = serde_json::from_value(json!({"userId": 2, "isTyping": true})).unwrap();
        assert_eq!(t.conversation_id, None);
        let r: Registered = serde_json::from_value(json!({"userId": 2})).unwrap();
        assert_eq!(r.features, None);
    }

    #[test]
    fn wrong_types_are_refused() {
        assert!(
            serde_json::from_value::<SendMessage>(json!({"conversationId": "3", "content": "x"}))
                .is_err()
        );
        assert!(serde_json::from_value::<SendMessage>(json!({"conversationId": 3})).is_err());
    }
}
