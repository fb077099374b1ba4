//! The published web app in a browser: CORS on REST and on Socket.io's long-polling, and the
//! official socket.io-client over polling only (`server/tests/node/web.mjs`).

use crate::util::*;
use nursecare_server::Settings;
use reqwest::header::{HeaderMap, ORIGIN};
use reqwest::{Method, StatusCode};
use serde_json::json;

const LOCAL: &str = "http://localhost:3000";
const LAN: &str = "http://192.168.0.8:3000";
const CLINIC: &str = "https://app.clinic.example";
const FOREIGN: &str = "https://evil.example";

/// What `--production-compat` (or `--demo`) and `--allow-origin` set.
fn web_compat() -> Settings {
    Settings {
        local_origins: true,
        allowed_origins: vec![CLINIC.into()],
        ..compat()
    }
}

async fn send(
    s: &TestServer,
    method: Method,
    path: &str,
    origin: Option<&str>,
    preflight: bool,
) -> (StatusCode, HeaderMap) {
    let mut req = s.raw().request(method, format!("{}{path}", s.base));
    if let Some(o) = origin {
        req = req.header(ORIGIN, o);
    }
    if preflight {
        req = req.header("access-control-request-method", "POST").header(
            "access-control-request-headers",
            "authorization,content-type",
        );
    } else if path.starts_with("/auth") {
        req = req.json(&json!({"email": "nobody@c.test", "password": "secret-pw"}));
    }
    let r = req.send().await.unwrap();
    (r.status(), r.headers().clone())
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).map(|v| v.to_str().unwrap())
}

fn no_cors_headers(h: &HeaderMap, what: &str) {
    let cors: Vec<_> = h
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .collect();
    assert!(cors.is_empty(), "{what}: {cors:?}");
}

fn allowed(h: &HeaderMap, origin: &str, what: &str) {
    assert_eq!(
        header(h, "access-control-allow-origin"),
        Some(origin),
        "{what}: the origin is echoed, never *"
    );
    assert_eq!(
        header(h, "access-control-allow-credentials"),
        Some("true"),
        "{what}"
    );
    assert!(
        h.get_all("vary")
            .iter()
            .any(|v| v.to_str().unwrap().contains("Origin")),
        "{what}: Vary: Origin"
    );
}

#[tokio::test]
async fn cors_as_production_for_the_web_app() {
    let s = TestServer::start_with(web_compat()).await;
    for origin in [LOCAL, LAN, CLINIC] {
        for path in ["/auth/login", "/messaging/conversations", "/socket.io/"] {
            let (status, h) = send(&s, Method::OPTIONS, path, Some(origin), true).await;
            assert_eq!(status, StatusCode::NO_CONTENT, "preflight {origin} {path}");
            allowed(&h, origin, "preflight");
            let methods = header(&h, "access-control-allow-methods").unwrap();
            for m in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
                assert!(methods.contains(m), "{methods}");
            }
            let headers = header(&h, "access-control-allow-headers").unwrap();
            assert!(
                headers.contains("Authorization") && headers.contains("Content-Type"),
                "{headers}"
            );
        }
        // The actual requests: REST and a long-polling handshake.
        let (status, h) = send(&s, Method::POST, "/auth/login", Some(origin), false).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        allowed(&h, origin, "login");
        let (status, h) = send(
            &s,
            Method::GET,
            "/socket.io/?EIO=4&transport=polling",
            Some(origin),
            false,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        allowed(&h, origin, "polling");
    }

    // A foreign origin: a refused preflight, and no CORS header on anything.
    for path in ["/auth/login", "/socket.io/"] {
        let (status, h) = send(&s, Method::OPTIONS, path, Some(FOREIGN), true).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        no_cors_headers(&h, "foreign preflight");
    }
    let (_, h) = send(&s, Method::POST, "/auth/login", Some(FOREIGN), false).await;
    no_cors_headers(&h, "foreign login");
    let (_, h) = send(
        &s,
        Method::GET,
        "/socket.io/?EIO=4&transport=polling",
        Some(FOREIGN),
        false,
    )
    .await;
    no_cors_headers(&h, "foreign polling");

    // No Origin (desktop, CLI): untouched.
    let (status, h) = send(&s, Method::POST, "/auth/login", None, false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    no_cors_headers(&h, "no origin");
    assert!(
        h.get("vary")
            .is_none_or(|v| !v.to_str().unwrap().contains("Origin"))
    );
}

#[tokio::test]
async fn secure_default_allows_only_the_operators_origins() {
    let s = TestServer::start_with(Settings {
        allowed_origins: vec![CLINIC.into()],
        ..Settings::default()
    })
    .await;
    let (status, h) = send(&s, Method::OPTIONS, "/auth/login", Some(CLINIC), true).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    allowed(&h, CLINIC, "the clinic's origin");
    for origin in [LOCAL, LAN, FOREIGN] {
        let (status, h) = send(&s, Method::OPTIONS, "/auth/login", Some(origin), true).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin}");
        no_cors_headers(&h, origin);
    }
    // With no origin allowed at all, the web app's preflight is refused, with a reason.
    let bare = TestServer::start().await;
    let r = bare
        .raw()
        .request(Method::OPTIONS, format!("{}/auth/login", bare.base))
        .header(ORIGIN, LOCAL)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    no_cors_headers(r.headers(), "bare");
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("--allow-origin"),
        "{body}"
    );
}

/// The official client as the web app uses it, over long-polling only (what a browser falls
/// back to): production's trust model with `--production-compat`, and with the secure default
/// the one change the web app needs, `auth: {token}`.
#[tokio::test]
async fn official_client_over_polling_from_a_web_origin() {
    let compat = TestServer::start_with(web_compat()).await;
    let secure = TestServer::start_with(Settings {
        allowed_origins: vec![CLINIC.into()],
        ..Settings::default()
    })
    .await;
    let mut world = json!({"origin": CLINIC});
    for (name, s) in [("compat", &compat), ("secure", &secure)] {
        world[name] = node_world(s).await;
    }
    let out = run_node("web.mjs", &world).await;
    assert!(out.contains("9 passed, 0 failed"), "{out}");
}
