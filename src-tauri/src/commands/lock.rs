//! The lock: lock now, the nurse's input (which puts the idle lock off), unlocking with the
//! PIN or password, setting the PIN, and the lock time. The rules are the core's.

use super::Answer;
use crate::state::AppState;
use crate::ui_types::SessionInfo;
use nursecare_core::lock::LockPolicy;
use nursecare_wire::Id;
use std::sync::Arc;
use tauri::State;

/// Locks the window now (Ctrl+L, the Lock button).
#[tauri::command]
pub fn lock_now(state: State<'_, Arc<AppState>>) -> Answer<()> {
    state.lock().lock_now();
    Ok(())
}

/// The nurse used the window (sent at most every few seconds while they do).
#[tauri::command]
pub fn input(state: State<'_, Arc<AppState>>) -> Answer<()> {
    state.lock().input();
    Ok(())
}

/// Opens the lock with what was typed: the PIN, or the password.
#[tauri::command]
pub async fn unlock(state: State<'_, Arc<AppState>>, typed: String) -> Answer<SessionInfo> {
    state.inner().unlock(&typed).await
}

/// Another nurse signed in on this computer comes to the front: the window locks and asks
/// for their PIN.
#[tauri::command]
pub async fn switch_nurse(state: State<'_, Arc<AppState>>, user_id: Id) -> Answer<SessionInfo> {
    state.switch_to(user_id).await
}

/// Sets or changes the PIN (6 or more digits), proven by the account's password; the lock
/// opens.
#[tauri::command]
pub async fn set_pin(
    state: State<'_, Arc<AppState>>,
    password: String,
    pin: String,
) -> Answer<SessionInfo> {
    state.set_pin(&password, &pin).await
}

/// How long the window waits without input before it locks, and whether the organisation
/// set that.
#[tauri::command]
pub fn lock_policy(state: State<'_, Arc<AppState>>) -> Answer<LockPolicy> {
    Ok(state.lock_policy())
}

/// The nurse's own lock time (minutes; 0 never by itself); the organisation's, when set,
/// stays in force.
#[tauri::command]
pub fn set_lock_minutes(state: State<'_, Arc<AppState>>, minutes: u32) -> Answer<LockPolicy> {
    let mut settings = state.settings()?;
    settings.lock_minutes = Some(minutes.min(nursecare_core::lock::MAX_MINUTES));
    state.save_settings(&settings)?;
    Ok(state.lock_policy())
}
