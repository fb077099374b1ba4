//! Exists because a video call must not take over the chat, nor let the meeting's page near
//! the app: each call gets a window of its own, whose page the shell writes when it opens —
//! scripts and frames only from that call's meeting host (a Content-Security-Policy fixed then,
//! since the Jitsi host is a runtime setting), no access to any command (no capability names
//! it), camera and microphone granted to it alone. The page tells the shell what happens
//! (joined, hang up, the meeting closed, no WebRTC here) by navigating to this window's own
//! scheme with a secret only the page knows; the shell cancels those navigations and acts.
//! Where the webview has no WebRTC (Debian's and Ubuntu's WebKitGTK), the meeting opens in the
//! browser and this window keeps the call: its length and Hang up.

use crate::state::AppState;
use nursecare_core::my_call::{CallNow, Phase};
use nursecare_wire::Id;
use std::sync::{Arc, Mutex};
use tauri::http::{Response, StatusCode, header};
use tauri::{AppHandle, Manager, Url, WebviewUrl, WebviewWindowBuilder};

/// The call window's label: `call-<call>-<n>`, `n` counting the windows opened in this run
/// (the same call may open again after a rejoin, while the last one's destruction is still
/// under way). No capability grants these labels anything.
fn label(call: Id, n: u64) -> String {
    format!("call-{call}-{n}")
}

/// Counts the call windows opened in this run.
static OPENED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// The scheme its page is served from.
pub const SCHEME: &str = "nursecare-call";
/// The page, with `{{CSP}}`, `{{NONCE}}` and `{{CONFIG}}` to fill.
const PAGE: &str = include_str!("call_page.html");
/// What the page says when the meeting is the public meet.jit.si.
const PUBLIC_LIMIT: &str = "On the public meet.jit.si, calls in an app end after 5 minutes. Ask your clinic for its own Jitsi (or JaaS) to call without a limit.";

/// Where a call's meeting is, from its `jitsiUrl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    /// `https://host[:port]`: the only origin the page may load from.
    pub origin: String,
    /// `host[:port]`, as `JitsiMeetExternalAPI` takes it.
    pub domain: String,
    /// The room as the IFrame API names it (JaaS: `<app id>/<room>`).
    pub room_name: String,
    /// `<origin>[/<tenant>]/external_api.js`.
    pub script: String,
}

impl Meeting {
    /// Parses `jitsiUrl`: https only (http only on loopback, for a stand-in in tests).
    pub fn parse(jitsi_url: &str) -> Option<Self> {
        let url = Url::parse(jitsi_url).ok()?;
        let host = url.host_str()?.to_owned();
        let loopback = host == "127.0.0.1" || host == "localhost" || host == "[::1]";
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return None,
        }
        let domain = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        let origin = format!("{}://{domain}", url.scheme());
        let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
        let (room, tenant) = segments.split_last()?;
        let prefix: String = tenant.iter().map(|t| format!("/{t}")).collect();
        let room_name = if tenant.is_empty() {
            (*room).to_owned()
        } else {
            format!("{}/{room}", tenant.join("/"))
        };
        Some(Self {
            script: format!("{origin}{prefix}/external_api.js"),
            origin,
            domain,
            room_name,
        })
    }

    /// The page's policy: its own inline code (by nonce), and the meeting's origin.
    pub fn csp(&self, nonce: &str) -> String {
        let o = &self.origin;
        format!(
            "default-src 'none'; script-src 'nonce-{nonce}' {o}; style-src 'nonce-{nonce}'; \
             frame-src {o}; connect-src {o}; img-src {o} data:; media-src {o}; \
             base-uri 'none'; form-action 'none'; object-src 'none'"
        )
    }
}

/// The meeting URL to open: the server's, unless the server gave no choice (production always
/// answers the public meet.jit.si) and the user set the clinic's Jitsi domain in the settings.
pub fn meeting_url(server_url: &str, domain_setting: Option<&str>) -> String {
    let Some(domain) = domain_setting.map(str::trim).filter(|d| !d.is_empty()) else {
        return server_url.to_owned();
    };
    match Url::parse(server_url) {
        Ok(url) if url.host_str() == Some("meet.jit.si") => {
            let domain = domain.trim_start_matches("https://").trim_end_matches('/');
            format!("https://{domain}{}", url.path())
        }
        _ => server_url.to_owned(),
    }
}

/// The open call window's page and what it may do.
struct Open {
    call_id: Id,
    /// Its window's label.
    label: String,
    secret: String,
    meeting: Meeting,
    html: String,
    /// The page's policy, sent as a header too (where `frame-ancestors` works).
    csp: String,
    /// The meeting's URL with its token, for the browser.
    browser_url: String,
}

/// The call window, if one is open.
#[derive(Default)]
pub struct CallWindow {
    open: Mutex<Option<Open>>,
    /// Test-only (`NURSECARE_TEST_EMBED_CALLS`): embed even without WebRTC, so a loopback
    /// stand-in for Jitsi can be checked in the real window.
    force_embed: bool,
    /// Wakes [`run`]: the user's call changed.
    changed: tokio::sync::Notify,
}

impl CallWindow {
    /// No window yet; `force_embed` only for tests.
    pub fn new(force_embed: bool) -> Self {
        Self {
            open: Mutex::default(),
            force_embed,
            changed: tokio::sync::Notify::new(),
        }
    }
}

/// The user's call changed (or the account stopped): [`run`] brings the window in line.
pub fn nudge(app: &AppHandle) {
    app.state::<CallWindow>().changed.notify_one();
}

/// Keeps the call window in line with the user's call, one change at a time (opening takes a
/// few awaits; changes that come meanwhile are looked at once it is done): a call that is on
/// has its window, anything else has none.
pub async fn run(app: AppHandle) {
    loop {
        app.state::<CallWindow>().changed.notified().await;
        follow(&app).await;
    }
}

/// The user's call as the core has it now, if it is on.
fn call_on(app: &AppHandle) -> Option<CallNow> {
    app.state::<Arc<AppState>>()
        .client_if_any()
        .and_then(|c| c.current_call())
        .filter(|c| c.phase == Phase::InCall)
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// JSON safe inside a `<script>` element.
fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The page for a call, and its policy.
fn render(
    meeting: &Meeting,
    call: &CallNow,
    peer: &str,
    display_name: &str,
    secret: &str,
    force_embed: bool,
) -> (String, String) {
    let nonce = random_hex(16);
    let config = serde_json::json!({
        "domain": meeting.domain,
        "roomName": meeting.room_name,
        "jwt": call.jitsi_jwt,
        "displayName": display_name,
        "peer": peer,
        "inCallSince": call.in_call_since,
        "eventBase": format!("{SCHEME}://localhost/event/{secret}/"),
        "forceEmbed": force_embed,
        "publicLimit": (meeting.domain == "meet.jit.si").then_some(PUBLIC_LIMIT),
    });
    let head_script = format!(
        "<script src=\"{}\" nonce=\"{nonce}\"></script>\n</head>",
        meeting.script
    );
    let csp = meeting.csp(&nonce);
    let html = PAGE
        .replace("{{CSP}}", &csp)
        .replace("{{NONCE}}", &nonce)
        .replace("{{CONFIG}}", &script_json(&config))
        .replacen("</head>", &head_script, 1);
    (html, format!("{csp}; frame-ancestors 'none'"))
}

/// Serves the open call's page (and nothing else) on the window's scheme, with its policy.
pub fn serve(app: &AppHandle, path: &str) -> Response<Vec<u8>> {
    let window = app.state::<CallWindow>();
    let open = window.open.lock().expect("call window lock");
    match (&*open, path) {
        (Some(o), "/" | "/index.html") => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header("Content-Security-Policy", o.csp.as_str())
            .header(header::CACHE_CONTROL, "no-store")
            .body(o.html.clone().into_bytes()),
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Vec::new()),
    }
    .unwrap_or_else(|_| Response::new(Vec::new()))
}

/// A call that is on opens its window (once); one that is over or not joined (ringing out,
/// offered for rejoin), or no account, closes it.
async fn follow(app: &AppHandle) {
    let wanted = call_on(app);
    let wanted = wanted.as_ref();
    let window = app.state::<CallWindow>();
    let showing = window
        .open
        .lock()
        .expect("call window lock")
        .as_ref()
        .map(|o| o.call_id);
    match wanted {
        Some(c) if showing == Some(c.call_id) => {}
        Some(c) => {
            close(app);
            if let Err(e) = open(app, c).await {
                tracing::warn!(error = %e, call = c.call_id, "the call window did not open");
            }
        }
        None => close(app),
    }
}

async fn open(app: &AppHandle, call: &CallNow) -> anyhow::Result<()> {
    let state = app.state::<Arc<AppState>>();
    let setting = state
        .profile(None)
        .ok()
        .and_then(|p| p.settings().ok())
        .and_then(|(s, _)| s.jitsi_domain);
    let jitsi_url = meeting_url(&call.jitsi_url, setting.as_deref());
    let Some(meeting) = Meeting::parse(&jitsi_url) else {
        anyhow::bail!("not a meeting URL this app opens");
    };
    let client = state.client().map_err(|e| anyhow::anyhow!(e.message))?;
    let display_name = match client.my_name().await {
        Some(n) => n,
        None => state
            .session_info()
            .email
            .and_then(|e| e.split('@').next().map(str::to_owned))
            .unwrap_or_else(|| "NurseCare user".into()),
    };
    let peer = client
        .conversations()
        .await
        .ok()
        .and_then(|list| list.into_iter().find(|c| c.id == call.conversation_id))
        .and_then(|c| c.other)
        .map(|o| o.name.unwrap_or(o.email))
        .unwrap_or_else(|| "your contact".into());
    // Over while the above was awaited: no window (the next nudge is already due).
    if call_on(app).is_none_or(|now| now.call_id != call.call_id) {
        return Ok(());
    }
    let window = app.state::<CallWindow>();
    let secret = random_hex(16);
    let (html, csp) = render(
        &meeting,
        call,
        &peer,
        &display_name,
        &secret,
        window.force_embed,
    );
    let browser_url = match &call.jitsi_jwt {
        Some(jwt) => format!("{jitsi_url}?jwt={jwt}"),
        None => jitsi_url.clone(),
    };
    let label = label(
        call.call_id,
        OPENED.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
    );
    let origin = meeting.origin.clone();
    *window.open.lock().expect("call window lock") = Some(Open {
        call_id: call.call_id,
        label: label.clone(),
        secret,
        meeting,
        html,
        csp,
        browser_url,
    });
    let page: Url = format!("{SCHEME}://localhost/").parse()?;
    let handle = app.clone();
    let built = WebviewWindowBuilder::new(app, &label, WebviewUrl::CustomProtocol(page))
        .title(format!("NurseCare — call with {peer}"))
        .inner_size(960.0, 680.0)
        .min_inner_size(480.0, 360.0)
        .on_navigation(move |url| allow(&handle, url))
        .build();
    let built = match built {
        Ok(w) => w,
        Err(e) => {
            window.open.lock().expect("call window lock").take();
            return Err(e.into());
        }
    };
    guard_media(&built, Some(&origin));
    let (handle, call_id, mine) = (app.clone(), call.call_id, label.clone());
    built.on_window_event(move |event| match event {
        // Closing the meeting's window leaves the call: hang up, for both sides.
        tauri::WindowEvent::CloseRequested { .. } => hang_up(&handle, call_id),
        tauri::WindowEvent::Destroyed => {
            let window = handle.state::<CallWindow>();
            let mut open = window.open.lock().expect("call window lock");
            if open.as_ref().is_some_and(|o| o.label == mine) {
                *open = None;
            }
        }
        _ => {}
    });
    // Signed out (or the call ended) while the window was being made: it goes at once.
    if call_on(app).is_none_or(|now| now.call_id != call.call_id) {
        close(app);
    }
    tracing::info!(call = call.call_id, "call window open");
    Ok(())
}

/// Hangs up `call` if it is still the user's; a failure is told in the main window (the call
/// may still be on for the other side).
fn hang_up(app: &AppHandle, call_id: Id) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<Arc<AppState>>();
        let Ok(client) = state.client() else { return };
        if client.current_call().is_none_or(|c| c.call_id != call_id) {
            return;
        }
        // Offline: left here, told to the server later (the call bar says so); or over
        // meanwhile.
        if let Err(e) = client.hang_up(call_id).await
            && !matches!(
                e,
                nursecare_core::ClientError::HangUpPending | nursecare_core::ClientError::CallOver
            )
        {
            tracing::warn!(error = %e, "hanging up from the call window failed");
            let message = format!(
                "The call could not be hung up: {}",
                nursecare_core::ErrorReport::of(&e).message
            );
            state.bridge.tell_error(message).await;
        }
    });
}

/// Closes every call window (one being made too).
pub fn close(app: &AppHandle) {
    let window = app.state::<CallWindow>();
    window.open.lock().expect("call window lock").take();
    for (label, w) in app.webview_windows() {
        if label.starts_with("call-") {
            let _ = w.destroy();
        }
    }
}

/// Decides a navigation in the call window: its page and the meeting's origin pass; the
/// page's messages are acted on and cancelled; anything else is refused.
fn allow(app: &AppHandle, url: &Url) -> bool {
    if url.scheme() == SCHEME {
        let path = url.path();
        if path == "/" || path == "/index.html" {
            return true;
        }
        if let Some(rest) = path.strip_prefix("/event/") {
            let detail = url
                .query_pairs()
                .find(|(k, _)| k == "d")
                .map(|(_, v)| v.into_owned());
            on_page_event(app, rest, detail);
        }
        return false;
    }
    let window = app.state::<CallWindow>();
    let open = window.open.lock().expect("call window lock");
    let origin = url.origin().ascii_serialization();
    let ok = open.as_ref().is_some_and(|o| o.meeting.origin == origin)
        || url.as_str() == "about:blank"
        || url.scheme() == "about";
    if !ok {
        tracing::warn!(origin, "the call window refused a navigation");
    }
    ok
}

/// What the page told: `<secret>/<name>`.
fn on_page_event(app: &AppHandle, rest: &str, detail: Option<String>) {
    let window = app.state::<CallWindow>();
    let (call_id, browser_url, label) = {
        let open = window.open.lock().expect("call window lock");
        let Some(o) = open.as_ref() else { return };
        let Some(name) = rest.strip_prefix(&format!("{}/", o.secret)) else {
            tracing::warn!("a call-window message without the window's secret was ignored");
            return;
        };
        if name.contains('/') {
            return;
        }
        (o.call_id, o.browser_url.clone(), o.label.clone())
    };
    let name = rest.rsplit('/').next().unwrap_or_default().to_owned();
    match name.as_str() {
        "joined" => tracing::info!(call = call_id, "in the meeting"),
        "participantLeft" => tracing::info!(call = call_id, "the other side left the meeting"),
        "error" => {
            tracing::warn!(
                call = call_id,
                detail = detail.as_deref().unwrap_or(""),
                "the meeting failed"
            );
            // Said in the main window too: the call itself goes on (hang up to end it).
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let message = "The video meeting did not load. Hang up and call again, or ask the clinic about its Jitsi.";
                app.state::<Arc<AppState>>()
                    .bridge
                    .tell_error(message.to_owned())
                    .await;
            });
        }
        "ontop" => {
            if let Some(w) = app.get_webview_window(&label) {
                let _ = w.set_always_on_top(detail.as_deref() == Some("1"));
            }
        }
        "browser" => {
            tracing::info!(
                call = call_id,
                "no WebRTC here: the meeting opens in the browser"
            );
            let opened = crate::os::open_in_browser(app, &browser_url);
            if let Err(e) = &opened {
                tracing::warn!(kind = ?e.kind, "the browser did not open the meeting");
            }
            // The window says what happened; without a browser, the link to copy.
            if let Some(w) = app.get_webview_window(&label) {
                let link = serde_json::to_string(&browser_url).unwrap_or_else(|_| "\"\"".into());
                let said = format!(
                    "window.nursecareBrowserOpened && window.nursecareBrowserOpened({}, {link})",
                    opened.is_ok()
                );
                if let Err(e) = w.eval(said) {
                    tracing::warn!(error = %e, "the call window was not told about the browser");
                }
            }
        }
        // Jitsi's own hang-up (readyToClose) and the window's: the call is over for both.
        "readyToClose" | "hangup" => hang_up(app, call_id),
        other => tracing::debug!(event = other, "unknown call-window message"),
    }
}

/// A device a page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The camera.
    Camera,
    /// The microphone.
    Microphone,
    /// Anything else (screen, location, notifications, clipboard, …).
    Other,
}

/// Whether a window lets the page at `asking` (a URL or an origin) use `device`: in the call
/// window (`meeting_origin` set) camera and microphone for the meeting's origin; nothing else,
/// for anyone (not the window's own page, not another frame a meeting page might open), and
/// nothing at all in a window without a meeting.
pub fn grants(meeting_origin: Option<&str>, asking: &str, device: Device) -> bool {
    let Some(meeting) = meeting_origin else {
        return false;
    };
    device != Device::Other
        && Url::parse(asking).is_ok_and(|u| {
            let origin = u.origin();
            origin.is_tuple() && origin.ascii_serialization() == meeting
        })
}

/// Who may use the camera and microphone in `window`: the meeting's origin in a call window,
/// nobody elsewhere. Linux: WebKitGTK asks per request and does not say which origin asks (a
/// call window shows only its meeting; other windows keep WebKitGTK's denial). Windows:
/// WebView2 says which origin asks, and [`grants`] decides; without an answer it would ask
/// the user and remember the answer, so every window gets the handler. It is in place before
/// the meeting can ask: the page loads Jitsi's script, then its frame, then asks.
pub fn guard_media(window: &tauri::WebviewWindow, meeting_origin: Option<&str>) {
    #[cfg(windows)]
    {
        let origin = meeting_origin.map(str::to_owned);
        let done = window.with_webview(move |webview| media_on_windows(webview, origin));
        if let Err(e) = done {
            tracing::warn!(error = %e, "media permission not set up");
        }
    }
    #[cfg(target_os = "linux")]
    if meeting_origin.is_some() {
        let done = window.with_webview(|webview| {
            use webkit2gtk::glib::prelude::Cast;
            use webkit2gtk::{PermissionRequestExt, UserMediaPermissionRequest, WebViewExt};
            webview.inner().connect_permission_request(|_, request| {
                if request
                    .downcast_ref::<UserMediaPermissionRequest>()
                    .is_some()
                {
                    request.allow();
                    return true;
                }
                false
            });
        });
        if let Err(e) = done {
            tracing::warn!(error = %e, "media permission not set up");
        }
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    let _ = (window, meeting_origin);
}

/// Windows: answers WebView2's permission requests by [`grants`], and keeps no answer in the
/// profile (the next meeting asks again).
#[cfg(windows)]
fn media_on_windows(webview: tauri::webview::PlatformWebview, origin: Option<String>) {
    use webview2_com::Microsoft::Web::WebView2::Win32::{
        COREWEBVIEW2_PERMISSION_KIND, COREWEBVIEW2_PERMISSION_KIND_CAMERA,
        COREWEBVIEW2_PERMISSION_KIND_MICROPHONE, COREWEBVIEW2_PERMISSION_STATE_ALLOW,
        COREWEBVIEW2_PERMISSION_STATE_DENY, ICoreWebView2PermissionRequestedEventArgs3,
    };
    use webview2_com::{PermissionRequestedEventHandler, take_pwstr};
    use windows::core::{Interface, PWSTR};
    // SAFETY: WebView2's COM calls on the window's own webview, on the main thread where
    // `with_webview` runs this; the strings are freed by take_pwstr.
    unsafe {
        let core = match webview.controller().CoreWebView2() {
            Ok(core) => core,
            Err(e) => {
                tracing::warn!(error = %e, "media permission not set up");
                return;
            }
        };
        let handler = PermissionRequestedEventHandler::create(Box::new(move |_, args| {
            let Some(args) = args else { return Ok(()) };
            let mut kind = COREWEBVIEW2_PERMISSION_KIND::default();
            args.PermissionKind(&mut kind)?;
            let mut uri = PWSTR::null();
            args.Uri(&mut uri)?;
            let asking = take_pwstr(uri);
            let device = if kind == COREWEBVIEW2_PERMISSION_KIND_CAMERA {
                Device::Camera
            } else if kind == COREWEBVIEW2_PERMISSION_KIND_MICROPHONE {
                Device::Microphone
            } else {
                Device::Other
            };
            let allowed = grants(origin.as_deref(), &asking, device);
            if !allowed {
                tracing::info!(?device, "a permission was denied");
            }
            args.SetState(if allowed {
                COREWEBVIEW2_PERMISSION_STATE_ALLOW
            } else {
                COREWEBVIEW2_PERMISSION_STATE_DENY
            })?;
            if let Ok(args) = args.cast::<ICoreWebView2PermissionRequestedEventArgs3>() {
                let _ = args.SetSavesInProfile(false);
            }
            Ok(())
        }));
        let mut token = 0i64;
        if let Err(e) = core.add_PermissionRequested(&handler, &mut token) {
            tracing::debug!(error = %e, "media permission not set up");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_meeting_gets_the_camera_and_microphone() {
        let meeting = Some("https://meet.clinic.example");
        for device in [Device::Camera, Device::Microphone] {
            assert!(grants(meeting, "https://meet.clinic.example/", device));
            assert!(grants(
                meeting,
                "https://meet.clinic.example/ward-7?x=1",
                device
            ));
            assert!(grants(meeting, "https://meet.clinic.example", device));
            assert!(!grants(meeting, "https://evil.example/", device));
            assert!(
                !grants(meeting, "http://meet.clinic.example/", device),
                "not over http"
            );
            assert!(!grants(
                meeting,
                "https://meet.clinic.example:8443/",
                device
            ));
            assert!(!grants(
                meeting,
                "https://meet.clinic.example.evil.example/",
                device
            ));
            assert!(
                !grants(meeting, "http://nursecare-call.localhost/", device),
                "the window's own page"
            );
            assert!(!grants(meeting, "", device));
        }
        assert!(!grants(
            meeting,
            "https://meet.clinic.example/",
            Device::Other
        ));
        assert!(
            !grants(None, "https://meet.clinic.example/", Device::Camera),
            "the main window"
        );
        assert!(
            !grants(Some("null"), "data:text/html,x", Device::Camera),
            "an opaque origin"
        );
    }

    #[test]
    fn a_meeting_url_gives_its_origin_room_and_script() {
        let m = Meeting::parse("https://meet.clinic.example/nursecare-3-ab").unwrap();
        assert_eq!(m.origin, "https://meet.clinic.example");
        assert_eq!(m.domain, "meet.clinic.example");
        assert_eq!(m.room_name, "nursecare-3-ab");
        assert_eq!(m.script, "https://meet.clinic.example/external_api.js");
        let jaas = Meeting::parse("https://8x8.vc/vpaas-magic-cookie-1/nursecare-3-ab").unwrap();
        assert_eq!(jaas.domain, "8x8.vc");
        assert_eq!(jaas.room_name, "vpaas-magic-cookie-1/nursecare-3-ab");
        assert_eq!(
            jaas.script,
            "https://8x8.vc/vpaas-magic-cookie-1/external_api.js"
        );
        let local = Meeting::parse("http://127.0.0.1:4567/r").unwrap();
        assert_eq!(local.domain, "127.0.0.1:4567");
        assert_eq!(local.origin, "http://127.0.0.1:4567");
    }

    #[test]
    fn the_clinics_domain_applies_only_where_the_server_gave_the_public_one() {
        let public = "https://meet.jit.si/nursecare-3-ab";
        assert_eq!(meeting_url(public, None), public);
        assert_eq!(
            meeting_url(public, Some(" meet.clinic.example/ ")),
            "https://meet.clinic.example/nursecare-3-ab"
        );
        let ours = "https://jitsi.other.example/nursecare-3-ab";
        assert_eq!(meeting_url(ours, Some("meet.clinic.example")), ours);
    }

    #[test]
    fn only_https_meetings_open_but_a_loopback_stand_in() {
        assert_eq!(Meeting::parse("http://meet.clinic.example/r"), None);
        assert_eq!(Meeting::parse("javascript:alert(1)"), None);
        assert_eq!(Meeting::parse("https://meet.clinic.example/"), None);
    }

    #[test]
    fn the_page_loads_code_only_from_itself_and_the_meeting() {
        let m = Meeting::parse("https://meet.clinic.example/nursecare-3-ab").unwrap();
        let call: CallNow = serde_json::from_value(serde_json::json!({
            "callId": 4, "conversationId": 3, "roomName": "nursecare-3-ab", "direction": "outgoing",
            "phase": "inCall", "jitsiUrl": "https://meet.clinic.example/nursecare-3-ab",
            "jitsiJwt": "a.b.c", "startedAt": "2026-11-25T10:00:00.000Z",
            "inCallSince": "2026-11-25T10:00:05.000Z"
        }))
        .unwrap();
        let (html, header) = render(&m, &call, "Pat </script><b>", "Nina", "s3cret", false);
        assert!(header.ends_with("frame-ancestors 'none'"), "{header}");
        let csp = html
            .split("Content-Security-Policy\" content=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(
            csp.contains("script-src 'nonce-") && csp.contains(" https://meet.clinic.example;"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(
            html.contains("<script src=\"https://meet.clinic.example/external_api.js\" nonce="),
            "the IFrame API from the meeting's host"
        );
        // A name cannot close the config's script element.
        assert!(!html.contains("</script><b>"));
        assert!(html.contains("\"jwt\":\"a.b.c\""));
        assert!(!html.contains("publicLimit\":\"On the public"));
        let public = Meeting::parse("https://meet.jit.si/r").unwrap();
        assert!(
            render(&public, &call, "Pat", "Nina", "s", false)
                .0
                .contains("5 minutes")
        );
    }
}
