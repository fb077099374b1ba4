//! The client end to end against the real server on loopback, in both modes (Part B and
//! `--production-compat`): two cores exchanging messages with typing and read receipts,
//! offline use and the outbox across a client restart, ringing, and a corrupt cache.

mod common;

use common::two::{Two, online, settings, two};
use common::{Running, Side, pair, side};
use nursecare_core::Event;
use nursecare_core::cache::OutboxState;
use nursecare_core::events::{CallChange, Connection};
use nursecare_core::socket::LinkState;
use nursecare_server::Settings;
use std::collections::HashSet;
use std::time::Duration;

/// Every message of a conversation in the cache, oldest first.
async fn cached(s: &Side, conv: i64) -> Vec<nursecare_wire::Message> {
    let mut all = s.client.history(conv, None, 100_000).await.unwrap();
    all.reverse();
    all
}

async fn two_online(compat: bool) -> Two {
    two(settings(compat)).await
}

async fn exchange(compat: bool, per_side: usize) {
    let Two {
        n,
        p,
        conv,
        mut nurse,
        mut patient,
        // Bound (not `..`) so they live to the end of the test.
        dir: _dir_alive,
        server: _server_alive,
    } = two_online(compat).await;

    // Typing: on with the first keystroke, off by itself after 2 s idle.
    patient.client.keystroke(conv).await;
    let on = nurse.until(5, |e| matches!(e, Event::Typing { .. })).await;
    assert_eq!(
        on,
        Event::Typing {
            conversation_id: conv,
            user_id: p.id,
            typing: true
        }
    );
    let off = nurse.until(5, |e| matches!(e, Event::Typing { .. })).await;
    assert_eq!(
        off,
        Event::Typing {
            conversation_id: conv,
            user_id: p.id,
            typing: false
        }
    );

    // Both type at once.
    for i in 0..per_side {
        nurse.client.send(conv, &format!("n-{i:05}")).await.unwrap();
        patient
            .client
            .send(conv, &format!("p-{i:05}"))
            .await
            .unwrap();
    }
    let total = 2 * per_side;
    let mut seen = [HashSet::new(), HashSet::new()];
    let mut added = [0usize, 0usize];
    for (k, s) in [&mut nurse, &mut patient].into_iter().enumerate() {
        while seen[k].len() < total {
            for message in s.until_messages(60).await {
                added[k] += 1;
                seen[k].insert(message.id);
            }
        }
    }
    // Keep counting past the last id: a late second announcement (a sync, an echo) of any
    // of them would come before these markers, which each side sends once all is settled.
    for s in [&nurse, &patient] {
        s.client.send(conv, "end-marker").await.unwrap();
    }
    for (k, s) in [&mut nurse, &mut patient].into_iter().enumerate() {
        let mut markers = 0;
        while markers < 2 {
            for message in s.until_messages(10).await {
                if message.content == "end-marker" {
                    markers += 1;
                } else {
                    added[k] += 1;
                }
            }
        }
    }
    assert_eq!(added, [total, total], "each message announced exactly once");
    let total = total + 2;
    let a = cached(&nurse, conv).await;
    let b = cached(&patient, conv).await;
    assert_eq!(a.len(), total);
    assert_eq!(
        a.iter().map(|m| m.id).collect::<Vec<_>>(),
        b.iter().map(|m| m.id).collect::<Vec<_>>(),
        "same order on both"
    );
    for prefix in ["n-", "p-"] {
        let order: Vec<_> = a
            .iter()
            .filter(|m| m.content.starts_with(prefix) && m.content != "end-marker")
            .map(|m| m.content.clone())
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "{prefix} messages stored in the order typed");
    }
    let on_server = n.api.messages(conv, 50, 0).await.unwrap();
    assert_eq!(on_server[0].id, a.last().unwrap().id);
    assert!(nurse.client.outbox(None).await.unwrap().is_empty());

    // Read receipts: the patient opens the chat; the nurse hears it and her copies turn read.
    patient.drain();
    patient.client.open(Some(conv));
    let read = nurse.until(10, |e| matches!(e, Event::Read { .. })).await;
    assert!(
        matches!(read, Event::Read { conversation_id, read_by, .. } if conversation_id == conv && read_by == p.id)
    );
    assert!(
        cached(&nurse, conv)
            .await
            .iter()
            .filter(|m| m.sender_id == n.id)
            .all(|m| m.read)
    );
    let unread = patient
        .until(10, |e| matches!(e, Event::Unread { total: 0, .. }))
        .await;
    assert!(matches!(unread, Event::Unread { total: 0, .. }));
    assert_eq!(patient.client.conversations().await.unwrap()[0].unread, 0);
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_cores_exchange_a_thousand_messages() {
    exchange(false, 500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_cores_exchange_against_production_compat() {
    exchange(true, 500).await;
}

async fn offline_then_back(compat: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::start(dir.path(), settings(compat)).await;
    let (port, db) = (server.port, server.db.clone());
    let (_n, p, conv) = pair(&server.base).await;
    let nurse_dir = dir.path().join("nurse");
    let mut nurse = side(&server.base, &nurse_dir, "n@c.test").await;
    online(&mut nurse).await;
    for i in 0..5 {
        nurse
            .client
            .send(conv, &format!("bandage change {i}"))
            .await
            .unwrap();
    }
    for _ in 0..5 {
        nurse
            .until(
                10,
                |e| matches!(e, Event::Outbox { item } if item.state == OutboxState::Sent),
            )
            .await;
    }

    server.stop().await;
    nurse.until_connection(10, Connection::Offline).await;
    // Offline: everything reads from the cache.
    let list = nurse.client.conversations().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].last_message.as_ref().unwrap().content,
        "bandage change 4"
    );
    assert_eq!(nurse.client.history(conv, None, 50).await.unwrap().len(), 5);
    let hits = nurse.client.search("bandage", 50).await.unwrap();
    assert_eq!(hits.len(), 5);
    // Each hit: its message (and so its conversation), and the match marked in plain parts.
    let hit = &hits[2];
    assert_eq!(hit.message.conversation_id, conv);
    assert!(
        hit.snippet
            .iter()
            .any(|part| part.hit && part.text == "bandage")
    );
    assert_eq!(
        hit.snippet
            .iter()
            .map(|p| p.text.as_str())
            .collect::<String>(),
        hit.message.content
    );
    // Opening the thread at it: its neighbours on each side, newest first.
    let around = nurse.client.around(conv, hit.message.id, 1).await.unwrap();
    let texts: Vec<_> = around.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(
        texts,
        ["bandage change 3", "bandage change 2", "bandage change 1"]
    );
    // Typed offline: queued, and kept across a restart of the client.
    nurse.client.send(conv, "typed offline 1").await.unwrap();
    nurse.client.send(conv, "typed offline 2").await.unwrap();
    let queued = nurse.until(5, |e| matches!(e, Event::Outbox { .. })).await;
    assert!(matches!(queued, Event::Outbox { item } if item.state == OutboxState::Pending));
    nurse.client.shutdown().await;
    let mut nurse = side(&format!("http://127.0.0.1:{port}"), &nurse_dir, "n@c.test").await;
    assert_eq!(nurse.client.outbox(None).await.unwrap().len(), 2);

    let server = Running::start_on(db, port, settings(compat)).await;
    for _ in 0..2 {
        nurse
            .until(
                20,
                |e| matches!(e, Event::Outbox { item } if item.state == OutboxState::Sent),
            )
            .await;
    }
    let on_server = p.api.messages(conv, 50, 0).await.unwrap();
    let texts: Vec<_> = on_server.iter().rev().map(|m| m.content.as_str()).collect();
    assert_eq!(
        texts,
        [
            "bandage change 0",
            "bandage change 1",
            "bandage change 2",
            "bandage change 3",
            "bandage change 4",
            "typed offline 1",
            "typed offline 2"
        ],
        "each once, in order"
    );
    assert!(nurse.client.outbox(None).await.unwrap().is_empty());
    nurse.client.shutdown().await;
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn offline_reads_from_the_cache_and_sends_once_when_back() {
    offline_then_back(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn offline_against_production_compat() {
    offline_then_back(true).await;
}

async fn ring(compat: bool) {
    // The caller calls from the open chat; the callee has it closed (production: not in the
    // room, so only polling finds the call).
    let Two {
        n,
        p,
        conv,
        mut nurse,
        mut patient,
        // Bound (not `..`) so they live to the end of the test.
        dir: _dir_alive,
        server: _server_alive,
    } = two_online(compat).await;
    let ring_for = common::client_config().ring_for;
    let call = nurse.client.start_call(conv).await.unwrap();
    let started = tokio::time::Instant::now();
    let incoming = patient
        .until(10, |e| matches!(e, Event::IncomingCall { .. }))
        .await;
    assert_eq!(
        incoming,
        Event::IncomingCall {
            call_id: call.call.id,
            conversation_id: conv,
            room_name: call.call.room_name.clone(),
            caller_id: n.id
        }
    );
    patient
        .client
        .accept_call(&call.call.room_name)
        .await
        .unwrap();
    let accepted = nurse
        .until(10, |e| {
            assert!(
                !matches!(e, Event::IncomingCall { .. }),
                "the caller's own call rang: {e:?}"
            );
            matches!(e, Event::Call { .. })
        })
        .await;
    assert!(
        matches!(accepted, Event::Call { change: CallChange::Accepted, by: Some(by), .. } if by == p.id)
    );
    nurse.client.end_call(call.call.id).await.unwrap();
    let history = patient.client.call_history(conv).await.unwrap();
    assert_eq!(history[0].status, nursecare_wire::CallStatus::Ended);
    // For the whole ring time (and a poll more): the caller's own call never rings, and the
    // callee's never rings twice, however often it is polled.
    let watch = (started + ring_for + Duration::from_millis(500))
        .checked_duration_since(tokio::time::Instant::now())
        .expect("the test took longer than the ring time: nothing left to watch");
    let own = |e: &Event| matches!(e, Event::IncomingCall { .. });
    nurse
        .none_for(watch, own, "the caller's own call rang")
        .await;
    while let Ok(e) = patient.events.try_recv() {
        assert!(!own(&e), "rang twice: {e:?}");
    }
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_ring_with_user_ring() {
    ring(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_ring_by_polling_against_production_compat() {
    ring(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_corrupt_cache_is_moved_aside_rebuilt_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), Settings::default()).await;
    let (n, _p, conv) = pair(&server.base).await;
    n.api.messages(conv, 1, 0).await.unwrap();
    let nurse_dir = dir.path().join("nurse");
    let mut nurse = side(&server.base, &nurse_dir, "n@c.test").await;
    online(&mut nurse).await;
    nurse.client.send(conv, "before the damage").await.unwrap();
    nurse
        .until(
            10,
            |e| matches!(e, Event::Outbox { item } if item.state == OutboxState::Sent),
        )
        .await;
    let path = nurse.profile.cache_path(&nurse.session);
    nurse.client.shutdown().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    for side_file in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(side_file);
        let _ = std::fs::remove_file(p);
    }
    std::fs::write(&path, vec![0x5a; 64 * 1024]).unwrap();

    let mut nurse = side(&server.base, &nurse_dir, "n@c.test").await;
    let first = nurse.events.recv().await.unwrap();
    let Event::CacheRebuilt { moved_to, .. } = first else {
        panic!("the user is told first, got {first:?}");
    };
    assert!(
        std::path::Path::new(&moved_to).exists(),
        "the old file is kept"
    );
    online(&mut nurse).await;
    let history = nurse.client.history(conv, None, 50).await.unwrap();
    assert_eq!(history.len(), 1, "rebuilt from the server");
    assert_eq!(history[0].content, "before the damage");
    nurse.client.shutdown().await;
}

/// Sends `n` messages from `s` and waits until the server has them all.
async fn send_many(s: &mut Side, conv: i64, prefix: &str, n: usize) {
    for i in 0..n {
        s.client
            .send(conv, &format!("{prefix}{i:04}"))
            .await
            .unwrap();
    }
    let mut sent = 0;
    while sent < n {
        s.until(
            30,
            |e| matches!(e, Event::Outbox { item } if item.state == OutboxState::Sent),
        )
        .await;
        sent += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn history_pages_back_from_the_cache_then_the_server_and_catches_up_after_an_absence() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::start(dir.path(), Settings::default()).await;
    let (_n, _p, conv) = pair(&server.base).await;
    let mut patient = side(&server.base, &dir.path().join("patient"), "p@c.test").await;
    online(&mut patient).await;
    send_many(&mut patient, conv, "old-", 120).await;

    // A fresh nurse cache holds the newest page only (from the conversation list).
    let nurse_dir = dir.path().join("nurse");
    let mut nurse = side(&server.base, &nurse_dir, "n@c.test").await;
    online(&mut nurse).await;
    let first = nurse.client.history(conv, None, 50).await.unwrap();
    assert_eq!(first.len(), 50);
    assert_eq!(first[0].content, "old-0119");
    // Scrolling back past the cache asks the server, from where the cache ends.
    let second = nurse
        .client
        .history(conv, Some(first[49].id), 50)
        .await
        .unwrap();
    assert_eq!(
        second.iter().map(|m| m.content.clone()).collect::<Vec<_>>(),
        (20..70)
            .rev()
            .map(|i| format!("old-{i:04}"))
            .collect::<Vec<_>>()
    );
    let third = nurse
        .client
        .history(conv, Some(second[49].id), 50)
        .await
        .unwrap();
    assert_eq!(third.len(), 20, "the start of the conversation");
    assert_eq!(third[19].content, "old-0000");

    // Away while 130 more arrive: the next connect pages back until the cache is whole again.
    nurse.client.shutdown().await;
    send_many(&mut patient, conv, "new-", 130).await;
    let mut nurse = side(&server.base, &nurse_dir, "n@c.test").await;
    online(&mut nurse).await;
    let all = nurse.client.history(conv, None, 1000).await.unwrap();
    assert_eq!(
        all.len(),
        250,
        "no hole between the old cache and the new messages"
    );
    let mut ids: Vec<_> = all.iter().map(|m| m.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 250);

    // The cache answers with the server gone.
    server.stop().await;
    let page = nurse
        .client
        .history(conv, Some(all[99].id), 50)
        .await
        .unwrap();
    assert_eq!(page.len(), 50);
    assert_eq!(page[0].id, all[100].id);
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn production_read_marks_reach_the_sender_without_a_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), settings(true)).await;
    let (_n, p, conv) = pair(&server.base).await;
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    online(&mut nurse).await;
    send_many(&mut nurse, conv, "please read ", 3).await;
    // The patient reads over REST (the web app's way): production emits nothing. The core's
    // poll of the conversation list (every quarter of the ring time: 0.5 s here, 15 s by
    // default) carries the read marks.
    assert_eq!(p.api.mark_read(conv).await.unwrap(), 3);
    let read = nurse.until(5, |e| matches!(e, Event::Read { .. })).await;
    assert!(matches!(read, Event::Read { read_by, .. } if read_by == p.id));
    assert!(cached(&nurse, conv).await.iter().all(|m| m.read));
    // Likewise when the chat's history is read again after more reads.
    send_many(&mut nurse, conv, "and this ", 2).await;
    assert_eq!(p.api.mark_read(conv).await.unwrap(), 2);
    assert!(cached(&nurse, conv).await.iter().all(|m| m.read));
    let read = nurse.until(5, |e| matches!(e, Event::Read { .. })).await;
    assert!(matches!(read, Event::Read { read_by, .. } if read_by == p.id));
    nurse.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_token_signs_the_user_out_instead_of_retrying() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), Settings::default()).await;
    let profile = nursecare_core::Profile::new(
        &server.base,
        Some(dir.path().join("forged")),
        nursecare_core::secrets::SecretStoreKind::File,
    )
    .unwrap();
    // Well-formed and unexpired, but not signed by this server.
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"sub":1,"email":"n@c.test","role":"NURSE","iat":1,"exp":4102444800}"#);
    let session = nursecare_core::session::Session {
        server: server.base.clone(),
        user_id: 1,
        email: "n@c.test".into(),
        role: nursecare_wire::Role::Nurse,
        token: format!("eyJhbGciOiJIUzI1NiJ9.{payload}.bad-signature"),
        expires_at: 4_102_444_800,
        cache_key: None,
    };
    let mut s = Side::start(&profile, session, common::client_config()).await;
    s.until_connection(10, Connection::SignedOut).await;
    let told = s.until(5, |e| matches!(e, Event::Error { .. })).await;
    assert!(matches!(told, Event::Error { message } if message.contains("sign in again")));
    assert!(!s.client.wait_online(Duration::from_millis(500)).await);
    s.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_message_fails_at_once_with_the_reason_and_is_never_retried() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::start(dir.path(), settings(false)).await;
    let (_n, _p, conv) = pair(&server.base).await;
    // Someone else's conversation, which the nurse's cache wrongly holds (a stale cache, a
    // removed participant): the server refuses messages to it.
    let api = nursecare_core::api::ApiClient::new(&server.base, common::fast()).unwrap();
    let (n2, _, _) = common::signed_in(&api, "n2@c.test", nursecare_wire::Role::Nurse).await;
    let (_, p2_id, _) = common::signed_in(&api, "p2@c.test", nursecare_wire::Role::Patient).await;
    let foreign = n2.create_conversation(p2_id, None).await.unwrap();
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    online(&mut nurse).await;
    nurse.client.shutdown().await;
    {
        let (cache, _) = nurse.profile.open_cache(&nurse.session).await.unwrap();
        let mut cache = cache;
        cache
            .put_conversations(std::slice::from_ref(&foreign))
            .unwrap();
    }
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    online(&mut nurse).await;

    let queued = nurse.client.send(foreign.id, "not yours").await.unwrap();
    // At once: well within one echo time-out (2 s here), let alone five.
    let item = nurse
        .until_row(2, &queued.client_id, OutboxState::Failed)
        .await;
    assert_eq!(
        item.failure,
        Some(nursecare_core::cache::SendFailure::Refused)
    );
    assert_eq!(item.attempts, 1);
    assert!(!item.reason.unwrap_or_default().is_empty());
    // The queue moves on, and the refused row is never tried again.
    let next = nurse.client.send(conv, "to the right chat").await.unwrap();
    nurse.until_row(5, &next.client_id, OutboxState::Sent).await;
    let rows = nurse.client.outbox(None).await.unwrap();
    let row = rows
        .iter()
        .find(|r| r.client_id == queued.client_id)
        .unwrap();
    assert_eq!((row.state, row.attempts), (OutboxState::Failed, 1));
    // The user drops it: gone from the outbox, and said on the stream.
    assert!(nurse.client.discard(&queued.client_id).await.unwrap());
    let gone = nurse
        .until(5, |e| matches!(e, Event::OutboxDiscarded { .. }))
        .await;
    assert!(
        matches!(gone, Event::OutboxDiscarded { client_id, conversation_id }
            if client_id == queued.client_id && conversation_id == foreign.id)
    );

    // A conversation that is not the user's at all is refused before anything is queued:
    // online after asking the server; offline, one the cache does not know cannot be checked.
    assert!(matches!(
        nurse.client.send(999_999, "hello").await,
        Err(nursecare_core::ClientError::UnknownConversation(999_999))
    ));
    server.stop().await;
    nurse.until_connection(10, Connection::Offline).await;
    assert!(matches!(
        nurse.client.send(999_998, "hello").await,
        Err(nursecare_core::ClientError::ConversationUnchecked(999_998))
    ));
    assert!(nurse.client.outbox(None).await.unwrap().is_empty());
    nurse.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_token_signs_out_and_pauses_the_outbox_in_compat_mode() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), settings(true)).await;
    let (_n, p, conv) = pair(&server.base).await;
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    online(&mut nurse).await;
    nurse.client.shutdown().await;
    // The app emitted a message and died before its echo: the row is attempted.
    let cid = "6f1c2d3e-0000-4000-8000-000000000001";
    {
        let (cache, _) = nurse.profile.open_cache(&nurse.session).await.unwrap();
        let mut cache = cache;
        let row = cache
            .outbox_add(conv, "after the token expired", cid)
            .unwrap();
        cache.outbox_attempt(row.local_id).unwrap();
    }
    // A day later: the token has expired. Production's socket does not check it; REST does.
    let session = expired(&nurse.session);
    let mut stale = Side::start(&nurse.profile, session, common::client_config()).await;
    // The reconcile's 401 signs the user out (once), instead of polling forever.
    stale.until_connection(10, Connection::SignedOut).await;
    let rows = stale.client.outbox(None).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].state, rows[0].attempts),
        (OutboxState::Pending, 1),
        "kept, not failed, for the next login"
    );
    stale.client.shutdown().await;
    let copies = |page: Vec<nursecare_wire::Message>| {
        page.iter()
            .filter(|m| m.content == "after the token expired")
            .count()
    };
    assert_eq!(copies(p.api.messages(conv, 50, 0).await.unwrap()), 0);

    // Signed in again: reconciled (not on the server), sent, stored exactly once.
    nurse.profile.sessions().logout().await.unwrap();
    let mut again = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    online(&mut again).await;
    again.until_row(10, cid, OutboxState::Sent).await;
    assert_eq!(copies(p.api.messages(conv, 50, 0).await.unwrap()), 1);
    again.client.shutdown().await;
}

/// Every message of a conversation on the server, oldest first.
async fn on_server(
    api: &nursecare_core::api::ApiClient,
    conv: i64,
) -> Vec<nursecare_wire::Message> {
    let mut all = Vec::new();
    loop {
        let page = api.messages(conv, 50, all.len() as u64).await.unwrap();
        let n = page.len();
        all.extend(page);
        if n < 50 {
            break;
        }
    }
    all.reverse();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_catch_up_cut_short_leaves_no_hole_in_the_cached_history() {
    use common::watched::Page;
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), settings(false)).await;
    let (_n, p, conv) = pair(&server.base).await;
    let nurse_dir = dir.path().join("nurse");
    let mut patient = side(&server.base, &dir.path().join("patient"), "p@c.test").await;
    online(&mut patient).await;

    // The nurse has the chat's first messages cached, then goes away.
    let mut nurse = side(&server.base, &nurse_dir, "n@c.test").await;
    online(&mut nurse).await;
    send_many(&mut patient, conv, "early", 10).await;
    let mut got = 0;
    while got < 10 {
        nurse
            .until(10, |e| matches!(e, Event::MessageAdded { .. }))
            .await;
        got += 1;
    }
    // A sync now: the mark is a real message (the 10th), where the next catch-up must stop.
    nurse.client.sync().await.unwrap();
    nurse.client.shutdown().await;

    // 600 arrive while it is away.
    send_many(&mut patient, conv, "away", 600).await;

    // It comes back and is stopped right after its catch-up's 3rd page request.
    let (tx, mut third) = tokio::sync::mpsc::unbounded_channel();
    server.store.watch(std::sync::Arc::new(move |n| {
        if n == 3 {
            let _ = tx.send(());
        }
        Page::Serve
    }));
    let cut = side(&server.base, &nurse_dir, "n@c.test").await;
    tokio::time::timeout(Duration::from_secs(20), third.recv())
        .await
        .expect("no third page request");
    cut.client.shutdown().await;
    server.store.unwatch();

    // 3 more arrive; it reconnects and syncs.
    send_many(&mut patient, conv, "late", 3).await;
    let mut nurse = side(&server.base, &nurse_dir, "n@c.test").await;
    online(&mut nurse).await;
    nurse.client.shutdown().await;
    // Announced in batches (a page each at most), not an event per message.
    let (mut batches, mut found) = (0, 0);
    while let Ok(e) = nurse.events.try_recv() {
        match e {
            Event::MessagesFound { messages, .. } => {
                batches += 1;
                found += messages.len();
            }
            Event::MessageAdded { live, .. } => assert!(live, "a sync announced one by one"),
            _ => {}
        }
    }
    assert!(found > 300, "the catch-up found {found}");
    assert!(
        batches <= found.div_ceil(50) + 1,
        "{batches} events for {found}"
    );
    let expected: Vec<String> = on_server(&p.api, conv)
        .await
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert_eq!(expected.len(), 613);

    // Offline history (the cache alone) holds every message, in order.
    {
        let (cache, _) = nurse.profile.open_cache(&nurse.session).await.unwrap();
        let mut cached = cache.messages(conv, None, 100_000).unwrap();
        cached.reverse();
        let cached: Vec<String> = cached.into_iter().map(|m| m.content).collect();
        assert_eq!(cached, expected, "the cache has a hole");
    }

    // Paging back online finds none missing.
    let mut nurse = side(&server.base, &nurse_dir, "n@c.test").await;
    online(&mut nurse).await;
    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = nurse.client.history(conv, before, 50).await.unwrap();
        if page.is_empty() {
            break;
        }
        before = page.last().map(|m| m.id);
        paged.extend(page.into_iter().map(|m| m.content));
    }
    paged.reverse();
    assert_eq!(paged, expected);
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answered_call_is_never_marked_missed_against_production_compat() {
    // Production keeps an accepted call ONGOING and tells only the conversation's room; the
    // caller here (the patient) does not have the chat open, so it is not in that room.
    let Two {
        n,
        conv,
        mut nurse,
        mut patient,
        dir: _dir_alive,
        server: _server_alive,
        ..
    } = two_online(true).await;
    let ring_for = common::client_config().ring_for;
    let call = patient.client.start_call(conv).await.unwrap();
    nurse
        .until(10, |e| matches!(e, Event::IncomingCall { .. }))
        .await;
    nurse
        .client
        .accept_call(&call.call.room_name)
        .await
        .unwrap();
    // Held past the ring time: the caller learns it was answered, and never calls it missed.
    let accepted = patient
        .until(ring_for.as_secs() + 10, |e| {
            assert!(
                !matches!(
                    e,
                    Event::Call {
                        change: CallChange::Missed,
                        ..
                    }
                ),
                "an answered call was marked missed: {e:?}"
            );
            matches!(
                e,
                Event::Call {
                    change: CallChange::Accepted,
                    ..
                }
            )
        })
        .await;
    assert!(matches!(accepted, Event::Call { by: Some(by), .. } if by == n.id));
    patient
        .none_for(
            ring_for,
            |e| {
                matches!(
                    e,
                    Event::Call {
                        change: CallChange::Missed,
                        ..
                    }
                )
            },
            "an answered call was marked missed",
        )
        .await;
    let history = patient.client.call_history(conv).await.unwrap();
    assert_eq!(history[0].id, call.call.id);
    assert_eq!(history[0].status, nursecare_wire::CallStatus::Ongoing);
    patient.client.end_call(call.call.id).await.unwrap();

    // An unanswered one still is, by the caller's core, after the ring time.
    let unanswered = patient.client.start_call(conv).await.unwrap();
    patient
        .until(ring_for.as_secs() + 10, |e| {
            matches!(e, Event::Call { change: CallChange::Missed, call_id: Some(id), .. } if *id == unanswered.call.id)
        })
        .await;
    let history = patient.client.call_history(conv).await.unwrap();
    assert_eq!(history[0].id, unanswered.call.id);
    assert_eq!(history[0].status, nursecare_wire::CallStatus::Missed);
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reconcile_that_fails_twice_slowly_still_finds_the_message_it_sent() {
    use common::watched::Page;
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), settings(true)).await;
    let (_n, p, conv) = pair(&server.base).await;
    let nurse_dir = dir.path().join("nurse");
    let mut nurse = side(&server.base, &nurse_dir, "n@c.test").await;
    online(&mut nurse).await;
    nurse.client.shutdown().await;
    // The app emitted a message and died before its echo: the row is attempted (now) ...
    let text = "the dressing was changed at 14:00";
    let cid = "6f1c2d3e-0000-4000-8000-000000000002";
    {
        let (cache, _) = nurse.profile.open_cache(&nurse.session).await.unwrap();
        let mut cache = cache;
        let row = cache.outbox_add(conv, text, cid).unwrap();
        cache.outbox_attempt(row.local_id).unwrap();
    }
    // ... and the server stored it (the nurse's phone stands in for the emit that left).
    let mut phone = side(&server.base, &dir.path().join("phone"), "n@c.test").await;
    online(&mut phone).await;
    let sent = phone.client.send(conv, text).await.unwrap();
    phone
        .until_row(10, &sent.client_id, OutboxState::Sent)
        .await;
    phone.client.shutdown().await;

    // Back: the look-ups on the server fail twice, slowly, then work. The window allowed for
    // clock skew is short here, so a window that moved with each retry would miss the copy.
    server.store.watch(std::sync::Arc::new(|n| {
        if n <= 2 {
            Page::FailAfter(Duration::from_millis(800))
        } else {
            Page::Serve
        }
    }));
    let config = nursecare_core::ClientConfig {
        reconcile_skew: Duration::from_millis(300),
        ..common::client_config()
    };
    let mut back = Side::start(&nurse.profile, nurse.session.clone(), config).await;
    back.until_row(20, cid, OutboxState::Sent).await;
    back.client.shutdown().await;
    server.store.unwatch();
    let copies = p
        .api
        .messages(conv, 50, 0)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.content == text)
        .count();
    assert_eq!(copies, 1, "sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_returns_at_once_while_the_server_is_a_silent_listener() {
    // Accepts connections and never answers: a connect would wait its whole time-out (45 s).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (accepted_tx, mut accepted) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
            let _ = accepted_tx.send(());
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let profile = nursecare_core::Profile::new(
        &base,
        Some(dir.path().to_path_buf()),
        nursecare_core::secrets::SecretStoreKind::File,
    )
    .unwrap();
    let session = nursecare_core::session::Session {
        server: base.clone(),
        user_id: 1,
        email: "n@c.test".into(),
        role: nursecare_wire::Role::Nurse,
        token: "a.b.c".into(),
        expires_at: 4_102_444_800,
        cache_key: None,
    };
    let mut config = common::client_config();
    config.socket.connect_timeout = Duration::from_secs(45);
    let (client, _events) = nursecare_core::Client::start(&profile, &session, config)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), accepted.recv())
        .await
        .expect("never connected");
    tokio::time::timeout(Duration::from_secs(1), client.shutdown())
        .await
        .expect("shutdown waited for the connect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_program_at_a_time_owns_an_accounts_cache_and_a_busy_one_is_not_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), settings(false)).await;
    let (_n, _p, _conv) = pair(&server.base).await;
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    online(&mut nurse).await;
    let second = nurse.profile.open_cache(&nurse.session).await;
    assert!(
        matches!(
            second,
            Err(nursecare_core::profile::ProfileError::Cache(
                nursecare_core::cache::CacheError::InUse
            ))
        ),
        "a second opener must be refused"
    );
    let cache_dir = nurse.profile.cache_path(&nurse.session);
    let cache_dir = cache_dir.parent().unwrap();
    let moved: Vec<_> = std::fs::read_dir(cache_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("unreadable"))
        .collect();
    assert!(moved.is_empty(), "a cache in use was moved aside");
    // Released with the client.
    nurse.client.shutdown().await;
    let (cache, moved) = nurse.profile.open_cache(&nurse.session).await.unwrap();
    assert!(moved.is_none());
    drop(cache);
}

/// The same account's session with a token that expired an hour ago (signed by the test
/// server's secret, as the server would have).
fn expired(session: &nursecare_core::session::Session) -> nursecare_core::session::Session {
    let iat = nursecare_wire::Timestamp::now().millis() / 1000 - 25 * 3600;
    let token = nursecare_server::auth::TokenKeys::new(common::SECRET)
        .issue(session.user_id, &session.email, session.role, iat)
        .unwrap();
    nursecare_core::session::Session {
        token,
        expires_at: iat + 24 * 3600,
        ..session.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn any_request_refusing_the_token_signs_out_in_compat() {
    // Nothing queued: the connect-time sync's 401 is what must sign the user out, once.
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), settings(true)).await;
    let _ = pair(&server.base).await;
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    online(&mut nurse).await;
    nurse.client.shutdown().await;
    let mut stale = Side::start(
        &nurse.profile,
        expired(&nurse.session),
        common::client_config(),
    )
    .await;
    stale.until_connection(10, Connection::SignedOut).await;
    let told = stale.until(5, |e| matches!(e, Event::Error { .. })).await;
    assert!(matches!(told, Event::Error { message } if message.contains("sign in again")));
    assert!(!stale.client.wait_online(Duration::from_millis(200)).await);
    // Stoppable more than once (the app may stop it from several places).
    stale.client.shutdown().await;
    stale.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconnect_now_drops_the_link_and_connects_again_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), settings(false)).await;
    let _ = pair(&server.base).await;
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    online(&mut nurse).await;
    let mut link = nurse.client.link();
    let before = link.borrow_and_update().clone();
    nurse.client.reconnect_now();
    let after = tokio::time::timeout(
        Duration::from_secs(5),
        link.wait_for(|s| matches!(s, LinkState::Online { .. }) && *s != before),
    )
    .await
    .expect("no new connection")
    .unwrap()
    .clone();
    assert!(matches!(after, LinkState::Online { connection: 2, .. }));
    nurse.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_snapshot_rebuilds_what_the_window_shows() {
    let Two {
        p,
        conv,
        mut nurse,
        mut patient,
        dir: _dir_alive,
        server: _server_alive,
        ..
    } = two_online(false).await;
    // The patient is online (the nurse asked after connecting), writes, is typing, and calls.
    send_many(&mut patient, conv, "how long do I keep the dressing ", 1).await;
    nurse
        .until(10, |e| matches!(e, Event::MessageAdded { .. }))
        .await;
    patient.client.keystroke(conv).await;
    nurse
        .until(10, |e| matches!(e, Event::Typing { typing: true, .. }))
        .await;
    let call = patient.client.start_call(conv).await.unwrap();
    nurse
        .until(10, |e| matches!(e, Event::IncomingCall { .. }))
        .await;

    let snap = nurse.client.snapshot().await.unwrap();
    assert_eq!(snap.me, nurse.session.user_id);
    assert_eq!(snap.connection.state, Connection::Online);
    assert_eq!(snap.conversations.len(), 1);
    assert_eq!(snap.open, Some(conv));
    assert_eq!(
        snap.typing,
        vec![nursecare_core::events::TypingNow {
            conversation_id: conv,
            user_id: p.id
        }]
    );
    assert!(snap.presence.iter().any(|x| x.user_id == p.id && x.online));
    assert_eq!(
        snap.ringing.iter().map(|r| r.call_id).collect::<Vec<_>>(),
        [call.call.id]
    );
    assert_eq!(snap.unread_total, snap.unread.values().sum::<u32>());
    // Its place in the stream: a later event comes after it.
    assert!(snap.events_before > 0);
    patient.client.stop_typing(conv).await;
    nurse
        .until(10, |e| matches!(e, Event::Typing { typing: false, .. }))
        .await;
    let later = nurse.client.snapshot().await.unwrap();
    assert!(later.events_before > snap.events_before);
    assert!(later.typing.is_empty());
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_open_chat_of_a_focused_window_is_kept_read() {
    let Two {
        conv,
        mut nurse,
        mut patient,
        dir: _dir_alive,
        server: _server_alive,
        ..
    } = two_online(false).await;
    let not_read = |e: &Event| matches!(e, Event::Read { .. });
    // Open but not focused (the window is behind another): the message stays unread, for
    // several ticks, and the patient hears no read.
    patient.drain();
    send_many(&mut patient, conv, "is 38.5 a fever? ", 1).await;
    nurse
        .until(10, |e| matches!(e, Event::Unread { total: 1, .. }))
        .await;
    nurse
        .none_for(
            Duration::from_millis(500),
            |e| matches!(e, Event::Unread { total: 0, .. }),
            "read while unfocused",
        )
        .await;
    patient
        .none_for(Duration::ZERO, not_read, "read while unfocused")
        .await;
    // The nurse looks at the window: the open chat is marked read, and the patient hears it.
    nurse.client.set_focused(true);
    nurse
        .until(10, |e| matches!(e, Event::Unread { total: 0, .. }))
        .await;
    patient.until(10, not_read).await;
    // While focused, a new message in the open chat is read as it arrives.
    send_many(&mut patient, conv, "and 39? ", 1).await;
    nurse
        .until(10, |e| matches!(e, Event::MessageAdded { message, .. } if message.content.starts_with("and 39?")))
        .await;
    nurse
        .until(10, |e| matches!(e, Event::Unread { total: 0, .. }))
        .await;
    patient.until(10, not_read).await;
    assert_eq!(nurse.client.conversations().await.unwrap()[0].unread, 0);
    // Not for a chat that is not open, focused or not.
    nurse.client.open(None);
    send_many(&mut patient, conv, "never mind ", 1).await;
    nurse
        .until(10, |e| matches!(e, Event::Unread { total: 1, .. }))
        .await;
    nurse
        .none_for(
            Duration::from_millis(500),
            |e| matches!(e, Event::Unread { total: 0, .. }),
            "a closed chat was read",
        )
        .await;
    patient
        .none_for(Duration::ZERO, not_read, "a closed chat was read")
        .await;
    nurse.client.shutdown().await;
    patient.client.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drafts_and_mutes_are_kept_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), settings(false)).await;
    let (_n, _p, conv) = pair(&server.base).await;
    let nurse_dir = dir.path().join("nurse");
    let mut nurse = side(&server.base, &nurse_dir, "n@c.test").await;
    online(&mut nurse).await;
    nurse
        .client
        .set_draft(conv, "Your results came back norm")
        .await
        .unwrap();
    nurse.client.set_muted(conv, true).await.unwrap();
    let row = nurse
        .until(
            5,
            |e| matches!(e, Event::ConversationChanged { summary } if summary.muted),
        )
        .await;
    assert!(
        matches!(row, Event::ConversationChanged { summary } if summary.draft.as_deref() == Some("Your results came back norm"))
    );
    nurse.client.shutdown().await;

    let mut nurse = side(&server.base, &nurse_dir, "n@c.test").await;
    online(&mut nurse).await;
    let list = nurse.client.conversations().await.unwrap();
    assert!(list[0].muted);
    assert_eq!(
        list[0].draft.as_deref(),
        Some("Your results came back norm")
    );
    nurse.client.set_draft(conv, "").await.unwrap();
    nurse.client.set_muted(conv, false).await.unwrap();
    let list = nurse.client.conversations().await.unwrap();
    assert!(!list[0].muted);
    assert_eq!(list[0].draft, None);
    nurse.client.shutdown().await;
}
