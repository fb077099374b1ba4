//! The settings (server, Jitsi domain, start at login: the computer's; notification privacy
//! and lock time: the front nurse's own).

use super::Answer;
use crate::notifications::Notifier;
use crate::state::AppState;
use nursecare_core::settings::Settings;
use std::sync::Arc;
use tauri::{AppHandle, State};

/// The settings (defaults when none were saved).
#[tauri::command]
pub fn get_settings(state: State<'_, Arc<AppState>>) -> Answer<Settings> {
    state.settings()
}

/// Saves the settings and applies what takes effect at once (privacy, start at login). The
/// server is changed by signing in, not here.
#[tauri::command]
pub fn save_settings(
    app: AppHandle,
    state: State<'_, Arc<AppState>>,
    notifier: State<'_, Arc<Notifier>>,
    settings: Settings,
) -> Answer<Settings> {
    let old = state.settings()?;
    let mut new = settings;
    new.server = old.server;
    new.jitsi_domain = new
        .jitsi_domain
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    state.save_settings(&new)?;
    notifier.set_privacy(new.notification_privacy);
    if new.start_at_login != old.start_at_login {
        crate::os::start_at_login(&app, new.start_at_login);
    }
    Ok(new)
}
