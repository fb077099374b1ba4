//! Accounts: who may open a conversation with whom, who may register, and the operator's
//! `--create-user`.

use crate::util::*;
use nursecare_server::{Registration, Settings};
use nursecare_wire::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Stdio;

async fn open_with(s: &TestServer, me: &User, other: i64) -> Resp {
    s.post(
        "/messaging/conversations",
        &me.token,
        json!({"otherUserId": other}),
    )
    .await
}

async fn conversation_count(s: &TestServer, user: &User) -> usize {
    s.get("/messaging/conversations", &user.token)
        .await
        .json()
        .as_array()
        .unwrap()
        .len()
}

/// A patient walking the ids meets the same 404 for every other patient and for ids nobody
/// has: no name, email or role, and no conversation made. Staff are reachable.
async fn patients_cannot_enumerate_patients(s: &TestServer) {
    let nurse = s.user("nurse@c.test", Role::Nurse).await;
    let alice = s.user("alice@c.test", Role::Patient).await;
    let bob = s.user("bob@c.test", Role::Patient).await;
    let admin = s.staff("admin@c.test", Role::Admin).await;

    let mut refusals = Vec::new();
    for id in (1..=admin.id + 3).filter(|id| ![alice.id, nurse.id, admin.id].contains(id)) {
        let r = open_with(s, &alice, id).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "id {id}: {}", r.text);
        refusals.push(r.text);
    }
    assert!(refusals.len() >= 4, "a patient and unknown ids were tried");
    assert!(
        refusals.iter().all(|t| t == &refusals[0]),
        "one answer for unknown and refused: {refusals:?}"
    );
    assert!(!refusals[0].contains("bob"), "{}", refusals[0]);
    assert_eq!(
        serde_json::from_str::<Value>(&refusals[0]).unwrap(),
        json!({"statusCode": 404, "message": "User not found", "error": "Not Found"})
    );
    assert_eq!(conversation_count(s, &alice).await, 0, "nothing made");
    assert_eq!(conversation_count(s, &bob).await, 0, "nothing made");
    // Bob cannot either.
    assert_eq!(
        open_with(s, &bob, alice.id).await.status,
        StatusCode::NOT_FOUND
    );

    // A patient reaches the staff; staff reach anyone.
    let r = open_with(s, &alice, nurse.id).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let roles: Vec<Value> = r.json()["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["user"]["role"].clone())
        .collect();
    assert!(roles.contains(&json!("NURSE")), "{roles:?}");
    assert_eq!(
        open_with(s, &alice, admin.id).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        open_with(s, &nurse, bob.id).await.status,
        StatusCode::CREATED
    );
    let colleague = s.user("colleague@c.test", Role::Nurse).await;
    assert_eq!(
        open_with(s, &nurse, colleague.id).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        open_with(s, &admin, bob.id).await.status,
        StatusCode::CREATED
    );
    assert_eq!(conversation_count(s, &alice).await, 2);
    assert_eq!(conversation_count(s, &bob).await, 2);
    // Oneself: refused as before.
    assert_eq!(
        open_with(s, &alice, alice.id).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn patients_open_conversations_with_staff_only() {
    patients_cannot_enumerate_patients(&TestServer::start().await).await;
}

#[tokio::test]
async fn patients_open_conversations_with_staff_only_in_compat_mode_too() {
    patients_cannot_enumerate_patients(&TestServer::start_with(compat()).await).await;
}

#[tokio::test]
async fn a_clinic_server_registers_patients_only() {
    let s = TestServer::start_with(Settings {
        registration: Registration::Patients,
        ..Settings::default()
    })
    .await;
    s.user("patient@c.test", Role::Patient).await;
    for role in ["NURSE", "ADMIN"] {
        let r = s
            .post_anon(
                "/auth/register",
                json!({"email": "staff@c.test", "password": "secret-pw", "role": role}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}: {}", r.text);
        assert!(
            r.json()["message"].as_str().unwrap().contains("operator"),
            "{}",
            r.text
        );
    }
    let login = s
        .post_anon(
            "/auth/login",
            json!({"email": "staff@c.test", "password": "secret-pw"}),
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "no account made");

    // Open registration keeps today's behaviour: NURSE yes, ADMIN no.
    let open = TestServer::start().await;
    open.user("nurse@c.test", Role::Nurse).await;
    let r = open
        .post_anon(
            "/auth/register",
            json!({"email": "boss@c.test", "password": "secret-pw", "role": "ADMIN"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn register_nurse(server: &ServerProcess, email: &str) -> StatusCode {
    server
        .post_status(
            "/auth/register",
            None,
            json!({"email": email, "password": "secret-pw", "role": "NURSE"}),
        )
        .await
        .0
}

/// The binary: patients-only by default, open with `--demo`/`--production-compat` or when
/// asked; staff accounts from `--create-user` (and `--create-admin`, its old spelling).
#[tokio::test]
async fn binary_registration_modes_and_create_user() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");

    // The operator makes a nurse and an admin.
    let out = ServerProcess::command(
        &db,
        &[
            "--create-user",
            "nina@c.test",
            "--role",
            "NURSE",
            "--name",
            "Nina Staff",
        ],
        &[("NURSECARE_USER_PASSWORD", "nina-secret-pw")],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("created NURSE nina@c.test"));
    let out = ServerProcess::command(
        &db,
        &["--create-admin", "root@c.test"],
        &[("NURSECARE_ADMIN_PASSWORD", "root-secret-pw")],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("created ADMIN root@c.test"));
    // No password, no account; a role without --create-user is a usage error.
    let out = ServerProcess::command(&db, &["--create-user", "x@c.test", "--role", "NURSE"], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("NURSECARE_USER_PASSWORD"));
    let out = ServerProcess::command(&db, &["--create-user", "x@c.test"], &[]);
    assert!(!out.status.success(), "--role is required");
    let out = ServerProcess::command(
        &db,
        &["--create-user", "x@c.test", "--role", "PATIENT"],
        &[("NURSECARE_USER_PASSWORD", "secret-pw")],
    );
    assert!(!out.status.success(), "staff roles only");

    // Default: patients only.
    let server = ServerProcess::start(&db, &[], Stdio::null()).await;
    assert_eq!(
        register_nurse(&server, "n1@c.test").await,
        StatusCode::FORBIDDEN
    );
    let patient = server.user("p@c.test", "secret-pw", "PATIENT").await;
    let login = server
        .post(
            "/auth/login",
            None,
            json!({"email": "nina@c.test", "password": "nina-secret-pw"}),
        )
        .await;
    assert!(login["accessToken"].is_string(), "{login}");
    let login = server
        .post(
            "/auth/login",
            None,
            json!({"email": "root@c.test", "password": "root-secret-pw"}),
        )
        .await;
    assert!(login["accessToken"].is_string(), "{login}");
    // The patient reaches the nurse the operator made, with her name and role.
    let conv = server
        .post(
            "/messaging/conversations",
            Some(&patient.token),
            json!({"otherUserId": 1}),
        )
        .await;
    let nina = conv["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["userId"] == 1)
        .unwrap()["user"]
        .clone();
    assert_eq!(
        (nina["name"].as_str(), nina["role"].as_str()),
        (Some("Nina Staff"), Some("NURSE"))
    );
    drop(server);

    for (args, env, expected) in [
        (&["--production-compat"][..], &[][..], StatusCode::CREATED),
        (&["--demo"][..], &[][..], StatusCode::CREATED),
        (
            &["--registration", "open"][..],
            &[][..],
            StatusCode::CREATED,
        ),
        (
            &[][..],
            &[("NURSECARE_REGISTRATION", "open")][..],
            StatusCode::CREATED,
        ),
        (
            &["--production-compat", "--registration", "patients"][..],
            &[][..],
            StatusCode::FORBIDDEN,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let server =
            ServerProcess::start_with(&dir.path().join("s.db"), args, env, Stdio::null()).await;
        assert_eq!(
            register_nurse(&server, "n2@c.test").await,
            expected,
            "{args:?} {env:?}"
        );
    }
}
