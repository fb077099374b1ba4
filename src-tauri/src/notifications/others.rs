//! Calls for the other nurses signed in on a shared computer (not the one in front): they
//! ring on the desktop saying for whom, never who calls; nothing else of their accounts is
//! shown (their counts are on the lock screen).

use super::calls::{Alert, CallNotices};
use nursecare_core::events::Event;
use nursecare_wire::Id;
use std::collections::HashMap;

/// The calls ringing for each other nurse.
#[derive(Debug, Default)]
pub struct OtherRings(HashMap<Id, CallNotices>);

impl OtherRings {
    /// An event of `nurse`'s account: what to show or withdraw, and whether a call now rings
    /// for them (`None`: unchanged).
    pub fn on_event(
        &mut self,
        nurse: Id,
        email: &str,
        event: &Event,
    ) -> (Vec<Alert>, Option<bool>) {
        let notices = self.0.entry(nurse).or_default();
        let before = notices.is_ringing();
        // Never "focused": the window shows someone else.
        let alerts = notices
            .on_event(event, false, |_| None)
            .into_iter()
            .filter_map(|alert| match alert {
                Alert::Ring { call, .. } => Some(Alert::RingFor {
                    call,
                    nurse,
                    email: email.to_owned(),
                }),
                stop @ Alert::StopRinging { .. } => Some(stop),
                // A missed call shows as its mark once the nurse opens their account.
                _ => None,
            })
            .collect();
        let now = notices.is_ringing();
        (alerts, (now != before).then_some(now))
    }

    /// Whether a call rings for `nurse`.
    pub fn is_ringing(&self, nurse: Id) -> bool {
        self.0.get(&nurse).is_some_and(CallNotices::is_ringing)
    }

    /// `nurse` came to the front, or stopped: their rings here go (the front's own notices
    /// take over, or nothing of them stays).
    pub fn forget(&mut self, nurse: Id) -> Vec<Alert> {
        self.0
            .remove(&nurse)
            .map(|mut n| {
                n.clear()
                    .into_iter()
                    .filter(|a| matches!(a, Alert::StopRinging { .. }))
                    .collect()
            })
            .unwrap_or_default()
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
        let (alerts, ringing) = rings.on_event(4, "ben@ward.test", &incoming(9));
        assert_eq!(
            alerts,
            vec![Alert::RingFor {
                call: 9,
                nurse: 4,
                email: "ben@ward.test".into()
            }]
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
        let (alerts, ringing) = rings.on_event(4, "ben@ward.test", &stopped);
        assert_eq!(alerts, vec![Alert::StopRinging { call: 9 }]);
        assert_eq!(ringing, Some(false));

        rings.on_event(4, "ben@ward.test", &incoming(10));
        assert_eq!(rings.forget(4), vec![Alert::StopRinging { call: 10 }]);
        assert!(!rings.is_ringing(4));
    }
}
