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

/// Most memory one hash may use, in argon2 blocks of 1 KiB: a stored hash asking for more is
/// refused rather than allowed to take the server's memory.
pub const MAX_BLOCKS: usize = 64 * 1024;

/// No turn came within the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking passwords; try again shortly")]
pub struct Busy;

/// A hashing worker's memory for argon2, kept from one hash to the next. Allocating 19 MiB per
/// hash on whichever blocking thread ran it left glibc holding freed blocks in many arenas:
/// 200 logins took the process to 2.7 GB even with four at a time.
#[derive(Default)]
pub struct Scratch(Vec<argon2::Block>);

impl Scratch {
    /// `n` blocks, grown once to the most asked for; `None` past [`MAX_BLOCKS`].
    pub fn blocks(&mut self, n: usize) -> Option<&mut [argon2::Block]> {
        if n > MAX_BLOCKS {
            return None;
        }
        if self.0.len() < n {
            self.0.resize(n, argon2::Block::default());
        }
        Some(&mut self.0[..n])
    }
}

type Job = Box<dyn FnOnce(&mut Scratch) + Send>;

/// The turns for hashing, and one worker thread per turn, each with its own [`Scratch`]. With
/// two turns or more, one is kept for callers from addresses that signed in before
/// ([`Gate::run_first`]), so a flood from new addresses cannot keep a clinic's own computers
/// waiting behind it.
pub struct Gate {
    turns: Semaphore,
    kept: Semaphore,
    size: usize,
    wait: Duration,
    jobs: std::sync::mpsc::Sender<Job>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("size", &self.size)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl Gate {
    /// `turns` hashes at once, each on a worker of its own; a caller waits at most `wait` for
    /// one. The workers end when the gate is dropped.
    pub fn new(turns: usize, wait: Duration) -> Self {
        let size = turns.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for i in 0..size {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || work(&queue));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "a password hashing worker did not start");
            }
        }
        let kept = usize::from(size >= 2);
        Self {
            turns: Semaphore::new(size - kept),
            kept: Semaphore::new(kept),
            size,
            wait,
            jobs,
        }
    }

    /// How many hashes fit `budget_mib` on `cores` cores: no more than the memory allows, no
    /// more than two per core (more only queue for the cores), at least one.
    pub fn turns_for(budget_mib: usize, cores: usize) -> usize {
        (budget_mib / MIB_PER_HASH).min(cores * 2).max(1)
    }

    /// How many hashes `budget_mib` allows on this machine's cores.
    pub fn turns_here(budget_mib: usize) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::turns_for(budget_mib, cores)
    }

    /// How many run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Seconds a refused caller is told to wait.
    pub fn retry_after_secs(&self) -> u64 {
        self.wait.as_secs().max(1)
    }

    /// Runs `work` on a hashing worker once a turn is free; [`Busy`] when none came in time.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Scratch) -> T + Send + 'static,
    ) -> Result<T, Busy> {
        self.run_in(false, work).await
    }

    /// [`Gate::run`] for a caller that may also take the kept turn (its address signed in
    /// before): whichever turn is free first.
    pub async fn run_first<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Scratch) -> T + Send + 'static,
    ) -> Result<T, Busy> {
        self.run_in(true, work).await
    }

    async fn run_in<T: Send + 'static>(
        &self,
        first: bool,
        work: impl FnOnce(&mut Scratch) -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let any_turn = async {
            if first {
                tokio::select! {
                    biased;
                    t = self.kept.acquire() => t,
                    t = self.turns.acquire() => t,
                }
            } else {
                self.turns.acquire().await
            }
        };
        let turn = tokio::time::timeout(self.wait, any_turn)
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |scratch| {
            let _ = answer.send(work(scratch));
        });
        self.jobs.send(job).map_err(|_| Busy)?;
        // A turn is held until its worker answers, so every job finds a free worker.
        let out = answered.await.map_err(|_| Busy);
        drop(turn);
        out
    }
}

/// A worker: takes jobs until the gate is gone. A job that panics is logged and its memory
/// dropped; the worker goes on.
fn work(queue: &std::sync::Mutex<std::sync::mpsc::Receiver<Job>>) {
    let mut scratch = Scratch::default();
    loop {
        let job = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut scratch)));
        if ran.is_err() {
            tracing::error!("a password hash panicked");
            scratch = Scratch::default();
        }
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
            .map(|i| {
                let (gate, now, most) = (gate.clone(), now.clone(), most.clone());
                tokio::spawn(async move {
                    let work = move |_: &mut Scratch| {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        now.fetch_sub(1, Ordering::SeqCst);
                    };
                    // Both lanes together never pass the gate's size.
                    if i % 2 == 0 {
                        gate.run(work).await
                    } else {
                        gate.run_first(work).await
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }

    /// Takes one common turn on a worker and keeps it until the barrier is passed; answers once
    /// the work is running.
    async fn hold_a_turn(
        gate: &Arc<Gate>,
    ) -> (
        Arc<std::sync::Barrier>,
        tokio::task::JoinHandle<Result<(), Busy>>,
    ) {
        let (started, release) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(std::sync::Barrier::new(2)),
        );
        let holder = {
            let (gate, started, release) = (gate.clone(), started.clone(), release.clone());
            tokio::spawn(async move {
                gate.run(move |_| {
                    started.notify_one();
                    release.wait();
                })
                .await
            })
        };
        started.notified().await;
        (release, holder)
    }

    /// A flood holding every common turn does not hold back a caller that may take the kept
    /// one.
    #[tokio::test]
    async fn the_kept_turn_serves_known_addresses_past_a_flood() {
        let gate = Arc::new(Gate::new(2, Duration::from_millis(50)));
        let (release, flood) = hold_a_turn(&gate).await;
        assert_eq!(
            gate.run(|_| ()).await,
            Err(Busy),
            "the common turn is taken"
        );
        assert_eq!(gate.run_first(|_| 7).await, Ok(7), "the kept one is free");
        release.wait();
        flood.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_caller_without_a_turn_in_time_is_told_busy() {
        let gate = Arc::new(Gate::new(1, Duration::from_millis(50)));
        let (release, holder) = hold_a_turn(&gate).await;
        assert_eq!(gate.run(|_| ()).await, Err(Busy));
        release.wait();
        holder.await.unwrap().unwrap();
        assert_eq!(gate.run(|_| 7).await, Ok(7));
    }
}
