//! Core-to-core message latency on loopback, beside the official Node `socket.io-client` on the
//! same server in the same run (goal: core-to-core p50 < 1 ms).
//!
//!     cargo bench -p nursecare-core --bench latency              # 2,000 samples per row
//!     cargo bench -p nursecare-core --bench latency -- 500 --warmup 50 --no-node
//!
//! The real server runs in this process on `127.0.0.1:0` over a fresh SQLite file, on a tokio
//! runtime of its own (as if it were another process); the clients run on a second runtime.
//! Every row is a closed loop, one message at a time, each pair of users with its own
//! conversation, one row after the other:
//!
//! - `core→core`: two [`nursecare_core::Client`]s with the default [`ClientConfig`]. Timed from
//!   the call of `Client::send` on A to B's event stream yielding `Event::MessageAdded` for that
//!   text; the next message goes when A's outbox row is `Sent` too (the core keeps one message in
//!   flight, so sending earlier would measure queueing, not latency). `echo` is the time to A's
//!   `Event::Outbox` row turning `Sent`.
//! - `node→node`: `benches/latency.mjs` with the official `socket.io-client` (installed under
//!   `server/tests/node/node_modules` by `npm ci --prefix server/tests/node`), WebSocket only and
//!   with the default polling → WebSocket upgrade. Timed from `emit("sendMessage")` on A to B's
//!   `newMessage`; `echo` is A's `messageSent`.
//! - `rust_socketio` (a diagnostic): two bare rust_socketio 0.6 clients, the library the core
//!   uses, without the core around them. Timed from `emit` to B's `newMessage` callback.
//!
//! Arguments: a number sets the samples per row (after `--warmup` warm-up messages, 200 by
//! default); `--no-node` and `--no-raw` skip rows; other flags (cargo's `--bench`) are
//! ignored. Not run in CI.

use futures_util::FutureExt;
use nursecare_core::api::{ApiClient, ApiConfig};
use nursecare_core::cache::OutboxState;
use nursecare_core::secrets::SecretStoreKind;
use nursecare_core::{Client, ClientConfig, Event, EventStream, Profile};
use nursecare_server::store::sqlite::SqliteStore;
use nursecare_server::{Server, Settings, SocketTimings};
use nursecare_wire::Role;
use nursecare_wire::rest::RegisterRequest;
use rust_socketio::Payload;
use rust_socketio::asynchronous::ClientBuilder;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const SECRET: &[u8] = b"latency-bench-secret-0123456789";
const PASSWORD: &str = "secret-pw";
/// Longest wait for one message before the run is abandoned.
const PATIENCE: Duration = Duration::from_secs(15);

struct Opts {
    samples: usize,
    warmup: usize,
    node: bool,
    raw: bool,
}

fn opts() -> Opts {
    let mut o = Opts {
        samples: 2_000,
        warmup: 200,
        node: true,
        raw: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--warmup" => {
                o.warmup = args.next().and_then(|s| s.parse().ok()).unwrap_or(o.warmup);
            }
            "--no-node" => o.node = false,
            "--no-raw" => o.raw = false,
            other => {
                if let Ok(n) = other.parse::<usize>() {
                    o.samples = n.max(1);
                }
            }
        }
    }
    o
}

/// Latency figures of one row, in milliseconds.
struct Row {
    name: String,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    echo_p50: Option<f64>,
}

/// Nearest-rank percentile of sorted values.
fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted_ms(us: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = us.iter().map(|u| u / 1000.0).collect();
    v.sort_by(f64::total_cmp);
    v
}

impl Row {
    /// From samples in microseconds.
    fn new(name: &str, us: &[f64], echo_us: &[f64]) -> Self {
        let v = sorted_ms(us);
        let echo = sorted_ms(echo_us);
        Self {
            name: name.to_owned(),
            p50: pct(&v, 0.50),
            p90: pct(&v, 0.90),
            p99: pct(&v, 0.99),
            max: v.last().copied().unwrap_or(f64::NAN),
            echo_p50: (!echo.is_empty()).then(|| pct(&echo, 0.50)),
        }
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The real server on loopback: spawned on the current runtime.
async fn start_server(
    db: &Path,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let store = SqliteStore::open(db).expect("server store");
    let server = Server::new(
        Arc::new(store),
        SECRET,
        Settings::default(),
        SocketTimings::default(),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let port = listener.local_addr().expect("local addr").port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = server
            .run(listener, async {
                let _ = stopped.await;
            })
            .await;
    });
    (format!("http://127.0.0.1:{port}"), stop, task)
}

/// A registered, signed-in user.
struct User {
    email: String,
    id: i64,
    token: String,
    api: ApiClient,
}

async fn user(api: &ApiClient, email: &str, role: Role) -> User {
    let reg = api
        .register(&RegisterRequest {
            email: email.into(),
            password: PASSWORD.into(),
            name: Some("Latency".into()),
            role,
        })
        .await
        .expect("register");
    let login = api.login(email, PASSWORD).await.expect("login");
    User {
        email: email.into(),
        id: reg.id,
        api: api.with_token(&login.access_token),
        token: login.access_token,
    }
}

/// A nurse and a patient and their conversation.
async fn pair(api: &ApiClient, tag: &str) -> (User, User, i64) {
    let a = user(api, &format!("{tag}-a@latency.test"), Role::Nurse).await;
    let b = user(api, &format!("{tag}-b@latency.test"), Role::Patient).await;
    let conv = a
        .api
        .create_conversation(b.id, None)
        .await
        .expect("conversation")
        .id;
    (a, b, conv)
}

/// Waits for the first event matching `want`, dropping the others.
async fn until(
    events: &mut EventStream,
    what: &str,
    mut want: impl FnMut(&Event) -> bool,
) -> Instant {
    tokio::time::timeout(PATIENCE, async {
        loop {
            let e = events.recv().await.expect("event stream ended");
            if want(&e) {
                return Instant::now();
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what} within {PATIENCE:?}"))
}

async fn start_core(base: &str, dir: PathBuf, who: &User) -> (Client, EventStream) {
    let profile = Profile::new(base, Some(dir), SecretStoreKind::File).expect("profile");
    let api = ApiClient::new(base, ApiConfig::default()).expect("api");
    let session = profile
        .sessions()
        .login(&api, &who.email, PASSWORD)
        .await
        .expect("session");
    let (client, mut events) = Client::start(&profile, &session, ClientConfig::default())
        .await
        .expect("client");
    assert!(
        client.wait_online(Duration::from_secs(20)).await,
        "core not online"
    );
    client.synced().await;
    while events.try_recv().is_ok() {}
    (client, events)
}

/// Two cores: A sends, B's stream announces. Answers (to B, A's echo, `send()` returned) in µs.
async fn core_row(base: &str, dir: &Path, o: &Opts) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let api = ApiClient::new(base, ApiConfig::default()).expect("api");
    let (ua, ub, conv) = pair(&api, "core").await;
    let (a, mut a_events) = start_core(base, dir.join("core-a"), &ua).await;
    let (b, mut b_events) = start_core(base, dir.join("core-b"), &ub).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    while a_events.try_recv().is_ok() {}
    while b_events.try_recv().is_ok() {}

    let (mut to_b, mut echo, mut send_ret) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..o.warmup + o.samples {
        let text = format!("lat-{i}");
        let t0 = Instant::now();
        a.send(conv, &text).await.expect("send");
        let returned = Instant::now();
        let (got, sent) = tokio::join!(
            until(&mut b_events, "MessageAdded on B", |e| matches!(
                e,
                Event::MessageAdded { message, .. } if message.content == text
            )),
            until(&mut a_events, "Outbox Sent on A", |e| matches!(
                e,
                Event::Outbox { item } if item.content == text && item.state == OutboxState::Sent
            )),
        );
        if i >= o.warmup {
            to_b.push(us(got - t0));
            echo.push(us(sent - t0));
            send_ret.push(us(returned - t0));
        }
    }
    a.shutdown().await;
    b.shutdown().await;
    (to_b, echo, send_ret)
}

/// Events of a bare rust_socketio client: name, arguments, arrival.
type RawEvents = mpsc::UnboundedReceiver<(String, Vec<Value>, Instant)>;

/// One bare rust_socketio client; every event goes to the channel with the time it arrived.
async fn raw_client(base: &str, who: &User) -> (rust_socketio::asynchronous::Client, RawEvents) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let on_connect = tx.clone();
    let client = ClientBuilder::new(base)
        .auth(json!({ "token": who.token }))
        .reconnect(false)
        .on(rust_socketio::Event::Connect, move |_, _| {
            let _ = on_connect.send(("connect".to_owned(), Vec::new(), Instant::now()));
            async {}.boxed()
        })
        .on_any(move |e, p, _| {
            let at = Instant::now();
            let args = match p {
                Payload::Text(v) => v,
                _ => Vec::new(),
            };
            let _ = tx.send((e.as_str().to_owned(), args, at));
            async {}.boxed()
        })
        .connect()
        .await
        .expect("rust_socketio connect");
    raw_next(&mut rx, "connect").await;
    client
        .emit("register", json!({ "userId": who.id }))
        .await
        .expect("register");
    raw_next(&mut rx, "registered").await;
    (client, rx)
}

/// Waits for the next event named `name`, dropping the others.
async fn raw_next(rx: &mut RawEvents, name: &str) {
    tokio::time::timeout(PATIENCE, async {
        while let Some((n, _, _)) = rx.recv().await {
            if n == name {
                return;
            }
        }
        panic!("rust_socketio channel closed");
    })
    .await
    .unwrap_or_else(|_| panic!("no {name} within {PATIENCE:?}"));
}

async fn raw_until(rx: &mut RawEvents, event: &str, text: &str) -> Instant {
    tokio::time::timeout(PATIENCE, async {
        while let Some((n, args, at)) = rx.recv().await {
            if n == event && args.first().and_then(|m| m["content"].as_str()) == Some(text) {
                return at;
            }
        }
        panic!("rust_socketio channel closed");
    })
    .await
    .unwrap_or_else(|_| panic!("no {event} for {text}"))
}

/// Two bare rust_socketio clients. Answers (to B, A's `messageSent`) in µs.
async fn raw_row(base: &str, o: &Opts) -> (Vec<f64>, Vec<f64>) {
    let api = ApiClient::new(base, ApiConfig::default()).expect("api");
    let (ua, ub, conv) = pair(&api, "raw").await;
    let (a, mut a_rx) = raw_client(base, &ua).await;
    let (b, mut b_rx) = raw_client(base, &ub).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (mut to_b, mut echo) = (Vec::new(), Vec::new());
    for i in 0..o.warmup + o.samples {
        let text = format!("raw-{i}");
        let t0 = Instant::now();
        a.emit(
            "sendMessage",
            json!({
                "conversationId": conv,
                "senderId": ua.id,
                "content": text,
                "type": "TEXT",
                "clientId": format!("00000000-0000-4000-8000-{i:012}"),
            }),
        )
        .await
        .expect("emit");
        let (got, sent) = tokio::join!(
            raw_until(&mut b_rx, "newMessage", &text),
            raw_until(&mut a_rx, "messageSent", &text),
        );
        if i >= o.warmup {
            to_b.push(us(got - t0));
            echo.push(us(sent - t0));
        }
    }
    let _ = a.disconnect().await;
    let _ = b.disconnect().await;
    (to_b, echo)
}

/// The Node rows, or why there are none.
async fn node_rows(base: &str, o: &Opts) -> Result<Vec<Row>, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("benches/latency.mjs");
    let modules = root.join("../server/tests/node/node_modules/socket.io-client");
    if !modules.exists() {
        return Err(
            "socket.io-client is not installed: run `npm ci --prefix server/tests/node`".into(),
        );
    }
    let api = ApiClient::new(base, ApiConfig::default()).expect("api");
    let (ua, ub, conv) = pair(&api, "node").await;
    let world = json!({
        "base": base,
        "a": {"id": ua.id, "token": ua.token},
        "b": {"id": ub.id, "token": ub.token},
        "conversationId": conv,
        "samples": o.samples,
        "warmup": o.warmup,
    });
    let out = tokio::process::Command::new("node")
        .arg(&script)
        .arg(world.to_string())
        .output()
        .await
        .map_err(|e| format!("node did not start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "node failed ({})\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let answer: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "node printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })?;
    let floats = |v: &Value| -> Vec<f64> {
        v.as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    Ok(answer["modes"]
        .as_array()
        .map(|modes| {
            modes
                .iter()
                .map(|m| {
                    Row::new(
                        &format!("node→node ({})", m["mode"].as_str().unwrap_or("?")),
                        &floats(&m["samplesUs"]),
                        &floats(&m["echoUs"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default())
}

fn print_rows(rows: &[Row]) {
    println!(
        "{:<40} {:>8} {:>8} {:>8} {:>8} {:>12}",
        "send → other side's event", "p50 ms", "p90 ms", "p99 ms", "max ms", "echo p50 ms"
    );
    for r in rows {
        let echo = r
            .echo_p50
            .map(|e| format!("{e:.3}"))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<40} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>12}",
            r.name, r.p50, r.p90, r.p99, r.max, echo
        );
    }
}

fn main() {
    let o = opts();
    let dir = tempfile::tempdir().expect("temp dir");
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("server")
        .enable_all()
        .build()
        .expect("server runtime");
    let clients_rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("clients")
        .enable_all()
        .build()
        .expect("clients runtime");
    let (base, stop, task) = server_rt.block_on(start_server(&dir.path().join("server.db")));
    println!(
        "latency: closed loop, one message at a time, {} samples after {} warm-up per row; \
         server in-process on its own runtime, {base}",
        o.samples, o.warmup
    );

    let rows = clients_rt.block_on(async {
        let mut rows = Vec::new();
        let (to_b, echo, send_ret) = core_row(&base, dir.path(), &o).await;
        rows.push(Row::new("core→core", &to_b, &echo));
        let core_send = Row::new("", &send_ret, &[]);
        let mut notes = vec![format!(
            "core: Client::send returned after p50 {:.3} ms, p99 {:.3} ms (outbox row written)",
            core_send.p50, core_send.p99
        )];
        if o.node {
            match node_rows(&base, &o).await {
                Ok(r) => rows.extend(r),
                Err(e) => notes.push(format!("node rows skipped: {e}")),
            }
        }
        if o.raw {
            let (to_b, echo) = raw_row(&base, &o).await;
            rows.push(Row::new(
                "rust_socketio→rust_socketio (no core)",
                &to_b,
                &echo,
            ));
        }
        (rows, notes)
    });
    let (rows, notes) = rows;
    print_rows(&rows);
    for n in &notes {
        println!("{n}");
    }
    let core = &rows[0];
    for r in rows.iter().skip(1).filter(|r| r.name.starts_with("node")) {
        println!(
            "core/{}: p50 ×{:.2}, p99 ×{:.2}",
            r.name,
            core.p50 / r.p50,
            core.p99 / r.p99
        );
    }
    println!(
        "goal core→core p50 < 1 ms: {}",
        if core.p50 < 1.0 { "met" } else { "NOT met" }
    );

    let _ = stop.send(());
    server_rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
    });
}
