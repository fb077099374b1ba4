//! Video calls over REST: shapes, SYSTEM messages, endings, the missed-call timer.

use crate::util::*;
use nursecare_server::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// The texts of a conversation's SYSTEM messages, oldest first.
async fn system_texts(s: &TestServer, token: &str, conv: i64) -> Vec<String> {
    system_messages(s, token, conv)
        .await
        .into_iter()
        .map(|m| m.0)
        .collect()
}

async fn system_messages(s: &TestServer, token: &str, conv: i64) -> Vec<(String, i64, bool)> {
    let page = s
        .get(
            &format!("/messaging/conversations/{conv}/messages?limit=100"),
            token,
        )
        .await
        .json();
    let mut v: Vec<(String, i64, bool)> = page
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "SYSTEM")
        .map(|m| {
            (
                m["content"].as_str().unwrap().to_owned(),
                m["senderId"].as_i64().unwrap(),
                m["read"].as_bool().unwrap(),
            )
        })
        .collect();
    v.reverse();
    v
}

#[tokio::test]
async fn start_accept_end_with_system_messages() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;

    let r = s
        .post(
            "/video-calls/start",
            &nurse.token,
            json!({"conversationId": conv}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let call = r.json();
    let mut keys: Vec<&str> = call
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "conversationId",
            "createdAt",
            "duration",
            "endedAt",
            "id",
            "jitsiUrl",
            "roomName",
            "startedAt",
            "startedBy",
            "status",
            "updatedAt"
        ]
    );
    let room = call["roomName"].as_str().unwrap().to_owned();
    let prefix = format!("nursecare-{conv}-");
    let hex = room.strip_prefix(&prefix).expect("room format");
    assert!(
        hex.len() == 16
            && hex
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(call["jitsiUrl"], format!("https://meet.jit.si/{room}"));
    assert_eq!(
        (
            call["status"].as_str(),
            call["endedAt"].clone(),
            call["duration"].clone()
        ),
        (Some("ONGOING"), Value::Null, Value::Null)
    );
    assert_eq!(call["startedBy"], nurse.id);
    let id = call["id"].as_i64().unwrap();

    let ongoing = s
        .get(
            &format!("/video-calls/conversation/{conv}/ongoing"),
            &patient.token,
        )
        .await;
    assert_eq!(ongoing.json()["id"], id);

    let r = s
        .post(
            "/video-calls/accept",
            &patient.token,
            json!({"roomName": room}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["status"], "ONGOING");
    assert!(r.json()["jitsiUrl"].is_string());

    let by_room = s
        .get(&format!("/video-calls/room/{room}"), &patient.token)
        .await
        .json();
    assert_eq!(by_room["id"], id);
    assert_eq!(by_room["conversation"]["id"], conv);
    assert_eq!(
        by_room["conversation"]["participants"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let r = s
        .patch(&format!("/video-calls/{id}/end"), &patient.token)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ended = r.json();
    assert_eq!(ended["status"], "ENDED");
    assert!(ended["endedAt"].is_string());
    assert_eq!(ended["duration"], 0);

    // After the end: no ongoing call, an empty 200 body without content type.
    let none = s
        .get(
            &format!("/video-calls/conversation/{conv}/ongoing"),
            &patient.token,
        )
        .await;
    assert_eq!(
        (none.status, none.text.as_str(), none.content_type.clone()),
        (StatusCode::OK, "", None)
    );
    let unknown = s
        .get(
            "/video-calls/room/nursecare-1-0000000000000000",
            &patient.token,
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.text.as_str()),
        (StatusCode::OK, "")
    );

    assert_eq!(
        system_messages(&s, &nurse.token, conv).await,
        [
            ("VIDEO_CALL_STARTED".to_owned(), nurse.id, true),
            ("VIDEO_CALL_JOINED".to_owned(), patient.id, true),
            ("VIDEO_CALL_ENDED:0s".to_owned(), nurse.id, true),
        ],
        "senders: starter for STARTED/ENDED, the actor for JOINED; always read"
    );
    // SYSTEM messages never count as unread.
    assert_eq!(
        s.get("/messaging/unread-count", &patient.token)
            .await
            .json(),
        json!({"count": 0})
    );

    // A second /end adds nothing (B.9).
    let again = s
        .patch(&format!("/video-calls/{id}/end"), &nurse.token)
        .await;
    assert_eq!(again.json()["endedAt"], ended["endedAt"]);
    assert_eq!(system_messages(&s, &nurse.token, conv).await.len(), 3);

    let history = s
        .get(
            &format!("/video-calls/conversation/{conv}/history"),
            &nurse.token,
        )
        .await
        .json();
    assert_eq!(history.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn reject_and_missed_are_idempotent() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let first = s.start_call(&nurse.token, conv).await;
    let r = s.call_verb(&patient.token, &first["id"], "reject").await;
    assert_eq!(r.json()["status"], "MISSED");
    assert!(r.json()["endedAt"].is_string());
    let r2 = s.call_verb(&patient.token, &first["id"], "reject").await;
    assert_eq!(r2.json(), r.json(), "answered as it is");
    let missed = s.call_verb(&nurse.token, &first["id"], "missed").await;
    assert_eq!(missed.json()["status"], "MISSED");

    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = s.start_call(&nurse.token, conv).await;
    let m = s
        .call_verb(&nurse.token, &second["id"], "missed")
        .await
        .json();
    assert_eq!(m["status"], "MISSED");

    let sys = system_texts(&s, &nurse.token, conv).await;
    assert_eq!(
        sys,
        [
            "VIDEO_CALL_STARTED",
            "VIDEO_CALL_REJECTED",
            "VIDEO_CALL_STARTED",
            "VIDEO_CALL_MISSED"
        ]
    );
    let history = s
        .get(
            &format!("/video-calls/conversation/{conv}/history"),
            &nurse.token,
        )
        .await
        .json();
    let ids: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, [&second["id"], &first["id"]], "startedAt desc");
}

#[tokio::test]
async fn unknown_call_ids_answer_404() {
    let s = TestServer::start().await;
    let (nurse, _, _) = s.pair().await;
    for verb in ["end", "reject", "missed"] {
        let r = s
            .patch(&format!("/video-calls/999/{verb}"), &nurse.token)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{verb}");
    }
    let r = s
        .post(
            "/video-calls/accept",
            &nurse.token,
            json!({"roomName": "nursecare-1-ffffffffffffffff"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unanswered_call_turns_missed_and_tells_both() {
    let s = TestServer::start_with(Settings {
        missed_after: Duration::from_millis(600),
        ..Settings::default()
    })
    .await;
    let (nurse, patient, conv) = s.pair().await;
    let nurse_sock = s.registered(&nurse).await;
    let patient_sock = s.registered(&patient).await;
    let call = s.start_call(&nurse.token, conv).await;
    let id = call["id"].as_i64().unwrap();
    for sock in [&nurse_sock, &patient_sock] {
        let m = sock.expect("videoCallMissed").await;
        assert_eq!(m.data(), &json!({"callId": id, "conversationId": conv}));
        let r = sock.expect("refreshMessages").await;
        assert_eq!(r.data(), &json!({"conversationId": conv}));
    }
    let history = s
        .get(
            &format!("/video-calls/conversation/{conv}/history"),
            &nurse.token,
        )
        .await
        .json();
    assert_eq!(history[0]["status"], "MISSED");
    let sys = system_messages(&s, &nurse.token, conv).await;
    assert_eq!(
        sys.last().unwrap(),
        &("VIDEO_CALL_MISSED".to_owned(), nurse.id, true)
    );

    // An answered call is not timed out.
    let call = s.start_call(&nurse.token, conv).await;
    s.post(
        "/video-calls/accept",
        &patient.token,
        json!({"roomName": call["roomName"]}),
    )
    .await;
    nurse_sock.quiet("videoCallMissed").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let ongoing = s
        .get(
            &format!("/video-calls/conversation/{conv}/ongoing"),
            &nurse.token,
        )
        .await
        .json();
    assert_eq!(ongoing["id"], call["id"]);
}

#[tokio::test]
async fn stale_unanswered_calls_are_swept_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let (conv, nurse_token, id) = {
        let mut s = TestServer::start_on(
            db.clone(),
            Settings {
                missed_after: Duration::from_secs(3600),
                ..Settings::default()
            },
        )
        .await;
        let (nurse, _, conv) = s.pair().await;
        let call = s.start_call(&nurse.token, conv).await;
        s.stop().await;
        (conv, nurse.token, call["id"].as_i64().unwrap())
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut s = TestServer::start_on(
        db,
        Settings {
            missed_after: Duration::from_millis(10),
            ..Settings::default()
        },
    )
    .await;
    // The sweep runs before the server answers.
    let history = s
        .get(
            &format!("/video-calls/conversation/{conv}/history"),
            &nurse_token,
        )
        .await
        .json();
    assert_eq!(history[0]["id"], id);
    assert_eq!(history[0]["status"], "MISSED");
    s.stop().await;
}

async fn accept(s: &TestServer, token: &str, call: &Value) -> Resp {
    s.post(
        "/video-calls/accept",
        token,
        json!({"roomName": call["roomName"]}),
    )
    .await
}

/// With the extensions on, `/accept` answers 403 for the caller's own call and 409 for a call
/// that is over, and adds no SYSTEM message; compat mode accepts anything, as production does.
#[tokio::test]
async fn accept_follows_the_call_state() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let call = s.start_call(&nurse.token, conv).await;
    let own = accept(&s, &nurse.token, &call).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.text);
    assert_eq!(own.json()["statusCode"], 403);
    s.call_verb(&patient.token, &call["id"], "reject").await;
    let late = accept(&s, &patient.token, &call).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text);
    assert_eq!(late.json()["statusCode"], 409);
    assert!(late.json()["message"].as_str().unwrap().contains("MISSED"));

    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = s.start_call(&nurse.token, conv).await;
    assert_eq!(
        accept(&s, &patient.token, &second).await.status,
        StatusCode::CREATED
    );
    s.call_verb(&nurse.token, &second["id"], "end").await;
    assert_eq!(
        accept(&s, &patient.token, &second).await.status,
        StatusCode::CONFLICT,
        "an ended call"
    );
    let sys = system_texts(&s, &nurse.token, conv).await;
    assert_eq!(
        sys,
        [
            "VIDEO_CALL_STARTED",
            "VIDEO_CALL_REJECTED",
            "VIDEO_CALL_STARTED",
            "VIDEO_CALL_JOINED",
            "VIDEO_CALL_ENDED:0s"
        ],
        "one JOINED, for the one accepted call"
    );

    // Compat: production accepts any call, the caller's own and ended ones too, each with a
    // JOINED message, and answers the call as it is.
    let c = TestServer::start_with(compat()).await;
    let (nurse, patient, conv) = c.pair().await;
    let call = c.start_call(&nurse.token, conv).await;
    let r = c
        .post(
            "/video-calls/accept",
            &nurse.token,
            json!({"roomName": call["roomName"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    c.call_verb(&nurse.token, &call["id"], "end").await;
    let r = c
        .post(
            "/video-calls/accept",
            &patient.token,
            json!({"roomName": call["roomName"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["status"], "ENDED");
    let joined = system_messages(&c, &nurse.token, conv)
        .await
        .into_iter()
        .filter(|m| m.0 == "VIDEO_CALL_JOINED")
        .count();
    assert_eq!(joined, 2);
}

/// `startVideoCall` rings only for an ONGOING call that this user started, under its room
/// name; anything else is an `exception` and rings nobody.
#[tokio::test]
async fn start_video_call_rings_only_for_a_ringing_call() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let other_patient = s.user("other@c.test", nursecare_wire::Role::Patient).await;
    let other_conv = s.conversation(&nurse, &other_patient).await;
    let nurse_sock = s.registered(&nurse).await;
    let patient_sock = s.registered(&patient).await;
    let ended = s.start_call(&nurse.token, conv).await;
    s.call_verb(&nurse.token, &ended["id"], "end").await;
    let elsewhere = s.start_call(&nurse.token, other_conv).await;
    let call = s.start_call(&nurse.token, conv).await;
    let start = |call: &Value, room: &Value| json!({"conversationId": conv, "roomName": room, "callId": call["id"]});
    let refused = [
        (
            "an ended call",
            &nurse_sock,
            start(&ended, &ended["roomName"]),
        ),
        (
            "another room name",
            &nurse_sock,
            start(&call, &json!("nursecare-x")),
        ),
        (
            "another conversation's call",
            &nurse_sock,
            start(&elsewhere, &elsewhere["roomName"]),
        ),
        (
            "someone else's call",
            &patient_sock,
            start(&call, &call["roomName"]),
        ),
        (
            "an unknown call",
            &nurse_sock,
            json!({"conversationId": conv, "roomName": "r", "callId": 999}),
        ),
    ];
    for (what, sock, payload) in refused {
        sock.emit("startVideoCall", payload).await;
        let e = sock.expect("exception").await;
        assert_eq!(e.data()["status"], "error", "{what}");
    }
    patient_sock.quiet("incomingVideoCall").await;
    nurse_sock.quiet("incomingVideoCall").await;

    nurse_sock
        .emit("startVideoCall", start(&call, &call["roomName"]))
        .await;
    let incoming = patient_sock.expect("incomingVideoCall").await;
    assert_eq!(incoming.data()["callId"], call["id"]);
    nurse_sock.expect("videoCallStarted").await;
}

/// `endVideoCall` may name the call it ended (Part B): `videoCallEnded` carries that callId,
/// not the conversation's newest call; a call of another conversation is refused.
#[tokio::test]
async fn end_video_call_names_its_call() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let other_patient = s.user("other@c.test", nursecare_wire::Role::Patient).await;
    let other_conv = s.conversation(&nurse, &other_patient).await;
    let nurse_sock = s.registered(&nurse).await;
    let patient_sock = s.registered(&patient).await;
    let first = s.start_call(&nurse.token, conv).await;
    s.call_verb(&nurse.token, &first["id"], "end").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let _newer = s.start_call(&nurse.token, conv).await;
    let elsewhere = s.start_call(&nurse.token, other_conv).await;

    nurse_sock
        .emit(
            "endVideoCall",
            json!({"conversationId": conv, "duration": 3, "callId": first["id"]}),
        )
        .await;
    assert_eq!(
        patient_sock.expect("videoCallEnded").await.data(),
        &json!({"userId": nurse.id, "duration": 3, "conversationId": conv, "callId": first["id"]})
    );
    assert!(nurse_sock.expect("videoCallEnded").await.args.is_empty());

    for call_id in [elsewhere["id"].clone(), json!(999)] {
        nurse_sock
            .emit(
                "endVideoCall",
                json!({"conversationId": conv, "callId": call_id}),
            )
            .await;
        assert_eq!(
            nurse_sock.expect("exception").await.data()["status"],
            "error"
        );
    }
    patient_sock.quiet("videoCallEnded").await;
}

#[tokio::test]
async fn two_starts_racing_in_one_conversation_make_one_call() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let body = json!({"conversationId": conv});
    let (a, b) = tokio::join!(
        s.post("/video-calls/start", &nurse.token, body.clone()),
        s.post("/video-calls/start", &patient.token, body.clone()),
    );
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    let (a, b) = (a.json(), b.json());
    assert_eq!(a["id"], b["id"], "both sides meet in one call");
    assert_eq!(a["roomName"], b["roomName"]);
    let started = system_texts(&s, &nurse.token, conv)
        .await
        .into_iter()
        .filter(|t| t == "VIDEO_CALL_STARTED")
        .count();
    assert_eq!(started, 1);
    // Over, the next start makes a new call.
    let r = s.call_verb(&nurse.token, &a["id"], "end").await;
    assert_eq!(r.status, StatusCode::OK);
    let next = s.start_call(&patient.token, conv).await;
    assert_ne!(next["id"], a["id"]);
    // Answered and never ended (both closed their windows): not a call to join again, and
    // not the caller's own ringing either.
    let r = s
        .post(
            "/video-calls/accept",
            &nurse.token,
            json!({"roomName": next["roomName"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = s
        .post("/video-calls/start", &nurse.token, body.clone())
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "an answered call still ONGOING is neither joined nor ended by a start"
    );
    s.call_verb(&nurse.token, &next["id"], "end").await;
    let again = s.start_call(&nurse.token, conv).await;
    assert_ne!(again["id"], next["id"]);
    let own = s.start_call(&nurse.token, conv).await;
    assert_ne!(
        own["id"], again["id"],
        "one's own ringing call is not answered"
    );
}

/// Part B: a start beside an answered call still ONGOING (people may be in it on another
/// device, or nobody ended it) is refused with 409 and writes nothing; the starter's own
/// earlier ring is replaced (MISSED, both sides told); the other side's ringing call is
/// answered, and nothing is ended.
#[tokio::test]
async fn a_start_beside_an_answered_call_is_refused_and_an_earlier_ring_is_replaced() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let nurse_sock = s.registered(&nurse).await;
    let patient_sock = s.registered(&patient).await;
    let answered = s.start_call(&nurse.token, conv).await;
    let r = accept(&s, &patient.token, &answered).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let texts = system_texts(&s, &nurse.token, conv).await;

    let r = s
        .post(
            "/video-calls/start",
            &patient.token,
            json!({"conversationId": conv}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(system_texts(&s, &nurse.token, conv).await, texts);
    let status_of = |id: &Value| {
        let (s, token) = (&s, nurse.token.clone());
        let id = id.clone();
        async move {
            let history = s
                .get(&format!("/video-calls/conversation/{conv}/history"), &token)
                .await
                .json();
            history
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id)
                .unwrap()["status"]
                .clone()
        }
    };
    assert_eq!(status_of(&answered["id"]).await, "ONGOING");
    nurse_sock.quiet("videoCallEnded").await;

    // Ended, the next start makes a call; the patient calls again while it still rings:
    // the earlier ring is missed, both hear it.
    s.call_verb(&nurse.token, &answered["id"], "end").await;
    let first = s.start_call(&patient.token, conv).await;
    let second = s.start_call(&patient.token, conv).await;
    assert_ne!(second["id"], first["id"]);
    for sock in [&nurse_sock, &patient_sock] {
        let missed = sock.expect("videoCallMissed").await;
        assert_eq!(
            missed.data(),
            &json!({"callId": first["id"], "conversationId": conv})
        );
    }
    assert_eq!(status_of(&first["id"]).await, "MISSED");
    assert_eq!(status_of(&second["id"]).await, "ONGOING");
    // The nurse's start answers the patient's ringing call: nothing is ended.
    let joined = s.start_call(&nurse.token, conv).await;
    assert_eq!(joined["id"], second["id"]);
    assert_eq!(status_of(&second["id"]).await, "ONGOING");
    nurse_sock.quiet("videoCallMissed").await;
}
