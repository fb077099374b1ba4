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

pub const SECRET: &[u8] = b"core-test-secret-0123456789";

pub struct Running {
    pub base: String,
    pub port: u16,
    pub db: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn start(dir: &Path, settings: Settings) -> Self {
        Self::start_on(dir.join("s.db"), 0, settings).await
    }

    pub async fn start_on(db: PathBuf, port: u16, settings: Settings) -> Self {
        let store = SqliteStore::open(&db).unwrap();
        let timings = SocketTimings {
            ping_interval: Duration::from_millis(500),
            ping_timeout: Duration::from_millis(500),
        };
        let server = Server::new(Arc::new(store), SECRET, settings, timings);
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
