//! Logs never hold message text, passwords or tokens, even with every crate at `trace`.

use crate::util::*;
use serde_json::json;

#[tokio::test]
async fn trace_logs_hold_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, log_path) = ServerProcess::start_logging(
        dir.path(),
        OPEN_REGISTRATION,
        &[("RUST_LOG", "trace"), ("NO_COLOR", "1")],
    )
    .await;

    let password = "Pw-never-logged-4242";
    let nurse = server.user("n@c.test", password, "NURSE").await;
    let patient = server.user("p@c.test", password, "PATIENT").await;
    let conv = server
        .post(
            "/messaging/conversations",
            Some(&nurse.token),
            json!({"otherUserId": patient.id}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let wrong = "Wrong-pw-never-logged-999";
    server
        .post(
            "/auth/login",
            None,
            json!({"email": "n@c.test", "password": wrong}),
        )
        .await;
    let text = "very private symptom text 7731";
    let sock = server.socket(&nurse).await;
    sock.emit(
        "sendMessage",
        json!({"conversationId": conv, "content": text}),
    )
    .await;
    sock.expect("messageSent").await;
    // A refused payload too: the refusal is logged, its content must not be.
    sock.emit(
        "sendMessage",
        json!({"conversationId": conv, "content": text, "type": "SYSTEM"}),
    )
    .await;
    sock.expect("exception").await;
    server
        .get(
            &format!("/messaging/conversations/{conv}/messages"),
            &patient.token,
        )
        .await;
    sock.close().await;
    server.kill();

    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logs.contains("login"),
        "the test read the real log:\n{logs}"
    );
    for (what, secret) in [
        ("password", password),
        ("wrong password", wrong),
        ("message text", text),
        ("access token", nurse.token.as_str()),
        ("token signature", nurse.token.rsplit('.').next().unwrap()),
        ("jwt secret", PROCESS_JWT),
    ] {
        assert!(
            !logs.contains(secret),
            "{what} found in the logs: {}",
            logs.lines()
                .filter(|l| l.contains(secret))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// The access log at the default level: method, route pattern and status of every REST call
/// (the 4xx an operator must see among them), never a query string or a token, Socket.io's
/// included.
#[tokio::test]
async fn access_log_names_routes_and_statuses_without_query_strings() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, log_path) = ServerProcess::start_logging(
        dir.path(),
        &["--allow-origin", "https://app.clinic.example"],
        &[("NO_COLOR", "1")],
    )
    .await;
    let patient = server.user("p@c.test", "secret-pw", "PATIENT").await;
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", server.base);
    let query_secret = "QuerySecret8812";
    let r = http
        .get(url(&format!(
            "/messaging/conversations/4242/messages?limit=5&token={query_secret}"
        )))
        .bearer_auth(&patient.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .request(reqwest::Method::OPTIONS, url("/auth/login"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Socket.io: a handshake with a token in its query (some clients put it there), and a
    // poll for a session that does not exist.
    let r = http
        .get(url(&format!(
            "/socket.io/?EIO=4&transport=polling&token={}",
            patient.token
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .get(url(&format!(
            "/socket.io/?EIO=4&transport=polling&sid=nope&token={query_secret}"
        )))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let sock = server.socket(&patient).await;
    sock.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    server.kill();

    let logs = std::fs::read_to_string(&log_path).unwrap();
    let access: Vec<&str> = logs.lines().filter(|l| l.contains("request")).collect();
    let has = |needle: &str| access.iter().any(|l| l.contains(needle));
    for expected in [
        "method=POST route=/auth/register status=201",
        "method=POST route=/auth/login status=201",
        "method=GET route=/messaging/conversations/{id}/messages status=404",
        "method=OPTIONS route=/auth/login status=403",
        "method=GET route=/socket.io/ status=400",
    ] {
        assert!(
            has(expected),
            "{expected} missing from:\n{}",
            access.join("\n")
        );
    }
    assert!(
        access.iter().all(|l| l.contains("latency_ms=")),
        "{access:?}"
    );
    for (what, secret) in [
        ("query string", query_secret),
        ("query string", "EIO="),
        ("query string", "limit=5"),
        ("access token", patient.token.as_str()),
        ("token signature", patient.token.rsplit('.').next().unwrap()),
    ] {
        assert!(
            !logs.contains(secret),
            "{what} found in the logs: {}",
            logs.lines()
                .filter(|l| l.contains(secret))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
