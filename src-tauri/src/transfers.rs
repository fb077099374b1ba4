//! Why: an upload or a file fetched to open can take a while, and the window offers Cancel.
//! Each transfer runs as a task of its own, known by the id the window gave it; Cancel aborts
//! it (an upload cut off is refused by the server, and nothing is kept of a fetch cut off).

use nursecare_core::files::Progress;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tauri::async_runtime::JoinHandle;
use tauri::ipc::Channel;

use crate::ui_types::TransferProgress;

/// The transfers running now.
#[derive(Default)]
pub struct Transfers {
    running: Mutex<HashMap<String, tokio::task::AbortHandle>>,
}

impl Transfers {
    /// Runs `work` as the transfer `id`; `None` when it was cancelled.
    pub async fn run<T: Send + 'static>(
        &self,
        id: String,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        let task = tauri::async_runtime::spawn(work);
        let JoinHandle::Tokio(task) = task;
        self.running
            .lock()
            .expect("transfers lock")
            .insert(id.clone(), task.abort_handle());
        let out = task.await;
        self.running.lock().expect("transfers lock").remove(&id);
        out.ok()
    }

    /// Cancels a transfer; false when it had ended already.
    pub fn cancel(&self, id: &str) -> bool {
        match self.running.lock().expect("transfers lock").remove(id) {
            Some(task) => {
                task.abort();
                true
            }
            None => false,
        }
    }
}

/// Progress for the window: at most one message per percent (a 25 MB file is 400 chunks, and
/// each message is a script run in the page), and always the last one.
pub fn progress_to(channel: Channel<TransferProgress>) -> Progress {
    let last = Arc::new(Mutex::new(None::<u64>));
    Arc::new(move |done, total| {
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        let mut last = last.lock().expect("progress lock");
        if *last == Some(percent) && done != total {
            return;
        }
        *last = Some(percent);
        let _ = channel.send(TransferProgress { done, total });
    })
}
