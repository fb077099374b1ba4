//! The profile's settings (server, Jitsi domain, notification privacy, start at login).

use super::{Answer, report};
use crate::notifications::Notifier;
use crate::state::AppState;
use nursecare_core::settings::Settings;
use std::sync::Arc;
use tauri::{AppHandle, State};

/// The settings (defaults when none were saved).
#[tauri::command]
pub fn get_settings(state: State<'_, Arc<AppState>>) -> Answer<Settings> {
    let profile = state.profile(None)?;
    let (settings, moved) = profile.settings().map_err(report)?;
    if let Some(to) = moved {
        tracing::warn!(to = %to.display(), "damaged settings file set aside");
    }
    Ok(settings)
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
    let profile = state.profile(None)?;
    let (old, _) = profile.settings().map_err(report)?;
    let mut new = settings;
    new.server = old.server;
    new.jitsi_domain = new
        .jitsi_domain
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    profile.save_settings(&new).map_err(report)?;
    notifier.set_privacy(new.notification_privacy);
    state.lock().set_idle(state.lock_policy().idle());
    if new.start_at_login != old.start_at_login {
        crate::os::start_at_login(&app, new.start_at_login);
    }
    Ok(new)
}
