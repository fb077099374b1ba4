//! `/files/…`: the web app's exact requests, who may reach a file, the limits, the checks on
//! content and names, signed links, live events, and what is left on disk.

use crate::util::*;
use nursecare_server::Settings;
use nursecare_server::files::FileSettings;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

const BOUNDARY: &str = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

/// A JPEG's first bytes and some more.
const JPEG: &[u8] =
    b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00 wound photo";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n";

/// One part of a form: (field, file name if a file, declared type, bytes).
type Part<'a> = (&'a str, Option<&'a str>, &'a str, &'a [u8]);

/// A `multipart/form-data` body as a browser's `FormData` sends it.
fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, kind, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: {kind}\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The web app's upload: `file` first, then `conversationId` (FileUploadZone.tsx).
fn web_upload(name: &str, kind: &str, bytes: &[u8], conversation: i64) -> Vec<u8> {
    let conv = conversation.to_string();
    form(&[
        ("file", Some(name), kind, bytes),
        ("conversationId", None, "", conv.as_bytes()),
    ])
}

async fn post_form(s: &TestServer, token: &str, body: Vec<u8>) -> Resp {
    s.post_body(
        "/files/upload",
        token,
        format!("multipart/form-data; boundary={BOUNDARY}"),
        body,
    )
    .await
}

async fn upload(s: &TestServer, u: &User, name: &str, bytes: &[u8], conv: i64) -> Value {
    let r = post_form(
        s,
        &u.token,
        web_upload(name, "application/octet-stream", bytes, conv),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()
}

/// The bytes and headers of a GET (with a token, or none).
async fn fetch(
    s: &TestServer,
    path_or_url: &str,
    token: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let url = if path_or_url.starts_with("http") {
        path_or_url.to_owned()
    } else {
        format!("{}{path_or_url}", s.base)
    };
    let mut req = s.http.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

fn stored_copies(s: &TestServer) -> usize {
    let dir = s.state.settings.files.dir.clone().unwrap();
    std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_type().unwrap().is_file())
        .count()
}

fn incoming(s: &TestServer) -> usize {
    let dir = s.state.settings.files.dir.clone().unwrap();
    std::fs::read_dir(dir.join("incoming")).unwrap().count()
}

async fn shares_a_file_as_the_web_app_does(settings: Settings) {
    let s = TestServer::start_with(settings).await;
    let (nurse, patient, conv) = s.pair().await;
    let sent = upload(&s, &patient, "wound.jpg", JPEG, conv).await;
    assert_eq!(sent["success"], true);
    let file = &sent["file"];
    // Production's keys, exactly (no uploadedBy in the upload's answer).
    let mut keys: Vec<&str> = file
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["createdAt", "filename", "id", "mimetype", "size", "url"]
    );
    assert_eq!(file["filename"], "wound.jpg");
    assert_eq!(
        file["mimetype"], "image/jpeg",
        "from the bytes, not the declared type"
    );
    assert_eq!(file["size"], JPEG.len());
    let id = file["id"].as_i64().unwrap();
    let later = upload(&s, &nurse, "care plan.pdf", PDF, conv).await;

    // The list: newest first, each with its uploader (the web app's FileGallery).
    let list = s
        .get(&format!("/files/conversation/{conv}"), &nurse.token)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let list = list.json();
    assert_eq!(list["success"], true);
    let files = list["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["id"], later["file"]["id"]);
    assert_eq!(files[1]["uploadedBy"]["id"], patient.id);
    assert!(files[1]["uploadedBy"]["email"].is_string());

    // Download with the token (the web app's axios blob), as an attachment.
    let (status, headers, bytes) =
        fetch(&s, &format!("/files/{id}/download"), Some(&nurse.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, JPEG);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"wound.jpg\""),
        "{disposition}"
    );

    // The url opens without a token (the web app's <img src>), until it is tampered with.
    let url = files[1]["url"].as_str().unwrap();
    assert!(url.starts_with(&s.base), "{url}");
    let (status, _, bytes) = fetch(&s, url, None).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, JPEG));
    // A character in the middle of the signature changed (the last one may only carry
    // padding bits, which would fail decoding before the signature is checked).
    let mut forged: Vec<char> = url.chars().collect();
    let middle = forged.len() - 20;
    forged[middle] = if forged[middle] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    assert_eq!(fetch(&s, &forged, None).await.0, StatusCode::NOT_FOUND);
    let other_file = url.replace(
        &format!("/link/{id}/"),
        &format!("/link/{}/", later["file"]["id"]),
    );
    assert_eq!(fetch(&s, &other_file, None).await.0, StatusCode::NOT_FOUND);

    // GET /files/:id.
    let one = s.get(&format!("/files/{id}"), &patient.token).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["uploadedBy"]["id"], patient.id);

    // Only the uploader deletes; then it is gone, link and all.
    let refused = s.delete(&format!("/files/{id}"), &nurse.token).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let deleted = s.delete(&format!("/files/{id}"), &patient.token).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(deleted.json()["message"], "File deleted successfully");
    assert_eq!(fetch(&s, url, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        s.get(&format!("/files/{id}"), &patient.token).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stored_copies(&s),
        1,
        "the photo's copy went with its only row"
    );
}

#[tokio::test]
async fn the_web_apps_files_panel_works_on_our_server() {
    shares_a_file_as_the_web_app_does(Settings::default()).await;
}

#[tokio::test]
async fn the_web_apps_files_panel_works_in_production_compat() {
    shares_a_file_as_the_web_app_does(compat()).await;
}

#[tokio::test]
async fn only_participants_reach_a_file_and_outsiders_learn_nothing() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let outsider = s
        .user("outsider@example.com", nursecare_wire::Role::Patient)
        .await;
    let sent = upload(&s, &nurse, "plan.pdf", PDF, conv).await;
    let id = sent["file"]["id"].as_i64().unwrap();
    let unknown = id + 100;
    for (path, known) in [
        (format!("/files/{id}"), format!("/files/{unknown}")),
        (
            format!("/files/{id}/download"),
            format!("/files/{unknown}/download"),
        ),
    ] {
        let theirs = s.get(&path, &outsider.token).await;
        let none = s.get(&known, &outsider.token).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            theirs.text, none.text,
            "the same answer as for no file at all"
        );
    }
    let list = s
        .get(&format!("/files/conversation/{conv}"), &outsider.token)
        .await;
    assert_eq!(list.status, StatusCode::NOT_FOUND);
    assert_eq!(
        s.delete(&format!("/files/{id}"), &outsider.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let into_theirs = post_form(
        &s,
        &outsider.token,
        web_upload("x.pdf", "application/pdf", PDF, conv),
    )
    .await;
    assert_eq!(
        into_theirs.status,
        StatusCode::NOT_FOUND,
        "{}",
        into_theirs.text
    );
    let anonymous = fetch(&s, &format!("/files/{id}/download"), None).await.0;
    assert_eq!(anonymous, StatusCode::UNAUTHORIZED);
    // The participants still have it.
    assert_eq!(
        s.get(&format!("/files/{id}"), &patient.token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn content_decides_the_kind_and_names_cannot_disguise_it() {
    let s = TestServer::start().await;
    let (nurse, _patient, conv) = s.pair().await;
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff this program cannot be run";
    for (name, bytes, why) in [
        ("discharge.pdf", &exe[..], "a renamed executable"),
        (
            "notes.bat",
            &b"del /q C:\\*\r\n"[..],
            "text named as a script",
        ),
        (
            "pic.svg",
            &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
            "SVG is text named .svg",
        ),
        ("photo.png", JPEG, "a JPEG named .png"),
        (
            "legacy.doc",
            &b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"[..],
            "a legacy Office file",
        ),
    ] {
        let r = post_form(
            &s,
            &nurse.token,
            web_upload(name, "application/pdf", bytes, conv),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{why}: {}",
            r.text
        );
        assert!(
            r.json()["message"].as_str().unwrap().len() > 20,
            "{why}: a message that says why"
        );
    }
    // A path, control characters and direction marks in the name: the base name is kept.
    // (Control characters in a name are the unit tests' in `files::names`: a browser never
    // sends them raw in a header.)
    let sent = upload(
        &s,
        &nurse,
        "../../etc/\u{202E}notes.txt",
        b"plain words\n",
        conv,
    )
    .await;
    assert_eq!(sent["file"]["filename"], "notes.txt");
    assert_eq!(sent["file"]["mimetype"], "text/plain");
    let photo = upload(&s, &nurse, "IMG_0042", JPEG, conv).await;
    assert_eq!(
        photo["file"]["filename"], "IMG_0042.jpg",
        "a name without extension gets its kind's"
    );
    assert_eq!(stored_copies(&s), 2, "nothing refused was kept");
    assert_eq!(incoming(&s), 0);
}

#[tokio::test]
async fn malformed_uploads_get_a_clear_4xx_and_store_nothing() {
    let s = TestServer::start_with(Settings {
        files: FileSettings {
            max_bytes: 1024 * 1024,
            ..FileSettings::default()
        },
        ..Settings::default()
    })
    .await;
    let (nurse, _patient, conv) = s.pair().await;
    let conv_text = conv.to_string();
    let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
        (
            "wrong field name",
            form(&[
                ("upload", Some("a.pdf"), "application/pdf", PDF),
                ("conversationId", None, "", conv_text.as_bytes()),
            ]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "no conversation",
            form(&[("file", Some("a.pdf"), "application/pdf", PDF)]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a conversation that is no number",
            form(&[
                ("file", Some("a.pdf"), "application/pdf", PDF),
                ("conversationId", None, "", b"1 OR 1=1"),
            ]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "an empty file",
            web_upload("a.txt", "text/plain", b"", conv),
            StatusCode::BAD_REQUEST,
        ),
        (
            "two files",
            form(&[
                ("file", Some("a.pdf"), "application/pdf", PDF),
                ("file", Some("b.pdf"), "application/pdf", PDF),
                ("conversationId", None, "", conv_text.as_bytes()),
            ]),
            StatusCode::BAD_REQUEST,
        ),
        (
            "cut short",
            {
                let mut b = web_upload("a.pdf", "application/pdf", PDF, conv);
                b.truncate(b.len() / 2);
                b
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "one byte over the limit",
            web_upload("big.txt", "text/plain", &vec![b'a'; 1024 * 1024 + 1], conv),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (why, body, want) in cases {
        let r = post_form(&s, &nurse.token, body).await;
        assert_eq!(r.status, want, "{why}: {}", r.text);
        assert!(
            !r.json()["message"].as_str().unwrap_or_default().is_empty(),
            "{why}"
        );
        if want == StatusCode::PAYLOAD_TOO_LARGE {
            assert!(r.text.contains("1 MB"), "the limit is named: {}", r.text);
        }
    }
    let long_id = form(&[
        ("file", Some("a.pdf"), "application/pdf", PDF),
        ("conversationId", None, "", "9".repeat(100).as_bytes()),
    ]);
    let r = post_form(&s, &nurse.token, long_id).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "an id field of any length is not held: {}",
        r.text
    );
    let not_multipart = s
        .post(
            "/files/upload",
            &nurse.token,
            serde_json::json!({"file": "x"}),
        )
        .await;
    assert_eq!(
        not_multipart.status,
        StatusCode::BAD_REQUEST,
        "{}",
        not_multipart.text
    );

    // A 1 GB body: refused at the limit without reading the rest.
    let chunk = bytes::Bytes::from(vec![b'a'; 64 * 1024]);
    let mut head = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.txt\"\r\nContent-Type: text/plain\r\n\r\n").into_bytes();
    head.truncate(head.len());
    let parts = std::iter::once(bytes::Bytes::from(head))
        .chain(std::iter::repeat_n(chunk, 16 * 1024))
        .map(Ok::<_, std::io::Error>);
    let started = std::time::Instant::now();
    let huge = s
        .http
        .post(format!("{}/files/upload", s.base))
        .bearer_auth(&nurse.token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            parts,
        )))
        .send()
        .await;
    match huge {
        Ok(r) => assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE),
        // The server answered and closed while the client was still sending.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "not read to the end"
    );
    assert_eq!(stored_copies(&s), 0);
    assert_eq!(incoming(&s), 0);
    // Still serving.
    upload(&s, &nurse, "after.pdf", PDF, conv).await;
}

#[tokio::test]
async fn uploads_are_limited_per_user_per_minute() {
    let s = TestServer::start_with(Settings {
        files: FileSettings {
            uploads_per_minute: 2,
            ..FileSettings::default()
        },
        ..Settings::default()
    })
    .await;
    let (nurse, patient, conv) = s.pair().await;
    upload(&s, &nurse, "a.pdf", PDF, conv).await;
    upload(&s, &nurse, "b.pdf", PDF, conv).await;
    let third = post_form(
        &s,
        &nurse.token,
        web_upload("c.pdf", "application/pdf", PDF, conv),
    )
    .await;
    assert_eq!(
        third.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        third.text
    );
    assert!(third.retry_after.is_some());
    upload(&s, &patient, "d.pdf", PDF, conv).await;
}

#[tokio::test]
async fn links_expire() {
    let s = TestServer::start_with(Settings {
        files: FileSettings {
            link_for: Duration::ZERO,
            ..FileSettings::default()
        },
        ..Settings::default()
    })
    .await;
    let (nurse, _patient, conv) = s.pair().await;
    let sent = upload(&s, &nurse, "a.pdf", PDF, conv).await;
    let url = sent["file"]["url"].as_str().unwrap();
    assert_eq!(fetch(&s, url, None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_other_side_hears_of_a_file_live_on_our_server_only() {
    for compat_mode in [false, true] {
        let s = TestServer::start_with(if compat_mode {
            compat()
        } else {
            Settings::default()
        })
        .await;
        let (nurse, patient, conv) = s.pair().await;
        let sock = s.registered(&patient).await;
        let sent = upload(&s, &nurse, "plan.pdf", PDF, conv).await;
        if compat_mode {
            sock.quiet("fileShared").await;
            continue;
        }
        let got = sock.expect("fileShared").await;
        assert_eq!(got.data()["conversationId"], conv);
        assert_eq!(got.data()["file"]["id"], sent["file"]["id"]);
        assert_eq!(got.data()["file"]["uploadedBy"]["id"], nurse.id);
        let id = sent["file"]["id"].as_i64().unwrap();
        s.delete(&format!("/files/{id}"), &nurse.token).await;
        let gone = sock.expect("fileRemoved").await;
        assert_eq!(gone.data()["fileId"], id);
    }
}

#[tokio::test]
async fn one_copy_of_the_same_bytes_stays_while_any_upload_holds_it() {
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let a = upload(&s, &nurse, "scan.pdf", PDF, conv).await;
    let b = upload(&s, &patient, "same scan.pdf", PDF, conv).await;
    assert_eq!(stored_copies(&s), 1);
    s.delete(&format!("/files/{}", a["file"]["id"]), &nurse.token)
        .await;
    assert_eq!(stored_copies(&s), 1, "the other upload still holds it");
    let (status, _, bytes) = fetch(
        &s,
        &format!("/files/{}/download", b["file"]["id"]),
        Some(&nurse.token),
    )
    .await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PDF));
    s.delete(&format!("/files/{}", b["file"]["id"]), &patient.token)
        .await;
    assert_eq!(stored_copies(&s), 0);
}
