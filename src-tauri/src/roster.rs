//! Which nurses are signed in on this computer and which one the window is for (a ward's
//! shared computer): the accounts running, those sealed until their nurse's PIN, and the one
//! in front. Bookkeeping only; starting and stopping them is the state's.

use crate::ui_types::OtherAccount;
use nursecare_core::session::{LockedAccount, Session};
use nursecare_core::{Client, Profile};
use nursecare_wire::Id;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// An account running: its client receives, whether or not the window shows it.
#[derive(Clone)]
pub struct Running {
    /// The core client.
    pub client: Arc<Client>,
    /// Its session.
    pub session: Session,
    /// The profile it runs in.
    pub profile: Profile,
    /// Its event pump and expiry watcher (aborted when it stops).
    pub tasks: Arc<Vec<JoinHandle<()>>>,
    /// Whether its nurse has a PIN (else the lock asks for the password and a new PIN).
    pub has_pin: bool,
    /// Its unread count, as its last `unread` event said.
    pub unread: u32,
    /// A call rings for it (while another nurse is in front).
    pub ringing: bool,
}

/// The signed-in accounts of the window.
#[derive(Default)]
pub struct Roster {
    running: Vec<Running>,
    sealed: Vec<LockedAccount>,
    front: Option<Id>,
}

impl Roster {
    /// The account the window is for (shown when unlocked, asked for when locked).
    pub fn front(&self) -> Option<Id> {
        self.front
    }

    /// Puts `user` in front; false (and nothing changes) when no such account is signed in.
    pub fn set_front(&mut self, user: Option<Id>) -> bool {
        match user {
            Some(id) if !self.has(id) => false,
            _ => {
                self.front = user;
                true
            }
        }
    }

    /// The front account, when it runs.
    pub fn front_running(&self) -> Option<&Running> {
        self.front.and_then(|id| self.running(id))
    }

    /// The front account, when it waits for its PIN to start.
    pub fn front_sealed(&self) -> Option<&LockedAccount> {
        let id = self.front?;
        self.sealed.iter().find(|a| a.user_id == id)
    }

    /// `user`'s running account.
    pub fn running(&self, user: Id) -> Option<&Running> {
        self.running.iter().find(|r| r.session.user_id == user)
    }

    /// `user`'s running account, to change.
    pub fn running_mut(&mut self, user: Id) -> Option<&mut Running> {
        self.running.iter_mut().find(|r| r.session.user_id == user)
    }

    /// Every running account.
    pub fn all_running(&self) -> impl Iterator<Item = &Running> {
        self.running.iter()
    }

    /// Whether `user` is signed in (running or sealed).
    pub fn has(&self, user: Id) -> bool {
        self.running(user).is_some() || self.sealed.iter().any(|a| a.user_id == user)
    }

    /// How many nurses are signed in.
    pub fn len(&self) -> usize {
        self.running.len() + self.sealed.len()
    }

    /// Whether nobody is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An account started (opened from its seal, or signed in).
    pub fn add_running(&mut self, account: Running) {
        let id = account.session.user_id;
        self.sealed.retain(|a| a.user_id != id);
        self.running.retain(|r| r.session.user_id != id);
        self.running.push(account);
    }

    /// An account kept signed in but sealed under its nurse's PIN.
    pub fn add_sealed(&mut self, account: LockedAccount) {
        if !self.has(account.user_id) {
            self.sealed.push(account);
        }
    }

    /// Takes `user` off (signed out, expired): its running account, if it ran, to stop. The
    /// front is left empty when it was in front.
    pub fn take(&mut self, user: Id) -> Option<Running> {
        self.sealed.retain(|a| a.user_id != user);
        if self.front == Some(user) {
            self.front = None;
        }
        let at = self
            .running
            .iter()
            .position(|r| r.session.user_id == user)?;
        Some(self.running.remove(at))
    }

    /// Takes everyone off (quitting, or another server chosen).
    pub fn take_all(&mut self) -> Vec<Running> {
        self.sealed.clear();
        self.front = None;
        std::mem::take(&mut self.running)
    }

    /// The nurses signed in other than the front one, running ones first, each as the lock
    /// screen may show them.
    pub fn others(&self) -> Vec<OtherAccount> {
        let running = self.running.iter().map(|r| OtherAccount {
            user_id: r.session.user_id,
            email: r.session.email.clone(),
            unread: Some(r.unread),
            ringing: r.ringing,
        });
        let sealed = self.sealed.iter().map(|a| OtherAccount {
            user_id: a.user_id,
            email: a.email.clone(),
            unread: None,
            ringing: false,
        });
        running
            .chain(sealed)
            .filter(|o| Some(o.user_id) != self.front)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(id: Id) -> LockedAccount {
        LockedAccount {
            user_id: id,
            email: format!("n{id}@c.test"),
            wrong: 0,
        }
    }

    #[test]
    fn the_front_is_only_ever_someone_signed_in_and_goes_with_them() {
        let mut roster = Roster::default();
        assert!(!roster.set_front(Some(3)), "nobody signed in yet");
        roster.add_sealed(sealed(3));
        roster.add_sealed(sealed(4));
        roster.add_sealed(sealed(3));
        assert_eq!(roster.len(), 2, "once each");
        assert!(roster.set_front(Some(4)));
        assert_eq!(roster.front_sealed().map(|a| a.user_id), Some(4));
        assert_eq!(
            roster
                .others()
                .iter()
                .map(|o| o.user_id)
                .collect::<Vec<_>>(),
            [3],
            "the others leave out the front one"
        );
        assert!(roster.others()[0].unread.is_none(), "sealed: no count");
        assert!(roster.take(4).is_none(), "it was not running");
        assert_eq!(roster.front(), None, "signed out: nobody in front");
        assert_eq!(roster.len(), 1);
    }
}
