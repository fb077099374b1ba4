//! `call watch` against the real server binary (demo data), in both modes: Chloe (a patient)
//! watches, Amara (a nurse) calls with the CLI. The first line says it is waiting, then the
//! incoming call, then what became of it; exit code 0 however the call ended.

mod support;

use serde_json::Value;
use support::{Clinic, Running};

impl Clinic {
    /// Chloe runs `call watch` with `args`, and it is waiting.
    fn watch(&self, args: &[&str]) -> Running {
        let mut all = vec!["--json", "call", "watch"];
        all.extend_from_slice(args);
        let mut w = Running::spawn(&self.chloe, &all);
        assert_eq!(w.next()["waiting"], true);
        w
    }

    /// Amara starts a call (no hold); answers it.
    fn call(&self) -> Value {
        self.amara.json(&["call", "start", &self.conversation])
    }

    fn status(&self, id: &Value) -> String {
        let all = self.amara.json(&["call", "history", &self.conversation]);
        let call = all.as_array().unwrap().iter().find(|c| &c["id"] == id);
        call.unwrap()["status"].as_str().unwrap().to_owned()
    }
}

fn accepted_and_ended_by_the_caller(compat: bool) {
    let clinic = Clinic::start(compat, &[]);
    let mut watch = clinic.watch(&["--accept"]);
    let call = clinic.call();
    let incoming = watch.next();
    assert_eq!(incoming["incomingCall"], call["id"], "{incoming}");
    let answered = watch.next();
    assert_eq!(answered["id"], call["id"]);
    assert!(
        answered["jitsiUrl"]
            .as_str()
            .unwrap()
            .ends_with(call["roomName"].as_str().unwrap())
    );
    assert_eq!(clinic.status(&call["id"]), "ONGOING");
    // The caller hangs up (with the CLI, from another process): the watch ends with the call.
    let id = call["id"].to_string();
    clinic.amara.expect(0, &["call", "end", &id]);
    let rest = watch.finish_json();
    let last = rest.last().unwrap();
    assert_eq!(
        (&last["id"], &last["status"]),
        (&call["id"], &Value::from("ENDED")),
        "{rest:?}"
    );
}

#[test]
fn accept_stays_on_the_call_until_the_caller_ends_it() {
    accepted_and_ended_by_the_caller(false);
}

#[test]
fn accept_with_hold_against_production_compat() {
    // Production tells an ending only in the chat's room, which the watcher is not in: on
    // production the watcher holds the call for SECS and hangs up itself.
    let clinic = Clinic::start(true, &[]);
    let mut watch = clinic.watch(&["--accept", "--hold", "3"]);
    let call = clinic.call();
    assert_eq!(watch.next()["incomingCall"], call["id"]);
    assert_eq!(watch.next()["id"], call["id"]);
    let rest = watch.finish_json();
    let last = rest.last().unwrap();
    assert_eq!(last["status"], "ENDED", "{rest:?}");
    assert_eq!(clinic.server.requests("PATCH", "/video-calls/{id}/end"), 1);
}

#[test]
fn accept_with_hold_hangs_up_when_the_time_is_up() {
    let clinic = Clinic::start(false, &[]);
    let mut watch = clinic.watch(&["--accept", "--hold", "2"]);
    let call = clinic.call();
    assert_eq!(watch.next()["incomingCall"], call["id"]);
    assert_eq!(watch.next()["id"], call["id"]);
    let rest = watch.finish_json();
    assert_eq!(rest.last().unwrap()["status"], "ENDED", "{rest:?}");
    assert_eq!(clinic.status(&call["id"]), "ENDED");
    assert_eq!(clinic.server.requests("PATCH", "/video-calls/{id}/end"), 1);
}

fn rejected(compat: bool) {
    let clinic = Clinic::start(compat, &[]);
    let mut watch = clinic.watch(&["--reject"]);
    let call = clinic.call();
    assert_eq!(watch.next()["incomingCall"], call["id"]);
    let rest = watch.finish_json();
    assert_eq!(rest.last().unwrap()["status"], "MISSED", "{rest:?}");
    assert_eq!(clinic.status(&call["id"]), "MISSED");
}

#[test]
fn reject_declines_the_first_call() {
    rejected(false);
}

#[test]
fn reject_declines_the_first_call_against_production_compat() {
    rejected(true);
}
