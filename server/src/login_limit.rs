//! Failed-login limiting per (account, address) (Part B.7).
//!
//! After [`FREE_FAILURES`] failures in a row, each further attempt on that pair waits a lock-out
//! that doubles from [`FIRST_LOCK`] up to [`MAX_LOCK`]. The lock is checked before the password
//! is, so a locked pair learns nothing. A success clears the pair. Kept in memory: a restart
//! forgets it, which only gives an attacker a few more tries per restart.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before the lock-out starts.
pub const FREE_FAILURES: u32 = 5;
/// The first lock-out.
pub const FIRST_LOCK: Duration = Duration::from_secs(30);
/// The longest lock-out.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Entries idle this long are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    locked_until: Option<Instant>,
    last: Instant,
}

/// The failure table.
#[derive(Default)]
pub struct LoginLimiter {
    entries: Mutex<HashMap<(String, IpAddr), Entry>>,
}

impl LoginLimiter {
    /// `Err(seconds to wait)` while the pair is locked.
    pub fn check(&self, email: &str, addr: IpAddr, now: Instant) -> Result<(), u64> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries
            .get(&(email.to_lowercase(), addr))
            .and_then(|e| e.locked_until)
        {
            Some(until) if until > now => Err((until - now).as_secs_f64().ceil() as u64),
            _ => Ok(()),
        }
    }

    /// Records a failure; answers the lock-out it starts, if any.
    pub fn failed(&self, email: &str, addr: IpAddr, now: Instant) -> Option<Duration> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 100_000 {
            entries.retain(|_, e| now.duration_since(e.last) < FORGET_AFTER);
        }
        let e = entries
            .entry((email.to_lowercase(), addr))
            .or_insert(Entry {
                failures: 0,
                locked_until: None,
                last: now,
            });
        e.failures += 1;
        e.last = now;
        if e.failures < FREE_FAILURES {
            return None;
        }
        let doublings = (e.failures - FREE_FAILURES).min(10);
        let lock = (FIRST_LOCK * 2u32.pow(doublings)).min(MAX_LOCK);
        e.locked_until = Some(now + lock);
        Some(lock)
    }

    /// Clears the pair after a good login.
    pub fn succeeded(&self, email: &str, addr: IpAddr) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&(email.to_lowercase(), addr));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_free_failures_and_doubles() {
        let l = LoginLimiter::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 1..FREE_FAILURES {
            assert_eq!(l.failed("a@x", ip, t0), None);
            assert!(l.check("a@x", ip, t0).is_ok());
        }
        assert_eq!(l.failed("A@x", ip, t0), Some(FIRST_LOCK));
        assert_eq!(l.check("a@x", ip, t0), Err(FIRST_LOCK.as_secs()));
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(l.check("a@x", other, t0).is_ok(), "per address");
        let later = t0 + FIRST_LOCK;
        assert!(l.check("a@x", ip, later).is_ok());
        assert_eq!(l.failed("a@x", ip, later), Some(FIRST_LOCK * 2));
        l.succeeded("a@x", ip);
        assert!(l.check("a@x", ip, later).is_ok());
    }
}
