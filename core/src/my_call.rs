//! The user's own call on this device: what the app's call window and the CLI both follow.
//!
//! At most one call is the user's here at a time. Outgoing: ringing out → in call → over.
//! Incoming calls ring on the ring board (several may ring at once) and become the user's
//! call when accepted. A call that was the user's when the client stopped is offered again as
//! [`Phase::Rejoin`] while the server still has it ONGOING — never joined by itself. When the
//! call is over the state clears and an [`crate::Event::Call`] says how it ended.

use nursecare_wire::{Id, Timestamp, VideoCall};
use serde::{Deserialize, Serialize};

/// Who called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub enum Direction {
    /// The user called.
    Outgoing,
    /// The user answered.
    Incoming,
}

/// Where the user's call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub enum Phase {
    /// The user called; the other side has not answered yet.
    RingingOut,
    /// Both sides are in (or the user is, waiting for the other to join the meeting).
    InCall,
    /// Still ONGOING on the server, but this device left it (it restarted): offered, not
    /// joined.
    Rejoin,
    /// The user hung up while the server could not be reached: the call is left here, and
    /// the server is told (`/end`) on the next connection, a restart in between included.
    HangingUp,
}

/// The user's call on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct CallNow {
    /// The call.
    pub call_id: Id,
    /// Its conversation.
    pub conversation_id: Id,
    /// Its Jitsi room.
    pub room_name: String,
    /// Who called.
    pub direction: Direction,
    /// Where it is.
    pub phase: Phase,
    /// The meeting's URL as the server gave it.
    pub jitsi_url: String,
    /// The token that admits the user (a clinic's Jitsi or JaaS), when the server signs them.
    /// Never written to the cache or the log.
    pub jitsi_jwt: Option<String>,
    /// When the call started (the server's clock).
    pub started_at: Timestamp,
    /// When this side got into the call (this machine's clock), for the live duration.
    pub in_call_since: Option<Timestamp>,
}

impl CallNow {
    /// A call the user just started or joined.
    pub fn new(
        call: &VideoCall,
        direction: Direction,
        phase: Phase,
        jitsi_url: String,
        jitsi_jwt: Option<String>,
    ) -> Self {
        Self {
            call_id: call.id,
            conversation_id: call.conversation_id,
            room_name: call.room_name.clone(),
            direction,
            in_call_since: (phase == Phase::InCall).then(Timestamp::now),
            phase,
            jitsi_url,
            jitsi_jwt,
            started_at: call.started_at,
        }
    }

    /// Into the call now (answered, or rejoined).
    pub fn joined(mut self) -> Self {
        self.phase = Phase::InCall;
        self.in_call_since = Some(Timestamp::now());
        self
    }

    /// What the cache keeps: everything but the token (a credential, and short-lived: a
    /// rejoin asks the server for a fresh one).
    pub fn to_kept(&self) -> String {
        let mut kept = self.clone();
        kept.jitsi_jwt = None;
        serde_json::to_string(&kept).expect("a CallNow serializes")
    }

    /// Left here, the server not told yet.
    pub fn hanging_up(mut self) -> Self {
        self.phase = Phase::HangingUp;
        self.in_call_since = None;
        self
    }

    /// What [`CallNow::to_kept`] wrote; `None` for anything else (an older or damaged row).
    pub fn from_kept(json: &str) -> Option<Self> {
        serde_json::from_str(json).ok()
    }
}

/// Two people pressed Call in one conversation at once on a server that makes a call per start
/// (production): each side sees its own call ringing out and the other's ringing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Race {
    /// Keep ringing out: the other side will join ours.
    KeepMine,
    /// End ours and answer theirs.
    TakeTheirs,
}

/// Both sides decide alike without talking: the older call (lower id) wins.
pub fn race(mine: Id, theirs: Id) -> Race {
    if theirs < mine {
        Race::TakeTheirs
    } else {
        Race::KeepMine
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nursecare_wire::CallStatus;

    fn call(id: Id) -> VideoCall {
        let t = Timestamp::from_millis(1_000);
        VideoCall {
            id,
            conversation_id: 3,
            room_name: format!("nursecare-3-{id:016x}"),
            started_by: 1,
            started_at: t,
            ended_at: None,
            duration: None,
            status: CallStatus::Ongoing,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn both_sides_of_a_race_pick_the_same_call() {
        assert_eq!(race(5, 7), Race::KeepMine);
        assert_eq!(race(7, 5), Race::TakeTheirs);
        // Whoever decides, exactly one side gives way.
        for (a, b) in [(1, 2), (9, 4)] {
            assert_ne!(race(a, b), race(b, a));
        }
    }

    #[test]
    fn the_kept_call_has_no_token_and_reads_back() {
        let now = CallNow::new(
            &call(4),
            Direction::Outgoing,
            Phase::RingingOut,
            "https://meet.example/r".into(),
            Some("secret.token.value".into()),
        );
        assert_eq!(now.in_call_since, None);
        let kept = now.to_kept();
        assert!(!kept.contains("secret.token"), "{kept}");
        let back = CallNow::from_kept(&kept).unwrap();
        assert_eq!(back.jitsi_jwt, None);
        assert_eq!((back.call_id, back.phase), (4, Phase::RingingOut));
        assert!(back.joined().in_call_since.is_some());
        assert_eq!(CallNow::from_kept("{\"old\": 1}"), None);
    }
}
