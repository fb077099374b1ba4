//! Every socket event: who receives what (extensions on; compat routing is in `compat`).

use crate::util::*;
use nursecare_wire::Role;
use serde_json::json;

struct World {
    s: TestServer,
    nurse: User,
    patient: User,
    conv: i64,
}

async fn world() -> World {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    World {
        s,
        nurse,
        patient,
        conv,
    }
}

#[tokio::test]
async fn registered_announces_features() {
    let w = world().await;
    let sock = Sock::connect(&w.s, Some(&w.nurse.token)).await.unwrap();
    sock.emit("register", json!({"userId": w.nurse.id})).await;
    let r = sock.expect("registered").await;
    assert_eq!(
        r.data(),
        &json!({"userId": w.nurse.id, "features": ["auth", "userRing", "clientId", "readEvents", "fileEvents", "urgent"]})
    );
}

#[tokio::test]
async fn new_message_reaches_every_socket_of_both_and_sender_gets_message_sent() {
    let w = world().await;
    let nurse_a = w.s.registered(&w.nurse).await;
    let nurse_b = w.s.registered(&w.nurse).await;
    let patient = w.s.registered(&w.patient).await;
    nurse_a
        .emit(
            "sendMessage",
            json!({"conversationId": w.conv, "senderId": w.nurse.id, "content": "Hello"}),
        )
        .await;
    let sent = nurse_a.expect("messageSent").await;
    assert_eq!(sent.data()["content"], "Hello");
    assert_eq!(sent.data()["type"], "TEXT");
    for sock in [&nurse_a, &nurse_b, &patient] {
        let m = sock.expect("newMessage").await;
        assert_eq!(m.data()["id"], sent.data()["id"]);
        assert_eq!(m.data()["sender"]["id"], w.nurse.id);
    }
    assert_eq!(
        nurse_a.count("newMessage").await.len(),
        0,
        "once per socket"
    );
    patient.quiet("messageSent").await;
}

#[tokio::test]
async fn client_id_is_echoed_and_deduplicated() {
    let w = world().await;
    let nurse = w.s.registered(&w.nurse).await;
    let patient = w.s.registered(&w.patient).await;
    let msg = json!({"conversationId": w.conv, "content": "once", "clientId": "6c1f4a8e-2b7d-4c55-9e1a-0d3f5b7c9a11"});
    nurse.emit("sendMessage", msg.clone()).await;
    let first = nurse.expect("messageSent").await;
    assert_eq!(
        first.data()["clientId"],
        "6c1f4a8e-2b7d-4c55-9e1a-0d3f5b7c9a11"
    );
    assert_eq!(
        patient.expect("newMessage").await.data()["clientId"],
        first.data()["clientId"]
    );
    nurse.emit("sendMessage", msg).await;
    let second = nurse.expect("messageSent").await;
    assert_eq!(
        second.data()["id"],
        first.data()["id"],
        "answered with the stored one"
    );
    patient.quiet("newMessage").await;
    let page =
        w.s.get(
            &format!("/messaging/conversations/{}/messages", w.conv),
            &w.nurse.token,
        )
        .await
        .json();
    assert_eq!(page.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn messages_from_one_socket_keep_their_order() {
    let w = world().await;
    let nurse = w.s.registered(&w.nurse).await;
    let patient = w.s.registered(&w.patient).await;
    for i in 0..200 {
        nurse
            .emit(
                "sendMessage",
                json!({"conversationId": w.conv, "content": format!("{i}")}),
            )
            .await;
    }
    for i in 0..200 {
        let m = patient.expect("newMessage").await;
        assert_eq!(m.data()["content"], format!("{i}"));
    }
    let page =
        w.s.get(
            &format!("/messaging/conversations/{}/messages?limit=200", w.conv),
            &w.nurse.token,
        )
        .await
        .json();
    let stored: Vec<String> = page
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stored, (0..200).map(|i| i.to_string()).collect::<Vec<_>>());
}

#[tokio::test]
async fn join_marks_read_and_tells_the_others() {
    let w = world().await;
    let nurse = w.s.registered(&w.nurse).await;
    let patient = w.s.registered(&w.patient).await;
    nurse
        .emit(
            "sendMessage",
            json!({"conversationId": w.conv, "content": "Please read"}),
        )
        .await;
    nurse.expect("messageSent").await;
    patient
        .emit(
            "joinConversation",
            json!({"conversationId": w.conv, "userId": w.patient.id}),
        )
        .await;
    assert_eq!(
        patient.expect("joinedConversation").await.data(),
        &json!({"conversationId": w.conv})
    );
    let read = nurse.expect("messagesRead").await;
    assert_eq!(read.data()["conversationId"], w.conv);
    assert_eq!(read.data()["readBy"], w.patient.id);
    assert!(read.data()["timestamp"].is_string());
    // Nothing new to mark: no second messagesRead.
    patient
        .emit(
            "joinConversation",
            json!({"conversationId": w.conv, "userId": w.patient.id}),
        )
        .await;
    patient.expect("joinedConversation").await;
    nurse.quiet("messagesRead").await;
    patient
        .emit("leaveConversation", json!({"conversationId": w.conv}))
        .await;
    assert_eq!(
        patient.expect("leftConversation").await.data(),
        &json!({"conversationId": w.conv})
    );
}

#[tokio::test]
async fn rest_read_emits_messages_read_to_every_socket() {
    let w = world().await;
    let nurse = w.s.registered(&w.nurse).await;
    let patient_a = w.s.registered(&w.patient).await;
    let patient_b = w.s.registered(&w.patient).await;
    nurse
        .emit(
            "sendMessage",
            json!({"conversationId": w.conv, "content": "x"}),
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
    for sock in [&nurse, &patient_a, &patient_b] {
        let m = sock.expect("messagesRead").await;
        assert_eq!(m.data()["readBy"], w.patient.id);
    }
}

#[tokio::test]
async fn typing_carries_conversation_and_skips_the_typist() {
    let w = world().await;
    let nurse = w.s.registered(&w.nurse).await;
    let patient = w.s.registered(&w.patient).await;
    nurse
        .emit(
            "typing",
            json!({"conversationId": w.conv, "userId": w.nurse.id, "isTyping": true}),
        )
        .await;
    let t = patient.expect("userTyping").await;
    assert_eq!(
        t.data(),
        &json!({"userId": w.nurse.id, "isTyping": true, "conversationId": w.conv})
    );
    nurse.quiet("userTyping").await;
}

#[tokio::test]
async fn user_ring_reaches_callee_outside_the_room_but_not_the_emitter() {
    let w = world().await;
    let nurse = w.s.registered(&w.nurse).await;
    let nurse_other = w.s.registered(&w.nurse).await;
    let patient = w.s.registered(&w.patient).await;
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
    // Nobody joined the conversation room: userRing still rings.
    nurse
        .emit(
            "startVideoCall",
            json!({"conversationId": w.conv, "roomName": room, "userId": w.nurse.id, "callId": id}),
        )
        .await;
    assert_eq!(
        nurse.expect("videoCallStarted").await.data(),
        &json!({"roomName": room})
    );
    let incoming =
        json!({"roomName": room, "callerId": w.nurse.id, "callId": id, "conversationId": w.conv});
    assert_eq!(patient.expect("incomingVideoCall").await.data(), &incoming);
    assert_eq!(
        nurse_other.expect("incomingVideoCall").await.data(),
        &incoming,
        "the caller's other devices too"
    );
    assert_eq!(
        patient.expect("refreshMessages").await.data(),
        &json!({"conversationId": w.conv})
    );
    let own = nurse.drain().await;
    assert!(
        !own.iter()
            .any(|g| g.event == "incomingVideoCall" || g.event == "refreshMessages"),
        "{own:?}"
    );

    patient
        .emit(
            "acceptVideoCall",
            json!({"conversationId": w.conv, "roomName": room, "userId": w.patient.id}),
        )
        .await;
    assert_eq!(
        patient.expect("videoCallAccepted").await.data(),
        &json!({"roomName": room})
    );
    assert_eq!(
        nurse.expect("videoCallAccepted").await.data(),
        &json!({"roomName": room, "userId": w.patient.id, "conversationId": w.conv, "callId": id})
    );

    nurse
        .emit(
            "hangupVideoCall",
            json!({"conversationId": w.conv, "callId": id, "userId": w.nurse.id}),
        )
        .await;
    let hung = json!({"callId": id, "userId": w.nurse.id, "conversationId": w.conv});
    assert_eq!(patient.expect("videoCallHungUp").await.data(), &hung);
    let mine = nurse.count("videoCallHungUp").await;
    assert_eq!(mine.len(), 2, "a direct copy and a reply: {mine:?}");
    assert_eq!(mine[0].data(), &hung);
    assert!(mine[1].args.is_empty(), "the reply has no payload");

    nurse
        .emit(
            "endVideoCall",
            json!({"conversationId": w.conv, "userId": w.nurse.id, "duration": 42}),
        )
        .await;
    assert_eq!(
        patient.expect("videoCallEnded").await.data(),
        &json!({"userId": w.nurse.id, "duration": 42, "conversationId": w.conv, "callId": id})
    );
    assert!(nurse.expect("videoCallEnded").await.args.is_empty());

    patient
        .emit(
            "rejectVideoCall",
            json!({"conversationId": w.conv, "callId": id, "userId": w.patient.id}),
        )
        .await;
    assert_eq!(
        nurse.expect("videoCallRejected").await.data()["userId"],
        w.patient.id
    );
}

#[tokio::test]
async fn presence_and_heartbeat() {
    let w = world().await;
    let nurse = w.s.registered(&w.nurse).await;
    let patient = w.s.registered(&w.patient).await;
    let on = nurse.expect("userStatusChanged").await;
    assert_eq!(on.data()["userId"], w.patient.id);
    assert_eq!(on.data()["isOnline"], true);

    let stranger = w.s.user("stranger@c.test", Role::Patient).await;
    nurse
        .emit(
            "getOnlineStatus",
            json!({"userIds": [w.patient.id, 9999, stranger.id]}),
        )
        .await;
    let statuses = nurse.expect("onlineStatuses").await;
    let list = statuses.data().as_array().unwrap().clone();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["id"], w.patient.id);
    assert_eq!(list[0]["isOnline"], true);
    assert!(list[1].is_null(), "unknown id");
    assert!(list[2].is_null(), "someone we share no conversation with");
    nurse.quiet("onlineStatuses").await;

    nurse.emit("heartbeat", json!({"userId": w.nurse.id})).await;
    nurse.expect("heartbeatAck").await;

    patient.close().await;
    let off = nurse.expect("userStatusChanged").await;
    assert_eq!(off.data()["userId"], w.patient.id);
    assert_eq!(off.data()["isOnline"], false);
    assert!(off.data()["lastSeen"].is_string());
}

/// Part B's urgent messages: the flag travels with the message, the recipient's read stamps
/// `readAt` on it for the sender, and every other message keeps Part A's shape.
#[tokio::test]
async fn an_urgent_message_carries_its_flag_and_when_it_was_read() {
    let w = world().await;
    let nurse = w.s.registered(&w.nurse).await;
    let patient = w.s.registered(&w.patient).await;
    nurse
        .emit(
            "sendMessage",
            json!({"conversationId": w.conv, "content": "Call me now", "urgent": true}),
        )
        .await;
    let urgent = patient.expect("newMessage").await;
    assert_eq!(urgent.data()["urgent"], true);
    assert!(urgent.data().get("readAt").is_none(), "not read yet");
    nurse
        .emit(
            "sendMessage",
            json!({"conversationId": w.conv, "content": "And an ordinary one"}),
        )
        .await;
    let plain = patient.expect("newMessage").await;
    for key in ["urgent", "readAt"] {
        assert!(
            plain.data().get(key).is_none(),
            "{key} on a plain message: {}",
            plain.data()
        );
    }

    let before = chrono::Utc::now();
    let r =
        w.s.post(
            &format!("/messaging/conversations/{}/read", w.conv),
            &w.patient.token,
            json!({}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let page =
        w.s.get(
            &format!("/messaging/conversations/{}/messages", w.conv),
            &w.nurse.token,
        )
        .await
        .json();
    let find = |text: &str| {
        page.as_array()
            .unwrap()
            .iter()
            .find(|m| m["content"] == text)
            .cloned()
            .unwrap()
    };
    let read_at = find("Call me now")["readAt"].as_str().unwrap().to_owned();
    let read_at = chrono::DateTime::parse_from_rfc3339(&read_at).unwrap();
    assert!(
        read_at >= before - chrono::Duration::seconds(1),
        "{read_at}"
    );
    let plain = find("And an ordinary one");
    assert_eq!(plain["read"], true);
    assert!(plain.get("readAt").is_none(), "{plain}");
}
