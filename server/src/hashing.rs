//! Exists because password hashing is the one costly thing an anonymous caller can make the
//! server do: argon2id's defaults take about 19 MiB and a core for a moment each, and 200
//! logins at once with unknown emails took the server to 5.7 GB. Hashes for REST callers run
//! here, a few at once (sized from a memory budget and the cores); a caller that cannot get a
//! turn within the wait is answered 503 with `Retry-After` instead of queueing without end.

use std::time::Duration;
use tokio::sync::Semaphore;

/// What one argon2id hash with the default parameters holds while it runs.
pub const MIB_PER_HASH: usize = 19;
/// Memory the hashes may hold together by default.
pub const DEFAULT_BUDGET_MIB: usize = 128;
/// How long a caller waits for a turn by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);

/// No turn came within the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking passwords; try again shortly")]
pub struct Busy;

/// The turns for hashing.
#[derive(Debug)]
pub struct Gate {
    turns: Semaphore,
    size: usize,
    wait: Duration,
}

impl Gate {
    /// `turns` hashes at once; a caller waits at most `wait` for one.
    pub fn new(turns: usize, wait: Duration) -> Self {
        let size = turns.max(1);
        Self {
            turns: Semaphore::new(size),
            size,
            wait,
        }
    }

    /// How many hashes fit `budget_mib` on `cores` cores: no more than the memory allows, no
    /// more than two per core (more only queue inside the blocking pool), at least one.
    pub fn turns_for(budget_mib: usize, cores: usize) -> usize {
        (budget_mib / MIB_PER_HASH).min(cores * 2).max(1)
    }

    /// The default: [`DEFAULT_BUDGET_MIB`] on this machine's cores, [`DEFAULT_WAIT`].
    pub fn sized_here() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(Self::turns_for(DEFAULT_BUDGET_MIB, cores), DEFAULT_WAIT)
    }

    /// How many run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Seconds a refused caller is told to wait.
    pub fn retry_after_secs(&self) -> u64 {
        self.wait.as_secs().max(1)
    }

    /// Runs `work` on the blocking pool once a turn is free; [`Busy`] when none came in time.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let turn = tokio::time::timeout(self.wait, self.turns.acquire())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        let out = tokio::task::spawn_blocking(work)
            .await
            .expect("a password hash panicked");
        drop(turn);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn turns_follow_memory_and_cores() {
        assert_eq!(Gate::turns_for(128, 2), 4);
        assert_eq!(Gate::turns_for(128, 16), 6);
        assert_eq!(Gate::turns_for(10, 8), 1);
    }

    #[tokio::test]
    async fn no_more_than_its_turns_run_at_once() {
        let gate = Arc::new(Gate::new(3, Duration::from_secs(30)));
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..24)
            .map(|_| {
                let (gate, now, most) = (gate.clone(), now.clone(), most.clone());
                tokio::spawn(async move {
                    gate.run(move || {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        now.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_caller_without_a_turn_in_time_is_told_busy() {
        let gate = Arc::new(Gate::new(1, Duration::from_millis(50)));
        let (started, release) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(std::sync::Barrier::new(2)),
        );
        let holder = {
            let (gate, started, release) = (gate.clone(), started.clone(), release.clone());
            tokio::spawn(async move {
                gate.run(move || {
                    started.notify_one();
                    release.wait();
                })
                .await
            })
        };
        started.notified().await;
        assert_eq!(gate.run(|| ()).await, Err(Busy));
        release.wait();
        holder.await.unwrap().unwrap();
        assert_eq!(gate.run(|| 7).await, Ok(7));
    }
}
