//! The cache's own thread: SQLite calls block, so none runs on the async runtime. Async code
//! sends closures here and awaits their answers; the thread runs them one at a time, which
//! also serialises every write. It checkpoints the WAL when idle, never inside a commit.

use super::{Cache, CacheError};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;
use tokio::sync::oneshot;

/// Quiet time after which the WAL is checkpointed.
const IDLE: Duration = Duration::from_millis(200);
/// Messages indexed per housekeeping round.
const INDEX_BATCH: usize = 2_000;
/// Under constant load, checkpoint anyway after this many jobs (bounds the WAL).
const BUSY_CHECKPOINT_EVERY: u32 = 5_000;

fn pending_index(cache: &Cache) -> bool {
    cache.index_queue_len().unwrap_or(0) > 0
}

/// Housekeeping between jobs: index queued messages (in bounded batches, so a waiting job
/// is not held up long), then checkpoint the WAL.
fn checkpoint(cache: &mut Cache, since: &mut u32, manual: bool) {
    *since = 0;
    if let Err(e) = cache.index_pending(INDEX_BATCH) {
        tracing::warn!(error = %e, "search index not updated");
    }
    if manual && let Err(e) = cache.checkpoint() {
        tracing::debug!(error = %e, "checkpoint skipped");
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
                // Checkpoints happen here, between jobs, not inside a commit.
                let manual = cache.set_auto_checkpoint(false).is_ok();
                let mut since_checkpoint = 0u32;
                loop {
                    match rx.recv_timeout(IDLE) {
                        Ok(job) => {
                            job(&mut cache);
                            since_checkpoint += 1;
                            if since_checkpoint >= BUSY_CHECKPOINT_EVERY {
                                checkpoint(&mut cache, &mut since_checkpoint, manual);
                            }
                        }
                        Err(RecvTimeoutError::Timeout) => {
                            if since_checkpoint > 0 || pending_index(&cache) {
                                checkpoint(&mut cache, &mut since_checkpoint, manual);
                            }
                        }
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
