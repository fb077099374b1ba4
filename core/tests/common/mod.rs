//! The real server in-process on loopback, for the core's tests.
#![allow(dead_code)]

use nursecare_core::api::{ApiClient, ApiConfig};
use nursecare_server::store::sqlite::SqliteStore;
use nursecare_server::{Server, Settings, SocketTimings};
use nursecare_wire::Role;
use nursecare_wire::rest::RegisterRequest;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub mod two;
pub mod watched;

pub const SECRET: &[u8] = b"core-test-secret-0123456789";

pub struct Running {
    pub base: String,
    pub port: u16,
    pub db: PathBuf,
    /// The store, through which tests see (and may fail) page requests.
    pub store: Arc<watched::Watched>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn start(dir: &Path, settings: Settings) -> Self {
        Self::start_on(dir.join("s.db"), 0, settings).await
    }

    pub async fn start_on(db: PathBuf, port: u16, settings: Settings) -> Self {
        let timings = SocketTimings {
            ping_interval: Duration::from_millis(500),
            ping_timeout: Duration::from_millis(500),
        };
        Self::start_with(db, port, settings, timings).await
    }

    /// With the server's own Engine.IO ping timings (production's: 25 s and 20 s).
    pub async fn start_with(
        db: PathBuf,
        port: u16,
        mut settings: Settings,
        timings: SocketTimings,
    ) -> Self {
        let store = Arc::new(watched::Watched::new(SqliteStore::open(&db).unwrap()));
        if settings.files.dir.is_none() {
            settings.files.dir = Some(db.with_file_name("files"));
        }
        let server = Server::new(store.clone(), SECRET, settings, timings);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = server
                .run(listener, async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            base: format!("http://127.0.0.1:{port}"),
            port,
            db,
            store,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops gracefully (sockets are closed) and waits.
    pub async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), t).await;
        }
    }
}

pub fn fast() -> ApiConfig {
    ApiConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        attempts: 2,
        backoff: Duration::from_millis(50),
        ..ApiConfig::default()
    }
}

/// Registers and logs in; answers the signed-in client, the user id and the token.
pub async fn signed_in(api: &ApiClient, email: &str, role: Role) -> (ApiClient, i64, String) {
    let reg = api
        .register(&RegisterRequest {
            email: email.into(),
            password: "secret-pw".into(),
            name: Some("N".into()),
            role,
        })
        .await
        .unwrap();
    let login = api.login(email, "secret-pw").await.unwrap();
    (
        api.with_token(&login.access_token),
        reg.id,
        login.access_token,
    )
}

/// A signed-in user of the tests.
pub struct TestUser {
    pub api: ApiClient,
    pub id: i64,
    pub token: String,
}

/// A nurse and a patient signed in on `base`, and their conversation.
pub async fn pair(base: &str) -> (TestUser, TestUser, i64) {
    let api = ApiClient::new(base, fast()).unwrap();
    let (n_api, n_id, n_token) = signed_in(&api, "n@c.test", Role::Nurse).await;
    let (p_api, p_id, p_token) = signed_in(&api, "p@c.test", Role::Patient).await;
    let conv = n_api.create_conversation(p_id, None).await.unwrap().id;
    (
        TestUser {
            api: n_api,
            id: n_id,
            token: n_token,
        },
        TestUser {
            api: p_api,
            id: p_id,
            token: p_token,
        },
        conv,
    )
}

/// A running client of the tests with its profile and its event stream.
pub struct Side {
    pub client: nursecare_core::Client,
    pub events: nursecare_core::EventStream,
    pub profile: nursecare_core::Profile,
    pub session: nursecare_core::session::Session,
    /// Every message id announced to this side so far (live or found by a sync), whichever
    /// helper took the event off the stream.
    pub announced: std::collections::HashSet<i64>,
}

/// Client settings for tests: short time-outs and back-off.
pub fn client_config() -> nursecare_core::ClientConfig {
    let mut c = nursecare_core::ClientConfig {
        api: fast(),
        echo_timeout: Duration::from_secs(2),
        ring_poll: Duration::from_millis(200),
        // Short, so tests can watch a whole ring.
        ring_for: Duration::from_secs(2),
        ..Default::default()
    };
    c.socket.heartbeat = Duration::from_millis(300);
    c.socket.dead_after = Duration::from_millis(900);
    c.socket.backoff_min = Duration::from_millis(50);
    c.socket.backoff_max = Duration::from_millis(300);
    c.socket.connect_timeout = Duration::from_secs(5);
    c
}

/// Signs `email` in (password `secret-pw`) with a file secret store in `profile_dir` and
/// starts a client.
pub async fn side(base: &str, profile_dir: &Path, email: &str) -> Side {
    use nursecare_core::secrets::SecretStoreKind;
    let profile =
        nursecare_core::Profile::new(base, Some(profile_dir.to_path_buf()), SecretStoreKind::File)
            .unwrap();
    let sessions = profile.sessions();
    let session = match sessions.current().await.unwrap() {
        Some(s) => s,
        None => {
            let api = ApiClient::new(base, fast()).unwrap();
            sessions.login(&api, email, "secret-pw").await.unwrap()
        }
    };
    let (client, events) = nursecare_core::Client::start(&profile, &session, client_config())
        .await
        .unwrap();
    Side {
        client,
        events,
        profile,
        session,
        announced: Default::default(),
    }
}

impl Side {
    /// Starts a client for a session made by the test (a forged or expired token, say).
    pub async fn start(
        profile: &nursecare_core::Profile,
        session: nursecare_core::session::Session,
        config: nursecare_core::ClientConfig,
    ) -> Self {
        let (client, events) = nursecare_core::Client::start(profile, &session, config)
            .await
            .unwrap();
        Self {
            client,
            events,
            profile: profile.clone(),
            session,
            announced: Default::default(),
        }
    }

    /// Waits for an event matching `want`, dropping others; panics after `secs`.
    pub async fn until(
        &mut self,
        secs: u64,
        mut want: impl FnMut(&nursecare_core::Event) -> bool,
    ) -> nursecare_core::Event {
        tokio::time::timeout(Duration::from_secs(secs), async {
            loop {
                let e = self.next().await.expect("event stream ended");
                if want(&e) {
                    return e;
                }
            }
        })
        .await
        .expect("expected event never came")
    }

    /// Waits for the next messages announced, live or found by a sync.
    pub async fn until_messages(&mut self, secs: u64) -> Vec<nursecare_wire::Message> {
        match self
            .until(secs, |e| {
                matches!(
                    e,
                    nursecare_core::Event::MessageAdded { .. }
                        | nursecare_core::Event::MessagesFound { .. }
                )
            })
            .await
        {
            nursecare_core::Event::MessageAdded { message, .. } => vec![message],
            nursecare_core::Event::MessagesFound { messages, .. } => messages,
            _ => unreachable!(),
        }
    }

    /// Waits until the link is reported in `state`.
    pub async fn until_connection(&mut self, secs: u64, state: nursecare_core::events::Connection) {
        self.until(
            secs,
            |e| matches!(e, nursecare_core::Event::Connection { state: s, .. } if *s == state),
        )
        .await;
    }

    /// Waits until the outbox row `client_id` is reported in `state`; answers the row.
    pub async fn until_row(
        &mut self,
        secs: u64,
        client_id: &str,
        state: nursecare_core::cache::OutboxState,
    ) -> nursecare_core::cache::OutboxItem {
        match self
            .until(secs, |e| {
                matches!(e, nursecare_core::Event::Outbox { item }
                    if item.client_id == client_id && item.state == state)
            })
            .await
        {
            nursecare_core::Event::Outbox { item } => item,
            _ => unreachable!(),
        }
    }

    /// Watches the stream for `period`, failing on any event matching `unwanted`.
    pub async fn none_for(
        &mut self,
        period: Duration,
        mut unwanted: impl FnMut(&nursecare_core::Event) -> bool,
        what: &str,
    ) {
        let deadline = tokio::time::Instant::now() + period;
        while let Ok(Some(e)) = tokio::time::timeout_at(deadline, self.next()).await {
            assert!(!unwanted(&e), "{what}: {e:?}");
        }
    }

    /// Drops every event received so far.
    pub fn drain(&mut self) {
        while let Ok(e) = self.events.try_recv() {
            self.note(&e);
        }
    }

    /// The next event, its messages noted in `announced`.
    pub async fn next(&mut self) -> Option<nursecare_core::Event> {
        let e = self.events.recv().await?;
        self.note(&e);
        Some(e)
    }

    fn note(&mut self, e: &nursecare_core::Event) {
        match e {
            nursecare_core::Event::MessageAdded { message, .. } => {
                self.announced.insert(message.id);
            }
            nursecare_core::Event::MessagesFound { messages, .. } => {
                self.announced.extend(messages.iter().map(|m| m.id));
            }
            _ => {}
        }
    }
}
