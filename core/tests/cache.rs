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
