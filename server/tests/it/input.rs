//! Bad input (Part B.7): each case answers 4xx with a message, and the server keeps serving.

use crate::util::*;
use nursecare_wire::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn bad_rest_bodies_answer_4xx_with_a_message() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let url = |p: &str| format!("{}{p}", s.base);
    let send = |path: &'static str, body: String| {
        s.raw()
            .post(url(path))
            .bearer_auth(&nurse.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let cases: Vec<(&str, String, StatusCode)> = vec![
        (
            "/messaging/conversations",
            "{not json".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/messaging/conversations",
            r#"{"otherUserId":"2"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/messaging/conversations",
            "{}".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/messaging/conversations",
            format!(r#"{{"otherUserId":{}}}"#, nurse.id),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/messaging/conversations",
            r#"{"otherUserId":424242}"#.into(),
            StatusCode::NOT_FOUND,
        ),
        (
            "/video-calls/start",
            r#"{"conversationId":"x"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/video-calls/accept",
            r#"{"roomName":5}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/auth/register",
            r#"{"email":"x@y.test","password":"123","role":"NURSE"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/auth/register",
            r#"{"email":"nope","password":"123456","role":"NURSE"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/auth/register",
            r#"{"email":"x@y.test","password":"123456","role":"KING"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/messaging/conversations",
            format!(
                r#"{{"otherUserId":{},"pad":"{}"}}"#,
                patient.id,
                "x".repeat(1_100_000)
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (path, body, want) in cases {
        let shown = body.chars().take(60).collect::<String>();
        let r = send(path, body).await.unwrap();
        let status = r.status();
        let v: serde_json::Value = r
            .json()
            .await
            .unwrap_or_else(|e| panic!("{path} {shown}: body not JSON: {e}"));
        assert_eq!(status, want, "{path} {shown}: {v}");
        assert_eq!(v["statusCode"], want.as_u16(), "{path}");
        assert!(
            v["message"].is_string() || v["message"].is_array(),
            "{path}: {v}"
        );
    }
    // Query and path mistakes.
    for path in [
        format!("/messaging/conversations/{conv}/messages?limit=abc"),
        format!("/messaging/conversations/{conv}/messages?limit=-1"),
        format!("/messaging/conversations/{conv}/messages?offset=x"),
        "/messaging/conversations/abc/messages".to_owned(),
        "/video-calls/conversation/1.5/history".to_owned(),
    ] {
        let r = s.get(&path, &nurse.token).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text);
        assert!(r.json()["message"].is_string());
    }
    let r = s
        .raw()
        .post(url("/messaging/conversations"))
        .bearer_auth(&nurse.token)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "no content type");
    // Still serving.
    assert_eq!(
        s.get("/messaging/conversations", &nurse.token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_socket_payloads_answer_exception_and_the_socket_lives() {
    let s = TestServer::start().await;
    let (nurse, _patient, conv) = s.pair().await;
    let sock = s.registered(&nurse).await;
    let cases = [
        (
            "sendMessage",
            json!({"conversationId": "1", "content": "x"}),
        ),
        ("sendMessage", json!({"conversationId": conv})),
        (
            "sendMessage",
            json!({"conversationId": conv, "content": "   "}),
        ),
        (
            "sendMessage",
            json!({"conversationId": conv, "content": "é".repeat(10_001)}),
        ),
        (
            "sendMessage",
            json!({"conversationId": conv, "content": "x", "clientId": "k".repeat(101)}),
        ),
        ("sendMessage", json!("just a string")),
        ("sendMessage", json!(null)),
        ("joinConversation", json!({"conversationId": null})),
        ("typing", json!({"conversationId": conv})),
        ("getOnlineStatus", json!({"userIds": "all"})),
        ("joinConversation", json!({"conversationId": 999})),
    ];
    for (event, payload) in cases {
        sock.emit(event, payload.clone()).await;
        let e = sock.expect("exception").await;
        assert_eq!(e.data()["status"], "error", "{event} {payload}");
        assert!(!e.data()["message"].as_str().unwrap().is_empty());
    }
    // Exactly 10,000 characters is fine.
    sock.emit(
        "sendMessage",
        json!({"conversationId": conv, "content": "é".repeat(10_000)}),
    )
    .await;
    assert_eq!(
        sock.expect("messageSent").await.data()["content"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        10_000
    );
    sock.emit("heartbeat", json!({"userId": nurse.id})).await;
    sock.expect("heartbeatAck").await;
}

/// Part B: a refused `sendMessage` names the payload's clientId (whenever it is a string), so
/// the client fails that message at once; compat mode ignores clientId entirely.
#[tokio::test]
async fn refused_messages_carry_their_client_id() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let other = s.user("other-nurse@c.test", Role::Nurse).await;
    let theirs = s.conversation(&other, &patient).await;
    let sock = s.registered(&nurse).await;
    let key = "5b1c2d3e-4f50-4617-8899-aabbccddeeff";
    let long_key = "k".repeat(101);
    let cases = [
        (
            "unknown conversation",
            json!({"conversationId": 999, "content": "x", "clientId": key}),
            key,
        ),
        (
            "not a participant",
            json!({"conversationId": theirs, "content": "x", "clientId": key}),
            key,
        ),
        (
            "empty",
            json!({"conversationId": conv, "content": "  ", "clientId": key}),
            key,
        ),
        (
            "too long",
            json!({"conversationId": conv, "content": "é".repeat(10_001), "clientId": key}),
            key,
        ),
        (
            "SYSTEM type",
            json!({"conversationId": conv, "content": "x", "type": "SYSTEM", "clientId": key}),
            key,
        ),
        (
            "string id",
            json!({"conversationId": "1", "content": "x", "clientId": key}),
            key,
        ),
        (
            "numeric content",
            json!({"conversationId": conv, "content": 5, "clientId": key}),
            key,
        ),
        (
            "missing content",
            json!({"conversationId": conv, "clientId": key}),
            key,
        ),
        (
            "empty clientId",
            json!({"conversationId": conv, "content": "x", "clientId": ""}),
            "",
        ),
        (
            "long clientId",
            json!({"conversationId": conv, "content": "x", "clientId": long_key}),
            long_key.as_str(),
        ),
    ];
    for (what, payload, expected) in cases {
        sock.emit("sendMessage", payload).await;
        let e = sock.expect("exception").await;
        assert_eq!(e.data()["status"], "error", "{what}");
        assert_eq!(e.data()["clientId"], expected, "{what}: {e:?}");
    }
    // A clientId that is not a string cannot be named back.
    sock.emit(
        "sendMessage",
        json!({"conversationId": conv, "content": "x", "clientId": 7}),
    )
    .await;
    let e = sock.expect("exception").await;
    assert!(e.data().get("clientId").is_none(), "{e:?}");
    // Other events' refusals carry none.
    sock.emit(
        "joinConversation",
        json!({"conversationId": 999, "clientId": key}),
    )
    .await;
    let e = sock.expect("exception").await;
    assert!(e.data().get("clientId").is_none(), "{e:?}");
    assert_eq!(
        s.get(
            &format!("/messaging/conversations/{conv}/messages"),
            &nurse.token
        )
        .await
        .json(),
        json!([]),
        "nothing stored"
    );

    // Compat mode: production's exception, no clientId.
    let c = TestServer::start_with(compat()).await;
    let (nurse, _, conv) = c.pair().await;
    let sock = Sock::connect(&c, None).await.unwrap();
    sock.emit("register", json!({"userId": nurse.id})).await;
    sock.expect("registered").await;
    sock.emit(
        "sendMessage",
        json!({"conversationId": conv, "senderId": nurse.id, "content": " ", "clientId": key}),
    )
    .await;
    let e = sock.expect("exception").await;
    assert_eq!(e.data()["status"], "error");
    assert!(e.data().get("clientId").is_none(), "{e:?}");
}
