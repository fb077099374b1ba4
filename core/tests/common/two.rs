//! Two cores on one server: a nurse and a patient online, and the nurse with their chat open
//! (production routes typing, receipts and call events to the conversation's room only).

use super::{Running, Side, TestUser, pair, side};
use nursecare_core::Event;
use nursecare_core::events::Connection;
use nursecare_server::Settings;
use nursecare_wire::Id;

/// The server in one mode or the other, otherwise as it starts by default.
pub fn settings(compat: bool) -> Settings {
    Settings {
        production_compat: compat,
        ..Settings::default()
    }
}

/// Waits until the side is online and its first sync has finished.
pub async fn online(s: &mut Side) {
    s.until_connection(10, Connection::Online).await;
    s.client.synced().await;
}

/// The server, the two users and their conversation, and a core for each.
pub struct Two {
    pub dir: tempfile::TempDir,
    pub server: Running,
    pub n: TestUser,
    pub p: TestUser,
    pub conv: Id,
    pub nurse: Side,
    pub patient: Side,
}

/// Starts the server with `settings` and both cores; the nurse opens the chat.
pub async fn two(settings: Settings) -> Two {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), settings).await;
    let (n, p, conv) = pair(&server.base).await;
    let mut nurse = side(&server.base, &dir.path().join("nurse"), "n@c.test").await;
    let mut patient = side(&server.base, &dir.path().join("patient"), "p@c.test").await;
    online(&mut nurse).await;
    online(&mut patient).await;
    nurse.client.open(Some(conv));
    nurse
        .until(
            10,
            |e| matches!(e, Event::Joined { conversation_id } if *conversation_id == conv),
        )
        .await;
    Two {
        dir,
        server,
        n,
        p,
        conv,
        nurse,
        patient,
    }
}
