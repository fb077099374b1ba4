//! Calls: one click from a chat, answering or declining a ring, hanging up, rejoining after a
//! restart, and a chat's call history. The user's call then moves by `myCall` events; each
//! command also answers it as it is now.

use super::{Answer, report};
use crate::state::AppState;
use nursecare_core::ClientError;
use nursecare_core::my_call::CallNow;
use nursecare_wire::{Id, VideoCall};
use std::sync::Arc;
use tauri::State;

/// Calls the other side of a conversation (or joins their call, when both called at once).
#[tauri::command]
pub async fn start_call(
    state: State<'_, Arc<AppState>>,
    conversation_id: Id,
) -> Answer<Option<CallNow>> {
    let client = state.client()?;
    client.start_call(conversation_id).await.map_err(report)?;
    Ok(client.current_call())
}

/// Answers a ringing call; a call the user was in is hung up (the window asked first).
#[tauri::command]
pub async fn accept_call(
    state: State<'_, Arc<AppState>>,
    room_name: String,
) -> Answer<Option<CallNow>> {
    let client = state.client()?;
    client.accept_call(&room_name).await.map_err(report)?;
    Ok(client.current_call())
}

/// Declines a ringing call.
#[tauri::command]
pub async fn reject_call(state: State<'_, Arc<AppState>>, call_id: Id) -> Answer<()> {
    state.client()?.reject_call(call_id).await.map_err(report)?;
    Ok(())
}

/// Hangs up: the call is over for both sides. Offline, the call is left here all the same and
/// the server told later: the call bar says so (`hangingUp`), which is no error; nor is a call
/// found over meanwhile.
#[tauri::command]
pub async fn hang_up(state: State<'_, Arc<AppState>>, call_id: Id) -> Answer<()> {
    match state.client()?.hang_up(call_id).await {
        Ok(_) | Err(ClientError::HangUpPending | ClientError::CallOver) => Ok(()),
        Err(e) => Err(report(e)),
    }
}

/// Goes back into the call offered after a restart.
#[tauri::command]
pub async fn rejoin_call(state: State<'_, Arc<AppState>>) -> Answer<Option<CallNow>> {
    let client = state.client()?;
    client.rejoin_call().await.map_err(report)?;
    Ok(client.current_call())
}

/// A conversation's calls, newest first (from the cache when offline).
#[tauri::command]
pub async fn call_history(
    state: State<'_, Arc<AppState>>,
    conversation_id: Id,
) -> Answer<Vec<VideoCall>> {
    state
        .client()?
        .call_history(conversation_id)
        .await
        .map_err(report)
}
