//! Store benchmark: sequential `insert_message` (one transaction each, as the socket handler
//! does) and `members` lookups, through the async `Store` API with its blocking-pool hops.
//!
//!     cargo bench -p nursecare-server --bench store

use nursecare_server::store::sqlite::SqliteStore;
use nursecare_server::store::{NewMessage, NewUser, Store};
use nursecare_wire::{MessageType, Role, Timestamp};
use std::time::Instant;

const N: usize = 20_000;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("bench.db")).unwrap();
    let mut ids = Vec::new();
    for i in 0..2 {
        let u = store
            .create_user(NewUser {
                email: format!("u{i}@bench.test"),
                name: None,
                role: Role::Nurse,
                password_hash: "unused".into(),
            })
            .await
            .unwrap();
        ids.push(u.id);
    }
    let (c, _) = store
        .get_or_create_conversation(ids[0], ids[1], None, Timestamp::now())
        .await
        .unwrap();

    let t = Instant::now();
    for i in 0..N {
        store
            .insert_message(NewMessage {
                conversation_id: c.id,
                sender_id: ids[i % 2],
                content: format!("message {i}"),
                kind: MessageType::Text,
                client_id: Some(format!("k{i}")),
                urgent: false,
                at: Timestamp::now(),
            })
            .await
            .unwrap();
    }
    let e = t.elapsed();
    println!(
        "insert_message: {:.0} /s ({:.1} µs each, sequential)",
        N as f64 / e.as_secs_f64(),
        e.as_micros() as f64 / N as f64
    );

    let t = Instant::now();
    for _ in 0..N {
        store.set_last_seen(ids[0], Timestamp::now()).await.unwrap();
    }
    let e = t.elapsed();
    println!(
        "trivial write (set_last_seen): {:.1} µs each",
        e.as_micros() as f64 / N as f64
    );

    let t = Instant::now();
    for _ in 0..N {
        store.members(c.id).await.unwrap();
    }
    let e = t.elapsed();
    println!("members: {:.1} µs each", e.as_micros() as f64 / N as f64);

    let t = Instant::now();
    for i in 0..1000 {
        store.messages(c.id, 50, (i * 7) % 1000).await.unwrap();
    }
    println!(
        "messages page of 50: {:.1} µs each",
        t.elapsed().as_micros() as f64 / 1000.0
    );
}
