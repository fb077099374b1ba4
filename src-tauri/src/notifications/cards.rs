//! What each notification says and offers, and what a press on it does: one decision for every
//! platform, so Linux and Windows cannot drift. The backends (`xdg`, `toasts`) only draw a
//! [`Card`] and report which [`Press`] came from which [`Slot`].

use super::calls::Alert;
use super::{Answer, Job};
use nursecare_wire::Id;

/// Which notification: one per conversation for messages, one per ringing call, one
/// missed-call notice per conversation. A new card in a slot replaces the one there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    /// A conversation's newest message.
    Message(Id),
    /// A call ringing (by call id).
    Ring(Id),
    /// A conversation's missed call.
    Missed(Id),
}

impl Slot {
    /// A short name that survives a round trip through the platform (a toast's tag: at most
    /// 64 characters).
    pub fn tag(self) -> String {
        match self {
            Slot::Message(c) => format!("message-{c}"),
            Slot::Ring(c) => format!("ring-{c}"),
            Slot::Missed(c) => format!("missed-{c}"),
        }
    }

    /// The slot a [`Slot::tag`] names.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let (kind, id) = tag.split_once('-')?;
        let id: Id = id.parse().ok()?;
        match kind {
            "message" => Some(Slot::Message(id)),
            "ring" => Some(Slot::Ring(id)),
            "missed" => Some(Slot::Missed(id)),
            _ => None,
        }
    }
}

/// How a notification is to be heard and kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A message: normal, goes away by itself.
    Message,
    /// A call ringing: must not be missed; stays until answered, over full-screen windows.
    Ring,
    /// A missed call: normal, goes away by itself.
    Missed,
}

/// What the user can do with a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    /// The card itself was clicked.
    Open,
    /// Accept (a ring).
    Accept,
    /// Decline (a ring).
    Decline,
}

impl Press {
    /// The key the platform hands back (`default` is the XDG name for a click on the body).
    pub fn key(self) -> &'static str {
        match self {
            Press::Open => "default",
            Press::Accept => "accept",
            Press::Decline => "reject",
        }
    }

    /// The press a key names.
    pub fn from_key(key: &str) -> Option<Self> {
        [Press::Open, Press::Accept, Press::Decline]
            .into_iter()
            .find(|p| p.key() == key)
    }
}

/// One notification as every platform shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// Where it goes.
    pub slot: Slot,
    /// How loud.
    pub kind: Kind,
    /// The title line.
    pub title: String,
    /// The body.
    pub body: String,
    /// The buttons, in order, with their labels; [`Press::Open`] is the click on the card
    /// (a button labelled so where the platform shows it as one).
    pub buttons: Vec<(Press, &'static str)>,
    /// A ring's call (what its presses need).
    pub ring: Option<Ring>,
}

/// What a ring's presses need beyond its slot (also what another nurse's urgent notice
/// needs: whose it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ring {
    /// The room Accept answers.
    pub room: String,
    /// The chat a click on the card opens.
    pub conversation: Id,
    /// Another nurse's call: a click brings them to the front instead.
    pub for_nurse: Option<Id>,
}

/// What to do on the desktop for one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Show (or replace) a card.
    Show(Card),
    /// Take the slot's card away.
    Withdraw(Slot),
}

/// The step for `job`; `None` for a job that shows nothing (a missed call seen in the open
/// chat leaves only its mark).
pub fn step(job: Job) -> Option<Step> {
    let open = (Press::Open, "Open");
    Some(match job {
        Job::Show {
            conversation,
            summary,
            body,
        } => Step::Show(Card {
            slot: Slot::Message(conversation),
            kind: Kind::Message,
            title: summary,
            body,
            buttons: vec![open],
            ring: None,
        }),
        Job::Withdraw { conversation } => Step::Withdraw(Slot::Message(conversation)),
        Job::Call(Alert::Ring {
            call,
            room,
            conversation,
            caller,
            in_call,
        }) => Step::Show(Card {
            slot: Slot::Ring(call),
            kind: Kind::Ring,
            title: caller.unwrap_or_else(|| "NurseCare".into()),
            body: "Incoming video call".into(),
            buttons: vec![
                (
                    Press::Accept,
                    if in_call {
                        "Hang up and accept"
                    } else {
                        "Accept"
                    },
                ),
                (Press::Decline, "Decline"),
                open,
            ],
            ring: Some(Ring {
                room,
                conversation,
                for_nurse: None,
            }),
        }),
        Job::Call(Alert::RingFor { call, nurse, email }) => Step::Show(Card {
            slot: Slot::Ring(call),
            kind: Kind::Ring,
            title: "NurseCare".into(),
            body: format!("Incoming video call for {email}"),
            buttons: vec![(Press::Open, "Open")],
            ring: Some(Ring {
                room: String::new(),
                conversation: 0,
                for_nurse: Some(nurse),
            }),
        }),
        Job::UrgentFor {
            nurse,
            email,
            conversation,
        } => Step::Show(Card {
            slot: Slot::Message(conversation),
            kind: Kind::Message,
            title: "NurseCare".into(),
            body: format!("Urgent message for {email}"),
            buttons: vec![open],
            ring: Some(Ring {
                room: String::new(),
                conversation,
                for_nurse: Some(nurse),
            }),
        }),
        Job::Call(Alert::StopRinging { call }) => Step::Withdraw(Slot::Ring(call)),
        Job::Call(Alert::Missed {
            conversation,
            caller,
        }) => Step::Show(Card {
            slot: Slot::Missed(conversation),
            kind: Kind::Missed,
            title: "Missed call".into(),
            body: match caller {
                Some(name) => format!("Missed call from {name}"),
                None => "Missed video call".into(),
            },
            buttons: vec![open],
            ring: None,
        }),
        Job::Call(Alert::SeenMissed { conversation }) => Step::Withdraw(Slot::Missed(conversation)),
    })
}

/// What a press does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// The window, on this conversation (a ring's: its banner shows there too).
    OpenChat(Id),
    /// Answer a call, as the window's buttons do.
    Answer(Answer),
    /// Bring another nurse signed in to the front (their call rings), behind their PIN.
    SwitchTo(Id),
}

/// What pressing `press` on the card in `slot` (a ring's `ring`) does; `None` for a press the
/// card did not offer.
pub fn reaction(slot: Slot, ring: Option<&Ring>, press: Press) -> Option<Reaction> {
    if let Some(nurse) = ring.and_then(|r| r.for_nurse) {
        return (press == Press::Open).then_some(Reaction::SwitchTo(nurse));
    }
    match (slot, press) {
        (Slot::Message(c) | Slot::Missed(c), Press::Open) => Some(Reaction::OpenChat(c)),
        (Slot::Ring(_), Press::Open) => Some(Reaction::OpenChat(ring?.conversation)),
        (Slot::Ring(_), Press::Accept) => Some(Reaction::Answer(Answer::Accept {
            room: ring?.room.clone(),
        })),
        (Slot::Ring(call), Press::Decline) => Some(Reaction::Answer(Answer::Reject { call })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(in_call: bool) -> Job {
        Job::Call(Alert::Ring {
            call: 7,
            conversation: 3,
            room: "room-7".into(),
            caller: Some("Daniel Reyes".into()),
            in_call,
        })
    }

    #[test]
    fn a_ring_offers_accept_decline_and_open() {
        let Some(Step::Show(card)) = step(ring(false)) else {
            panic!("a ring shows")
        };
        assert_eq!(card.slot, Slot::Ring(7));
        assert_eq!(
            card.ring,
            Some(Ring {
                room: "room-7".into(),
                conversation: 3,
                for_nurse: None,
            })
        );
        assert_eq!(card.kind, Kind::Ring);
        assert_eq!(card.title, "Daniel Reyes");
        assert_eq!(card.body, "Incoming video call");
        assert_eq!(
            card.buttons,
            vec![
                (Press::Accept, "Accept"),
                (Press::Decline, "Decline"),
                (Press::Open, "Open")
            ]
        );
        let Some(Step::Show(during)) = step(ring(true)) else {
            panic!()
        };
        assert_eq!(during.buttons[0], (Press::Accept, "Hang up and accept"));
    }

    #[test]
    fn presses_run_the_windows_flows() {
        let ring = Ring {
            room: "room-7".into(),
            conversation: 3,
            for_nurse: None,
        };
        let ring = Some(&ring);
        assert_eq!(
            reaction(Slot::Ring(7), ring, Press::Accept),
            Some(Reaction::Answer(Answer::Accept {
                room: "room-7".into()
            }))
        );
        assert_eq!(
            reaction(Slot::Ring(7), ring, Press::Decline),
            Some(Reaction::Answer(Answer::Reject { call: 7 }))
        );
        assert_eq!(
            reaction(Slot::Ring(7), ring, Press::Open),
            Some(Reaction::OpenChat(3)),
            "a click on the ring opens its chat"
        );
        assert_eq!(
            reaction(Slot::Message(3), None, Press::Open),
            Some(Reaction::OpenChat(3))
        );
        assert_eq!(
            reaction(Slot::Missed(3), None, Press::Open),
            Some(Reaction::OpenChat(3))
        );
        assert_eq!(reaction(Slot::Message(3), None, Press::Accept), None);
        assert_eq!(reaction(Slot::Ring(7), None, Press::Accept), None);
    }

    #[test]
    fn another_nurses_ring_says_for_whom_never_who_calls_and_only_opens() {
        let Some(Step::Show(card)) = step(Job::Call(Alert::RingFor {
            call: 9,
            nurse: 4,
            email: "ben@ward.test".into(),
        })) else {
            panic!("it shows")
        };
        assert_eq!(
            (
                card.slot,
                card.kind,
                card.title.as_str(),
                card.body.as_str()
            ),
            (
                Slot::Ring(9),
                Kind::Ring,
                "NurseCare",
                "Incoming video call for ben@ward.test"
            )
        );
        assert_eq!(card.buttons, vec![(Press::Open, "Open")]);
        let ring = card.ring.as_ref();
        assert_eq!(
            reaction(card.slot, ring, Press::Open),
            Some(Reaction::SwitchTo(4))
        );
        assert_eq!(reaction(card.slot, ring, Press::Accept), None);
        assert_eq!(reaction(card.slot, ring, Press::Decline), None);
    }

    #[test]
    fn withdrawals_name_their_slot() {
        assert_eq!(
            step(Job::Withdraw { conversation: 3 }),
            Some(Step::Withdraw(Slot::Message(3)))
        );
        assert_eq!(
            step(Job::Call(Alert::StopRinging { call: 7 })),
            Some(Step::Withdraw(Slot::Ring(7)))
        );
        assert_eq!(
            step(Job::Call(Alert::SeenMissed { conversation: 3 })),
            Some(Step::Withdraw(Slot::Missed(3)))
        );
    }

    #[test]
    fn a_missed_call_names_the_caller_as_privacy_allows() {
        let missed = |caller: Option<&str>| {
            step(Job::Call(Alert::Missed {
                conversation: 3,
                caller: caller.map(str::to_owned),
            }))
        };
        let Some(Step::Show(card)) = missed(Some("Daniel Reyes")) else {
            panic!()
        };
        assert_eq!(card.body, "Missed call from Daniel Reyes");
        let Some(Step::Show(card)) = missed(None) else {
            panic!()
        };
        assert_eq!(card.body, "Missed video call");
    }

    #[test]
    fn tags_and_keys_round_trip() {
        for slot in [Slot::Message(1), Slot::Ring(22), Slot::Missed(333)] {
            assert_eq!(Slot::from_tag(&slot.tag()), Some(slot));
            assert!(slot.tag().len() <= 64);
        }
        assert_eq!(Slot::from_tag("ring-x"), None);
        assert_eq!(Slot::from_tag("other-1"), None);
        for p in [Press::Open, Press::Accept, Press::Decline] {
            assert_eq!(Press::from_key(p.key()), Some(p));
        }
        assert_eq!(Press::from_key("dismiss"), None);
    }
}
