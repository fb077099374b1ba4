//! Typing indicators, both ways (contract Part C), as plain state machines over `Instant`s so
//! the timing rules are tested without sleeping.
//!
//! Shown (others typing): from `isTyping:true` until `isTyping:false` or [`SHOW_FOR`] after the
//! last `true` (a sender that vanished mid-word must not type forever).
//! Sent (the user typing): `true` on the first keystroke and again at most every [`RESEND`]
//! while typing; `false` after [`IDLE`] without a keystroke, or when the message is sent.

use nursecare_wire::Id;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long an indicator stays without a fresh `true`.
pub const SHOW_FOR: Duration = Duration::from_secs(6);
/// The shortest gap between two `true`s sent for one conversation.
pub const RESEND: Duration = Duration::from_secs(3);
/// Idle time after which the user is no longer typing.
pub const IDLE: Duration = Duration::from_secs(2);

/// Who is shown typing where.
#[derive(Debug, Default)]
pub struct Shown {
    since: HashMap<(Id, Id), Instant>,
}

impl Shown {
    /// Applies a `userTyping`; answers the change to show, if any.
    pub fn update(
        &mut self,
        conversation: Id,
        user: Id,
        typing: bool,
        now: Instant,
    ) -> Option<bool> {
        let key = (conversation, user);
        if typing {
            self.since.insert(key, now).is_none().then_some(true)
        } else {
            self.since.remove(&key).map(|_| false)
        }
    }

    /// Indicators whose last `true` is older than [`SHOW_FOR`]; they are dropped.
    pub fn expire(&mut self, now: Instant) -> Vec<(Id, Id)> {
        let old: Vec<_> = self
            .since
            .iter()
            .filter(|(_, at)| now.duration_since(**at) >= SHOW_FOR)
            .map(|(k, _)| *k)
            .collect();
        for k in &old {
            self.since.remove(k);
        }
        old
    }

    /// A user's indicator ends (a message from them arrived: they stopped typing).
    pub fn clear(&mut self, conversation: Id, user: Id) -> bool {
        self.since.remove(&(conversation, user)).is_some()
    }
}

#[derive(Debug)]
struct Typing {
    last_key: Instant,
    last_true: Instant,
}

/// What the user is typing where, and what to tell the server.
#[derive(Debug, Default)]
pub struct Sent {
    typing: HashMap<Id, Typing>,
}

impl Sent {
    /// A keystroke; answers whether to emit `typing: true` now.
    pub fn keystroke(&mut self, conversation: Id, now: Instant) -> bool {
        match self.typing.get_mut(&conversation) {
            Some(t) => {
                t.last_key = now;
                if now.duration_since(t.last_true) >= RESEND {
                    t.last_true = now;
                    true
                } else {
                    false
                }
            }
            None => {
                self.typing.insert(
                    conversation,
                    Typing {
                        last_key: now,
                        last_true: now,
                    },
                );
                true
            }
        }
    }

    /// The message went out (or the draft was cleared); answers whether to emit `false`.
    pub fn stop(&mut self, conversation: Id) -> bool {
        self.typing.remove(&conversation).is_some()
    }

    /// Conversations idle for [`IDLE`]; emit `false` for each.
    pub fn idle(&mut self, now: Instant) -> Vec<Id> {
        let idle: Vec<_> = self
            .typing
            .iter()
            .filter(|(_, t)| now.duration_since(t.last_key) >= IDLE)
            .map(|(c, _)| *c)
            .collect();
        for c in &idle {
            self.typing.remove(c);
        }
        idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    #[test]
    fn shown_until_false_or_six_seconds_after_the_last_true() {
        let t0 = Instant::now();
        let mut s = Shown::default();
        assert_eq!(s.update(1, 2, true, t0), Some(true));
        assert_eq!(
            s.update(1, 2, true, at(t0, 4000)),
            None,
            "a refresh is no change"
        );
        assert!(
            s.expire(at(t0, 9000)).is_empty(),
            "6 s from the last true, not the first"
        );
        assert_eq!(s.expire(at(t0, 10_000)), vec![(1, 2)]);
        assert_eq!(s.update(1, 2, false, at(t0, 10_001)), None, "already off");
        assert_eq!(s.update(1, 2, true, at(t0, 11_000)), Some(true));
        assert_eq!(s.update(1, 2, false, at(t0, 11_500)), Some(false));
        assert_eq!(s.update(3, 2, true, t0), Some(true));
        assert!(s.clear(3, 2));
        assert!(!s.clear(3, 2));
    }

    #[test]
    fn sent_true_at_most_every_three_seconds_false_after_two_idle() {
        let t0 = Instant::now();
        let mut s = Sent::default();
        assert!(s.keystroke(7, t0), "first keystroke");
        assert!(!s.keystroke(7, at(t0, 1000)));
        assert!(!s.keystroke(7, at(t0, 2900)));
        assert!(s.keystroke(7, at(t0, 3000)), "again after 3 s of typing");
        assert!(s.idle(at(t0, 4900)).is_empty(), "1.9 s idle");
        assert_eq!(s.idle(at(t0, 5000)), vec![7]);
        assert!(!s.stop(7), "already stopped by idleness");
        assert!(s.keystroke(7, at(t0, 6000)), "a new burst starts with true");
        assert!(s.stop(7), "sending stops it");
    }
}
