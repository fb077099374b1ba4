//! A nurse's PIN on a shared computer account, against the real server and a real secret
//! store (the opt-in file; `keychain.rs` covers the OS keychain's own round trip): the
//! cache key and the token are kept only sealed; the PIN or password opens them; five wrong
//! tries sign out and the next sign-in finds the cache and its queue; a new PIN re-wraps
//! without re-encrypting; an account made before PINs migrates with nothing lost.

mod common;

use common::{Running, fast, pair};
use nursecare_core::Profile;
use nursecare_core::api::ApiClient;
use nursecare_core::secrets::SecretStoreKind;
use nursecare_core::session::{Kept, SessionError};
use nursecare_core::vault::Secret;
use nursecare_server::Settings;
use std::path::Path;

const PASSWORD: &str = "secret-pw";

fn profile(base: &str, dir: &Path) -> Profile {
    Profile::new(base, Some(dir.to_path_buf()), SecretStoreKind::File).unwrap()
}

fn secrets_text(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("secrets.json")).unwrap_or_default()
}

/// Queues a message in the account's cache (as a send while offline does) and answers its
/// clientId.
async fn queue_one(profile: &Profile, session: &nursecare_core::session::Session) -> String {
    let (mut cache, moved) = profile.open_cache(session).await.unwrap();
    assert!(moved.is_none(), "the cache opened as it was");
    let id = format!("queued-{}", session.user_id);
    cache.outbox_add(1, "kept while locked", &id).unwrap();
    id
}

async fn still_queued(profile: &Profile, session: &nursecare_core::session::Session, id: &str) {
    let (cache, moved) = profile.open_cache(session).await.unwrap();
    assert!(moved.is_none(), "the cache was not moved aside: {moved:?}");
    let item = cache
        .outbox_item(id)
        .unwrap()
        .expect("the queued message is kept");
    assert_eq!(item.content, "kept while locked");
}

#[tokio::test]
async fn a_pin_seals_the_key_and_the_token_and_opens_them_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), Settings::default()).await;
    pair(&server.base).await;
    let api = ApiClient::new(&server.base, fast()).unwrap();
    let pdir = dir.path().join("ward-pc");
    let profile = profile(&server.base, &pdir);
    let sessions = profile.sessions();

    // An account made before PINs: key and token kept as they are.
    let plain = sessions.login(&api, "n@c.test", PASSWORD).await.unwrap();
    let queued = queue_one(&profile, &plain).await;
    let key_before = std::fs::read_to_string(pdir.join("secrets.json")).unwrap();
    assert!(key_before.contains(&plain.token));

    // Setting a PIN needs the password.
    let refused = profile
        .set_pin(&plain, &api, "not-it", "246810")
        .await
        .unwrap_err();
    assert!(format!("{refused}").contains("wrong password"), "{refused}");
    assert_eq!(
        secrets_text(&pdir),
        key_before,
        "a refused PIN changes nothing"
    );
    let short = profile.set_pin(&plain, &api, PASSWORD, "12345").await;
    assert!(short.is_err(), "a 5-digit PIN is refused");

    let sealed = profile
        .set_pin(&plain, &api, PASSWORD, "246810")
        .await
        .unwrap();
    let kept = secrets_text(&pdir);
    let key_hex = sealed.cache_key.as_ref().unwrap().to_hex();
    for (what, secret) in [
        ("the cache key", key_hex.as_str()),
        ("the token", &plain.token),
        ("the PIN", "246810"),
    ] {
        assert!(
            !kept.contains(secret),
            "{what} is readable in the secret store"
        );
    }

    // Locked from now on: whoever uses this computer account sees only whose it is.
    match sessions.kept().await.unwrap() {
        Some(Kept::Locked(a)) => assert_eq!((a.email.as_str(), a.wrong), ("n@c.test", 0)),
        other => panic!("expected locked, got {other:?}"),
    }
    assert!(matches!(
        sessions.current().await,
        Err(SessionError::Locked { .. })
    ));

    let wrong = sessions.unlock(Secret::Pin("135790")).await.unwrap_err();
    assert!(
        matches!(wrong, SessionError::WrongSecret { left: 4 }),
        "{wrong:?}"
    );
    let session = sessions.unlock(Secret::Pin("246810")).await.unwrap();
    assert_eq!(
        (session.user_id, session.token.as_str()),
        (plain.user_id, plain.token.as_str())
    );
    still_queued(&profile, &session, &queued).await;
    // The right PIN starts the count again; the password opens it too.
    match sessions.kept().await.unwrap() {
        Some(Kept::Locked(a)) => assert_eq!(a.wrong, 0),
        other => panic!("expected locked, got {other:?}"),
    }
    let by_password = sessions.unlock(Secret::Password(PASSWORD)).await.unwrap();
    assert_eq!(by_password.cache_key, session.cache_key);
    assert!(
        api.with_token(&by_password.token)
            .conversations()
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_new_pin_rewraps_the_same_key_without_touching_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), Settings::default()).await;
    pair(&server.base).await;
    let api = ApiClient::new(&server.base, fast()).unwrap();
    let pdir = dir.path().join("ward-pc");
    let profile = profile(&server.base, &pdir);
    let sessions = profile.sessions();
    let plain = sessions.login(&api, "n@c.test", PASSWORD).await.unwrap();
    let queued = queue_one(&profile, &plain).await;
    let first = profile
        .set_pin(&plain, &api, PASSWORD, "111111")
        .await
        .unwrap();
    let cache_file = profile.cache_path(&first);
    let bytes_before = std::fs::read(&cache_file).unwrap();

    // The password is checked against the vault now: the server is not asked.
    let mut server = server;
    server.stop().await;
    let changed = profile
        .set_pin(&first, &api, PASSWORD, "222222")
        .await
        .unwrap();
    assert_eq!(changed.cache_key, first.cache_key, "the key itself is kept");
    assert_eq!(
        std::fs::read(&cache_file).unwrap(),
        bytes_before,
        "the cache was not re-encrypted"
    );
    assert!(matches!(
        sessions.unlock(Secret::Pin("111111")).await,
        Err(SessionError::WrongSecret { .. })
    ));
    let session = sessions.unlock(Secret::Pin("222222")).await.unwrap();
    still_queued(&profile, &session, &queued).await;
}

#[tokio::test]
async fn five_wrong_tries_sign_out_and_the_next_sign_in_finds_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), Settings::default()).await;
    pair(&server.base).await;
    let api = ApiClient::new(&server.base, fast()).unwrap();
    let pdir = dir.path().join("ward-pc");
    let profile = profile(&server.base, &pdir);
    let sessions = profile.sessions();
    let plain = sessions.login(&api, "n@c.test", PASSWORD).await.unwrap();
    let queued = queue_one(&profile, &plain).await;
    profile
        .set_pin(&plain, &api, PASSWORD, "246810")
        .await
        .unwrap();

    for left in (1..=4).rev() {
        // The count is kept across processes: a new Profile each time.
        let again = self::profile(&server.base, &pdir).sessions();
        let e = again.unlock(Secret::Pin("000000")).await.unwrap_err();
        assert!(
            matches!(e, SessionError::WrongSecret { left: l } if l == left),
            "{e:?}"
        );
    }
    let last = sessions
        .unlock(Secret::Password("guess"))
        .await
        .unwrap_err();
    assert!(matches!(last, SessionError::TooManyTries), "{last:?}");
    assert!(sessions.kept().await.unwrap().is_none(), "signed out");
    assert!(matches!(
        sessions.unlock(Secret::Pin("246810")).await,
        Err(SessionError::NotSignedIn)
    ));

    // Signing in again with the password opens the sealed cache, queue and all; the PIN
    // still locks it.
    let back = sessions.login(&api, "n@c.test", PASSWORD).await.unwrap();
    assert!(
        back.cache_key.is_some(),
        "the vault opened with the password"
    );
    still_queued(&profile, &back, &queued).await;
    assert!(matches!(
        sessions.kept().await.unwrap(),
        Some(Kept::Locked(_))
    ));
    assert!(!secrets_text(&pdir).contains(&back.token));
}

#[tokio::test]
async fn signing_out_keeps_the_vault_and_forgetting_the_cache_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path(), Settings::default()).await;
    pair(&server.base).await;
    let api = ApiClient::new(&server.base, fast()).unwrap();
    let pdir = dir.path().join("ward-pc");
    let profile = profile(&server.base, &pdir);
    let sessions = profile.sessions();
    let plain = sessions.login(&api, "n@c.test", PASSWORD).await.unwrap();
    let sealed = profile
        .set_pin(&plain, &api, PASSWORD, "246810")
        .await
        .unwrap();
    sessions.logout().await.unwrap();
    assert!(sessions.kept().await.unwrap().is_none());
    assert!(sessions.vault(sealed.user_id).await.unwrap().is_some());

    let back = sessions.login(&api, "n@c.test", PASSWORD).await.unwrap();
    profile.remove_cache(&back).await.unwrap();
    sessions.logout().await.unwrap();
    assert!(sessions.vault(sealed.user_id).await.unwrap().is_none());
    // A sign-in after that is a fresh start without a PIN.
    let fresh = sessions.login(&api, "n@c.test", PASSWORD).await.unwrap();
    assert!(fresh.cache_key.is_none());
    assert!(matches!(
        sessions.kept().await.unwrap(),
        Some(Kept::Open(_))
    ));
}
