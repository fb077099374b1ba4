//! An administrator's remote sign-out (Part B): every token the account held is refused on
//! REST and at the socket's handshake, its open sockets are told (`signedOut`) and closed
//! within seconds, whether it was done over REST or by `--sign-out` beside a running server;
//! no one else is touched, and signing in again works.

use crate::util::{OPEN_REGISTRATION, ServerProcess, Sock, TestServer};
use nursecare_wire::Role;
use reqwest::StatusCode;
use serde_json::json;
use std::process::Stdio;

/// Waits until the clock's second is past `at` (tokens count in seconds).
async fn past_second(at: i64) {
    while chrono::Utc::now().timestamp() <= at {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_administrator_signs_a_user_out_everywhere_at_once() {
    let server = TestServer::start().await;
    let (nurse, patient, _conv) = server.pair().await;
    let admin = server.staff("admin@c.test", Role::Admin).await;
    let phone = server.registered(&nurse).await;
    let desk = server.registered(&nurse).await;
    let other = server.registered(&patient).await;

    let by_patient = server
        .post(
            "/admin/sign-out",
            &patient.token,
            json!({"email": "nurse@c.test"}),
        )
        .await;
    assert_eq!(
        by_patient.status,
        StatusCode::FORBIDDEN,
        "{}",
        by_patient.text
    );
    let unknown = server
        .post(
            "/admin/sign-out",
            &admin.token,
            json!({"email": "who@c.test"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
    assert_eq!(
        server
            .get("/messaging/conversations", &nurse.token)
            .await
            .status,
        StatusCode::OK,
        "nothing changed yet"
    );

    let done = server
        .post(
            "/admin/sign-out",
            &admin.token,
            json!({"email": "NURSE@c.test"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.json()["userId"], nurse.id);
    let at = chrono::Utc::now().timestamp();
    for sock in [&phone, &desk] {
        let told = sock.expect("signedOut").await;
        assert_eq!(told.data()["reason"], "administrator");
    }
    other.quiet("signedOut").await;

    // Every token the nurse held is refused, saying why; the patient goes on.
    let refused = server.get("/messaging/conversations", &nurse.token).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["message"], "Signed out by an administrator");
    assert!(Sock::connect(&server, Some(&nurse.token)).await.is_err());
    assert_eq!(
        server
            .get("/messaging/conversations", &patient.token)
            .await
            .status,
        StatusCode::OK
    );

    // A new sign-in works.
    past_second(at).await;
    let again = server
        .post_anon(
            "/auth/login",
            json!({"email": "nurse@c.test", "password": "secret-pw"}),
        )
        .await;
    let token = again.json()["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(
        server.get("/messaging/conversations", &token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_command_beside_a_running_server_closes_the_users_sockets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let server = ServerProcess::start_with(&db, OPEN_REGISTRATION, &[], Stdio::null()).await;
    let nurse = server.user("nurse@c.test", "secret-pw-1", "NURSE").await;
    let sock = Sock::connect_to(&server.base, Some(&nurse.token))
        .await
        .unwrap();
    sock.emit("register", json!({"userId": nurse.id})).await;
    sock.expect("registered").await;

    let unknown = ServerProcess::command(&db, &["--sign-out", "who@c.test"], &[]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account"));

    let out = ServerProcess::command(&db, &["--sign-out", "nurse@c.test"], &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Signed out nurse@c.test"));
    let told = sock.expect("signedOut").await;
    assert_eq!(told.data()["reason"], "administrator");
    let (status, _) = server
        .post_status(
            "/messaging/conversations",
            Some(&nurse.token),
            json!({"otherUserId": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
