//! Urgent messages on the command line, against the real server binary: sent urgent, shown
//! so to the other side, and the sender sees when it was read; refused (nothing sent) where
//! the server has no urgent messages (production's protocol).

mod support;

use support::{AMARA, CHLOE, Cli, Server};

fn conversation(cli: &Cli) -> String {
    let list = cli.json(&["conversations"]);
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["other"]["email"] == AMARA)
        .and_then(|c| c["id"].as_i64())
        .unwrap()
        .to_string()
}

#[test]
fn an_urgent_message_is_marked_and_its_sender_sees_when_it_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), false);
    let chloe = Cli::new(&server.base(), &dir.path().join("chloe"));
    let amara = Cli::new(&server.base(), &dir.path().join("amara"));
    chloe.expect(0, &["login", "--email", CHLOE]);
    amara.expect(0, &["login", "--email", AMARA]);
    let conv = conversation(&chloe);

    let sent = chloe.json(&["send", &conv, "Please come, the pain is worse", "--urgent"]);
    assert_eq!(sent["urgent"], true, "{sent}");
    let seen = amara.expect(0, &["history", &conv]);
    assert!(seen.contains("(urgent): Please come"), "{seen}");

    amara.expect(0, &["read", &conv]);
    let mine = chloe.expect(0, &["history", &conv]);
    assert!(mine.contains("(urgent, read "), "{mine}");
    let ordinary = chloe.json(&["send", &conv, "Thank you"]);
    assert!(ordinary.get("urgent").is_none(), "{ordinary}");
}

#[test]
fn production_has_no_urgent_messages_and_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), true);
    let chloe = Cli::new(&server.base(), &dir.path().join("chloe"));
    chloe.expect(0, &["login", "--email", CHLOE]);
    let conv = conversation(&chloe);
    let refused = chloe.run(&["send", &conv, "Please come now", "--urgent"]);
    assert_eq!(refused.status.code(), Some(7), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("urgent"));
    let history = chloe.expect(0, &["history", &conv]);
    assert!(!history.contains("Please come now"), "{history}");
}
