//! End to end: the real app (a debug build of nursecare-desktop) in a real WebKit window under
//! Xvfb, driven through tauri-driver, against the real `nursecare-server --demo` on loopback,
//! with the patient on the other side played by the real `nursecare-cli`. Nothing is mocked.

#[path = "../../cli/tests/support/mod.rs"]
mod support;

mod accessibility;
mod app_process;
mod calls;
mod driver;
mod files;
mod jitsi_stand_in;
mod lock;
mod notify_server;
mod search;
mod shift;

use driver::{DriverProcess, ENTER, Session};
use notify_server::Notifications;
use serde_json::json;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{AMARA, CHLOE, Cli, DEMO_PASSWORD, Server};

/// One app at a time: two WebKit windows starting at once on a 2-core CI machine made the
/// fixed waits the deciding factor. Each test holds this while its app runs.
async fn one_app_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static ONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    ONE.lock().await
}

/// The app under test: this build's, or another one (`NURSECARE_APP_BIN`: the release build
/// for measurements, the installed .deb's in scripts/package.sh).
fn app_bin() -> PathBuf {
    std::env::var_os("NURSECARE_APP_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_nursecare-desktop")),
        PathBuf::from,
    )
}

/// The app's world: its profile and XDG folders inside the test's directory, the demo server.
/// (WebKitWebDriver starts the app on a D-Bus session bus of its own.)
struct World {
    // Dropped in this order: the app and driver, the server, then their folder.
    driver: DriverProcess,
    server: Server,
    dir: tempfile::TempDir,
}

impl World {
    /// The token in a file in the profile (most tests).
    fn start() -> Self {
        Self::start_with(false)
    }

    /// With `keychain`, the token and cache key in a real Secret Service (gnome-keyring on
    /// the app's session bus), as on a nurse's desktop.
    fn start_with(keychain: bool) -> Self {
        Self::start_full(keychain, &[], Vec::new())
    }

    /// For a measurement's flood: the server's per-socket event rate (20 a second, which would
    /// spread 10,000 messages over eight minutes) lifted, as the load is a test's, not an attack.
    fn for_a_flood(app_env: Vec<(&str, OsString)>) -> Self {
        Self::start_full(false, &["--socket-events-per-second", "100000"], app_env)
    }

    /// With the server's `flags` too (`--missed-after 3`), and more of the app's environment.
    fn start_full(keychain: bool, flags: &[&str], app_env: Vec<(&str, OsString)>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start_with(&mkdir(dir.path(), "server"), false, flags);
        let runtime = mkdir(dir.path(), "xdg-runtime");
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let store = if keychain { "keychain" } else { "file" };
        let env: Vec<(&str, OsString)> = vec![
            ("NURSECARE_SERVER", server.base().into()),
            ("NURSECARE_PROFILE", mkdir(dir.path(), "app-profile").into()),
            ("NURSECARE_SECRET_STORE", store.into()),
            ("HOME", mkdir(dir.path(), "home").into()),
            ("XDG_RUNTIME_DIR", runtime.into()),
            ("NURSECARE_LOG", "info".into()),
            ("XDG_DATA_HOME", mkdir(dir.path(), "xdg-data").into()),
            ("XDG_CONFIG_HOME", mkdir(dir.path(), "xdg-config").into()),
            ("XDG_CACHE_HOME", mkdir(dir.path(), "xdg-cache").into()),
        ];
        let mut env = env;
        env.extend(app_env);
        let driver = DriverProcess::start(&env, &dir.path().join("driver.log"), keychain);
        Self {
            driver,
            server,
            dir,
        }
    }

    fn app_profile(&self) -> PathBuf {
        self.dir.path().join("app-profile")
    }

    /// The keyring files gnome-keyring wrote (under the app's XDG_DATA_HOME).
    fn keyrings(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir.path().join("xdg-data/keyrings"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }

    /// The patient on the CLI, signed in.
    fn patient(&self) -> Cli {
        self.patient_on("patient")
    }

    /// Chloe signed in on another device of hers (a CLI profile of its own, `name`), which
    /// can run beside the first.
    fn patient_on(&self, name: &str) -> Cli {
        let cli = Cli::new(&self.server.base(), &mkdir(self.dir.path(), name));
        cli.expect(0, &["login", "--email", CHLOE]);
        cli
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // A failed test shows what the app logged (its stderr goes to the driver's log).
        if std::thread::panicking() {
            let log =
                std::fs::read_to_string(self.dir.path().join("driver.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            eprintln!("--- the app's log (last lines) ---");
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

fn mkdir(root: &Path, name: &str) -> PathBuf {
    let p = root.join(name);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// The conversation between the patient and Amara, seen from the patient's CLI.
fn conversation_with_amara(patient: &Cli) -> i64 {
    conversation_with(patient, AMARA)
}

/// The conversation between the patient and `nurse`, seen from the patient's CLI.
fn conversation_with(patient: &Cli, nurse: &str) -> i64 {
    let list = patient.json(&["conversations"]);
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["other"]["email"] == nurse)
        .and_then(|c| c["id"].as_i64())
        .unwrap_or_else(|| panic!("no conversation with {nurse}: {list}"))
}

/// The first lock of an account without a PIN: the demo password, a new PIN, and unlock.
async fn set_first_pin(s: &Session, pin: &str) {
    s.type_into(&s.find("textbox", "Password").await, DEMO_PASSWORD)
        .await;
    s.type_into(&s.find("textbox", "New PIN").await, pin).await;
    s.click(&s.find("button", "Set PIN and unlock").await).await;
}

/// Waits until the patient's history holds `text`; answers how many times it does.
fn patient_sees(patient: &Cli, conversation: &str, text: &str) -> usize {
    let deadline = Instant::now() + driver::WAIT;
    loop {
        let history = patient.json(&["history", conversation]);
        let n = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["content"] == text)
            .count();
        if n > 0 {
            return n;
        }
        assert!(Instant::now() < deadline, "the patient never got {text:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

async fn sign_in(s: &Session, password: &str) {
    s.find("heading", "Sign in to NurseCare").await;
    let email = s.find("textbox", "Email").await;
    s.clear(&email).await;
    s.type_into(&email, AMARA).await;
    let field = s.find("textbox", "Password").await;
    s.clear(&field).await;
    s.type_into(&field, password).await;
    let button = s.find("button", "Sign in").await;
    s.click(&button).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nurse_signs_in_and_chats_with_a_patient_on_the_cli() {
    let _one = one_app_at_a_time().await;
    let world = World::start_with(true);
    let s = Session::start(world.driver.port, &app_bin()).await;

    // A wrong password is said in words, and nothing else happens.
    sign_in(&s, "not-the-password").await;
    let alert = s.find("alert", "Wrong email or password.").await;
    assert!(s.text(&alert).await.contains("Wrong email or password."));

    sign_in(&s, DEMO_PASSWORD).await;
    let row = s.find("button", "Chloe Martin").await;
    // The token and the cache's key went to the keychain, nothing secret to the profile.
    assert!(
        !world.app_profile().join("secrets.json").exists(),
        "a secrets file in the profile"
    );
    assert!(
        world
            .keyrings()
            .iter()
            .any(|k| k.extension().is_some_and(|x| x == "keyring")),
        "nothing in the keyring: {:?}",
        world.keyrings()
    );

    let patient = world.patient();
    let conversation = conversation_with_amara(&patient);
    // Found again just before the click: the list may have re-rendered while the patient
    // signed in (its presence, its row), and a handle found seconds ago can be stale.
    drop(row);
    s.click(&s.find("button", "Chloe Martin").await).await;
    s.find("log", "Messages").await;

    // The patient's message appears live.
    let hello = format!("Hello from the CLI {}", std::process::id());
    patient.expect(0, &["send", &conversation.to_string(), &hello]);
    s.until_text("the patient's live message", |t| t.contains(&hello))
        .await;

    // The nurse's reply reaches the patient, once.
    let reply = format!("Reply from the app {}", std::process::id());
    let composer = s.find("textbox", "Message").await;
    s.type_into(&composer, &format!("{reply}{ENTER}")).await;
    let conversation_id = conversation.to_string();
    patient_sees(&patient, &conversation_id, &reply);
    // Once the app has it confirmed (no retry can follow), the server still holds one copy.
    until_ticks(&s, &reply, "Sent").await;
    assert_eq!(patient_sees(&patient, &conversation_id, &reply), 1);

    // Markup in a message is text, never HTML.
    let markup = "<img src=x onerror=alert(1)>";
    patient.expect(0, &["send", &conversation.to_string(), markup]);
    s.until_text("markup as text", |t| t.contains(markup)).await;
    let images = s
        .script(
            "return document.querySelectorAll('[role=log] img, [role=log] script').length",
            json!([]),
        )
        .await;
    assert_eq!(images, json!(0));

    // A reload rebuilds the same state from the snapshot.
    s.reload().await;
    let row = s.find("button", "Chloe Martin").await;
    s.click(&row).await;
    s.until_text("history after a reload", |t| {
        t.contains(&hello) && t.contains(&reply)
    })
    .await;

    // The app owns its profile's cache: a CLI command on it is refused with its own code.
    // (It reads the same keychain: the app's session bus.)
    let intruder = Cli::new(&world.server.base(), &world.app_profile());
    let app_env = app_process::env_of_app(&world.app_profile());
    let out = intruder
        .command(&["history", &conversation.to_string(), "--offline"])
        .env("NURSECARE_SECRET_STORE", "keychain")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            &app_env["DBUS_SESSION_BUS_ADDRESS"],
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(10), "stderr: {stderr}");

    s.end().await;
}

/// The read tick's words ("Sent", "Read") under the app's own message `text`.
async fn ticks_of(s: &Session, text: &str) -> String {
    let found = s
        .script(
            "const [t] = arguments;
             const leaf = [...document.querySelectorAll('[role=log] *')]
               .find(e => e.children.length === 0 && e.textContent === t);
             const row = leaf ? leaf.closest('.bubble-row') : null;
             const tick = row ? row.querySelector('.ticks .visually-hidden') : null;
             return tick ? tick.textContent : null;",
            json!([text]),
        )
        .await;
    found.as_str().unwrap_or_default().to_owned()
}

/// Waits until the tick under the app's own message `text` says `want`.
async fn until_ticks(s: &Session, text: &str, want: &str) {
    let deadline = Instant::now() + driver::WAIT;
    loop {
        let now = ticks_of(s, text).await;
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the tick under {text:?} says {now:?}, never {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Amara signed in to the app with her list shown, a notification server on the app's session
/// bus (WebKitWebDriver gives it one of its own); Chloe's CLI and their conversation.
async fn amara_at_work(world: &World) -> (Session, Notifications, Cli, String) {
    let s = Session::start(world.driver.port, &app_bin()).await;
    let notifications =
        Notifications::serve(&notify_server::bus_of_app(&world.app_profile())).await;
    sign_in(&s, DEMO_PASSWORD).await;
    s.find("button", "Chloe Martin").await;
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();
    (s, notifications, patient, conversation)
}

/// Waits until the list's preview of the conversation shows `text` (the message arrived).
async fn list_shows(s: &Session, text: &str) {
    s.until_text("the list's preview", |t| t.contains(text))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn new_messages_notify_without_patient_words_and_a_click_opens_the_chat() {
    let _one = one_app_at_a_time().await;
    let world = World::start();
    let (s, notifications, patient, conversation) = amara_at_work(&world).await;

    // Default privacy: the sender's name, never the text.
    patient.expect(0, &["send", &conversation, "My wound is bleeding again"]);
    let first = notifications.nth(1).await;
    assert_eq!(first.summary, "Chloe Martin");
    assert_eq!(first.body, "New message");
    assert!(first.actions.contains(&"default".to_owned()), "{first:?}");

    // Text only when chosen.
    s.click(&s.find("button", "Settings").await).await;
    s.click(&s.find("radio", "Sender and message text").await)
        .await;
    s.click(&s.find("button", "Save settings").await).await;
    s.until_text("settings saved", |t| t.contains("Settings saved."))
        .await;
    patient.expect(0, &["send", &conversation, "Pain is about a 3 today"]);
    let second = notifications.nth(2).await;
    assert_eq!(second.body, "Pain is about a 3 today");
    assert_eq!(
        second.replaces, first.id,
        "one notification per conversation"
    );

    // None for a muted conversation.
    s.click(&s.find("button", "Chloe Martin").await).await;
    s.click(&s.find("button", "Mute").await).await;
    s.find("button", "Unmute").await;
    s.click(&s.find("button", "Daniel Kim").await).await;
    patient.expect(0, &["send", &conversation, "Muted words"]);
    list_shows(&s, "Muted words").await;
    assert_eq!(
        notifications.shown().len(),
        2,
        "{:?}",
        notifications.shown()
    );
    // An urgent message notifies through mute, and its chat's row says so until it is read;
    // the sender learns when it was.
    patient.expect(0, &["send", &conversation, "Please come now", "--urgent"]);
    let urgent = notifications.nth(3).await;
    assert_eq!(urgent.body, "Urgent: Please come now");
    let deadline = Instant::now() + driver::WAIT;
    loop {
        let row = s.find("button", "Chloe Martin").await;
        if s.text(&row).await.contains("Urgent") {
            break;
        }
        assert!(Instant::now() < deadline, "no urgent mark on the row");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.click(&s.find("button", "Chloe Martin").await).await;
    s.until_text("the urgent label in the thread", |t| {
        t.contains("Urgent") && t.contains("Please come now")
    })
    .await;
    notifications.until_closed(urgent.id).await;
    let history = patient.expect(0, &["history", &conversation, "--limit", "1"]);
    assert!(history.contains("(urgent, read "), "{history}");
    s.click(&s.find("button", "Unmute").await).await;
    s.find("button", "Mute").await;
    s.click(&s.find("button", "Daniel Kim").await).await;

    // A click opens the chat, which reads it, which withdraws the notification.
    patient.expect(0, &["send", &conversation, "Are you there?"]);
    let third = notifications.nth(4).await;
    assert_eq!(
        third.body, "Are you there?",
        "the muted message never notified"
    );
    notifications.click(third.id).await;
    s.find("region", "Chat with Chloe Martin").await;
    notifications.until_closed(third.id).await;

    // Signing out withdraws what is still up (no patient's name stays for the next person at
    // the computer), and signing in again brings the list back.
    s.click(&s.find("button", "Daniel Kim").await).await;
    patient.expect(0, &["send", &conversation, "Before the sign-out"]);
    let fourth = notifications.nth(5).await;
    assert_eq!(fourth.body, "Before the sign-out");
    s.click(&s.find("button", "Settings").await).await;
    s.click(&s.find("button", "Sign out").await).await;
    s.find("heading", "Sign in to NurseCare").await;
    notifications.until_closed(fourth.id).await;
    sign_in(&s, DEMO_PASSWORD).await;
    s.find("button", "Chloe Martin").await;
    s.end().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn typing_read_ticks_offline_search_and_sending_and_a_second_launch() {
    let _one = one_app_at_a_time().await;
    let mut world = World::start();
    let s = Session::start(world.driver.port, &app_bin()).await;
    sign_in(&s, DEMO_PASSWORD).await;
    s.click(&s.find("button", "Chloe Martin").await).await;
    s.find("log", "Messages").await;
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();

    // Typing shows while the patient types, and clears when she stops.
    let typing = {
        let cmd = patient.command(&["typing", &conversation, "--for", "3"]);
        std::thread::spawn(move || {
            let mut cmd = cmd;
            cmd.output().unwrap()
        })
    };
    s.until_text("typing shown", |t| t.contains("Chloe Martin is typing"))
        .await;
    assert!(typing.join().unwrap().status.success());
    s.until_text("typing cleared", |t| !t.contains("is typing"))
        .await;

    // Read ticks: sent, then read once the patient reads.
    let tick = format!("Tick check {}", std::process::id());
    let composer = s.find("textbox", "Message").await;
    s.type_into(&composer, &format!("{tick}{ENTER}")).await;
    patient_sees(&patient, &conversation, &tick);
    until_ticks(&s, &tick, "Sent").await;
    patient.expect(0, &["read", &conversation]);
    until_ticks(&s, &tick, "Read").await;

    // The server goes away: the banner says so, history and search still work.
    let marker = format!("Before the outage {}", std::process::id());
    patient.expect(0, &["send", &conversation, &marker]);
    s.until_text("the marker", |t| t.contains(&marker)).await;
    world.server.kill();
    s.find("status", "Not connected to NurseCare").await;
    let search = s.find("searchbox", "Search messages").await;
    s.type_into(&search, "outage").await;
    let hit = s.find("button", "Before the outage").await;
    s.click(&hit).await;
    s.until_text("the thread around the hit", |t| t.contains(&marker))
        .await;

    // A message written offline waits, and is delivered once when the server is back.
    let offline = format!("Written offline {}", std::process::id());
    let composer = s.find("textbox", "Message").await;
    s.type_into(&composer, &format!("{offline}{ENTER}")).await;
    s.find("status", "1 message waiting").await;
    world.server.restart();
    assert_eq!(patient_sees(&patient, &conversation, &offline), 1);
    s.until_text("the banner gone", |t| !t.contains("waiting"))
        .await;

    // A second launch only brings the first forward, and exits.
    let first = app_process::env_of_app(&world.app_profile());
    let mut second = std::process::Command::new(app_bin())
        .env_clear()
        .envs(first.iter().filter(|(k, _)| !k.starts_with("TAURI_")))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + driver::WAIT;
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("a second launch kept running beside the first");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
    s.find("button", "Chloe Martin").await;
    s.end().await;
}

/// The app's main window as X shows it, into `to` (ImageMagick's `import`). WebKitWebDriver's
/// own screenshot stopped answering under Xvfb here (it hangs while the page keeps painting).
async fn picture(world: &World, s: &Session, to: &Path) {
    s.painted().await;
    x_picture(world, r"^NurseCare( \([0-9]+\))?$", to);
}

/// The window whose title matches `title`, raised first (no window manager stacks windows
/// here), into `to`.
fn x_picture(world: &World, title: &str, to: &Path) {
    let env = app_process::env_of_app(&world.app_profile());
    let x = |program: &str, args: &[&str]| {
        let mut cmd = std::process::Command::new(program);
        cmd.args(args).env("DISPLAY", &env["DISPLAY"]);
        if let Some(auth) = env.get("XAUTHORITY") {
            cmd.env("XAUTHORITY", auth);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(out.status.success(), "{program} {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let found = x("xdotool", &["search", "--onlyvisible", "--name", title]);
    let window = found.lines().next().expect("the window");
    x("xdotool", &["windowraise", window]);
    x("import", &["-window", window, &to.to_string_lossy()]);
}

/// The README's screenshots, from the real app: `bash scripts/screenshots.sh` (not in CI).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "writes docs/screenshots; run by scripts/screenshots.sh"]
async fn screenshots_of_the_main_screens() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let _one = one_app_at_a_time().await;
    // The call pictures need no browser: the meeting's page goes to a stand-in.
    let browser = calls::StandInBrowser::new();
    let world = World::start_full(false, &[], vec![("PATH", browser.path())]);
    let s = Session::start(world.driver.port, &app_bin()).await;
    s.find("heading", "Sign in to NurseCare").await;
    picture(&world, &s, &out.join("sign-in.png")).await;
    sign_in(&s, DEMO_PASSWORD).await;
    let row = s.find("button", "Chloe Martin").await;
    s.click(&row).await;
    s.find("log", "Messages").await;
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient);
    patient.expect(
        0,
        &[
            "send",
            &conversation.to_string(),
            "Thank you, see you at 10:30!",
        ],
    );
    s.until_text("the new message", |t| t.contains("see you at 10:30"))
        .await;
    picture(&world, &s, &out.join("thread.png")).await;

    // Chloe calls: the banner over the chat; accepted, the call bar and the chat's calls.
    let mut caller = support::Running::spawn(
        &patient,
        &[
            "--json",
            "call",
            "start",
            &conversation.to_string(),
            "--hold",
            "60",
        ],
    );
    caller.next();
    s.find("alertdialog", "Chloe Martin is calling").await;
    picture(&world, &s, &out.join("incoming-call.png")).await;
    s.click(&s.find("button", "Accept").await).await;
    caller.until(|v| calls::change(v, "accepted"));
    browser.first_url().await;
    // The call window: its page (WebDriver drives it too) once it says where the meeting is.
    let main = s.windows().await;
    let mut in_call_window = false;
    for handle in main.iter() {
        s.switch_to(handle).await;
        if s.page_text().await.contains("Call with Chloe Martin") {
            in_call_window = true;
            break;
        }
    }
    assert!(in_call_window, "no call window among {main:?}");
    s.until_text("the call window's browser line", |t| {
        t.contains("Open the meeting in the browser again")
    })
    .await;
    s.painted().await;
    x_picture(
        &world,
        "^NurseCare — call with",
        &out.join("call-window.png"),
    );
    for handle in main.iter() {
        s.switch_to(handle).await;
        if s.page_text().await.contains("Messages") {
            break;
        }
    }
    s.click(&s.find("button", "Calls").await).await;
    s.until_text("the call bar and the chat's calls", |t| {
        t.contains("In call with Chloe Martin") && t.contains("Incoming call")
    })
    .await;
    picture(&world, &s, &out.join("in-call.png")).await;
    s.click(&s.find("button", "Hang up").await).await;
    caller.until(|v| calls::change(v, "hungUp"));
    caller.finish();
    let search = s.find("searchbox", "Search messages").await;
    s.type_into(&search, "dose").await;
    s.find("list", "Search results").await;
    picture(&world, &s, &out.join("search.png")).await;
    s.end().await;
}

/// 10,000 messages (`FLOOD_N` to change it) arriving live in the open thread: the memory they
/// add (PSS of the app and its WebKit processes, 10 s after the last one shows, and by
/// process), the longest gap between painted frames (WebKit has no long-task API; a frame gap
/// over 100 ms is a task that long), and how many messages the open thread's list holds. A
/// measurement, not a test: run by `scripts/measure-app.sh` with the release app
/// (`NURSECARE_APP_BIN`) and the load generator (`NURSECARE_FLOOD_BIN`,
/// core/examples/flood.rs); it prints its figures.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement; run by scripts/measure-app.sh"]
async fn measure_ten_thousand_live_messages_in_the_open_thread() {
    let app = app_bin();
    let count = std::env::var("FLOOD_N").unwrap_or_else(|_| "10000".into());
    let _one = one_app_at_a_time().await;
    // FLOOD_APP_ENV="NAME=value ...": more of the app's environment (options tried one by one).
    let extra = std::env::var("FLOOD_APP_ENV").unwrap_or_default();
    let app_env: Vec<(&str, OsString)> = extra
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k, OsString::from(v)))
        .collect();
    let world = World::for_a_flood(app_env);
    let s = Session::start(world.driver.port, &app).await;
    sign_in(&s, DEMO_PASSWORD).await;
    // FLOOD_CLOSED=1: the same flood with no chat open (the list only), to tell the thread's
    // cost from the rest.
    let open = std::env::var_os("FLOOD_CLOSED").is_none();
    if open {
        s.click(&s.find("button", "Chloe Martin").await).await;
        s.find("log", "Messages").await;
    }
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();
    let (pid, _) = app_process::find(&world.app_profile());
    // Let start-up work (catch-up, first layout) finish before the baseline.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let before = app_process::pss_kib(pid);
    let by_before = app_process::pss_by_process(pid);
    let maps_before = app_process::pss_by_mapping(pid, "WebKitWebProces");
    // Every command the page calls during the flood, counted (what crosses the IPC).
    s.script(
        "window.__ipc = {}; const inner = window.fetch;
         window.fetch = function (url, ...rest) {
           const cmd = String(url).split('/').pop().split('?')[0];
           window.__ipc[cmd] = (window.__ipc[cmd] || 0) + 1;
           return inner.call(this, url, ...rest); };
         return null",
        json!([]),
    )
    .await;
    s.script(
        "window.__gaps = { max: 0, over100: 0, frames: 0, last: performance.now() };
         const tick = (t) => { const g = window.__gaps; const d = t - g.last;
           if (d > g.max) g.max = d; if (d > 100) g.over100++; g.frames++; g.last = t;
           requestAnimationFrame(tick); };
         requestAnimationFrame(tick); return null",
        json!([]),
    )
    .await;
    let started = Instant::now();
    let out = flood_until_shown(&s, &world, &patient, &conversation, &count, 300).await;
    let shown_after = started.elapsed();
    let gaps = s.script("return window.__gaps", json!([])).await;
    // The list's height says how many rows it holds (about 64 px each), the DOM its size.
    let list = s
        .script(
            "const c = document.querySelector('.message-canvas');
             return [c ? parseFloat(c.style.height) || 0 : 0,
                     document.querySelectorAll('*').length]",
            json!([]),
        )
        .await;
    let ipc = s.script("return window.__ipc", json!([])).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after = app_process::pss_kib(pid);
    tokio::time::sleep(Duration::from_secs(30)).await;
    let later = app_process::pss_kib(pid);
    // Where the web process grew most.
    let maps_after = app_process::pss_by_mapping(pid, "WebKitWebProces");
    let mut grew: Vec<(String, i64)> = maps_after
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                *v as i64 - *maps_before.get(k).unwrap_or(&0) as i64,
            )
        })
        .collect();
    grew.sort_by_key(|(_, d)| -d);
    let grew = grew
        .iter()
        .take(4)
        .map(|(k, d)| format!("{k} {:+.1}", *d as f64 / 1024.0))
        .collect::<Vec<_>>()
        .join(", ");
    let mb = |kib: u64| kib as f64 / 1024.0;
    let by = |v: Vec<(String, u64)>| {
        v.into_iter()
            .map(|(name, kib)| format!("{name} {:.0}", mb(kib)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "live {count} {}: all shown after {:.1} s; PSS {:.1} MB before, {:.1} MB 10 s after (+{:.1} MB) [before: {}; after: {}; the web process grew most in: {grew} MB]; {:.1} MB 40 s after; commands the page called: {ipc}; longest frame gap {:.0} ms, {} gaps over 100 ms in {} frames; list {} px tall, {} DOM elements; {}",
        if open {
            "in the open thread"
        } else {
            "with no chat open"
        },
        shown_after.as_secs_f64(),
        mb(before),
        mb(after),
        mb(after) - mb(before),
        by(by_before),
        by(app_process::pss_by_process(pid)),
        mb(later),
        gaps["max"].as_f64().unwrap_or(0.0),
        gaps["over100"],
        gaps["frames"],
        list[0],
        list[1],
        String::from_utf8_lossy(&out.stdout).trim()
    );
    s.end().await;
}

/// The patient sends `count` messages with the flood (`NURSECARE_FLOOD_BIN`) as fast as the
/// server takes them; answers its output once the window shows the last (within `secs`).
async fn flood_until_shown(
    s: &Session,
    world: &World,
    patient: &Cli,
    conversation: &str,
    count: &str,
    secs: u64,
) -> std::process::Output {
    let flood = std::env::var_os("NURSECARE_FLOOD_BIN").expect("NURSECARE_FLOOD_BIN");
    let out = std::process::Command::new(flood)
        .args([
            &world.server.base(),
            &*patient.profile.to_string_lossy(),
            conversation,
            count,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let last = format!("Load message {count} of {count}");
    let deadline = Instant::now() + Duration::from_secs(secs);
    // (textContent, not the page's text: innerText lays the page out, and a poll that does
    // would add long frames of its own to the ones measured.)
    while !s
        .script(
            "return document.body.textContent.includes(arguments[0])",
            json!([last]),
        )
        .await
        .as_bool()
        .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "the last message never showed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    out
}

/// What the window shows of the app's own messages whose text starts with `prefix`: for each,
/// "sent" (a bubble from the server), "waiting" (an outbox row) — and the banner's text.
async fn mine_shown(s: &Session, prefix: &str) -> (Vec<(String, String)>, String) {
    let v = s
        .script(
            "const [p] = arguments;
             const rows = [...document.querySelectorAll('[role=log] .bubble-row.mine')];
             const mine = rows.map(r => {
               const t = r.querySelector('.bubble') ? r.querySelector('.bubble').textContent : '';
               return [t, r.classList.contains('outbox') ? 'waiting' : 'sent'];
             }).filter(([t]) => t.startsWith(p));
             const banner = document.querySelector('.connection-banner');
             return [mine, banner ? banner.textContent : ''];",
            json!([prefix]),
        )
        .await;
    let mine = v[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_owned(),
                r[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (mine, v[1].as_str().unwrap_or_default().to_owned())
}

/// Typing while the link flaps (the server killed and back, over and over): once it is back
/// for good, every message is delivered once and shown once as sent, and the banner (the
/// outbox's count) agrees with the bubbles: nothing waiting.
#[tokio::test(flavor = "multi_thread")]
async fn typing_while_the_link_flaps_loses_no_bubble_and_the_banner_agrees() {
    let _one = one_app_at_a_time().await;
    let mut world = World::start();
    let s = Session::start(world.driver.port, &app_bin()).await;
    sign_in(&s, DEMO_PASSWORD).await;
    s.click(&s.find("button", "Chloe Martin").await).await;
    s.find("log", "Messages").await;
    let patient = world.patient();
    let conversation = conversation_with_amara(&patient).to_string();
    let prefix = format!("Flap {} ", std::process::id());
    let texts: Vec<String> = (0..12).map(|i| format!("{prefix}{i:02}")).collect();
    for (i, text) in texts.iter().enumerate() {
        let composer = s.find("textbox", "Message").await;
        s.type_into(&composer, &format!("{text}{ENTER}")).await;
        // The link goes down or comes back at different moments around each message.
        let pause = Duration::from_millis([0, 40, 120, 300][i % 4]);
        tokio::time::sleep(pause).await;
        if i % 2 == 0 {
            world.server.kill();
        } else {
            world.server.restart();
        }
    }
    world.server.restart();
    for text in &texts {
        assert_eq!(patient_sees(&patient, &conversation, text), 1, "{text}");
    }
    let deadline = Instant::now() + driver::WAIT;
    loop {
        let (mine, banner) = mine_shown(&s, &prefix).await;
        let all_sent = texts.iter().all(|t| {
            mine.iter()
                .filter(|(m, how)| m == t && how == "sent")
                .count()
                == 1
        });
        if all_sent && mine.len() == texts.len() && banner.trim().is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            let view = s
                .script(
                    "const l = document.querySelector('[role=log]');
                     const sc = l.closest('.thread-scroll') || l.parentElement;
                     return [l.scrollTop, l.scrollHeight, l.clientHeight, sc.scrollTop, sc.scrollHeight, sc.clientHeight, l.innerText.slice(-400)];",
                    json!([]),
                )
                .await;
            let indexes = s
                .script(
                    "const l = document.querySelector('[role=log]');
                     const rows = [...l.querySelectorAll('.message-row')].map(r => Number(r.dataset.index));
                     l.scrollTop = l.scrollHeight;
                     return rows;",
                    json!([]),
                )
                .await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let (after, _) = mine_shown(&s, &prefix).await;
            panic!(
                "after the link settled the window shows {mine:?} with the banner {banner:?}; view {view}; rows {indexes}; at the bottom: {after:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.end().await;
}
