//! Every REST endpoint: status code and exact shape.

use crate::util::*;
use nursecare_wire::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn assert_iso_ms(v: &Value) {
    let s = v.as_str().unwrap_or_else(|| panic!("not a date: {v}"));
    assert_eq!(s.len(), 24, "{s}");
    assert!(s.ends_with('Z') && s.as_bytes()[19] == b'.', "{s}");
    assert!(s.parse::<nursecare_wire::Timestamp>().is_ok(), "{s}");
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

#[tokio::test]
async fn register_and_login_shapes() {
    let s = TestServer::start().await;
    let r = s
        .post_anon(
            "/auth/register",
            json!({"email": "n@c.test", "password": "secret-pw", "role": "NURSE"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(keys(&r.json()), ["email", "id"]);
    assert!(r.json()["id"].is_i64());
    let again = s
        .post_anon(
            "/auth/register",
            json!({"email": "n@c.test", "password": "secret-pw", "role": "NURSE"}),
        )
        .await;
    assert!(
        again.status.is_client_error(),
        "taken email: {}",
        again.status
    );
    assert!(again.json()["message"].is_string());

    let r = s
        .post_anon(
            "/auth/login",
            json!({"email": "n@c.test", "password": "secret-pw"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(keys(&r.json()), ["accessToken", "refreshToken"]);
    // The token's payload is {sub, email, role, iat, exp}, 24 h.
    let token = r.json()["accessToken"].as_str().unwrap().to_owned();
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64_url(payload);
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(keys(&claims), ["email", "exp", "iat", "role", "sub"]);
    assert_eq!(claims["sub"], r_id(&s, "n@c.test").await);
    assert_eq!(claims["role"], "NURSE");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        86_400
    );

    let bad = s
        .post_anon(
            "/auth/login",
            json!({"email": "n@c.test", "password": "wrong-pw"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.json()["message"].is_string());
}

async fn r_id(s: &TestServer, email: &str) -> Value {
    let id = s
        .state
        .store
        .user_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .id;
    json!(id)
}

fn base64_url(s: &str) -> Vec<u8> {
    // Small decoder so the test does not trust the server's own JWT library.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = alphabet.iter().position(|&a| a == c).unwrap() as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

#[tokio::test]
async fn missing_or_bad_token_is_production_401() {
    let s = TestServer::start().await;
    for token in [None, Some("garbage"), Some("a.b.c")] {
        let r = s
            .request(
                reqwest::Method::GET,
                "/messaging/conversations",
                token,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.json(),
            json!({"message": "Unauthorized", "statusCode": 401})
        );
    }
}

#[tokio::test]
async fn conversation_shapes_and_paging() {
    let s = TestServer::start().await;
    let nurse = s.user("nurse@c.test", Role::Nurse).await;
    let patient = s.user("patient@c.test", Role::Patient).await;

    let r = s
        .post(
            "/messaging/conversations",
            &nurse.token,
            json!({"otherUserId": patient.id, "bookingId": 12}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let c = r.json();
    assert_eq!(
        keys(&c),
        [
            "bookingId",
            "createdAt",
            "id",
            "messages",
            "participants",
            "updatedAt"
        ]
    );
    assert_eq!(c["messages"], json!([]));
    assert_eq!(c["bookingId"], 12);
    assert_iso_ms(&c["createdAt"]);
    let p = &c["participants"][0];
    assert_eq!(
        keys(p),
        ["conversationId", "id", "joinedAt", "user", "userId"]
    );
    assert_eq!(keys(&p["user"]), ["email", "id", "name", "role"]);
    let conv = c["id"].as_i64().unwrap();

    // Get-or-create from the other side finds the same one and keeps the first bookingId.
    let again = s
        .post(
            "/messaging/conversations",
            &patient.token,
            json!({"otherUserId": nurse.id, "bookingId": 99}),
        )
        .await
        .json();
    assert_eq!(again["id"], conv);
    assert_eq!(again["bookingId"], 12);

    // 60 messages over the socket.
    let sock = s.registered(&patient).await;
    for i in 0..60 {
        sock.emit(
            "sendMessage",
            json!({"conversationId": conv, "senderId": patient.id, "content": format!("m{i}")}),
        )
        .await;
        sock.expect("messageSent").await;
    }

    let list = s.get("/messaging/conversations", &nurse.token).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let c = &list[0];
    assert_eq!(c["unreadCount"], 50, "counted within the 50 messages sent");
    assert_eq!(c["messages"].as_array().unwrap().len(), 50);
    assert_eq!(
        c["messages"][0]["content"], "m59",
        "newest first: the preview is messages[0]"
    );
    let m = &c["messages"][0];
    assert_eq!(
        keys(m),
        [
            "content",
            "conversationId",
            "createdAt",
            "id",
            "read",
            "sender",
            "senderId",
            "type"
        ]
    );
    assert_eq!(keys(&m["sender"]), ["id", "name", "role"]);
    assert_eq!(m["type"], "TEXT");
    assert_eq!(m["read"], false);
    assert_iso_ms(&m["createdAt"]);

    let page = s
        .get(
            &format!("/messaging/conversations/{conv}/messages?limit=20&offset=50"),
            &nurse.token,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let page = page.json();
    let contents: Vec<&str> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        (0..10).rev().map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    let default = s
        .get(
            &format!("/messaging/conversations/{conv}/messages"),
            &nurse.token,
        )
        .await
        .json();
    assert_eq!(default.as_array().unwrap().len(), 50);

    let unread = s.get("/messaging/unread-count", &nurse.token).await;
    assert_eq!(
        unread.json(),
        json!({"count": 60}),
        "all conversations, not just 50"
    );

    let read = s
        .post(
            &format!("/messaging/conversations/{conv}/read"),
            &nurse.token,
            json!({}),
        )
        .await;
    assert_eq!(read.status, StatusCode::CREATED);
    assert_eq!(read.text, "60", "plain-text count");
    assert_eq!(
        read.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    let read = s
        .post(
            &format!("/messaging/conversations/{conv}/read"),
            &nurse.token,
            json!({}),
        )
        .await;
    assert_eq!(read.text, "0");
    assert_eq!(
        s.get("/messaging/unread-count", &nurse.token).await.json(),
        json!({"count": 0})
    );
    let list = s.get("/messaging/conversations", &nurse.token).await.json();
    assert_eq!(list[0]["unreadCount"], 0);
    assert_eq!(list[0]["messages"][0]["read"], true);
    // The patient's own view: nothing unread (the messages are theirs).
    assert_eq!(
        s.get("/messaging/conversations", &patient.token)
            .await
            .json()[0]["unreadCount"],
        0
    );
}

#[tokio::test]
async fn conversation_list_is_by_updated_at_desc() {
    let s = TestServer::start().await;
    let nurse = s.user("nurse@c.test", Role::Nurse).await;
    let a = s.user("a@c.test", Role::Patient).await;
    let b = s.user("b@c.test", Role::Patient).await;
    let ca = s.conversation(&nurse, &a).await;
    let cb = s.conversation(&nurse, &b).await;
    let ids = |v: Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(s.get("/messaging/conversations", &nurse.token).await.json()),
        [cb, ca]
    );
    let sock = s.registered(&a).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    sock.emit(
        "sendMessage",
        json!({"conversationId": ca, "content": "hello"}),
    )
    .await;
    sock.expect("messageSent").await;
    assert_eq!(
        ids(s.get("/messaging/conversations", &nurse.token).await.json()),
        [ca, cb]
    );
}

#[tokio::test]
async fn unknown_routes_answer_nest_404() {
    let s = TestServer::start().await;
    let r = s.request(reqwest::Method::GET, "/nope", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({"statusCode": 404, "message": "Cannot GET /nope", "error": "Not Found"})
    );
}
