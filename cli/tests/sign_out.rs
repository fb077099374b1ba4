//! An administrator signs a nurse out with `nursecare-server --sign-out` while her CLI is
//! signed in: her next command is refused, says an administrator did it, and signs out once.

mod support;

use support::{AMARA, Cli, Server, server_bin};

#[test]
fn a_remote_sign_out_reaches_the_next_command_and_says_who() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), false);
    let amara = Cli::new(&server.base(), &dir.path().join("amara"));
    amara.expect(0, &["login", "--email", AMARA]);
    amara.expect(0, &["conversations"]);

    let out = std::process::Command::new(server_bin())
        .arg("--db")
        .arg(&server.db)
        .args(["--sign-out", AMARA])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let refused = amara.run(&["conversations"]);
    assert_eq!(refused.status.code(), Some(3), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("administrator signed you out"),
        "{refused:?}"
    );
    // Signed out once: the next command says so plainly, and a new sign-in works.
    amara.expect(3, &["whoami"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    amara.expect(0, &["login", "--email", AMARA]);
    amara.expect(0, &["conversations"]);
}
