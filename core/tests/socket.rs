//! The Socket.io link against the real server: connect, register, features, refusal, a failed
//! first connect, reconnects after the server restarts (with the open conversation re-joined),
//! and production's payload-less events.

mod common;

use common::{Running, fast, signed_in};
use nursecare_core::api::ApiClient;
use nursecare_core::socket::{
    self, Features, LinkState, ServerEvent, SocketConfig, SocketError, SocketHandle,
};
use nursecare_server::Settings;
use nursecare_wire::Role;
use serde_json::json;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

const WAIT: Duration = Duration::from_secs(10);

fn config(base: &str, token: &str, user: i64) -> SocketConfig {
    SocketConfig {
        heartbeat: Duration::from_millis(300),
        dead_after: Duration::from_millis(900),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        connect_timeout: Duration::from_secs(5),
        ..SocketConfig::new(base, Some(token.to_owned()), user)
    }
}

async fn until(handle: &SocketHandle, want: impl Fn(&LinkState) -> bool) -> LinkState {
    let mut rx = handle.state();
    let got = tokio::time::timeout(WAIT, rx.wait_for(|s| want(s)))
        .await
        .map(|r| r.map(|s| s.clone()));
    match got {
        Ok(Ok(s)) => s,
        _ => panic!("state never came; last {:?}", *handle.state().borrow()),
    }
}

async fn next_matching(
    events: &mut UnboundedReceiver<ServerEvent>,
    want: impl Fn(&ServerEvent) -> bool,
) -> ServerEvent {
    tokio::time::timeout(WAIT, async {
        loop {
            let e = events.recv().await.expect("events end");
            if want(&e) {
                return e;
            }
        }
    })
    .await
    .expect("event never came")
}

#[tokio::test]
async fn online_with_features_and_messages_flow() {
    let dir = tempfile::tempdir().unwrap();
    let s = Running::start(dir.path(), Settings::default()).await;
    let (nurse_user, patient_user, conv) = common::pair(&s.base).await;
    let (nurse_id, nurse_token) = (nurse_user.id, nurse_user.token);
    let (patient_id, patient_token) = (patient_user.id, patient_user.token);

    let (a, mut a_events) = socket::spawn(config(&s.base, &nurse_token, nurse_id));
    let (b, mut b_events) = socket::spawn(config(&s.base, &patient_token, patient_id));
    let all = Features {
        auth: true,
        user_ring: true,
        client_id: true,
        read_events: true,
        file_events: true,
        urgent: true,
    };
    assert_eq!(
        until(&a, |s| matches!(s, LinkState::Online { .. })).await,
        LinkState::Online {
            features: all,
            connection: 1
        }
    );
    until(&b, |s| matches!(s, LinkState::Online { .. })).await;

    a.emit(
        "sendMessage",
        json!({"conversationId": conv, "content": "hello", "clientId": "c-1"}),
    )
    .await
    .unwrap();
    let got = next_matching(&mut b_events, |e| matches!(e, ServerEvent::NewMessage(_))).await;
    let ServerEvent::NewMessage(m) = got else {
        unreachable!()
    };
    assert_eq!(
        (m.content.as_str(), m.client_id.as_deref()),
        ("hello", Some("c-1"))
    );
    next_matching(
        &mut a_events,
        |e| matches!(e, ServerEvent::MessageSent(m) if m.client_id.as_deref() == Some("c-1")),
    )
    .await;
    // Heartbeats are answered: the link stays up well past dead_after.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(matches!(*a.state().borrow(), LinkState::Online { .. }));
    a.stop().await;
    assert_eq!(*a.state().borrow(), LinkState::Stopped);
    assert_eq!(
        a.emit("heartbeat", json!({})).await,
        Err(SocketError::Stopped)
    );
}

#[tokio::test]
async fn a_refused_token_ends_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let s = Running::start(dir.path(), Settings::default()).await;
    let (h, _events) = socket::spawn(config(&s.base, "not-a-token", 1));
    assert_eq!(
        until(&h, |s| !matches!(s, LinkState::Connecting)).await,
        LinkState::SessionExpired
    );
}

#[tokio::test]
async fn a_failed_first_connect_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Mint a token the way the server will, before it runs.
    let s = Running::start_on(dir.path().join("s.db"), port, Settings::default()).await;
    let api = ApiClient::new(&s.base, fast()).unwrap();
    let (_, id, token) = signed_in(&api, "n@c.test", Role::Nurse).await;
    let mut s = s;
    s.stop().await;

    let (h, _events) = socket::spawn(config(&s.base, &token, id));
    until(&h, |s| matches!(s, LinkState::Offline { .. })).await;
    assert_eq!(
        h.emit("heartbeat", json!({})).await,
        Err(SocketError::NotConnected)
    );
    let _s = Running::start_on(dir.path().join("s.db"), port, Settings::default()).await;
    until(&h, |s| matches!(s, LinkState::Online { .. })).await;
}

#[tokio::test]
async fn reconnects_after_restart_and_rejoins_the_open_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    // Compat mode: typing reaches only the conversation room, so hearing it proves the join.
    let compat = || Settings {
        production_compat: true,
        ..Settings::default()
    };
    let mut s = Running::start_on(db.clone(), 0, compat()).await;
    let port = s.port;
    let (nurse_user, patient_user, conv) = common::pair(&s.base).await;
    let (nurse, nurse_id, nurse_token) = (nurse_user.api, nurse_user.id, nurse_user.token);
    let (patient_id, patient_token) = (patient_user.id, patient_user.token);

    let (a, mut a_events) = socket::spawn(config(&s.base, &nurse_token, nurse_id));
    let (b, mut b_events) = socket::spawn(config(&s.base, &patient_token, patient_id));
    assert_eq!(
        until(&a, |s| matches!(s, LinkState::Online { .. })).await,
        LinkState::Online {
            features: Features::default(),
            connection: 1
        }
    );
    until(&b, |s| matches!(s, LinkState::Online { .. })).await;
    a.open_conversation(Some(conv));
    b.open_conversation(Some(conv));
    next_matching(&mut a_events, |e| {
        matches!(e, ServerEvent::JoinedConversation(_))
    })
    .await;
    next_matching(&mut b_events, |e| {
        matches!(e, ServerEvent::JoinedConversation(_))
    })
    .await;

    s.stop().await;
    until(&a, |s| !matches!(s, LinkState::Online { .. })).await;
    let _s = Running::start_on(db, port, compat()).await;
    until(&a, |s| matches!(s, LinkState::Online { .. })).await;
    until(&b, |s| matches!(s, LinkState::Online { .. })).await;
    next_matching(
        &mut a_events,
        |e| matches!(e, ServerEvent::JoinedConversation(c) if c.conversation_id == conv),
    )
    .await;

    // Once b has re-joined, b types: a hears it through the room.
    next_matching(
        &mut b_events,
        |e| matches!(e, ServerEvent::JoinedConversation(c) if c.conversation_id == conv),
    )
    .await;
    b.emit(
        "typing",
        json!({"conversationId": conv, "userId": patient_id, "isTyping": true}),
    )
    .await
    .unwrap();
    let t = next_matching(&mut a_events, |e| matches!(e, ServerEvent::UserTyping(_))).await;
    assert_eq!(
        t,
        ServerEvent::UserTyping(nursecare_wire::socket::UserTyping {
            user_id: patient_id,
            is_typing: true,
            conversation_id: None
        })
    );

    // Production's payload-less events decode: refreshMessages after startVideoCall.
    let call = nurse.start_call(conv).await.unwrap();
    b.emit(
        "startVideoCall",
        json!({"conversationId": conv, "roomName": call.call.room_name, "userId": patient_id, "callId": call.call.id}),
    )
    .await
    .unwrap();
    next_matching(&mut a_events, |e| {
        matches!(e, ServerEvent::IncomingVideoCall(_))
    })
    .await;
    next_matching(&mut a_events, |e| *e == ServerEvent::RefreshMessages(None)).await;
}

/// A TCP relay to the server that can be cut (both sides of every connection closed at once
/// and no new ones taken, as when the server's process dies or the network drops) or frozen
/// (nothing more passes either way and nothing is closed, as when a cable is pulled).
struct Relay {
    base: String,
    state: tokio::sync::watch::Sender<Link>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Link {
    Up,
    Cut,
    Frozen,
}

impl Relay {
    async fn start(target: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (state, state_rx) = tokio::sync::watch::channel(Link::Up);
        tokio::spawn(async move {
            let mut stop = state_rx.clone();
            loop {
                let (mut inbound, _) = tokio::select! {
                    a = listener.accept() => a.unwrap(),
                    _ = stop.wait_for(|l| *l != Link::Up) => return,
                };
                let mut stop = state_rx.clone();
                tokio::spawn(async move {
                    let mut outbound = tokio::net::TcpStream::connect(("127.0.0.1", target))
                        .await
                        .unwrap();
                    let how = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => Link::Cut,
                        l = stop.wait_for(|l| *l != Link::Up) => l.map(|l| *l).unwrap_or(Link::Cut),
                    };
                    if how == Link::Frozen {
                        // Both ends stay open and silent.
                        let _held = (inbound, outbound);
                        std::future::pending::<()>().await;
                    }
                });
            }
        });
        Self { base, state }
    }

    fn cut(&self) {
        let _ = self.state.send(Link::Cut);
    }

    fn freeze(&self) {
        let _ = self.state.send(Link::Frozen);
    }
}

#[tokio::test]
async fn a_dead_connection_is_noticed_at_once_not_at_the_next_heartbeat() {
    let dir = tempfile::tempdir().unwrap();
    // The server's own pings as production's (25 s), so they do not find the drop first.
    let slow_pings = nursecare_server::SocketTimings {
        ping_interval: Duration::from_secs(25),
        ping_timeout: Duration::from_secs(20),
    };
    let s = Running::start_with(dir.path().join("s.db"), 0, Settings::default(), slow_pings).await;
    let (nurse, _, _) = common::pair(&s.base).await;
    let relay = Relay::start(s.port).await;
    let (a, _events) = socket::spawn(SocketConfig {
        heartbeat: Duration::from_secs(60),
        dead_after: Duration::from_secs(60),
        ..config(&relay.base, &nurse.token, nurse.id)
    });
    until(&a, |s| matches!(s, LinkState::Online { .. })).await;
    relay.cut();
    let mut state = a.state();
    let noticed = tokio::time::timeout(
        Duration::from_secs(5),
        state.wait_for(|s| !matches!(s, LinkState::Online { .. })),
    )
    .await
    .map(|_| ());
    assert!(
        noticed.is_ok(),
        "still online 5 s after the connection died (the next heartbeat is 60 s away)"
    );
    a.stop().await;
}

async fn silent_listener() -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
            let _ = tx.send(());
        }
    });
    (base, rx)
}

#[tokio::test]
async fn commands_are_heard_while_connecting_to_a_silent_server() {
    let (base, mut accepted) = silent_listener().await;
    let mut cfg = config(&base, "token", 1);
    cfg.connect_timeout = Duration::from_secs(45);
    let (h, _events) = socket::spawn(cfg);
    tokio::time::timeout(WAIT, accepted.recv())
        .await
        .expect("never connected");
    // Inside the connect now, which would wait 45 s for an answer.
    let emitted = tokio::time::timeout(Duration::from_secs(1), h.emit("typing", json!({})))
        .await
        .expect("an emit waited for the connect");
    assert_eq!(emitted, Err(SocketError::NotConnected));
    tokio::time::timeout(Duration::from_secs(1), h.stop())
        .await
        .expect("stop waited for the connect");
    assert_eq!(*h.state().borrow(), LinkState::Stopped);
}

#[tokio::test]
async fn each_connection_has_its_own_number_so_a_busy_watcher_still_sees_a_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let mut s = Running::start_on(db.clone(), 0, Settings::default()).await;
    let port = s.port;
    let api = ApiClient::new(&s.base, fast()).unwrap();
    let (_, id, token) = signed_in(&api, "n@c.test", Role::Nurse).await;
    let (h, _events) = socket::spawn(config(&s.base, &token, id));
    // The busy watcher (the engine, say) sees the first connection, then looks away.
    let mut busy = h.state();
    let first = busy
        .wait_for(|s| matches!(s, LinkState::Online { .. }))
        .await
        .unwrap()
        .clone();
    // The link drops and comes back while it is not looking.
    s.stop().await;
    until(&h, |s| !matches!(s, LinkState::Online { .. })).await;
    let _s = Running::start_on(db, port, Settings::default()).await;
    until(&h, |s| matches!(s, LinkState::Online { .. })).await;
    let now = busy.borrow_and_update().clone();
    assert!(matches!(now, LinkState::Online { .. }));
    assert_ne!(
        now, first,
        "a new connection must not look like the old one"
    );
}

/// A server that closes the link itself (it stops: socket.io `disconnect`, Engine.IO `close`
/// and the WebSocket close frame) is offline at once, not at the next heartbeat, and the link
/// comes back with back-off once the server is up again.
#[tokio::test]
async fn a_server_that_closes_the_link_is_noticed_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let slow_pings = nursecare_server::SocketTimings {
        ping_interval: Duration::from_secs(25),
        ping_timeout: Duration::from_secs(20),
    };
    let db = dir.path().join("s.db");
    let mut s = Running::start_with(db.clone(), 0, Settings::default(), slow_pings).await;
    let (nurse, _, _) = common::pair(&s.base).await;
    let (a, _events) = socket::spawn(SocketConfig {
        heartbeat: Duration::from_secs(60),
        dead_after: Duration::from_secs(60),
        ..config(&s.base, &nurse.token, nurse.id)
    });
    until(&a, |s| matches!(s, LinkState::Online { .. })).await;
    let mut state = a.state();
    let stopping = tokio::spawn({
        let mut state = state.clone();
        async move {
            state
                .wait_for(|s| !matches!(s, LinkState::Online { .. }))
                .await
                .map(|s| s.clone())
                .ok()
        }
    });
    let at = std::time::Instant::now();
    s.stop().await;
    let offline = tokio::time::timeout(Duration::from_secs(2), stopping).await;
    assert!(
        offline.is_ok(),
        "still online 2 s after the server closed the link (the next heartbeat is 60 s away)"
    );
    eprintln!("offline {:?} after the stop began", at.elapsed());
    let port = s.port;
    let _again = Running::start_with(db, port, Settings::default(), slow_pings).await;
    tokio::time::timeout(
        WAIT,
        state.wait_for(|s| matches!(s, LinkState::Online { connection: 2, .. })),
    )
    .await
    .expect("never back online")
    .unwrap();
    a.stop().await;
}

/// A connection that dies silently (nothing comes back, nothing is closed) is noticed by the
/// server's Engine.IO pings, whose times our server sets (`--ping-interval`, `--ping-timeout`;
/// 0.5 s each here), long before the core's own heartbeat (60 s away here).
#[tokio::test]
async fn a_silent_death_is_noticed_within_the_servers_ping_times() {
    let dir = tempfile::tempdir().unwrap();
    let s = Running::start(dir.path(), Settings::default()).await;
    let (nurse, _, _) = common::pair(&s.base).await;
    let relay = Relay::start(s.port).await;
    let (a, _events) = socket::spawn(SocketConfig {
        heartbeat: Duration::from_secs(60),
        dead_after: Duration::from_secs(60),
        ..config(&relay.base, &nurse.token, nurse.id)
    });
    until(&a, |s| matches!(s, LinkState::Online { .. })).await;
    relay.freeze();
    let mut state = a.state();
    let noticed = tokio::time::timeout(
        Duration::from_secs(4),
        state.wait_for(|s| !matches!(s, LinkState::Online { .. })),
    )
    .await
    .map(|_| ());
    assert!(
        noticed.is_ok(),
        "still online 4 s after the link went silent (pings every 0.5 s, 0.5 s to answer)"
    );
    a.stop().await;
}
