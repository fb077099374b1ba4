//! `files …` against the real server binary: share, list, save, delete, and the exit codes of
//! README's table (too large, kind refused, not yours, offline).

mod support;

use support::*;

#[test]
fn a_file_is_shared_listed_saved_and_deleted_with_the_tables_exit_codes() {
    let mut clinic = Clinic::start(false, &["--max-file-mb", "1"]);
    let conv = clinic.conversation.clone();
    let dir = clinic._dir.path().to_owned();
    let letter = dir.join("discharge letter.pdf");
    std::fs::write(&letter, b"%PDF-1.7\n% discharge letter\n%%EOF\n").unwrap();

    let shared = clinic
        .amara
        .json(&["files", "upload", &conv, letter.to_str().unwrap()]);
    let id = shared["file"]["id"].as_i64().unwrap().to_string();
    assert_eq!(shared["file"]["filename"], "discharge letter.pdf");

    // Chloe lists it and saves a copy, twice without overwriting.
    let listed = clinic.chloe.expect(0, &["files", "list", &conv]);
    assert!(
        listed.contains(&format!("#{id}  discharge letter.pdf")),
        "{listed}"
    );
    assert!(listed.contains("by Amara"), "{listed}");
    let out = dir.join("saved");
    let saved = clinic
        .chloe
        .json(&["files", "download", &id, "--to", out.to_str().unwrap()]);
    assert_eq!(saved["openable"], true);
    let path = saved["path"].as_str().unwrap().to_owned();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&letter).unwrap()
    );
    let again = clinic.chloe.expect(
        0,
        &["files", "download", &id, "--to", out.to_str().unwrap()],
    );
    assert!(again.contains("discharge letter (2).pdf"), "{again}");

    // Refusals, each with its own code.
    let script = dir.join("run.bat");
    std::fs::write(&script, "del /q C:\\*\r\n").unwrap();
    let refused = clinic
        .amara
        .run(&["files", "upload", &conv, script.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(12), "kind refused here");
    let big = dir.join("big.txt");
    std::fs::write(&big, "a".repeat(1024 * 1024 + 1)).unwrap();
    let too_large = clinic
        .amara
        .run(&["files", "upload", &conv, big.to_str().unwrap()]);
    assert_eq!(
        too_large.status.code(),
        Some(11),
        "{}",
        String::from_utf8_lossy(&too_large.stderr)
    );
    assert!(String::from_utf8_lossy(&too_large.stderr).contains("1 MB"));
    let missing = clinic.amara.run(&[
        "files",
        "upload",
        &conv,
        dir.join("nope.pdf").to_str().unwrap(),
    ]);
    assert_eq!(
        missing.status.code(),
        Some(13),
        "a file here that cannot be read"
    );
    let not_yours = clinic.chloe.run(&["files", "delete", &id]);
    assert_eq!(not_yours.status.code(), Some(7));

    // Offline: the list needs the server; the kept copy still saves.
    clinic.server.kill();
    assert_eq!(
        clinic.chloe.run(&["files", "list", &conv]).status.code(),
        Some(5)
    );
    clinic.chloe.expect(
        0,
        &["files", "download", &id, "--to", out.to_str().unwrap()],
    );
    clinic.server.restart();

    clinic.amara.expect(0, &["files", "delete", &id]);
    let after = clinic.chloe.json(&["files", "list", &conv]);
    assert_eq!(after, serde_json::json!([]));
}
