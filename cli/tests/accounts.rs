//! Two nurses signed in with the CLI on one computer account (a ward's shared computer):
//! `accounts` lists both, the latest in use; `switch` changes which one the commands act for;
//! `logout` signs out only the one in use.

mod support;

use support::{AMARA, Cli, Server};

const BEN: &str = "ben.carter@nursecare.test";

fn listed(cli: &Cli) -> Vec<(String, bool)> {
    cli.json(&["accounts"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["email"].as_str().unwrap().to_owned(),
                a["inUse"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn two_nurses_share_a_profile_and_switch_between_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), false);
    let ward = Cli::new(&server.base(), &dir.path().join("ward-pc"));
    ward.expect(0, &["login", "--email", AMARA]);
    ward.expect(0, &["login", "--email", BEN]);
    assert_eq!(
        listed(&ward),
        [(BEN.to_owned(), true), (AMARA.to_owned(), false)]
    );
    assert_eq!(ward.json(&["whoami"])["email"], BEN);
    let text = ward.expect(0, &["accounts"]);
    assert!(
        text.contains(&format!("* {BEN}")) && text.contains(&format!("  {AMARA}")),
        "{text}"
    );

    ward.expect(0, &["switch", AMARA]);
    assert_eq!(ward.json(&["whoami"])["email"], AMARA);
    assert!(ward.expect(0, &["conversations"]).contains("Chloe"));

    let unknown = ward.run(&["switch", "nobody@nursecare.test"]);
    assert_eq!(unknown.status.code(), Some(3), "{unknown:?}");

    // Amara signs out; Ben stays signed in and comes into use.
    ward.expect(0, &["logout"]);
    assert_eq!(listed(&ward), [(BEN.to_owned(), true)]);
    assert_eq!(ward.json(&["whoami"])["email"], BEN);
}
