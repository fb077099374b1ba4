//! Protocol compatibility with the official Node `socket.io-client` (installed by `.ci/run`
//! with `npm ci --prefix server/tests/node`).

use crate::util::*;
use serde_json::json;
use std::path::Path;

#[tokio::test]
async fn official_socket_io_client_speaks_to_the_server() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    assert!(
        dir.join("node_modules/socket.io-client").exists(),
        "socket.io-client is not installed: run `npm ci --prefix server/tests/node` (.ci/run does)"
    );
    let s = TestServer::start().await;
    let (nurse, patient, conv) = s.pair().await;
    let world = json!({
        "base": s.base,
        "nurse": {"id": nurse.id, "token": nurse.token},
        "patient": {"id": patient.id, "token": patient.token},
        "conversationId": conv,
    });
    let out = tokio::process::Command::new("node")
        .arg(dir.join("protocol.mjs"))
        .arg(world.to_string())
        .current_dir(&dir)
        .output()
        .await
        .expect("node is installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "node client failed\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("12 passed, 0 failed"), "{stdout}");
}
