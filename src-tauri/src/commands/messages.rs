//! Sending (through the core's outbox), retrying and discarding, typing, search.

use super::{Answer, report};
use crate::state::AppState;
use nursecare_core::cache::OutboxItem;
use nursecare_core::search::SearchHit;
use nursecare_wire::Id;
use std::sync::Arc;
use tauri::State;

/// Most hits a search answers.
const HITS_MAX: u32 = 200;

/// Queues a message, urgent or not: the pending row now, its progress as `outbox` events.
#[tauri::command]
pub async fn send_message(
    state: State<'_, Arc<AppState>>,
    conversation_id: Id,
    text: String,
    urgent: bool,
) -> Answer<OutboxItem> {
    let client = state.client()?;
    let item = client
        .send_with(conversation_id, &text, urgent)
        .await
        .map_err(report)?;
    client.stop_typing(conversation_id).await;
    Ok(item)
}

/// Puts a failed message back in the queue.
#[tauri::command]
pub async fn retry_message(
    state: State<'_, Arc<AppState>>,
    client_id: String,
) -> Answer<OutboxItem> {
    state.client()?.retry(&client_id).await.map_err(report)
}

/// Drops a failed message.
#[tauri::command]
pub async fn discard_message(state: State<'_, Arc<AppState>>, client_id: String) -> Answer<bool> {
    state.client()?.discard(&client_id).await.map_err(report)
}

/// A keystroke in a composer (the core decides when the server hears "typing").
#[tauri::command]
pub async fn keystroke(state: State<'_, Arc<AppState>>, conversation_id: Id) -> Answer<()> {
    state.client()?.keystroke(conversation_id).await;
    Ok(())
}

/// The composer was cleared.
#[tauri::command]
pub async fn stop_typing(state: State<'_, Arc<AppState>>, conversation_id: Id) -> Answer<()> {
    state.client()?.stop_typing(conversation_id).await;
    Ok(())
}

/// Searches the cached history (offline too).
#[tauri::command]
pub async fn search(
    state: State<'_, Arc<AppState>>,
    query: String,
    limit: u32,
) -> Answer<Vec<SearchHit>> {
    state
        .client()?
        .search(&query, limit.clamp(1, HITS_MAX))
        .await
        .map_err(report)
}

/// Opens a link from a message in the system browser (never in the app's window).
#[tauri::command]
pub fn open_link(app: tauri::AppHandle, url: String) -> Answer<()> {
    crate::os::open_in_browser(&app, &url)
}
