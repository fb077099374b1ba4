//! `call start --hold SECS` against the real server binary (demo data): the call is printed
//! first and the final call last, exit code 0 however the call ended, and `/end` sent only by
//! whoever ends it (once), never by the CLI for a call that is already over.

mod support;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};
use support::{CHLOE, Clinic, DEMO_PASSWORD};

const END: &str = "/video-calls/{id}/end";

/// A server, Amara and Chloe signed in, and their conversation's id.
impl Clinic {
    /// Amara runs `call start <conv> --hold SECS` (JSON lines unless `human`).
    fn hold(&self, secs: u64, human: bool, env: &[(&str, &str)]) -> Holding {
        let secs = secs.to_string();
        let mut args = vec!["call", "start", &self.conversation, "--hold", &secs];
        if !human {
            args.insert(0, "--json");
        }
        let mut cmd = self.amara.command(&args);
        cmd.envs(env.iter().copied());
        let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Holding {
            child,
            lines,
            seen: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Amara's unread messages in the conversation.
    fn unread(&self) -> i64 {
        let list = self.amara.json(&["conversations"]);
        let id: i64 = self.conversation.parse().unwrap();
        let row = list.as_array().unwrap().iter().find(|c| c["id"] == id);
        row.unwrap()["unread"].as_i64().unwrap()
    }

    /// The conversation's calls from `id` on (the demo's older calls left out).
    fn calls_since(&self, id: i64) -> Vec<Value> {
        let all = self.chloe.json(&["call", "history", &self.conversation]);
        all.as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"].as_i64().unwrap() >= id)
            .cloned()
            .collect()
    }
}

/// The running CLI and what it printed so far.
struct Holding {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    started: Instant,
}

impl Holding {
    /// The next line printed, within 20 s.
    fn next(&mut self) -> String {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no line came; printed so far: {:?}", self.seen));
        self.seen.push(line.clone());
        line
    }

    /// The first line: the call as started.
    fn first_call(&mut self) -> Value {
        let call: Value = serde_json::from_str(&self.next()).unwrap();
        assert_eq!(call["status"], "ONGOING", "{call}");
        let room = call["roomName"].as_str().unwrap();
        assert!(room.starts_with("nursecare-"), "{call}");
        assert!(call["jitsiUrl"].as_str().unwrap().ends_with(room), "{call}");
        call
    }

    /// Waits (up to `within`) for the CLI to exit; answers its exit code and every line it
    /// printed.
    fn finish(mut self, within: Duration) -> (Option<i32>, Vec<String>) {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the CLI did not exit in {within:?}; printed: {:?}",
                    self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        // The reader ends with the pipe.
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        (status.code(), self.seen)
    }

    /// JSON lines: checks exit code 0, the first line is the call, and answers the last line
    /// (the final call, same id) and the events between.
    fn finish_json(self, within: Duration) -> (Value, Vec<Value>) {
        let (code, lines) = self.finish(within);
        assert_eq!(code, Some(0), "{lines:?}");
        let values: Vec<Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let first = &values[0];
        let last = values.last().unwrap().clone();
        assert_eq!(last["id"], first["id"], "{lines:?}");
        assert_eq!(last["roomName"], first["roomName"], "{lines:?}");
        let events = values[1..values.len() - 1].to_vec();
        for e in &events {
            assert_eq!(e["event"], "call", "only the call's events: {lines:?}");
            // Production's ending names no call.
            assert!(
                e["callId"] == first["id"] || e["callId"].is_null(),
                "only this call's events: {lines:?}"
            );
        }
        (last, events)
    }
}

fn changes(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["change"].as_str().unwrap())
        .collect()
}

/// (1) Nobody answers, and the hold runs out before the server's missed-call timer: the CLI
/// ends the call, with one `/end`.
#[test]
fn the_hold_ends_an_unanswered_call() {
    let clinic = Clinic::start(false, &[]);
    let unread = clinic.unread();
    let mut hold = clinic.hold(3, false, &[]);
    let call = hold.first_call();
    let (last, events) = hold.finish_json(Duration::from_secs(20));
    // Call events reach every socket here: no join, so nothing was marked read.
    assert_eq!(clinic.unread(), unread);
    assert_eq!(last["status"], "ENDED", "{last}");
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(clinic.server.requests("PATCH", END), 1);
    let calls = clinic.calls_since(call["id"].as_i64().unwrap());
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["status"], "ENDED");
}

/// The server's timer marks the unanswered call MISSED before the hold runs out: the CLI stops
/// there, without `/end`.
#[test]
fn a_missed_call_ends_the_hold() {
    let clinic = Clinic::start(false, &["--missed-after", "2"]);
    let mut hold = clinic.hold(60, false, &[]);
    hold.first_call();
    let started = hold.started;
    let (last, events) = hold.finish_json(Duration::from_secs(30));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(last["status"], "MISSED", "{last}");
    assert_eq!(changes(&events), ["missed"]);
    assert_eq!(clinic.server.requests("PATCH", END), 0);
}

/// (2) Chloe accepts, then ends the call long before the hold runs out: the CLI stops at her
/// end, sends no `/end` of its own, and its last line is the call ENDED.
#[test]
fn the_other_side_ends_the_call() {
    other_side_ends(false);
}

/// The same on production's protocol, whose `videoCallEnded` names neither call nor
/// conversation.
#[test]
fn the_other_side_ends_the_call_in_compat() {
    other_side_ends(true);
}

fn other_side_ends(compat: bool) {
    let clinic = Clinic::start(compat, &[]);
    let mut hold = clinic.hold(120, false, &[]);
    let call = hold.first_call();
    let id = call["id"].as_i64().unwrap();
    clinic
        .chloe
        .json(&["call", "accept", call["roomName"].as_str().unwrap()]);
    let accepted: Value = serde_json::from_str(&hold.next()).unwrap();
    assert_eq!(accepted["change"], "accepted", "{accepted}");
    let ended = clinic.chloe.json(&["call", "end", &id.to_string()]);
    assert_eq!(ended["status"], "ENDED");
    let asked = Instant::now();
    let (last, events) = hold.finish_json(Duration::from_secs(60));
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "the CLI took {:?} to stop after the end",
        asked.elapsed()
    );
    assert_eq!(changes(&events), ["accepted", "ended"]);
    assert_eq!(last["status"], "ENDED", "{last}");
    assert_eq!(last["duration"], ended["duration"]);
    // Chloe's `/end` only.
    assert_eq!(clinic.server.requests("PATCH", END), 1);
    let calls = clinic.calls_since(id);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["status"], "ENDED");
}

/// Chloe ends the call over REST only, so no event tells the CLI: when the hold runs out it
/// finds the call over on the server and sends no `/end` of its own.
#[test]
fn a_call_ended_unheard_is_not_ended_again() {
    let clinic = Clinic::start(false, &[]);
    let mut hold = clinic.hold(4, false, &[]);
    let call = hold.first_call();
    let id = call["id"].as_i64().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ended = rt.block_on(async {
        let api =
            nursecare_core::api::ApiClient::new(&clinic.server.base(), Default::default()).unwrap();
        let token = api.login(CHLOE, DEMO_PASSWORD).await.unwrap().access_token;
        api.with_token(&token).end_call(id).await.unwrap()
    });
    assert_eq!(ended.status.as_str(), "ENDED");
    let (last, events) = hold.finish_json(Duration::from_secs(30));
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(last["status"], "ENDED", "{last}");
    assert_eq!(
        last["endedAt"],
        serde_json::to_value(ended.ended_at).unwrap()
    );
    assert_eq!(clinic.server.requests("PATCH", END), 1);
}

/// Chloe declines: the CLI stops there, without `/end`. Read as a person would (no --json):
/// the call and its URL first, the final call last.
#[test]
fn a_declined_call_ends_the_hold() {
    let clinic = Clinic::start(false, &[]);
    let mut hold = clinic.hold(120, true, &[]);
    let first = hold.next();
    assert!(first.contains(" ONGOING room nursecare-"), "{first}");
    let id = first.split_whitespace().nth(1).unwrap().to_owned();
    let room = first.rsplit(' ').next().unwrap().to_owned();
    assert!(hold.next().ends_with(&room));
    clinic.chloe.json(&["call", "reject", &id]);
    let (code, lines) = hold.finish(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{lines:?}");
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[2], format!("call {id} declined by user 3"));
    let last = &lines[3];
    assert!(last.starts_with(&format!("call {id} [")), "{last}");
    assert!(last.ends_with(&format!(" MISSED room {room}")), "{last}");
    assert_eq!(clinic.server.requests("PATCH", END), 0);
}

/// Ctrl-C ends the call at once, as the hold running out would.
#[test]
#[cfg_attr(
    windows,
    ignore = "Windows sends Ctrl+C to a console, not to a child process as a signal"
)]
fn ctrl_c_ends_the_call() {
    #[cfg(unix)]
    ctrl_c_ends_the_call_on_unix();
}

#[cfg(unix)]
fn ctrl_c_ends_the_call_on_unix() {
    let clinic = Clinic::start(false, &[]);
    let mut hold = clinic.hold(120, false, &[]);
    hold.first_call();
    let pid = hold.child.id() as libc::pid_t;
    // SAFETY: a signal to our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let (last, events) = hold.finish_json(Duration::from_secs(30));
    assert_eq!(last["status"], "ENDED", "{last}");
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(clinic.server.requests("PATCH", END), 1);
}

/// (3) Production's protocol, where an accepted call stays ONGOING: Chloe accepts, and the
/// hold outlasts the moment the caller's core decides "missed or not" (the ring time, 5 s
/// here through the hidden `NURSECARE_RING_FOR`, plus one 5 s poll). The call is not marked
/// missed; when the hold runs out the CLI ends it.
#[test]
fn an_accepted_call_held_past_the_ring_time_in_compat() {
    let clinic = Clinic::start(true, &[]);
    let mut hold = clinic.hold(13, false, &[("NURSECARE_RING_FOR", "5")]);
    let call = hold.first_call();
    let printed = Instant::now();
    clinic
        .chloe
        .json(&["call", "accept", call["roomName"].as_str().unwrap()]);
    assert!(
        printed.elapsed() < Duration::from_secs(4),
        "Chloe accepted {:?} after the start: too late to tell an answered call from a missed one",
        printed.elapsed()
    );
    let started = hold.started;
    let (last, events) = hold.finish_json(Duration::from_secs(40));
    assert!(
        started.elapsed() >= Duration::from_secs(13),
        "the hold ran out"
    );
    assert_eq!(changes(&events), ["accepted"]);
    assert_eq!(last["status"], "ENDED", "{last}");
    assert_eq!(clinic.server.requests("PATCH", END), 1);
    assert_eq!(
        clinic.server.requests("PATCH", "/video-calls/{id}/missed"),
        0
    );
    let calls = clinic.calls_since(call["id"].as_i64().unwrap());
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["status"], "ENDED");
}

/// The contrast: on production's protocol nobody answers, so the caller's core marks the call
/// missed at the ring time, and the hold stops there without `/end`.
#[test]
fn an_unanswered_call_is_missed_at_the_ring_time_in_compat() {
    let clinic = Clinic::start(true, &[]);
    let mut hold = clinic.hold(60, false, &[("NURSECARE_RING_FOR", "2")]);
    hold.first_call();
    let started = hold.started;
    let (last, events) = hold.finish_json(Duration::from_secs(30));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(changes(&events), ["missed"]);
    assert_eq!(last["status"], "MISSED", "{last}");
    assert_eq!(clinic.server.requests("PATCH", END), 0);
    assert_eq!(
        clinic.server.requests("PATCH", "/video-calls/{id}/missed"),
        1
    );
}
