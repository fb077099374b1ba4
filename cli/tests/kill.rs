//! The server SIGKILLed and restarted three times while two cores send: every message arrives
//! once, counted on the server and in both caches. In both modes: with clientId the outbox
//! simply retries; in production-compat it reconciles with the server's newest pages first.

mod support;

use nursecare_core::secrets::SecretStoreKind;
use nursecare_core::{Client, ClientConfig, Profile};
use std::collections::HashMap;
use std::time::Duration;
use support::{AMARA, CHLOE, DEMO_PASSWORD, Server};

const PER_SIDE: usize = 300;

fn config() -> ClientConfig {
    let mut c = ClientConfig {
        echo_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    c.api.connect_timeout = Duration::from_secs(2);
    c.api.request_timeout = Duration::from_secs(3);
    c.socket.heartbeat = Duration::from_millis(300);
    c.socket.dead_after = Duration::from_millis(900);
    c.socket.backoff_min = Duration::from_millis(50);
    c.socket.backoff_max = Duration::from_millis(300);
    c.socket.connect_timeout = Duration::from_secs(3);
    c
}

async fn client(
    base: &str,
    dir: &std::path::Path,
    email: &str,
) -> (Client, Profile, nursecare_core::session::Session) {
    let profile = Profile::new(base, Some(dir.to_path_buf()), SecretStoreKind::File).unwrap();
    let api = nursecare_core::api::ApiClient::new(base, Default::default()).unwrap();
    let session = profile
        .sessions()
        .login(&api, email, DEMO_PASSWORD)
        .await
        .unwrap();
    let (client, mut events) = Client::start(&profile, &session, config()).await.unwrap();
    // Events are not what this test counts; keep the stream drained.
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    (client, profile, session)
}

fn counts<'a>(texts: impl Iterator<Item = &'a str>) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for t in texts.filter(|t| t.starts_with("kill-")) {
        *m.entry(t.to_owned()).or_insert(0) += 1;
    }
    m
}

async fn survive_kills(compat: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), compat);
    let base = server.base();
    let (amara, amara_profile, amara_session) = client(&base, &dir.path().join("a"), AMARA).await;
    let (chloe, chloe_profile, chloe_session) = client(&base, &dir.path().join("c"), CHLOE).await;
    assert!(amara.wait_online(Duration::from_secs(10)).await);
    amara.synced().await;
    let conv = amara
        .conversations()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.other.as_ref().is_some_and(|u| u.id == chloe.me()))
        .expect("the demo conversation")
        .id;

    let typing = async {
        for i in 0..PER_SIDE {
            amara.send(conv, &format!("kill-a-{i:04}")).await.unwrap();
            chloe.send(conv, &format!("kill-c-{i:04}")).await.unwrap();
            tokio::time::sleep(Duration::from_millis(8)).await;
        }
    };
    let killing = async {
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            server.kill();
            tokio::time::sleep(Duration::from_millis(300)).await;
            server.restart();
        }
    };
    tokio::join!(typing, killing);

    // Everything leaves both outboxes.
    for c in [&amara, &chloe] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            let left = c.outbox(None).await.unwrap();
            assert!(
                left.iter()
                    .all(|r| r.state == nursecare_core::cache::OutboxState::Pending),
                "a message failed: {left:?}"
            );
            if left.is_empty() {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} still queued",
                left.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    let api = nursecare_core::api::ApiClient::new(&base, Default::default()).unwrap();
    let token = api.login(AMARA, DEMO_PASSWORD).await.unwrap().access_token;
    let api = api.with_token(&token);
    let mut on_server = Vec::new();
    loop {
        let page = api
            .messages(conv, 50, on_server.len() as u64)
            .await
            .unwrap();
        let n = page.len();
        on_server.extend(page);
        if n < 50 {
            break;
        }
    }
    let server_counts = counts(on_server.iter().map(|m| m.content.as_str()));
    assert_eq!(server_counts.len(), 2 * PER_SIDE, "none lost on the server");
    assert!(
        server_counts.values().all(|n| *n == 1),
        "none doubled on the server: {:?}",
        server_counts
            .iter()
            .filter(|(_, n)| **n > 1)
            .collect::<Vec<_>>()
    );
    for c in [&amara, &chloe] {
        c.sync().await.unwrap();
    }
    amara.shutdown().await;
    chloe.shutdown().await;
    // The cache alone (a client's `history` would fill gaps from the server).
    for (profile, session) in [
        (&amara_profile, &amara_session),
        (&chloe_profile, &chloe_session),
    ] {
        let (cache, _) = profile.open_cache(session).await.unwrap();
        let cached = cache.messages(conv, None, 100_000).unwrap();
        let mine = counts(cached.iter().map(|m| m.content.as_str()));
        assert_eq!(mine, server_counts, "the cache holds each exactly once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_kills_lose_nothing_and_double_nothing() {
    survive_kills(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_kills_against_production_compat() {
    survive_kills(true).await;
}
