//! Restart: the real binary is SIGKILLed while a burst of messages is in flight and started
//! again on the same file. The client then does what an outbox does: it re-sends every message
//! it holds no `messageSent` for, with the same clientId. Every acknowledged message is still
//! there, and every message is stored exactly once, however far it got before the kill.

use crate::util::*;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::time::Duration;

/// Messages per round: far more than the server stores in the time the client takes to emit
/// them and read the first acknowledgement, so the kill always finds some in flight (and
/// fewer than the per-socket queue holds).
const BURST: usize = 600;
const ROUNDS: usize = 3;
/// Acknowledgements the client waits for before the kill.
const ACKED_BEFORE_KILL: usize = 100;

/// Emits `keys` as `sendMessage`s with their clientIds.
async fn emit_all(sock: &Sock, conv: i64, keys: &[String]) {
    for key in keys {
        sock.emit(
            "sendMessage",
            json!({"conversationId": conv, "content": key, "clientId": key}),
        )
        .await;
    }
}

/// Waits for a `messageSent` for each of `keys`; answers clientId → message id.
async fn acks_for(sock: &Sock, keys: &[String]) -> HashMap<String, i64> {
    let mut acks = HashMap::new();
    while keys.iter().any(|k| !acks.contains_key(k)) {
        let got = sock.expect("messageSent").await;
        acks.insert(
            got.data()["clientId"].as_str().unwrap().to_owned(),
            got.data()["id"].as_i64().unwrap(),
        );
    }
    acks
}

/// Every message of the conversation, by pages.
async fn all_messages(server: &ServerProcess, conv: i64, token: &str) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    loop {
        let page = server
            .get(
                &format!(
                    "/messaging/conversations/{conv}/messages?limit=1000&offset={}",
                    all.len()
                ),
                token,
            )
            .await;
        let page = page.as_array().unwrap().clone();
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

#[tokio::test]
async fn nothing_acknowledged_is_lost_and_resends_store_once_across_kills() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    // Bursts far past a socket's event rate: this measures durability across kills, not pacing.
    let flags = [OPEN_REGISTRATION, &["--socket-events-per-second", "10000"]].concat();
    let mut server = ServerProcess::start_with(&db, &flags, &[], Stdio::null()).await;
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

    let mut every_key = Vec::new();
    // clientId → the id its messageSent named, before or after a kill.
    let mut acknowledged: HashMap<String, i64> = HashMap::new();
    let mut stored_but_unacknowledged = 0;
    for round in 0..ROUNDS {
        let keys: Vec<String> = (0..BURST).map(|i| format!("r{round}-{i}")).collect();
        every_key.extend(keys.iter().cloned());
        let sock = server.socket(&nurse).await;
        emit_all(&sock, conv, &keys).await;
        // Kill once the server has acknowledged a few: the rest of the burst is in flight.
        let mut before_kill = Vec::new();
        for _ in 0..ACKED_BEFORE_KILL {
            before_kill.push(sock.expect("messageSent").await);
        }
        server.kill();
        let mut acked: HashMap<String, i64> = HashMap::new();
        for got in before_kill.into_iter().chain(sock.drain().await) {
            if got.event == "messageSent" {
                acked.insert(
                    got.data()["clientId"].as_str().unwrap().to_owned(),
                    got.data()["id"].as_i64().unwrap(),
                );
            }
        }
        sock.close().await;
        let unacknowledged: Vec<String> = keys
            .iter()
            .filter(|k| !acked.contains_key(*k))
            .cloned()
            .collect();
        assert!(
            !unacknowledged.is_empty(),
            "round {round}: the kill left no message unacknowledged ({} acked)",
            acked.len()
        );

        server.restart(&db).await;
        let before = all_messages(&server, conv, &nurse.token).await;
        let max_id_before = before.iter().map(|m| m["id"].as_i64().unwrap()).max();
        // What an outbox does: re-send what was not acknowledged, with the same clientId.
        let sock = server.socket(&nurse).await;
        emit_all(&sock, conv, &unacknowledged).await;
        let resent = acks_for(&sock, &unacknowledged).await;
        // Those stored before the kill answer with their stored message, not a new one.
        stored_but_unacknowledged += resent
            .values()
            .filter(|id| max_id_before.is_some_and(|max| **id <= max))
            .count();
        // A client whose acknowledgements were lost re-sends those too: same message.
        let sample: Vec<String> = acked.keys().take(20).cloned().collect();
        emit_all(&sock, conv, &sample).await;
        let again = acks_for(&sock, &sample).await;
        for key in &sample {
            assert_eq!(again[key], acked[key], "{key}: re-sent, answered as stored");
        }
        sock.close().await;
        eprintln!(
            "round {round}: {} acknowledged before the kill, {} re-sent",
            acked.len(),
            unacknowledged.len()
        );
        acknowledged.extend(acked);
        acknowledged.extend(resent);
    }
    eprintln!("{stored_but_unacknowledged} re-sent messages had been stored before a kill");

    let stored = all_messages(&server, conv, &nurse.token).await;
    let mut times: HashMap<String, usize> = HashMap::new();
    for m in &stored {
        *times
            .entry(m["clientId"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let doubled: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "stored more than once: {doubled:?}");
    let missing: Vec<_> = every_key
        .iter()
        .filter(|k| !times.contains_key(*k))
        .collect();
    assert!(missing.is_empty(), "never stored: {missing:?}");
    assert_eq!(stored.len(), ROUNDS * BURST);
    let stored_ids: HashSet<i64> = stored.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|(_, id)| !stored_ids.contains(id))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
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
