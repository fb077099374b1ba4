//! A notification server for the tests: the XDG notification interface
//! (org.freedesktop.Notifications) served on the app's D-Bus session bus, recording each
//! Notify and CloseNotification, and emitting ActionInvoked as a click would. It speaks the
//! real protocol on the real dbus-daemon; only the desktop's bubbles are not drawn.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zbus::object_server::SignalContext;
use zbus::zvariant::OwnedValue;

const PATH: &str = "/org/freedesktop/Notifications";

/// The session bus of the running app (WebKitWebDriver starts it on a bus of its own).
pub fn bus_of_app(profile: &Path) -> String {
    super::app_process::env_of_app(profile)["DBUS_SESSION_BUS_ADDRESS"].clone()
}

/// One Notify call.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: u32,
    pub replaces: u32,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
}

#[derive(Default)]
struct Record {
    shown: Vec<Shown>,
    closed: Vec<u32>,
    next: u32,
}

struct Server {
    record: Arc<Mutex<Record>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut r = self.record.lock().unwrap();
        let id = if replaces_id != 0 {
            replaces_id
        } else {
            r.next += 1;
            r.next
        };
        r.shown.push(Shown {
            id,
            replaces: replaces_id,
            summary,
            body,
            actions,
        });
        id
    }

    async fn close_notification(&self, id: u32, #[zbus(signal_context)] ctxt: SignalContext<'_>) {
        self.record.lock().unwrap().closed.push(id);
        let _ = Self::notification_closed(&ctxt, id, 3).await;
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "nursecare-test".into(),
            "NurseCare".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    #[zbus(signal)]
    async fn action_invoked(
        ctxt: &SignalContext<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn notification_closed(
        ctxt: &SignalContext<'_>,
        id: u32,
        reason: u32,
    ) -> zbus::Result<()>;
}

/// The running server.
pub struct Notifications {
    conn: zbus::Connection,
    record: Arc<Mutex<Record>>,
}

impl Notifications {
    /// Serves the interface on the bus at `address`.
    pub async fn serve(address: &str) -> Self {
        let record = Arc::new(Mutex::new(Record::default()));
        let conn = zbus::connection::Builder::address(address)
            .unwrap()
            .name("org.freedesktop.Notifications")
            .unwrap()
            .serve_at(
                PATH,
                Server {
                    record: record.clone(),
                },
            )
            .unwrap()
            .build()
            .await
            .expect("notification server on the test bus");
        Self { conn, record }
    }

    /// Everything shown so far.
    pub fn shown(&self) -> Vec<Shown> {
        self.record.lock().unwrap().shown.clone()
    }

    /// Ids withdrawn so far.
    pub fn closed(&self) -> Vec<u32> {
        self.record.lock().unwrap().closed.clone()
    }

    /// Waits for the `n`th notification (counting from 1) and answers it.
    pub async fn nth(&self, n: usize) -> Shown {
        let deadline = Instant::now() + super::driver::WAIT;
        loop {
            if let Some(s) = self.shown().get(n - 1) {
                return s.clone();
            }
            assert!(
                Instant::now() < deadline,
                "notification {n} never came; shown: {:?}",
                self.shown()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until notification `id` is withdrawn.
    pub async fn until_closed(&self, id: u32) {
        let deadline = Instant::now() + super::driver::WAIT;
        while !self.closed().contains(&id) {
            assert!(
                Instant::now() < deadline,
                "notification {id} was never withdrawn"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks notification `id` (the `default` action).
    pub async fn click(&self, id: u32) {
        self.invoke(id, "default").await;
    }

    /// Presses one of notification `id`'s buttons (`accept`, `reject`).
    pub async fn invoke(&self, id: u32, action: &str) {
        let iface = self
            .conn
            .object_server()
            .interface::<_, Server>(PATH)
            .await
            .unwrap();
        Server::action_invoked(iface.signal_context(), id, action)
            .await
            .unwrap();
    }
}
