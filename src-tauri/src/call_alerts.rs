//! Exists because a patient's call must not be missed while the window is hidden: decides when
//! an incoming call rings on the desktop, when that ring is withdrawn (answered here or on
//! another device, declined, cancelled, rang out), and which calls were missed — a notice and a
//! mark on the tray and the chat's row until that chat is opened. Pure bookkeeping: the
//! notifier shows what it decides.

use nursecare_core::call_state::Phase;
use nursecare_core::events::{CallChange, Event};
use nursecare_wire::Id;
use std::collections::{BTreeSet, HashMap};

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
    /// The call stopped ringing: its notification goes.
    StopRinging {
        /// The call.
        call: Id,
    },
    /// Nobody answered here: marked until the chat is opened, and with `notify` (the window
    /// was not in view) "Missed call from …" on the desktop.
    Missed {
        /// The chat.
        conversation: Id,
        /// Who called, as the privacy setting allows.
        caller: Option<String>,
        /// Raise a notification (the window's own banner was not seen).
        notify: bool,
    },
    /// The chat was opened: its missed-call notice goes.
    SeenMissed {
        /// The chat.
        conversation: Id,
    },
}

/// A ringing call as remembered here.
#[derive(Debug, Clone)]
struct Ring {
    conversation: Id,
    caller: Option<String>,
}

/// The calls that ring here and the chats with a missed call.
#[derive(Debug, Default)]
pub struct CallAlerts {
    ringing: HashMap<Id, Ring>,
    missed: BTreeSet<Id>,
    /// The user has a call here (ringing out, in it, or offered for rejoining; not one left
    /// offline): accepting another hangs it up.
    in_call: bool,
}

impl CallAlerts {
    /// A core event: answers what to show or withdraw. `caller` names a user as the privacy
    /// setting allows; `focused`: the window has the user's eyes (its banner and ring do).
    pub fn on_event(
        &mut self,
        event: &Event,
        me: Option<Id>,
        focused: bool,
        caller: impl Fn(Id, Id) -> Option<String>,
    ) -> Vec<Alert> {
        match event {
            Event::IncomingCall {
                call_id,
                conversation_id,
                room_name,
                caller_id,
            } => {
                let name = caller(*conversation_id, *caller_id);
                self.ringing.insert(
                    *call_id,
                    Ring {
                        conversation: *conversation_id,
                        caller: name.clone(),
                    },
                );
                if focused {
                    return Vec::new();
                }
                vec![Alert::Ring {
                    call: *call_id,
                    room: room_name.clone(),
                    conversation: *conversation_id,
                    caller: name,
                    in_call: self.in_call,
                }]
            }
            // Answered here: the user's call now.
            Event::MyCall { call } => {
                // A call left offline is over for the user: accepting needs no hang-up.
                self.in_call = call.as_ref().is_some_and(|c| c.phase != Phase::HangingUp);
                match call
                    .as_ref()
                    .and_then(|c| self.ringing.remove(&c.call_id).map(|_| c))
                {
                    Some(c) => vec![Alert::StopRinging { call: c.call_id }],
                    None => Vec::new(),
                }
            }
            Event::Call {
                call_id: Some(id),
                change,
                by,
                ..
            } => {
                let Some(ring) = self.ringing.remove(id) else {
                    return Vec::new();
                };
                let mut alerts = vec![Alert::StopRinging { call: *id }];
                // Dealt with by the user (declined, or answered on another device) is not
                // missed; rang out, marked missed, or cancelled by the caller is.
                let by_me = me.is_some() && *by == me;
                let missed = !by_me
                    && matches!(
                        change,
                        CallChange::Missed
                            | CallChange::StoppedRinging
                            | CallChange::HungUp
                            | CallChange::Ended
                    );
                if missed {
                    self.missed.insert(ring.conversation);
                    alerts.push(Alert::Missed {
                        conversation: ring.conversation,
                        caller: ring.caller,
                        notify: !focused,
                    });
                }
                alerts
            }
            _ => Vec::new(),
        }
    }

    /// The chat on screen: its missed call is seen.
    pub fn opened(&mut self, conversation: Option<Id>) -> Vec<Alert> {
        match conversation {
            Some(c) if self.missed.remove(&c) => vec![Alert::SeenMissed { conversation: c }],
            _ => Vec::new(),
        }
    }

    /// The chats with a missed call not yet seen.
    pub fn missed(&self) -> Vec<Id> {
        self.missed.iter().copied().collect()
    }

    /// The account stopped: every ring and notice goes.
    pub fn clear(&mut self) -> Vec<Alert> {
        self.in_call = false;
        let mut alerts: Vec<Alert> = self
            .ringing
            .drain()
            .map(|(call, _)| Alert::StopRinging { call })
            .collect();
        alerts.extend(
            std::mem::take(&mut self.missed)
                .into_iter()
                .map(|conversation| Alert::SeenMissed { conversation }),
        );
        alerts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: Id = 1;

    fn incoming(call: Id) -> Event {
        Event::IncomingCall {
            call_id: call,
            conversation_id: 7,
            room_name: format!("nursecare-7-{call:016x}"),
            caller_id: 2,
        }
    }

    fn change(call: Id, change: CallChange, by: Option<Id>) -> Event {
        Event::Call {
            call_id: Some(call),
            conversation_id: Some(7),
            change,
            by,
            duration: None,
        }
    }

    fn name(_: Id, _: Id) -> Option<String> {
        Some("Pat".into())
    }

    #[test]
    fn a_call_rings_with_the_callers_name_unless_the_window_is_focused() {
        let mut a = CallAlerts::default();
        assert_eq!(
            a.on_event(&incoming(4), Some(ME), false, name),
            vec![Alert::Ring {
                call: 4,
                room: "nursecare-7-0000000000000004".into(),
                conversation: 7,
                caller: Some("Pat".into()),
                in_call: false,
            }]
        );
        assert!(a.on_event(&incoming(5), Some(ME), true, name).is_empty());
    }

    #[test]
    fn declined_or_answered_elsewhere_withdraws_the_ring_and_is_not_missed() {
        let mut a = CallAlerts::default();
        a.on_event(&incoming(4), Some(ME), false, name);
        assert_eq!(
            a.on_event(
                &change(4, CallChange::Rejected, Some(ME)),
                Some(ME),
                false,
                name
            ),
            vec![Alert::StopRinging { call: 4 }]
        );
        a.on_event(&incoming(5), Some(ME), false, name);
        assert_eq!(
            a.on_event(
                &change(5, CallChange::StoppedRinging, Some(ME)),
                Some(ME),
                false,
                name
            ),
            vec![Alert::StopRinging { call: 5 }]
        );
        assert!(a.missed().is_empty());
        // A second report of the same call changes nothing.
        assert!(
            a.on_event(&change(5, CallChange::Ended, None), Some(ME), false, name)
                .is_empty()
        );
    }

    #[test]
    fn rang_out_or_cancelled_is_missed_until_the_chat_is_opened() {
        for (how, by) in [
            (CallChange::Missed, None),
            (CallChange::StoppedRinging, None),
            (CallChange::HungUp, Some(2)),
        ] {
            let mut a = CallAlerts::default();
            a.on_event(&incoming(4), Some(ME), false, name);
            assert_eq!(
                a.on_event(&change(4, how, by), Some(ME), false, name),
                vec![
                    Alert::StopRinging { call: 4 },
                    Alert::Missed {
                        conversation: 7,
                        caller: Some("Pat".into()),
                        notify: true,
                    }
                ],
                "{how:?}"
            );
            assert_eq!(a.missed(), vec![7]);
            assert!(a.opened(Some(8)).is_empty());
            assert_eq!(
                a.opened(Some(7)),
                vec![Alert::SeenMissed { conversation: 7 }]
            );
            assert!(a.missed().is_empty());
        }
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

    fn in_call_when_rung(a: &mut CallAlerts, call: Id) -> bool {
        match a
            .on_event(&incoming(call), Some(ME), false, name)
            .as_slice()
        {
            [Alert::Ring { in_call, .. }] => *in_call,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_ring_during_a_call_says_accepting_hangs_it_up_unless_it_was_left_offline() {
        let mut a = CallAlerts::default();
        a.on_event(&my_call(3, "inCall"), Some(ME), false, name);
        assert!(in_call_when_rung(&mut a, 4));
        a.on_event(&my_call(3, "hangingUp"), Some(ME), false, name);
        assert!(!in_call_when_rung(&mut a, 5));
    }

    #[test]
    fn answering_here_withdraws_the_ring() {
        let mut a = CallAlerts::default();
        a.on_event(&incoming(4), Some(ME), false, name);
        assert_eq!(
            a.on_event(&my_call(4, "inCall"), Some(ME), false, name),
            vec![Alert::StopRinging { call: 4 }]
        );
        assert!(a.missed().is_empty());
    }
}
