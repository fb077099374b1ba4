//! What attacking the server found (issue 16), each with the check that failed before its fix.

use crate::util::*;
use nursecare_server::Settings;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A WebSocket upgrade to Socket.io as a browser page of `origin` would send it: the status
/// the server answers (101 when the socket opened).
async fn upgrade_status(s: &TestServer, origin: Option<&str>) -> u16 {
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        s.base.replace("http://", "ws://")
    );
    let mut req = url.into_client_request().unwrap();
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("upgrade: {e}"),
    }
}

/// Production's mode trusts whoever opens a socket (contract Part A): a page of any web site
/// a clinic computer visits could open one and read a nurse's messages. The socket's Origin
/// now meets the CORS allow-list, in both modes.
#[tokio::test]
async fn a_foreign_pages_socket_is_refused_in_both_modes() {
    let compat = TestServer::start_with(Settings {
        local_origins: true,
        ..compat()
    })
    .await;
    let secure = TestServer::start_with(Settings {
        allowed_origins: vec!["https://app.clinic.example".into()],
        ..Settings::default()
    })
    .await;
    for (mode, s, ok) in [
        ("compat", &compat, "http://localhost:3000"),
        ("secure", &secure, "https://app.clinic.example"),
    ] {
        assert_eq!(
            upgrade_status(s, Some("http://evil.example")).await,
            403,
            "{mode}: foreign page"
        );
        assert_eq!(
            upgrade_status(s, Some(ok)).await,
            101,
            "{mode}: allowed page"
        );
        assert_eq!(upgrade_status(s, None).await, 101, "{mode}: desktop app");
        let polling = s
            .raw()
            .get(format!("{}/socket.io/?EIO=4&transport=polling", s.base))
            .header("origin", "http://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(polling.status(), StatusCode::FORBIDDEN, "{mode}: polling");
    }
}

/// Patient data must not be sniffed, framed, cached or referred onward by a browser.
#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let s = TestServer::start().await;
    let nurse = s.user("nurse.h@c.test", nursecare_wire::Role::Nurse).await;
    let answers = [
        s.get("/messaging/conversations", &nurse.token).await,
        s.post_anon(
            "/auth/login",
            json!({"email": "x@c.test", "password": "wrong-pw"}),
        )
        .await,
        s.request(Method::GET, "/no/such/route", None, None).await,
        s.request(
            Method::GET,
            "/socket.io/?EIO=4&transport=polling",
            None,
            None,
        )
        .await,
    ];
    for r in answers {
        let h = &r.headers;
        let get = |n: &str| h.get(n).map(|v| v.to_str().unwrap().to_owned());
        let what = format!("{} {}", r.status, r.text);
        assert_eq!(
            get("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(get("cache-control").as_deref(), Some("no-store"), "{what}");
        assert_eq!(get("x-frame-options").as_deref(), Some("DENY"), "{what}");
        assert!(
            get("content-security-policy").is_some_and(|c| c.contains("frame-ancestors 'none'")),
            "{what}"
        );
        assert_eq!(
            get("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{what}"
        );
    }
}

/// Attempts are reserved before the password is checked: 60 wrong passwords at once for one
/// account from one address were all checked (401) before the lock landed; now at most the
/// limit's number are, the rest wait (429), and the account's owner elsewhere is not locked.
#[tokio::test]
async fn concurrent_wrong_passwords_are_checked_at_most_the_limits_number() {
    use nursecare_server::login_limit::FREE_FAILURES;
    let s = TestServer::start().await;
    s.user("nurse.c@c.test", nursecare_wire::Role::Nurse).await;
    let tries = (0..60).map(|i| {
        s.post_anon(
            "/auth/login",
            json!({"email": "nurse.c@c.test", "password": format!("guess-{i}")}),
        )
    });
    let answers = futures_util::future::join_all(tries).await;
    let checked = answers
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    let limited = answers
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + limited, 60, "only 401 and 429");
    assert!(
        checked <= FREE_FAILURES as usize,
        "{checked} passwords checked; the limit is {FREE_FAILURES}"
    );
}

/// One address trying many accounts once each was never limited; now it has a budget.
#[tokio::test]
async fn one_address_trying_many_accounts_runs_out_of_attempts() {
    use nursecare_server::login_limit::ADDRESS_BURST;
    let s = TestServer::start().await;
    for i in 0..ADDRESS_BURST {
        let r = s
            .post_anon(
                "/auth/login",
                json!({"email": format!("who-{i}@c.test"), "password": "guess-pw"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "try {i}: {}", r.text);
    }
    let r = s
        .post_anon(
            "/auth/login",
            json!({"email": "one-more@c.test", "password": "guess-pw"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert!(r.retry_after.is_some());
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw Engine.IO WebSocket, past its `open` packet; with a token, past Socket.io's CONNECT.
async fn raw_socket(s: &TestServer, token: Option<&str>) -> Ws {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        s.base.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let open = ws.next().await.unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with('0'), "{open:?}");
    if let Some(t) = token {
        ws.send(Message::text(format!("40{}", json!({"token": t}))))
            .await
            .unwrap();
        // The tests' servers ping every 500 ms: a ping may come first on a busy machine.
        loop {
            let reply = ws.next().await.unwrap().unwrap();
            let text = reply.to_text().unwrap();
            if text == "2" {
                ws.send(Message::text("3")).await.unwrap();
                continue;
            }
            assert!(text.starts_with("40"), "{reply:?}");
            break;
        }
    }
    ws
}

/// Sends one text frame of `text` and answers whether the server closed the socket (rather
/// than reading it and answering). Engine.IO pings are answered while waiting.
async fn closed_after(ws: &mut Ws, text: String) -> bool {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    if ws.send(Message::text(text)).await.is_err() {
        return true;
    }
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await {
            Err(_) => return false,
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(Message::Text(t)))) if t.as_str() == "2" => {
                let _ = ws.send(Message::text("3")).await;
            }
            // An answer (an `exception`): the frame was read and parsed.
            Ok(Some(Ok(Message::Text(_)))) => return false,
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Frames over the advertised 1 MiB were read and parsed (10 MB `sendMessage`s; 15 MiB before
/// a socket had even signed in). The transport now closes the socket at the limit.
#[tokio::test]
async fn websocket_frames_over_a_mebibyte_close_the_socket_unread() {
    let s = TestServer::start().await;
    let (nurse, _patient, conv) = s.pair().await;
    let big = |n: usize| {
        format!(
            "42{}",
            json!(["sendMessage", {"conversationId": conv, "content": "x".repeat(n)}])
        )
    };
    let mut signed_in = raw_socket(&s, Some(&nurse.token)).await;
    assert!(closed_after(&mut signed_in, big(2 << 20)).await, "2 MiB");
    let mut anonymous = raw_socket(&s, None).await;
    assert!(closed_after(&mut anonymous, big(15 << 20)).await, "15 MiB");
    // Under the limit, a frame is read and answered (here: too long a message, `exception`).
    let mut ok = raw_socket(&s, Some(&nurse.token)).await;
    assert!(!closed_after(&mut ok, big(20_000)).await, "20 kB");
    let history = s
        .get(
            &format!("/messaging/conversations/{conv}/messages"),
            &nurse.token,
        )
        .await
        .json();
    assert_eq!(history.as_array().map(Vec::len), Some(0), "nothing stored");
}

/// Reads until the server closes the connection; true if it did within [`WAIT`].
async fn closed_by_server(tcp: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    tokio::time::timeout(WAIT, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

fn with_limits(limits: nursecare_server::connections::Limits) -> Settings {
    Settings {
        connections: limits,
        ..Settings::default()
    }
}

/// Connections that sent only a request line, headers a line at a time, or nothing after a
/// request stayed open as long as their peer liked (1,100 of them made a real login time
/// out). The header timeout now closes each.
#[tokio::test]
async fn idle_and_slow_connections_are_closed_at_the_header_timeout() {
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    let s = TestServer::start_with(with_limits(nursecare_server::connections::Limits {
        header_timeout: std::time::Duration::from_secs(1),
        ..Default::default()
    }))
    .await;
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut line_only = TcpStream::connect(&addr).await.unwrap();
    line_only
        .write_all(b"POST /auth/login HTTP/1.1\r\n")
        .await
        .unwrap();
    let mut kept_alive = TcpStream::connect(&addr).await.unwrap();
    kept_alive
        .write_all(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut drip = TcpStream::connect(&addr).await.unwrap();
    drip.write_all(b"GET /nothing HTTP/1.1\r\n").await.unwrap();
    let dripping = tokio::spawn(async move {
        // A header line every 200 ms, for ever: only the header timeout ends it.
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
        for i in 0.. {
            tick.tick().await;
            if drip
                .write_all(format!("X-{i}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                return true;
            }
        }
        false
    });
    assert!(
        closed_by_server(&mut line_only).await,
        "a request line only"
    );
    assert!(
        closed_by_server(&mut kept_alive).await,
        "idle after a request"
    );
    assert!(
        tokio::time::timeout(WAIT, dripping)
            .await
            .is_ok_and(|r| r.unwrap()),
        "headers a line at a time"
    );
}

/// One address may not take every connection: past its cap a new connection is closed unread
/// (WebSockets count while they are open), and another address is still served.
#[tokio::test]
async fn one_address_cannot_take_every_connection() {
    use tokio::net::TcpStream;
    let s = TestServer::start_with(with_limits(nursecare_server::connections::Limits {
        max_per_address: 4,
        ..Default::default()
    }))
    .await;
    let addr = s.base.trim_start_matches("http://").to_owned();
    let _sockets = [raw_socket(&s, None).await, raw_socket(&s, None).await];
    let _idle = [
        TcpStream::connect(&addr).await.unwrap(),
        TcpStream::connect(&addr).await.unwrap(),
    ];
    let mut fifth = TcpStream::connect(&addr).await.unwrap();
    assert!(closed_by_server(&mut fifth).await, "past the address's cap");
    let elsewhere = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let r = elsewhere
        .post(format!("{}/auth/login", s.base))
        .json(&json!({"email": "x@c.test", "password": "guess-pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "another address is served"
    );
}

fn messages(r: &Resp) -> String {
    r.json()["message"].to_string()
}

/// A password of six spaces was accepted; now the policy (length, not only spaces, not the
/// email, not a common password) answers 400 with the reason, and a good one still registers.
#[tokio::test]
async fn registration_meets_the_password_policy() {
    let s = TestServer::start().await;
    let register = |password: &str| {
        s.post_anon(
            "/auth/register",
            json!({"email": "zoe.ng@c.test", "password": password, "role": "PATIENT"}),
        )
    };
    for (password, why) in [
        ("      ", "longer than or equal to 8"),
        ("        ", "only spaces"),
        ("password1", "most common"),
        ("Zoe.Ng@c.test", "your email"),
    ] {
        let r = register(password).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{password:?}");
        assert!(messages(&r).contains(why), "{password:?}: {}", r.text);
    }
    assert_eq!(
        register("tea at four, ward 3").await.status,
        StatusCode::CREATED
    );
}

/// A name with a NUL, a right-to-left override or a newline was stored as sent; now it is
/// refused, and a name's spacing and Unicode form are normalised.
#[tokio::test]
async fn names_with_hidden_characters_are_refused_and_names_are_normalised() {
    let s = TestServer::start().await;
    let register = |email: &str, name: &str| {
        s.post_anon(
            "/auth/register",
            json!({"email": email, "password": "secret-pw", "name": name, "role": "PATIENT"}),
        )
    };
    for (i, name) in ["Dan\u{0}iel", "Nurse \u{202E}nimdA", "Daniel\nKim"]
        .into_iter()
        .enumerate()
    {
        let r = register(&format!("p{i}@c.test"), name).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name:?}");
        assert!(messages(&r).contains("text-direction"), "{}", r.text);
    }
    assert_eq!(
        register("zoe@c.test", "  Zoe\u{0308}   Ng ").await.status,
        StatusCode::CREATED
    );
    let stored = s
        .state
        .store
        .user_by_email("zoe@c.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name.as_deref(), Some("Zoë Ng"));
}

/// `Chloe.Martin@…` registered beside `chloe.martin@…` as a second account; emails are now
/// compared without case, on registration and on login.
#[tokio::test]
async fn emails_are_compared_without_case() {
    let s = TestServer::start().await;
    let register = |email: &str| {
        s.post_anon(
            "/auth/register",
            json!({"email": email, "password": "secret-pw", "role": "PATIENT"}),
        )
    };
    let first = register("Chloe.Martin@c.test").await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.json()["email"], "chloe.martin@c.test");
    assert_eq!(
        register("chloe.martin@c.test").await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        register("CHLOE.MARTIN@C.TEST").await.status,
        StatusCode::CONFLICT
    );
    let login = s
        .post_anon(
            "/auth/login",
            json!({"email": "CHLOE.martin@c.test", "password": "secret-pw"}),
        )
        .await;
    assert_eq!(login.status, StatusCode::CREATED, "{}", login.text);
}

fn slow_rates() -> Settings {
    use nursecare_server::realtime::rate::{Rate, SocketRates};
    Settings {
        socket_rates: SocketRates {
            typing: Rate {
                burst: 3,
                per_sec: 1.0,
            },
            events: Rate {
                burst: 5,
                per_sec: 10.0,
            },
        },
        ..Settings::default()
    }
}

/// The sender's one warning that it is over its rate: an `exception` that says `what` and names
/// no message (none was refused).
async fn rate_warning(sock: &Sock, what: &str) {
    let warned = sock.expect("exception").await;
    let message = warned.data()["message"].as_str().unwrap_or_default();
    assert!(message.contains(what), "{:?}", warned.args);
    assert!(
        warned.data().get("clientId").is_none(),
        "no message refused"
    );
}

/// 4,100 `typing` events in 5 s all reached the nurse; now a socket's typing past its rate is
/// dropped, it hears why, and another conversation's typing is untouched.
#[tokio::test]
async fn a_typing_flood_is_cut_at_the_senders_rate() {
    use nursecare_wire::Role;
    let s = TestServer::start_with(slow_rates()).await;
    let (nurse, patient, conv) = s.pair().await;
    let nurse2 = s.user("nurse2@c.test", Role::Nurse).await;
    let patient2 = s.user("patient2@c.test", Role::Patient).await;
    let conv2 = s.conversation(&nurse2, &patient2).await;
    let (n, p, n2, p2) = (
        s.registered(&nurse).await,
        s.registered(&patient).await,
        s.registered(&nurse2).await,
        s.registered(&patient2).await,
    );
    for _ in 0..50 {
        p.emit("typing", json!({"conversationId": conv, "isTyping": true}))
            .await;
    }
    for _ in 0..2 {
        p2.emit("typing", json!({"conversationId": conv2, "isTyping": true}))
            .await;
    }
    rate_warning(&p, "typing").await;
    let reached = n.count("userTyping").await.len();
    assert!(
        (3..=5).contains(&reached),
        "{reached} of 50 reached the nurse"
    );
    assert_eq!(
        n2.count("userTyping").await.len(),
        2,
        "others are untouched"
    );
}

/// 3,000 messages in 6 s were all stored and delivered at once. Past its rate a socket's
/// events now wait their turn (nothing is lost: an outbox flushed after a night offline goes
/// through), the sender hears it is slowed down, and another socket is served meanwhile.
#[tokio::test]
async fn a_message_flood_is_slowed_without_loss_and_others_are_served() {
    use nursecare_wire::Role;
    let s = TestServer::start_with(slow_rates()).await;
    let (nurse, patient, conv) = s.pair().await;
    let other = s.user("patient2@c.test", Role::Patient).await;
    let conv2 = s.conversation(&nurse, &other).await;
    let (p, o) = (s.registered(&patient).await, s.registered(&other).await);
    for i in 0..30 {
        p.emit(
            "sendMessage",
            json!({"conversationId": conv, "content": format!("m{i}"), "clientId": format!("c{i}")}),
        )
        .await;
    }
    rate_warning(&p, "slowed").await;
    o.emit(
        "sendMessage",
        json!({"conversationId": conv2, "content": "meanwhile", "clientId": "o1"}),
    )
    .await;
    o.expect("messageSent").await;
    let stored_meanwhile = s
        .get(
            &format!("/messaging/conversations/{conv}/messages"),
            &nurse.token,
        )
        .await
        .json()
        .as_array()
        .unwrap()
        .len();
    assert!(
        stored_meanwhile < 30,
        "the other socket waited for the flood"
    );
    for i in 0..30 {
        let sent = p.expect("messageSent").await;
        assert_eq!(
            sent.data()["content"],
            format!("m{i}"),
            "in order, none lost"
        );
    }
}

/// A correctly signed token for an account that does not exist was accepted; so was one whose
/// id now belongs to someone else (a database reset beside the same secret reuses ids). Both
/// are refused now, over REST and on the socket.
#[tokio::test]
async fn a_signed_token_for_an_account_that_is_not_there_is_refused() {
    let s = TestServer::start().await;
    let (nurse, _patient, _conv) = s.pair().await;
    let now = chrono::Utc::now().timestamp();
    let keys = &s.state.keys;
    let nobody = keys
        .issue(999, "ghost@c.test", nursecare_wire::Role::Nurse, now)
        .unwrap();
    let someone_else = keys
        .issue(
            nurse.id,
            "old.owner@c.test",
            nursecare_wire::Role::Nurse,
            now,
        )
        .unwrap();
    let same_in_caps = keys
        .issue(nurse.id, "NURSE@c.test", nursecare_wire::Role::Nurse, now)
        .unwrap();
    for (what, token, ok) in [
        ("no such account", &nobody, false),
        ("the id is someone else's", &someone_else, false),
        ("its email in other case", &same_in_caps, true),
    ] {
        let r = s.get("/messaging/conversations", token).await;
        let want = if ok {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(r.status, want, "REST: {what}");
        assert_eq!(
            Sock::connect(&s, Some(token)).await.is_ok(),
            ok,
            "socket: {what}"
        );
    }
}

/// A taken email answers 409 at registration (decided: a patient must learn to sign in
/// instead), so registrations spend the address's budget like logins: they cannot list
/// accounts any faster.
#[tokio::test]
async fn registrations_that_meet_taken_emails_run_out_like_logins() {
    use nursecare_server::login_limit::ADDRESS_BURST;
    let s = TestServer::start().await;
    let register = || {
        s.post_anon(
            "/auth/register",
            json!({"email": "taken@c.test", "password": "secret-pw", "role": "PATIENT"}),
        )
    };
    assert_eq!(register().await.status, StatusCode::CREATED);
    for i in 0..ADDRESS_BURST {
        assert_eq!(register().await.status, StatusCode::CONFLICT, "try {i}");
    }
    let r = register().await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
}
