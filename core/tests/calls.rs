//! The user's call (`Event::MyCall`, `Client::current_call`) through every transition, against
//! the real server on loopback in both modes: our server (Part B: userRing, one call per
//! conversation, the missed-call timer) and production's protocol (`--production-compat`:
//! call events only in the chat's room, a call per start, no timer).

mod common;

use common::two::{Two, online, two};
use common::{Running, Side, TestUser, side};
use nursecare_core::Event;
use nursecare_core::events::{CallChange, Connection};
use nursecare_core::my_call::{CallNow, Direction, Phase};
use nursecare_server::Settings;
use nursecare_wire::{CallStatus, Id, MessageType, Role, VideoCallWithUrl};
use std::time::Duration;

/// The server's timer matches the clients' ring time (2 s in tests).
fn settings(compat: bool) -> Settings {
    Settings {
        missed_after: Duration::from_secs(2),
        ..common::two::settings(compat)
    }
}

/// Waits for the user's call to be reported as `want` says; answers it.
async fn until_mine(
    s: &mut Side,
    secs: u64,
    mut want: impl FnMut(&Option<CallNow>) -> bool,
) -> Option<CallNow> {
    match s
        .until(secs, |e| matches!(e, Event::MyCall { call } if want(call)))
        .await
    {
        Event::MyCall { call } => call,
        _ => unreachable!(),
    }
}

fn phase(p: Phase) -> impl FnMut(&Option<CallNow>) -> bool {
    move |c| c.as_ref().is_some_and(|c| c.phase == p)
}

fn over(c: &Option<CallNow>) -> bool {
    c.is_none()
}

/// `caller` calls in `conv`: answers the call once it rings out there and rings at `callee`.
async fn rung(caller: &mut Side, callee: &mut Side, conv: Id) -> VideoCallWithUrl {
    let call = caller.client.start_call(conv).await.unwrap();
    until_mine(caller, 5, phase(Phase::RingingOut)).await;
    callee
        .until(
            10,
            |e| matches!(e, Event::IncomingCall { call_id, .. } if *call_id == call.call.id),
        )
        .await;
    call
}

/// The nurse calls the patient, who answers: the call, and the nurse's call once in it.
async fn answered_call(
    nurse: &mut Side,
    patient: &mut Side,
    conv: Id,
) -> (VideoCallWithUrl, CallNow) {
    let call = rung(nurse, patient, conv).await;
    patient
        .client
        .accept_call(&call.call.room_name)
        .await
        .unwrap();
    let mine = until_mine(nurse, 10, phase(Phase::InCall)).await.unwrap();
    (call, mine)
}

/// How many times the conversation's notices say a call ended.
async fn ended_notices(u: &TestUser, conv: Id) -> usize {
    system_texts(u, conv)
        .await
        .into_iter()
        .filter(|t| t.starts_with("VIDEO_CALL_ENDED"))
        .count()
}

/// How a call is on the server.
async fn status(u: &TestUser, conv: Id, call: Id) -> CallStatus {
    let history = u.api.call_history(conv).await.unwrap();
    history.iter().find(|c| c.id == call).unwrap().status
}

/// The SYSTEM texts of a conversation, oldest first.
async fn system_texts(u: &TestUser, conv: Id) -> Vec<String> {
    let mut page = u.api.messages(conv, 100, 0).await.unwrap();
    page.reverse();
    page.into_iter()
        .filter(|m| m.kind == MessageType::System)
        .map(|m| m.content)
        .collect()
}

async fn answered(compat: bool, caller_hangs_up: bool) {
    let Two {
        n,
        p,
        conv,
        mut nurse,
        mut patient,
        dir: _dir,
        server: _server,
    } = two(settings(compat)).await;
    let call = nurse.client.start_call(conv).await.unwrap();
    let ringing = until_mine(&mut nurse, 5, phase(Phase::RingingOut))
        .await
        .unwrap();
    assert_eq!(
        (ringing.call_id, ringing.direction, ringing.in_call_since),
        (call.call.id, Direction::Outgoing, None)
    );
    patient
        .until(10, |e| matches!(e, Event::IncomingCall { .. }))
        .await;
    assert_eq!(
        patient.client.current_call(),
        None,
        "ringing is not a call yet"
    );
    patient
        .client
        .accept_call(&call.call.room_name)
        .await
        .unwrap();
    let theirs = until_mine(&mut patient, 5, phase(Phase::InCall))
        .await
        .unwrap();
    assert_eq!(
        (theirs.call_id, theirs.direction),
        (call.call.id, Direction::Incoming)
    );
    assert!(theirs.in_call_since.is_some());
    // The caller hears the answer (production: in the chat's room, where the nurse is), with
    // its conversation (production's `videoCallAccepted` names none).
    let accepted = nurse
        .until(10, |e| {
            matches!(
                e,
                Event::Call {
                    change: CallChange::Accepted,
                    ..
                }
            )
        })
        .await;
    assert!(
        matches!(accepted, Event::Call { conversation_id: Some(c), call_id: Some(id), .. } if c == conv && id == call.call.id),
        "{accepted:?}"
    );
    let mine = until_mine(&mut nurse, 10, phase(Phase::InCall))
        .await
        .unwrap();
    assert_eq!(mine.call_id, call.call.id);
    assert!(mine.in_call_since.is_some());

    let (hanging, other, other_id) = if caller_hangs_up {
        (&mut nurse, &mut patient, p.id)
    } else {
        (&mut patient, &mut nurse, n.id)
    };
    let _ = other_id;
    hanging.client.hang_up(call.call.id).await.unwrap();
    assert_eq!(hanging.client.current_call(), None);
    until_mine(hanging, 5, over).await;
    if compat && caller_hangs_up {
        // Production tells a hang-up only in the chat's room, where the patient is not: the
        // patient's core finds the call over by looking it up (with how it ended).
        other
            .until(10, |e| {
                matches!(e, Event::Call { change: CallChange::Ended, call_id: Some(id), .. } if *id == call.call.id)
            })
            .await;
        assert_eq!(until_mine(other, 5, |_| true).await, None);
    } else {
        other
            .until(10, |e| {
                matches!(e, Event::Call { change: CallChange::HungUp, call_id: Some(id), .. } if *id == call.call.id)
            })
            .await;
        assert_eq!(until_mine(other, 5, |_| true).await, None);
        assert_eq!(other.client.current_call(), None);
    }
    assert_eq!(status(&n, conv, call.call.id).await, CallStatus::Ended);
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answered_call_goes_in_call_and_ends_for_both_when_the_callee_hangs_up() {
    answered(false, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answered_call_ends_for_both_when_the_caller_hangs_up() {
    answered(false, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answered_call_against_production_compat() {
    answered(true, false).await;
    answered(true, true).await;
}

async fn rejected(compat: bool) {
    let Two {
        n,
        conv,
        mut nurse,
        mut patient,
        dir: _dir,
        server: _server,
        ..
    } = two(settings(compat)).await;
    let call = rung(&mut nurse, &mut patient, conv).await;
    patient.client.reject_call(call.call.id).await.unwrap();
    nurse
        .until(10, |e| {
            matches!(e, Event::Call { change: CallChange::Rejected, call_id: Some(id), .. } if *id == call.call.id)
        })
        .await;
    assert_eq!(until_mine(&mut nurse, 5, |_| true).await, None);
    assert_eq!(nurse.client.current_call(), None);
    assert_eq!(patient.client.current_call(), None);
    assert!(!missed_mark(&patient, conv).await, "declined is not missed");
    assert_eq!(status(&n, conv, call.call.id).await, CallStatus::Missed);
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rejected_call_ends_the_callers_call() {
    rejected(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rejected_call_against_production_compat() {
    rejected(true).await;
}

async fn unanswered(compat: bool) {
    let Two {
        n,
        conv,
        mut nurse,
        mut patient,
        dir,
        server,
        ..
    } = two(settings(compat)).await;
    let call = rung(&mut nurse, &mut patient, conv).await;
    // Nobody answers: our server's timer, or (production) the caller's core after the ring
    // time, marks it missed; the caller's call is over and the callee stops ringing.
    nurse
        .until(15, |e| {
            matches!(e, Event::Call { change: CallChange::Missed, call_id: Some(id), .. } if *id == call.call.id)
        })
        .await;
    assert_eq!(until_mine(&mut nurse, 5, |_| true).await, None);
    patient
        .until(15, |e| {
            matches!(e, Event::Call { change: CallChange::Missed | CallChange::StoppedRinging, call_id: Some(id), .. } if *id == call.call.id)
        })
        .await;
    assert_eq!(status(&n, conv, call.call.id).await, CallStatus::Missed);
    assert!(
        system_texts(&n, conv)
            .await
            .contains(&"VIDEO_CALL_MISSED".to_owned())
    );
    // The callee's chat keeps a missed-call mark, across a restart, until it is opened; the
    // caller's does not get one.
    until_missed_mark(&mut patient, conv, true).await;
    assert!(
        !missed_mark(&nurse, conv).await,
        "the caller missed nothing"
    );
    patient.client.shutdown().await;
    let mut patient = side(&server.base, &dir.path().join("patient"), "p@c.test").await;
    assert!(
        missed_mark(&patient, conv).await,
        "the mark survives a restart"
    );
    // Opened from a thread outside the runtime, as the window's command is (the UI thread).
    std::thread::scope(|t| {
        t.spawn(|| patient.client.open(Some(conv)));
    });
    until_missed_mark(&mut patient, conv, false).await;
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

/// Whether the cached row of `conv` carries a missed-call mark.
async fn missed_mark(s: &Side, conv: Id) -> bool {
    s.client
        .conversations()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == conv)
        .is_some_and(|c| c.missed_call)
}

/// Waits until the row of `conv` is announced with (or without) a missed-call mark.
async fn until_missed_mark(s: &mut Side, conv: Id, want: bool) {
    if missed_mark(s, conv).await == want {
        return;
    }
    s.until(5, |e| {
        matches!(e, Event::ConversationChanged { summary } if summary.id == conv && summary.missed_call == want)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nobody_answers_and_the_call_is_missed_by_the_servers_timer() {
    unanswered(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nobody_answers_and_the_callers_core_marks_it_missed_against_production_compat() {
    unanswered(true).await;
}

async fn both_hang_up(compat: bool) {
    let Two {
        n,
        conv,
        mut nurse,
        mut patient,
        dir: _dir,
        server: _server,
        ..
    } = two(settings(compat)).await;
    let (call, _) = answered_call(&mut nurse, &mut patient, conv).await;
    let id = call.call.id;
    let (a, b) = tokio::join!(nurse.client.hang_up(id), patient.client.hang_up(id));
    assert_eq!(a.unwrap().status, CallStatus::Ended);
    assert_eq!(b.unwrap().status, CallStatus::Ended);
    until_mine(&mut nurse, 5, over).await;
    until_mine(&mut patient, 5, over).await;
    assert_eq!(nurse.client.current_call(), None);
    assert_eq!(patient.client.current_call(), None);
    assert_eq!(status(&n, conv, id).await, CallStatus::Ended);
    let ended = ended_notices(&n, conv).await;
    // Our server ends a call once; production writes an ending for every `/end`.
    assert_eq!(ended, if compat { 2 } else { 1 });
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

/// The nurse leaves the computer's front (a shift change, a sign-out) during a call: a call
/// ringing out and a call on are hung up for the other side; with none, nothing happens.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leaving_the_front_hangs_up_a_call_ringing_out_or_on() {
    let Two {
        n,
        conv,
        mut nurse,
        mut patient,
        dir: _dir,
        server: _server,
        ..
    } = two(settings(false)).await;
    assert!(nurse.client.leave_call().await.unwrap().is_none());

    // Ringing out: over, and it no longer rings for the patient.
    let call = rung(&mut nurse, &mut patient, conv).await;
    let left = nurse.client.leave_call().await.unwrap().expect("hung up");
    assert_eq!(left.id, call.call.id);
    until_mine(&mut nurse, 5, over).await;
    patient
        .until(
            10,
            |e| matches!(e, Event::Call { call_id: Some(id), .. } if *id == call.call.id),
        )
        .await;
    assert_ne!(status(&n, conv, call.call.id).await, CallStatus::Ongoing);

    // On: the patient hears it hung up; it ended on the server.
    let (call, _) = answered_call(&mut nurse, &mut patient, conv).await;
    let left = nurse.client.leave_call().await.unwrap().expect("hung up");
    assert_eq!(left.status, CallStatus::Ended);
    until_mine(&mut nurse, 5, over).await;
    patient
        .until(10, |e| {
            matches!(e, Event::Call { change: CallChange::HungUp, call_id: Some(id), .. } if *id == call.call.id)
        })
        .await;
    assert_eq!(until_mine(&mut patient, 5, |_| true).await, None);
    assert_eq!(status(&n, conv, call.call.id).await, CallStatus::Ended);
    assert!(nurse.client.leave_call().await.unwrap().is_none());
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_hanging_up_at_once_end_the_call_once() {
    both_hang_up(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_hanging_up_at_once_against_production_compat() {
    both_hang_up(true).await;
}

async fn crossed(compat: bool) {
    let Two {
        n,
        conv,
        mut nurse,
        mut patient,
        dir: _dir,
        server: _server,
        ..
    } = two(settings(compat)).await;
    let (a, b) = tokio::join!(
        nurse.client.start_call(conv),
        patient.client.start_call(conv)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    // Both end up in one call, in the room of the older one.
    let nurse_in = until_mine(&mut nurse, 15, phase(Phase::InCall))
        .await
        .unwrap();
    let patient_in = until_mine(&mut patient, 15, phase(Phase::InCall))
        .await
        .unwrap();
    assert_eq!(nurse_in.call_id, patient_in.call_id);
    assert_eq!(nurse_in.room_name, patient_in.room_name);
    let winner = a.call.id.min(b.call.id);
    assert_eq!(nurse_in.call_id, winner);
    let history = n.api.call_history(conv).await.unwrap();
    let ongoing: Vec<_> = history
        .iter()
        .filter(|c| c.status == CallStatus::Ongoing)
        .map(|c| c.id)
        .collect();
    assert_eq!(ongoing, vec![winner], "one call left: {history:?}");
    if !compat {
        assert_eq!(history.len(), 1, "our server made one call: {history:?}");
    }
    nurse.client.hang_up(winner).await.unwrap();
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_starts_racing_end_in_one_call() {
    crossed(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_starts_racing_end_in_one_call_against_production_compat() {
    crossed(true).await;
}

async fn second_incoming(compat: bool) {
    let Two {
        n,
        p,
        conv,
        mut nurse,
        mut patient,
        dir,
        server,
    } = two(settings(compat)).await;
    let _ = p;
    let call = rung(&mut patient, &mut nurse, conv).await;
    nurse
        .client
        .accept_call(&call.call.room_name)
        .await
        .unwrap();
    until_mine(&mut nurse, 5, phase(Phase::InCall)).await;

    // A second patient calls the nurse during the call.
    let other = common::signed_in(
        &nursecare_core::api::ApiClient::new(&server.base, common::fast()).unwrap(),
        "p2@c.test",
        Role::Patient,
    )
    .await;
    let conv2 = other.0.create_conversation(n.id, None).await.unwrap().id;
    // Production tells nobody of a new conversation: the nurse's list learns it by a sync
    // (on every connect; here at once), and only then polls it for calls.
    nurse.client.sync().await.unwrap();
    let mut second = side(&server.base, &dir.path().join("p2"), "p2@c.test").await;
    online(&mut second).await;
    let call2 = second.client.start_call(conv2).await.unwrap();
    let rang = nurse
        .until(10, |e| matches!(e, Event::IncomingCall { .. }))
        .await;
    assert!(
        matches!(rang, Event::IncomingCall { call_id, .. } if call_id == call2.call.id),
        "{rang:?}"
    );
    // Still in the first call until the nurse accepts the second (the app asks first).
    assert_eq!(
        nurse.client.current_call().map(|c| c.call_id),
        Some(call.call.id)
    );
    nurse
        .client
        .accept_call(&call2.call.room_name)
        .await
        .unwrap();
    let now = until_mine(&mut nurse, 5, |c| {
        c.as_ref().is_some_and(|c| c.call_id == call2.call.id)
    })
    .await
    .unwrap();
    assert_eq!(now.phase, Phase::InCall);
    assert_eq!(status(&n, conv, call.call.id).await, CallStatus::Ended);
    assert_eq!(status(&n, conv2, call2.call.id).await, CallStatus::Ongoing);
    if !compat {
        // With userRing the first caller hears it.
        patient
            .until(10, |e| {
                matches!(e, Event::Call { change: CallChange::HungUp, call_id: Some(id), .. } if *id == call.call.id)
            })
            .await;
        assert_eq!(until_mine(&mut patient, 5, |_| true).await, None);
    }
    until_mine(&mut second, 10, phase(Phase::InCall)).await;
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
    second.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn accepting_a_second_call_hangs_up_the_first() {
    second_incoming(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn accepting_a_second_call_against_production_compat() {
    second_incoming(true).await;
}

async fn restart_during_a_call(compat: bool) {
    let jitsi = nursecare_server::jitsi::Jitsi::self_hosted(
        "https://meet.clinic.test",
        "clinic-app",
        "clinic-jitsi-app-secret-0123456789abcdef",
    )
    .unwrap();
    let Two {
        n,
        conv,
        mut nurse,
        mut patient,
        dir,
        server,
        ..
    } = two(Settings {
        jitsi: std::sync::Arc::new(jitsi),
        ..settings(compat)
    })
    .await;
    let (call, before) = answered_call(&mut nurse, &mut patient, conv).await;
    assert!(before.jitsi_jwt.is_some(), "the server signs tokens here");
    let texts = system_texts(&n, conv).await;

    // The app stops (a crash, a restart) during the call, and starts again.
    nurse.client.shutdown().await;
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    let offer = until_mine(&mut nurse, 10, phase(Phase::Rejoin))
        .await
        .unwrap();
    assert_eq!(offer.call_id, call.call.id);
    assert_eq!(offer.jitsi_jwt, None, "no token kept on disk");
    assert_eq!(offer.in_call_since, None, "offered, not joined");
    let snapshot = nurse.client.snapshot().await.unwrap();
    assert_eq!(snapshot.call.map(|c| c.phase), Some(Phase::Rejoin));
    let back = nurse.client.rejoin_call().await.unwrap();
    assert_eq!(back.call.id, call.call.id);
    let now = until_mine(&mut nurse, 5, phase(Phase::InCall))
        .await
        .unwrap();
    assert_eq!(now.direction, Direction::Outgoing);
    if compat {
        // Production's room lookup has no URL: the one kept from before serves.
        assert_eq!(now.jitsi_url, before.jitsi_url);
        assert_eq!(now.jitsi_jwt, None);
    } else {
        assert_eq!(now.jitsi_url, before.jitsi_url);
        assert!(now.jitsi_jwt.is_some(), "a fresh token for the rejoin");
    }
    assert_eq!(
        system_texts(&n, conv).await,
        texts,
        "a rejoin writes nothing"
    );

    // Over while this side is stopped: the next start offers nothing and forgets it.
    nurse.client.shutdown().await;
    patient.client.hang_up(call.call.id).await.unwrap();
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    // The check after connecting forgets the kept call (and says so), offering nothing.
    let told = until_mine(&mut nurse, 10, |_| true).await;
    assert_eq!(told, None);
    assert_eq!(nurse.client.current_call(), None);
    assert!(matches!(
        nurse.client.rejoin_call().await,
        Err(nursecare_core::ClientError::CallOver)
    ));
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_during_a_call_offers_rejoin_and_never_joins_by_itself() {
    restart_during_a_call(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_during_a_call_against_production_compat() {
    restart_during_a_call(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_call_from_the_same_device_is_refused_while_in_one() {
    let Two {
        conv,
        mut nurse,
        patient,
        dir: _dir,
        server: _server,
        ..
    } = two(settings(false)).await;
    let call = nurse.client.start_call(conv).await.unwrap();
    until_mine(&mut nurse, 5, phase(Phase::RingingOut)).await;
    assert!(matches!(
        nurse.client.start_call(conv).await,
        Err(nursecare_core::ClientError::InCall)
    ));
    nurse.client.hang_up(call.call.id).await.unwrap();
    patient.client.shutdown().await;
    nurse.client.shutdown().await;
}

/// The user hangs up while the server is down: the call is left here at once (the window
/// goes; "hanging up" shows) and the server hears of it on the next connection — after a
/// restart of the app too, when `restart`. With `other_first`, the other side hangs up while
/// this app is stopped: the call is let go as it ended, never ended twice (production's
/// `/end` would write a second notice and a new duration).
async fn hang_up_offline(compat: bool, restart: bool, other_first: bool) {
    let Two {
        n,
        conv,
        mut nurse,
        mut patient,
        dir,
        mut server,
        ..
    } = two(settings(compat)).await;
    let (call, _) = answered_call(&mut nurse, &mut patient, conv).await;
    let id = call.call.id;
    until_mine(&mut patient, 10, phase(Phase::InCall)).await;

    let (db, port) = (server.db.clone(), server.port);
    server.stop().await;
    nurse.until_connection(10, Connection::Offline).await;
    assert!(matches!(
        nurse.client.hang_up(id).await,
        Err(nursecare_core::ClientError::HangUpPending)
    ));
    let left = until_mine(&mut nurse, 5, phase(Phase::HangingUp))
        .await
        .unwrap();
    assert_eq!((left.call_id, left.in_call_since), (id, None));
    assert_eq!(
        nurse.client.current_call().map(|c| c.phase),
        Some(Phase::HangingUp)
    );
    // Nothing else is started meanwhile.
    assert!(matches!(
        nurse.client.start_call(conv).await,
        Err(nursecare_core::ClientError::Api(e)) if e.is_network()
    ));
    assert_eq!(
        nurse.client.current_call().map(|c| c.phase),
        Some(Phase::HangingUp)
    );

    let mut server = None;
    let mut ended_by_the_other = None;
    if restart {
        nurse.client.shutdown().await;
        if other_first {
            server = Some(Running::start_on(db.clone(), port, settings(compat)).await);
            patient.until_connection(20, Connection::Online).await;
            let ended = patient.client.hang_up(id).await.unwrap();
            ended_by_the_other = Some(ended.duration);
        }
        let base = format!("http://127.0.0.1:{port}");
        nurse = side(&base, &dir.path().join("nurse"), "n@c.test").await;
        let shown = until_mine(&mut nurse, 10, |_| true).await;
        assert_eq!(
            shown.map(|c| (c.call_id, c.phase)),
            Some((id, Phase::HangingUp)),
            "the kept call shows as hanging up before any connection"
        );
    }
    let _server = match server {
        Some(s) => s,
        None => Running::start_on(db, port, settings(compat)).await,
    };
    until_mine(&mut nurse, 20, over).await;
    assert_eq!(nurse.client.current_call(), None);
    assert_eq!(status(&n, conv, id).await, CallStatus::Ended);
    assert_eq!(ended_notices(&n, conv).await, 1, "ended once");
    if let Some(duration) = ended_by_the_other {
        let history = n.api.call_history(conv).await.unwrap();
        let now = history.iter().find(|c| c.id == id).unwrap();
        assert_eq!(now.duration, duration, "the other side's ending stands");
    }
    // The other side's call ends too (told by the socket event, or found over on reconnect).
    until_mine(&mut patient, 20, over).await;
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hanging_up_offline_ends_the_call_on_the_next_connection() {
    hang_up_offline(false, false, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hanging_up_offline_then_restarting_ends_it_against_production_compat() {
    hang_up_offline(true, true, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_call_left_offline_that_the_other_side_ended_is_not_ended_twice_against_production_compat()
 {
    hang_up_offline(true, true, true).await;
}

/// Our server refuses a start beside an answered call still ONGOING (here: the nurse's other
/// device is in it): the start offers that call for rejoining instead, and rejoining works.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_start_beside_a_call_going_on_offers_it_for_rejoining() {
    let Two {
        n,
        conv,
        mut nurse,
        mut patient,
        dir,
        server,
        ..
    } = two(settings(false)).await;
    let (call, _) = answered_call(&mut nurse, &mut patient, conv).await;
    let texts = system_texts(&n, conv).await;

    let mut other_device = side(&server.base, &dir.path().join("nurse-2"), "n@c.test").await;
    online(&mut other_device).await;
    assert!(matches!(
        other_device.client.start_call(conv).await,
        Err(nursecare_core::ClientError::CallGoingOn(id)) if id == call.call.id
    ));
    let offer = until_mine(&mut other_device, 5, phase(Phase::Rejoin))
        .await
        .unwrap();
    assert_eq!(
        (offer.call_id, offer.direction),
        (call.call.id, Direction::Outgoing)
    );
    assert_eq!(status(&n, conv, call.call.id).await, CallStatus::Ongoing);
    assert_eq!(system_texts(&n, conv).await, texts, "nothing written");
    assert_eq!(
        nurse.client.current_call().map(|c| c.phase),
        Some(Phase::InCall)
    );
    let back = other_device.client.rejoin_call().await.unwrap();
    assert_eq!(back.call.id, call.call.id);
    assert!(back.jitsi_url.contains(&call.call.room_name));
    until_mine(&mut other_device, 5, phase(Phase::InCall)).await;
    other_device.client.shutdown().await;
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

/// Production: someone new starts a conversation and calls at once (no message, no userRing,
/// the callee not in its room). The ring poll asks the server for the list often enough that
/// the call still rings within its ring time, the conversation synced before it rings.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_call_in_a_conversation_newer_than_the_last_sync_rings_against_production_compat() {
    let Two {
        n,
        mut nurse,
        patient,
        dir: _dir,
        server,
        ..
    } = two(settings(true)).await;
    let api = nursecare_core::api::ApiClient::new(&server.base, common::fast()).unwrap();
    let (newcomer, _, _) = common::signed_in(&api, "new@c.test", Role::Patient).await;
    let conv = newcomer.create_conversation(n.id, None).await.unwrap().id;
    let call = newcomer.start_call(conv).await.unwrap();
    // Synced first, so the ring can name the caller; then it rings, within its ring time.
    nurse
        .until(2, |e| {
            matches!(e, Event::ConversationList { conversations } if conversations.iter().any(|c| c.id == conv))
        })
        .await;
    nurse
        .until(2, |e| {
            matches!(e, Event::IncomingCall { call_id, conversation_id, .. }
                if *call_id == call.call.id && *conversation_id == conv)
        })
        .await;
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

/// Waits (on the side's events, 2 s at most) until every SYSTEM notice the server holds for
/// `conv` was announced to the side (what its thread shows), and its row's preview is the
/// server's newest message.
async fn notices_reach(s: &mut Side, u: &TestUser, conv: Id) {
    let server = u.api.messages(conv, 100, 0).await.unwrap();
    let want: Vec<Id> = server
        .iter()
        .filter(|m| m.kind == MessageType::System)
        .map(|m| m.id)
        .collect();
    let newest = server.first().map(|m| m.id);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let preview = s
            .client
            .conversations()
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.id == conv)
            .and_then(|c| c.last_message)
            .map(|m| m.id);
        let missing: Vec<&Id> = want.iter().filter(|id| !s.announced.contains(id)).collect();
        if missing.is_empty() && preview == newest {
            return;
        }
        match tokio::time::timeout_at(deadline, s.next()).await {
            Ok(Some(_)) => {}
            _ => panic!(
                "within 2 s, notices {missing:?} never reached the thread (preview {preview:?}, \
                 the server's newest {newest:?}); the server holds {:?}",
                system_texts(u, conv).await
            ),
        }
    }
}

/// Every notice the server writes about a call (started, joined, declined, ended, missed)
/// reaches both sides' threads and previews within 2 s of the step, whoever took it and
/// whether the chat is open (the nurse's) or not (the patient's).
async fn call_notices(compat: bool) {
    let Two {
        n,
        conv,
        mut nurse,
        mut patient,
        dir: _dir,
        server: _server,
        ..
    } = two(settings(compat)).await;
    macro_rules! both {
        () => {
            notices_reach(&mut nurse, &n, conv).await;
            notices_reach(&mut patient, &n, conv).await;
        };
    }
    // Started by the nurse, answered and hung up by the patient.
    let (call, _) = answered_call(&mut nurse, &mut patient, conv).await;
    both!();
    patient.client.hang_up(call.call.id).await.unwrap();
    until_mine(&mut patient, 5, over).await;
    both!();
    // Started by the patient, declined by the nurse.
    let call = rung(&mut patient, &mut nurse, conv).await;
    both!();
    nurse.client.reject_call(call.call.id).await.unwrap();
    until_mine(&mut patient, 10, over).await;
    both!();
    // Nobody answers.
    let call = rung(&mut nurse, &mut patient, conv).await;
    nurse
        .until(15, |e| {
            matches!(e, Event::Call { change: CallChange::Missed, call_id: Some(id), .. } if *id == call.call.id)
        })
        .await;
    assert!(
        system_texts(&n, conv)
            .await
            .contains(&"VIDEO_CALL_MISSED".to_owned())
    );
    both!();
    nurse.client.shutdown().await;
    patient.client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_call_notice_reaches_both_threads_within_two_seconds() {
    call_notices(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_call_notice_reaches_both_threads_against_production_compat() {
    call_notices(true).await;
}
