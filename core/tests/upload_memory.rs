#![cfg(target_os = "linux")]
//! A 100 MB upload streams: the process's peak memory grows far less than the file. Alone in
//! its own test binary, so no other test's memory is counted (peak RSS is per process).

mod common;

use common::{Running, pair, side};
use nursecare_server::Settings;
use nursecare_server::files::FileSettings;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// Resident memory of this process now, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_100_mb_upload_streams_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(
        dir.path(),
        Settings {
            files: FileSettings {
                max_bytes: 128 * 1024 * 1024,
                ..FileSettings::default()
            },
            ..Settings::default()
        },
    )
    .await;
    let (n, _p, conv) = pair(&server.base).await;
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    common::two::online(&mut nurse).await;
    let path = dir.path().join("long log.txt");
    {
        let mut f = tokio::fs::File::create(&path).await.unwrap();
        let line = b"observation: stable, no change\n".repeat(32 * 1024);
        let mut written = 0;
        while written < 100 * 1024 * 1024 {
            f.write_all(&line).await.unwrap();
            written += line.len();
        }
        f.flush().await.unwrap();
    }
    // Resident memory sampled every few milliseconds on a thread of its own while the upload
    // runs (the peak counter, VmHWM, cannot be reset on every kernel this runs on).
    let before = rss_kib();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                peak = peak.max(rss_kib());
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            peak
        })
    };
    let sent = nurse
        .client
        .upload_file(conv, &path, Arc::new(|_, _| {}))
        .await
        .unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let grown_mib = sampler.join().unwrap().saturating_sub(before) / 1024;
    eprintln!("peak memory grew {grown_mib} MiB during a 100 MB upload");
    assert_eq!(
        sent.file.size as u64,
        std::fs::metadata(&path).unwrap().len()
    );
    assert_eq!(n.api.files(conv).await.unwrap().len(), 1);
    // Client and server share this process; a copy read whole would add 100 MB at least.
    assert!(
        grown_mib < 60,
        "peak memory grew {grown_mib} MiB during a 100 MB upload"
    );
}
