//! The ring board: which incoming calls ring here, which were seen or settled already, and
//! which rang out and are still followed. Plain data: [`crate::call_owner`] holds the one
//! board of a client, and the ring poll ([`crate::ring_poll`]) finds calls for it.

use crate::events::CallChange;
use nursecare_wire::Id;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// A call ringing here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ringing {
    /// Its conversation.
    pub conversation_id: Id,
    /// Its room.
    pub room_name: String,
    /// Who calls.
    pub caller_id: Id,
    since: Instant,
}

/// The calls this client knows about in this run.
#[derive(Debug, Default)]
pub struct Board {
    ringing: HashMap<Id, Ringing>,
    /// Calls that rang (or were answered) already: never ring twice.
    seen: HashSet<Id>,
    /// (call, change) already reported: reject and hang-up arrive up to three times.
    reported: HashSet<(Id, u8)>,
    /// The user's own calls by room: production's `videoCallAccepted {roomName, userId}`
    /// names no call.
    outgoing: HashMap<String, Id>,
    /// The conversation of every call seen in this run (production's events may name none).
    conversations: HashMap<Id, Id>,
    /// Incoming calls that rang out here while still ONGOING on a server without a
    /// missed-call timer: followed until the caller's side marks them missed (or ends them),
    /// so that notice reaches the thread too. (call → conversation, room, when it rang out.)
    ran_out: HashMap<Id, (Id, String, Instant)>,
}

impl Board {
    /// Starts ringing; false when the call rang before.
    pub fn ring(&mut self, call: Id, conversation_id: Id, room_name: &str, caller_id: Id) -> bool {
        self.conversations.insert(call, conversation_id);
        if !self.seen.insert(call) {
            return false;
        }
        self.ringing.insert(
            call,
            Ringing {
                conversation_id,
                room_name: room_name.to_owned(),
                caller_id,
                since: Instant::now(),
            },
        );
        true
    }

    /// The call was dealt with here; answers whether it was ringing.
    pub fn answered(&mut self, call: Id) -> bool {
        self.stop(call).is_some()
    }

    /// The call stops ringing here (never to ring again); answers its ringing, if it rang.
    pub fn stop(&mut self, call: Id) -> Option<Ringing> {
        self.seen.insert(call);
        self.ringing.remove(&call)
    }

    /// The user started this call (it never rings here).
    pub fn calling(&mut self, call: Id, conversation: Id, room: &str) {
        self.conversations.insert(call, conversation);
        self.seen.insert(call);
        self.outgoing.insert(room.to_owned(), call);
    }

    /// The ringing call, or the user's own call, in a room.
    pub fn by_room(&self, room: &str) -> Option<Id> {
        self.ringing
            .iter()
            .find(|(_, r)| r.room_name == room)
            .map(|(id, _)| *id)
            .or_else(|| self.outgoing.get(room).copied())
    }

    /// Calls that rang longer than `limit`; they stop.
    pub fn expire(&mut self, limit: Duration) -> Vec<(Id, Ringing)> {
        let old: Vec<Id> = self
            .ringing
            .iter()
            .filter(|(_, r)| r.since.elapsed() >= limit)
            .map(|(id, _)| *id)
            .collect();
        let mut rang_out = Vec::with_capacity(old.len());
        for id in old {
            if let Some(r) = self.ringing.remove(&id) {
                self.ran_out
                    .insert(id, (r.conversation_id, r.room_name.clone(), Instant::now()));
                rang_out.push((id, r));
            }
        }
        rang_out
    }

    /// Whether a change of a call was reported already (and records it).
    pub fn first_report(&mut self, call: Id, change: CallChange) -> bool {
        if change != CallChange::StoppedRinging {
            self.ran_out.remove(&call);
        }
        self.reported.insert((call, change as u8))
    }

    /// The calls that rang out here still to follow (see `ran_out`); those followed longer
    /// than `limit` are let go (production keeps a call nobody marked ONGOING for ever).
    pub fn ran_out(&mut self, limit: Duration) -> Vec<(Id, Id, String)> {
        self.ran_out
            .retain(|_, (_, _, since)| since.elapsed() < limit);
        self.ran_out
            .iter()
            .map(|(id, (conversation, room, _))| (*id, *conversation, room.clone()))
            .collect()
    }

    /// The calls ringing here now, by id.
    pub fn ringing(&self) -> Vec<(Id, Ringing)> {
        let mut now: Vec<_> = self
            .ringing
            .iter()
            .map(|(id, r)| (*id, r.clone()))
            .collect();
        now.sort_by_key(|(id, _)| *id);
        now
    }

    /// Never rings (the other side's half of two calls started at once).
    pub fn ignore(&mut self, call: Id) {
        self.seen.insert(call);
    }

    /// The conversation of a call seen in this run.
    pub fn conversation_of(&self, call: Id) -> Option<Id> {
        self.conversations.get(&call).copied()
    }

    /// Records a change of a call: `None` when it was reported already (reject and hang-up
    /// arrive up to three times), else the ringing it stopped, if the call rang here. Every
    /// change but `Accepted` stops its ringing.
    pub fn report(&mut self, call: Id, change: CallChange) -> Option<Option<Ringing>> {
        if !self.first_report(call, change) {
            return None;
        }
        Some(if change != CallChange::Accepted {
            self.stop(call)
        } else {
            None
        })
    }

    /// Whether the call is known to be accepted, declined or over.
    pub fn settled(&self, call: Id) -> bool {
        [
            CallChange::Accepted,
            CallChange::Rejected,
            CallChange::HungUp,
            CallChange::Ended,
            CallChange::Missed,
        ]
        .iter()
        .any(|c| self.reported.contains(&(call, *c as u8)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_once_and_stops_when_answered() {
        let mut b = Board::default();
        assert!(b.ring(1, 3, "nursecare-3-aa", 2));
        assert!(!b.ring(1, 3, "nursecare-3-aa", 2), "a call rings once");
        assert_eq!(b.by_room("nursecare-3-aa"), Some(1));
        assert!(b.answered(1));
        assert!(!b.answered(1));
        assert!(
            !b.ring(1, 3, "nursecare-3-aa", 2),
            "an answered call never rings again"
        );
        assert!(b.first_report(1, CallChange::Rejected));
        assert!(
            !b.first_report(1, CallChange::Rejected),
            "duplicates are dropped"
        );
        assert!(b.settled(1));
        assert!(b.ring(2, 3, "nursecare-3-bb", 2));
        let rang_out = b.expire(Duration::ZERO);
        assert_eq!(
            rang_out
                .iter()
                .map(|(id, r)| (*id, r.conversation_id))
                .collect::<Vec<_>>(),
            vec![(2, 3)]
        );
        assert!(b.expire(Duration::ZERO).is_empty());
        // Rung out: followed until the server settles it, so its notice is fetched.
        let followed = b.ran_out(Duration::from_secs(60));
        assert_eq!(followed, vec![(2, 3, "nursecare-3-bb".to_owned())]);
        assert!(b.first_report(2, CallChange::StoppedRinging));
        assert_eq!(b.ran_out(Duration::from_secs(60)).len(), 1);
        assert!(b.first_report(2, CallChange::Missed));
        assert!(b.ran_out(Duration::from_secs(60)).is_empty());
    }
}
