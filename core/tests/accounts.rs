//! Several nurses on one computer account (a ward's shared computer), against the real server
//! and a real secret store (the opt-in file): each signs in beside the others with a cache of
//! their own, all receive at once, one signing out leaves the others signed in, one nurse's
//! PIN does not open another's account, the ninth is refused with a clear error, and a profile
//! kept by the one-account version moves to the list with nothing lost.

mod common;

use common::{Side, client_config, fast, side, signed_in};
use nursecare_core::Profile;
use nursecare_core::api::ApiClient;
use nursecare_core::secrets::SecretStoreKind;
use nursecare_core::session::{Kept, MAX_ACCOUNTS, SessionError};
use nursecare_core::vault::Secret;
use nursecare_server::Settings;
use nursecare_wire::Role;
use std::collections::BTreeMap;
use std::path::Path;

const PASSWORD: &str = "secret-pw";

fn profile(base: &str, dir: &Path) -> Profile {
    Profile::new(base, Some(dir.to_path_buf()), SecretStoreKind::File).unwrap()
}

fn emails(kept: &[Kept]) -> Vec<String> {
    kept.iter().map(|k| k.email().to_owned()).collect()
}

#[tokio::test]
async fn two_nurses_on_one_computer_receive_at_once_each_in_their_own_cache() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Running::start(dir.path(), Settings::default()).await;
    let api = ApiClient::new(&server.base, fast()).unwrap();
    let (_, _, _) = signed_in(&api, "amara@c.test", Role::Nurse).await;
    let (_, _, _) = signed_in(&api, "ben@c.test", Role::Nurse).await;
    let (patient_api, _, _) = signed_in(&api, "p@c.test", Role::Patient).await;
    let ward = dir.path().join("ward-pc");
    let profile = profile(&server.base, &ward);
    let sessions = profile.sessions();

    let amara = sessions
        .login(&api, "amara@c.test", PASSWORD)
        .await
        .unwrap();
    let ben = sessions.login(&api, "ben@c.test", PASSWORD).await.unwrap();
    assert_eq!(
        emails(&sessions.kept_all().await.unwrap()),
        ["ben@c.test", "amara@c.test"],
        "both signed in, the latest in use"
    );
    assert_ne!(profile.cache_path(&amara), profile.cache_path(&ben));

    // Ben sets a PIN; Amara's account has none. Ben's PIN does not open Amara's, nor hers his.
    let ben = profile
        .set_pin(&ben, &api, PASSWORD, "135790")
        .await
        .unwrap();
    let wrong = sessions
        .unlock_account(ben.user_id, Secret::Either("24681012"))
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, SessionError::WrongSecret { left: 4 }),
        "{wrong:?}"
    );
    assert!(matches!(
        sessions.kept_account(amara.user_id).await.unwrap(),
        Some(Kept::Open(_))
    ));

    // Both run at once and each receives what is written to them.
    let mut a = Side::start(&profile, amara.clone(), client_config()).await;
    let mut b = Side::start(&profile, ben.clone(), client_config()).await;
    let to_amara = patient_api
        .create_conversation(amara.user_id, None)
        .await
        .unwrap()
        .id;
    let to_ben = patient_api
        .create_conversation(ben.user_id, None)
        .await
        .unwrap()
        .id;
    a.client.sync().await.unwrap();
    b.client.sync().await.unwrap();
    let patient = side(&server.base, &dir.path().join("patient"), "p@c.test").await;
    patient.client.sync().await.unwrap();
    patient.client.send(to_amara, "for Amara").await.unwrap();
    patient.client.send(to_ben, "for Ben").await.unwrap();
    let got_a = a.until_messages(10).await;
    let got_b = b.until_messages(10).await;
    assert_eq!(got_a[0].content, "for Amara");
    assert_eq!(got_b[0].content, "for Ben");

    // Each cache holds only its nurse's chats.
    let in_a = a.client.conversations().await.unwrap();
    let in_b = b.client.conversations().await.unwrap();
    assert_eq!(
        in_a.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![to_amara]
    );
    assert_eq!(in_b.iter().map(|c| c.id).collect::<Vec<_>>(), vec![to_ben]);

    // Amara signs out: Ben stays signed in (sealed), and his client runs on.
    a.client.shutdown().await;
    sessions.logout_account(amara.user_id).await.unwrap();
    let left = sessions.kept_all().await.unwrap();
    assert_eq!(emails(&left), ["ben@c.test"]);
    assert!(matches!(left[0], Kept::Locked(_)));
    patient.client.send(to_ben, "still here").await.unwrap();
    assert_eq!(b.until_messages(10).await[0].content, "still here");
    b.client.shutdown().await;
}

#[tokio::test]
async fn a_ninth_nurse_is_refused_until_one_signs_out() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Running::start(dir.path(), Settings::default()).await;
    let api = ApiClient::new(&server.base, fast()).unwrap();
    let ward = dir.path().join("ward-pc");
    let profile = profile(&server.base, &ward);
    let sessions = profile.sessions();
    let mut ids = Vec::new();
    for n in 0..=MAX_ACCOUNTS {
        let (_, id, _) = signed_in(&api, &format!("nurse{n}@c.test"), Role::Nurse).await;
        ids.push(id);
    }
    for n in 0..MAX_ACCOUNTS {
        sessions
            .login(&api, &format!("nurse{n}@c.test"), PASSWORD)
            .await
            .unwrap();
    }
    let before = std::fs::read_to_string(ward.join("secrets.json")).unwrap();

    let ninth = format!("nurse{MAX_ACCOUNTS}@c.test");
    let refused = sessions.login(&api, &ninth, PASSWORD).await.unwrap_err();
    assert!(
        matches!(refused, SessionError::TooManyAccounts { max: 8 }),
        "{refused:?}"
    );
    let said = nursecare_core::ErrorReport::of(&refused).message;
    assert!(
        said.starts_with("8 nurses are signed in on this computer already")
            && said.contains("Sign one of them out first"),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(ward.join("secrets.json")).unwrap(),
        before,
        "nothing of the ninth is kept"
    );
    assert_eq!(sessions.kept_all().await.unwrap().len(), MAX_ACCOUNTS);

    // One already signed in may sign in again (a new token), and becomes the one in use.
    sessions
        .login(&api, "nurse3@c.test", PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        sessions.kept().await.unwrap().unwrap().email(),
        "nurse3@c.test"
    );

    // One signs out: the ninth gets in.
    sessions.logout_account(ids[0]).await.unwrap();
    sessions.login(&api, &ninth, PASSWORD).await.unwrap();
    let all = sessions.kept_all().await.unwrap();
    assert_eq!(all.len(), MAX_ACCOUNTS);
    assert_eq!(all[0].email(), ninth);
    assert!(!emails(&all).contains(&"nurse0@c.test".to_owned()));
}

/// What the one-account version kept: the plain token, or the sealed account's id, under the
/// profile's "session" name.
fn as_one_account_version(secrets: &Path, user_id: i64) {
    let text = std::fs::read_to_string(secrets).unwrap();
    let mut all: BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
    let roster = all
        .keys()
        .find(|k| k.ends_with("|accounts"))
        .cloned()
        .expect("the list of accounts is kept");
    all.remove(&roster);
    let token = all
        .keys()
        .find(|k| k.contains(&format!("|{user_id}|")) && k.ends_with("|token"))
        .cloned();
    match token {
        Some(k) => {
            let value = all.remove(&k).unwrap();
            all.insert(roster.replace("|accounts", "|token"), value);
        }
        None => {
            all.insert(roster.replace("|accounts", "|who"), user_id.to_string());
        }
    }
    std::fs::write(secrets, serde_json::to_vec(&all).unwrap()).unwrap();
}

#[tokio::test]
async fn a_profile_of_the_one_account_version_moves_to_the_list_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Running::start(dir.path(), Settings::default()).await;
    let api = ApiClient::new(&server.base, fast()).unwrap();
    let (_, amara_id, _) = signed_in(&api, "amara@c.test", Role::Nurse).await;
    let (_, ben_id, _) = signed_in(&api, "ben@c.test", Role::Nurse).await;

    // A plain token.
    let plain_dir = dir.path().join("plain");
    let plain = profile(&server.base, &plain_dir);
    let session = plain
        .sessions()
        .login(&api, "amara@c.test", PASSWORD)
        .await
        .unwrap();
    as_one_account_version(&plain_dir.join("secrets.json"), amara_id);
    let kept = plain.sessions().kept_all().await.unwrap();
    assert!(
        matches!(&kept[..], [Kept::Open(s)] if s.token == session.token),
        "{kept:?}"
    );
    let text = std::fs::read_to_string(plain_dir.join("secrets.json")).unwrap();
    let all: BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
    assert!(
        all.keys()
            .filter(|k| k.contains("|session|"))
            .all(|k| k.ends_with("|accounts")),
        "the old entries are gone: {:?}",
        all.keys().collect::<Vec<_>>()
    );

    // A sealed account.
    let sealed_dir = dir.path().join("sealed");
    let sealed = profile(&server.base, &sealed_dir);
    let s = sealed
        .sessions()
        .login(&api, "ben@c.test", PASSWORD)
        .await
        .unwrap();
    sealed.set_pin(&s, &api, PASSWORD, "135790").await.unwrap();
    as_one_account_version(&sealed_dir.join("secrets.json"), ben_id);
    assert!(matches!(
        &sealed.sessions().kept_all().await.unwrap()[..],
        [Kept::Locked(a)] if a.user_id == ben_id
    ));
    let opened = sealed
        .sessions()
        .unlock(Secret::Pin("135790"))
        .await
        .unwrap();
    assert_eq!(opened.user_id, ben_id);
    assert!(opened.cache_key.is_some());
}
