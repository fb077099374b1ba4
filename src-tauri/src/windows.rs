//! Exists because closing a chat window must not quit a program nurses leave running all
//! shift, yet must never leave it invisible: the main window, its close and focus handling,
//! and its title with the unread count. (The calls issue adds the call window here.)

use crate::state::AppState;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::{AppHandle, Manager, WebviewWindow, WindowEvent};

/// The main window's label.
pub const MAIN: &str = "main";

/// Whether closing hides to the tray (a tray host shows our icon) or minimises.
#[derive(Default)]
pub struct CloseToTray(pub AtomicBool);

/// The main window, if it exists.
pub fn main_window(app: &AppHandle) -> Option<WebviewWindow> {
    app.get_webview_window(MAIN)
}

/// Shows, restores and focuses the main window (a second launch, the tray, a notification).
pub fn show_main(app: &AppHandle) {
    if let Some(w) = main_window(app) {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// The title with the unread count, as Signal and Element show it.
pub fn title_for(unread: u64) -> String {
    if unread == 0 {
        "NurseCare".into()
    } else {
        format!("NurseCare ({unread})")
    }
}

/// Puts the count in the title (and the dock or taskbar badge where the platform has one).
pub fn show_count(app: &AppHandle, unread: u64) {
    if let Some(w) = main_window(app) {
        let _ = w.set_title(&title_for(unread));
        #[cfg(any(target_os = "macos", target_os = "linux"))]
        {
            let badge = (unread > 0).then_some(unread as i64);
            // Linux: only Unity-style launchers show it; an error just means none is there.
            let _ = w.set_badge_count(badge);
        }
        // Windows: the count over the taskbar button.
        #[cfg(windows)]
        let _ = w.set_overlay_icon(crate::tray::overlay(unread));
    }
}

/// Wires the main window: close hides or minimises, focus goes to the core and notifier.
pub fn watch_main(app: &AppHandle) {
    let Some(window) = main_window(app) else {
        tracing::error!("no main window");
        return;
    };
    let handle = app.clone();
    window.on_window_event(move |event| match event {
        WindowEvent::CloseRequested { api, .. } => {
            api.prevent_close();
            let Some(w) = main_window(&handle) else {
                return;
            };
            let to_tray = handle.state::<CloseToTray>().0.load(Ordering::Relaxed);
            let _ = if to_tray { w.hide() } else { w.minimize() };
            // Not every platform says the window lost focus when it goes: the open chat must
            // not stay "read" while nobody sees it.
            handle.state::<Arc<AppState>>().set_focused(false);
        }
        WindowEvent::Focused(focused) => {
            handle.state::<Arc<AppState>>().set_focused(*focused);
        }
        // Files dropped on the window: the window shares them in the open chat.
        WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) => {
            let state = handle.state::<Arc<AppState>>().inner().clone();
            let paths = paths.iter().map(|p| p.display().to_string()).collect();
            tauri::async_runtime::spawn(async move {
                state
                    .bridge
                    .tell(crate::ui_types::AppEvent::FilesDropped { paths })
                    .await;
            });
        }
        _ => {}
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_title_carries_the_count() {
        assert_eq!(super::title_for(0), "NurseCare");
        assert_eq!(super::title_for(3), "NurseCare (3)");
    }
}
