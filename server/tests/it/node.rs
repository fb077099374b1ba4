//! Protocol compatibility with the official Node `socket.io-client` (installed by `.ci/run`
//! with `npm ci --prefix server/tests/node`).

use crate::util::*;

#[tokio::test]
async fn official_socket_io_client_speaks_to_the_server() {
    let s = TestServer::start().await;
    let out = run_node("protocol.mjs", &node_world(&s).await).await;
    assert!(out.contains("12 passed, 0 failed"), "{out}");
}
