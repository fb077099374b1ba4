//! Calls end to end: the real app signed in as Amara (a nurse), Chloe (a patient) calling from
//! `nursecare-cli`, and the desktop's ring on a notification server on the app's own D-Bus
//! session. The meeting itself (Jitsi) is not part of these tests: they follow the call's
//! states, its notifications and the window.

use super::driver::Session;
use super::jitsi_stand_in::StandIn;
use super::notify_server::{Notifications, Shown};
use super::support::{AMARA, Cli, DEMO_PASSWORD, Running};
use super::{
    World, amara_at_work, app_bin, conversation_with_amara, mkdir, one_app_at_a_time, sign_in,
};
use serde_json::Value;
use std::time::Duration;

/// The ring notification of the `n`th notification: who calls and the buttons, never text.
async fn ring(notifications: &Notifications, n: usize) -> Shown {
    let shown = notifications.nth(n).await;
    assert_eq!(shown.summary, "Chloe Martin", "{shown:?}");
    assert_eq!(shown.body, "Incoming video call", "{shown:?}");
    for action in ["accept", "reject", "default"] {
        assert!(shown.actions.contains(&action.to_owned()), "{shown:?}");
    }
    shown
}

/// The nurse turns to another program: X focus leaves the app's window (xdotool gives it to the
/// root window), as a window manager would. Waits until the page says it lost focus.
async fn look_away(world: &World, s: &Session) {
    let env = super::app_process::env_of_app(&world.app_profile());
    let xdotool = |args: &[&str]| {
        let mut cmd = std::process::Command::new("xdotool");
        cmd.args(args).env("DISPLAY", &env["DISPLAY"]);
        if let Some(auth) = env.get("XAUTHORITY") {
            cmd.env("XAUTHORITY", auth);
        }
        let out = cmd
            .output()
            .expect("xdotool (apt install xdotool; scripts/setup.sh)");
        assert!(out.status.success(), "xdotool {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let root = xdotool(&["search", "--maxdepth", "0", ""]);
    let root = root.lines().next().unwrap_or_default().to_owned();
    let deadline = std::time::Instant::now() + super::driver::WAIT;
    // Without a window manager GTK lets keyboard focus follow the pointer while X focus
    // rests on the root: the pointer leaves the window too (the window is centred, so the
    // screen's corner is outside it). Again until the page says it lost focus.
    xdotool(&["mousemove", "0", "0"]);
    loop {
        xdotool(&["windowfocus", &root]);
        let focused = s
            .script("return document.hasFocus()", serde_json::json!([]))
            .await;
        if focused == false {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the window kept the focus (X focus: {}, root {root})",
            xdotool(&["getwindowfocus"])
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A stand-in for the user's browser (no browser runs in these tests): an `xdg-open` first on
/// the app's PATH that writes down the URL it was given (the opener the app uses runs
/// xdg-open).
pub(super) struct StandInBrowser {
    bin: tempfile::TempDir,
}

impl StandInBrowser {
    pub(super) fn new() -> Self {
        let b = Self::broken();
        b.mend();
        b
    }

    /// One that fails (as xdg-open does with no browser installed) until [`Self::mend`].
    pub(super) fn broken() -> Self {
        let bin = tempfile::tempdir().unwrap();
        let opener = bin.path().join("xdg-open");
        let opened = bin.path().join("opened.txt");
        let works = bin.path().join("works");
        std::fs::write(
            &opener,
            format!(
                "#!/bin/sh\n[ -e '{}' ] || exit 3\nprintf '%s\\n' \"$1\" >> '{}'\n",
                works.display(),
                opened.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self { bin }
    }

    /// A browser is there from now on.
    pub(super) fn mend(&self) {
        std::fs::write(self.bin.path().join("works"), b"").unwrap();
    }

    /// The app's PATH: the stand-in first.
    pub(super) fn path(&self) -> std::ffi::OsString {
        format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        )
        .into()
    }

    /// The first URL the app opened.
    pub(super) async fn first_url(&self) -> String {
        let opened = self.bin.path().join("opened.txt");
        let deadline = std::time::Instant::now() + super::driver::WAIT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&opened)
                && let Some(line) = text.lines().next()
            {
                return line.to_owned();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the browser was never asked to open the meeting"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub(super) fn change(v: &Value, change: &str) -> bool {
    v["event"] == "call" && v["change"] == change
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incoming_call_rings_on_the_desktop_and_its_buttons_answer_it() {
    let _one = one_app_at_a_time().await;
    let world = World::start();
    let (s, notifications, patient, conversation) = amara_at_work(&world).await;

    // Chloe calls while the nurse works in another program; the app rings: the banner in the
    // window, a notification on the desktop.
    look_away(&world, &s).await;
    let mut caller = Running::spawn(
        &patient,
        &["--json", "call", "start", &conversation, "--hold", "60"],
    );
    let call = caller.next();
    let first = ring(&notifications, 1).await;
    s.find("alertdialog", "Chloe Martin is calling").await;

    // Accept on the notification: the same flow as the window's button.
    notifications.invoke(first.id, "accept").await;
    let accepted = caller.until(|v| change(v, "accepted"));
    assert_eq!(accepted["callId"], call["id"]);
    notifications.until_closed(first.id).await;
    s.until_text("the call bar, and the banner gone", |t| {
        t.contains("In call with Chloe Martin") && !t.contains("is calling")
    })
    .await;
    // Hang up from the window: over for both.
    s.click(&s.find("button", "Hang up").await).await;
    caller.until(|v| change(v, "hungUp"));
    let lines = caller.finish_json();
    let last = lines.last().unwrap();
    assert_eq!(last["status"], "ENDED", "{lines:?}");

    // Again, declined from the notification.
    look_away(&world, &s).await;
    let mut caller = Running::spawn(
        &patient,
        &["--json", "call", "start", &conversation, "--hold", "60"],
    );
    caller.next();
    let second = ring(&notifications, 2).await;
    notifications.invoke(second.id, "reject").await;
    caller.until(|v| change(v, "rejected"));
    let lines = caller.finish_json();
    let last = lines.last().unwrap();
    assert_eq!(last["status"], "MISSED", "{lines:?}");
    notifications.until_closed(second.id).await;

    // Again, answered on Amara's other device: the ring here is withdrawn, nothing missed.
    let other_device = Cli::new(&world.server.base(), &mkdir(world.dir.path(), "amara-cli"));
    other_device.expect(0, &["login", "--email", AMARA]);
    look_away(&world, &s).await;
    let mut caller = Running::spawn(
        &patient,
        &["--json", "call", "start", &conversation, "--hold", "60"],
    );
    let call = caller.next();
    let third = ring(&notifications, 3).await;
    let room = call["roomName"].as_str().unwrap();
    other_device.expect(0, &["call", "accept", room]);
    notifications.until_closed(third.id).await;
    caller.until(|v| change(v, "accepted"));
    other_device.expect(0, &["call", "end", &call["id"].to_string()]);
    caller.finish();
    assert_eq!(
        notifications.shown().len(),
        3,
        "no missed-call notice for a call answered elsewhere: {:?}",
        notifications.shown()
    );
    s.end().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_nobody_answers_leaves_a_missed_call_notice_and_mark_until_its_chat_is_opened() {
    let _one = one_app_at_a_time().await;
    let world = World::start_full(false, &["--missed-after", "3"], Vec::new());
    let (s, notifications, patient, conversation) = amara_at_work(&world).await;

    look_away(&world, &s).await;
    let mut caller = Running::spawn(
        &patient,
        &["--json", "call", "start", &conversation, "--hold", "30"],
    );
    caller.next();
    let rang = ring(&notifications, 1).await;
    // Nobody answers: the server marks it missed after 3 s.
    caller.until(|v| change(v, "missed"));
    caller.finish();
    notifications.until_closed(rang.id).await;
    let missed = notifications.nth(2).await;
    assert_eq!(missed.summary, "Missed call");
    assert_eq!(missed.body, "Missed call from Chloe Martin");
    // The list marks the chat until it is opened.
    s.until_text("the missed-call mark", |t| t.contains("Missed call"))
        .await;
    let row = s.find("button", "Chloe Martin").await;
    assert!(s.text(&row).await.contains("Missed call"));
    // The mark leaves the name whole (it was squeezed to "Chloe M…").
    let name = s
        .script(
            "const n = [...document.querySelectorAll('.conversation-row .conversation-name')] \
               .find(n => n.textContent === 'Chloe Martin'); \
             return n ? [n.textContent, n.scrollWidth > n.clientWidth] : null;",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(
        name,
        serde_json::json!(["Chloe Martin", false]),
        "name clipped"
    );
    s.click(&row).await;
    s.find("region", "Chat with Chloe Martin").await;
    notifications.until_closed(missed.id).await;
    s.until_text("the mark gone", |t| !t.contains("Missed call"))
        .await;
    s.end().await;
}

const JITSI_SECRET: &str = "clinic-jitsi-app-secret-0123456789abcdef";

/// Amara's lines in the call's history panel.
async fn history_shows(s: &Session, want: &str) {
    s.click(&s.find("button", "Calls").await).await;
    s.until_text("the call history", |t| t.contains(want)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_from_the_app_embeds_the_clinics_jitsi_and_its_hang_up_ends_the_call_for_both() {
    let _one = one_app_at_a_time().await;
    // The meeting: a loopback stand-in for the clinic's Jitsi (see jitsi_stand_in.rs), with
    // token auth on the server. The test switch embeds it although this webview has no WebRTC.
    let jitsi = StandIn::start();
    let url = jitsi.url();
    let world = World::start_full(
        false,
        &[
            "--jitsi-url",
            &url,
            "--jitsi-app-id",
            "clinic-app",
            "--jitsi-app-secret",
            JITSI_SECRET,
        ],
        vec![("NURSECARE_TEST_EMBED_CALLS", "true".into())],
    );
    let s = Session::start(world.driver.port, &app_bin()).await;
    sign_in(&s, DEMO_PASSWORD).await;
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();
    let mut callee = Running::spawn(&patient, &["--json", "call", "watch", "--accept"]);
    assert_eq!(callee.next()["waiting"], true);

    // One click from the chat.
    s.click(&s.find("button", "Chloe Martin").await).await;
    s.click(&s.find("button", "Call").await).await;
    let rang = callee.next();
    let accepted = callee.next();
    assert_eq!(accepted["id"], rang["incomingCall"]);
    s.until_text("the call bar", |t| t.contains("In call with Chloe Martin"))
        .await;

    // The call window asked the IFrame API for the call's room, as Amara, with her token.
    let asked = jitsi.asked();
    let room = accepted["roomName"].as_str().unwrap();
    assert_eq!(asked["roomName"], room, "{asked}");
    assert_eq!(
        asked["domain"],
        url.trim_start_matches("http://"),
        "{asked}"
    );
    assert_eq!(asked["displayName"], "Amara Okafor", "{asked}");
    assert_eq!(asked["prejoin"], false, "{asked}");
    assert_eq!(asked["hasParent"], true, "{asked}");
    let jwt = asked["jwt"].as_str().expect("a token");
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.set_audience(&["clinic-app"]);
    let claims = jsonwebtoken::decode::<Value>(
        jwt,
        &jsonwebtoken::DecodingKey::from_secret(JITSI_SECRET.as_bytes()),
        &v,
    )
    .expect("the server's token for this room")
    .claims;
    assert_eq!(claims["room"], room);
    assert_eq!(claims["context"]["user"]["name"], "Amara Okafor");

    // Jitsi's own hang-up (readyToClose) ends the call for both sides.
    jitsi.close_meeting();
    let lines = callee.finish_json();
    let last = lines.last().unwrap();
    assert_eq!(last["status"], "ENDED", "{lines:?}");
    assert!(last["duration"].as_i64().is_some(), "{lines:?}");
    s.until_text("the call bar gone", |t| !t.contains("In call with"))
        .await;
    // Both histories show the call with its length.
    let history = patient.json(&["call", "history", &conversation]);
    assert_eq!(history[0]["id"], accepted["id"]);
    assert_eq!(history[0]["status"], "ENDED");
    history_shows(&s, "Outgoing call · 0:").await;
    // A script from any other origin never loaded.
    assert!(
        jitsi.foreign_requests().is_empty(),
        "{:?}",
        jitsi.foreign_requests()
    );
    s.end().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_webrtc_the_meeting_opens_in_the_browser_and_the_app_still_ends_the_call() {
    let _one = one_app_at_a_time().await;
    let browser = StandInBrowser::new();
    let world = World::start_full(false, &[], vec![("PATH", browser.path())]);
    let s = Session::start(world.driver.port, &app_bin()).await;
    sign_in(&s, DEMO_PASSWORD).await;
    s.find("button", "Chloe Martin").await;
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();

    // Chloe calls; Amara accepts in the window.
    let mut caller = Running::spawn(
        &patient,
        &["--json", "call", "start", &conversation, "--hold", "60"],
    );
    let call = caller.next();
    s.click(&s.find("button", "Accept").await).await;
    caller.until(|v| change(v, "accepted"));
    // This webview has no RTCPeerConnection: the same meeting opens in the browser.
    let url = browser.first_url().await;
    assert_eq!(url, call["jitsiUrl"].as_str().unwrap());
    // The app still keeps the call: Hang up in the window ends it for both.
    s.click(&s.find("button", "Hang up").await).await;
    caller.until(|v| change(v, "hungUp"));
    let lines = caller.finish_json();
    let last = lines.last().unwrap();
    assert_eq!(last["status"], "ENDED", "{lines:?}");
    s.click(&s.find("button", "Chloe Martin").await).await;
    history_shows(&s, "Incoming call · 0:").await;
    s.end().await;
}

/// The call window says what became of the browser: when none could be opened it says so,
/// shows the meeting's link to copy, and *Try again* opens it once a browser is there.
#[tokio::test(flavor = "multi_thread")]
async fn a_browser_that_does_not_open_is_said_with_the_link_and_a_retry() {
    let _one = one_app_at_a_time().await;
    let browser = StandInBrowser::broken();
    let world = World::start_full(false, &[], vec![("PATH", browser.path())]);
    let s = Session::start(world.driver.port, &app_bin()).await;
    sign_in(&s, DEMO_PASSWORD).await;
    s.find("button", "Chloe Martin").await;
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();
    let mut caller = Running::spawn(
        &patient,
        &["--json", "call", "start", &conversation, "--hold", "60"],
    );
    let call = caller.next();
    let main = s.windows().await;
    s.click(&s.find("button", "Accept").await).await;
    caller.until(|v| change(v, "accepted"));
    let deadline = std::time::Instant::now() + super::driver::WAIT;
    let call_window = loop {
        let now = s.windows().await;
        if let Some(w) = now.iter().find(|w| !main.contains(w)) {
            break w.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no call window");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    s.switch_to(&call_window).await;
    let said = s
        .until_text("the window says no browser opened", |t| {
            t.contains("No browser could be opened")
        })
        .await;
    assert!(!said.contains("opened in your browser"), "{said}");
    let link = s
        .script(
            "return document.getElementById('link').value",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(link.as_str(), call["jitsiUrl"].as_str(), "the link to copy");
    browser.mend();
    s.click(&s.find("button", "Try again").await).await;
    assert_eq!(
        browser.first_url().await,
        call["jitsiUrl"].as_str().unwrap()
    );
    s.until_text("the window says it opened", |t| {
        t.contains("The meeting opened in your browser") && !t.contains("No browser could")
    })
    .await;
    s.click(&s.find("button", "Hang up").await).await;
    caller.until(|v| change(v, "hungUp"));
    s.end().await;
}
