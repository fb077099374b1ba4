//! The REST client against the real server on loopback (both protocol modes), and against a
//! dead port and a server that never answers.

use nursecare_core::api::{ApiClient, ApiConfig, ApiError};
use nursecare_server::Settings;
use nursecare_wire::rest::RegisterRequest;
use nursecare_wire::{CallStatus, Role};
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::{Running, fast};

async fn server(settings: Settings) -> (tempfile::TempDir, Running) {
    let dir = tempfile::tempdir().unwrap();
    let r = Running::start(dir.path(), settings).await;
    (dir, r)
}

async fn signed_in(api: &ApiClient, email: &str, role: Role) -> (ApiClient, i64) {
    let (c, id, _) = common::signed_in(api, email, role).await;
    (c, id)
}

async fn every_endpoint(settings: Settings) {
    let (_dir, s) = server(settings).await;
    let api = ApiClient::new(&s.base, fast()).unwrap();
    let (nurse, _) = signed_in(&api, "nurse@c.test", Role::Nurse).await;
    let (patient, patient_id) = signed_in(&api, "patient@c.test", Role::Patient).await;

    let conv = nurse
        .create_conversation(patient_id, Some(7))
        .await
        .unwrap();
    assert_eq!(conv.booking_id, Some(7));
    assert_eq!(conv.unread_count, None);
    let list = patient.conversations().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].unread_count, Some(0));
    assert!(nurse.messages(conv.id, 50, 0).await.unwrap().is_empty());
    assert_eq!(patient.mark_read(conv.id).await.unwrap(), 0);
    assert_eq!(patient.unread_count().await.unwrap(), 0);

    assert_eq!(
        nurse.ongoing_call(conv.id).await.unwrap(),
        None,
        "empty body is None"
    );
    let call = nurse.start_call(conv.id).await.unwrap();
    assert!(call.jitsi_url.ends_with(&call.call.room_name));
    assert_eq!(
        nurse.ongoing_call(conv.id).await.unwrap().map(|c| c.id),
        Some(call.call.id)
    );
    let found = patient
        .call_by_room(&call.call.room_name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.conversation.id, conv.id);
    assert_eq!(
        patient
            .call_by_room("nursecare-1-0000000000000000")
            .await
            .unwrap(),
        None
    );
    patient.accept_call(&call.call.room_name).await.unwrap();
    let ended = patient.end_call(call.call.id).await.unwrap();
    assert_eq!(ended.status, CallStatus::Ended);
    let second = nurse.start_call(conv.id).await.unwrap();
    assert_eq!(
        patient.reject_call(second.call.id).await.unwrap().status,
        CallStatus::Missed
    );
    let third = nurse.start_call(conv.id).await.unwrap();
    assert_eq!(
        nurse.missed_call(third.call.id).await.unwrap().status,
        CallStatus::Missed
    );
    assert_eq!(nurse.call_history(conv.id).await.unwrap().len(), 3);
    // The SYSTEM messages of those calls are in the history, read.
    let page = nurse.messages(conv.id, 50, 0).await.unwrap();
    assert!(
        page.iter()
            .all(|m| m.read && m.kind == nursecare_wire::MessageType::System)
    );
    assert_eq!(page.len(), 7);
}

#[tokio::test]
async fn every_endpoint_against_our_server() {
    every_endpoint(Settings::default()).await;
}

#[tokio::test]
async fn every_endpoint_against_production_compat() {
    every_endpoint(Settings {
        production_compat: true,
        ..Settings::default()
    })
    .await;
}

#[tokio::test]
async fn refusals_are_typed() {
    let (_dir, s) = server(Settings::default()).await;
    let api = ApiClient::new(&s.base, fast()).unwrap();
    let (nurse, _) = signed_in(&api, "nurse@c.test", Role::Nurse).await;
    let (_, patient_id) = signed_in(&api, "patient@c.test", Role::Patient).await;
    let (eve, _) = signed_in(&api, "eve@c.test", Role::Patient).await;
    let conv = nurse.create_conversation(patient_id, None).await.unwrap();

    assert_eq!(
        api.login("nurse@c.test", "wrong").await.unwrap_err(),
        ApiError::InvalidCredentials
    );
    assert_eq!(
        api.with_token("garbage").conversations().await.unwrap_err(),
        ApiError::SessionExpired
    );
    assert!(matches!(
        eve.messages(conv.id, 50, 0).await.unwrap_err(),
        ApiError::Forbidden(_)
    ));
    assert!(matches!(
        nurse.end_call(999).await.unwrap_err(),
        ApiError::NotFound(_)
    ));
    let e = api
        .register(&RegisterRequest {
            email: "x@c.test".into(),
            password: "123".into(),
            name: None,
            role: Role::Nurse,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiError::Rejected { status: 400, message } if message.contains("password")),
        "{e:?}"
    );
    for _ in 0..5 {
        let _ = api.login("nurse@c.test", "wrong").await;
    }
    assert!(matches!(
        api.login("nurse@c.test", "secret-pw").await.unwrap_err(),
        ApiError::RateLimited {
            retry_after_secs: Some(_)
        }
    ));
}

/// Our server answers a sign-in it is too busy to check with 503 and `Retry-After`: the user
/// is told the server is busy and when to try again, not that it "had a problem".
#[tokio::test]
async fn a_busy_server_says_so_at_sign_in() {
    let (_dir, s) = server(Settings {
        hash_turns: 1,
        hash_wait: Duration::from_millis(1),
        ..Settings::default()
    })
    .await;
    let api = ApiClient::new(&s.base, fast()).unwrap();
    let tries = (0..20).map(|i| {
        let api = api.clone();
        async move { api.login(&format!("who-{i}@c.test"), "guess-it-42").await }
    });
    let answers = futures_util::future::join_all(tries).await;
    let busy = answers
        .iter()
        .filter(|a| {
            matches!(
                a,
                Err(ApiError::Busy {
                    retry_after_secs: Some(1)
                })
            )
        })
        .count();
    assert!(busy > 0, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, Err(ApiError::Busy { .. } | ApiError::InvalidCredentials))),
        "{answers:?}"
    );
    let said = nursecare_core::ErrorKind::from(&ApiError::Busy {
        retry_after_secs: Some(1),
    })
    .sentence();
    assert_eq!(said, "The server is busy; try again in 1 s.");
}

#[tokio::test]
async fn a_dead_server_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = ApiClient::new(&format!("http://127.0.0.1:{port}"), fast()).unwrap();
    let e = api.conversations().await.unwrap_err();
    assert_eq!(e, ApiError::Unreachable);
    assert!(e.is_network());
}

#[tokio::test]
async fn a_silent_server_times_out_after_retries() {
    // Accepts connections and never answers, like a host that is still waking up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(sock);
        }
    });
    let config = ApiConfig {
        request_timeout: Duration::from_millis(300),
        attempts: 3,
        ..fast()
    };
    let api = ApiClient::new(&base, config).unwrap();
    assert_eq!(api.conversations().await.unwrap_err(), ApiError::Timeout);
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "a GET is tried three times"
    );
    let before = accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(api.start_call(1).await.unwrap_err(), ApiError::Timeout);
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst) - before,
        1,
        "a POST that may have arrived is not repeated"
    );
}

#[tokio::test]
async fn a_request_that_may_have_arrived_is_not_repeated_unless_it_is_a_get() {
    // Answers a status line and a promised body, then drops the connection mid-body: the
    // request reached the server (it may have acted on it), the answer did not arrive.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut sock, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"id\":")
                    .await;
                let _ = sock.shutdown().await;
            });
        }
    });
    let api = ApiClient::new(&base, fast()).unwrap().with_token("token");
    // Told as it is: it may have been done.
    assert_eq!(api.start_call(1).await.unwrap_err(), ApiError::AnswerLost);
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a POST whose answer broke off is not sent again"
    );
    let before = accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(api.conversations().await.unwrap_err(), ApiError::AnswerLost);
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst) - before,
        fast().attempts as usize,
        "a GET is tried again"
    );
}
