//! Restart: the real binary is SIGKILLed during traffic and started again on the same file;
//! every message it acknowledged (`messageSent`) is still there.

use crate::util::*;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const JWT: &str = "restart-test-secret-0123456789";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(db: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_nursecare-server"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--jwt-secret",
            JWT,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_up(http: &reqwest::Client, base: &str) {
    for _ in 0..100 {
        if http
            .get(format!("{base}/messaging/unread-count"))
            .send()
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not come up at {base}");
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut r = http.post(url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn nothing_acknowledged_is_lost_when_killed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut child = spawn(&db, port);
    wait_up(&http, &base).await;

    let mut users = Vec::new();
    for (email, role) in [("n@c.test", "NURSE"), ("p@c.test", "PATIENT")] {
        let reg = post(
            &http,
            format!("{base}/auth/register"),
            None,
            json!({"email": email, "password": "secret-pw", "role": role}),
        )
        .await;
        let login = post(
            &http,
            format!("{base}/auth/login"),
            None,
            json!({"email": email, "password": "secret-pw"}),
        )
        .await;
        users.push(User {
            id: reg["id"].as_i64().unwrap(),
            token: login["accessToken"].as_str().unwrap().to_owned(),
        });
    }
    let conv = post(
        &http,
        format!("{base}/messaging/conversations"),
        Some(&users[0].token),
        json!({"otherUserId": users[1].id}),
    )
    .await["id"]
        .as_i64()
        .unwrap();

    let mut acknowledged = HashSet::new();
    for round in 0..3 {
        // Connect a raw rust_socketio client to this incarnation.
        let server = TestServerRef { base: base.clone() };
        let sock = server.socket(&users[0]).await;
        // Fire messages without waiting, collect acks, and kill the process mid-stream.
        for i in 0..300 {
            sock.emit("sendMessage", json!({"conversationId": conv, "content": format!("r{round}-{i}"), "clientId": format!("r{round}-{i}")}))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        for got in sock.drain().await {
            if got.event == "messageSent" {
                acknowledged.insert(got.data()["clientId"].as_str().unwrap().to_owned());
            }
        }
        child = spawn(&db, port);
        wait_up(&http, &base).await;
    }
    assert!(
        !acknowledged.is_empty(),
        "some messages were acknowledged before the kills"
    );

    let page: Value = http
        .get(format!(
            "{base}/messaging/conversations/{conv}/messages?limit=1000"
        ))
        .bearer_auth(&users[0].token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored: HashSet<String> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["clientId"].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert_eq!(
        stored.len(),
        page.as_array().unwrap().len(),
        "no duplicates"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Enough of `TestServer` to open sockets against a server in another process.
struct TestServerRef {
    base: String,
}

impl TestServerRef {
    async fn socket(&self, user: &User) -> Sock {
        let sock = Sock::connect_to(&self.base, Some(&user.token))
            .await
            .expect("connect");
        sock.emit("register", json!({"userId": user.id})).await;
        sock.expect("registered").await;
        sock
    }
}
