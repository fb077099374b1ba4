//! Urgent messages between two real clients on the real server: the recipient's client alerts
//! again (here every 300 ms instead of 2 minutes) until the chat is read, also for one still
//! unread in its cache when it starts again; production's protocol is refused before
//! anything is queued.

mod common;

use common::{Running, Side, client_config, pair, side};
use nursecare_core::events::Connection;
use nursecare_core::{ClientError, Event};
use nursecare_server::Settings;
use std::time::Duration;

async fn nurse(base: &str, dir: &std::path::Path) -> Side {
    let first = side(base, dir, "n@c.test").await;
    let (profile, session) = (first.profile.clone(), first.session.clone());
    first.client.shutdown().await;
    drop(first);
    let mut config = client_config();
    config.urgent_every = Duration::from_millis(300);
    Side::start(&profile, session, config).await
}

fn again(e: &Event, id: i64) -> Option<u32> {
    match e {
        Event::UrgentAgain {
            message_id, times, ..
        } if *message_id == id => Some(*times),
        _ => None,
    }
}

#[tokio::test]
async fn an_urgent_message_alerts_again_until_read_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::start(dir.path(), Settings::default()).await;
    let (_, _, conv) = pair(&server.base).await;
    let mut patient = side(&server.base, &dir.path().join("patient"), "p@c.test").await;
    patient.until_connection(10, Connection::Online).await;
    let mut nurse = nurse(&server.base, &dir.path().join("nurse")).await;
    nurse.until_connection(10, Connection::Online).await;

    let item = patient
        .client
        .send_with(conv, "Please come now", true)
        .await
        .unwrap();
    assert!(item.urgent);
    let message = nurse
        .until_messages(10)
        .await
        .into_iter()
        .find(|m| m.content == "Please come now")
        .unwrap();
    assert_eq!(message.urgent, Some(true));
    let told = nurse.until(5, |e| again(e, message.id).is_some()).await;
    assert_eq!(again(&told, message.id), Some(1));
    nurse.until(5, |e| again(e, message.id) == Some(2)).await;

    // Started again with it still unread: the cache holds it, and the alerts go on.
    let (profile, session) = (nurse.profile.clone(), nurse.session.clone());
    nurse.client.shutdown().await;
    drop(nurse);
    let mut config = client_config();
    config.urgent_every = Duration::from_millis(300);
    let mut nurse = Side::start(&profile, session, config).await;
    nurse.until(5, |e| again(e, message.id) == Some(1)).await;

    // Read: the alerts stop, and the sender learns when.
    nurse.client.mark_read(conv).await.unwrap();
    nurse
        .until(
            5,
            |e| matches!(e, Event::Unread { conversations, .. } if conversations.is_empty()),
        )
        .await;
    let quiet = tokio::time::timeout(Duration::from_millis(1200), async {
        loop {
            let e = nurse.next().await.expect("stream");
            if again(&e, message.id).is_some() {
                return e;
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "alerted after it was read: {quiet:?}");
    // The sender's client learns it live (the read event's time) and keeps it.
    patient
        .until(
            5,
            |e| matches!(e, Event::Read { conversation_id, .. } if *conversation_id == conv),
        )
        .await;
    // From its cache alone: the server is gone.
    server.stop().await;
    let page = patient.client.history(conv, None, 10).await.unwrap();
    let read = page.iter().find(|m| m.id == message.id).unwrap();
    assert!(read.read && read.read_at.is_some(), "{read:?}");
}

#[tokio::test]
async fn production_refuses_urgent_before_anything_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let compat = Settings {
        production_compat: true,
        ..Settings::default()
    };
    let server = Running::start(dir.path(), compat).await;
    let (_, _, conv) = pair(&server.base).await;
    let mut patient = side(&server.base, &dir.path().join("patient"), "p@c.test").await;
    patient.until_connection(10, Connection::Online).await;
    let refused = patient
        .client
        .send_with(conv, "Please come now", true)
        .await;
    assert!(matches!(refused, Err(ClientError::NoUrgent)), "{refused:?}");
    let queued = patient.client.snapshot().await.unwrap().outbox;
    assert!(queued.is_empty(), "{queued:?}");
}
