//! Logs never hold message text, passwords or tokens, even with every crate at `trace`.

use crate::util::*;
use serde_json::json;
use std::process::Stdio;

#[tokio::test]
async fn trace_logs_hold_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut server = ServerProcess::start_with(
        &db,
        OPEN_REGISTRATION,
        &[("RUST_LOG", "trace"), ("NO_COLOR", "1")],
        Stdio::from(log),
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
