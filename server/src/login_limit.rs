//! Failed-login limiting (Part B.7), per (account, address) and per address.
//!
//! An attempt is *reserved* before its password is checked and counted as a failure until it
//! succeeds, so a burst of concurrent tries cannot all be checked before the lock lands (60 at
//! once were, before). Per pair: after [`FREE_FAILURES`] attempts in a row, each further one
//! waits a lock-out that doubles from [`FIRST_LOCK`] up to [`MAX_LOCK`]; a success clears the
//! pair. Per address, across accounts: a budget of [`ADDRESS_BURST`] attempts that refills one
//! every [`ADDRESS_REFILL`], so trying many accounts once each is slowed too, while a clinic
//! behind one address keeps room for its nurses' typos. A registration refused because its
//! email is taken (409) spends from the same budget, so registering cannot list accounts faster
//! than logging in can. An attempt that was never checked
//! (the server was busy) is given back. Kept in memory: a restart forgets it, which only gives
//! an attacker a few more tries per restart.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed on a pair before the lock-out starts.
pub const FREE_FAILURES: u32 = 5;
/// The first lock-out.
pub const FIRST_LOCK: Duration = Duration::from_secs(30);
/// The longest lock-out.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Attempts an address may make at once across accounts.
pub const ADDRESS_BURST: u32 = 30;
/// How often an address earns one attempt back.
pub const ADDRESS_REFILL: Duration = Duration::from_secs(30);
/// How long an address that signed in is remembered as a known one.
pub const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Entries idle this long are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Past this many entries, idle ones are swept.
const SWEEP_ABOVE: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Pair {
    /// Attempts since the last success, the unfinished ones included.
    failures: u32,
    locked_until: Option<Instant>,
    last: Instant,
}

/// An address's budget: `used` attempts, of which one is forgiven per [`ADDRESS_REFILL`]
/// since `since`.
#[derive(Debug, Clone, Copy)]
struct Budget {
    used: u32,
    since: Instant,
}

impl Budget {
    fn refill(&mut self, now: Instant) {
        let earned =
            (now.duration_since(self.since).as_secs_f64() / ADDRESS_REFILL.as_secs_f64()) as u32;
        if earned > 0 {
            self.used = self.used.saturating_sub(earned);
            self.since += ADDRESS_REFILL * earned;
        }
        if self.used == 0 {
            self.since = now;
        }
    }

    /// Seconds until the next attempt is earned.
    fn wait(&self, now: Instant) -> u64 {
        let next = self.since + ADDRESS_REFILL;
        next.saturating_duration_since(now)
            .as_secs_f64()
            .ceil()
            .max(1.0) as u64
    }
}

#[derive(Debug, Default)]
struct Tables {
    pairs: HashMap<(String, IpAddr), Pair>,
    addresses: HashMap<IpAddr, Budget>,
    /// Addresses with a good sign-in, and when (their password checks go first).
    known: HashMap<IpAddr, Instant>,
}

/// The failure tables.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    tables: Mutex<Tables>,
}

/// A reserved attempt. Tell it how it ended ([`Attempt::failed`], [`Attempt::succeeded`]);
/// dropped without either (the server was busy, the store failed), the password was never
/// checked and the attempt is given back.
#[derive(Debug)]
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    addr: IpAddr,
    /// The (account, address) pair, for a login; a registration spends only the address's.
    pair: Option<String>,
    lock: Option<Duration>,
    settled: bool,
}

impl Attempt<'_> {
    /// The password was wrong: the attempt stays counted; answers the lock-out it started.
    pub fn failed(mut self) -> Option<Duration> {
        self.settled = true;
        self.lock
    }

    /// A good login: the pair is cleared and the address gets its attempt back.
    pub fn succeeded(mut self) {
        self.settled = true;
        let mut t = self.limiter.lock();
        if let Some(email) = self.pair.take() {
            t.pairs.remove(&(email, self.addr));
            if t.known.len() > SWEEP_ABOVE {
                t.known.retain(|_, at| at.elapsed() < KNOWN_FOR);
            }
            t.known.insert(self.addr, Instant::now());
        }
        give_back(&mut t, self.addr);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let mut t = self.limiter.lock();
        if let Some(p) = self
            .pair
            .take()
            .and_then(|email| t.pairs.get_mut(&(email, self.addr)))
        {
            p.failures = p.failures.saturating_sub(1);
            if self.lock.is_some() {
                p.locked_until = None;
            }
        }
        give_back(&mut t, self.addr);
    }
}

impl LoginLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves an attempt, or `Err(seconds to wait)` while the pair or the address is locked.
    pub fn reserve(&self, email: &str, addr: IpAddr, now: Instant) -> Result<Attempt<'_>, u64> {
        let mut t = self.lock();
        if t.pairs.len() + t.addresses.len() > SWEEP_ABOVE {
            t.pairs
                .retain(|_, p| now.duration_since(p.last) < FORGET_AFTER);
            t.addresses
                .retain(|_, b| now.duration_since(b.since) < FORGET_AFTER);
        }
        let key = (email.to_lowercase(), addr);
        if let Some(until) = t.pairs.get(&key).and_then(|p| p.locked_until)
            && until > now
        {
            return Err((until - now).as_secs_f64().ceil() as u64);
        }
        spend(&mut t, addr, now)?;
        let pair = t.pairs.entry(key.clone()).or_insert(Pair {
            failures: 0,
            locked_until: None,
            last: now,
        });
        pair.failures += 1;
        pair.last = now;
        let mut lock = None;
        if pair.failures >= FREE_FAILURES {
            let doublings = (pair.failures - FREE_FAILURES).min(10);
            let l = (FIRST_LOCK * 2u32.pow(doublings)).min(MAX_LOCK);
            pair.locked_until = Some(now + l);
            lock = Some(l);
        }
        Ok(Attempt {
            limiter: self,
            addr,
            pair: Some(key.0),
            lock,
            settled: false,
        })
    }

    /// Did someone sign in from `addr` lately ([`KNOWN_FOR`])? Its password checks may take the
    /// hashing gate's kept turn. Kept in memory, so a restart forgets it.
    pub fn known(&self, addr: IpAddr, now: Instant) -> bool {
        self.lock()
            .known
            .get(&addr)
            .is_some_and(|at| now.saturating_duration_since(*at) < KNOWN_FOR)
    }

    /// Reserves a registration from `addr`: it spends the address's budget only (a taken email
    /// answers 409, so registrations could list accounts as fast as logins otherwise).
    pub fn reserve_registration(&self, addr: IpAddr, now: Instant) -> Result<Attempt<'_>, u64> {
        let mut t = self.lock();
        spend(&mut t, addr, now)?;
        Ok(Attempt {
            limiter: self,
            addr,
            pair: None,
            lock: None,
            settled: false,
        })
    }
}

/// Takes one attempt from the address's budget, or `Err(seconds until one is earned)`.
fn spend(t: &mut Tables, addr: IpAddr, now: Instant) -> Result<(), u64> {
    let budget = t.addresses.entry(addr).or_insert(Budget {
        used: 0,
        since: now,
    });
    budget.refill(now);
    if budget.used >= ADDRESS_BURST {
        return Err(budget.wait(now));
    }
    budget.used += 1;
    Ok(())
}

fn give_back(t: &mut Tables, addr: IpAddr) {
    if let Some(b) = t.addresses.get_mut(&addr) {
        b.used = b.used.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn locks_after_free_failures_and_doubles() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 1..FREE_FAILURES {
            let a = l.reserve("a@x", IP, t0).unwrap();
            assert_eq!(a.failed(), None);
        }
        let fifth = l.reserve("A@x", IP, t0).unwrap();
        assert_eq!(fifth.failed(), Some(FIRST_LOCK));
        assert_eq!(l.reserve("a@x", IP, t0).unwrap_err(), FIRST_LOCK.as_secs());
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(l.reserve("a@x", other, t0).is_ok(), "per address");
        let later = t0 + FIRST_LOCK;
        let sixth = l.reserve("a@x", IP, later).unwrap();
        assert_eq!(sixth.failed(), Some(FIRST_LOCK * 2));
        assert!(!l.known(IP, later));
        l.reserve("a@x", IP, later + FIRST_LOCK * 2)
            .unwrap()
            .succeeded();
        assert!(
            l.known(IP, Instant::now()),
            "a good sign-in makes the address known"
        );
        assert!(l.reserve("a@x", IP, later + FIRST_LOCK * 2).is_ok());
    }

    /// Concurrent attempts are counted before any is checked: the sixth is refused even while
    /// the first five are still running.
    #[test]
    fn concurrent_attempts_are_counted_before_they_are_checked() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        let mut running: Vec<_> = (0..FREE_FAILURES)
            .map(|_| l.reserve("a@x", IP, t0).unwrap())
            .collect();
        assert!(l.reserve("a@x", IP, t0).is_err());
        // A success among them clears the pair.
        running.pop().unwrap().succeeded();
        assert!(l.reserve("a@x", IP, t0).is_ok());
        for a in running {
            let _ = a.failed();
        }
    }

    #[test]
    fn an_address_trying_many_accounts_runs_out_and_earns_attempts_back() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..ADDRESS_BURST {
            let _ = l.reserve(&format!("u{i}@x"), IP, t0).unwrap().failed();
        }
        let wait = l.reserve("fresh@x", IP, t0).unwrap_err();
        assert_eq!(wait, ADDRESS_REFILL.as_secs());
        let other: IpAddr = "10.0.0.9".parse().unwrap();
        assert!(l.reserve("fresh@x", other, t0).is_ok(), "other addresses");
        let a = l.reserve("fresh@x", IP, t0 + ADDRESS_REFILL).unwrap();
        assert!(l.reserve("fresh2@x", IP, t0 + ADDRESS_REFILL).is_err());
        // An attempt the server was too busy to check costs nothing.
        drop(a);
        assert!(l.reserve("fresh2@x", IP, t0 + ADDRESS_REFILL).is_ok());
    }

    #[test]
    fn registrations_spend_the_address_budget_but_lock_no_account() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..ADDRESS_BURST - 1 {
            let _ = l.reserve_registration(IP, t0).unwrap().failed();
        }
        l.reserve_registration(IP, t0).unwrap().succeeded();
        let last = l.reserve_registration(IP, t0).unwrap();
        assert!(l.reserve_registration(IP, t0).is_err(), "budget spent");
        assert!(l.reserve("a@x", IP, t0).is_err(), "logins share it");
        drop(last);
        assert!(l.reserve("a@x", IP, t0).is_ok(), "no pair was locked");
    }
}
