//! No token, password or message text in the logs, at trace level, with the `log` records of
//! the dependencies bridged in (as the CLI and the app install them). Its own test binary: the
//! subscriber is process-wide.

mod common;

use common::{Running, pair, side};
use nursecare_core::Event;
use nursecare_server::Settings;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_secret_reaches_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            nursecare_core::logs::directives("trace"),
        ))
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber of this test binary");

    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), Settings::default()).await;
    let (n, _p, conv) = pair(&server.base).await;
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    let mut patient = side(&server.base, &dir.path().join("patient"), "p@c.test").await;
    nurse
        .until(10, |e| {
            matches!(
                e,
                Event::Connection {
                    state: nursecare_core::events::Connection::Online,
                    ..
                }
            )
        })
        .await;
    let secret_text = "Blood sugar 7.4 mmol/L quokka";
    nurse.client.send(conv, secret_text).await.unwrap();
    // Live, or found by the patient's first sync: either way it reached her.
    while !patient
        .until_messages(10)
        .await
        .iter()
        .any(|m| m.content == secret_text)
    {}
    nurse.client.keystroke(conv).await;
    nurse.client.start_call(conv).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    nurse.client.shutdown().await;
    patient.client.shutdown().await;

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(logs.contains("signed in"), "the capture works: {logs:.500}");
    assert!(!logs.is_empty());
    for (what, secret) in [
        ("token", n.token.as_str()),
        ("nurse session token", nurse.session.token.as_str()),
        ("password", "secret-pw"),
        ("message text", "quokka"),
    ] {
        assert!(!logs.contains(secret), "the {what} is in the logs");
    }
    // The JWT's payload part alone is also a leak.
    let payload = nurse.session.token.split('.').nth(1).unwrap();
    assert!(!logs.contains(payload), "a token part is in the logs");
}
