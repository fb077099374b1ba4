//! Sign in and out, who is signed in, the window's event channel, start-up timing.

use super::Answer;
use crate::state::AppState;
use crate::ui_types::{AppEvent, SessionInfo};
use std::sync::Arc;
use tauri::State;
use tauri::ipc::Channel;

/// The window's event channel (again after a reload): a snapshot follows when signed in.
#[tauri::command]
pub async fn attach(
    state: State<'_, Arc<AppState>>,
    events: Channel<AppEvent>,
) -> Answer<SessionInfo> {
    state.attach(events).await
}

/// Signs in (the account starts; its snapshot follows on the channel).
#[tauri::command]
pub async fn sign_in(
    state: State<'_, Arc<AppState>>,
    server: String,
    email: String,
    password: String,
) -> Answer<SessionInfo> {
    state.inner().sign_in(&server, &email, &password).await
}

/// Signs out; `forget_cache` also deletes this account's messages from this computer.
#[tauri::command]
pub async fn sign_out(state: State<'_, Arc<AppState>>, forget_cache: bool) -> Answer<SessionInfo> {
    state.sign_out(forget_cache).await
}

/// Tries the server now instead of waiting for the next attempt.
#[tauri::command]
pub fn reconnect_now(state: State<'_, Arc<AppState>>) -> Answer<()> {
    state.client()?.reconnect_now();
    Ok(())
}

/// The window painted the conversation list for the first time.
#[tauri::command]
pub fn first_paint(state: State<'_, Arc<AppState>>) -> Answer<()> {
    crate::startup::step("first paint of the list");
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        tracing::info!(
            "first paint of the conversation list after {} ms",
            state.started.elapsed().as_millis()
        );
    });
    Ok(())
}

/// Quits the app (Ctrl+Q in the window; closing the window only hides it).
#[tauri::command]
pub fn quit(app: tauri::AppHandle) -> Answer<()> {
    crate::quit(&app);
    Ok(())
}
