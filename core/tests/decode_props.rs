//! The event decoder under property tests: whatever the server sends, no panic, and a
//! malformed payload is reported by event name only.
//!
//! CI runs the default number of cases; for a long run (the figure in README):
//!
//!     PROPTEST_CASES=1000000 cargo test --release -p nursecare-core --test decode_props

use nursecare_core::socket::decode::{decode, normalise};
use nursecare_wire::events::server as ev;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const NAMES: &[&str] = &[
    ev::REGISTERED,
    ev::NEW_MESSAGE,
    ev::MESSAGE_SENT,
    ev::MESSAGES_READ,
    ev::JOINED_CONVERSATION,
    ev::LEFT_CONVERSATION,
    ev::USER_TYPING,
    ev::USER_STATUS_CHANGED,
    ev::ONLINE_STATUSES,
    ev::INCOMING_VIDEO_CALL,
    ev::VIDEO_CALL_STARTED,
    ev::VIDEO_CALL_ACCEPTED,
    ev::VIDEO_CALL_REJECTED,
    ev::VIDEO_CALL_HUNG_UP,
    ev::VIDEO_CALL_ENDED,
    ev::VIDEO_CALL_MISSED,
    ev::REFRESH_MESSAGES,
    ev::HEARTBEAT_ACK,
    ev::EXCEPTION,
    ev::ERROR,
    "message",
];

/// Keys the real payloads use, so generated objects often come close to a valid shape.
const KEYS: &[&str] = &[
    "id",
    "conversationId",
    "senderId",
    "content",
    "type",
    "read",
    "createdAt",
    "sender",
    "name",
    "role",
    "userId",
    "isTyping",
    "readBy",
    "timestamp",
    "roomName",
    "callId",
    "callerId",
    "features",
    "status",
    "message",
    "clientId",
    "isOnline",
    "lastSeen",
    "duration",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("TEXT"),
            Just("SYSTEM"),
            Just("NURSE"),
            Just("2025-11-11T10:22:33.123Z"),
            Just("ONGOING")
        ]
        .prop_map(|s| Value::String(s.into())),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k.to_string(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(NAMES).prop_map(str::to_owned),
        ".{0,20}"
    ]
}

proptest! {
    #[test]
    fn decode_never_panics(event in name(), args in prop::collection::vec(value(), 0..3)) {
        let (event, args) = normalise(&event, args);
        if let Err(m) = decode(&event, &args) {
            prop_assert!(m.event.chars().count() <= 64);
            prop_assert!(m.to_string().starts_with("malformed "));
        }
    }
}
