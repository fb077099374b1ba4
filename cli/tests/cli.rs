//! The CLI end to end against the real server binary (demo data): login, open, send, watch,
//! history --offline, search, calls, queueing offline, and the exit codes.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{AMARA, CHLOE, Cli, Server};

#[test]
fn a_shift_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), false);
    let amara = Cli::new(&server.base(), &dir.path().join("amara"));
    let chloe = Cli::new(&server.base(), &dir.path().join("chloe"));

    // Not signed in yet, then a wrong password, then right.
    amara.expect(3, &["conversations"]);
    let wrong = amara
        .command(&["login", "--email", AMARA])
        .env("NURSECARE_PASSWORD", "not-it")
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong email or password"));
    amara.expect(0, &["login", "--email", AMARA]);
    chloe.expect(0, &["login", "--email", CHLOE]);
    let me = amara.json(&["whoami"]);
    assert_eq!(me["email"], AMARA);

    // `open` finds the existing conversation with Chloe (user 3) and does not join it.
    let conv = amara.json(&["open", "3"]);
    let conv_id = conv["id"].as_i64().unwrap();
    let id = conv_id.to_string();

    // Chloe watches on her phone (a profile of its own: one program at a time owns a
    // profile's cache); Amara sends.
    let phone = Cli::new(&server.base(), &dir.path().join("chloe-phone"));
    phone.expect(0, &["login", "--email", CHLOE]);
    let mut watch = phone
        .command(&["watch", "--for", "20"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    wait_line(&rx, |l| l.contains(r#""state":"online""#));
    // One program at a time owns an account's cache: a second one is told, and nothing is
    // taken for damaged.
    let busy = phone.run(&["history", &id, "--offline"]);
    assert_eq!(busy.status.code(), Some(10));
    assert!(String::from_utf8_lossy(&busy.stderr).contains("in use"));
    // Nor is it deleted under the program that has it open.
    let busy = phone.run(&["logout", "--forget-cache"]);
    assert_eq!(busy.status.code(), Some(10));
    let me = phone.json(&["whoami"]);
    assert_eq!(me["email"], CHLOE, "still signed in: nothing was done");
    let sent = amara.json(&["send", &id, "Your 3 pm visit is confirmed"]);
    assert_eq!(sent["content"], "Your 3 pm visit is confirmed");
    let heard = wait_line(&rx, |l| l.contains("Your 3 pm visit is confirmed"));
    let event: serde_json::Value = serde_json::from_str(&heard).unwrap();
    assert_eq!(event["event"], "messageAdded");
    assert_eq!(event["live"], true);
    assert_eq!(event["message"]["id"], sent["id"]);

    // Offline reads.
    let history = amara.expect(0, &["history", &id, "--offline", "--limit", "3"]);
    assert!(
        history
            .lines()
            .last()
            .unwrap()
            .ends_with("Your 3 pm visit is confirmed")
    );
    let found = amara.json(&["search", "visit confirmed"]);
    assert_eq!(found[0]["id"], sent["id"]);

    // A call: started, accepted, ended.
    let call = amara.json(&["call", "start", &id]);
    let room = call["roomName"].as_str().unwrap().to_owned();
    assert!(call["jitsiUrl"].as_str().unwrap().ends_with(&room));
    wait_line(&rx, |l| l.contains("incomingCall") && l.contains(&room));
    let accepted = chloe.json(&["call", "accept", &room]);
    assert_eq!(accepted["id"], call["id"]);
    let call_id = call["id"].as_i64().unwrap().to_string();
    // A start beside it from another device (it knows nothing of the call) is refused, and
    // says how to end the call going on.
    let tablet = Cli::new(&server.base(), &dir.path().join("chloe-tablet"));
    tablet.expect(0, &["login", "--email", CHLOE]);
    let beside = tablet.run(&["call", "start", &id]);
    assert_eq!(beside.status.code(), Some(7));
    let said = String::from_utf8_lossy(&beside.stderr);
    assert!(
        said.contains(&format!("nursecare-cli call end {call_id}")),
        "{said}"
    );
    let ended = amara.json(&["call", "end", &call_id]);
    assert_eq!(ended["status"], "ENDED");
    let calls = chloe.json(&["call", "history", &id]);
    assert_eq!(calls[0]["id"], call["id"]);
    assert_eq!(calls[0]["status"], "ENDED");
    let _ = watch.kill();
    let _ = watch.wait();

    // Offline: queued with exit code 6, delivered once by the next command that gets online.
    server.kill();
    let queued = amara.run(&["send", &id, "Bring your glucose log"]);
    assert_eq!(queued.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&queued.stderr).contains("queued"));
    amara.expect(5, &["conversations"]);
    server.restart();
    amara.expect(0, &["watch", "--for", "3"]);
    let page = chloe.json(&["history", &id, "--limit", "50"]);
    let copies = page
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["content"] == "Bring your glucose log")
        .count();
    assert_eq!(copies, 1);

    // Bad input is a clear error, not a crash.
    let long = "x".repeat(10_001);
    let too_long = amara.run(&["send", &id, &long]);
    assert_eq!(too_long.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&too_long.stderr).contains("too long"));
    amara.expect(7, &["history", "999999", "--limit", "5"]);
    // A conversation that is not hers: refused at once with the reason, nothing queued.
    let refused = amara.run(&["send", "999999", "hello"]);
    assert_eq!(refused.status.code(), Some(7));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("unknown conversation"), "{said}");
    assert!(!said.contains("queued") && !said.contains("WARN"), "{said}");
    // A log line through a pipe carries no colour codes.
    let logged = amara
        .command(&["watch", "--for", "1"])
        .env("NURSECARE_LOG", "info")
        .output()
        .unwrap();
    let logged = String::from_utf8_lossy(&logged.stderr);
    assert!(logged.contains("INFO"), "{logged}");
    assert!(
        !logged.contains('\u{1b}'),
        "ANSI codes in a piped log: {logged}"
    );

    amara.expect(0, &["logout", "--forget-cache"]);
    amara.expect(3, &["whoami"]);
}

/// Message text as an argument is readable by every account on the computer (`ps`); it may
/// come from standard input (`-`) or a file instead, and a text too long is refused before
/// anything is sent.
#[test]
fn send_takes_its_text_from_standard_input_or_a_file() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), false);
    let amara = Cli::new(&server.base(), &dir.path().join("amara"));
    amara.expect(0, &["login", "--email", AMARA]);
    let id = amara.json(&["open", "3"])["id"]
        .as_i64()
        .unwrap()
        .to_string();

    let mut piped = amara
        .command(&["--json", "send", &id, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    piped
        .stdin
        .take()
        .unwrap()
        .write_all("Glucose 7.2 after lunch\nsee you at 3\n".as_bytes())
        .unwrap();
    let out = piped.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let sent: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        sent["content"], "Glucose 7.2 after lunch\nsee you at 3",
        "one final line ending dropped, the rest kept"
    );

    let file = dir.path().join("note.txt");
    std::fs::write(&file, "Dressing changed, wound clean\r\n").unwrap();
    let sent = amara.json(&["send", &id, "--file", file.to_str().unwrap()]);
    assert_eq!(sent["content"], "Dressing changed, wound clean");

    std::fs::write(&file, "x".repeat(10_001)).unwrap();
    let too_long = amara.run(&["send", &id, "--file", file.to_str().unwrap()]);
    assert_eq!(too_long.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&too_long.stderr).contains("too long"));
    let page = amara.json(&["history", &id, "--offline", "--limit", "2"]);
    assert_eq!(
        page[1]["content"], "Dressing changed, wound clean",
        "nothing more was sent"
    );
}

/// The rule that refuses plain http:// to another computer lived only in the app's shell: the
/// CLI sent passwords to any server in clear. The core's rule now refuses it for both, before a
/// password is asked for; `--allow-plain-http` (a lab) goes ahead and says so.
#[test]
fn plain_http_to_another_computer_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    // This computer's address on its network (not loopback) at a port nobody listens on, so
    // going ahead is refused by the network at once; without a network, a name that never
    // resolves (RFC 2606).
    let server = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|probe| {
            probe.connect("192.0.2.1:9")?;
            probe.local_addr()
        })
        .ok()
        .map(|a| a.ip())
        .filter(|ip| !ip.is_loopback())
        .and_then(|ip| {
            let port = std::net::TcpListener::bind((ip, 0))
                .ok()?
                .local_addr()
                .ok()?
                .port();
            Some(format!("http://{ip}:{port}"))
        })
        .unwrap_or_else(|| "http://nursecare.invalid:3001".to_owned());
    let lab = Cli::new(&server, &dir.path().join("lab"));
    let refused = lab.run(&["login", "--email", AMARA]);
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("https://"), "{said}");
    let allowed = lab.run(&["--allow-plain-http", "login", "--email", AMARA]);
    assert_eq!(allowed.status.code(), Some(5), "it tried the server");
    let said = String::from_utf8_lossy(&allowed.stderr);
    assert!(said.contains("unencrypted"), "{said}");
}

fn wait_line(rx: &std::sync::mpsc::Receiver<String>, want: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if want(&l) => return l,
            Ok(_) => {}
            Err(_) => panic!("expected line never came"),
        }
    }
}

/// Production refuses a token over REST (its secret rotated) while its socket takes none: a
/// message the server stored is "sent" (exit 0), the session is signed out once, and every
/// command after says so in one line (exit 3): `whoami` included.
#[test]
fn a_refused_session_on_production_signs_out_once_and_a_stored_message_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), true);
    let amara = Cli::new(&server.base(), &dir.path().join("amara"));
    amara.expect(0, &["login", "--email", AMARA]);
    let conv = amara.json(&["open", "3"])["id"]
        .as_i64()
        .unwrap()
        .to_string();
    server.rotate_secret();

    let sent = amara.run(&["send", &conv, "stored after the rotation"]);
    let (out, err) = (
        String::from_utf8_lossy(&sent.stdout),
        String::from_utf8_lossy(&sent.stderr),
    );
    let chloe = Cli::new(&server.base(), &dir.path().join("chloe"));
    chloe.expect(0, &["login", "--email", CHLOE]);
    let stored = chloe.json(&["history", &conv]);
    let copies = stored
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["content"] == "stored after the rotation")
        .count();
    // The refusal (the first sync's REST request) and the message's emit race: what the
    // command says must be what happened to the message.
    match copies {
        1 => {
            assert_eq!(
                sent.status.code(),
                Some(0),
                "the server stored it: sent\nstdout: {out}\nstderr: {err}"
            );
            assert!(out.contains("stored after the rotation"), "{out}");
        }
        0 => {
            assert_eq!(sent.status.code(), Some(3), "{err}");
            assert!(err.contains("queued"), "{err}");
        }
        n => panic!("stored {n} times"),
    }
    assert_eq!(
        err.matches("sign in again").count(),
        1,
        "signed out once, said once: {err}"
    );

    let who = amara.run(&["whoami"]);
    assert_eq!(who.status.code(), Some(3), "{who:?}");
    let list = amara.run(&["conversations"]);
    let err = String::from_utf8_lossy(&list.stderr);
    assert_eq!(list.status.code(), Some(3), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}
