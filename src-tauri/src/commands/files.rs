//! Files in a chat: the panel's list, sharing a file (picked, or dropped on the window),
//! opening one (a copy saved into Downloads, then the system's viewer: the app itself never
//! renders or runs a document), and deleting one's own. Uploads and opens report progress on a
//! channel and may be cancelled (`None`).

use super::{Answer, report};
use crate::state::AppState;
use crate::transfers::{Transfers, progress_to};
use crate::ui_types::TransferProgress;
use nursecare_core::ErrorReport;
use nursecare_core::cache::ChatFile;
use nursecare_core::files::Saved;
use nursecare_wire::Id;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

/// A chat's files, newest first (as last listed when the server cannot be reached).
#[tauri::command]
pub async fn files(state: State<'_, Arc<AppState>>, conversation_id: Id) -> Answer<Vec<ChatFile>> {
    state.client()?.files(conversation_id).await.map_err(report)
}

/// The system's file picker; the paths chosen (none when closed).
#[tauri::command]
pub async fn choose_files(app: AppHandle, state: State<'_, Arc<AppState>>) -> Answer<Vec<String>> {
    if let Some(picked) = &state.options.test_pick_file {
        return Ok(vec![picked.display().to_string()]);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Share files in this chat")
        .pick_files(move |picked| {
            let _ = tx.send(picked.unwrap_or_default());
        });
    let picked = rx.await.unwrap_or_default();
    Ok(picked
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .map(|p| p.display().to_string())
        .collect())
}

/// Shares a file from this computer in a chat; `None` when cancelled.
#[tauri::command]
pub async fn upload_file(
    state: State<'_, Arc<AppState>>,
    transfers: State<'_, Arc<Transfers>>,
    conversation_id: Id,
    path: String,
    transfer_id: String,
    progress: Channel<TransferProgress>,
) -> Answer<Option<ChatFile>> {
    let client = state.client()?;
    let progress = progress_to(progress);
    let work = async move {
        client
            .upload_file(conversation_id, std::path::Path::new(&path), progress)
            .await
    };
    match transfers.run(transfer_id, work).await {
        Some(done) => done.map(Some).map_err(report),
        None => Ok(None),
    }
}

/// Cancels an upload or an open in progress.
#[tauri::command]
pub fn cancel_transfer(transfers: State<'_, Arc<Transfers>>, transfer_id: String) -> Answer<()> {
    transfers.cancel(&transfer_id);
    Ok(())
}

/// Opens a file: a copy is saved into the user's Downloads folder (fetched first unless kept
/// here) and handed to the system's viewer, only when its name is on the allowlist. `None`
/// when cancelled; the answer says where the copy went and whether it was opened.
#[tauri::command]
pub async fn open_file(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    transfers: State<'_, Arc<Transfers>>,
    file_id: Id,
    transfer_id: String,
    progress: Channel<TransferProgress>,
) -> Answer<Option<Saved>> {
    let client = state.client()?;
    let dir = downloads();
    let progress = progress_to(progress);
    let work = async move { client.save_file(file_id, &dir, progress).await };
    let saved = match transfers.run(transfer_id, work).await {
        Some(saved) => saved.map_err(report)?,
        None => return Ok(None),
    };
    if saved.openable
        && let Err(e) = app.opener().open_path(&saved.path, None::<&str>)
    {
        tracing::warn!(error = %e, "the system could not open a saved file");
        return Err(ErrorReport {
            message: format!(
                "Saved to {}, but no program on this computer opened it.",
                saved.path
            ),
            kind: nursecare_core::ErrorKind::NotOpenable,
        });
    }
    Ok(Some(saved))
}

/// A photo's bytes for its thumbnail in the panel (fetched and kept first); photos of the
/// web kinds only, at most 10 MB. The answer is raw bytes, not JSON.
#[tauri::command]
pub async fn file_thumbnail(
    state: State<'_, Arc<AppState>>,
    file_id: Id,
) -> Answer<tauri::ipc::Response> {
    const MOST: u64 = 10 * 1024 * 1024;
    let bytes = state
        .client()?
        .photo_bytes(file_id, MOST)
        .await
        .map_err(report)?;
    Ok(tauri::ipc::Response::new(bytes))
}

/// Deletes a file the user shared.
#[tauri::command]
pub async fn delete_file(state: State<'_, Arc<AppState>>, file_id: Id) -> Answer<()> {
    state.client()?.delete_file(file_id).await.map_err(report)
}

/// The user's Downloads folder (their home when the system names none).
fn downloads() -> PathBuf {
    directories::UserDirs::new()
        .and_then(|d| {
            d.download_dir()
                .map(|p| p.to_path_buf())
                .or_else(|| Some(d.home_dir().to_path_buf()))
        })
        .unwrap_or_else(std::env::temp_dir)
}
