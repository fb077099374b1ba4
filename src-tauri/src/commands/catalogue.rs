//! The one list of the window's commands. It registers them with Tauri, checks at compile time
//! that each entry's arguments and answer are the function's own, and describes them for the
//! UI's generated TypeScript (`ui/src/bindings/commands.ts`, written by the bindings test), so
//! a command changed here without the UI following fails `tsc`, not a nurse's click.

use super::{Answer, calls, conversations, files, lock, messages, session, settings};
use crate::notifications::Notifier;
use crate::state::AppState;
use crate::transfers::Transfers;
use crate::ui_types::{Attached, FeedNotice, PageTimes, SessionInfo, TransferProgress};
use nursecare_core::cache::{ChatFile, ConversationSummary, OutboxItem};
use nursecare_core::files::Saved;
use nursecare_core::lock::LockPolicy;
use nursecare_core::my_call::CallNow;
use nursecare_core::search::SearchHit;
use nursecare_core::settings::Settings;
use nursecare_wire::{Id, Message, VideoCall};
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use ts_rs::TS;

/// One command as the UI sees it: its name, its arguments (camelCase, as Tauri maps them)
/// with their TypeScript types, and the TypeScript type of its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandShape {
    pub name: &'static str,
    /// Its file in `commands/` and every parameter's Rust name, in order (what Tauri injects,
    /// then what the window sends): checked against the source, since the compile-time check
    /// sees types, not names.
    pub module: &'static str,
    pub params: Vec<&'static str>,
    pub args: Vec<(String, String)>,
    pub answer: String,
}

/// A type that crosses the IPC boundary, named as the generated TypeScript names it.
/// Implemented for each type the commands use, not for every `TS` type: a channel is not one.
pub trait IpcType {
    fn ts_name(cfg: &ts_rs::Config) -> String;
}

macro_rules! ipc_types_via_ts {
    ($($t:ty),* $(,)?) => {$(
        impl IpcType for $t {
            fn ts_name(cfg: &ts_rs::Config) -> String {
                <$t as TS>::name(cfg)
            }
        }
    )*};
}

ipc_types_via_ts!(
    (),
    bool,
    u32,
    u64,
    Id,
    Option<Id>,
    String,
    Settings,
    SessionInfo,
    PageTimes,
    Attached,
    LockPolicy,
    OutboxItem,
    Vec<Message>,
    Vec<ConversationSummary>,
    Vec<SearchHit>,
    Option<CallNow>,
    Vec<VideoCall>,
    Vec<ChatFile>,
    Option<ChatFile>,
    Option<Saved>,
    Vec<String>,
);

impl IpcType for Channel<FeedNotice> {
    fn ts_name(cfg: &ts_rs::Config) -> String {
        format!("Channel<{}>", FeedNotice::name(cfg))
    }
}

/// Raw bytes: an `ArrayBuffer` in the window.
impl IpcType for tauri::ipc::Response {
    fn ts_name(_: &ts_rs::Config) -> String {
        "ArrayBuffer".into()
    }
}

impl IpcType for Channel<TransferProgress> {
    fn ts_name(cfg: &ts_rs::Config) -> String {
        format!("Channel<{}>", TransferProgress::name(cfg))
    }
}

/// snake_case → camelCase, as Tauri renames command arguments.
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

macro_rules! catalogue {
    ($(
        $kind:ident $module:ident :: $name:ident
        [$($ctx:ident : $cty:ty),*]
        ($($arg:ident : $aty:ty),*) -> $answer:ty;
    )*) => {
        /// Tauri's handler for every command in the catalogue.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($module::$name),*]
        }

        /// The commands as the UI's TypeScript describes them.
        pub fn shapes(cfg: &ts_rs::Config) -> Vec<CommandShape> {
            vec![$(CommandShape {
                name: stringify!($name),
                module: stringify!($module),
                params: vec![$(stringify!($ctx),)* $(stringify!($arg)),*],
                args: vec![$((camel(stringify!($arg)), <$aty as IpcType>::ts_name(cfg))),*],
                answer: <$answer as IpcType>::ts_name(cfg),
            }),*]
        }

        /// Never called: each function calls its command with the catalogue's argument types in
        /// the catalogue's order and answers the catalogue's type, so the list cannot drift
        /// from the functions.
        #[allow(dead_code, unused_variables, clippy::too_many_arguments)]
        mod signatures {
            use super::*;
            $(catalogue!(@check $kind $module::$name [$($ctx: $cty),*] ($($arg: $aty),*) -> $answer);)*
        }
    };
    (@check async $module:ident :: $name:ident [$($ctx:ident : $cty:ty),*] ($($arg:ident : $aty:ty),*) -> $answer:ty) => {
        pub async fn $name($($ctx: $cty,)* $($arg: $aty),*) -> Answer<$answer> {
            $module::$name($($ctx,)* $($arg),*).await
        }
    };
    (@check sync $module:ident :: $name:ident [$($ctx:ident : $cty:ty),*] ($($arg:ident : $aty:ty),*) -> $answer:ty) => {
        pub fn $name($($ctx: $cty,)* $($arg: $aty),*) -> Answer<$answer> {
            $module::$name($($ctx,)* $($arg),*)
        }
    };
}

// kind module::command [what Tauri injects] (what the window sends) -> what it answers;
catalogue! {
    async session::attach [state: State<'_, Arc<AppState>>] (events: Channel<FeedNotice>) -> Attached;
    async session::pull_events [state: State<'_, Arc<AppState>>] (feed: u64) -> tauri::ipc::Response;
    async session::sign_in [state: State<'_, Arc<AppState>>] (server: String, email: String, password: String) -> SessionInfo;
    async session::sign_out [state: State<'_, Arc<AppState>>] (forget_cache: bool) -> SessionInfo;
    sync session::reconnect_now [state: State<'_, Arc<AppState>>] () -> ();
    sync session::first_paint [state: State<'_, Arc<AppState>>] (page: PageTimes) -> ();
    sync session::quit [app: AppHandle] () -> ();
    async conversations::conversations [state: State<'_, Arc<AppState>>] () -> Vec<ConversationSummary>;
    sync conversations::open_conversation [state: State<'_, Arc<AppState>>, notifier: State<'_, Arc<Notifier>>] (conversation_id: Option<Id>) -> ();
    async conversations::history [state: State<'_, Arc<AppState>>] (conversation_id: Id, before: Option<Id>, limit: u32) -> Vec<Message>;
    async conversations::around [state: State<'_, Arc<AppState>>] (conversation_id: Id, message_id: Id, count: u32) -> Vec<Message>;
    async conversations::mark_read [state: State<'_, Arc<AppState>>] (conversation_id: Id) -> u64;
    async conversations::set_draft [state: State<'_, Arc<AppState>>] (conversation_id: Id, text: String) -> ();
    async conversations::set_muted [state: State<'_, Arc<AppState>>] (conversation_id: Id, muted: bool) -> ();
    async messages::send_message [state: State<'_, Arc<AppState>>] (conversation_id: Id, text: String, urgent: bool) -> OutboxItem;
    async messages::retry_message [state: State<'_, Arc<AppState>>] (client_id: String) -> OutboxItem;
    async messages::discard_message [state: State<'_, Arc<AppState>>] (client_id: String) -> bool;
    async messages::keystroke [state: State<'_, Arc<AppState>>] (conversation_id: Id) -> ();
    async messages::stop_typing [state: State<'_, Arc<AppState>>] (conversation_id: Id) -> ();
    async messages::search [state: State<'_, Arc<AppState>>] (query: String, limit: u32) -> Vec<SearchHit>;
    sync messages::open_link [app: AppHandle] (url: String) -> ();
    async calls::start_call [state: State<'_, Arc<AppState>>] (conversation_id: Id) -> Option<CallNow>;
    async calls::accept_call [state: State<'_, Arc<AppState>>] (room_name: String) -> Option<CallNow>;
    async calls::reject_call [state: State<'_, Arc<AppState>>] (call_id: Id) -> ();
    async calls::hang_up [state: State<'_, Arc<AppState>>] (call_id: Id) -> ();
    async calls::rejoin_call [state: State<'_, Arc<AppState>>] () -> Option<CallNow>;
    async calls::call_history [state: State<'_, Arc<AppState>>] (conversation_id: Id) -> Vec<VideoCall>;
    async files::files [state: State<'_, Arc<AppState>>] (conversation_id: Id) -> Vec<ChatFile>;
    async files::choose_files [app: AppHandle, state: State<'_, Arc<AppState>>] () -> Vec<String>;
    async files::upload_file [state: State<'_, Arc<AppState>>, transfers: State<'_, Arc<Transfers>>] (conversation_id: Id, path: String, transfer_id: String, progress: Channel<TransferProgress>) -> Option<ChatFile>;
    sync files::cancel_transfer [transfers: State<'_, Arc<Transfers>>] (transfer_id: String) -> ();
    async files::open_file [app: AppHandle, state: State<'_, Arc<AppState>>, transfers: State<'_, Arc<Transfers>>] (file_id: Id, transfer_id: String, progress: Channel<TransferProgress>) -> Option<Saved>;
    async files::file_thumbnail [state: State<'_, Arc<AppState>>] (file_id: Id) -> tauri::ipc::Response;
    async files::delete_file [state: State<'_, Arc<AppState>>] (file_id: Id) -> ();
    sync settings::get_settings [state: State<'_, Arc<AppState>>] () -> Settings;
    sync settings::save_settings [app: AppHandle, state: State<'_, Arc<AppState>>, notifier: State<'_, Arc<Notifier>>] (settings: Settings) -> Settings;
    sync lock::lock_now [state: State<'_, Arc<AppState>>] () -> ();
    sync lock::input [state: State<'_, Arc<AppState>>] () -> ();
    async lock::unlock [state: State<'_, Arc<AppState>>] (typed: String) -> SessionInfo;
    async lock::switch_nurse [state: State<'_, Arc<AppState>>] (user_id: Id) -> SessionInfo;
    async lock::set_pin [state: State<'_, Arc<AppState>>] (password: String, pin: String) -> SessionInfo;
    sync lock::lock_policy [state: State<'_, Arc<AppState>>] () -> LockPolicy;
    sync lock::set_lock_minutes [state: State<'_, Arc<AppState>>] (minutes: u32) -> LockPolicy;
}

/// The UI's `commands.ts`: each command's arguments and answer, typed.
pub fn typescript(cfg: &ts_rs::Config) -> String {
    let shapes = shapes(cfg);
    let mut imports = std::collections::BTreeSet::new();
    for shape in &shapes {
        for ty in shape.args.iter().map(|(_, t)| t).chain([&shape.answer]) {
            for word in ty.split(|c: char| !c.is_ascii_alphanumeric()) {
                if word.starts_with(|c: char| c.is_ascii_uppercase())
                    && !["Array", "ArrayBuffer", "Channel", "Record"].contains(&word)
                {
                    imports.insert(word.to_owned());
                }
            }
        }
    }
    let mut out = String::from(
        "// Generated from src-tauri/src/commands/catalogue.rs by src-tauri/tests/bindings.rs. Do not edit.\n",
    );
    out.push_str("import type { Channel } from \"@tauri-apps/api/core\";\n");
    for name in &imports {
        out.push_str(&format!("import type {{ {name} }} from \"./{name}\";\n"));
    }
    out.push_str("\n/** Every command the window may call: its arguments and its answer. */\nexport type Commands = {\n");
    for shape in &shapes {
        let args = if shape.args.is_empty() {
            "Record<string, never>".to_owned()
        } else {
            let fields: Vec<String> = shape
                .args
                .iter()
                .map(|(n, t)| format!("{n}: {t}"))
                .collect();
            format!("{{ {} }}", fields.join("; "))
        };
        out.push_str(&format!(
            "  {}: {{ args: {args}; answer: {} }};\n",
            shape.name, shape.answer
        ));
    }
    out.push_str("};\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ts_rs::Config {
        ts_rs::Config::new().with_large_int("number")
    }

    #[test]
    fn arguments_are_named_as_tauri_renames_them() {
        let history = shapes(&cfg())
            .into_iter()
            .find(|s| s.name == "history")
            .unwrap();
        assert_eq!(
            history.args,
            vec![
                ("conversationId".to_owned(), "number".to_owned()),
                ("before".to_owned(), "number | null".to_owned()),
                ("limit".to_owned(), "number".to_owned()),
            ]
        );
        assert_eq!(history.answer, "Array<Message>");
    }

    #[test]
    fn every_command_once_and_the_channel_typed() {
        let shapes = shapes(&cfg());
        let mut names: Vec<_> = shapes.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), shapes.len());
        let ts = typescript(&cfg());
        assert!(
            ts.contains("attach: { args: { events: Channel<FeedNotice> }; answer: Attached };"),
            "{ts}"
        );
        assert!(
            ts.contains("pull_events: { args: { feed: number }; answer: ArrayBuffer };"),
            "{ts}"
        );
        assert!(
            ts.contains("import type { FeedNotice } from \"./FeedNotice\";"),
            "{ts}"
        );
        assert!(
            ts.contains("quit: { args: Record<string, never>; answer: null };"),
            "{ts}"
        );
    }

    /// The parameters of `function` in `source`, by name, in order.
    fn params_in_source(source: &str, function: &str) -> Vec<String> {
        let start = [
            format!("pub fn {function}("),
            format!("pub async fn {function}("),
        ]
        .iter()
        .find_map(|p| source.find(p.as_str()).map(|i| i + p.len()))
        .unwrap_or_else(|| panic!("no fn {function}"));
        let (mut depth, mut names, mut current) = (0i32, Vec::new(), String::new());
        for c in source[start..].chars() {
            match c {
                '(' | '<' => depth += 1,
                ')' if depth == 0 => break,
                ')' | '>' => depth -= 1,
                ',' if depth == 0 => {
                    names.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        names.push(current);
        names
            .iter()
            .filter_map(|p| p.split(':').next())
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// A parameter renamed or two of one type swapped still compile: the names are checked
    /// here against each command's source.
    #[test]
    fn the_catalogue_names_each_parameter_as_its_function_does() {
        for shape in shapes(&cfg()) {
            let source = match shape.module {
                "session" => include_str!("session.rs"),
                "conversations" => include_str!("conversations.rs"),
                "messages" => include_str!("messages.rs"),
                "settings" => include_str!("settings.rs"),
                "calls" => include_str!("calls.rs"),
                "files" => include_str!("files.rs"),
                "lock" => include_str!("lock.rs"),
                other => panic!("unknown module {other}"),
            };
            assert_eq!(
                params_in_source(source, shape.name),
                shape.params,
                "{}::{}",
                shape.module,
                shape.name
            );
        }
    }

    /// build.rs declares the commands for the capability files and permissions/app.toml
    /// grants them: both must name exactly the catalogue's, or a command is refused (or an
    /// unknown one granted).
    #[test]
    fn the_build_step_and_the_permissions_name_the_same_commands() {
        let mut ours: Vec<String> = shapes(&cfg()).iter().map(|s| s.name.to_owned()).collect();
        ours.sort();
        let quoted = |text: &str, prefix: &str| -> Vec<String> {
            let mut v: Vec<String> = text
                .split('"')
                .skip(1)
                .step_by(2)
                .filter_map(|w| w.strip_prefix(prefix))
                .filter(|w| {
                    !w.is_empty()
                        && w.chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
                })
                .map(|w| w.replace('-', "_"))
                .collect();
            v.sort();
            v
        };
        let build = include_str!("../../build.rs");
        let list = &build[build.find("const COMMANDS").unwrap()..build.find("];").unwrap()];
        assert_eq!(quoted(list, ""), ours, "build.rs");
        assert_eq!(
            quoted(include_str!("../../permissions/app.toml"), "allow-"),
            ours,
            "permissions/app.toml"
        );
    }
}
