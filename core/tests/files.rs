//! A chat's files through the core against the real server, in both modes: upload, the other
//! side hearing of it (live on ours, on opening on production), a copy kept encrypted in the
//! cache and saved offline, a lost answer that must not make two files, refusals that never
//! leave this computer. The 100 MB upload that must stream is `upload_memory.rs`, alone in its process.

mod common;

use common::two::{settings, two};
use common::{Running, Side, pair, side};
use nursecare_core::{ClientError, Event};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn quiet() -> nursecare_core::files::Progress {
    Arc::new(|_, _| {})
}

/// A small PDF holding `marker` in plain bytes.
fn pdf(dir: &Path, name: &str, marker: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("%PDF-1.7\n% {marker}\n1 0 obj << >> endobj\n%%EOF\n"),
    )
    .unwrap();
    path
}

/// Whether `needle` appears anywhere in the files of `dir` (the profile: cache, WAL, …).
fn anywhere_in(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        if bytes.windows(needle.len()).any(|w| w == needle) {
            hits.push(entry.display().to_string());
        }
    }
    hits
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

async fn files_changed(s: &mut Side, conv: i64) {
    s.until(
        10,
        |e| matches!(e, Event::FilesChanged { conversation_id } if *conversation_id == conv),
    )
    .await;
}

async fn goes_both_ways(compat: bool) {
    let mut t = two(settings(compat)).await;
    let marker = format!("PLAINTEXT-MARKER-{}", std::process::id());
    let path = pdf(t.dir.path(), "care plan.pdf", &marker);
    let seen = Arc::new(AtomicU64::new(0));
    let progress = {
        let seen = seen.clone();
        Arc::new(move |done: u64, _total: u64| seen.store(done, Ordering::SeqCst))
    };
    let sent = t
        .nurse
        .client
        .upload_file(t.conv, &path, progress)
        .await
        .unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert_eq!(
        seen.load(Ordering::SeqCst),
        size,
        "progress reached the end"
    );
    assert_eq!(sent.file.filename, "care plan.pdf");
    assert_eq!(sent.file.size as u64, size);

    // The patient hears of it: live on our server; on production when the chat is opened.
    if compat {
        t.patient.client.open(Some(t.conv));
    }
    files_changed(&mut t.patient, t.conv).await;
    // The chat's row follows at once (it moves up and says a file came).
    t.patient
        .until(10, |e| {
            matches!(e, Event::ConversationChanged { summary }
                if summary.id == t.conv && summary.last_file.is_some())
        })
        .await;
    let listed = t.patient.client.cached_files(t.conv).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].file.id, sent.file.id);
    assert_eq!(
        listed[0].file.uploaded_by.as_ref().map(|u| u.id),
        Some(t.n.id)
    );
    assert!(!listed[0].kept);
    // The chat's row says a file came (who, and that it is no photo), never its name.
    let row = t
        .patient
        .client
        .conversations()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == t.conv)
        .unwrap();
    let note = row.last_file.expect("the row tells of the file");
    assert_eq!((note.uploaded_by, note.image), (Some(t.n.id), false));

    // Kept here: encrypted with the cache, nothing in plaintext anywhere in the profile.
    let kept = t
        .patient
        .client
        .keep_file(sent.file.id, quiet())
        .await
        .unwrap();
    assert!(kept.kept);
    let profile = t.dir.path().join("patient");
    assert_eq!(
        anywhere_in(&profile, marker.as_bytes()),
        Vec::<String>::new()
    );

    // Offline: the server is gone, and the copy still saves, byte for byte.
    t.server.stop().await;
    let out = t.dir.path().join("Downloads");
    let saved = t
        .patient
        .client
        .save_file(sent.file.id, &out, quiet())
        .await
        .unwrap();
    assert!(saved.openable);
    assert_eq!(
        std::fs::read(&saved.path).unwrap(),
        std::fs::read(&path).unwrap()
    );
    let again = t
        .patient
        .client
        .save_file(sent.file.id, &out, quiet())
        .await
        .unwrap();
    assert!(again.path.ends_with("care plan (2).pdf"), "{}", again.path);
    assert!(
        t.patient.client.cached_files(t.conv).await.unwrap()[0].kept,
        "the panel knows it opens offline"
    );
}

#[tokio::test]
async fn a_file_goes_both_ways_and_opens_offline() {
    goes_both_ways(false).await;
}

#[tokio::test]
async fn a_file_goes_both_ways_and_opens_offline_against_production_compat() {
    goes_both_ways(true).await;
}

#[tokio::test]
async fn a_deleted_file_leaves_the_other_side_at_once_kept_copy_and_all() {
    let mut t = two(settings(false)).await;
    let path = pdf(t.dir.path(), "scan.pdf", "x");
    let sent = t
        .nurse
        .client
        .upload_file(t.conv, &path, quiet())
        .await
        .unwrap();
    files_changed(&mut t.patient, t.conv).await;
    t.patient
        .client
        .keep_file(sent.file.id, quiet())
        .await
        .unwrap();
    // Only the uploader deletes.
    let refused = t
        .patient
        .client
        .delete_file(sent.file.id)
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            ClientError::Api(nursecare_core::api::ApiError::Forbidden(_))
        ),
        "{refused:?}"
    );
    t.nurse.client.delete_file(sent.file.id).await.unwrap();
    files_changed(&mut t.patient, t.conv).await;
    assert!(
        t.patient
            .client
            .cached_files(t.conv)
            .await
            .unwrap()
            .is_empty()
    );
    let gone = t
        .patient
        .client
        .save_file(sent.file.id, t.dir.path(), quiet())
        .await;
    assert!(matches!(gone, Err(ClientError::NotFound(_))), "{gone:?}");
}

#[tokio::test]
async fn two_downloads_at_once_keep_both_whole() {
    let mut t = two(settings(false)).await;
    let mut sent = Vec::new();
    for (name, byte) in [("a.txt", b'a'), ("b.txt", b'b')] {
        let path = t.dir.path().join(name);
        std::fs::write(&path, vec![byte; 3 * 1024 * 1024]).unwrap();
        sent.push(
            t.nurse
                .client
                .upload_file(t.conv, &path, quiet())
                .await
                .unwrap(),
        );
        files_changed(&mut t.patient, t.conv).await;
    }
    let (a, b) = tokio::join!(
        t.patient.client.keep_file(sent[0].file.id, quiet()),
        t.patient.client.keep_file(sent[1].file.id, quiet())
    );
    assert!(a.unwrap().kept && b.unwrap().kept);
    let out = t.dir.path().join("out");
    for (f, byte) in sent.iter().zip([b'a', b'b']) {
        let saved = t
            .patient
            .client
            .save_file(f.file.id, &out, quiet())
            .await
            .unwrap();
        let bytes = std::fs::read(&saved.path).unwrap();
        assert_eq!(bytes.len(), 3 * 1024 * 1024);
        assert!(bytes.iter().all(|b| *b == byte));
    }
}

#[tokio::test]
async fn refused_kinds_never_leave_this_computer_even_for_production() {
    let t = two(settings(true)).await;
    let dir = t.dir.path();
    let script = dir.join("run.bat");
    std::fs::write(&script, "del /q C:\\*\r\n").unwrap();
    let exe = dir.join("discharge.pdf");
    std::fs::write(
        &exe,
        b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run",
    )
    .unwrap();
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    for path in [&script, &exe, &empty] {
        let e = t
            .nurse
            .client
            .upload_file(t.conv, path, quiet())
            .await
            .unwrap_err();
        assert!(
            matches!(e, ClientError::FileRefused(_)),
            "{}: {e:?}",
            path.display()
        );
    }
    let missing = t
        .nurse
        .client
        .upload_file(t.conv, &dir.join("nope.pdf"), quiet())
        .await;
    assert!(
        matches!(missing, Err(ClientError::FileIo(_))),
        "{missing:?}"
    );
    assert!(
        t.n.api.files(t.conv).await.unwrap().is_empty(),
        "nothing reached the server"
    );
}

/// Forwards TCP to the server; once armed, the next `POST /files/upload` is cut: with
/// `before_server`, before it reaches the server (nothing lands); else it reaches the server
/// whole and its answer never comes back.
struct AnswerCutter {
    base: String,
    armed: Arc<AtomicBool>,
    before_server: Arc<AtomicBool>,
}

impl AnswerCutter {
    async fn start(to: &str) -> Self {
        let target = to.trim_start_matches("http://").to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let armed = Arc::new(AtomicBool::new(false));
        let arm = armed.clone();
        let before_server = Arc::new(AtomicBool::new(false));
        let early = before_server.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                    continue;
                };
                let arm = arm.clone();
                let early = early.clone();
                tokio::spawn(async move {
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let cut = Arc::new(AtomicBool::new(false));
                    let cut_up = cut.clone();
                    let up = tokio::spawn(async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match cr.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            if buf[..n].windows(18).any(|w| w == b"POST /files/upload")
                                && arm.swap(false, Ordering::SeqCst)
                            {
                                cut_up.store(true, Ordering::SeqCst);
                                if early.load(Ordering::SeqCst) {
                                    // Never forwarded: the connection just ends.
                                    break;
                                }
                            }
                            if sw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    });
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match sr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if cut.load(Ordering::SeqCst) {
                            // The answer is here: the server did it. Drop it.
                            break;
                        }
                        if cw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    up.abort();
                });
            }
        });
        Self {
            base,
            armed,
            before_server,
        }
    }
}

#[tokio::test]
async fn an_upload_whose_answer_is_lost_is_looked_up_not_sent_twice() {
    for compat in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let server = Running::start(dir.path(), settings(compat)).await;
        let (n, _p, conv) = pair(&server.base).await;
        let cutter = AnswerCutter::start(&server.base).await;
        let mut nurse = side(&cutter.base, &dir.path().join("nurse"), "n@c.test").await;
        common::two::online(&mut nurse).await;
        let path = pdf(dir.path(), "letter.pdf", "y");
        // The same letter shared once before: the lost answer must not be taken for it.
        let earlier = nurse
            .client
            .upload_file(conv, &path, quiet())
            .await
            .unwrap();
        cutter.armed.store(true, Ordering::SeqCst);
        let sent = nurse
            .client
            .upload_file(conv, &path, quiet())
            .await
            .unwrap();
        assert!(!cutter.armed.load(Ordering::SeqCst), "the answer was cut");
        assert_ne!(
            sent.file.id, earlier.file.id,
            "compat={compat}: not the earlier copy"
        );
        let on_server = n.api.files(conv).await.unwrap();
        assert_eq!(
            on_server.len(),
            2,
            "compat={compat}: the earlier one and one more, not three"
        );
        assert!(on_server.iter().any(|f| f.id == sent.file.id));

        // Cut before it reached the server: nothing landed, and the earlier copy (same name,
        // same size, the user's) must not pass for it: it is sent again.
        cutter.before_server.store(true, Ordering::SeqCst);
        cutter.armed.store(true, Ordering::SeqCst);
        let again = nurse
            .client
            .upload_file(conv, &path, quiet())
            .await
            .unwrap();
        assert!(!cutter.armed.load(Ordering::SeqCst), "the request was cut");
        assert!(
            ![earlier.file.id, sent.file.id].contains(&again.file.id),
            "compat={compat}: an earlier copy passed for one that never landed"
        );
        assert_eq!(n.api.files(conv).await.unwrap().len(), 3);
    }
}

#[tokio::test]
async fn past_the_upload_rate_the_refusal_says_uploads_not_sign_ins() {
    let t = two(nursecare_server::Settings {
        files: nursecare_server::files::FileSettings {
            uploads_per_minute: 1,
            ..Default::default()
        },
        ..settings(false)
    })
    .await;
    let path = pdf(t.dir.path(), "a.pdf", "z");
    t.nurse
        .client
        .upload_file(t.conv, &path, quiet())
        .await
        .unwrap();
    let e = t
        .nurse
        .client
        .upload_file(t.conv, &path, quiet())
        .await
        .unwrap_err();
    match e {
        ClientError::Api(nursecare_core::api::ApiError::Rejected {
            status: 429,
            message,
        }) => {
            assert!(message.contains("uploads"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}
