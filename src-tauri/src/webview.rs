//! Exists because WebKitGTK's defaults suit a browser (page and memory caches sized for many
//! pages, GPU compositing) while this window shows one page all shift: the smallest cache
//! model, no back-forward page cache, and no GPU compositing (measured under Xvfb: the web
//! process went from 191 MB to 116 MB PSS; the page is a list of text, painted fine without).

use tauri::WebviewWindow;

/// Applies the settings to the main window's webview (Linux; elsewhere the platform's
/// webview manages itself).
pub fn lean(window: &WebviewWindow) {
    #[cfg(target_os = "linux")]
    {
        let done = window.with_webview(|webview| {
            use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};
            let view = webview.inner();
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_enable_page_cache(false);
                settings.set_hardware_acceleration_policy(
                    webkit2gtk::HardwareAccelerationPolicy::Never,
                );
            }
        });
        if let Err(e) = done {
            tracing::debug!(error = %e, "webview settings not applied");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}
