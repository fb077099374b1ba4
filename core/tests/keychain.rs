//! The keychain store against a real Secret Service: a private D-Bus session bus and
//! gnome-keyring, started by this test (its own binary, so changing the environment is safe),
//! with their own HOME and XDG dirs. First, with no bus at all, the store must refuse rather
//! than fall back to plain text.

mod common;

use nursecare_core::secrets::{SecretError, SecretName, SecretStore, SecretStoreKind};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Killed(Vec<Child>);

impl Drop for Killed {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn name(what: &'static str, account: &str) -> SecretName {
    SecretName {
        server: "http://127.0.0.1:3001".into(),
        account: account.into(),
        profile: "default".into(),
        what,
    }
}

#[tokio::test]
async fn real_secret_service_and_no_silent_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let runtime = dir.path().join("run");
    for d in [&home, &runtime] {
        std::fs::create_dir_all(d).unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let bus = dir.path().join("bus");
    let address = format!("unix:path={}", bus.display());
    // SAFETY: this test binary runs this one test; nothing else reads the environment meanwhile.
    unsafe {
        std::env::set_var("HOME", &home);
        std::env::set_var("XDG_DATA_HOME", home.join(".local/share"));
        std::env::set_var("XDG_RUNTIME_DIR", &runtime);
        std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);
    }
    let store = SecretStore::new(SecretStoreKind::Keychain, dir.path());

    // 1. No bus: a clear refusal that says how to opt in, never a silent file.
    let e = store
        .set(&name("token", "n@c.test"), "t")
        .await
        .unwrap_err();
    assert!(matches!(e, SecretError::KeychainUnavailable(_)), "{e:?}");
    assert!(e.to_string().contains("--secret-store file"), "{e}");
    assert!(!dir.path().join("secrets.json").exists());

    // 2. A real Secret Service.
    let daemon = Command::new("dbus-daemon")
        .args([
            "--session",
            "--nofork",
            "--nopidfile",
            &format!("--address={address}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon (apt: dbus) is installed");
    let mut procs = Killed(vec![daemon]);
    for _ in 0..100 {
        if bus.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon (apt: gnome-keyring) is installed");
    {
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"test-keyring-password").unwrap();
    }
    procs.0.push(keyring);

    let token = name("token", "n@c.test");
    let mut stored = Err(SecretError::KeychainTimeout);
    for _ in 0..50 {
        stored = store.set(&token, "the-access-token").await;
        if stored.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stored.expect("the keyring came up");
    assert_eq!(
        store.get(&token).await.unwrap().as_deref(),
        Some("the-access-token")
    );
    let other = name("token", "p@c.test");
    assert_eq!(
        store.get(&other).await.unwrap(),
        None,
        "entries are per account"
    );
    store.set(&token, "replaced").await.unwrap();
    assert_eq!(
        store.get(&token).await.unwrap().as_deref(),
        Some("replaced")
    );
    store.delete(&token).await.unwrap();
    assert_eq!(store.get(&token).await.unwrap(), None);
    store.delete(&token).await.unwrap();
    assert!(
        !dir.path().join("secrets.json").exists(),
        "nothing went to a file"
    );

    // 3. A whole client on the keychain: the token and the cache key live there, the cache
    //    file is encrypted, and nothing secret lands in the profile directory.
    let server = common::Running::start(dir.path(), nursecare_server::Settings::default()).await;
    let (_n, _p, conv) = common::pair(&server.base).await;
    let profile_dir = dir.path().join("profile");
    let profile = nursecare_core::Profile::new(
        &server.base,
        Some(profile_dir.clone()),
        SecretStoreKind::Keychain,
    )
    .unwrap();
    let api = nursecare_core::api::ApiClient::new(&server.base, common::fast()).unwrap();
    let session = profile
        .sessions()
        .login(&api, "n@c.test", "secret-pw")
        .await
        .unwrap();
    let (client, mut events) =
        nursecare_core::Client::start(&profile, &session, common::client_config())
            .await
            .unwrap();
    client
        .send(conv, "kept in the keychain's care")
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(e) = events.recv().await {
            if matches!(e, nursecare_core::Event::Outbox { item } if item.state == nursecare_core::cache::OutboxState::Sent) {
                return;
            }
        }
    })
    .await
    .expect("sent");
    client.shutdown().await;
    let again = profile
        .sessions()
        .current()
        .await
        .unwrap()
        .expect("the token is kept");
    assert_eq!(again.user_id, session.user_id);
    let db = std::fs::read(profile.cache_path(&session)).unwrap();
    assert!(
        !db.starts_with(b"SQLite format 3"),
        "the cache is encrypted"
    );
    assert!(
        !profile_dir.join("secrets.json").exists(),
        "nothing went to a file"
    );
}
