//! `nursecare-server`: flags, logging and signals around [`nursecare_server::Server`].

use anyhow::Context;
use clap::Parser;
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
    /// Base URL of the Jitsi server written into `jitsiUrl`.
    #[arg(long, default_value = "https://meet.jit.si")]
    jitsi_url: String,
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
    /// Same as `--create-user EMAIL --role ADMIN`, with the password from
    /// NURSECARE_ADMIN_PASSWORD (kept for existing scripts).
    #[arg(long, value_name = "EMAIL")]
    create_admin: Option<String>,
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
    anyhow::ensure!(
        password.chars().count() >= 6,
        "the password must be at least 6 characters"
    );
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
    let db = match args.db {
        Some(p) => p,
        None => default_db(args.demo)?,
    };
    let store = SqliteStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
    if let Some(email) = args.create_admin {
        return create_user(&store, email, None, Role::Admin, "NURSECARE_ADMIN_PASSWORD").await;
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
    let settings = Settings {
        production_compat: args.production_compat,
        missed_after: Duration::from_secs(args.missed_after),
        jitsi_base: args.jitsi_url,
        registration: match args.registration {
            Some(RegistrationArg::Open) => Registration::Open,
            Some(RegistrationArg::Patients) => Registration::Patients,
            // A demo and production's protocol keep production's open registration.
            None if args.demo || args.production_compat => Registration::Open,
            None => Registration::Patients,
        },
        local_origins: args.demo || args.production_compat,
        allowed_origins: args.allow_origin,
    };
    let registration = settings.registration;
    let server = Server::new(Arc::new(store), &secret, settings, SocketTimings::default());
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding {}", args.bind))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, db = %db.display(), compat = args.production_compat, ?registration, "listening");
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
