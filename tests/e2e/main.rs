//! End to end: the real app (a debug build of nursecare-desktop) in a real WebKit window under
//! Xvfb, driven through tauri-driver, against the real `nursecare-server --demo` on loopback,
//! with the patient on the other side played by the real `nursecare-cli`. Nothing is mocked.

#[path = "../../cli/tests/support/mod.rs"]
mod support;

mod driver;

use driver::{DriverProcess, ENTER, Session};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{AMARA, CHLOE, Cli, DEMO_PASSWORD, Server};

fn app_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nursecare-desktop"))
}

/// The app's world: its profile and XDG folders inside the test's directory.
struct World {
    dir: tempfile::TempDir,
    server: Server,
    driver: DriverProcess,
}

impl World {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(&mkdir(dir.path(), "server"), false);
        let base = server.base();
        let env: Vec<(&str, PathBuf)> = vec![
            ("NURSECARE_SERVER", PathBuf::from(&base)),
            ("NURSECARE_PROFILE", mkdir(dir.path(), "app-profile")),
            ("NURSECARE_SECRET_STORE", PathBuf::from("file")),
            ("NURSECARE_LOG", PathBuf::from("info")),
            ("XDG_DATA_HOME", mkdir(dir.path(), "xdg-data")),
            ("XDG_CONFIG_HOME", mkdir(dir.path(), "xdg-config")),
            ("XDG_CACHE_HOME", mkdir(dir.path(), "xdg-cache")),
        ];
        let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
        let driver = DriverProcess::start(&env, &dir.path().join("driver.log"));
        Self {
            dir,
            server,
            driver,
        }
    }

    fn app_profile(&self) -> PathBuf {
        self.dir.path().join("app-profile")
    }

    /// The patient on the CLI, signed in.
    fn patient(&self) -> Cli {
        let cli = Cli::new(&self.server.base(), &mkdir(self.dir.path(), "patient"));
        cli.expect(0, &["login", "--email", CHLOE]);
        cli
    }
}

fn mkdir(root: &Path, name: &str) -> PathBuf {
    let p = root.join(name);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// The conversation between the patient and Amara, seen from the patient's CLI.
fn conversation_with_amara(patient: &Cli) -> i64 {
    let list = patient.json(&["conversations"]);
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["other"]["email"] == AMARA)
        .and_then(|c| c["id"].as_i64())
        .unwrap_or_else(|| panic!("no conversation with Amara: {list}"))
}

/// Waits until the patient's history holds `text`; answers how many times it does.
fn patient_sees(patient: &Cli, conversation: i64, text: &str) -> usize {
    let deadline = Instant::now() + driver::WAIT;
    loop {
        let history = patient.json(&["history", &conversation.to_string()]);
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
    let world = World::start();
    let s = Session::start(world.driver.port, &app_bin()).await;

    // A wrong password is said in words, and nothing else happens.
    sign_in(&s, "not-the-password").await;
    let alert = s.find("alert", "Wrong email or password.").await;
    assert!(s.text(&alert).await.contains("Wrong email or password."));

    sign_in(&s, DEMO_PASSWORD).await;
    let row = s.find("button", "Chloe Martin").await;

    let patient = world.patient();
    let conversation = conversation_with_amara(&patient);
    s.click(&row).await;
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
    assert_eq!(patient_sees(&patient, conversation, &reply), 1);

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
    s.script("location.reload(); return null", json!([])).await;
    let row = s.find("button", "Chloe Martin").await;
    s.click(&row).await;
    s.until_text("history after a reload", |t| {
        t.contains(&hello) && t.contains(&reply)
    })
    .await;

    // The app owns its profile's cache: a CLI command on it is refused with its own code.
    let intruder = Cli::new(&world.server.base(), &world.app_profile());
    let out = intruder.run(&["history", &conversation.to_string(), "--offline"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(10), "stderr: {stderr}");

    s.end().await;
}
