//! Socket fan-out benchmark: N clients in pairs send to each other through a real server on
//! loopback, each sender in a closed loop (the next message goes when `messageSent` comes back).
//! Reports delivered messages per second and send → receive latency (p50/p99) per N.
//!
//!     cargo bench -p nursecare-server --bench fanout                 # N = 100, 1000, 5000
//!     cargo bench -p nursecare-server --bench fanout -- 100 --secs 5
//!
//! The clients speak Engine.IO v4 / Socket.IO v5 over raw WebSockets (tokio-tungstenite) rather
//! than rust_socketio, so the figures measure the server, not a client library. Server and
//! clients share this process and the machine's cores. Users and conversations are inserted
//! through the store and tokens minted with the server's secret, instead of logging thousands
//! of users in. Not run in CI.

use futures_util::{SinkExt, StreamExt};
use nursecare_server::store::sqlite::SqliteStore;
use nursecare_server::store::{NewUser, Store};
use nursecare_server::{Server, Settings, SocketTimings};
use nursecare_wire::{Role, Timestamp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Barrier, Semaphore};
use tokio_tungstenite::tungstenite::Message as Ws;

const SECRET: &[u8] = b"bench-secret-of-sufficient-length";

struct Opts {
    sizes: Vec<usize>,
    secs: u64,
}

fn opts() -> Opts {
    let mut sizes = Vec::new();
    let mut secs = 10;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--secs" => secs = args.next().and_then(|s| s.parse().ok()).unwrap_or(secs),
            "--bench" => {}
            other => {
                if let Ok(n) = other.parse() {
                    sizes.push(n);
                }
            }
        }
    }
    if sizes.is_empty() {
        sizes = vec![100, 1000, 5000];
    }
    Opts { sizes, secs }
}

/// Lets this process open enough sockets for both ends of every connection.
fn raise_open_files() {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

#[tokio::main]
async fn main() {
    raise_open_files();
    let o = opts();
    println!(
        "fanout: closed-loop senders, {} s per run, server and clients in one process",
        o.secs
    );
    println!(
        "{:>6} {:>12} {:>14} {:>10} {:>10} {:>10}",
        "N", "connect s", "delivered/s", "p50 ms", "p99 ms", "max ms"
    );
    for n in o.sizes {
        let r = run(n & !1, o.secs).await;
        println!(
            "{:>6} {:>12.2} {:>14.0} {:>10.2} {:>10.2} {:>10.2}",
            n & !1,
            r.connect_secs,
            r.delivered as f64 / r.secs,
            r.p(0.50),
            r.p(0.99),
            r.p(1.0)
        );
    }
}

struct Report {
    connect_secs: f64,
    delivered: usize,
    secs: f64,
    latencies_us: Vec<u64>,
}

impl Report {
    fn p(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

async fn run(n: usize, secs: u64) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("bench.db")).unwrap();
    let now = Timestamp::now();
    let mut users = Vec::with_capacity(n);
    for i in 0..n {
        let u = store
            .create_user(NewUser {
                email: format!("u{i}@bench.test"),
                name: None,
                role: if i % 2 == 0 {
                    Role::Nurse
                } else {
                    Role::Patient
                },
                password_hash: "unused".into(),
            })
            .await
            .unwrap();
        users.push(u.id);
    }
    let mut convs = Vec::with_capacity(n / 2);
    for pair in users.chunks(2) {
        let (c, _) = store
            .get_or_create_conversation(pair[0], pair[1], None, now)
            .await
            .unwrap();
        convs.push(c.id);
    }
    let server = Server::new(
        Arc::new(store),
        SECRET,
        unthrottled(),
        SocketTimings::default(),
    );
    let state = server.state().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serve = tokio::spawn(server.run(listener, async {
        let _ = stop_rx.await;
    }));

    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let iat = chrono::Utc::now().timestamp();
    let origin = Instant::now();
    let connected = Arc::new(Barrier::new(n + 1));
    let go = Arc::new(Barrier::new(n + 1));
    let dialing = Arc::new(Semaphore::new(256));
    let deadline = Arc::new(std::sync::OnceLock::<Instant>::new());
    let mut tasks = Vec::with_capacity(n);
    for (i, &user) in users.iter().enumerate() {
        let token = state
            .keys
            .issue(user, &format!("u{i}@bench.test"), Role::Nurse, iat)
            .unwrap();
        let (url, conv) = (url.clone(), convs[i / 2]);
        let (connected, go, dialing, deadline) = (
            connected.clone(),
            go.clone(),
            dialing.clone(),
            deadline.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let permit = dialing.acquire().await.unwrap();
            let mut ws = handshake(&url, &token, user).await;
            drop(permit);
            connected.wait().await;
            go.wait().await;
            let end = *deadline.get().unwrap();
            let mut latencies = Vec::new();
            let mut delivered = 0usize;
            let send = |ws_msg: &mut Vec<Ws>| {
                let stamp = origin.elapsed().as_micros();
                ws_msg.push(Ws::text(format!(
                    "42[\"sendMessage\",{{\"conversationId\":{conv},\"content\":\"{stamp}\"}}]"
                )));
            };
            let mut out = Vec::new();
            send(&mut out);
            loop {
                for m in out.drain(..) {
                    if ws.send(m).await.is_err() {
                        return (latencies, delivered);
                    }
                }
                let next = tokio::time::timeout_at(end.into(), ws.next()).await;
                let Ok(Some(Ok(Ws::Text(frame)))) = next else {
                    if matches!(next, Ok(Some(Ok(_)))) {
                        continue;
                    }
                    break;
                };
                let frame = frame.as_str();
                if frame == "2" {
                    out.push(Ws::text("3"));
                    continue;
                }
                let Some(body) = frame.strip_prefix("42") else {
                    continue;
                };
                let Ok(Value::Array(parts)) = serde_json::from_str::<Value>(body) else {
                    continue;
                };
                match parts.first().and_then(Value::as_str) {
                    Some("newMessage") if parts[1]["senderId"] != user => {
                        if let Some(sent) = parts[1]["content"]
                            .as_str()
                            .and_then(|s| s.parse::<u128>().ok())
                        {
                            latencies.push((origin.elapsed().as_micros() - sent) as u64);
                            delivered += 1;
                        }
                    }
                    Some("messageSent") => send(&mut out),
                    _ => {}
                }
            }
            let _ = ws.close(None).await;
            (latencies, delivered)
        }));
    }
    let t0 = Instant::now();
    connected.wait().await;
    let connect_secs = t0.elapsed().as_secs_f64();
    let start = Instant::now();
    deadline.set(start + Duration::from_secs(secs)).unwrap();
    go.wait().await;
    let mut latencies_us = Vec::new();
    let mut delivered = 0;
    for t in tasks {
        let (l, d) = t.await.unwrap();
        latencies_us.extend(l);
        delivered += d;
    }
    let elapsed = start.elapsed().as_secs_f64().min(secs as f64);
    latencies_us.sort_unstable();
    let _ = stop_tx.send(());
    let _ = serve.await;
    Report {
        connect_secs,
        delivered,
        secs: elapsed,
        latencies_us,
    }
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Engine.IO open, Socket.IO CONNECT with the token, `register`, and the `registered` reply.
async fn handshake(url: &str, token: &str, user: i64) -> WsStream {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket");
    let open = next_text(&mut ws).await;
    assert!(open.starts_with('0'), "engine.io open: {open}");
    ws.send(Ws::text(format!("40{}", json!({"token": token}))))
        .await
        .unwrap();
    let connect = next_text(&mut ws).await;
    assert!(connect.starts_with("40"), "socket.io connect: {connect}");
    ws.send(Ws::text(format!(
        "42[\"register\",{}]",
        json!({"userId": user})
    )))
    .await
    .unwrap();
    loop {
        if next_text(&mut ws).await.starts_with("42[\"registered\"") {
            return ws;
        }
    }
}

/// The next text frame that is not an Engine.IO ping (pings are answered on the way).
async fn next_text(ws: &mut WsStream) -> String {
    loop {
        match ws.next().await {
            Some(Ok(Ws::Text(t))) if t.as_str() == "2" => ws.send(Ws::text("3")).await.unwrap(),
            Some(Ok(Ws::Text(t))) => return t.as_str().to_owned(),
            Some(Ok(_)) => continue,
            other => panic!("connection ended during handshake: {other:?}"),
        }
    }
}

/// Every client here shares one address and sends as fast as it is answered: the caps on
/// connections per address and on each socket's event rate are lifted, so the figures measure
/// fan-out, not those limits.
fn unthrottled() -> Settings {
    use nursecare_server::realtime::rate::{Rate, SocketRates};
    let unlimited = Rate {
        burst: u32::MAX,
        per_sec: f64::MAX,
    };
    Settings {
        connections: nursecare_server::connections::Limits {
            max_connections: usize::MAX,
            max_per_address: usize::MAX,
            ..Default::default()
        },
        socket_rates: SocketRates {
            typing: unlimited,
            events: unlimited,
        },
        ..Settings::default()
    }
}
