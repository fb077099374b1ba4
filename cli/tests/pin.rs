//! A PIN on the command line, against the real server binary: once set, the account's token
//! and cache key are kept only sealed; every command then needs the PIN or the password
//! (NURSECARE_PIN, or the prompt), `--json` says why as data when neither is given, and five
//! wrong tries sign out with the queue kept for the next sign-in.

mod support;

use support::{AMARA, Cli, DEMO_PASSWORD, Server};

#[test]
fn a_pin_locks_the_account_for_every_command_and_five_wrong_tries_sign_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), false);
    let amara = Cli::new(&server.base(), &dir.path().join("ward-pc"));
    amara.expect(0, &["login", "--email", AMARA]);
    let secrets = dir.path().join("ward-pc").join("secrets.json");
    let plain = std::fs::read_to_string(&secrets).unwrap();

    // Too short a PIN is refused before anything changes; then a good one.
    let short = amara
        .command(&["pin", "set"])
        .env("NURSECARE_NEW_PIN", "12345")
        .output()
        .unwrap();
    assert_eq!(short.status.code(), Some(2), "{short:?}");
    assert_eq!(std::fs::read_to_string(&secrets).unwrap(), plain);
    let set = amara
        .command(&["pin", "set"])
        .env("NURSECARE_NEW_PIN", "482916")
        .output()
        .unwrap();
    assert_eq!(set.status.code(), Some(0), "{set:?}");
    let sealed = std::fs::read_to_string(&secrets).unwrap();
    let token_part = plain
        .split('"')
        .find(|s| s.starts_with("eyJ"))
        .expect("the plain token was kept");
    assert!(!sealed.contains(token_part), "the token is sealed");

    // Whose it is, without the PIN; anything more needs it.
    let me = amara.json(&["whoami"]);
    assert_eq!(
        (me["email"].as_str(), me["locked"].as_bool()),
        (Some(AMARA), Some(true))
    );
    let locked = amara.run(&["--json", "conversations"]);
    assert_eq!(locked.status.code(), Some(14));
    let why: serde_json::Value = serde_json::from_slice(&locked.stderr).unwrap();
    assert_eq!(why["error"], "locked", "{why}");
    assert!(why["message"].as_str().unwrap().contains("NURSECARE_PIN"));

    let open = amara
        .command(&["--json", "conversations"])
        .env("NURSECARE_PIN", "482916")
        .output()
        .unwrap();
    assert_eq!(open.status.code(), Some(0), "{open:?}");
    let list: serde_json::Value = serde_json::from_slice(&open.stdout).unwrap();
    assert!(!list.as_array().unwrap().is_empty());

    // Queued while the server is away, then five wrong tries (PIN or password alike).
    server.kill();
    let queued = amara
        .command(&["send", "1", "the 14:00 meds are given"])
        .env("NURSECARE_PIN", "482916")
        .output()
        .unwrap();
    assert_eq!(queued.status.code(), Some(6), "{queued:?}");
    for (n, guess) in ["111111", "222222", "not-the-password", "333333"]
        .iter()
        .enumerate()
    {
        let out = amara
            .command(&["history", "1", "--offline"])
            .env("NURSECARE_PIN", guess)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "try {n}: {out:?}");
        let left = 4 - n;
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!("({left} tries left)")),
            "{out:?}"
        );
    }
    let last = amara
        .command(&["history", "1", "--offline"])
        .env("NURSECARE_PIN", "444444")
        .output()
        .unwrap();
    assert_eq!(last.status.code(), Some(3), "{last:?}");
    amara.expect(3, &["whoami"]);

    // The password signs in again and opens the sealed cache: the queued message goes out.
    server.restart();
    amara.expect(0, &["login", "--email", AMARA]);
    let history = amara
        .command(&["--json", "history", "1"])
        .env("NURSECARE_PIN", "482916")
        .env("NURSECARE_PASSWORD", DEMO_PASSWORD)
        .output()
        .unwrap();
    assert_eq!(history.status.code(), Some(0), "{history:?}");
    assert!(
        String::from_utf8_lossy(&history.stdout).contains("the 14:00 meds are given"),
        "the queued message reached the server"
    );
}
