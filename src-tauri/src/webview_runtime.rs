//! Exists because on Windows the webview is a runtime installed apart from the app (Microsoft
//! Edge WebView2): Windows 11 has it, an older or locked-down computer may not. Without it the
//! window cannot exist, so the app says so at once, in words IT can act on, and stops, instead
//! of Tauri's panic after its own dialog.

/// The exit code when the webview runtime is missing.
pub const EXIT_MISSING: i32 = 4;

/// What the user and the log are told.
pub const MISSING: &str = "NurseCare cannot start: this computer lacks the Microsoft Edge \
WebView2 Runtime, which NurseCare's window needs. Windows 11 includes it. On Windows 10, ask \
your IT department to install the WebView2 Evergreen Runtime (free, from Microsoft: \
https://developer.microsoft.com/microsoft-edge/webview2/), then start NurseCare again.";

/// Whether the installed runtime's version string means one is there (the loader answers an
/// error, or on older loaders an empty string, when none is).
pub fn present(version: Result<&str, ()>) -> bool {
    matches!(version, Ok(v) if !v.trim().is_empty() && v.trim() != "0.0.0.0")
}

/// Whether the window can be made: false (after telling the log, stderr and a message box
/// [`MISSING`]) when the runtime is absent; always true elsewhere than on Windows.
pub fn ready() -> bool {
    #[cfg(windows)]
    {
        let version = tauri::webview_version();
        if present(version.as_deref().map_err(|_| ())) {
            tracing::info!(webview2 = ?version.ok(), "webview runtime found");
            return true;
        }
        tracing::error!("{MISSING}");
        eprintln!("{MISSING}");
        alert(MISSING);
        false
    }
    #[cfg(not(windows))]
    true
}

/// A message box (without a display, as under Wine with none, it returns at once).
#[cfg(windows)]
fn alert(text: &str) {
    use windows::Win32::UI::WindowsAndMessaging::{
        MB_ICONERROR, MB_OK, MB_SETFOREGROUND, MessageBoxW,
    };
    use windows::core::{HSTRING, w};
    // SAFETY: both strings outlive the call; no owner window.
    unsafe {
        MessageBoxW(
            None,
            &HSTRING::from(text),
            w!("NurseCare"),
            MB_OK | MB_ICONERROR | MB_SETFOREGROUND,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_means_a_runtime() {
        assert!(present(Ok("131.0.2903.86")));
        assert!(!present(Ok("")));
        assert!(!present(Ok("0.0.0.0")));
        assert!(!present(Err(())));
    }

    #[test]
    fn the_message_says_what_is_missing_and_where_to_get_it() {
        assert!(MISSING.contains("WebView2 Runtime"));
        assert!(MISSING.contains("https://developer.microsoft.com/microsoft-edge/webview2/"));
    }
}
