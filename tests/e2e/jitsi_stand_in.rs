//! A stand-in for a clinic's Jitsi on loopback. The real Jitsi stack (prosody, jicofo, the
//! videobridge) cannot run here, and this webview has no WebRTC anyway: what the app's side is
//! responsible for is checked instead — which script the call window loads, what it asks the
//! IFrame API for (room, display name, token, options), and that the meeting's `readyToClose`
//! ends the call. Its `external_api.js` records the constructor's arguments, reports joining,
//! and fires `readyToClose` when the test says so; it also tries to load a script from another
//! origin, which the call window's policy must block (that origin records any request).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the stand-in saw.
#[derive(Default)]
struct Seen {
    asked: Vec<serde_json::Value>,
    /// Requests the other origin got.
    foreign: Vec<String>,
}

/// The running stand-in and the other origin.
pub struct StandIn {
    pub port: u16,
    seen: Arc<Mutex<Seen>>,
    close: Arc<AtomicBool>,
}

/// The stub of Jitsi's IFrame API.
fn external_api(port: u16, other: u16) -> String {
    format!(
        r#"window.JitsiMeetExternalAPI = function (domain, options) {{
  const base = "http://127.0.0.1:{port}";
  const listeners = {{}};
  this.addListener = (name, f) => {{ listeners[name] = f; }};
  this.executeCommand = () => {{}};
  this.dispose = () => {{}};
  fetch(base + "/asked", {{ method: "POST", body: JSON.stringify({{
    domain: domain,
    roomName: options.roomName,
    jwt: options.jwt || null,
    displayName: options.userInfo ? options.userInfo.displayName : null,
    prejoin: options.configOverwrite && options.configOverwrite.prejoinConfig ? options.configOverwrite.prejoinConfig.enabled : null,
    hasParent: !!options.parentNode
  }}) }});
  const foreign = document.createElement("script");
  foreign.src = "http://127.0.0.1:{other}/foreign.js";
  document.head.appendChild(foreign);
  setTimeout(() => listeners.videoConferenceJoined && listeners.videoConferenceJoined({{}}), 50);
  const poll = setInterval(() => {{
    fetch(base + "/close").then((r) => r.text()).then((t) => {{
      if (t === "yes") {{ clearInterval(poll); listeners.readyToClose && listeners.readyToClose(); }}
    }});
  }}, 200);
}};
"#
    )
}

fn respond(stream: &mut TcpStream, status: &str, kind: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Reads one request: method, path, body.
fn read_request(stream: &TcpStream) -> Option<(String, String, String)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, path, String::from_utf8_lossy(&body).into_owned()))
}

impl StandIn {
    /// Serves the stand-in and the other origin on loopback.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let other = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let other_port = other.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let close = Arc::new(AtomicBool::new(false));
        {
            let seen = seen.clone();
            std::thread::spawn(move || {
                for mut stream in other.incoming().flatten() {
                    if let Some((_, path, _)) = read_request(&stream) {
                        seen.lock().unwrap().foreign.push(path);
                    }
                    respond(
                        &mut stream,
                        "200 OK",
                        "text/javascript",
                        "window.foreign = 1;",
                    );
                }
            });
        }
        {
            let (seen, close) = (seen.clone(), close.clone());
            let script = external_api(port, other_port);
            std::thread::spawn(move || {
                for mut stream in listener.incoming().flatten() {
                    let Some((method, path, body)) = read_request(&stream) else {
                        continue;
                    };
                    match (method.as_str(), path.as_str()) {
                        ("GET", "/external_api.js") => {
                            respond(&mut stream, "200 OK", "text/javascript", &script)
                        }
                        ("POST", "/asked") => {
                            if let Ok(v) = serde_json::from_str(&body) {
                                seen.lock().unwrap().asked.push(v);
                            }
                            respond(&mut stream, "204 No Content", "text/plain", "");
                        }
                        ("GET", "/close") => {
                            let yes = if close.load(Ordering::SeqCst) {
                                "yes"
                            } else {
                                "no"
                            };
                            respond(&mut stream, "200 OK", "text/plain", yes)
                        }
                        _ => respond(&mut stream, "404 Not Found", "text/plain", ""),
                    }
                }
            });
        }
        Self { port, seen, close }
    }

    /// The base URL to give the server as `--jitsi-url`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits for the IFrame API to be asked for a meeting; answers what it was asked.
    pub fn asked(&self) -> serde_json::Value {
        let deadline = Instant::now() + super::driver::WAIT;
        loop {
            if let Some(v) = self.seen.lock().unwrap().asked.first() {
                return v.clone();
            }
            assert!(
                Instant::now() < deadline,
                "the call window never asked for a meeting"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the other origin was asked for (the policy must keep this empty).
    pub fn foreign_requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().foreign.clone()
    }

    /// The meeting closes (as Jitsi's own hang-up does): `readyToClose`.
    pub fn close_meeting(&self) {
        self.close.store(true, Ordering::SeqCst);
    }
}
