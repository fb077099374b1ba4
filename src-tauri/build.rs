//! Tauri's build step, with the app's own commands declared so the capability files can
//! grant them by name (and nothing else).

/// Every command the window may call (each needs `allow-<name>` in permissions/app.toml).
const COMMANDS: &[&str] = &[
    "attach",
    "pull_events",
    "sign_in",
    "sign_out",
    "reconnect_now",
    "first_paint",
    "quit",
    "conversations",
    "open_conversation",
    "history",
    "around",
    "mark_read",
    "set_draft",
    "set_muted",
    "send_message",
    "retry_message",
    "discard_message",
    "keystroke",
    "stop_typing",
    "search",
    "open_link",
    "start_call",
    "accept_call",
    "reject_call",
    "hang_up",
    "rejoin_call",
    "call_history",
    "files",
    "choose_files",
    "upload_file",
    "cancel_transfer",
    "open_file",
    "file_thumbnail",
    "delete_file",
    "get_settings",
    "save_settings",
    "lock_now",
    "input",
    "unlock",
    "switch_nurse",
    "set_pin",
    "lock_policy",
    "set_lock_minutes",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
