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
//! - `… typing first` rows: a keystroke (`typing` on) before the clock starts, so `send` emits
//!   `typing` off and then `sendMessage`, two small frames back to back, as after real typing.
//!   rust_engineio 0.6 leaves Nagle on (see README), so the second frame can wait for the
//!   server's delayed ACK of the first.
//! - `node→node`: `benches/latency.mjs` with the official `socket.io-client` (installed under
//!   `server/tests/node/node_modules` by `npm ci --prefix server/tests/node`), WebSocket only and
//!   (also typing first) and with the default polling → WebSocket upgrade. Timed from `emit("sendMessage")` on A to B's
//!   `newMessage`; `echo` is A's `messageSent`.
//! - `rust_socketio` (a diagnostic): two bare rust_socketio 0.6 clients, the library the core
//!   uses, without the core around them (also typing first). Timed from `emit` to B's
//!   `newMessage` callback.
//!
//! `CPU ms/msg` is this process's CPU time (server and both clients, where both run here) per
//! message of the row.
//!
//! Then, unless `--no-breakdown`, where the core's time goes: a second core pass with a bare
//! rust_socketio socket of B's user beside B's core (the server's `newMessage` reaches both at
//! once), splitting each sample into A's `send`, A's outbox task + emit + server, and B's
//! engine + cache write; and the cache calls of the path timed on a fresh cache.
//!
//! Arguments: a number sets the samples per row (after `--warmup` warm-up messages, 200 by
//! default); `--no-node`, `--no-raw`, `--no-breakdown` and `--no-typed` skip parts (the typed
//! rows take ~45 ms a message, minutes at the default count); other flags (cargo's `--bench`)
//! are ignored. Not run in CI.

use futures_util::FutureExt;
use nursecare_core::api::{ApiClient, ApiConfig};
use nursecare_core::cache::{Cache, CacheKey, OutboxState};
use nursecare_core::secrets::SecretStoreKind;
use nursecare_core::{Client, ClientConfig, Event, EventStream, Profile};
use nursecare_server::store::sqlite::SqliteStore;
use nursecare_server::{Server, Settings, SocketTimings};
use nursecare_wire::rest::RegisterRequest;
use nursecare_wire::{Conversation, Message, Role};
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
    breakdown: bool,
    typed: bool,
}

fn opts() -> Opts {
    let mut o = Opts {
        samples: 2_000,
        warmup: 200,
        node: true,
        raw: true,
        breakdown: true,
        typed: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--warmup" => {
                o.warmup = args.next().and_then(|s| s.parse().ok()).unwrap_or(o.warmup);
            }
            "--no-node" => o.node = false,
            "--no-raw" => o.raw = false,
            "--no-breakdown" => o.breakdown = false,
            "--no-typed" => o.typed = false,
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
    /// CPU time of this process (server and clients) per message, in ms, where measured.
    cpu: Option<f64>,
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
            cpu: None,
        }
    }

    fn with_cpu(mut self, cpu: Option<f64>) -> Self {
        self.cpu = cpu;
        self
    }
}

/// CPU time (user and system, every thread) this process has used, in ms; Linux only.
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command's closing parenthesis: state is field 3, utime 14, stime 15.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    // USER_HZ is 100 on Linux.
    Some((utime + stime) * 10.0)
}

/// CPU ms per message between two `cpu_ms` readings.
fn per_message(before: Option<f64>, after: Option<f64>, messages: usize) -> Option<f64> {
    Some((after? - before?) / messages as f64)
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

/// What the core row measured, in µs per sample.
struct CoreRun {
    /// CPU ms per message of the first pass (server and both cores).
    cpu: Option<f64>,
    to_b: Vec<f64>,
    echo: Vec<f64>,
    send_returned: Vec<f64>,
    /// The second pass, with an observer socket of B's user: (send() returned, the server's
    /// newMessage at the observer, B's MessageAdded), each from the start of `send`.
    marks: Vec<[f64; 3]>,
    /// The third pass: a keystroke before each `send`; B's MessageAdded in µs.
    typed: Vec<f64>,
    /// The conversation and one of its messages, for the cache timings.
    conversation: Conversation,
    message: Message,
    /// B, the recipient (the message is A's).
    b_id: i64,
}

/// How a core pass sends.
enum Pass<'a> {
    /// Just `send`.
    Clean,
    /// With a bare socket of B's user watching for the server's `newMessage`.
    Observed(&'a mut RawEvents),
    /// A keystroke before each `send` (before the clock starts): `send` then emits `typing`
    /// off just before the outbox emits `sendMessage`, two small frames back to back.
    Typed,
}

/// One closed-loop pass between two cores. Per sample, µs from the start of `send`: B's
/// MessageAdded, A's row `Sent`, `send` returned, the observer's `newMessage` (or NaN).
async fn core_pass(
    o: &Opts,
    conv: i64,
    a: &Client,
    a_events: &mut EventStream,
    b_events: &mut EventStream,
    mut pass: Pass<'_>,
) -> Vec<[f64; 4]> {
    let tag = match pass {
        Pass::Clean => "clean",
        Pass::Observed(_) => "observed",
        Pass::Typed => "typed",
    };
    let mut out = Vec::new();
    for i in 0..o.warmup + o.samples {
        let text = format!("lat-{tag}-{i}");
        if matches!(pass, Pass::Typed) {
            a.keystroke(conv).await;
        }
        let t0 = Instant::now();
        a.send(conv, &text).await.expect("send");
        let returned = Instant::now();
        let on_wire = async {
            match &mut pass {
                Pass::Observed(rx) => Some(raw_until(rx, "newMessage", &text).await),
                _ => None,
            }
        };
        let (got, sent, wire) = tokio::join!(
            until(b_events, "MessageAdded on B", |e| matches!(
                e,
                Event::MessageAdded { message, .. } if message.content == text
            )),
            until(a_events, "Outbox Sent on A", |e| matches!(
                e,
                Event::Outbox { item } if item.content == text && item.state == OutboxState::Sent
            )),
            on_wire,
        );
        if i >= o.warmup {
            out.push([
                us(got - t0),
                us(sent - t0),
                us(returned - t0),
                wire.map_or(f64::NAN, |w| us(w.saturating_duration_since(t0))),
            ]);
        }
    }
    out
}

/// Two cores: A sends, B's stream announces. A second pass adds a bare rust_socketio socket
/// of B's user beside B's core, to see when the server's `newMessage` reaches B's machine.
async fn core_row(base: &str, dir: &Path, o: &Opts) -> CoreRun {
    let api = ApiClient::new(base, ApiConfig::default()).expect("api");
    let (ua, ub, conv) = pair(&api, "core").await;
    let (a, mut a_events) = start_core(base, dir.join("core-a"), &ua).await;
    let (b, mut b_events) = start_core(base, dir.join("core-b"), &ub).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    while a_events.try_recv().is_ok() {}
    while b_events.try_recv().is_ok() {}

    let cpu = cpu_ms();
    let clean = core_pass(o, conv, &a, &mut a_events, &mut b_events, Pass::Clean).await;
    let cpu = per_message(cpu, cpu_ms(), o.warmup + o.samples);
    let marks = if o.breakdown {
        let (observer, mut obs_rx) = raw_client(base, &ub).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let got = core_pass(
            o,
            conv,
            &a,
            &mut a_events,
            &mut b_events,
            Pass::Observed(&mut obs_rx),
        )
        .await;
        let _ = observer.disconnect().await;
        got.iter().map(|s| [s[2], s[3], s[0]]).collect()
    } else {
        Vec::new()
    };
    let typed = if o.typed {
        core_pass(o, conv, &a, &mut a_events, &mut b_events, Pass::Typed)
            .await
            .iter()
            .map(|s| s[0])
            .collect()
    } else {
        Vec::new()
    };
    a.shutdown().await;
    b.shutdown().await;
    let conversation = ua
        .api
        .create_conversation(ub.id, None)
        .await
        .expect("conversation");
    let message = ua
        .api
        .messages(conv, 1, 0)
        .await
        .expect("messages")
        .pop()
        .expect("a message");
    CoreRun {
        cpu,
        to_b: clean.iter().map(|s| s[0]).collect(),
        echo: clean.iter().map(|s| s[1]).collect(),
        send_returned: clean.iter().map(|s| s[2]).collect(),
        marks,
        typed,
        conversation,
        message,
        b_id: ub.id,
    }
}

/// Times the cache calls on the core's path, on a fresh cache of this process's thread (the
/// core runs them on its cache thread): µs per call, by name, in path order.
fn cache_ops(
    dir: &Path,
    conv: &Conversation,
    template: &Message,
    b_id: i64,
    o: &Opts,
) -> Vec<(&'static str, Vec<f64>)> {
    let a_id = template.sender_id;
    let mut cache = Cache::open(&dir.join("ops/cache.db"), &CacheKey::generate()).expect("cache");
    cache
        .put_conversations(std::slice::from_ref(conv))
        .expect("conversation");
    let names = [
        "A outbox_add (Client::send)",
        "A outbox_next",
        "A outbox_attempt",
        "B put_messages (1 message)",
        "B conversation_summary",
        "B unread_counts",
        "A outbox_confirm (echo)",
        "A conversation_summary",
        "A outbox_item",
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut timed = |k: usize, keep: bool, f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        if keep {
            times[k].push(us(t.elapsed()));
        }
    };
    for i in 0..o.warmup + o.samples {
        let keep = i >= o.warmup;
        let client_id = format!("00000000-0000-4000-8000-{i:012}");
        let text = format!("ops-{i}");
        let id = 10_000_000 + 2 * i as i64;
        let mut local = 0;
        timed(0, keep, &mut || {
            local = cache
                .outbox_add(conv.id, &text, &client_id)
                .expect("add")
                .local_id;
        });
        timed(1, keep, &mut || {
            cache.outbox_next().expect("next");
        });
        timed(2, keep, &mut || {
            cache.outbox_attempt(local).expect("attempt")
        });
        let mut incoming = template.clone();
        incoming.id = id;
        incoming.content = text.clone();
        incoming.client_id = None;
        timed(3, keep, &mut || {
            cache
                .put_messages(std::slice::from_ref(&incoming))
                .expect("put");
        });
        timed(4, keep, &mut || {
            cache.conversation_summary(conv.id, b_id).expect("summary");
        });
        timed(5, keep, &mut || {
            cache.unread_counts(b_id).expect("unread");
        });
        let mut echo = template.clone();
        echo.id = id + 1;
        echo.content = text.clone();
        timed(6, keep, &mut || {
            cache.outbox_confirm(&client_id, &echo).expect("confirm");
        });
        timed(7, keep, &mut || {
            cache.conversation_summary(conv.id, a_id).expect("summary");
        });
        timed(8, keep, &mut || {
            cache.outbox_item(&client_id).expect("item");
        });
    }
    names.into_iter().zip(times).collect()
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

/// Two bare rust_socketio clients, plain and then with `typing` frames around each send (as
/// the core's typed pass). Answers a row for each.
async fn raw_rows(base: &str, o: &Opts) -> Vec<Row> {
    let api = ApiClient::new(base, ApiConfig::default()).expect("api");
    let (ua, ub, conv) = pair(&api, "raw").await;
    let (a, mut a_rx) = raw_client(base, &ua).await;
    let (b, mut b_rx) = raw_client(base, &ub).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let typing = |on: bool| json!({ "conversationId": conv, "userId": ua.id, "isTyping": on });
    let mut rows = Vec::new();
    for typed in [false, true].into_iter().filter(|t| !t || o.typed) {
        let (mut to_b, mut echo) = (Vec::new(), Vec::new());
        let cpu = cpu_ms();
        for i in 0..o.warmup + o.samples {
            let text = format!("raw-{typed}-{i}");
            if typed {
                a.emit("typing", typing(true)).await.expect("emit");
            }
            let t0 = Instant::now();
            if typed {
                a.emit("typing", typing(false)).await.expect("emit");
            }
            a.emit(
                "sendMessage",
                json!({
                    "conversationId": conv,
                    "senderId": ua.id,
                    "content": text,
                    "type": "TEXT",
                    "clientId": format!("00000000-0000-4000-{:04}-{i:012}", 8000 + typed as u16),
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
        let cpu = per_message(cpu, cpu_ms(), o.warmup + o.samples);
        let name = if typed {
            "rust_socketio (no core), typing first"
        } else {
            "rust_socketio→rust_socketio (no core)"
        };
        // Typed, the loop mostly waits on the ACK timer: CPU per message says nothing there.
        rows.push(Row::new(name, &to_b, &echo).with_cpu(cpu.filter(|_| !typed)));
    }
    let _ = a.disconnect().await;
    let _ = b.disconnect().await;
    rows
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
        "typed": o.typed,
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
            "node printed no JSON ({e}): {}…",
            String::from_utf8_lossy(&out.stdout)
                .chars()
                .take(200)
                .collect::<String>()
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
        "{:<40} {:>8} {:>8} {:>8} {:>8} {:>12} {:>11}",
        "send → other side's event",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "echo p50 ms",
        "CPU ms/msg"
    );
    let or_dash = |v: Option<f64>| v.map(|e| format!("{e:.3}")).unwrap_or_else(|| "-".into());
    for r in rows {
        println!(
            "{:<40} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>12} {:>11}",
            r.name,
            r.p50,
            r.p90,
            r.p99,
            r.max,
            or_dash(r.echo_p50),
            or_dash(r.cpu)
        );
    }
    println!(
        "(echo: until the sender's own confirmation; CPU: this process, server and clients, per \
         message, where both ends run in it)"
    );
}

/// Where a core→core message spends its time: segment by segment, p50 and p99 of each.
fn print_breakdown(core: &CoreRun) {
    let returned = sorted_ms(&core.send_returned);
    println!(
        "\ncore: Client::send returned after p50 {:.3} ms, p99 {:.3} ms (first pass)",
        pct(&returned, 0.5),
        pct(&returned, 0.99)
    );
    if core.marks.is_empty() {
        return;
    }
    let seg =
        |f: &dyn Fn(&[f64; 3]) -> f64| sorted_ms(&core.marks.iter().map(f).collect::<Vec<_>>());
    let parts = [
        ("A: Client::send (outbox row written)", seg(&|m| m[0])),
        (
            "A: outbox task, emit, server → B's link",
            seg(&|m| m[1] - m[0]),
        ),
        (
            "B: link → engine, cache → MessageAdded",
            seg(&|m| m[2] - m[1]),
        ),
        ("total (second pass)", seg(&|m| m[2])),
    ];
    println!(
        "core→core breakdown (second pass; a bare rust_socketio socket of B's user beside B's \
         core marks when the server's newMessage reaches B's machine)"
    );
    println!("{:<40} {:>8} {:>8}", "", "p50 ms", "p99 ms");
    for (name, v) in parts {
        println!("{name:<40} {:>8.3} {:>8.3}", pct(&v, 0.5), pct(&v, 0.99));
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

    let (rows, core) = clients_rt.block_on(async {
        let mut rows = Vec::new();
        let core = core_row(&base, dir.path(), &o).await;
        rows.push(Row::new("core→core", &core.to_b, &core.echo).with_cpu(core.cpu));
        if o.typed {
            rows.push(Row::new("core→core, typing first", &core.typed, &[]));
        }
        if o.node {
            match node_rows(&base, &o).await {
                Ok(r) => rows.extend(r),
                Err(e) => println!("node rows skipped: {e}"),
            }
        }
        if o.raw {
            rows.extend(raw_rows(&base, &o).await);
        }
        (rows, core)
    });
    print_rows(&rows);
    let c = &rows[0];
    for r in rows.iter().filter(|r| r.name.starts_with("node")) {
        let typed = r.name.contains("typing first");
        let Some(core) = rows
            .iter()
            .find(|c| c.name.starts_with("core") && c.name.contains("typing first") == typed)
        else {
            continue;
        };
        println!(
            "{} / {}: p50 ×{:.2}, p99 ×{:.2}",
            core.name,
            r.name,
            core.p50 / r.p50,
            core.p99 / r.p99
        );
    }
    println!(
        "goal core→core p50 < 1 ms: {}",
        if c.p50 < 1.0 { "met" } else { "NOT met" }
    );

    if o.breakdown {
        print_breakdown(&core);
        let ops = cache_ops(dir.path(), &core.conversation, &core.message, core.b_id, &o);
        println!(
            "\ncache calls on the core's path, on a fresh cache (SQLCipher, WAL, synchronous=NORMAL), \
             {} calls each",
            o.samples
        );
        println!("{:<40} {:>8} {:>8} {:>8}", "", "p50 µs", "p99 µs", "max µs");
        for (name, t) in ops {
            let v = sorted_ms(&t);
            println!(
                "{name:<40} {:>8.1} {:>8.1} {:>8.1}",
                pct(&v, 0.5) * 1000.0,
                pct(&v, 0.99) * 1000.0,
                v.last().copied().unwrap_or(f64::NAN) * 1000.0
            );
        }
    }

    let _ = stop.send(());
    server_rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
    });
}
