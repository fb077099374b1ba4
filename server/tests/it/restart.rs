//! Restart: the real binary is SIGKILLed during traffic and started again on the same file;
//! every message it acknowledged (`messageSent`) is still there, once.

use crate::util::*;
use serde_json::json;
use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

#[tokio::test]
async fn nothing_acknowledged_is_lost_when_killed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let mut server = ServerProcess::start_with(&db, OPEN_REGISTRATION, &[], Stdio::null()).await;
    let nurse = server.user("n@c.test", "secret-pw", "NURSE").await;
    let patient = server.user("p@c.test", "secret-pw", "PATIENT").await;
    let conv = server
        .post(
            "/messaging/conversations",
            Some(&nurse.token),
            json!({"otherUserId": patient.id}),
        )
        .await["id"]
        .as_i64()
        .unwrap();

    let mut acknowledged = HashSet::new();
    for round in 0..3 {
        let sock = server.socket(&nurse).await;
        // Fire messages without waiting, then kill the process mid-stream.
        for i in 0..300 {
            let key = format!("r{round}-{i}");
            sock.emit(
                "sendMessage",
                json!({"conversationId": conv, "content": key, "clientId": key}),
            )
            .await;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        server.kill();
        for got in sock.drain().await {
            if got.event == "messageSent" {
                acknowledged.insert(got.data()["clientId"].as_str().unwrap().to_owned());
            }
        }
        server.restart(&db).await;
    }
    assert!(
        !acknowledged.is_empty(),
        "some messages were acknowledged before the kills"
    );

    let page = server
        .get(
            &format!("/messaging/conversations/{conv}/messages?limit=1000"),
            &nurse.token,
        )
        .await;
    let page = page.as_array().unwrap();
    let stored: HashSet<String> = page
        .iter()
        .map(|m| m["clientId"].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert_eq!(stored.len(), page.len(), "no duplicates");
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let mut server = ServerProcess::start_with(&db, OPEN_REGISTRATION, &[], Stdio::null()).await;
    let nurse = server.user("n@c.test", "secret-pw", "NURSE").await;
    let _sock = server.socket(&nurse).await;
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(server.child.id() as i32, libc::SIGTERM);
    }
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = server.child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = status.expect("exited within 5 s despite an open socket");
    assert!(status.success(), "{status:?}");
    // The database is intact and usable by the next start.
    let server = ServerProcess::start_with(&db, OPEN_REGISTRATION, &[], Stdio::null()).await;
    let login = server
        .post(
            "/auth/login",
            None,
            json!({"email": "n@c.test", "password": "secret-pw"}),
        )
        .await;
    assert!(login["accessToken"].is_string());
}
