//! The real app in a real WebKit window: tauri-driver (and WebKitWebDriver under it) in its own
//! Xvfb display and D-Bus session, spoken to in plain W3C WebDriver over HTTP. Controls are
//! found by their role and accessible name, as a screen reader would find them.

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// W3C's key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long a wait for the UI lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// tauri-driver in `setsid xvfb-run`, killed (the whole group) on drop. The D-Bus session
/// is the test's own (its address in `env`), so the test can serve on it.
pub struct DriverProcess {
    child: Child,
    pub port: u16,
}

impl DriverProcess {
    /// Starts it with `env` for the app (tauri-driver passes its environment on). With
    /// `keychain`, gnome-keyring's Secret Service runs on the session bus first, unlocked
    /// (its files under the app's XDG_DATA_HOME).
    pub fn start(env: &[(&str, std::ffi::OsString)], log: &Path, keychain: bool) -> Self {
        let driver = which("tauri-driver").unwrap_or_else(|| {
            panic!("tauri-driver is not installed: run `bash scripts/setup.sh` (it runs `cargo install tauri-driver`)")
        });
        assert!(
            which("WebKitWebDriver").is_some(),
            "WebKitWebDriver is missing: apt install webkit2gtk-driver (scripts/setup.sh)"
        );
        let port = super::support::free_port();
        let native = super::support::free_port();
        let mut cmd = Command::new("setsid");
        cmd.args([
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            "dbus-run-session",
            "--",
        ]);
        if keychain {
            cmd.args([
                "sh",
                "-c",
                "printf %s nursecare-e2e | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$0\" \"$@\"",
            ]);
        }
        cmd.arg(driver)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(super::support::log_file(log))
            .stderr(super::support::log_file(log));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .expect("setsid xvfb-run (apt install xvfb xauth)");
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen; see {}",
                log.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        // setsid made the child a group leader: end xvfb-run, D-Bus, the driver and the app.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    let home = std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo/bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(home)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// One WebDriver session: the app's main window.
pub struct Session {
    http: reqwest::Client,
    base: String,
}

/// An element in the window.
#[derive(Clone, Debug)]
pub struct El(String);

/// Finds the first visible element with an ARIA role (explicit or implied by its tag) and an
/// accessible name (aria-label, aria-labelledby, its label, or its text) containing `name`.
const FIND_BY_ROLE: &str = r#"
const [role, name, exact] = arguments;
function roleOf(e) {
  const r = e.getAttribute('role'); if (r) return r;
  const t = e.tagName.toLowerCase();
  if (t === 'button') return 'button';
  if (t === 'a' && e.hasAttribute('href')) return 'link';
  if (t === 'textarea') return 'textbox';
  if (t === 'input') {
    const ty = (e.getAttribute('type') || 'text').toLowerCase();
    if (ty === 'checkbox' || ty === 'radio') return ty;
    if (ty === 'search') return 'searchbox';
    return 'textbox';
  }
  if (/^h[1-6]$/.test(t)) return 'heading';
  if (t === 'ul' || t === 'ol') return 'list';
  if (t === 'li') return 'listitem';
  if (t === 'dialog') return 'dialog';
  if (t === 'section' && (e.hasAttribute('aria-label') || e.hasAttribute('aria-labelledby'))) return 'region';
  if (t === 'mark') return 'mark';
  return null;
}
function nameOf(e) {
  const al = e.getAttribute('aria-label'); if (al) return al.trim();
  const lb = e.getAttribute('aria-labelledby');
  if (lb) return lb.split(/\s+/).map(i => (document.getElementById(i) || {}).textContent || '').join(' ').trim();
  if (e.id) { const l = document.querySelector('label[for="' + CSS.escape(e.id) + '"]'); if (l) return l.textContent.trim(); }
  const wrap = e.closest('label'); if (wrap && wrap !== e) return wrap.textContent.trim();
  return (e.textContent || '').trim();
}
const hit = [...document.querySelectorAll('*')].find(e => roleOf(e) === role
  && (exact ? nameOf(e) === name : nameOf(e).includes(name)) && e.getClientRects().length > 0);
return hit || null;
"#;

impl Session {
    /// A session on the app binary.
    pub async fn start(port: u16, app: &Path) -> Self {
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "tauri:options": {"application": app.display().to_string()}
        }}});
        // WebKitWebDriver now and then refuses the very first session while it starts up, or
        // is not listening yet (tauri-driver then drops the request: no answer at all):
        // asked again, it answers.
        let mut answer = Value::Null;
        for attempt in 0..5 {
            let sent = http
                .post(format!("{base}/session"))
                .json(&caps)
                .send()
                .await;
            match sent {
                Ok(r) => {
                    answer = r.json().await.unwrap();
                    if answer["value"]["sessionId"].is_string() {
                        break;
                    }
                    eprintln!("new session refused, asking again: {answer}");
                }
                Err(e) if attempt < 4 => eprintln!("new session unanswered, asking again: {e}"),
                Err(e) => panic!("new session: {e:?}"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let id = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        Self {
            http,
            base: format!("{base}/session/{id}"),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let answer: Value = req.send().await.expect("webdriver").json().await.unwrap();
        if let Some(err) = answer["value"]["error"].as_str() {
            panic!("webdriver {path}: {err}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    /// The windows WebDriver can drive (its handles), in no set order.
    pub async fn windows(&self) -> Vec<String> {
        let all = self
            .call(reqwest::Method::GET, "/window/handles", None)
            .await;
        serde_json::from_value(all).unwrap_or_default()
    }

    /// Drives `handle`'s window from now on.
    pub async fn switch_to(&self, handle: &str) {
        self.call(
            reqwest::Method::POST,
            "/window",
            Some(json!({"handle": handle})),
        )
        .await;
    }

    /// Runs a script in the window; answers its value.
    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Runs an asynchronous script (it ends by calling its last argument); answers its value.
    pub async fn script_async(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Reloads the page and waits for the new one (WebDriver's refresh waits for the load, so
    /// nothing found afterwards belongs to the page before).
    pub async fn reload(&self) {
        self.script("window.__beforeReload = true; return null", json!([]))
            .await;
        self.call(reqwest::Method::POST, "/refresh", Some(json!({})))
            .await;
        let old = self
            .script("return window.__beforeReload === true", json!([]))
            .await;
        assert_eq!(old, json!(false), "the page was not reloaded");
    }

    /// The element that has the focus (the page itself when nothing does).
    pub async fn focused(&self) -> El {
        let v = self
            .script("return document.activeElement || document.body", json!([]))
            .await;
        El(v[ELEMENT].as_str().expect("an element").to_owned())
    }

    /// The element with this role and (partial) accessible name, now.
    pub async fn find_now(&self, role: &str, name: &str) -> Option<El> {
        let v = self.script(FIND_BY_ROLE, json!([role, name, false])).await;
        v[ELEMENT].as_str().map(|s| El(s.to_owned()))
    }

    /// Waits for the element with this role and name.
    pub async fn find(&self, role: &str, name: &str) -> El {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(el) = self.find_now(role, name).await {
                return el;
            }
            if Instant::now() > deadline {
                let text = self.page_text().await;
                panic!("no {role} named {name:?} within {WAIT:?}; the window shows:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `check` holds for the window's text.
    pub async fn until_text(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = self.page_text().await;
            if check(&text) {
                return text;
            }
            if Instant::now() > deadline {
                panic!("{what}: not seen within {WAIT:?}; the window shows:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// All visible text of the window.
    pub async fn page_text(&self) -> String {
        self.script(
            "return document.body ? document.body.innerText : ''",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The text of an element.
    pub async fn text(&self, el: &El) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{}/text", el.0),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Clicks.
    pub async fn click(&self, el: &El) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/click", el.0),
            Some(json!({})),
        )
        .await;
    }

    /// Types (WebDriver key codes: `\u{E007}` is Enter).
    pub async fn type_into(&self, el: &El, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", el.0),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Clears a field.
    pub async fn clear(&self, el: &El) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/clear", el.0),
            Some(json!({})),
        )
        .await;
    }

    /// Waits until the window has painted what the DOM holds now (two animation frames).
    pub async fn painted(&self) {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": "const done = arguments[arguments.length - 1]; \
                requestAnimationFrame(() => requestAnimationFrame(() => done(null)));", "args": []})),
        )
        .await;
    }

    /// Ends the session (the app quits).
    pub async fn end(self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}

/// Enter, as WebDriver types it.
pub const ENTER: &str = "\u{E007}";
