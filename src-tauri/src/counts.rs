//! Exists because the unread count shows in three places (the title, the badge, the tray
//! icon) that live on the UI thread, and a burst of messages changes it thousands of times a
//! second: updating them per event kept the UI thread busy enough to stall the window's
//! frames. Here one task shows the count, only when it changed, at most every
//! [`AT_MOST_EVERY`]; the last value always lands.

use std::time::Duration;
use tokio::sync::watch;

/// The places are updated at most this often.
pub const AT_MOST_EVERY: Duration = Duration::from_millis(250);

/// Where the count goes (the title, badge and tray; a list in tests).
pub type Show = Box<dyn Fn(u64) + Send + Sync>;

/// The sending side: cheap to call for every event.
#[derive(Clone)]
pub struct Counts(watch::Sender<u64>);

impl Counts {
    /// A sender and the task that shows what it is sent; spawn the task on the runtime.
    pub fn new(show: Show) -> (Self, impl std::future::Future<Output = ()>) {
        let (tx, rx) = watch::channel(0);
        (Self(tx), run(rx, show))
    }

    /// The last count set (for a place that appears later, such as the tray).
    pub fn current(&self) -> u64 {
        *self.0.borrow()
    }

    /// The count now (shown soon, unless another comes first).
    pub fn set(&self, unread: u64) {
        self.0.send_if_modified(|now| {
            let changed = *now != unread;
            *now = unread;
            changed
        });
    }
}

async fn run(mut rx: watch::Receiver<u64>, show: Show) {
    let mut shown = 0u64;
    while rx.changed().await.is_ok() {
        let now = *rx.borrow_and_update();
        if now != shown {
            show(now);
            shown = now;
        }
        // Changes meanwhile wait; the newest is shown after the pause.
        tokio::time::sleep(AT_MOST_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test(start_paused = true)]
    async fn a_burst_shows_few_updates_and_always_the_last_count() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let (counts, task) = Counts::new(Box::new(move |n| log.lock().unwrap().push(n)));
        let task = tokio::spawn(task);
        // A thousand changes within one pause: the first shows at once, the last after it.
        for n in 1..=1000 {
            counts.set(n % 7 + 1);
            tokio::task::yield_now().await;
        }
        counts.set(42);
        tokio::time::sleep(AT_MOST_EVERY * 3).await;
        let seen_now = seen.lock().unwrap().clone();
        assert!(seen_now.len() <= 3, "{seen_now:?}");
        assert_eq!(seen_now.last(), Some(&42), "{seen_now:?}");
        // Setting the same count again shows nothing new.
        counts.set(42);
        tokio::time::sleep(AT_MOST_EVERY * 3).await;
        assert_eq!(seen.lock().unwrap().len(), seen_now.len());
        // Back to zero (read, or signed out) lands too.
        counts.set(0);
        tokio::time::sleep(AT_MOST_EVERY * 3).await;
        assert_eq!(seen.lock().unwrap().last(), Some(&0));
        drop(counts);
        task.await.unwrap();
    }
}
