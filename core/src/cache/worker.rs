//! The cache's own thread: SQLite calls block, so none runs on the async runtime. Async code
//! sends closures here and awaits their answers; the thread runs them one at a time, which
//! also serialises every write. Between jobs it indexes queued messages for search and
//! checkpoints the WAL, so neither runs inside a commit on the message path.

use super::{Cache, CacheError};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;
use tokio::sync::oneshot;

/// Quiet time after which housekeeping runs.
const IDLE: Duration = Duration::from_millis(200);
/// Messages indexed per idle round.
const IDLE_INDEX_BATCH: usize = 2_000;
/// Under constant load: every this many jobs, index a small batch (keeps up with arrivals
/// while holding a waiting job up for a few milliseconds at most)…
const BUSY_INDEX_EVERY: u32 = 100;
const BUSY_INDEX_BATCH: usize = 100;
/// …and checkpoint after this many (bounds the WAL).
const BUSY_CHECKPOINT_EVERY: u32 = 5_000;

/// Work between jobs, never inside one.
struct Housekeeping {
    /// Whether automatic checkpoints are off (so ours must run).
    manual: bool,
    since_index: u32,
    since_checkpoint: u32,
}

impl Housekeeping {
    fn after_job(&mut self, cache: &mut Cache) {
        self.since_index += 1;
        self.since_checkpoint += 1;
        if self.since_index >= BUSY_INDEX_EVERY {
            self.index(cache, BUSY_INDEX_BATCH);
        }
        if self.since_checkpoint >= BUSY_CHECKPOINT_EVERY {
            self.checkpoint(cache);
        }
    }

    fn idle(&mut self, cache: &mut Cache) {
        if self.since_index > 0 || cache.index_queue_len().unwrap_or(0) > 0 {
            self.index(cache, IDLE_INDEX_BATCH);
        }
        if self.since_checkpoint > 0 {
            self.checkpoint(cache);
        }
    }

    fn index(&mut self, cache: &mut Cache, batch: usize) {
        self.since_index = 0;
        if let Err(e) = cache.index_pending(batch) {
            tracing::warn!(error = %e, "search index not updated");
        }
    }

    fn checkpoint(&mut self, cache: &mut Cache) {
        self.since_checkpoint = 0;
        if self.manual
            && let Err(e) = cache.checkpoint()
        {
            tracing::debug!(error = %e, "checkpoint skipped");
        }
    }
}

type Job = Box<dyn FnOnce(&mut Cache) + Send>;

/// A handle to the thread that owns the [`Cache`]. Cloning is cheap; the thread ends when the
/// last handle is dropped.
#[derive(Clone)]
pub struct CacheHandle {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl CacheHandle {
    /// Moves the cache onto its own thread.
    pub fn spawn(mut cache: Cache) -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("nursecare-cache".into())
            .spawn(move || {
                let mut house = Housekeeping {
                    manual: cache.set_auto_checkpoint(false).is_ok(),
                    since_index: 0,
                    since_checkpoint: 0,
                };
                loop {
                    match rx.recv_timeout(IDLE) {
                        Ok(job) => {
                            job(&mut cache);
                            house.after_job(&mut cache);
                        }
                        Err(RecvTimeoutError::Timeout) => house.idle(&mut cache),
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })
            .expect("spawning the cache thread");
        Self { jobs }
    }

    /// Runs `f` on the cache thread and answers its result.
    pub async fn call<R, F>(&self, f: F) -> Result<R, CacheError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Cache) -> Result<R, CacheError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |cache| {
                let _ = tx.send(f(cache));
            }))
            .map_err(|_| CacheError::Closed)?;
        rx.await.map_err(|_| CacheError::Closed)?
    }
}
