//! The encrypted cache on real SQLCipher files: paging, de-duplication, read-flag merging,
//! search, encryption at rest, and unreadable files moved aside.

use nursecare_core::cache::{Cache, CacheError, CacheKey};
use nursecare_wire::{
    Conversation, Message, MessageType, Participant, Role, Sender, Timestamp, UserSummary,
};

fn msg(id: i64, conv: i64, sender: i64, text: &str, at: i64, read: bool) -> Message {
    Message {
        id,
        conversation_id: conv,
        sender_id: sender,
        content: text.into(),
        kind: MessageType::Text,
        read,
        created_at: Timestamp::from_millis(at),
        sender: Sender {
            id: sender,
            name: Some(format!("user {sender}")),
            role: Role::Nurse,
        },
        client_id: None,
        urgent: None,
        read_at: None,
    }
}

fn conversation(id: i64, messages: Vec<Message>) -> Conversation {
    let t = Timestamp::from_millis(1_000);
    let part = |pid, uid| Participant {
        id: pid,
        conversation_id: id,
        user_id: uid,
        joined_at: t,
        user: UserSummary {
            id: uid,
            name: None,
            email: format!("{uid}@c.test"),
            role: Role::Patient,
        },
    };
    Conversation {
        id,
        booking_id: None,
        created_at: t,
        updated_at: t,
        participants: vec![part(id * 10, 1), part(id * 10 + 1, 2)],
        messages,
        unread_count: Some(1),
    }
}

#[test]
fn pages_dedupes_merges_and_searches() {
    let dir = tempfile::tempdir().unwrap();
    let key = CacheKey::generate();
    let mut c = Cache::open(&dir.path().join("cache.db"), &key).unwrap();
    let history: Vec<Message> = (1..=120)
        .map(|i| msg(i, 7, 1 + i % 2, &format!("note {i}"), 10_000 + i, false))
        .collect();
    c.put_conversations(&[conversation(
        7,
        history[70..].iter().rev().cloned().collect(),
    )])
    .unwrap();
    let fresh = c.put_messages(&history).unwrap();
    assert_eq!(fresh.len(), 70, "the 50 already cached are not new");

    let first = c.messages(7, None, 50).unwrap();
    assert_eq!(first.first().unwrap().id, 120);
    assert_eq!(first.last().unwrap().id, 71);
    let next = c.messages(7, Some(71), 50).unwrap();
    assert_eq!(
        (next.first().unwrap().id, next.last().unwrap().id),
        (70, 21)
    );
    assert_eq!(c.messages(7, Some(1), 50).unwrap(), vec![]);
    assert_eq!(c.newest_message(7).unwrap(), Some(120));
    assert_eq!(first[0].sender.name.as_deref(), Some("user 1"));

    // Read flags only move forward.
    let mut read = history[119].clone();
    read.read = true;
    c.put_messages(&[read]).unwrap();
    c.put_messages(&[history[119].clone()]).unwrap();
    assert!(c.messages(7, None, 1).unwrap()[0].read);

    c.put_messages(&[msg(
        500,
        7,
        2,
        "Blood pressure 128/82 this morning",
        20_000,
        false,
    )])
    .unwrap();
    let hits = c.search("pressure", 50).unwrap();
    assert_eq!(hits.iter().map(|m| m.id).collect::<Vec<_>>(), vec![500]);
    assert_eq!(c.search("press", 50).unwrap().len(), 1, "prefix match");
    assert_eq!(
        c.search("OR NEAR(", 50).unwrap().len(),
        0,
        "FTS syntax is not interpreted"
    );
    assert_eq!(c.search("note", 200).unwrap().len(), 120);
}

#[test]
fn the_file_is_encrypted_and_a_wrong_key_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let key = CacheKey::generate();
    {
        let mut c = Cache::open(&path, &key).unwrap();
        c.put_messages(&[msg(1, 7, 1, "secret diagnosis text", 1, false)])
            .unwrap();
    }
    for file in ["cache.db", "cache.db-wal"] {
        let p = dir.path().join(file);
        if p.exists() {
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                !bytes.windows(6).any(|w| w == b"secret"),
                "{file} holds plain text"
            );
            assert!(
                !bytes.starts_with(b"SQLite format 3"),
                "{file} has a plain header"
            );
        }
    }
    let wrong = Cache::open(&path, &CacheKey::generate());
    assert!(
        matches!(wrong, Err(CacheError::Unreadable)),
        "{:?}",
        wrong.err()
    );
    let c = Cache::open(&path, &key).unwrap();
    assert_eq!(c.messages(7, None, 10).unwrap().len(), 1);
}

#[test]
fn unreadable_files_are_moved_aside_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let key = CacheKey::generate();
    Cache::open(&path, &key)
        .unwrap()
        .put_messages(&[msg(1, 7, 1, "x", 1, false)])
        .unwrap();

    let (c, moved) = Cache::open_or_rebuild(&path, &CacheKey::generate()).unwrap();
    let moved = moved.expect("a wrong key moves the file aside");
    assert!(moved.to.exists());
    assert_eq!(c.messages(7, None, 10).unwrap(), vec![], "fresh cache");
    drop(c);

    std::fs::write(
        &path,
        b"this is not a database at all, just garbage bytes .......",
    )
    .unwrap();
    let _ = std::fs::remove_file(dir.path().join("cache.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("cache.db-shm"));
    let (_, moved) = Cache::open_or_rebuild(&path, &key).unwrap();
    assert!(moved.is_some(), "a damaged file too");
    let (_, moved) = Cache::open_or_rebuild(&path, &key).unwrap();
    assert_eq!(moved, None, "the rebuilt one opens");
}

#[test]
fn the_outbox_keeps_order_state_and_survives_reopening() {
    use nursecare_core::cache::{OutboxState, SendFailure};
    let dir = tempfile::tempdir().unwrap();
    let key = CacheKey::generate();
    let path = dir.path().join("cache.db");
    {
        let mut c = Cache::open(&path, &key).unwrap();
        c.put_conversations(&[conversation(3, vec![])]).unwrap();
        let a = c.outbox_add(3, "first", "cid-a").unwrap();
        c.outbox_add(3, "second", "cid-b").unwrap();
        assert_eq!(
            (a.state, a.attempts, a.attempted_at),
            (OutboxState::Pending, 0, None)
        );
        assert!(
            c.outbox_add(3, "again", "cid-a").is_err(),
            "clientIds are unique"
        );
    }
    // Reopened (a restart): still there, oldest first.
    let mut c = Cache::open(&path, &key).unwrap();
    assert_eq!(c.outbox_pending_count().unwrap(), 2);
    let next = c.outbox_next().unwrap().unwrap();
    assert_eq!(next.client_id, "cid-a");
    c.outbox_attempt(next.local_id).unwrap();
    let first = c.outbox_item("cid-a").unwrap().unwrap().attempted_at;
    assert!(first.is_some());
    std::thread::sleep(std::time::Duration::from_millis(5));
    c.outbox_attempt(next.local_id).unwrap();
    c.outbox_attempt_undo(next.local_id).unwrap();
    let tried = c.outbox_item("cid-a").unwrap().unwrap();
    assert_eq!(tried.attempts, 1);
    assert_eq!(
        tried.attempted_at, first,
        "a later attempt never moves the start of the reconcile window"
    );

    // The echo: cached with the row's clientId, the row sent; a second echo changes nothing.
    let echo = msg(500, 3, 1, "first", 50_000, false);
    let (row, fresh) = c.outbox_confirm("cid-a", &echo).unwrap();
    assert!(fresh);
    let row = row.unwrap();
    assert_eq!((row.state, row.message_id), (OutboxState::Sent, Some(500)));
    assert_eq!(c.outbox_confirm("cid-a", &echo).unwrap(), (None, false));
    assert_eq!(
        c.message(500).unwrap().unwrap().client_id.as_deref(),
        Some("cid-a")
    );
    assert!(c.outbox_claimed(500).unwrap());
    assert!(!c.outbox_claimed(501).unwrap());
    assert_eq!(c.outbox_next().unwrap().unwrap().client_id, "cid-b");

    // Failed, retried, discarded.
    let b = c.outbox_next().unwrap().unwrap();
    c.outbox_attempt(b.local_id).unwrap();
    let failed_row = c
        .outbox_fail(
            b.local_id,
            SendFailure::ServerError,
            "the server could not store this message",
        )
        .unwrap()
        .unwrap();
    assert_eq!(failed_row.failure, Some(SendFailure::ServerError));
    assert!(c.outbox_next().unwrap().is_none());
    let failed = c.outbox_unsent(Some(3)).unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].state, OutboxState::Failed);
    assert!(
        failed[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("could not store")
    );
    assert_eq!(
        c.outbox_retry("cid-b").unwrap().unwrap().state,
        OutboxState::Pending
    );
    assert!(
        c.outbox_retry("cid-b").unwrap().is_none(),
        "only failed rows are retried"
    );
    let retried = c.outbox_item("cid-b").unwrap().unwrap();
    assert_eq!(retried.failure, None);
    assert_eq!(
        retried.attempted_at, None,
        "a row the server did not store is not looked for on the server"
    );
    c.outbox_fail(b.local_id, SendFailure::Refused, "again")
        .unwrap();
    assert!(c.outbox_discard("cid-b").unwrap());
    assert!(c.outbox_unsent(None).unwrap().is_empty());
    assert!(
        !c.outbox_discard("cid-a").unwrap(),
        "sent rows are not discarded"
    );
}

#[test]
fn summaries_unread_counts_and_read_marks() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cache::open(&dir.path().join("cache.db"), &CacheKey::generate()).unwrap();
    // Me = 1. Conversation 3: two unread from user 2, one of mine unread by them.
    c.put_conversations(&[
        conversation(
            3,
            vec![
                msg(12, 3, 2, "how are you", 3_000, false),
                msg(11, 3, 1, "hello", 2_000, false),
                msg(10, 3, 2, "hi", 1_500, false),
            ],
        ),
        conversation(4, vec![msg(20, 4, 2, "older", 1_200, true)]),
    ])
    .unwrap();
    let list = c.conversation_summaries(1).unwrap();
    assert_eq!(
        list.iter().map(|s| s.id).collect::<Vec<_>>(),
        [3, 4],
        "newest activity first"
    );
    assert_eq!(list[0].unread, 2);
    assert_eq!(list[0].last_message.as_ref().unwrap().id, 12);
    assert_eq!(list[0].other.as_ref().unwrap().id, 2);
    assert_eq!(c.unread_counts(1).unwrap(), vec![(3, 2)]);
    assert_eq!(c.unread_sent(1, None).unwrap(), vec![(3, 1)]);
    // Both conversations are with user 2 and equally recent: the newer one wins.
    assert_eq!(c.conversation_with(2).unwrap(), Some(4));
    assert_eq!(c.conversation_with(77).unwrap(), None);
    // I read conversation 3: only the others' messages change.
    assert_eq!(c.mark_read_by(3, 1).unwrap(), 2);
    assert_eq!(c.unread_counts(1).unwrap(), vec![]);
    assert_eq!(c.unread_sent(1, None).unwrap(), vec![(3, 1)]);
    // They read it: mine changes.
    assert_eq!(c.mark_read_by(3, 2).unwrap(), 1);
    assert!(c.unread_sent(1, None).unwrap().is_empty());
    assert!(c.conversation_summary(99, 1).unwrap().is_none());
    assert!(!c.history_complete(3).unwrap());
    c.set_history_complete(3).unwrap();
    assert!(c.history_complete(3).unwrap());
}

#[test]
fn new_messages_are_indexed_later_but_always_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cache::open(&dir.path().join("cache.db"), &CacheKey::generate()).unwrap();
    c.put_messages(&[
        msg(1, 3, 2, "insulin at noon", 1_000, false),
        msg(2, 3, 2, "insulin again", 2_000, false),
    ])
    .unwrap();
    assert_eq!(
        c.index_queue_len().unwrap(),
        2,
        "stored, queued, not indexed yet"
    );
    assert_eq!(c.index_pending(1).unwrap(), 1, "batches are bounded");
    assert_eq!(c.index_queue_len().unwrap(), 1);
    // A search indexes what is still queued first.
    let found = c.search("insulin", 10).unwrap();
    assert_eq!(found.iter().map(|m| m.id).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(c.index_queue_len().unwrap(), 0);
    // A duplicate store queues nothing and indexes nothing twice.
    c.put_messages(&[msg(2, 3, 2, "insulin again", 2_000, true)])
        .unwrap();
    assert_eq!(c.index_queue_len().unwrap(), 0);
    assert_eq!(c.search("again", 10).unwrap().len(), 1);
    // Paging before a message this cache does not hold finds nothing (not the newest page).
    assert!(c.messages(3, Some(12_345), 10).unwrap().is_empty());
}

#[test]
fn a_late_echo_confirms_a_row_production_said_it_could_not_store() {
    use nursecare_core::cache::{OutboxState, SendFailure};
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cache::open(&dir.path().join("cache.db"), &CacheKey::generate()).unwrap();
    c.put_conversations(&[conversation(3, vec![])]).unwrap();
    let row = c.outbox_add(3, "are you awake?", "cid-late").unwrap();
    let refused = c.outbox_add(3, "are you awake?", "cid-refused").unwrap();
    c.outbox_fail(refused.local_id, SendFailure::Refused, "no")
        .unwrap();
    assert_eq!(
        c.outbox_failed_by_server(3, "are you awake?").unwrap(),
        None
    );
    c.outbox_fail(row.local_id, SendFailure::ServerError, "could not store")
        .unwrap();
    let found = c.outbox_failed_by_server(3, "are you awake?").unwrap();
    assert_eq!(found.as_deref(), Some("cid-late"), "only server failures");
    assert_eq!(
        c.outbox_failed_by_server(4, "are you awake?").unwrap(),
        None
    );
    let (confirmed, _) = c
        .outbox_confirm("cid-late", &msg(900, 3, 1, "are you awake?", 1_000, false))
        .unwrap();
    assert_eq!(confirmed.unwrap().state, OutboxState::Sent);
}

#[test]
fn a_read_mark_covers_what_was_there_when_it_was_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cache::open(&dir.path().join("cache.db"), &CacheKey::generate()).unwrap();
    c.put_conversations(&[conversation(3, vec![])]).unwrap();
    c.put_messages(&[
        msg(10, 3, 2, "one", 1_000, false),
        msg(11, 3, 2, "two", 2_000, false),
        msg(12, 3, 2, "arrived while the request was out", 3_000, false),
    ])
    .unwrap();
    assert_eq!(c.mark_read_up_to(3, 1, 11).unwrap(), 2);
    assert_eq!(
        c.unread_in(3, 1).unwrap(),
        1,
        "the later message stays unread"
    );
    assert_eq!(
        c.mark_read_up_to(3, 1, 999).unwrap(),
        0,
        "an unknown mark marks nothing"
    );
}

/// A cache written to without a pause (a flood of live messages, a long catch-up) keeps its
/// WAL file small: passive checkpoints alone never find the moment to start the WAL over, and
/// it grew to 191 MB in 10,000 live messages.
#[tokio::test(flavor = "multi_thread")]
async fn a_cache_written_without_a_pause_keeps_its_wal_file_small() {
    use nursecare_core::cache::CacheHandle;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let wal = dir.path().join("cache.db-wal");
    let cache = CacheHandle::spawn(Cache::open(&path, &CacheKey::generate()).unwrap());
    let mut largest = 0;
    for i in 1..=4_000 {
        let m = msg(
            i,
            7,
            2,
            &format!("live message {i}: how is the wound today?"),
            10_000 + i,
            false,
        );
        cache.call(move |c| c.put_messages(&[m])).await.unwrap();
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    cache.close().await;
    println!("largest WAL: {:.1} MB", largest as f64 / 1048576.0);
    // Emptied past 16 MB, looked at every 200 writes (and a busy checkpointer may defer it once).
    assert!(largest <= 32 << 20, "the WAL grew to {largest} bytes");
}
