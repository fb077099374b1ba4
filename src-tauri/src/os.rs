//! Exists because a few OS services are reached through plugins with their own vocabulary:
//! start at login (autostart; on Windows the user's Run key, written here), the system
//! browser (opener), and whether a tray host exists.

use crate::commands::Answer;
use nursecare_core::{ErrorKind, ErrorReport};
use tauri::AppHandle;
#[cfg(not(windows))]
use tauri_plugin_autostart::ManagerExt;
use tauri_plugin_opener::OpenerExt;

/// Turns start-at-login on or off (a failure is logged: the setting stays as chosen and is
/// applied again at the next save).
pub fn start_at_login(app: &AppHandle, on: bool) {
    #[cfg(windows)]
    let done = {
        let _ = app;
        run_key(on)
    };
    #[cfg(not(windows))]
    let done = {
        let launcher = app.autolaunch();
        if on {
            launcher.enable()
        } else {
            launcher.disable()
        }
        .map_err(|e| e.to_string())
    };
    if let Err(e) = done {
        tracing::warn!(error = %e, on, "start at login could not be changed");
    }
}

/// The name of the app's value under the Run key.
pub const RUN_VALUE: &str = "NurseCare";

/// The command Windows runs at login: the program's path quoted (a user folder such as
/// `C:\Users\Zoë Ng` has a space, and the autostart plugin writes it bare, so it would
/// never start), then `--hidden`.
pub fn login_command(exe: &std::path::Path) -> String {
    format!("\"{}\" --hidden", exe.display())
}

/// Windows: the user's own Run key (never the machine's, which the plugin tries first and
/// which would start it for everyone on a shared ward computer).
#[cfg(windows)]
fn run_key(on: bool) -> Result<(), String> {
    let key = windows_registry::CURRENT_USER
        .create(r"Software\Microsoft\Windows\CurrentVersion\Run")
        .map_err(|e| e.to_string())?;
    if on {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        key.set_string(RUN_VALUE, login_command(&exe))
    } else {
        match key.remove_value(RUN_VALUE) {
            // Absent already (ERROR_FILE_NOT_FOUND).
            Err(e) if e.code() == windows::core::HRESULT::from_win32(2) => Ok(()),
            other => other,
        }
    }
    .map_err(|e| e.to_string())
}

/// Opens an http(s) link in the system browser; anything else is refused (a message could
/// hold `file:` or a custom scheme).
pub fn open_in_browser(app: &AppHandle, url: &str) -> Answer<()> {
    if !is_web_link(url) {
        return Err(ErrorReport::of(&ErrorKind::Forbidden));
    }
    app.opener().open_url(url, None::<&str>).map_err(|e| {
        tracing::warn!(error = %e, "the system browser did not open");
        let kind = ErrorKind::NotFoundHere;
        ErrorReport {
            message: "No browser could be opened on this computer.".into(),
            kind,
        }
    })
}

/// Whether `url` is a plain web link.
pub fn is_web_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Whether a tray host is there to show our icon. Linux: a StatusNotifierWatcher on the
/// session bus (GNOME without an extension and bare Xvfb have none). Elsewhere: always.
pub async fn tray_host_present() -> bool {
    #[cfg(target_os = "linux")]
    {
        let Ok(bus) = zbus::Connection::session().await else {
            return false;
        };
        let Ok(dbus) = zbus::fdo::DBusProxy::new(&bus).await else {
            return false;
        };
        match zbus::names::BusName::try_from("org.kde.StatusNotifierWatcher") {
            Ok(name) => dbus.name_has_owner(name).await.unwrap_or(false),
            Err(_) => false,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::is_web_link;

    #[test]
    fn the_login_command_quotes_the_program() {
        let exe = std::path::Path::new(
            "/Users/Zoë Ng/AppData/Local/Programs/NurseCare/nursecare-desktop.exe",
        );
        assert_eq!(
            super::login_command(exe),
            "\"/Users/Zoë Ng/AppData/Local/Programs/NurseCare/nursecare-desktop.exe\" --hidden"
        );
    }

    #[test]
    fn only_web_links_open() {
        assert!(is_web_link("https://example.org/a?b=c"));
        assert!(is_web_link("HTTP://example.org"));
        assert!(!is_web_link("file:///etc/passwd"));
        assert!(!is_web_link("javascript:alert(1)"));
        assert!(!is_web_link("https://exa mple.org"));
        assert!(!is_web_link("nursecare://x"));
    }
}
