//! A real server on a loopback port, real SQLite files, and real socket.io clients.
//!
//! `TestServer::start` runs the same `Server` as the binary on `127.0.0.1:0` over a fresh
//! database in a temporary directory. `Sock` is a rust_socketio client that records every event
//! it receives, so a test can wait for one (`expect`) or check that none came (`quiet`).

use futures_util::FutureExt;
use nursecare_server::store::sqlite::SqliteStore;
use nursecare_server::{AppState, Server, Settings, SocketTimings};
use nursecare_wire::Role;
use reqwest::{Method, StatusCode};
use rust_socketio::asynchronous::{Client, ClientBuilder};
use rust_socketio::{Event, Payload};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long to wait for an event that should come.
pub const WAIT: Duration = Duration::from_secs(5);
/// How long to watch for an event that should not come.
pub const QUIET: Duration = Duration::from_millis(400);

pub const SECRET: &[u8] = b"test-secret-of-sufficient-length";

pub struct TestServer {
    pub base: String,
    pub state: Arc<AppState>,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

pub fn compat() -> Settings {
    Settings {
        production_compat: true,
        ..Settings::default()
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(Settings::default()).await
    }

    pub async fn start_with(settings: Settings) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.db");
        let mut s = Self::start_on(db, settings).await;
        s._dir = Some(dir);
        s
    }

    /// A server over an existing database file (for restart tests).
    pub async fn start_on(db: PathBuf, mut settings: Settings) -> Self {
        let store = SqliteStore::open(&db).unwrap();
        if settings.files.dir.is_none() {
            settings.files.dir = Some(db.with_file_name("files"));
        }
        let timings = SocketTimings {
            ping_interval: Duration::from_millis(500),
            ping_timeout: Duration::from_millis(500),
        };
        let server = Server::new(Arc::new(store), SECRET, settings, timings);
        let state = server.state().clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(listener, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            base: format!("http://{addr}"),
            state,
            http: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
            _dir: None,
        }
    }

    /// Stops gracefully and waits for the server task.
    pub async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), t).await;
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Resp::from(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// A POST of raw bytes with their content type (a multipart form).
    pub async fn post_body(&self, path: &str, token: &str, kind: String, body: Vec<u8>) -> Resp {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, kind)
            .body(body);
        Resp::from(req.send().await.unwrap()).await
    }

    pub async fn patch(&self, path: &str, token: &str) -> Resp {
        self.request(Method::PATCH, path, Some(token), None).await
    }

    /// A POST without a token (register, login).
    pub async fn post_anon(&self, path: &str, body: Value) -> Resp {
        self.request(Method::POST, path, None, Some(body)).await
    }

    /// `POST /video-calls/start`: the call, with its `jitsiUrl`.
    pub async fn start_call(&self, token: &str, conversation: i64) -> Value {
        self.post(
            "/video-calls/start",
            token,
            json!({ "conversationId": conversation }),
        )
        .await
        .json()
    }

    /// `PATCH /video-calls/:id/<verb>` (end, reject, missed).
    pub async fn call_verb(&self, token: &str, call: &Value, verb: &str) -> Resp {
        self.patch(&format!("/video-calls/{call}/{verb}"), token)
            .await
    }

    pub fn raw(&self) -> &reqwest::Client {
        &self.http
    }

    /// Registers and logs in a user over REST.
    pub async fn user(&self, email: &str, role: Role) -> User {
        let r = self
            .request(
                Method::POST,
                "/auth/register",
                None,
                Some(json!({"email": email, "password": "secret-pw", "name": email.split('@').next(), "role": role})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "register {email}: {}",
            r.text
        );
        let id = r.json()["id"].as_i64().unwrap();
        let r = self
            .request(
                Method::POST,
                "/auth/login",
                None,
                Some(json!({"email": email, "password": "secret-pw"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "login {email}: {}", r.text);
        let token = r.json()["accessToken"].as_str().unwrap().to_owned();
        User { id, token }
    }

    /// An account made by the operator (as `--create-user` does), logged in over REST.
    pub async fn staff(&self, email: &str, role: Role) -> User {
        let user = self
            .state
            .store
            .create_user(nursecare_server::store::NewUser {
                email: email.into(),
                name: Some("Staff".into()),
                role,
                password_hash: nursecare_server::auth::hash_password("secret-pw".into())
                    .await
                    .unwrap(),
            })
            .await
            .unwrap();
        let r = self
            .post_anon(
                "/auth/login",
                json!({"email": email, "password": "secret-pw"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "login {email}: {}", r.text);
        User {
            id: user.id,
            token: r.json()["accessToken"].as_str().unwrap().to_owned(),
        }
    }

    /// The usual cast: a nurse, a patient, and their conversation.
    pub async fn pair(&self) -> (User, User, i64) {
        let nurse = self.user("nurse@c.test", Role::Nurse).await;
        let patient = self.user("patient@c.test", Role::Patient).await;
        let conv = self.conversation(&nurse, &patient).await;
        (nurse, patient, conv)
    }

    /// A conversation between two users (created by `a`); answers its id.
    pub async fn conversation(&self, a: &User, b: &User) -> i64 {
        let r = self
            .post(
                "/messaging/conversations",
                &a.token,
                json!({"otherUserId": b.id}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["id"].as_i64().unwrap()
    }

    /// A socket that presents `user`'s token and has registered.
    pub async fn registered(&self, user: &User) -> Sock {
        let s = Sock::connect(self, Some(&user.token))
            .await
            .expect("connect");
        s.emit("register", json!({"userId": user.id})).await;
        s.expect("registered").await;
        s
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub token: String,
}

pub struct Resp {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    async fn from(r: reqwest::Response) -> Self {
        let status = r.status();
        let header = |name| {
            r.headers()
                .get(name)
                .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let retry_after = header(reqwest::header::RETRY_AFTER);
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        Self {
            status,
            content_type,
            retry_after,
            text,
            headers,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
}

/// One event a socket received: its name and arguments.
#[derive(Debug, Clone)]
pub struct Got {
    pub event: String,
    pub args: Vec<Value>,
}

impl Got {
    pub fn data(&self) -> &Value {
        self.args.first().unwrap_or(&Value::Null)
    }
}

pub struct Sock {
    pub client: Client,
    inbox: tokio::sync::Mutex<Inbox>,
}

struct Inbox {
    rx: mpsc::UnboundedReceiver<Got>,
    /// Received but not yet asked for.
    pending: Vec<Got>,
}

fn args(p: Payload) -> Vec<Value> {
    match p {
        Payload::Text(v) => v,
        #[allow(deprecated)]
        Payload::String(s) => vec![serde_json::from_str(&s).unwrap_or(Value::String(s))],
        Payload::Binary(_) => vec![],
    }
}

impl Sock {
    /// Connects and waits for the namespace to accept; `Err` carries the refusal.
    pub async fn connect(server: &TestServer, token: Option<&str>) -> Result<Sock, String> {
        Self::connect_to(&server.base, token).await
    }

    /// Connects to any base URL.
    pub async fn connect_to(base: &str, token: Option<&str>) -> Result<Sock, String> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Result<(), String>>();
        let mut builder = ClientBuilder::new(base.to_owned()).reconnect(false);
        if let Some(t) = token {
            builder = builder.auth(json!({"token": t}));
        }
        let ready_ok = ready_tx.clone();
        let events = tx.clone();
        let client = builder
            .on(Event::Connect, move |_p: Payload, _c: Client| {
                let _ = ready_ok.send(Ok(()));
                async {}.boxed()
            })
            .on(Event::Error, move |p: Payload, _c: Client| {
                let a = args(p);
                let _ = ready_tx.send(Err(format!("{a:?}")));
                let _ = events.send(Got {
                    event: "error".into(),
                    args: a,
                });
                async {}.boxed()
            })
            .on_any(move |e: Event, p: Payload, _c: Client| {
                let mut got = Got {
                    event: e.as_str().to_owned(),
                    args: args(p),
                };
                // rust_socketio reads `["name"]` (an event without arguments) as a "message"
                // event whose one argument is the name: turn it back into the event.
                if e == Event::Message
                    && let [Value::String(name)] = got.args.as_slice()
                {
                    got = Got {
                        event: name.clone(),
                        args: vec![],
                    };
                }
                let _ = tx.send(got);
                async {}.boxed()
            })
            .connect()
            .await
            .map_err(|e| e.to_string())?;
        match tokio::time::timeout(WAIT, ready_rx.recv()).await {
            Ok(Some(Ok(()))) => Ok(Sock {
                client,
                inbox: tokio::sync::Mutex::new(Inbox {
                    rx,
                    pending: Vec::new(),
                }),
            }),
            Ok(Some(Err(e))) => {
                let _ = client.disconnect().await;
                Err(e)
            }
            _ => Err("no answer to the handshake".into()),
        }
    }

    pub async fn emit(&self, event: &str, data: Value) {
        self.client.emit(event, data).await.expect("emit");
    }

    /// The next event of that name; others received meanwhile stay queued for later calls.
    pub async fn expect(&self, event: &str) -> Got {
        let mut inbox = self.inbox.lock().await;
        if let Some(i) = inbox.pending.iter().position(|g| g.event == event) {
            return inbox.pending.remove(i);
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, inbox.rx.recv()).await {
                Ok(Some(g)) if g.event == event => return g,
                Ok(Some(g)) => inbox.pending.push(g),
                Ok(None) => panic!("socket closed while waiting for {event}"),
                Err(_) => panic!("no {event} within {WAIT:?}; got {:?}", inbox.pending),
            }
        }
    }

    /// Every event queued or received within `QUIET` from now.
    pub async fn drain(&self) -> Vec<Got> {
        let mut inbox = self.inbox.lock().await;
        let mut out = std::mem::take(&mut inbox.pending);
        let deadline = tokio::time::Instant::now() + QUIET;
        while let Ok(Some(g)) = tokio::time::timeout_at(deadline, inbox.rx.recv()).await {
            out.push(g);
        }
        out
    }

    /// Asserts that no `event` arrives within `QUIET`.
    pub async fn quiet(&self, event: &str) {
        let got = self.drain().await;
        assert!(
            !got.iter().any(|g| g.event == event),
            "unexpected {event}: {got:?}"
        );
    }

    /// How many `event`s arrive within `QUIET`.
    pub async fn count(&self, event: &str) -> Vec<Got> {
        self.drain()
            .await
            .into_iter()
            .filter(|g| g.event == event)
            .collect()
    }

    pub async fn close(self) {
        let _ = self.client.disconnect().await;
    }
}

/// The real `nursecare-server` binary in a child process, for tests that kill it or read its
/// logs. `Drop` kills it.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
    port: u16,
    /// Flags beyond `--db`, `--bind` and `--jwt-secret`, kept for restarts.
    args: Vec<String>,
}

/// Flags for a binary whose tests register NURSEs over REST (the binary's default registers
/// patients only).
pub const OPEN_REGISTRATION: &[&str] = &["--registration", "open"];

/// The secret the child processes sign with.
pub const PROCESS_JWT: &str = "process-test-secret-0123456789";

impl ServerProcess {
    /// Starts the binary on `db` and waits until it answers.
    pub async fn start(
        db: &std::path::Path,
        env: &[(&str, &str)],
        stderr: std::process::Stdio,
    ) -> Self {
        Self::start_with(db, &[], env, stderr).await
    }

    /// Starts the binary with extra flags.
    pub async fn start_with(
        db: &std::path::Path,
        args: &[&str],
        env: &[(&str, &str)],
        stderr: std::process::Stdio,
    ) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let args = args.iter().map(|a| a.to_string()).collect();
        Self::start_on_port(db, port, args, env, stderr).await
    }

    /// Starts the binary in `dir` (its database `server.db`) with its stderr, the log, going
    /// to `dir/server.log`; answers that file's path too.
    pub async fn start_logging(
        dir: &std::path::Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (Self, PathBuf) {
        let log_path = dir.join("server.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let server = Self::start_with(
            &dir.join("server.db"),
            args,
            env,
            std::process::Stdio::from(log),
        )
        .await;
        (server, log_path)
    }

    /// Starts it again on the same port with the same flags (after a kill).
    pub async fn restart(&mut self, db: &std::path::Path) {
        self.kill();
        let args = std::mem::take(&mut self.args);
        let fresh =
            Self::start_on_port(db, self.port, args, &[], std::process::Stdio::null()).await;
        *self = fresh;
    }

    /// Runs the binary on `db` with `args` to completion (`--create-user` and friends).
    pub fn command(
        db: &std::path::Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_nursecare-server"))
            .arg("--db")
            .arg(db)
            .args(args)
            .env_remove("NURSECARE_USER_PASSWORD")
            .env_remove("NURSECARE_ADMIN_PASSWORD")
            .env_remove("NURSECARE_REGISTRATION")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }

    async fn start_on_port(
        db: &std::path::Path,
        port: u16,
        args: Vec<String>,
        env: &[(&str, &str)],
        stderr: std::process::Stdio,
    ) -> Self {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_nursecare-server"))
            .args([
                "--db",
                db.to_str().unwrap(),
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--jwt-secret",
                PROCESS_JWT,
            ])
            .args(&args)
            .env_remove("NURSECARE_REGISTRATION")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http
                .get(format!("{base}/messaging/unread-count"))
                .send()
                .await
                .is_ok()
            {
                return Self {
                    child,
                    base,
                    port,
                    args,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
        panic!("server did not come up at {base}");
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        self.post_status(path, token, body).await.1
    }

    /// A POST answering its status and JSON body.
    pub async fn post_status(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut r = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        (r.status(), r.json().await.unwrap())
    }

    pub async fn get(&self, path: &str, token: &str) -> Value {
        reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Registers and logs in a user.
    pub async fn user(&self, email: &str, password: &str, role: &str) -> User {
        let reg = self
            .post(
                "/auth/register",
                None,
                json!({"email": email, "password": password, "role": role}),
            )
            .await;
        let login = self
            .post(
                "/auth/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        User {
            id: reg["id"].as_i64().unwrap(),
            token: login["accessToken"].as_str().unwrap().to_owned(),
        }
    }

    /// A registered socket of `user`.
    pub async fn socket(&self, user: &User) -> Sock {
        let sock = Sock::connect_to(&self.base, Some(&user.token))
            .await
            .expect("connect");
        sock.emit("register", json!({"userId": user.id})).await;
        sock.expect("registered").await;
        sock
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a script of `tests/node` is told about a server: a nurse, a patient and their
/// conversation.
pub async fn node_world(s: &TestServer) -> Value {
    let (nurse, patient, conv) = s.pair().await;
    json!({
        "base": s.base,
        "nurse": {"id": nurse.id, "token": nurse.token},
        "patient": {"id": patient.id, "token": patient.token},
        "conversationId": conv,
    })
}

/// Runs a script of `tests/node` (the official socket.io client, installed by `.ci/run`)
/// with `world`; fails the test when it fails, else answers its output.
pub async fn run_node(script: &str, world: &Value) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    assert!(
        dir.join("node_modules/socket.io-client").exists(),
        "socket.io-client is not installed: run `npm ci --prefix server/tests/node` (.ci/run does)"
    );
    let out = tokio::process::Command::new("node")
        .arg(dir.join(script))
        .arg(world.to_string())
        .current_dir(&dir)
        .output()
        .await
        .expect("node is installed");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "node client failed\n{stdout}\n{stderr}"
    );
    stdout
}
