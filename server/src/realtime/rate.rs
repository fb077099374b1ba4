//! Per-socket event rates: 4,100 `typing` events in 5 s all reached a nurse, and 3,000 messages
//! in 6 s were all stored and delivered.
//!
//! Each socket has two token buckets, checked by its own queue's worker, so a fast socket slows
//! only itself. `typing` past its bucket is dropped (a typing flag is a state that the next one
//! replaces, and a receiver clears a stale one after 6 s). Every other event past its bucket
//! waits for a token instead of being refused: a client flushing its outbox after a night
//! offline loses nothing, and a flood fills the socket's queue, which disconnects it
//! ([`super::inbox::CAPACITY`]). Either way the sender hears one `exception` (no `clientId`: no
//! message was refused) at most every [`WARN_EVERY`].

use nursecare_wire::events::client as cev;
use std::time::{Duration, Instant};

/// The longest gap between two warnings to one socket.
pub const WARN_EVERY: Duration = Duration::from_secs(1);

/// A bucket's size and refill.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Events allowed at once.
    pub burst: u32,
    /// Events earned back per second.
    pub per_sec: f64,
}

/// The rates of every socket.
#[derive(Debug, Clone, Copy)]
pub struct SocketRates {
    /// `typing` (a client sends about one a second while its user types).
    pub typing: Rate,
    /// Every other event (a client sends one message at a time, awaiting each answer).
    pub events: Rate,
}

impl Default for SocketRates {
    fn default() -> Self {
        Self {
            typing: Rate {
                burst: 10,
                per_sec: 3.0,
            },
            events: Rate {
                burst: 60,
                per_sec: 20.0,
            },
        }
    }
}

#[derive(Debug)]
struct Bucket {
    rate: Rate,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: Rate, now: Instant) -> Self {
        Self {
            rate,
            tokens: f64::from(rate.burst),
            last: now,
        }
    }

    /// Takes a token, or answers how long until one is there.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let earned = now.duration_since(self.last).as_secs_f64() * self.rate.per_sec;
        self.tokens = (self.tokens + earned).min(f64::from(self.rate.burst));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64(
            (1.0 - self.tokens) / self.rate.per_sec.max(f64::MIN_POSITIVE),
        ))
    }
}

/// What to do with an event.
#[derive(Debug, PartialEq)]
pub enum Admit {
    /// Handle it now.
    Now,
    /// Handle it after this wait.
    After(Duration),
    /// Drop it.
    Drop,
}

/// One socket's buckets and when it was last warned.
#[derive(Debug)]
pub struct SocketRate {
    typing: Bucket,
    events: Bucket,
    warned: Option<Instant>,
}

impl SocketRate {
    /// Full buckets.
    pub fn new(rates: SocketRates, now: Instant) -> Self {
        Self {
            typing: Bucket::new(rates.typing, now),
            events: Bucket::new(rates.events, now),
            warned: None,
        }
    }

    /// The verdict for `event` arriving `now`.
    pub fn admit(&mut self, event: &str, now: Instant) -> Admit {
        if event == cev::TYPING {
            return match self.typing.take(now) {
                Ok(()) => Admit::Now,
                Err(_) => Admit::Drop,
            };
        }
        match self.events.take(now) {
            Ok(()) => Admit::Now,
            Err(wait) => {
                // The token waited for is spent when it comes.
                self.events.tokens -= 1.0;
                Admit::After(wait)
            }
        }
    }

    /// True when the socket should hear a warning now (at most one per [`WARN_EVERY`]).
    pub fn warn(&mut self, now: Instant) -> bool {
        if self
            .warned
            .is_some_and(|at| now.duration_since(at) < WARN_EVERY)
        {
            return false;
        }
        self.warned = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES: SocketRates = SocketRates {
        typing: Rate {
            burst: 2,
            per_sec: 1.0,
        },
        events: Rate {
            burst: 3,
            per_sec: 10.0,
        },
    };

    #[test]
    fn typing_past_its_bucket_is_dropped_and_earned_back() {
        let t0 = Instant::now();
        let mut r = SocketRate::new(RATES, t0);
        assert_eq!(r.admit(cev::TYPING, t0), Admit::Now);
        assert_eq!(r.admit(cev::TYPING, t0), Admit::Now);
        assert_eq!(r.admit(cev::TYPING, t0), Admit::Drop);
        assert_eq!(
            r.admit(cev::TYPING, t0 + Duration::from_secs(1)),
            Admit::Now
        );
        // Typing spends nothing of the other bucket.
        assert_eq!(r.admit(cev::SEND_MESSAGE, t0), Admit::Now);
    }

    #[test]
    fn other_events_past_their_bucket_wait_in_turn() {
        let t0 = Instant::now();
        let mut r = SocketRate::new(RATES, t0);
        for _ in 0..3 {
            assert_eq!(r.admit(cev::SEND_MESSAGE, t0), Admit::Now);
        }
        let waits: Vec<_> = (0..3)
            .map(|_| match r.admit(cev::SEND_MESSAGE, t0) {
                Admit::After(w) => (w.as_secs_f64() * 1000.0).round() as u64,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(waits, [100, 200, 300], "each waits for its own token");
    }

    #[test]
    fn warnings_are_spaced() {
        let t0 = Instant::now();
        let mut r = SocketRate::new(RATES, t0);
        assert!(r.warn(t0));
        assert!(!r.warn(t0 + WARN_EVERY / 2));
        assert!(r.warn(t0 + WARN_EVERY));
    }
}
