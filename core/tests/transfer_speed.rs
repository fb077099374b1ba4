#![cfg(target_os = "linux")]
//! How long a 25 MB file takes up and down on loopback (printed, not asserted), in a test
//! binary of its own so nothing else runs beside it.

mod common;

use common::{Running, pair, side};
use nursecare_server::Settings;
use std::sync::Arc;

/// Prints how long a 25 MB file takes to upload and to download (into the encrypted cache)
/// on loopback, median of three; asserts only that each arrived whole (speed is reported, not
/// tested: `cargo test --release -p nursecare-core --test transfer_speed -- --ignored --nocapture`).
#[tokio::test]
#[ignore = "a measurement; run by hand with --ignored --nocapture (README, Files in a chat)"]
async fn figures_for_a_25_mb_file_up_and_down() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), Settings::default()).await;
    let (_n, _p, conv) = pair(&server.base).await;
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    let mut patient = side(&server.base, &dir.path().join("patient"), "p@c.test").await;
    common::two::online(&mut nurse).await;
    common::two::online(&mut patient).await;
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for round in 0..3u8 {
        let path = dir.path().join(format!("scan {round}.txt"));
        // Different bytes each round: the server keeps one copy per content.
        let line = format!("round {round}: blood pressure 120/80, stable\n").into_bytes();
        std::fs::write(&path, line.repeat(25 * 1024 * 1024 / line.len())).unwrap();
        let started = std::time::Instant::now();
        let sent = nurse
            .client
            .upload_file(conv, &path, Arc::new(|_, _| {}))
            .await
            .unwrap();
        up.push(started.elapsed());
        patient.client.files(conv).await.unwrap();
        let started = std::time::Instant::now();
        let kept = patient
            .client
            .keep_file(sent.file.id, Arc::new(|_, _| {}))
            .await
            .unwrap();
        down.push(started.elapsed());
        assert!(kept.kept);
    }
    up.sort();
    down.sort();
    eprintln!(
        "25 MB on loopback, median of 3: upload {:.0} ms, download into the cache {:.0} ms",
        up[1].as_secs_f64() * 1e3,
        down[1].as_secs_f64() * 1e3
    );
}
