//! Sign-in against the real server, with the token kept in the (opt-in) file store.

mod common;

use common::{Running, fast};
use nursecare_core::api::{ApiClient, ApiError};
use nursecare_core::secrets::{SecretStore, SecretStoreKind};
use nursecare_core::session::{SessionError, Sessions};
use nursecare_server::Settings;
use nursecare_wire::Role;
use nursecare_wire::rest::RegisterRequest;

#[tokio::test]
async fn login_keeps_the_token_and_logout_forgets_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Running::start(dir.path(), Settings::default()).await;
    let api = ApiClient::new(&s.base, fast()).unwrap();
    let reg = api
        .register(&RegisterRequest {
            email: "n@c.test".into(),
            password: "secret-pw".into(),
            name: None,
            role: Role::Nurse,
        })
        .await
        .unwrap();
    let profile = dir.path().join("profile");
    let sessions = Sessions::new(
        SecretStore::new(SecretStoreKind::File, &profile),
        &s.base,
        "default",
    );
    assert!(sessions.current().await.unwrap().is_none());

    let wrong = sessions.login(&api, "n@c.test", "nope").await.unwrap_err();
    assert!(
        matches!(wrong, SessionError::Api(ApiError::InvalidCredentials)),
        "{wrong:?}"
    );

    let session = sessions.login(&api, "n@c.test", "secret-pw").await.unwrap();
    assert_eq!((session.user_id, session.role), (reg.id, Role::Nurse));
    assert!(
        !format!("{session:?}").contains(&session.token),
        "Debug hides the token"
    );
    // Another Sessions over the same store (a later process) finds it, and it works.
    let again = Sessions::new(
        SecretStore::new(SecretStoreKind::File, &profile),
        &s.base,
        "default",
    );
    let current = again.current().await.unwrap().expect("kept");
    assert_eq!(current.user_id, reg.id);
    assert!(api.with_token(&current.token).conversations().await.is_ok());
    // Another profile does not see it.
    let other = Sessions::new(
        SecretStore::new(SecretStoreKind::File, &profile),
        &s.base,
        "work",
    );
    assert!(other.current().await.unwrap().is_none());

    again.logout().await.unwrap();
    assert!(sessions.current().await.unwrap().is_none());
}

/// An administrator signs the nurse out on the server while her client runs: the link ends as
/// a refused session within seconds, and the client says an administrator did it.
#[tokio::test]
async fn a_remote_sign_out_ends_the_running_session_and_says_who_did_it() {
    use nursecare_core::events::{Connection, Event};
    let dir = tempfile::tempdir().unwrap();
    let s = Running::start(dir.path(), Settings::default()).await;
    common::pair(&s.base).await;
    let mut side = common::side(&s.base, &dir.path().join("nurse"), "n@c.test").await;
    side.until_connection(10, Connection::Online).await;
    assert!(!side.client.signed_out_by_admin());
    use nursecare_server::store::Store;
    let at = nursecare_server::sign_outs::now();
    s.store.sign_out("n@c.test", at).await.unwrap().unwrap();
    side.until_connection(10, Connection::SignedOut).await;
    assert!(side.client.signed_out_by_admin());
    let told = side.until(5, |e| matches!(e, Event::Error { .. })).await;
    assert!(
        matches!(&told, Event::Error { message } if message.contains("administrator")),
        "{told:?}"
    );
}
