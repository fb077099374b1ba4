//! nursecare-cli: a headless NurseCare client on nursecare-core.
//!
//! Commands that need the server start a full client (link, sync, outbox), so any of them
//! delivers what was queued offline before it exits. `history --offline`, `search` and
//! `whoami` read only local state. Errors are one line on stderr and an exit code from
//! [`exit`] (the table is in README).

mod args;
mod call_watch;
mod exit;
mod files;
mod hold;
mod message_text;
mod output;

use args::{CallCommand, Cli, Command, FilesCommand, PinCommand, Store};
use clap::Parser;
use exit::Failure;
use nursecare_core::cache::{CacheHandle, OutboxState, SendFailure};
use nursecare_core::events::Connection;
use nursecare_core::secrets::SecretStoreKind;
use nursecare_core::session::{Kept, Session, SessionError};
use nursecare_core::vault::Secret;
use nursecare_core::{Client, ClientConfig, Event, EventStream, Profile};
use std::process::ExitCode;
use std::time::Duration;

/// How long `send` waits for the server to have the message.
const SEND_WAIT: Duration = Duration::from_secs(30);
/// How long a command waits for queued messages to go out before it exits.
const DRAIN_WAIT: Duration = Duration::from_secs(15);

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    logging();
    let as_json = cli.json;
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nursecare-cli: cannot start: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            if as_json {
                // A script reads why as data: the code's name, the code, the sentence.
                eprintln!(
                    "{}",
                    serde_json::json!({
                        "error": exit::name(f.code), "exitCode": f.code, "message": f.message,
                    })
                );
            } else {
                eprintln!("nursecare-cli: {}", f.message);
            }
            ExitCode::from(f.code)
        }
    }
}

/// Logs to stderr, `warn` unless `NURSECARE_LOG` says otherwise. Nothing the core logs holds a
/// token, a password or message text, and the dependencies that would are silenced.
fn logging() {
    let user = std::env::var("NURSECARE_LOG").unwrap_or_default();
    let filter = tracing_subscriber::EnvFilter::try_new(nursecare_core::logs::directives(&user))
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(nursecare_core::logs::directives("warn"))
        });
    // Colour codes only for a person at a terminal, never into a file or a pipe.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .try_init();
}

async fn run(cli: Cli) -> Result<u8, Failure> {
    let kind = match cli.secret_store {
        Store::Keychain => SecretStoreKind::Keychain,
        Store::File => SecretStoreKind::File,
    };
    let profile = Profile::new(&cli.server, cli.profile.clone(), kind)?;
    let as_json = cli.json;
    let wait = Duration::from_secs(cli.connect_timeout);
    let mut config = ClientConfig::default();
    if let Some(secs) = cli.ring_for {
        config.ring_for = Duration::from_secs(secs);
    }
    if cli.allow_plain_http {
        config.api.allow_plain_http = true;
        if nursecare_core::server_address::is_unencrypted_over_a_network(profile.server()) {
            eprintln!(
                "nursecare-cli: --allow-plain-http: the password, the token and messages to {} cross the network unencrypted",
                profile.server()
            );
        }
    }
    match cli.command {
        Command::Login { email } => login(&profile, &email, config.api.clone(), as_json).await,
        Command::Logout { forget_cache } => {
            let sessions = profile.sessions();
            // A locked account's cache is deleted only by its nurse (PIN or password).
            if forget_cache && sessions.kept().await?.is_some() {
                profile.remove_cache(&session(&profile).await?).await?;
            }
            sessions.logout().await?;
            if !as_json {
                output::line("Signed out.");
            }
            Ok(exit::OK)
        }
        Command::Whoami => {
            // Whose a locked account is can be said without its PIN (the app's lock screen
            // says as much).
            if let Some(Kept::Locked(a)) = profile.sessions().kept().await? {
                if as_json {
                    output::json(&serde_json::json!({
                        "userId": a.user_id, "email": a.email, "locked": true,
                        "server": profile.server(),
                    }));
                } else {
                    output::line(&format!(
                        "{} (user {}) on {}, locked with a PIN",
                        a.email,
                        a.user_id,
                        profile.server()
                    ));
                }
                return Ok(exit::OK);
            }
            let s = session(&profile).await?;
            if as_json {
                output::json(&serde_json::json!({
                    "userId": s.user_id, "email": s.email, "role": s.role, "server": s.server,
                }));
            } else {
                output::line(&format!(
                    "{} ({}, user {}) on {}",
                    s.email,
                    s.role.as_str(),
                    s.user_id,
                    s.server
                ));
            }
            Ok(exit::OK)
        }
        Command::Accounts => {
            let kept = profile.sessions().kept_all().await?;
            if as_json {
                let list: Vec<_> = kept
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        serde_json::json!({
                            "userId": k.user_id(), "email": k.email(),
                            "locked": matches!(k, Kept::Locked(_)), "inUse": i == 0,
                        })
                    })
                    .collect();
                output::json(&serde_json::json!(list));
            } else if kept.is_empty() {
                output::line("Nobody is signed in.");
            } else {
                for (i, k) in kept.iter().enumerate() {
                    output::line(&format!(
                        "{} {} (user {}){}",
                        if i == 0 { "*" } else { " " },
                        k.email(),
                        k.user_id(),
                        if matches!(k, Kept::Locked(_)) {
                            ", locked with a PIN"
                        } else {
                            ""
                        }
                    ));
                }
            }
            Ok(exit::OK)
        }
        Command::Switch { account } => {
            let sessions = profile.sessions();
            let wanted = account.trim();
            let found = sessions.kept_all().await?.into_iter().find(|k| {
                k.email().eq_ignore_ascii_case(wanted) || k.user_id().to_string() == wanted
            });
            let Some(found) = found else {
                return Err(Failure::new(
                    exit::SIGNED_OUT,
                    format!(
                        "{wanted} is not signed in on this computer: run `nursecare-cli login --email …`"
                    ),
                ));
            };
            sessions.make_current(found.user_id()).await?;
            if !as_json {
                output::line(&format!("Now using {}.", found.email()));
            }
            Ok(exit::OK)
        }
        Command::History {
            conversation_id,
            limit,
            offline: true,
        } => {
            let cache = local_cache(&profile).await?;
            let page = cache
                .call(move |c| c.messages(conversation_id, None, limit))
                .await;
            cache.close().await;
            let mut page = page.map_err(|e| Failure::new(exit::CACHE, e.to_string()))?;
            page.reverse();
            output::messages(&page, as_json);
            Ok(exit::OK)
        }
        Command::Search { query, limit } => {
            let cache = local_cache(&profile).await?;
            let found = cache.call(move |c| c.search(&query, limit)).await;
            cache.close().await;
            let found = found.map_err(|e| Failure::new(exit::CACHE, e.to_string()))?;
            output::messages(&found, as_json);
            Ok(exit::OK)
        }
        Command::Send {
            conversation_id,
            text,
            file,
            urgent,
        } => {
            // Read before connecting: a text that cannot be sent is told at once.
            let text = message_text::read(message_text::Source::of(text, file)).await?;
            let command = Command::Send {
                conversation_id,
                text: Some(text),
                file: None,
                urgent,
            };
            online(&profile, command, config, as_json, wait).await
        }
        Command::Pin {
            command: PinCommand::Set,
        } => pin_set(&profile, config.api.clone(), as_json).await,
        command => online(&profile, command, config, as_json, wait).await,
    }
}

/// A secret from `var`, else asked at the terminal (not echoed); `None` when neither can be.
fn secret_from(var: &str, prompt: &str) -> Result<Option<String>, Failure> {
    if let Ok(value) = std::env::var(var) {
        return Ok(Some(value));
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Ok(None);
    }
    rpassword::prompt_password(prompt)
        .map(Some)
        .map_err(|e| Failure::new(exit::USAGE, format!("cannot read it: {e}")))
}

async fn pin_set(
    profile: &Profile,
    api_config: nursecare_core::api::ApiConfig,
    as_json: bool,
) -> Result<u8, Failure> {
    let api = nursecare_core::api::ApiClient::new(profile.server(), api_config)?;
    let s = session(profile).await?;
    let missing = |what: &str, var: &str| {
        Failure::new(
            exit::USAGE,
            format!("{what} needed: run it at a terminal to be asked, or set {var}"),
        )
    };
    let pin = match std::env::var("NURSECARE_NEW_PIN") {
        Ok(pin) => pin,
        Err(_) => {
            let pin = secret_from("NURSECARE_NEW_PIN", "New PIN (6 or more digits): ")?
                .ok_or_else(|| missing("a new PIN", "NURSECARE_NEW_PIN"))?;
            let again =
                secret_from("NURSECARE_NEW_PIN", "The new PIN again: ")?.unwrap_or_default();
            if again != pin {
                return Err(Failure::new(
                    exit::USAGE,
                    "the two PINs differ; nothing changed",
                ));
            }
            pin
        }
    };
    // Checked before the password is asked for.
    nursecare_core::vault::pin_digits(&pin).map_err(SessionError::from)?;
    let password = secret_from("NURSECARE_PASSWORD", &format!("Password for {}: ", s.email))?
        .ok_or_else(|| missing("the account's password", "NURSECARE_PASSWORD"))?;
    profile.set_pin(&s, &api, &password, &pin).await?;
    if as_json {
        output::json(&serde_json::json!({"userId": s.user_id, "pin": true}));
    } else {
        output::line(&format!(
            "PIN set for {}: this computer keeps its sign-in sealed under the PIN and the password.",
            s.email
        ));
    }
    Ok(exit::OK)
}

async fn login(
    profile: &Profile,
    email: &str,
    api_config: nursecare_core::api::ApiConfig,
    as_json: bool,
) -> Result<u8, Failure> {
    // The address is checked before anyone types a password for it.
    let api = nursecare_core::api::ApiClient::new(profile.server(), api_config)?;
    let password = match std::env::var("NURSECARE_PASSWORD") {
        Ok(p) => p,
        Err(_) => rpassword::prompt_password(format!("Password for {email}: "))
            .map_err(|e| Failure::new(exit::USAGE, format!("cannot read the password: {e}")))?,
    };
    let s = profile.sessions().login(&api, email, &password).await?;
    if as_json {
        output::json(&serde_json::json!({"userId": s.user_id, "email": s.email, "role": s.role}));
    } else {
        output::line(&format!(
            "Signed in as {} ({}, user {}).",
            s.email,
            s.role.as_str(),
            s.user_id
        ));
    }
    Ok(exit::OK)
}

/// The signed-in session; an account locked with a PIN is opened with NURSECARE_PIN or what
/// the user types at the prompt (a PIN, or the password: both open it, and each wrong try
/// counts towards signing out, as in the app).
async fn session(profile: &Profile) -> Result<Session, Failure> {
    let sessions = profile.sessions();
    match sessions.kept().await? {
        Some(Kept::Open(s)) => Ok(s),
        Some(Kept::Locked(account)) => {
            let Some(typed) = secret_from(
                "NURSECARE_PIN",
                &format!("PIN (or password) for {}: ", account.email),
            )?
            else {
                return Err(SessionError::Locked {
                    email: account.email,
                }
                .into());
            };
            Ok(sessions.unlock(Secret::Either(&typed)).await?)
        }
        None => Err(Failure::new(
            exit::SIGNED_OUT,
            "not signed in (or the session expired): run `nursecare-cli login --email …`",
        )),
    }
}

async fn local_cache(profile: &Profile) -> Result<CacheHandle, Failure> {
    let s = session(profile).await?;
    let (cache, moved) = profile.open_cache(&s).await?;
    if let Some(m) = moved {
        eprintln!(
            "nursecare-cli: the local cache could not be read and was rebuilt empty (old file kept at {})",
            m.to.display()
        );
    }
    Ok(CacheHandle::spawn(cache))
}

/// Runs a command that needs the server, then lets queued messages go out.
async fn online(
    profile: &Profile,
    command: Command,
    config: ClientConfig,
    as_json: bool,
    wait: Duration,
) -> Result<u8, Failure> {
    let s = session(profile).await?;
    let (client, mut events) = Client::start(profile, &s, config).await?;
    let result = match command {
        Command::Watch { duration, open } => watch(&client, &mut events, duration, open).await,
        Command::Send {
            conversation_id,
            text,
            urgent,
            ..
        } => {
            let text = text.unwrap_or_default();
            // Where the server's features are known first: urgent is refused, not sent as
            // an ordinary message, on a server without it.
            if urgent {
                client.wait_online(wait).await;
            }
            let sent = Sending {
                conversation: conversation_id,
                text: &text,
                urgent,
            };
            send(&client, &mut events, sent, as_json, wait).await
        }
        Command::Call {
            command:
                CallCommand::Start {
                    conversation_id,
                    hold: Some(secs),
                },
        } => {
            async {
                ready(&client, &mut events, wait).await?;
                let hold = Duration::from_secs(secs);
                hold::run(&client, &mut events, conversation_id, hold, as_json).await
            }
            .await
        }
        Command::Call {
            command:
                CallCommand::Watch {
                    accept,
                    reject,
                    hold,
                },
        } => {
            async {
                ready(&client, &mut events, wait).await?;
                let answer = match (accept, reject) {
                    (true, _) => call_watch::Answer::Accept,
                    (_, true) => call_watch::Answer::Reject,
                    _ => call_watch::Answer::None,
                };
                let hold = hold.map(Duration::from_secs);
                call_watch::run(&client, &mut events, answer, hold, as_json).await
            }
            .await
        }
        // A kept file saves offline; one not kept yet is fetched over REST.
        Command::Files {
            command: command @ FilesCommand::Download { .. },
        } => files::run(&client, command, as_json)
            .await
            .map(|()| exit::OK),
        other => {
            async {
                ready(&client, &mut events, wait).await?;
                simple(&client, other, as_json).await
            }
            .await
        }
    };
    drain(&client).await;
    let refused = matches!(
        &*client.link().borrow(),
        nursecare_core::socket::LinkState::SessionExpired
    );
    let by_admin = client.signed_out_by_admin();
    client.shutdown().await;
    if refused {
        // Signed out once, as the app does: the next command says so in one line (the queue
        // and the cache are kept for the next login).
        profile.sessions().logout().await?;
        if by_admin {
            eprintln!("nursecare-cli: an administrator signed you out: sign in again");
            if result.is_ok() {
                return Ok(exit::SIGNED_OUT);
            }
        } else if result.is_ok() {
            eprintln!("nursecare-cli: the server refused this session: sign in again");
        }
    }
    result
}

/// Waits for the link and the first sync, as a command that reads or writes online does.
async fn ready(client: &Client, events: &mut EventStream, wait: Duration) -> Result<(), Failure> {
    let connected = client.wait_online(wait).await;
    report_rebuilt(events);
    if !connected {
        return Err(not_connected(client));
    }
    client.synced().await;
    Ok(())
}

fn not_connected(client: &Client) -> Failure {
    if matches!(
        &*client.link().borrow(),
        nursecare_core::socket::LinkState::SessionExpired
    ) {
        Failure::new(exit::SIGNED_OUT, "the session has expired: sign in again")
    } else {
        Failure::new(
            exit::UNREACHABLE,
            "cannot reach the server (history --offline and search work without it)",
        )
    }
}

fn report_rebuilt(events: &mut EventStream) {
    while let Ok(e) = events.try_recv() {
        if let Event::CacheRebuilt { moved_to, .. } = e {
            eprintln!(
                "nursecare-cli: the local cache could not be read; it was moved to {moved_to} and rebuilt from the server"
            );
        }
    }
}

/// Waits a little for the outbox to empty (only while online).
async fn drain(client: &Client) {
    let deadline = tokio::time::Instant::now() + DRAIN_WAIT;
    while tokio::time::Instant::now() < deadline {
        let online = matches!(
            &*client.link().borrow(),
            nursecare_core::socket::LinkState::Online { .. }
        );
        let pending = client
            .outbox(None)
            .await
            .map(|rows| rows.iter().any(|r| r.state == OutboxState::Pending))
            .unwrap_or(false);
        if !online || !pending {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn simple(client: &Client, command: Command, as_json: bool) -> Result<u8, Failure> {
    match command {
        Command::Conversations => {
            output::conversations(&client.conversations().await?, as_json);
        }
        Command::Open { user_id, booking } => {
            let c = client.open_with(user_id, booking).await?;
            if as_json {
                output::json(&c);
            } else {
                output::line(&format!("Conversation #{}", c.id));
            }
        }
        Command::History {
            conversation_id,
            limit,
            ..
        } => {
            let mut page = client.history(conversation_id, None, limit).await?;
            page.reverse();
            output::messages(&page, as_json);
        }
        Command::Read { conversation_id } => {
            let n = client.mark_read(conversation_id).await?;
            if as_json {
                output::json(&serde_json::json!({ "marked": n }));
            } else {
                output::line(&format!("Marked {n} message(s) read."));
            }
        }
        Command::Typing {
            conversation_id,
            duration,
        } => {
            // A keystroke a second keeps the indicator on (the core stops it after 2 s idle).
            let until = tokio::time::Instant::now() + Duration::from_secs(duration);
            while tokio::time::Instant::now() < until {
                client.keystroke(conversation_id).await;
                let left = until - tokio::time::Instant::now();
                tokio::time::sleep(left.min(Duration::from_secs(1))).await;
            }
            client.stop_typing(conversation_id).await;
            if !as_json {
                output::line("Stopped typing.");
            }
        }
        Command::Call { command } => call(client, command, as_json).await?,
        Command::Files { command } => files::run(client, command, as_json).await?,
        _ => unreachable!("handled elsewhere"),
    }
    Ok(exit::OK)
}

async fn call(client: &Client, command: CallCommand, as_json: bool) -> Result<(), Failure> {
    let one = |c: &nursecare_wire::VideoCall, url: Option<&str>| output::call(c, url, as_json);
    match command {
        CallCommand::Start {
            conversation_id, ..
        } => {
            let c = client.start_call(conversation_id).await?;
            one(&c.call, Some(&c.jitsi_url));
        }
        CallCommand::Accept { room_name } => {
            let c = client.accept_call(&room_name).await?;
            one(&c.call, Some(&c.jitsi_url));
        }
        CallCommand::Reject { call_id } => one(&client.reject_call(call_id).await?, None),
        CallCommand::End { call_id } => one(&client.end_call(call_id).await?, None),
        CallCommand::History { conversation_id } => {
            output::calls(&client.call_history(conversation_id).await?, as_json)
        }
        CallCommand::Watch { .. } => unreachable!("handled with the event stream"),
    }
    Ok(())
}

/// What `send` sends.
struct Sending<'a> {
    conversation: i64,
    text: &'a str,
    urgent: bool,
}

async fn send(
    client: &Client,
    events: &mut EventStream,
    sending: Sending<'_>,
    as_json: bool,
    wait: Duration,
) -> Result<u8, Failure> {
    let item = client
        .send_with(sending.conversation, sending.text, sending.urgent)
        .await?;
    if !client.wait_online(wait).await {
        if matches!(
            &*client.link().borrow(),
            nursecare_core::socket::LinkState::SessionExpired
        ) {
            return Err(not_sent_signed_out());
        }
        return Ok(queued(&item, as_json, client));
    }
    let wait = async {
        loop {
            match events.recv().await {
                Some(Event::Outbox { item: row }) if row.client_id == item.client_id => {
                    match row.state {
                        OutboxState::Sent => return Ok(row),
                        OutboxState::Failed => return Err(row),
                        OutboxState::Pending => {}
                    }
                }
                Some(Event::Connection {
                    state: Connection::SignedOut,
                    ..
                }) => return Err(item.clone()),
                Some(_) => {}
                None => return Err(item.clone()),
            }
        }
    };
    match tokio::time::timeout(SEND_WAIT, wait).await {
        Ok(Ok(row)) => {
            let id = row.message_id.unwrap_or_default();
            // It is sent: a failure to read it back must not say otherwise.
            let message = client
                .history(sending.conversation, None, 50)
                .await
                .unwrap_or_default()
                .into_iter()
                .find(|m| m.id == id);
            match (message, as_json) {
                (Some(m), true) => output::json(&m),
                (Some(m), false) => output::line(&output::message_line(&m)),
                (None, _) => output::line("Sent."),
            }
            Ok(exit::OK)
        }
        Ok(Err(row)) if row.state == OutboxState::Failed => {
            let reason = row.reason.as_deref().unwrap_or("the server refused it");
            // A refusal will not pass by retrying; a server failure might.
            let code = match row.failure {
                Some(SendFailure::Refused) => exit::REFUSED,
                _ => exit::FAILURE,
            };
            Err(Failure::new(code, format!("not sent: {reason}")))
        }
        _ => {
            if matches!(
                &*client.link().borrow(),
                nursecare_core::socket::LinkState::SessionExpired
            ) {
                return Err(not_sent_signed_out());
            }
            Ok(queued(&item, as_json, client))
        }
    }
}

/// The session was refused before the message was stored: it waits for the next login.
fn not_sent_signed_out() -> Failure {
    Failure::new(
        exit::SIGNED_OUT,
        "the session has expired: sign in again (the message is queued and goes out after the next login)",
    )
}

/// Says a message was queued; answers the exit code.
fn queued(item: &nursecare_core::cache::OutboxItem, as_json: bool, client: &Client) -> u8 {
    if as_json {
        output::json(item);
    }
    let online = matches!(
        &*client.link().borrow(),
        nursecare_core::socket::LinkState::Online { .. }
    );
    // Say what is true: offline, or online with no answer from the server yet.
    let why = if online {
        "the server has not confirmed it yet"
    } else {
        "offline"
    };
    eprintln!(
        "nursecare-cli: {why}: the message is queued and will be sent by the next command that gets online"
    );
    exit::QUEUED
}

async fn watch(
    client: &Client,
    events: &mut EventStream,
    duration: Option<u64>,
    open: Option<i64>,
) -> Result<u8, Failure> {
    if open.is_some() {
        client.open(open);
    }
    let until = duration.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    loop {
        let next = match until {
            Some(t) => match tokio::time::timeout_at(t, events.recv()).await {
                Ok(e) => e,
                Err(_) => return Ok(exit::OK),
            },
            None => tokio::select! {
                e = events.recv() => e,
                _ = tokio::signal::ctrl_c() => return Ok(exit::OK),
            },
        };
        let Some(event) = next else {
            return Ok(exit::OK);
        };
        output::json(&event);
        if matches!(
            event,
            Event::Connection {
                state: Connection::SignedOut,
                ..
            }
        ) {
            return Err(Failure::new(
                exit::SIGNED_OUT,
                "the session has expired: sign in again",
            ));
        }
    }
}
