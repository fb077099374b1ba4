//! Call tokens (Part B): the server signs one per user and room for a clinic's Jitsi (HS256) or
//! JaaS (RS256), and gives it only to the call's participants. Each token is checked the way
//! the Jitsi side checks it: with the shared secret, or with the public half of the JaaS key.

use crate::util::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use nursecare_server::Settings;
use nursecare_server::jitsi::{Jitsi, TOKEN_TTL_SECS};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

const SECRET: &str = "clinic-jitsi-app-secret-0123456789abcdef";
const JAAS_APP: &str = "vpaas-magic-cookie-0123456789abcdef";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn self_hosted() -> Settings {
    Settings {
        jitsi: Arc::new(
            Jitsi::self_hosted("https://meet.clinic.test", "clinic-app", SECRET).unwrap(),
        ),
        ..Settings::default()
    }
}

fn jaas() -> Settings {
    let pem = std::fs::read(fixture("jaas-test-key.pem")).unwrap();
    Settings {
        jitsi: Arc::new(Jitsi::jaas(JAAS_APP, "key-1", &pem).unwrap()),
        ..Settings::default()
    }
}

/// The claims of `token` if it verifies with `key` (signature, `exp`, `nbf`, `aud`); also its
/// header's `kid`.
fn verify(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
    aud: &str,
) -> Option<(Value, Option<String>)> {
    let mut v = Validation::new(alg);
    v.set_audience(&[aud]);
    v.validate_nbf = true;
    v.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    jsonwebtoken::decode::<Value>(token, key, &v)
        .ok()
        .map(|d| (d.claims, d.header.kid))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn jwt(v: &Value) -> &str {
    v["jitsiJwt"]
        .as_str()
        .unwrap_or_else(|| panic!("no jitsiJwt in {v}"))
}

/// A nurse calls, the patient accepts: each gets a token of their own for that room.
async fn started_and_accepted(s: &TestServer) -> (User, User, Value, Value) {
    let (nurse, patient, conv) = s.pair().await;
    let started = s.start_call(&nurse.token, conv).await;
    let room = started["roomName"].as_str().unwrap();
    let r = s
        .post(
            "/video-calls/accept",
            &patient.token,
            json!({"roomName": room}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (nurse, patient, started, r.json())
}

#[tokio::test]
async fn self_hosted_tokens_verify_with_the_app_secret_and_name_the_room_and_user() {
    let s = TestServer::start_with(self_hosted()).await;
    let (nurse, patient, started, accepted) = started_and_accepted(&s).await;
    let room = started["roomName"].as_str().unwrap();
    assert_eq!(
        started["jitsiUrl"],
        format!("https://meet.clinic.test/{room}")
    );
    let key = DecodingKey::from_secret(SECRET.as_bytes());
    for (answer, user, name) in [
        (&started, &nurse, "nurse"),
        (&accepted, &patient, "patient"),
    ] {
        let (c, _) = verify(jwt(answer), &key, Algorithm::HS256, "clinic-app")
            .unwrap_or_else(|| panic!("{name}'s token does not verify"));
        assert_eq!(c["iss"], "clinic-app");
        assert_eq!(c["sub"], "meet.clinic.test");
        assert_eq!(c["room"], room);
        assert_eq!(c["context"]["user"]["id"], user.id.to_string());
        assert_eq!(c["context"]["user"]["name"], name);
        let exp = c["exp"].as_i64().unwrap();
        assert!(
            (exp - now() - TOKEN_TTL_SECS).abs() <= 5,
            "short-lived: exp {exp}"
        );
    }
    // Signed with the secret, not with anything else.
    let wrong = DecodingKey::from_secret(b"another-secret-of-the-same-length-000000");
    assert!(verify(jwt(&started), &wrong, Algorithm::HS256, "clinic-app").is_none());
}

#[tokio::test]
async fn jaas_tokens_verify_with_the_public_half_and_carry_kid_room_and_moderator() {
    let s = TestServer::start_with(jaas()).await;
    let (nurse, patient, started, accepted) = started_and_accepted(&s).await;
    let room = started["roomName"].as_str().unwrap();
    assert_eq!(
        started["jitsiUrl"],
        format!("https://8x8.vc/{JAAS_APP}/{room}")
    );
    let public = std::fs::read(fixture("jaas-test-key.pub.pem")).unwrap();
    let key = DecodingKey::from_rsa_pem(&public).unwrap();
    for (answer, user, moderator) in [(&started, &nurse, "true"), (&accepted, &patient, "false")] {
        let (c, kid) = verify(jwt(answer), &key, Algorithm::RS256, "jitsi").expect("verifies");
        assert_eq!(kid.as_deref(), Some(format!("{JAAS_APP}/key-1").as_str()));
        assert_eq!(c["iss"], "chat");
        assert_eq!(c["sub"], JAAS_APP);
        assert_eq!(c["room"], room);
        assert_eq!(c["context"]["user"]["id"], user.id.to_string());
        assert_eq!(c["context"]["user"]["moderator"], moderator);
        assert!(c["exp"].as_i64().unwrap() > now());
    }
}

#[tokio::test]
async fn a_participant_of_an_ongoing_call_gets_a_fresh_token_to_rejoin_and_nobody_else_does() {
    let s = TestServer::start_with(self_hosted()).await;
    // Ringing: the caller may look its room up (a rejoin), the callee gets no way in but
    // `/accept`.
    {
        let caller = s.user("n0@c.test", nursecare_wire::Role::Nurse).await;
        let callee = s.user("p0@c.test", nursecare_wire::Role::Patient).await;
        let conv = s.conversation(&caller, &callee).await;
        let ringing = s.start_call(&caller.token, conv).await;
        let path = format!(
            "/video-calls/room/{}",
            ringing["roomName"].as_str().unwrap()
        );
        let seen = s.get(&path, &callee.token).await.json();
        assert_eq!(seen["status"], "ONGOING");
        assert!(
            seen.get("jitsiJwt").is_none() && seen.get("jitsiUrl").is_none(),
            "{seen}"
        );
        let own = s.get(&path, &caller.token).await.json();
        assert!(own.get("jitsiJwt").is_some(), "{own}");
    }
    let (nurse, patient, started, _) = started_and_accepted(&s).await;
    let room = started["roomName"].as_str().unwrap();
    let path = format!("/video-calls/room/{room}");
    let key = DecodingKey::from_secret(SECRET.as_bytes());

    let found = s.get(&path, &patient.token).await.json();
    assert_eq!(found["jitsiUrl"], started["jitsiUrl"]);
    let (c, _) = verify(jwt(&found), &key, Algorithm::HS256, "clinic-app").expect("verifies");
    assert_eq!(c["context"]["user"]["id"], patient.id.to_string());

    // Another nurse of the clinic, not in this conversation.
    let outsider = s
        .user("other-nurse@c.test", nursecare_wire::Role::Nurse)
        .await;
    let r = s.get(&path, &outsider.token).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.text.contains("jitsi"), "{}", r.text);
    let r = s
        .post(
            "/video-calls/accept",
            &outsider.token,
            json!({"roomName": room}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.text.contains("jitsi"), "{}", r.text);

    // Over: the room lookup still tells the call, but admits nobody.
    let r = s.call_verb(&nurse.token, &started["id"], "end").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let found = s.get(&path, &nurse.token).await.json();
    assert_eq!(found["status"], "ENDED");
    assert!(
        found.get("jitsiUrl").is_none() && found.get("jitsiJwt").is_none(),
        "{found}"
    );
}

#[tokio::test]
async fn without_configuration_there_is_no_token() {
    let s = TestServer::start().await;
    let (_, patient, started, accepted) = started_and_accepted(&s).await;
    for answer in [&started, &accepted] {
        assert!(answer.get("jitsiJwt").is_none(), "{answer}");
        assert!(
            answer["jitsiUrl"]
                .as_str()
                .unwrap()
                .starts_with("https://meet.jit.si/")
        );
    }
    let room = started["roomName"].as_str().unwrap();
    let found = s
        .get(&format!("/video-calls/room/{room}"), &patient.token)
        .await
        .json();
    assert_eq!(found["jitsiUrl"], started["jitsiUrl"]);
    assert!(found.get("jitsiJwt").is_none(), "{found}");

    // Production's room lookup has no URL either.
    let s = TestServer::start_with(compat()).await;
    let (_, patient, started, _) = started_and_accepted(&s).await;
    let room = started["roomName"].as_str().unwrap();
    let found = s
        .get(&format!("/video-calls/room/{room}"), &patient.token)
        .await
        .json();
    assert_eq!(found["roomName"], room);
    assert!(found.get("jitsiUrl").is_none(), "{found}");
}

#[test]
fn the_binary_reads_the_jaas_key_in_either_pem_form_and_refuses_a_bad_one() {
    for form in ["jaas-test-key.pem", "jaas-test-key.pkcs1.pem"] {
        let pem = std::fs::read(fixture(form)).unwrap();
        assert!(Jitsi::jaas(JAAS_APP, "key-1", &pem).is_ok(), "{form}");
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let out = refused(
        &db,
        &[
            "--jaas-app-id",
            JAAS_APP,
            "--jaas-key-id",
            "key-1",
            "--jaas-private-key",
            fixture("jaas-test-key.pub.pem").to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("--jaas-private-key is not an RSA private key"),
        "{out}"
    );

    // A secret for a Jitsi the server was not told of is refused before anything runs.
    let out = refused(
        &db,
        &["--jitsi-app-id", "clinic-app", "--jitsi-app-secret", SECRET],
    );
    assert!(out.contains("--jitsi-url"), "{out}");
}

/// Runs the binary with `args`, expecting it to refuse them: answers its stderr. One that
/// starts serving instead is killed after 10 s and fails the test.
fn refused(db: &std::path::Path, args: &[&str]) -> String {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nursecare-server"))
        .args(["--bind", "127.0.0.1:0", "--db", db.to_str().unwrap()])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            assert!(!status.success(), "accepted {args:?}: {err}");
            return err;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server started with {args:?} instead of refusing them");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[tokio::test]
async fn the_binary_signs_with_the_flags_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--jitsi-url",
        "https://meet.clinic.test",
        "--jitsi-app-id",
        "clinic-app",
    ];
    args.extend_from_slice(OPEN_REGISTRATION);
    let server = ServerProcess::start_with(
        &dir.path().join("s.db"),
        &args,
        &[("NURSECARE_JITSI_APP_SECRET", SECRET)],
        std::process::Stdio::null(),
    )
    .await;
    let mut tokens = Vec::new();
    for (email, role) in [("n@c.test", "NURSE"), ("p@c.test", "PATIENT")] {
        let reg = server
            .post(
                "/auth/register",
                None,
                json!({"email": email, "password": "secret-pw", "role": role}),
            )
            .await;
        let login = server
            .post(
                "/auth/login",
                None,
                json!({"email": email, "password": "secret-pw"}),
            )
            .await;
        tokens.push((
            reg["id"].as_i64().unwrap(),
            login["accessToken"].as_str().unwrap().to_owned(),
        ));
    }
    let conv = server
        .post(
            "/messaging/conversations",
            Some(&tokens[0].1),
            json!({"otherUserId": tokens[1].0}),
        )
        .await;
    let started = server
        .post(
            "/video-calls/start",
            Some(&tokens[0].1),
            json!({"conversationId": conv["id"]}),
        )
        .await;
    let key = DecodingKey::from_secret(SECRET.as_bytes());
    let (c, _) = verify(jwt(&started), &key, Algorithm::HS256, "clinic-app").expect("verifies");
    assert_eq!(c["room"], started["roomName"]);
    // No name on the account: the meeting shows the email's local part, not the address.
    assert_eq!(c["context"]["user"]["name"], "n");
}
