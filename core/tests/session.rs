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
