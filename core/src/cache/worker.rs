//! The cache's own thread: SQLite calls block, so none runs on the async runtime. Async code
//! sends closures here and awaits their answers; the thread runs them one at a time, which
//! also serialises every write.

use super::{Cache, CacheError};
use tokio::sync::oneshot;

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
                for job in rx {
                    job(&mut cache);
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
