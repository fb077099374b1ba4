//! `--production-compat`: Part A's protocol, point by point.

use crate::util::*;
use nursecare_wire::Role;
use reqwest::StatusCode;
use serde_json::json;

struct World {
    s: TestServer,
    nurse: User,
    patient: User,
    conv: i64,
}

async fn world() -> World {
    let s = TestServer::start_with(compat()).await;
    let (nurse, patient, conv) = s.pair().await;
    World {
        s,
        nurse,
        patient,
        conv,
    }
}

/// Production's client: no token in the handshake, `register` with its id.
async fn prod_socket(s: &TestServer, user: &User) -> Sock {
    let sock = Sock::connect(s, None).await.expect("open handshake");
    sock.emit("register", json!({"userId": user.id})).await;
    let r = sock.expect("registered").await;
    assert_eq!(r.data(), &json!({"userId": user.id}), "no features");
    sock
}

#[tokio::test]
async fn handshake_is_open_and_an_invalid_token_is_ignored() {
    let w = world().await;
    let sock = Sock::connect(&w.s, Some("not-a-token"))
        .await
        .expect("token ignored");
    sock.emit("register", json!({"userId": w.nurse.id})).await;
    sock.expect("registered").await;
}

#[tokio::test]
async fn payload_ids_are_trusted_and_client_id_ignored() {
    let w = world().await;
    let nurse = prod_socket(&w.s, &w.nurse).await;
    let patient = prod_socket(&w.s, &w.patient).await;
    let msg = json!({"conversationId": w.conv, "senderId": w.nurse.id, "content": "hi", "clientId": "k1"});
    nurse.emit("sendMessage", msg.clone()).await;
    let first = nurse.expect("messageSent").await;
    assert!(first.data().get("clientId").is_none(), "no echo");
    nurse.emit("sendMessage", msg).await;
    let second = nurse.expect("messageSent").await;
    assert_ne!(second.data()["id"], first.data()["id"], "no de-duplication");
    assert_eq!(patient.count("newMessage").await.len(), 2);
    // The payload's senderId decides, as production trusts it (a participant's id here).
    patient
        .emit(
            "sendMessage",
            json!({"conversationId": w.conv, "senderId": w.nurse.id, "content": "as nurse"}),
        )
        .await;
    assert_eq!(
        patient.expect("messageSent").await.data()["senderId"],
        w.nurse.id
    );
}

#[tokio::test]
async fn call_events_reach_the_room_only() {
    let w = world().await;
    let nurse = prod_socket(&w.s, &w.nurse).await;
    let patient = prod_socket(&w.s, &w.patient).await;
    let call =
        w.s.post(
            "/video-calls/start",
            &w.nurse.token,
            json!({"conversationId": w.conv}),
        )
        .await
        .json();
    let (room, id) = (
        call["roomName"].as_str().unwrap().to_owned(),
        call["id"].as_i64().unwrap(),
    );
    let start =
        json!({"conversationId": w.conv, "roomName": room, "userId": w.nurse.id, "callId": id});

    // The patient has not opened the conversation: production does not ring.
    nurse.emit("startVideoCall", start.clone()).await;
    nurse.expect("videoCallStarted").await;
    patient.quiet("incomingVideoCall").await;

    nurse
        .emit(
            "joinConversation",
            json!({"conversationId": w.conv, "userId": w.nurse.id}),
        )
        .await;
    nurse.expect("joinedConversation").await;
    patient
        .emit(
            "joinConversation",
            json!({"conversationId": w.conv, "userId": w.patient.id}),
        )
        .await;
    patient.expect("joinedConversation").await;
    nurse.emit("startVideoCall", start).await;
    let incoming = patient.expect("incomingVideoCall").await;
    assert_eq!(
        incoming.data(),
        &json!({"roomName": room, "callerId": w.nurse.id, "callId": id, "conversationId": w.conv})
    );
    assert!(
        patient.expect("refreshMessages").await.args.is_empty(),
        "no payload"
    );
    assert!(
        nurse.expect("refreshMessages").await.args.is_empty(),
        "the room includes the sender"
    );

    patient
        .emit(
            "typing",
            json!({"conversationId": w.conv, "userId": w.patient.id, "isTyping": true}),
        )
        .await;
    assert_eq!(
        nurse.expect("userTyping").await.data(),
        &json!({"userId": w.patient.id, "isTyping": true})
    );

    patient
        .emit(
            "rejectVideoCall",
            json!({"conversationId": w.conv, "callId": id, "userId": w.patient.id}),
        )
        .await;
    let mine = patient.count("videoCallRejected").await;
    assert_eq!(
        mine.len(),
        3,
        "broadcast, direct copy, empty reply: {mine:?}"
    );
    assert_eq!(
        mine[0].data(),
        &json!({"callId": id, "userId": w.patient.id})
    );
    assert!(mine[2].args.is_empty());
    assert_eq!(
        nurse.expect("videoCallRejected").await.data(),
        &json!({"callId": id, "userId": w.patient.id})
    );

    patient
        .emit("getOnlineStatus", json!({"userIds": [w.nurse.id]}))
        .await;
    assert_eq!(
        patient.count("onlineStatuses").await.len(),
        2,
        "answered twice"
    );
}

#[tokio::test]
async fn rest_read_is_silent_no_timer_and_endings_repeat() {
    let w = world().await;
    let nurse = prod_socket(&w.s, &w.nurse).await;
    let _patient = prod_socket(&w.s, &w.patient).await;
    nurse
        .emit(
            "sendMessage",
            json!({"conversationId": w.conv, "senderId": w.nurse.id, "content": "x"}),
        )
        .await;
    nurse.expect("messageSent").await;
    let r =
        w.s.post(
            &format!("/messaging/conversations/{}/read", w.conv),
            &w.patient.token,
            json!({}),
        )
        .await;
    assert_eq!(r.text, "1");
    nurse.quiet("messagesRead").await;

    let call =
        w.s.post(
            "/video-calls/start",
            &w.nurse.token,
            json!({"conversationId": w.conv}),
        )
        .await
        .json();
    let id = call["id"].as_i64().unwrap();
    let e1 =
        w.s.patch(&format!("/video-calls/{id}/end"), &w.nurse.token)
            .await
            .json();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let e2 =
        w.s.patch(&format!("/video-calls/{id}/end"), &w.nurse.token)
            .await
            .json();
    assert_ne!(
        e1["updatedAt"], e2["updatedAt"],
        "a second /end updates the call again"
    );
    let page =
        w.s.get(
            &format!("/messaging/conversations/{}/messages", w.conv),
            &w.nurse.token,
        )
        .await
        .json();
    let ended = page
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["content"]
                .as_str()
                .unwrap()
                .starts_with("VIDEO_CALL_ENDED:")
        })
        .count();
    assert_eq!(ended, 2, "and adds a second SYSTEM message");
}

#[tokio::test]
async fn compat_keeps_membership_and_input_checks() {
    let w = world().await;
    let eve = w.s.user("eve@c.test", Role::Patient).await;
    let r =
        w.s.get(
            &format!("/messaging/conversations/{}/messages", w.conv),
            &eve.token,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let sock = prod_socket(&w.s, &eve).await;
    sock.emit(
        "sendMessage",
        json!({"conversationId": w.conv, "senderId": eve.id, "content": "x"}),
    )
    .await;
    sock.expect("exception").await;
}

#[tokio::test]
async fn no_missed_call_timer() {
    let s = TestServer::start_with(nursecare_server::Settings {
        missed_after: std::time::Duration::from_millis(100),
        ..compat()
    })
    .await;
    let (nurse, _patient, conv) = s.pair().await;
    let sock = prod_socket(&s, &nurse).await;
    let call = s.start_call(&nurse.token, conv).await;
    sock.quiet("videoCallMissed").await;
    let ongoing = s
        .get(
            &format!("/video-calls/conversation/{conv}/ongoing"),
            &nurse.token,
        )
        .await
        .json();
    assert_eq!(
        ongoing["id"], call["id"],
        "unanswered calls stay ONGOING, as in production"
    );
}

/// The web app leaves with `{conversationId}` alone, even before it registers: production
/// leaves the room and answers `leftConversation`.
#[tokio::test]
async fn leave_conversation_needs_no_user_id() {
    let w = world().await;
    let early = Sock::connect(&w.s, None).await.unwrap();
    early
        .emit("leaveConversation", json!({"conversationId": w.conv}))
        .await;
    assert_eq!(
        early.expect("leftConversation").await.data(),
        &json!({"conversationId": w.conv})
    );

    let nurse = prod_socket(&w.s, &w.nurse).await;
    let patient = prod_socket(&w.s, &w.patient).await;
    for (sock, user) in [(&nurse, &w.nurse), (&patient, &w.patient)] {
        sock.emit(
            "joinConversation",
            json!({"conversationId": w.conv, "userId": user.id}),
        )
        .await;
        sock.expect("joinedConversation").await;
    }
    nurse
        .emit("leaveConversation", json!({"conversationId": w.conv}))
        .await;
    nurse.expect("leftConversation").await;
    // Left the room: room-only events no longer reach it.
    patient
        .emit(
            "typing",
            json!({"conversationId": w.conv, "userId": w.patient.id, "isTyping": true}),
        )
        .await;
    nurse.quiet("userTyping").await;
}
