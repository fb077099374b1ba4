//! Authorization (Part B.1, B.2, B.7): a third user sees nothing of another pair.

use crate::util::*;
use nursecare_wire::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn third_user_gets_403_everywhere() {
    let s = TestServer::start().await;
    let (nurse, _patient, conv) = s.pair().await;
    let eve = s.user("eve@c.test", Role::Patient).await;
    let call = s.start_call(&nurse.token, conv).await;
    let (id, room) = (
        call["id"].as_i64().unwrap(),
        call["roomName"].as_str().unwrap().to_owned(),
    );

    let gets = [
        format!("/messaging/conversations/{conv}/messages"),
        format!("/video-calls/conversation/{conv}/history"),
        format!("/video-calls/conversation/{conv}/ongoing"),
        format!("/video-calls/room/{room}"),
    ];
    for path in &gets {
        let r = s.get(path, &eve.token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
        assert_eq!(r.json()["statusCode"], 403);
    }
    let r = s
        .post(
            &format!("/messaging/conversations/{conv}/read"),
            &eve.token,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s
        .post(
            "/video-calls/start",
            &eve.token,
            json!({"conversationId": conv}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s
        .post("/video-calls/accept", &eve.token, json!({"roomName": room}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for verb in ["end", "reject", "missed"] {
        let r = s
            .patch(&format!("/video-calls/{id}/{verb}"), &eve.token)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{verb}");
    }
    // Unknown conversation: 404, not 403.
    let r = s
        .get("/messaging/conversations/999/messages", &eve.token)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nothing leaked into eve's list, and the call is untouched.
    assert_eq!(
        s.get("/messaging/conversations", &eve.token).await.json(),
        json!([])
    );
    assert_eq!(
        s.get(
            &format!("/video-calls/conversation/{conv}/ongoing"),
            &nurse.token
        )
        .await
        .json()["status"],
        "ONGOING"
    );
}

#[tokio::test]
async fn third_user_socket_events_are_refused() {
    let s = TestServer::start().await;
    let (nurse, _patient, conv) = s.pair().await;
    let eve = s.user("eve@c.test", Role::Patient).await;
    let nurse_sock = s.registered(&nurse).await;
    nurse_sock
        .emit("joinConversation", json!({"conversationId": conv}))
        .await;
    nurse_sock.expect("joinedConversation").await;
    let eve_sock = s.registered(&eve).await;
    let events = [
        (
            "sendMessage",
            json!({"conversationId": conv, "senderId": eve.id, "content": "hi"}),
        ),
        (
            "joinConversation",
            json!({"conversationId": conv, "userId": eve.id}),
        ),
        (
            "typing",
            json!({"conversationId": conv, "userId": eve.id, "isTyping": true}),
        ),
        (
            "startVideoCall",
            json!({"conversationId": conv, "roomName": "r", "userId": eve.id, "callId": 1}),
        ),
        (
            "hangupVideoCall",
            json!({"conversationId": conv, "callId": 1, "userId": eve.id}),
        ),
    ];
    for (event, payload) in events {
        eve_sock.emit(event, payload).await;
        let e = eve_sock.expect("exception").await;
        assert_eq!(e.data()["status"], "error", "{event}");
        assert!(
            e.data()["message"]
                .as_str()
                .unwrap()
                .contains("participant"),
            "{event}: {e:?}"
        );
    }
    let heard = nurse_sock.drain().await;
    assert!(heard.is_empty(), "the pair heard nothing: {heard:?}");
    assert_eq!(
        s.get(
            &format!("/messaging/conversations/{conv}/messages"),
            &nurse.token
        )
        .await
        .json(),
        json!([])
    );
}

#[tokio::test]
async fn socket_without_valid_token_is_refused() {
    let s = TestServer::start().await;
    for token in [None, Some("not-a-token")] {
        let refused = Sock::connect(&s, token).await.err().expect("refused");
        assert!(refused.contains("unauthorized"), "{refused}");
    }
}

#[tokio::test]
async fn register_as_someone_else_is_refused_and_sender_id_is_ignored() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let sock = Sock::connect(&s, Some(&patient.token)).await.unwrap();
    sock.emit("register", json!({"userId": nurse.id})).await;
    assert_eq!(sock.expect("exception").await.data()["status"], "error");
    sock.emit("register", json!({"userId": patient.id})).await;
    sock.expect("registered").await;
    sock.emit(
        "sendMessage",
        json!({"conversationId": conv, "senderId": nurse.id, "content": "forged"}),
    )
    .await;
    let m = sock.expect("messageSent").await;
    assert_eq!(
        m.data()["senderId"],
        patient.id,
        "the token decides, not the payload"
    );
}

#[tokio::test]
async fn system_messages_from_clients_and_self_made_admins_are_refused() {
    let s = TestServer::start().await;
    let (nurse, _patient, conv) = s.pair().await;
    let sock = s.registered(&nurse).await;
    for kind in ["SYSTEM", "IMAGE", "FILE"] {
        sock.emit(
            "sendMessage",
            json!({"conversationId": conv, "content": "VIDEO_CALL_ENDED:1s", "type": kind}),
        )
        .await;
        assert_eq!(
            sock.expect("exception").await.data()["status"],
            "error",
            "{kind}"
        );
    }
    assert_eq!(
        s.get(
            &format!("/messaging/conversations/{conv}/messages"),
            &nurse.token
        )
        .await
        .json(),
        json!([])
    );

    let r = s
        .post_anon(
            "/auth/register",
            json!({"email": "boss@c.test", "password": "secret-pw", "role": "ADMIN"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.json()["message"].as_str().unwrap().contains("ADMIN"));
}

#[tokio::test]
async fn failed_logins_hit_429_with_retry_after() {
    let s = TestServer::start().await;
    s.user("nurse@c.test", Role::Nurse).await;
    let login = |pw: &str| {
        s.post_anon(
            "/auth/login",
            json!({"email": "nurse@c.test", "password": pw}),
        )
    };
    for _ in 0..5 {
        assert_eq!(login("wrong-pw").await.status, StatusCode::UNAUTHORIZED);
    }
    let locked = login("secret-pw").await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let wait: u64 = locked.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    assert_eq!(locked.json()["statusCode"], 429);
    // Another account from the same address is not locked.
    s.user("other@c.test", Role::Nurse).await;
}

/// Password hashing is bounded (an anonymous burst once took the server to gigabytes): with
/// one turn and a short wait, a burst of logins with unknown emails is answered 503 with
/// `Retry-After` for those that found no turn, never queued without end nor a 500, and a real
/// login goes through right after.
#[tokio::test]
async fn a_burst_of_logins_gets_busy_answers_instead_of_an_endless_queue() {
    let s = TestServer::start_with(nursecare_server::Settings {
        hash_turns: 1,
        hash_wait: std::time::Duration::from_millis(1),
        ..Default::default()
    })
    .await;
    assert_eq!(s.state.hashing.size(), 1);
    s.user("nurse@c.test", Role::Nurse).await;
    let burst = (0..40).map(|i| {
        s.post_anon(
            "/auth/login",
            json!({"email": format!("nobody-{i}@c.test"), "password": "guess-123"}),
        )
    });
    let answers = futures_util::future::join_all(burst).await;
    let busy: Vec<_> = answers
        .iter()
        .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!busy.is_empty(), "one turn cannot hash 40 at once");
    // 429: the address's budget across accounts (login_limit) meets a burst this size too.
    for r in &answers {
        assert!(
            [
                StatusCode::UNAUTHORIZED,
                StatusCode::SERVICE_UNAVAILABLE,
                StatusCode::TOO_MANY_REQUESTS
            ]
            .contains(&r.status),
            "{} {}",
            r.status,
            r.text
        );
    }
    for r in busy {
        assert_eq!(r.retry_after.as_deref(), Some("1"));
        assert_eq!(r.json()["statusCode"], 503);
    }
    let ok = s
        .post_anon(
            "/auth/login",
            json!({"email": "nurse@c.test", "password": "secret-pw"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
}

#[tokio::test]
async fn expired_socket_token_disconnects() {
    let s = TestServer::start().await;
    let nurse = s.user("nurse@c.test", Role::Nurse).await;
    // A token that expires in three seconds, signed with the server's secret.
    let iat = chrono::Utc::now().timestamp() - nursecare_server::auth::TOKEN_TTL_SECS + 3;
    let token = s
        .state
        .keys
        .issue(nurse.id, "nurse@c.test", Role::Nurse, iat)
        .unwrap();
    let sock = Sock::connect(&s, Some(&token)).await.unwrap();
    sock.emit("register", json!({"userId": nurse.id})).await;
    sock.expect("registered").await;
    let mut closed = false;
    for _ in 0..80 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if s.state.io.sockets().is_empty() {
            closed = true;
            break;
        }
    }
    assert!(
        closed,
        "the server dropped the socket when its token expired"
    );
}
