//! `nursecare-server`: flags, logging and signals around [`nursecare_server::Server`].

use anyhow::Context;
use clap::Parser;
use nursecare_server::connections::{self, Limits as ConnectionLimits};
use nursecare_server::files::FileSettings;
use nursecare_server::jitsi::{self, Jitsi};
use nursecare_server::realtime::rate::{Rate, SocketRates};
use nursecare_server::store::sqlite::SqliteStore;
use nursecare_server::store::{NewUser, Store};
use nursecare_server::{Registration, Server, Settings, SocketTimings, demo, secret};
use nursecare_wire::Role;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A NurseCare-compatible backend: REST and Socket.io on one port, SQLite storage.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3001")]
    bind: SocketAddr,
    /// Database file [default: server.db in the server's data dir; demo.db with --demo].
    #[arg(long)]
    db: Option<PathBuf>,
    /// HS256 secret for access tokens [default: made once, kept beside the database].
    #[arg(long, env = "NURSECARE_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Seed demo users, conversations and calls into an empty database.
    #[arg(long)]
    demo: bool,
    /// Speak production's protocol (contract Part A): no socket auth, no extensions.
    #[arg(long)]
    production_compat: bool,
    /// Seconds before an unanswered call turns MISSED.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    missed_after: u64,
    /// Base URL of the Jitsi server written into `jitsiUrl` [default: https://meet.jit.si;
    /// https://8x8.vc/<app id> with --jaas-app-id].
    #[arg(long, env = "NURSECARE_JITSI_URL", conflicts_with = "jaas_app_id")]
    jitsi_url: Option<String>,
    /// Your Jitsi's token auth: the app id (prosody's `app_id`). With --jitsi-app-secret, each
    /// call's participants get a token signed for them (HS256).
    #[arg(long, env = "NURSECARE_JITSI_APP_ID", requires_all = ["jitsi_app_secret", "jitsi_url"])]
    jitsi_app_id: Option<String>,
    /// Your Jitsi's token auth: the app secret (prosody's `app_secret`, 32 characters or more).
    #[arg(
        long,
        env = "NURSECARE_JITSI_APP_SECRET",
        hide_env_values = true,
        requires = "jitsi_app_id"
    )]
    jitsi_app_secret: Option<String>,
    /// 8x8 JaaS: your app id (`vpaas-magic-cookie-…`). Calls meet at 8x8.vc with tokens signed
    /// by --jaas-private-key (RS256).
    #[arg(long, env = "NURSECARE_JAAS_APP_ID", requires_all = ["jaas_key_id", "jaas_private_key"], conflicts_with = "jitsi_app_id")]
    jaas_app_id: Option<String>,
    /// 8x8 JaaS: the id of the API key whose public half you uploaded.
    #[arg(long, env = "NURSECARE_JAAS_KEY_ID", requires = "jaas_app_id")]
    jaas_key_id: Option<String>,
    /// 8x8 JaaS: the PEM file of that key's private half (it never leaves this server).
    #[arg(
        long,
        env = "NURSECARE_JAAS_PRIVATE_KEY",
        value_name = "FILE",
        requires = "jaas_app_id"
    )]
    jaas_private_key: Option<PathBuf>,
    /// Who may register over REST: `patients` (a clinic's server: staff accounts are made with
    /// --create-user) or `open` (PATIENT and NURSE) [default: patients; open with --demo or
    /// --production-compat].
    #[arg(long, env = "NURSECARE_REGISTRATION", value_enum)]
    registration: Option<RegistrationArg>,
    /// A web origin (`https://app.clinic.example`) whose pages may call this server from a
    /// browser (CORS, with credentials); repeat it for more. With --production-compat or --demo,
    /// origins on localhost and private networks are allowed too.
    #[arg(long, env = "NURSECARE_ALLOW_ORIGIN", value_delimiter = ',', value_name = "ORIGIN", value_parser = parse_origin)]
    allow_origin: Vec<String>,
    /// Make a staff account with this email (password from NURSECARE_USER_PASSWORD) and exit.
    #[arg(
        long,
        value_name = "EMAIL",
        requires = "role",
        conflicts_with = "create_admin"
    )]
    create_user: Option<String>,
    /// The role of --create-user's account.
    #[arg(long, value_enum, requires = "create_user", ignore_case = true)]
    role: Option<StaffRole>,
    /// The display name of --create-user's account (shown to the people it talks to).
    #[arg(long, requires = "create_user")]
    name: Option<String>,
    /// Memory for password hashing, in MiB: each login or registration's hash holds about 19 MiB,
    /// so this sets how many run at once (at most two per core); callers past them wait up to
    /// 5 s, then are told 503 with Retry-After.
    #[arg(long, default_value_t = nursecare_server::hashing::DEFAULT_BUDGET_MIB, value_name = "MIB", value_parser = parse_hash_memory)]
    hash_memory_mb: usize,
    /// Events a socket may send per second beyond `typing` (three seconds' worth at once); past
    /// it its events wait their turn.
    #[arg(long, default_value_t = 20, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    socket_events_per_second: u32,
    /// Seconds between the server's Engine.IO pings (production's: 25). A client whose
    /// connection died silently is dropped, and notices it itself, within this plus
    /// --ping-timeout.
    #[arg(long, default_value_t = 25, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    ping_interval: u64,
    /// Seconds a client has to answer a ping (production's: 20).
    #[arg(long, default_value_t = 20, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    ping_timeout: u64,
    /// Seconds a request's headers may take to arrive, and a kept-alive connection may sit idle,
    /// before the connection is closed.
    #[arg(long, default_value_t = 10, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Connections open at once (new ones past it are closed unread) [default: 4096, or what
    /// the open-files limit allows].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: Option<u64>,
    /// Connections open at once from one address (a clinic behind one address shares it).
    #[arg(long, default_value_t = 256, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_connections_per_address: u64,
    /// Where shared files are kept [default: a `files` folder beside the database].
    #[arg(long, value_name = "DIR")]
    files_dir: Option<PathBuf>,
    /// The largest file a user may share, in MB.
    #[arg(long, default_value_t = nursecare_server::files::DEFAULT_MAX_MB, value_name = "MB", value_parser = clap::value_parser!(u64).range(1..=2048))]
    max_file_mb: u64,
    /// Files one user may upload in a minute.
    #[arg(long, default_value_t = 30, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    uploads_per_minute: u32,
    /// The server's address as browsers and apps reach it (`https://care.example.org`), used
    /// in the signed links to files [default: the address each request came to].
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// End every session of this account and exit: every token it holds is refused from now
    /// on, and a server running on the same database closes its connections within seconds.
    #[arg(long, value_name = "EMAIL", conflicts_with_all = ["create_user", "create_admin"])]
    sign_out: Option<String>,
    /// Same as `--create-user EMAIL --role ADMIN`, with the password from
    /// NURSECARE_ADMIN_PASSWORD (kept for existing scripts).
    #[arg(long, value_name = "EMAIL")]
    create_admin: Option<String>,
}

fn parse_hash_memory(raw: &str) -> Result<usize, String> {
    let mib: usize = raw.parse().map_err(|e| format!("{e}"))?;
    if mib < nursecare_server::hashing::MIB_PER_HASH {
        return Err(format!(
            "one hash needs {} MiB; give at least that",
            nursecare_server::hashing::MIB_PER_HASH
        ));
    }
    Ok(mib)
}

fn parse_origin(raw: &str) -> Result<String, String> {
    nursecare_server::cors::normalize_origin(raw)
}

/// `--registration`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RegistrationArg {
    /// PATIENT and NURSE may register (ADMIN never).
    Open,
    /// Only PATIENT may register.
    Patients,
}

/// The roles `--create-user` makes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum StaffRole {
    #[value(name = "NURSE")]
    Nurse,
    #[value(name = "ADMIN")]
    Admin,
}

/// Staff accounts are the operator's to make (clients cannot register an ADMIN, and on a
/// clinic's server not a NURSE either).
async fn create_user(
    store: &SqliteStore,
    email: String,
    name: Option<String>,
    role: Role,
    password_var: &str,
) -> anyhow::Result<()> {
    let password = std::env::var(password_var)
        .with_context(|| format!("set {password_var} to the new account's password"))?;
    let problems = nursecare_server::password_policy::problems(&password, &email);
    anyhow::ensure!(
        problems.is_empty(),
        "{password_var}: {}",
        problems.join("; ")
    );
    let name = name
        .as_deref()
        .map(nursecare_server::identity::display_name)
        .transpose()
        .map_err(|problem| anyhow::anyhow!("--name: {problem}"))?;
    let user = store
        .create_user(NewUser {
            email,
            name,
            role,
            password_hash: nursecare_server::auth::hash_password(password).await?,
        })
        .await?;
    println!("created {} {} (id {})", role.as_str(), user.email, user.id);
    Ok(())
}

/// The header timeout and connection caps from the flags, the cap kept under the open-files
/// limit (raised first as far as allowed) so a flood meets the cap, not `accept` failing.
fn connection_limits(args: &Args) -> ConnectionLimits {
    /// Descriptors kept for the database, the log and the like.
    const RESERVE: u64 = 64;
    let defaults = ConnectionLimits::default();
    let wanted = args
        .max_connections
        .unwrap_or(defaults.max_connections as u64);
    let mut max = wanted;
    if let Some(files) = connections::raise_open_files() {
        max = max.min(files.saturating_sub(RESERVE).max(1));
        if max < wanted {
            tracing::warn!(
                open_files = files,
                max_connections = max,
                "the open-files limit lowers the connection cap; raise it (ulimit -n, LimitNOFILE=) for more"
            );
        }
    }
    ConnectionLimits {
        header_timeout: Duration::from_secs(args.header_timeout),
        max_connections: max as usize,
        max_per_address: args.max_connections_per_address as usize,
    }
}

/// Where files are kept and their limits, from the flags; the folder is made (owner-only)
/// and checked here, so a folder that cannot be used stops the server at start.
fn files_settings(args: &Args, db: &std::path::Path) -> anyhow::Result<FileSettings> {
    let dir = match &args.files_dir {
        Some(dir) => dir.clone(),
        None => db
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("files"),
    };
    nursecare_server::files::Blobs::open(&dir)
        .with_context(|| format!("the files folder {}", dir.display()))?;
    let public_url = match &args.public_url {
        Some(url) => {
            anyhow::ensure!(
                (url.starts_with("https://") || url.starts_with("http://"))
                    && !url.contains(['?', '#', ' ']),
                "--public-url must be an http(s) address such as https://care.example.org"
            );
            Some(url.trim_end_matches('/').to_owned())
        }
        None => None,
    };
    Ok(FileSettings {
        dir: Some(dir),
        max_bytes: args.max_file_mb * 1024 * 1024,
        uploads_per_minute: args.uploads_per_minute,
        public_url,
        ..FileSettings::default()
    })
}

/// Where calls meet and how their tokens are signed, from the flags.
fn jitsi(args: &Args) -> anyhow::Result<Jitsi> {
    if let (Some(app), Some(key_id), Some(key_file)) =
        (&args.jaas_app_id, &args.jaas_key_id, &args.jaas_private_key)
    {
        let pem = std::fs::read(key_file)
            .with_context(|| format!("reading --jaas-private-key {}", key_file.display()))?;
        return Ok(Jitsi::jaas(app, key_id, &pem)?);
    }
    let base = args.jitsi_url.as_deref().unwrap_or(jitsi::PUBLIC_BASE);
    Ok(match (&args.jitsi_app_id, &args.jitsi_app_secret) {
        (Some(app), Some(secret)) => Jitsi::self_hosted(base, app, secret)?,
        _ => Jitsi::open(base)?,
    })
}

fn default_db(demo: bool) -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("org", "NurseCare", "nursecare-server")
        .context("no home directory to keep the database in; pass --db")?;
    Ok(dirs
        .data_dir()
        .join(if demo { "demo.db" } else { "server.db" }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr; stdout carries only the demo banner and --create-admin's answer.
    nursecare_server::logging::init();
    let args = Args::parse();
    let db = match args.db.clone() {
        Some(p) => p,
        None => {
            let db = default_db(args.demo)?;
            // The server's own folder: owner-only (`--db` may name the operator's, left as is).
            if let Some(dir) = db.parent() {
                match nursecare_owner_only::tighten(dir) {
                    Ok(0) => {}
                    Ok(changed) => tracing::info!(changed, "data folder made owner-only"),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not make the data folder owner-only")
                    }
                }
            }
            db
        }
    };
    let store = SqliteStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
    if let Some(email) = args.create_admin {
        return create_user(&store, email, None, Role::Admin, "NURSECARE_ADMIN_PASSWORD").await;
    }
    if let Some(email) = args.sign_out {
        // A running server beside this command closes the user's sockets within seconds.
        return match store
            .sign_out(&email, nursecare_server::sign_outs::now())
            .await?
        {
            Some(id) => {
                println!(
                    "Signed out {email} (user {id}) everywhere: every token it held is refused, and a running server closes its connections within {} s.",
                    nursecare_server::sign_outs::POLL.as_secs()
                );
                Ok(())
            }
            None => anyhow::bail!("no account with the email {email}"),
        };
    }
    if let Some(email) = args.create_user {
        let role = match args.role {
            Some(StaffRole::Admin) => Role::Admin,
            _ => Role::Nurse,
        };
        return create_user(&store, email, args.name, role, "NURSECARE_USER_PASSWORD").await;
    }
    let secret_path = db.with_file_name("jwt-secret");
    let secret = secret::load_or_create(args.jwt_secret.as_deref(), &secret_path)?;
    if args.demo && demo::seed_if_empty(&store).await? {
        tracing::info!("demo data seeded");
    }
    let jitsi = jitsi(&args)?;
    let settings = Settings {
        production_compat: args.production_compat,
        missed_after: Duration::from_secs(args.missed_after),
        jitsi: Arc::new(jitsi),
        registration: match args.registration {
            Some(RegistrationArg::Open) => Registration::Open,
            Some(RegistrationArg::Patients) => Registration::Patients,
            // A demo and production's protocol keep production's open registration.
            None if args.demo || args.production_compat => Registration::Open,
            None => Registration::Patients,
        },
        local_origins: args.demo || args.production_compat,
        connections: connection_limits(&args),
        socket_rates: SocketRates {
            events: Rate {
                burst: args.socket_events_per_second.saturating_mul(3),
                per_sec: f64::from(args.socket_events_per_second),
            },
            ..SocketRates::default()
        },
        hash_turns: nursecare_server::hashing::Gate::turns_here(args.hash_memory_mb),
        files: files_settings(&args, &db)?,
        allowed_origins: args.allow_origin,
        ..Settings::default()
    };
    let registration = settings.registration;
    let jitsi_mode = settings.jitsi.mode();
    let timings = SocketTimings {
        ping_interval: Duration::from_secs(args.ping_interval),
        ping_timeout: Duration::from_secs(args.ping_timeout),
    };
    let server = Server::new(Arc::new(store), &secret, settings, timings);
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding {}", args.bind))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, db = %db.display(), compat = args.production_compat, ?registration, call_tokens = jitsi_mode, "listening");
    if args.demo {
        println!("{}", demo::banner(&addr.to_string()));
    }
    server.run(listener, shutdown_signal()).await
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
