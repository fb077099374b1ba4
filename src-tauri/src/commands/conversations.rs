//! The conversation list, the open chat, history pages, read marks, drafts and mutes.

use super::{Answer, report};
use crate::notifications::Notifier;
use crate::state::AppState;
use nursecare_core::cache::ConversationSummary;
use nursecare_wire::{Id, Message};
use std::sync::Arc;
use tauri::State;

/// Longest page the window may ask for.
const PAGE_MAX: u32 = 200;

/// The list, from the cache.
#[tauri::command]
pub async fn conversations(state: State<'_, Arc<AppState>>) -> Answer<Vec<ConversationSummary>> {
    state.client()?.conversations().await.map_err(report)
}

/// The chat on screen (none: `null`); it is joined and, while the window is focused, kept read.
#[tauri::command]
pub fn open_conversation(
    state: State<'_, Arc<AppState>>,
    notifier: State<'_, Arc<Notifier>>,
    conversation_id: Option<Id>,
) -> Answer<()> {
    notifier.set_open(conversation_id);
    state.client()?.open(conversation_id);
    Ok(())
}

/// A page of history, newest first, older than message `before`.
#[tauri::command]
pub async fn history(
    state: State<'_, Arc<AppState>>,
    conversation_id: Id,
    before: Option<Id>,
    limit: u32,
) -> Answer<Vec<Message>> {
    state
        .client()?
        .history(conversation_id, before, limit.clamp(1, PAGE_MAX))
        .await
        .map_err(report)
}

/// A message and `count` cached messages on each side (where a search hit opens).
#[tauri::command]
pub async fn around(
    state: State<'_, Arc<AppState>>,
    conversation_id: Id,
    message_id: Id,
    count: u32,
) -> Answer<Vec<Message>> {
    state
        .client()?
        .around(conversation_id, message_id, count.clamp(1, PAGE_MAX))
        .await
        .map_err(report)
}

/// Marks a conversation read.
#[tauri::command]
pub async fn mark_read(state: State<'_, Arc<AppState>>, conversation_id: Id) -> Answer<u64> {
    state
        .client()?
        .mark_read(conversation_id)
        .await
        .map_err(report)
}

/// Keeps the composer's unsent text.
#[tauri::command]
pub async fn set_draft(
    state: State<'_, Arc<AppState>>,
    conversation_id: Id,
    text: String,
) -> Answer<()> {
    state
        .client()?
        .set_draft(conversation_id, &text)
        .await
        .map_err(report)
}

/// Mutes or unmutes a conversation's notifications on this computer.
#[tauri::command]
pub async fn set_muted(
    state: State<'_, Arc<AppState>>,
    conversation_id: Id,
    muted: bool,
) -> Answer<()> {
    state
        .client()?
        .set_muted(conversation_id, muted)
        .await
        .map_err(report)
}
