//! Server events as a typed enum, decoded from (event name, arguments) without ever panicking.
//!
//! Production's quirks end here: replies without a payload (`["videoCallEnded"]`), which
//! rust_socketio delivers as a `message` event whose one argument is the name; the two shapes
//! of `videoCallAccepted`; the server's `error` event, which shares its name with
//! rust_socketio's transport errors (told apart by payload: an object is the server's).

use nursecare_wire::Message;
use nursecare_wire::events::server as ev;
use nursecare_wire::socket::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// An event the server sent.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    /// `registered`.
    Registered(Registered),
    /// `newMessage`.
    NewMessage(Message),
    /// `messageSent` (the reply to our `sendMessage`).
    MessageSent(Message),
    /// `messagesRead`.
    MessagesRead(MessagesRead),
    /// `joinedConversation`.
    JoinedConversation(ConversationAck),
    /// `leftConversation`.
    LeftConversation(ConversationAck),
    /// `userTyping`.
    UserTyping(UserTyping),
    /// `userStatusChanged`.
    UserStatusChanged(UserStatusChanged),
    /// `onlineStatuses` (`None` for unknown users).
    OnlineStatuses(Vec<Option<OnlineStatus>>),
    /// `incomingVideoCall`.
    IncomingVideoCall(IncomingVideoCall),
    /// `videoCallStarted`.
    VideoCallStarted(RoomRef),
    /// `videoCallAccepted`: `user_id` is absent in the reply shape.
    VideoCallAccepted(VideoCallAccepted),
    /// `videoCallRejected`; `None` for the reply without payload.
    VideoCallRejected(Option<CallActionEvent>),
    /// `videoCallHungUp`; `None` for the reply without payload.
    VideoCallHungUp(Option<CallActionEvent>),
    /// `videoCallEnded`; `None` for the reply without payload.
    VideoCallEnded(Option<VideoCallEnded>),
    /// `videoCallMissed` (Part B.8).
    VideoCallMissed(VideoCallMissed),
    /// `refreshMessages`; `None` on production (no payload).
    RefreshMessages(Option<RefreshMessages>),
    /// `fileShared` (Part B).
    FileShared(nursecare_wire::files::FileShared),
    /// `fileRemoved` (Part B).
    FileRemoved(nursecare_wire::files::FileRemoved),
    /// `heartbeatAck`.
    HeartbeatAck,
    /// `exception`: the server refused an event.
    Exception(Exception),
    /// The server's `error` event: a `sendMessage` failed.
    SendFailed(SendFailed),
    /// An event this client does not know (ignored).
    Unknown(String),
}

/// A payload that did not match its event's shape. Carries the event name only: the payload
/// may hold message text, which is never logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {event} payload")]
pub struct Malformed {
    /// The event's name.
    pub event: String,
}

/// Normalises what rust_socketio hands over: `["name"]` arrives as event `message` with the
/// name as its only argument.
pub fn normalise(event: &str, args: Vec<Value>) -> (String, Vec<Value>) {
    if event == "message"
        && let [Value::String(name)] = args.as_slice()
    {
        return (name.clone(), Vec::new());
    }
    (event.to_owned(), args)
}

/// Decodes one server event.
pub fn decode(event: &str, args: &[Value]) -> Result<ServerEvent, Malformed> {
    let first = args.first();
    let bad = || Malformed {
        event: event.chars().take(64).collect(),
    };
    fn req<T: DeserializeOwned>(v: Option<&Value>) -> Option<T> {
        serde_json::from_value(v?.clone()).ok()
    }
    /// `None` when there is no payload at all; a payload must parse.
    fn opt<T: DeserializeOwned>(v: Option<&Value>) -> Result<Option<T>, ()> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|_| ()),
        }
    }
    let out = match event {
        ev::REGISTERED => req(first).map(ServerEvent::Registered),
        ev::NEW_MESSAGE => req(first).map(ServerEvent::NewMessage),
        ev::MESSAGE_SENT => req(first).map(ServerEvent::MessageSent),
        ev::MESSAGES_READ => req(first).map(ServerEvent::MessagesRead),
        ev::JOINED_CONVERSATION => req(first).map(ServerEvent::JoinedConversation),
        ev::LEFT_CONVERSATION => req(first).map(ServerEvent::LeftConversation),
        ev::USER_TYPING => req(first).map(ServerEvent::UserTyping),
        ev::USER_STATUS_CHANGED => req(first).map(ServerEvent::UserStatusChanged),
        ev::ONLINE_STATUSES => req(first).map(ServerEvent::OnlineStatuses),
        ev::INCOMING_VIDEO_CALL => req(first).map(ServerEvent::IncomingVideoCall),
        ev::VIDEO_CALL_STARTED => req(first).map(ServerEvent::VideoCallStarted),
        ev::VIDEO_CALL_ACCEPTED => req(first).map(ServerEvent::VideoCallAccepted),
        ev::VIDEO_CALL_REJECTED => opt(first).ok().map(ServerEvent::VideoCallRejected),
        ev::VIDEO_CALL_HUNG_UP => opt(first).ok().map(ServerEvent::VideoCallHungUp),
        ev::VIDEO_CALL_ENDED => opt(first).ok().map(ServerEvent::VideoCallEnded),
        ev::VIDEO_CALL_MISSED => req(first).map(ServerEvent::VideoCallMissed),
        ev::REFRESH_MESSAGES => opt(first).ok().map(ServerEvent::RefreshMessages),
        ev::FILE_SHARED => req(first).map(ServerEvent::FileShared),
        ev::FILE_REMOVED => req(first).map(ServerEvent::FileRemoved),
        ev::HEARTBEAT_ACK => Some(ServerEvent::HeartbeatAck),
        ev::EXCEPTION => req(first).map(ServerEvent::Exception),
        ev::ERROR => req(first).map(ServerEvent::SendFailed),
        other => Some(ServerEvent::Unknown(other.chars().take(64).collect())),
    };
    out.ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replies_without_payload() {
        let (name, args) = normalise("message", vec![json!("videoCallEnded")]);
        assert_eq!(decode(&name, &args), Ok(ServerEvent::VideoCallEnded(None)));
        let (name, args) = normalise("message", vec![json!("refreshMessages")]);
        assert_eq!(decode(&name, &args), Ok(ServerEvent::RefreshMessages(None)));
        assert_eq!(
            decode("refreshMessages", &[json!({"conversationId": 3})]),
            Ok(ServerEvent::RefreshMessages(Some(RefreshMessages {
                conversation_id: 3
            })))
        );
    }

    #[test]
    fn both_accepted_shapes() {
        let reply = decode("videoCallAccepted", &[json!({"roomName": "r"})]).unwrap();
        let ServerEvent::VideoCallAccepted(a) = reply else {
            panic!()
        };
        assert_eq!(a.user_id, None);
        let broadcast = decode(
            "videoCallAccepted",
            &[json!({"roomName": "r", "userId": 2})],
        )
        .unwrap();
        let ServerEvent::VideoCallAccepted(b) = broadcast else {
            panic!()
        };
        assert_eq!(b.user_id, Some(2));
    }

    #[test]
    fn the_error_event_is_the_servers_only_with_an_object() {
        assert_eq!(
            decode("error", &[json!({"message": "Failed to send message"})]),
            Ok(ServerEvent::SendFailed(SendFailed {
                message: "Failed to send message".into()
            }))
        );
        assert!(decode("error", &[json!("Received an ConnectError frame")]).is_err());
    }

    #[test]
    fn malformed_payloads_name_the_event_only() {
        let e = decode("newMessage", &[json!({"content": "private words"})]).unwrap_err();
        assert_eq!(e.event, "newMessage");
        assert!(!e.to_string().contains("private"));
        assert!(decode("newMessage", &[]).is_err());
        assert_eq!(
            decode("somethingNew", &[]),
            Ok(ServerEvent::Unknown("somethingNew".into()))
        );
    }
}
