//! The cache's own thread: SQLite calls block, so none runs on the async runtime. Async code
//! sends closures here and awaits their answers; the thread runs them one at a time, which
//! also serialises every write. Between jobs it indexes queued messages for search. The WAL
//! is checkpointed by a second connection on a thread of its own (passive: it never blocks
//! the writer), so no commit on the message path waits for a copy and its fsync.

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
/// Under constant load the checkpointer's passive copies never let the WAL start over: every
/// this many jobs the writer looks at the file, and past WAL_MAX_BYTES empties it itself
/// (a flood of 10,000 live messages had grown it to 191 MB).
const WAL_CHECK_EVERY: u32 = 200;
const WAL_MAX_BYTES: u64 = 16 << 20;

/// Work between jobs, never inside one.
struct Housekeeping {
    /// Whether automatic checkpoints are off (so ours must run).
    manual: bool,
    /// Whether a checkpointer thread does them.
    background: bool,
    since_index: u32,
    since_checkpoint: u32,
    since_wal_check: u32,
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
        self.since_wal_check += 1;
        if self.since_wal_check >= WAL_CHECK_EVERY {
            self.since_wal_check = 0;
            if cache.wal_bytes() > WAL_MAX_BYTES
                && let Err(e) = cache.truncate_wal()
            {
                tracing::debug!(error = %e, "WAL not emptied; trying again later");
            }
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
        // With a checkpointer thread running, the copy happens there instead.
        if self.manual
            && !self.background
            && let Err(e) = cache.checkpoint()
        {
            tracing::debug!(error = %e, "checkpoint skipped");
        }
    }
}

/// How often the checkpointer thread copies the WAL into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Runs passive checkpoints on a connection of its own until `stop` is dropped (at once: it
/// waits on the channel, not in a sleep).
fn spawn_checkpointer(
    cache: &Cache,
    stop: std::sync::mpsc::Receiver<()>,
) -> Option<std::thread::JoinHandle<()>> {
    let checkpointer = cache.checkpointer().ok()?;
    std::thread::Builder::new()
        .name("nursecare-checkpoint".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
                if let Err(e) = checkpointer.checkpoint() {
                    tracing::debug!(error = %e, "checkpoint skipped");
                }
            }
        })
        .ok()
}

type Job = Box<dyn FnOnce(&mut Cache) + Send>;

enum Msg {
    Job(Job),
    /// Stop: join the checkpointer, close the database, then answer.
    Close(oneshot::Sender<()>),
}

/// A handle to the thread that owns the [`Cache`]. Cloning is cheap; the thread ends when the
/// last handle is dropped or on [`CacheHandle::close`].
#[derive(Clone)]
pub struct CacheHandle {
    jobs: std::sync::mpsc::Sender<Msg>,
}

impl CacheHandle {
    /// Moves the cache onto its own thread.
    pub fn spawn(mut cache: Cache) -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<Msg>();
        std::thread::Builder::new()
            .name("nursecare-cache".into())
            .spawn(move || {
                let (stop_tx, stop) = std::sync::mpsc::channel::<()>();
                let checkpointer = spawn_checkpointer(&cache, stop);
                let mut house = Housekeeping {
                    manual: cache.set_auto_checkpoint(false).is_ok(),
                    background: checkpointer.is_some(),
                    since_index: 0,
                    since_checkpoint: 0,
                    since_wal_check: 0,
                };
                let closed = loop {
                    match rx.recv_timeout(IDLE) {
                        Ok(Msg::Job(job)) => {
                            job(&mut cache);
                            house.after_job(&mut cache);
                        }
                        Ok(Msg::Close(done)) => break Some(done),
                        Err(RecvTimeoutError::Timeout) => house.idle(&mut cache),
                        Err(RecvTimeoutError::Disconnected) => break None,
                    }
                };
                // No SQLite (or OpenSSL) work may still run when the process exits: its exit
                // handlers tear down what a running checkpoint would use.
                drop(stop_tx);
                if let Some(t) = checkpointer {
                    let _ = t.join();
                }
                drop(cache);
                if let Some(done) = closed {
                    let _ = done.send(());
                }
            })
            .expect("spawning the cache thread");
        Self { jobs }
    }

    /// Stops the thread and closes the database, waiting until both are done. Later calls
    /// fail with [`CacheError::Closed`]. Call it before the process exits.
    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.jobs.send(Msg::Close(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Runs `f` on the cache thread and answers its result.
    pub async fn call<R, F>(&self, f: F) -> Result<R, CacheError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Cache) -> Result<R, CacheError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Msg::Job(Box::new(move |cache| {
                let _ = tx.send(f(cache));
            })))
            .map_err(|_| CacheError::Closed)?;
        rx.await.map_err(|_| CacheError::Closed)?
    }
}
