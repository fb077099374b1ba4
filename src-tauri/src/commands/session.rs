//! Sign in and out, who is signed in, the window's event feed, start-up timing.

use super::Answer;
use crate::state::AppState;
use crate::ui_types::{Attached, FeedNotice, PageTimes, SessionInfo};
use std::sync::Arc;
use tauri::State;
use tauri::ipc::Channel;

/// The window's event feed (again after a reload): a snapshot waits in it when signed in.
#[tauri::command]
pub async fn attach(
    state: State<'_, Arc<AppState>>,
    events: Channel<FeedNotice>,
) -> Answer<Attached> {
    state.attach(events).await
}

/// What waits in the window's feed (told by a notice on the `attach` channel): the JSON of
/// its items as bytes, an answer rather than a script the webview keeps.
#[tauri::command]
pub async fn pull_events(
    state: State<'_, Arc<AppState>>,
    feed: u64,
) -> Answer<tauri::ipc::Response> {
    Ok(tauri::ipc::Response::new(state.pull_events(feed).await?))
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

/// The window painted the conversation list for the first time; `page` says when it reached
/// each step on the way.
#[tauri::command]
pub fn first_paint(state: State<'_, Arc<AppState>>, page: PageTimes) -> Answer<()> {
    crate::startup::step("first paint of the list");
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        crate::startup::page(&page);
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
