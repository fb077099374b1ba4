//! Which call notifications are up: an incoming call rings on the desktop while the window is
//! not in view, and goes when the call stops ringing (answered here or elsewhere, declined,
//! cancelled, rang out); a call that went unanswered (the core's `missedCall`) shows "Missed
//! call from …" until its chat's row loses the mark (the chat was opened). The marks
//! themselves are the core's (the cache, the rows); this holds only what is on screen.

use nursecare_core::events::Event;
use nursecare_core::my_call::Phase;
use nursecare_wire::Id;
use std::collections::{HashMap, HashSet};

/// What to show or withdraw for calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// An incoming call rings: accept, decline, or open the window.
    Ring {
        /// The call.
        call: Id,
        /// Its room (what accepting needs).
        room: String,
        /// Its conversation.
        conversation: Id,
        /// Who calls, as the privacy setting allows (`None`: not shown).
        caller: Option<String>,
        /// The user is in a call here: accepting hangs that one up (the button says so).
        in_call: bool,
    },
    /// A call rings for another nurse signed in on this computer (not the one in front):
    /// it says for whom, never who calls; opening it brings that nurse to the front, behind
    /// their PIN.
    RingFor {
        /// The call.
        call: Id,
        /// The nurse it rings for.
        nurse: Id,
        /// Their email.
        email: String,
    },
    /// The call stopped ringing: its notification goes.
    StopRinging {
        /// The call.
        call: Id,
    },
    /// "Missed call from …" on the desktop (the window was not in view).
    Missed {
        /// The chat.
        conversation: Id,
        /// Who called, as the privacy setting allows.
        caller: Option<String>,
    },
    /// The chat's missed call was seen: its notice goes.
    SeenMissed {
        /// The chat.
        conversation: Id,
    },
}

/// The call notifications up now.
#[derive(Debug, Default)]
pub struct CallNotices {
    /// Calls ringing here (each may have a notification up).
    ringing: HashSet<Id>,
    /// Chats with a "Missed call" notification up.
    missed_up: HashSet<Id>,
    /// The user has a call here (ringing out, in it, or offered for rejoining; not one left
    /// offline): accepting another hangs it up.
    in_call: bool,
}

impl CallNotices {
    /// A core event: answers what to show or withdraw. `caller` names a conversation's other
    /// participant as the privacy setting allows; `focused`: the window has the user's eyes
    /// (its banner and ring do the work).
    pub fn on_event(
        &mut self,
        event: &Event,
        focused: bool,
        caller: impl Fn(Id) -> Option<String>,
    ) -> Vec<Alert> {
        match event {
            Event::IncomingCall {
                call_id,
                conversation_id,
                room_name,
                ..
            } => {
                self.ringing.insert(*call_id);
                if focused {
                    return Vec::new();
                }
                vec![Alert::Ring {
                    call: *call_id,
                    room: room_name.clone(),
                    conversation: *conversation_id,
                    caller: caller(*conversation_id),
                    in_call: self.in_call,
                }]
            }
            Event::MyCall { call } => {
                // A call left offline is over for the user: accepting needs no hang-up.
                self.in_call = call.as_ref().is_some_and(|c| c.phase != Phase::HangingUp);
                match call.as_ref().filter(|c| self.ringing.remove(&c.call_id)) {
                    Some(c) => vec![Alert::StopRinging { call: c.call_id }],
                    None => Vec::new(),
                }
            }
            Event::Call {
                call_id: Some(id), ..
            } if self.ringing.remove(id) => vec![Alert::StopRinging { call: *id }],
            Event::MissedCall {
                conversation_id, ..
            } if !focused => {
                self.missed_up.insert(*conversation_id);
                vec![Alert::Missed {
                    conversation: *conversation_id,
                    caller: caller(*conversation_id),
                }]
            }
            Event::ConversationChanged { summary } => self.seen(std::iter::once(summary)),
            Event::ConversationList { conversations } => self.seen(conversations.iter()),
            _ => Vec::new(),
        }
    }

    /// Rows without a missed-call mark: their notices go.
    fn seen<'a>(
        &mut self,
        rows: impl Iterator<Item = &'a nursecare_core::cache::ConversationSummary>,
    ) -> Vec<Alert> {
        rows.filter(|r| !r.missed_call && self.missed_up.remove(&r.id))
            .map(|r| Alert::SeenMissed { conversation: r.id })
            .collect()
    }

    /// Whether a call rings here now.
    pub fn is_ringing(&self) -> bool {
        !self.ringing.is_empty()
    }

    /// The account stopped: every ring and notice goes.
    pub fn clear(&mut self) -> Vec<Alert> {
        self.in_call = false;
        let rings = self.ringing.drain().map(|call| Alert::StopRinging { call });
        let missed = self
            .missed_up
            .drain()
            .map(|conversation| Alert::SeenMissed { conversation });
        rings.chain(missed).collect()
    }
}

/// Which chats carry a missed-call mark, from the rows the core announces (for the tray).
#[derive(Debug, Default)]
pub struct MissedMarks(HashMap<Id, bool>);

impl MissedMarks {
    /// A core event; answers whether the set of marked chats changed.
    pub fn on_event(&mut self, event: &Event) -> bool {
        let before = self.count();
        match event {
            Event::ConversationList { conversations } => {
                self.0 = conversations
                    .iter()
                    .map(|c| (c.id, c.missed_call))
                    .collect();
            }
            Event::ConversationChanged { summary } => {
                self.0.insert(summary.id, summary.missed_call);
            }
            _ => return false,
        }
        self.count() != before
    }

    /// How many chats carry a mark.
    pub fn count(&self) -> usize {
        self.0.values().filter(|m| **m).count()
    }

    /// The account stopped.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nursecare_core::cache::ConversationSummary;
    use nursecare_core::events::CallChange;
    use nursecare_wire::Timestamp;

    fn incoming(call: Id) -> Event {
        Event::IncomingCall {
            call_id: call,
            conversation_id: 7,
            room_name: format!("nursecare-7-{call:016x}"),
            caller_id: 2,
        }
    }

    fn change(call: Id, change: CallChange) -> Event {
        Event::Call {
            call_id: Some(call),
            conversation_id: Some(7),
            change,
            by: None,
            duration: None,
        }
    }

    fn row(id: Id, missed_call: bool) -> ConversationSummary {
        ConversationSummary {
            id,
            booking_id: None,
            other: None,
            last_message: None,
            unread: 0,
            updated_at: Timestamp::from_millis(0),
            muted: false,
            draft: None,
            missed_call,
            last_file: None,
            urgent: 0,
        }
    }

    fn name(_: Id) -> Option<String> {
        Some("Pat".into())
    }

    #[test]
    fn a_call_rings_with_the_callers_name_unless_the_window_is_focused() {
        let mut a = CallNotices::default();
        assert_eq!(
            a.on_event(&incoming(4), false, name),
            vec![Alert::Ring {
                call: 4,
                room: "nursecare-7-0000000000000004".into(),
                conversation: 7,
                caller: Some("Pat".into()),
                in_call: false,
            }]
        );
        assert!(a.on_event(&incoming(5), true, name).is_empty());
    }

    #[test]
    fn any_change_withdraws_the_ring_once() {
        let mut a = CallNotices::default();
        a.on_event(&incoming(4), false, name);
        assert_eq!(
            a.on_event(&change(4, CallChange::Rejected), false, name),
            vec![Alert::StopRinging { call: 4 }]
        );
        assert!(
            a.on_event(&change(4, CallChange::Ended), false, name)
                .is_empty()
        );
    }

    #[test]
    fn a_missed_call_is_noticed_until_its_row_loses_the_mark() {
        let mut a = CallNotices::default();
        let missed = Event::MissedCall {
            call_id: 4,
            conversation_id: 7,
            caller_id: 2,
        };
        assert_eq!(
            a.on_event(&missed, false, name),
            vec![Alert::Missed {
                conversation: 7,
                caller: Some("Pat".into()),
            }]
        );
        let changed = |missed_call| Event::ConversationChanged {
            summary: row(7, missed_call),
        };
        assert!(a.on_event(&changed(true), false, name).is_empty());
        assert_eq!(
            a.on_event(&changed(false), false, name),
            vec![Alert::SeenMissed { conversation: 7 }]
        );
        assert!(a.on_event(&changed(false), false, name).is_empty());
        // In view, the window's own mark says it: no desktop notice.
        assert!(a.on_event(&missed, true, name).is_empty());
    }

    fn my_call(call: Id, phase: &str) -> Event {
        let call = serde_json::from_value(serde_json::json!({
            "callId": call, "conversationId": 7, "roomName": "r", "direction": "incoming",
            "phase": phase, "jitsiUrl": "https://meet.jit.si/r", "jitsiJwt": null,
            "startedAt": "2026-11-25T10:00:00.000Z", "inCallSince": null
        }))
        .unwrap();
        Event::MyCall { call: Some(call) }
    }

    fn in_call_when_rung(a: &mut CallNotices, call: Id) -> bool {
        match a.on_event(&incoming(call), false, name).as_slice() {
            [Alert::Ring { in_call, .. }] => *in_call,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_ring_during_a_call_says_accepting_hangs_it_up_unless_it_was_left_offline() {
        let mut a = CallNotices::default();
        a.on_event(&my_call(3, "inCall"), false, name);
        assert!(in_call_when_rung(&mut a, 4));
        a.on_event(&my_call(3, "hangingUp"), false, name);
        assert!(!in_call_when_rung(&mut a, 5));
    }

    #[test]
    fn answering_here_withdraws_the_ring() {
        let mut a = CallNotices::default();
        a.on_event(&incoming(4), false, name);
        assert_eq!(
            a.on_event(&my_call(4, "inCall"), false, name),
            vec![Alert::StopRinging { call: 4 }]
        );
    }

    #[test]
    fn the_tray_counts_the_rows_with_a_mark() {
        let mut m = MissedMarks::default();
        assert!(m.on_event(&Event::ConversationList {
            conversations: vec![row(1, true), row(2, false)]
        }));
        assert_eq!(m.count(), 1);
        assert!(!m.on_event(&Event::ConversationChanged {
            summary: row(2, false)
        }));
        assert!(m.on_event(&Event::ConversationChanged {
            summary: row(1, false)
        }));
        assert_eq!(m.count(), 0);
    }
}
