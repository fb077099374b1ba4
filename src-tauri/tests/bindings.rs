//! The UI's TypeScript types are generated from these Rust types (ts-rs), the core's and the
//! shell's, and its command signatures from the shell's catalogue, never written by hand: this test generates them and fails when `ui/src/bindings/` is not what it generates.
//! Regenerate with `NURSECARE_WRITE_BINDINGS=1 cargo test -p nursecare-desktop --test bindings`.

use nursecare_core::ErrorReport;
use nursecare_core::cache::{ChatFile, ConversationSummary, OutboxItem};
use nursecare_core::events::{Event, Snapshot};
use nursecare_core::files::Saved;
use nursecare_core::search::SearchHit;
use nursecare_core::settings::Settings;
use nursecare_desktop::commands::catalogue;
use nursecare_desktop::ui_types::{
    AppEvent, Attached, FeedNotice, PageTimes, SessionInfo, TransferProgress,
};
use nursecare_wire::{VideoCall, VideoCallWithUrl};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ts_rs::TS;

fn generate(dir: &Path) {
    // Ids and counts fit in a JavaScript number (ids are database rowids).
    let cfg = ts_rs::Config::new()
        .with_large_int("number")
        .with_out_dir(dir);
    Event::export_all(&cfg).unwrap();
    Snapshot::export_all(&cfg).unwrap();
    ErrorReport::export_all(&cfg).unwrap();
    SearchHit::export_all(&cfg).unwrap();
    Settings::export_all(&cfg).unwrap();
    ConversationSummary::export_all(&cfg).unwrap();
    OutboxItem::export_all(&cfg).unwrap();
    VideoCallWithUrl::export_all(&cfg).unwrap();
    VideoCall::export_all(&cfg).unwrap();
    AppEvent::export_all(&cfg).unwrap();
    SessionInfo::export_all(&cfg).unwrap();
    ChatFile::export_all(&cfg).unwrap();
    Saved::export_all(&cfg).unwrap();
    TransferProgress::export_all(&cfg).unwrap();
    FeedNotice::export_all(&cfg).unwrap();
    PageTimes::export_all(&cfg).unwrap();
    Attached::export_all(&cfg).unwrap();
    nursecare_core::lock::LockPolicy::export_all(&cfg).unwrap();
    std::fs::write(dir.join("commands.ts"), catalogue::typescript(&cfg)).unwrap();
    std::fs::write(dir.join("noticeWords.ts"), notice_words()).unwrap();
}

/// The call notices' words (`nursecare_wire::system::NOTICE_WORDS`), as the app says them.
fn notice_words() -> String {
    let mut ts = String::from(
        "// Generated from nursecare_wire::system::NOTICE_WORDS; the CLI says notices with the same table.\n\n/** What people read for each call notice's code. */\nexport const NOTICE_WORDS: Readonly<Record<string, string>> = {\n",
    );
    for (code, words) in nursecare_wire::system::NOTICE_WORDS {
        ts.push_str(&format!(
            "  {code}: {},\n",
            serde_json::to_string(words).unwrap()
        ));
    }
    ts.push_str("};\n");
    ts
}

fn files(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "ts") {
                let rel = path.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn the_ui_bindings_are_generated_from_the_rust_types() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
    let fresh = tempfile::tempdir().unwrap();
    generate(fresh.path());
    let generated = files(fresh.path());
    assert!(generated.len() > 10, "{generated:?}");
    if std::env::var_os("NURSECARE_WRITE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        generate(&committed);
        return;
    }
    let on_disk = files(&committed);
    let stale: Vec<_> = generated
        .iter()
        .filter(|(p, text)| on_disk.get(*p) != Some(*text))
        .map(|(p, _)| p.display().to_string())
        .chain(
            on_disk
                .keys()
                .filter(|p| !generated.contains_key(*p))
                .map(|p| format!("{} (no longer generated)", p.display())),
        )
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/bindings is stale ({stale:?}): run NURSECARE_WRITE_BINDINGS=1 cargo test -p nursecare-desktop --test bindings"
    );
}
