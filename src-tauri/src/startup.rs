//! Where start-up time goes: each step of a start logged once at info level, in ms since the
//! process began, so the slowest one is found (and cut) from a log line, not a guess.

use std::sync::{Mutex, OnceLock};
use std::time::{Instant, SystemTime};

static BEGAN: OnceLock<(Instant, SystemTime)> = OnceLock::new();
static LOGGED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// The process began (called first thing in `run`).
pub fn began() {
    BEGAN.get_or_init(|| (Instant::now(), SystemTime::now()));
}

/// `name` was reached: logged the first time only.
pub fn step(name: &'static str) {
    let Some((began, _)) = BEGAN.get() else {
        return;
    };
    let mut logged = LOGGED.lock().expect("start-up lock");
    if logged.contains(&name) {
        return;
    }
    logged.push(name);
    let ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(step = name, ms, "start-up");
}

/// The page's own steps, placed on the process's clock (the page counts from its time origin,
/// an epoch time).
pub fn page(times: &crate::ui_types::PageTimes) {
    let Some((_, began)) = BEGAN.get() else {
        return;
    };
    let Ok(since_epoch) = began.duration_since(SystemTime::UNIX_EPOCH) else {
        return;
    };
    let origin = times.time_origin - since_epoch.as_secs_f64() * 1000.0;
    for (name, at) in [
        ("page: navigation began", 0.0),
        ("page: document arrived", times.document),
        ("page: script began", times.script),
        ("page: attach answered", times.attached),
        ("page: first snapshot applied", times.snapshot),
        ("page: list rendered", times.rendered),
        ("page: list laid out", times.laid_out),
        ("page: list painted", times.painted),
    ] {
        if at.is_finite() && at >= 0.0 {
            let ms = (origin + at).max(0.0).round() as u64;
            tracing::info!(step = name, ms, "start-up");
        }
    }
}
