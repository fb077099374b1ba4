//! The entities of the contract: users, conversations, messages and video calls.

use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// A user id, conversation id, message id or call id: always an integer on the wire.
pub type Id = i64;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    /// A patient.
    Patient,
    /// A nurse.
    Nurse,
    /// An administrator (made by the server's operator, never self-registered on our server).
    Admin,
}

impl Role {
    /// The wire spelling (`"NURSE"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Patient => "PATIENT",
            Role::Nurse => "NURSE",
            Role::Admin => "ADMIN",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PATIENT" => Some(Role::Patient),
            "NURSE" => Some(Role::Nurse),
            "ADMIN" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The kind of a message. Only `TEXT` comes from clients on the project's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MessageType {
    /// Text typed by a user.
    Text,
    /// An image (production only).
    Image,
    /// A file (production only).
    File,
    /// Written by the server about a call (`VIDEO_CALL_STARTED`, …); always stored read.
    System,
}

impl MessageType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Text => "TEXT",
            MessageType::Image => "IMAGE",
            MessageType::File => "FILE",
            MessageType::System => "SYSTEM",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "TEXT" => Some(MessageType::Text),
            "IMAGE" => Some(MessageType::Image),
            "FILE" => Some(MessageType::File),
            "SYSTEM" => Some(MessageType::System),
            _ => None,
        }
    }
}

/// The state of a video call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CallStatus {
    /// Started and not ended (production leaves unanswered calls here forever).
    Ongoing,
    /// Hung up; `endedAt` and `duration` are set.
    Ended,
    /// Rejected or never answered.
    Missed,
}

impl CallStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Ongoing => "ONGOING",
            CallStatus::Ended => "ENDED",
            CallStatus::Missed => "MISSED",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ONGOING" => Some(CallStatus::Ongoing),
            "ENDED" => Some(CallStatus::Ended),
            "MISSED" => Some(CallStatus::Missed),
            _ => None,
        }
    }
}

/// A user as a participant sees another: `name` may be null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserSummary {
    pub id: Id,
    pub name: Option<String>,
    pub email: String,
    pub role: Role,
}

/// A message's sender: a user summary without the email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Sender {
    pub id: Id,
    pub name: Option<String>,
    pub role: Role,
}

/// A user's membership of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub id: Id,
    pub conversation_id: Id,
    pub user_id: Id,
    pub joined_at: Timestamp,
    pub user: UserSummary,
}

/// A message. `read` means read by the other party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    pub id: Id,
    pub conversation_id: Id,
    pub sender_id: Id,
    pub content: String,
    #[serde(rename = "type")]
    pub kind: MessageType,
    pub read: bool,
    pub created_at: Timestamp,
    pub sender: Sender,
    /// Part B.5: the sender's idempotency key, echoed back where the server offers `clientId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Part B (feature `urgent`): the sender marked it urgent (present only then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent: Option<bool>,
    /// Part B (feature `urgent`): when an urgent message was read (present only for urgent
    /// messages, once read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<Timestamp>,
}

/// A conversation between two users, with up to 50 messages, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    pub id: Id,
    pub booking_id: Option<Id>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub participants: Vec<Participant>,
    /// Newest first; `messages[0]` is the preview.
    pub messages: Vec<Message>,
    /// Present in the list (`GET /messaging/conversations`), absent from get-or-create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_count: Option<i64>,
}

/// A conversation without its messages, as `GET /video-calls/room/:name` nests it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationWithParticipants {
    pub id: Id,
    pub booking_id: Option<Id>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub participants: Vec<Participant>,
}

/// A video call. `duration` is in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VideoCall {
    pub id: Id,
    pub conversation_id: Id,
    pub room_name: String,
    pub started_by: Id,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub duration: Option<i64>,
    pub status: CallStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A call with the URL of its Jitsi room (`/start`, `/accept`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VideoCallWithUrl {
    #[serde(flatten)]
    pub call: VideoCall,
    pub jitsi_url: String,
    /// Part B: the token that admits this user to the room, signed by the server for a
    /// clinic's Jitsi with token auth or JaaS; absent on production and without configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitsi_jwt: Option<String>,
}

/// A call with its conversation (`GET /video-calls/room/:name`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoCallWithConversation {
    #[serde(flatten)]
    pub call: VideoCall,
    pub conversation: ConversationWithParticipants,
    /// Part B: the room's URL, for a participant of an ONGOING call (to rejoin it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitsi_url: Option<String>,
    /// Part B: a fresh token for that participant, as in [`VideoCallWithUrl`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitsi_jwt: Option<String>,
}

/// The content of the SYSTEM messages that calls write.
pub mod system {
    /// A call was started.
    pub const VIDEO_CALL_STARTED: &str = "VIDEO_CALL_STARTED";
    /// The callee joined.
    pub const VIDEO_CALL_JOINED: &str = "VIDEO_CALL_JOINED";
    /// The callee declined.
    pub const VIDEO_CALL_REJECTED: &str = "VIDEO_CALL_REJECTED";
    /// Nobody answered.
    pub const VIDEO_CALL_MISSED: &str = "VIDEO_CALL_MISSED";
    /// Prefix of `VIDEO_CALL_ENDED:<duration>`.
    pub const VIDEO_CALL_ENDED_PREFIX: &str = "VIDEO_CALL_ENDED:";

    /// Production's duration text: `"Ys"` under a minute, `"Xm Ys"` from a minute on (minutes
    /// keep counting past an hour: `"75m 3s"`).
    pub fn duration_text(seconds: i64) -> String {
        let seconds = seconds.max(0);
        if seconds < 60 {
            format!("{seconds}s")
        } else {
            format!("{}m {}s", seconds / 60, seconds % 60)
        }
    }

    /// `VIDEO_CALL_ENDED:<duration_text>`.
    pub fn ended(seconds: i64) -> String {
        format!("{VIDEO_CALL_ENDED_PREFIX}{}", duration_text(seconds))
    }

    /// What people read for each notice's code: the one table the app (through its generated
    /// `ui/src/bindings/noticeWords.ts`) and the CLI both say notices with.
    pub const NOTICE_WORDS: [(&str, &str); 5] = [
        (VIDEO_CALL_STARTED, "Video call started"),
        (VIDEO_CALL_JOINED, "Joined the video call"),
        (VIDEO_CALL_REJECTED, "Video call declined"),
        (VIDEO_CALL_MISSED, "Missed video call"),
        ("VIDEO_CALL_ENDED", "Video call ended"),
    ];

    /// A notice's content in words (`VIDEO_CALL_ENDED:1m 5s` → "Video call ended · 1m 5s");
    /// `None` for a code this table does not know.
    pub fn notice_words(content: &str) -> Option<String> {
        let (code, detail) = match content.split_once(':') {
            Some((c, d)) => (c.trim(), d.trim()),
            None => (content.trim(), ""),
        };
        let words = NOTICE_WORDS.iter().find(|(c, _)| *c == code)?.1;
        Some(if code == "VIDEO_CALL_ENDED" && !detail.is_empty() {
            format!("{words} · {detail}")
        } else {
            words.to_owned()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn duration_text_matches_production() {
        assert_eq!(system::duration_text(0), "0s");
        assert_eq!(system::duration_text(59), "59s");
        assert_eq!(system::duration_text(60), "1m 0s");
        assert_eq!(system::duration_text(4503), "75m 3s");
        assert_eq!(system::ended(61), "VIDEO_CALL_ENDED:1m 1s");
    }

    #[test]
    fn notices_in_words() {
        assert_eq!(
            system::notice_words("VIDEO_CALL_ENDED:1m 15s").as_deref(),
            Some("Video call ended · 1m 15s")
        );
        assert_eq!(
            system::notice_words("VIDEO_CALL_ENDED").as_deref(),
            Some("Video call ended")
        );
        assert_eq!(
            system::notice_words(system::VIDEO_CALL_MISSED).as_deref(),
            Some("Missed video call")
        );
        assert_eq!(system::notice_words("SOMETHING_NEW"), None);
    }

    #[test]
    fn message_parses_production_shape_and_ignores_unknown_fields() {
        let m: Message = serde_json::from_value(json!({
            "id": 10, "conversationId": 3, "senderId": 2, "content": "Hello", "type": "TEXT",
            "read": false, "createdAt": "2025-11-11T10:22:33.123Z",
            "sender": {"id": 2, "name": null, "role": "NURSE"}, "somethingNew": 1
        }))
        .unwrap();
        assert_eq!(m.kind, MessageType::Text);
        assert_eq!(m.client_id, None);
        let back = serde_json::to_value(&m).unwrap();
        assert!(
            back.get("clientId").is_none(),
            "absent clientId stays absent"
        );
        assert_eq!(back["type"], "TEXT");
        assert_eq!(back["createdAt"], "2025-11-11T10:22:33.123Z");
    }

    #[test]
    fn call_with_url_is_flat() {
        let t = Timestamp::from_millis(0);
        let c = VideoCallWithUrl {
            call: VideoCall {
                id: 4,
                conversation_id: 3,
                room_name: "nursecare-3-9f1c2a7b4d5e6f80".into(),
                started_by: 1,
                started_at: t,
                ended_at: None,
                duration: None,
                status: CallStatus::Ongoing,
                created_at: t,
                updated_at: t,
            },
            jitsi_url: "https://meet.jit.si/nursecare-3-9f1c2a7b4d5e6f80".into(),
            jitsi_jwt: None,
        };
        let v = serde_json::to_value(&c).unwrap();
        assert!(
            v.get("jitsiJwt").is_none(),
            "production's shape has no token"
        );
        assert_eq!(v["status"], "ONGOING");
        assert_eq!(v["endedAt"], serde_json::Value::Null);
        assert_eq!(
            v["jitsiUrl"],
            "https://meet.jit.si/nursecare-3-9f1c2a7b4d5e6f80"
        );
        let back: VideoCallWithUrl = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }
}
