//! Who is online: the registered sockets of each user.
//!
//! A user is online while at least one socket is registered for them. Only the transitions
//! (first socket in, last socket out) are announced, so a second device does not re-announce.

use nursecare_wire::Id;
use socketioxide::socket::Sid;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// The table of registered sockets.
#[derive(Default)]
pub struct Presence {
    sockets: Mutex<HashMap<Id, HashSet<Sid>>>,
}

impl Presence {
    /// Adds a socket; true when the user just came online.
    pub fn add(&self, user: Id, sid: Sid) -> bool {
        let mut map = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let set = map.entry(user).or_default();
        let was_empty = set.is_empty();
        set.insert(sid);
        was_empty
    }

    /// Removes a socket; true when it was the user's last one.
    pub fn remove(&self, user: Id, sid: Sid) -> bool {
        let mut map = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let Some(set) = map.get_mut(&user) else {
            return false;
        };
        let removed = set.remove(&sid);
        if set.is_empty() {
            map.remove(&user);
            return removed;
        }
        false
    }

    /// Is the user online?
    pub fn is_online(&self, user: Id) -> bool {
        let map = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&user).is_some_and(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announces_only_transitions() {
        let p = Presence::default();
        let (a, b) = (Sid::new(), Sid::new());
        assert!(p.add(1, a));
        assert!(!p.add(1, b));
        assert!(!p.remove(1, a));
        assert!(p.is_online(1));
        assert!(p.remove(1, b));
        assert!(!p.is_online(1));
        assert!(!p.remove(1, b), "unknown socket");
    }
}
