//! The keychain store against the platform's real one. Linux: a private D-Bus session bus and
//! gnome-keyring's Secret Service, started by this test (its own binary, so changing the
//! environment is safe), with their own HOME and XDG dirs; first, with no bus at all, the store
//! must refuse rather than fall back to plain text. Windows: the Credential Manager (Wine's,
//! when the suite runs under Wine), with a profile in a folder named like `C:\Users\Zoë Ng\…`
//! reached by its drive-letter and its `\\?\` forms.

mod common;

use nursecare_core::secrets::{SecretError, SecretName, SecretStore, SecretStoreKind};
use std::time::Duration;

struct Killed(Vec<std::process::Child>);

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
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "the Secret Service is Linux's (Windows has its own test below)"
)]
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
    // SAFETY: the only test of this binary that runs here; nothing else reads the environment.
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
    use std::io::Write;
    use std::process::{Command, Stdio};
    // A session bus with no service directories: a standard one would start the system's own
    // gnome-keyring (its D-Bus activation file, with no --unlock, so no login keyring) for the
    // first call made before ours has taken the name, and ours would then exit.
    let config = dir.path().join("bus.conf");
    std::fs::write(
        &config,
        format!(
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"
 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">
<busconfig><type>session</type><listen>{address}</listen>
<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>
<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>"
        ),
    )
    .unwrap();
    let daemon = Command::new("dbus-daemon")
        .args([
            &format!("--config-file={}", config.display()),
            "--nofork",
            "--nopidfile",
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
    // Its messages go to a file, shown if it never comes up.
    let log_path = dir.path().join("keyring.log");
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("gnome-keyring-daemon (apt: gnome-keyring) is installed");
    {
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"test-keyring-password").unwrap();
    }
    procs.0.push(keyring);
    let keyring = procs.0.last_mut().unwrap();
    wait_for_keyring(&store, keyring, &log_path).await;

    round_trip(&store).await;
    assert!(
        !dir.path().join("secrets.json").exists(),
        "nothing went to a file"
    );
    // 3. A whole client on the keychain.
    whole_client(dir.path(), &dir.path().join("profile"), None).await;
}

/// Windows' Credential Manager, through a profile whose folder has a space and a letter beyond
/// ASCII, named once by its drive-letter form and once by its verbatim (`\\?\`) form.
#[tokio::test]
#[cfg_attr(not(windows), ignore = "Windows' Credential Manager")]
async fn credential_manager_keeps_the_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let store = SecretStore::new(SecretStoreKind::Keychain, dir.path());
    round_trip(&store).await;
    let profile = std::fs::canonicalize(dir.path())
        .unwrap()
        .display()
        .to_string();
    let plain = std::path::PathBuf::from(profile.trim_start_matches(r"\\?\"))
        .join("Users")
        .join("Zoë Ng")
        .join("NurseCare");
    let verbatim = std::path::PathBuf::from(format!(r"\\?\{}", plain.display()));
    whole_client(dir.path(), &plain, Some(&verbatim)).await;
}

/// Until gnome-keyring has registered on the bus and made its login keyring (the default
/// collection), a write is refused: wait for one to go through (under a second on a loaded
/// 2-core machine), and if none does, say what the daemon said.
async fn wait_for_keyring(
    store: &SecretStore,
    keyring: &mut std::process::Child,
    log: &std::path::Path,
) {
    let probe = name("probe", "n@c.test");
    let started = std::time::Instant::now();
    loop {
        let last = match store.set(&probe, "p").await {
            Ok(()) => break,
            Err(e) => e,
        };
        let exited = keyring.try_wait().unwrap();
        if exited.is_some() || started.elapsed() > Duration::from_secs(60) {
            panic!(
                "the keyring did not come up in {:?} (exited: {exited:?}): {last}\n\
                 gnome-keyring-daemon said:\n{}",
                started.elapsed(),
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.delete(&probe).await.unwrap();
    eprintln!("the keyring came up after {:?}", started.elapsed());
}

/// Set, read, per account, replace, delete twice.
async fn round_trip(store: &SecretStore) {
    let token = name("token", "n@c.test");
    store
        .set(&token, "the-access-token")
        .await
        .expect("the keychain takes a secret");
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
}

/// A whole client on the keychain in `profile_dir`: the token and the cache key live there,
/// the cache file is encrypted, and nothing secret lands in the profile directory. `again`,
/// another form of the same folder's path, finds the same session afterwards.
async fn whole_client(
    work: &std::path::Path,
    profile_dir: &std::path::Path,
    other_form: Option<&std::path::Path>,
) {
    let server = common::Running::start(work, nursecare_server::Settings::default()).await;
    let (_n, _p, conv) = common::pair(&server.base).await;
    let profile = nursecare_core::Profile::new(
        &server.base,
        Some(profile_dir.to_path_buf()),
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
    if let Some(other) = other_form {
        let same = nursecare_core::Profile::new(
            &server.base,
            Some(other.to_path_buf()),
            SecretStoreKind::Keychain,
        )
        .unwrap();
        let found = same.sessions().current().await.unwrap();
        assert_eq!(found.map(|s| s.user_id), Some(session.user_id));
    }
    // Nothing left in a real keychain (run on a real Windows, it is the user's own).
    profile.remove_cache(&session).await.unwrap();
    profile.sessions().logout().await.unwrap();
    assert!(profile.sessions().current().await.unwrap().is_none());
    assert!(!profile.cache_path(&session).exists());
}
