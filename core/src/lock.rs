//! When the window locks: after a time without input (the nurse's setting, or the one an
//! administrator set for the computer, which wins), or at once when asked. One task owns
//! whether it is locked; the shell reports input and asks, and shows what it publishes.
//! Opening the lock is [`crate::session::Sessions::unlock`]'s (the PIN or password).

use std::path::Path;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

/// Minutes without input before the window locks, unless set otherwise.
pub const DEFAULT_MINUTES: u32 = 5;
/// The most minutes a lock time may be (a day).
pub const MAX_MINUTES: u32 = 24 * 60;
/// The environment variable an administrator sets the lock time with.
pub const ENV: &str = "NURSECARE_LOCK_MINUTES";
/// The file beside the installed app an administrator sets the lock time with:
/// `{"lockMinutes": 5}`.
pub const POLICY_FILE: &str = "nursecare-policy.json";

/// How long the window waits without input before it locks, and who decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct LockPolicy {
    /// Minutes; 0 never locks by itself.
    pub minutes: u32,
    /// Set by the organisation (the policy file or the environment): the settings show it
    /// and do not let it change.
    pub by_organisation: bool,
}

impl LockPolicy {
    /// The idle time, or none when it never locks by itself.
    pub fn idle(&self) -> Option<Duration> {
        (self.minutes > 0).then(|| Duration::from_secs(u64::from(self.minutes) * 60))
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyFile {
    lock_minutes: Option<u32>,
}

/// The lock time: the environment's `NURSECARE_LOCK_MINUTES`, else `POLICY_FILE` in
/// `app_dir` (beside the installed app), else the nurse's own (`chosen`, default 5). A value
/// that does not read, or past a day, is ignored (and logged) rather than trusted.
pub fn policy(chosen: Option<u32>, env: Option<&str>, app_dir: Option<&Path>) -> LockPolicy {
    let valid = |m: u32| (m <= MAX_MINUTES).then_some(m);
    if let Some(text) = env {
        match text.trim().parse::<u32>().ok().and_then(valid) {
            Some(minutes) => {
                return LockPolicy {
                    minutes,
                    by_organisation: true,
                };
            }
            None => tracing::warn!("{ENV} is not a number of minutes up to {MAX_MINUTES}: ignored"),
        }
    }
    if let Some(file) = app_dir.map(|d| d.join(POLICY_FILE))
        && let Ok(text) = std::fs::read_to_string(&file)
    {
        match serde_json::from_str::<PolicyFile>(&text)
            .ok()
            .and_then(|p| p.lock_minutes)
            .and_then(valid)
        {
            Some(minutes) => {
                return LockPolicy {
                    minutes,
                    by_organisation: true,
                };
            }
            None => {
                tracing::warn!(file = %file.display(), "the lock policy file does not read: ignored")
            }
        }
    }
    LockPolicy {
        minutes: chosen.and_then(valid).unwrap_or(DEFAULT_MINUTES),
        by_organisation: false,
    }
}

enum Command {
    Input,
    LockNow(Option<oneshot::Sender<()>>),
    Unlocked(oneshot::Sender<()>),
    Idle(Option<Duration>),
    Hold(bool),
}

/// The lock's owner: a task that alone decides whether the window is locked.
#[derive(Clone)]
pub struct Lock {
    commands: mpsc::UnboundedSender<Command>,
    locked: watch::Receiver<bool>,
}

impl Lock {
    /// Starts the owner, locked or not, with `idle` (none: only when asked).
    pub fn start(idle: Option<Duration>, locked: bool) -> Self {
        let (commands, inbox) = mpsc::unbounded_channel();
        let (tell, watched) = watch::channel(locked);
        tokio::spawn(own(inbox, tell, idle, locked));
        Self {
            commands,
            locked: watched,
        }
    }

    /// The nurse used the window: the idle time starts again.
    pub fn input(&self) {
        let _ = self.commands.send(Command::Input);
    }

    /// Lock now (Ctrl+L, the tray, the menu, switching nurse).
    pub fn lock_now(&self) {
        let _ = self.commands.send(Command::LockNow(None));
    }

    /// Locks now and answers once the owner has taken it (so what is read of the lock next,
    /// and any answer built from it, says locked).
    pub async fn locked_now(&self) {
        let (done, taken) = oneshot::channel();
        if self.commands.send(Command::LockNow(Some(done))).is_ok() {
            let _ = taken.await;
        }
    }

    /// The PIN or password opened it; answers once the owner has taken it (so what is read
    /// of the lock next says open).
    pub async fn unlocked(&self) {
        let (done, taken) = oneshot::channel();
        if self.commands.send(Command::Unlocked(done)).is_ok() {
            let _ = taken.await;
        }
    }

    /// A new idle time (the settings changed).
    pub fn set_idle(&self, idle: Option<Duration>) {
        let _ = self.commands.send(Command::Idle(idle));
    }

    /// While held (the nurse is in a call, whose window is not the one reporting input), the
    /// idle time does not run; it starts again when released.
    pub fn hold(&self, held: bool) {
        let _ = self.commands.send(Command::Hold(held));
    }

    /// Whether it is locked now.
    pub fn is_locked(&self) -> bool {
        *self.locked.borrow()
    }

    /// Each change of whether it is locked.
    pub fn watch(&self) -> watch::Receiver<bool> {
        self.locked.clone()
    }
}

async fn own(
    mut inbox: mpsc::UnboundedReceiver<Command>,
    tell: watch::Sender<bool>,
    mut idle: Option<Duration>,
    mut locked: bool,
) {
    let mut last_input = Instant::now();
    let mut held = false;
    loop {
        let deadline = idle.filter(|_| !locked && !held).map(|d| last_input + d);
        let command = match deadline {
            Some(at) => tokio::select! {
                c = inbox.recv() => c,
                () = tokio::time::sleep_until(at) => {
                    locked = true;
                    tracing::info!("locked after the idle time");
                    tell.send_replace(true);
                    continue;
                }
            },
            None => inbox.recv().await,
        };
        let Some(command) = command else { return };
        match command {
            Command::Input => last_input = Instant::now(),
            Command::LockNow(done) => {
                if !locked {
                    locked = true;
                    tracing::info!("locked when asked");
                    tell.send_replace(true);
                }
                if let Some(done) = done {
                    let _ = done.send(());
                }
            }
            Command::Unlocked(done) => {
                last_input = Instant::now();
                if locked {
                    locked = false;
                    tell.send_replace(false);
                }
                let _ = done.send(());
            }
            Command::Idle(new) => {
                idle = new;
                last_input = Instant::now();
            }
            Command::Hold(on) => {
                held = on;
                last_input = Instant::now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    async fn settled(lock: &Lock) -> bool {
        // Let the owner take what was sent before reading its view.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        lock.is_locked()
    }

    #[tokio::test(start_paused = true)]
    async fn it_locks_after_the_idle_time_and_input_puts_that_off() {
        let lock = Lock::start(Some(5 * MINUTE), false);
        let mut watched = lock.watch();
        tokio::time::sleep(4 * MINUTE).await;
        assert!(!settled(&lock).await);
        lock.input();
        tokio::time::sleep(4 * MINUTE).await;
        assert!(
            !settled(&lock).await,
            "input started the five minutes again"
        );
        let at = Instant::now();
        watched.changed().await.unwrap();
        assert!(*watched.borrow());
        assert_eq!(
            at.elapsed(),
            MINUTE,
            "locked five minutes after the last input"
        );
        // Input does not open it; the PIN does, and the time starts again from there.
        lock.input();
        assert!(settled(&lock).await);
        lock.unlocked().await;
        assert!(!lock.is_locked(), "open as soon as unlocked() answers");
        tokio::time::sleep(5 * MINUTE + Duration::from_millis(1)).await;
        assert!(settled(&lock).await);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_minutes_never_locks_by_itself_but_lock_now_does() {
        let lock = Lock::start(policy(Some(0), None, None).idle(), false);
        tokio::time::sleep(24 * 60 * MINUTE).await;
        assert!(!settled(&lock).await);
        lock.lock_now();
        assert!(settled(&lock).await);
        lock.unlocked().await;
        lock.set_idle(Some(MINUTE));
        tokio::time::sleep(MINUTE + Duration::from_millis(1)).await;
        assert!(settled(&lock).await, "a new idle time applies at once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_holds_the_idle_time_off() {
        let lock = Lock::start(Some(MINUTE), false);
        lock.hold(true);
        tokio::time::sleep(60 * MINUTE).await;
        assert!(!settled(&lock).await, "no lock during a call");
        lock.hold(false);
        tokio::time::sleep(MINUTE + Duration::from_millis(1)).await;
        assert!(settled(&lock).await, "the idle time runs again after it");
    }

    #[test]
    fn the_organisation_decides_before_the_nurse() {
        let dir = tempfile::tempdir().unwrap();
        let mine = policy(Some(15), None, Some(dir.path()));
        assert_eq!((mine.minutes, mine.by_organisation), (15, false));
        assert_eq!(policy(None, None, None).minutes, DEFAULT_MINUTES);
        std::fs::write(dir.path().join(POLICY_FILE), r#"{"lockMinutes": 2}"#).unwrap();
        let file = policy(Some(15), None, Some(dir.path()));
        assert_eq!((file.minutes, file.by_organisation), (2, true));
        let env = policy(Some(15), Some("1"), Some(dir.path()));
        assert_eq!((env.minutes, env.by_organisation), (1, true));
        // What does not read is not trusted: the next source decides.
        assert_eq!(policy(Some(15), Some("soon"), Some(dir.path())).minutes, 2);
        std::fs::write(dir.path().join(POLICY_FILE), r#"{"lockMinutes": 99999}"#).unwrap();
        assert_eq!(policy(Some(15), None, Some(dir.path())), mine);
    }
}
