//! Where start-up time goes: each step of a start logged once at info level, in ms since the
//! process began, so the slowest one is found (and cut) from a log line, not a guess.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

static BEGAN: OnceLock<Instant> = OnceLock::new();
static LOGGED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// The process began (called first thing in `run`).
pub fn began() {
    BEGAN.get_or_init(Instant::now);
}

/// `name` was reached: logged the first time only.
pub fn step(name: &'static str) {
    let Some(began) = BEGAN.get() else { return };
    let mut logged = LOGGED.lock().expect("start-up lock");
    if logged.contains(&name) {
        return;
    }
    logged.push(name);
    let ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(step = name, ms, "start-up");
}
