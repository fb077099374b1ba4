//! Calls and urgent messages for the other nurses signed in on a shared computer (not the
//! one in front): they show on the desktop saying for whom, never who calls or writes, nor
//! what; nothing else of their accounts is shown (their counts are on the lock screen).

use super::Job;
use super::calls::{Alert, CallNotices};
use nursecare_core::events::Event;
use nursecare_wire::Id;
use std::collections::{HashMap, HashSet};

/// What is up for each other nurse: their calls ringing, their chats with an urgent notice.
#[derive(Debug, Default)]
pub struct OtherRings(HashMap<Id, Other>);

#[derive(Debug, Default)]
struct Other {
    calls: CallNotices,
    urgent_up: HashSet<Id>,
}

impl OtherRings {
    /// An event of `nurse`'s account: what to show or withdraw, and whether a call now rings
    /// for them (`None`: unchanged).
    pub fn on_event(&mut self, nurse: Id, email: &str, event: &Event) -> (Vec<Job>, Option<bool>) {
        let other = self.0.entry(nurse).or_default();
        let urgent_in = match event {
            Event::MessageAdded {
                message,
                live: true,
            } if message.urgent == Some(true) && message.sender_id != nurse => {
                Some(message.conversation_id)
            }
            Event::UrgentAgain {
                conversation_id, ..
            } => Some(*conversation_id),
            _ => None,
        };
        if let Some(conversation) = urgent_in {
            other.urgent_up.insert(conversation);
            let job = Job::UrgentFor {
                nurse,
                email: email.to_owned(),
                conversation,
            };
            return (vec![job], None);
        }
        let before = other.calls.is_ringing();
        // Never "focused": the window shows someone else.
        let jobs = other
            .calls
            .on_event(event, false, |_| None)
            .into_iter()
            .filter_map(|alert| match alert {
                Alert::Ring { call, .. } => Some(Job::Call(Alert::RingFor {
                    call,
                    nurse,
                    email: email.to_owned(),
                })),
                stop @ Alert::StopRinging { .. } => Some(Job::Call(stop)),
                // A missed call shows as its mark once the nurse opens their account.
                _ => None,
            })
            .collect();
        let now = other.calls.is_ringing();
        (jobs, (now != before).then_some(now))
    }

    /// Whether a call rings for `nurse`.
    pub fn is_ringing(&self, nurse: Id) -> bool {
        self.0.get(&nurse).is_some_and(|o| o.calls.is_ringing())
    }

    /// `nurse` came to the front, or stopped: their rings and urgent notices here go (the
    /// front's own notices take over, or nothing of them stays).
    pub fn forget(&mut self, nurse: Id) -> Vec<Job> {
        let Some(mut other) = self.0.remove(&nurse) else {
            return Vec::new();
        };
        let rings = other
            .calls
            .clear()
            .into_iter()
            .filter(|a| matches!(a, Alert::StopRinging { .. }))
            .map(Job::Call);
        let urgent = other
            .urgent_up
            .into_iter()
            .map(|conversation| Job::Withdraw { conversation });
        rings.chain(urgent).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nursecare_core::events::CallChange;

    fn incoming(call: Id) -> Event {
        Event::IncomingCall {
            call_id: call,
            conversation_id: 5,
            room_name: format!("room-{call}"),
            caller_id: 2,
        }
    }

    #[test]
    fn a_call_for_another_nurse_rings_for_them_without_a_caller_until_it_stops() {
        let mut rings = OtherRings::default();
        let (jobs, ringing) = rings.on_event(4, "ben@ward.test", &incoming(9));
        assert_eq!(
            jobs,
            vec![Job::Call(Alert::RingFor {
                call: 9,
                nurse: 4,
                email: "ben@ward.test".into()
            })]
        );
        assert_eq!(ringing, Some(true));
        assert!(rings.is_ringing(4) && !rings.is_ringing(3));
        let stopped = Event::Call {
            call_id: Some(9),
            conversation_id: Some(5),
            change: CallChange::StoppedRinging,
            by: None,
            duration: None,
        };
        let (jobs, ringing) = rings.on_event(4, "ben@ward.test", &stopped);
        assert_eq!(jobs, vec![Job::Call(Alert::StopRinging { call: 9 })]);
        assert_eq!(ringing, Some(false));

        rings.on_event(4, "ben@ward.test", &incoming(10));
        assert_eq!(
            rings.forget(4),
            vec![Job::Call(Alert::StopRinging { call: 10 })]
        );
        assert!(!rings.is_ringing(4));
    }

    #[test]
    fn an_urgent_message_for_another_nurse_says_for_whom_until_they_come_to_the_front() {
        let mut rings = OtherRings::default();
        let urgent: nursecare_wire::Message = serde_json::from_value(serde_json::json!({
            "id": 1, "conversationId": 5, "senderId": 2, "content": "Come now please",
            "type": "TEXT", "read": false, "createdAt": "2026-11-25T10:00:00.000Z",
            "urgent": true, "sender": { "id": 2, "name": "Pat", "role": "PATIENT" },
        }))
        .unwrap();
        let plain = nursecare_wire::Message {
            urgent: None,
            ..urgent.clone()
        };
        let added = |message| Event::MessageAdded {
            message,
            live: true,
        };
        assert_eq!(rings.on_event(4, "ben@ward.test", &added(plain)).0, vec![]);
        let (jobs, _) = rings.on_event(4, "ben@ward.test", &added(urgent));
        let expected = Job::UrgentFor {
            nurse: 4,
            email: "ben@ward.test".into(),
            conversation: 5,
        };
        assert_eq!(jobs, vec![expected.clone()]);
        let again = Event::UrgentAgain {
            conversation_id: 5,
            message_id: 1,
            times: 1,
        };
        assert_eq!(rings.on_event(4, "ben@ward.test", &again).0, vec![expected]);
        assert_eq!(rings.forget(4), vec![Job::Withdraw { conversation: 5 }]);
    }
}
