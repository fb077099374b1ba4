//! CORS, so the NurseCare web app can talk to the server from a browser.
//!
//! Production allows its web origins with credentials (contract Part A, Transport). Here the
//! allowed origins are: with [`Policy::local_networks`] (`--production-compat`, `--demo`) any
//! `http(s)` origin on localhost, 127.0.0.0/8, ::1, 10/8, 172.16/12 or 192.168/16 (any port),
//! and in every mode the operator's own (`--allow-origin`). For an allowed origin the answer
//! echoes it (never `*`: credentials are allowed) with `Vary: Origin`, and preflights are
//! answered here (204). A foreign origin gets no CORS header at all, and its preflight a 403
//! that says why. Requests without an `Origin` (the desktop app, the CLI) pass untouched.
//!
//! The layer wraps the whole app, Socket.io included. A browser does not preflight a WebSocket
//! upgrade, and CORS would not stop a page reading its frames anyway, so a Socket.io request
//! (upgrade or long-poll) from a foreign origin is refused here with 403, in every mode.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use crate::error::ApiError;

/// Methods a preflight allows (production's list).
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
/// Request headers a preflight allows (production's list).
const HEADERS: &str = "Authorization, Content-Type";
/// How long a browser may cache a preflight, in seconds.
const MAX_AGE: &str = "600";
/// Socket.io's path prefix (its long-polls and WebSocket upgrades).
const SOCKET_IO: &str = "/socket.io";

/// Which origins may call from a browser.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Origins on localhost and private networks (production allows its web app's dev hosts).
    pub local_networks: bool,
    /// Exact origins, normalized by [`normalize_origin`].
    pub origins: Vec<String>,
}

impl Policy {
    /// Is a browser page of `origin` allowed?
    pub fn allows(&self, origin: &str) -> bool {
        let Ok(origin) = normalize_origin(origin) else {
            return false;
        };
        self.origins.contains(&origin) || (self.local_networks && is_local(&origin))
    }
}

/// `scheme://host[:port]`, lowercased, as browsers send it; `Err` says what is wrong.
/// `*` is refused: with credentials, an origin must be named.
pub fn normalize_origin(raw: &str) -> Result<String, String> {
    let origin = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    if origin == "*" {
        return Err("`*` cannot be allowed with credentials; name each origin".into());
    }
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .ok_or_else(|| format!("{raw:?} is not an http(s) origin like https://app.example"))?;
    if split_host_port(rest).is_none() {
        return Err(format!(
            "{raw:?} is not an origin: scheme://host[:port], no path"
        ));
    }
    Ok(origin)
}

/// `host[:port]` → host; `None` when it holds anything else (a path, user info, a bad port).
fn split_host_port(rest: &str) -> Option<&str> {
    let (host, port, v6) = match rest.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']')?;
            let port = match after {
                "" => None,
                a => Some(a.strip_prefix(':')?),
            };
            (host, port, true)
        }
        None => match rest.split_once(':') {
            Some((h, p)) => (h, Some(p), false),
            None => (rest, None, false),
        },
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || (v6 && b == b':'));
    (port_ok && host_ok).then_some(host)
}

/// localhost, loopback and private-network hosts (normalized origin).
fn is_local(origin: &str) -> bool {
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or(origin);
    let Some(host) = split_host_port(rest) else {
        return false;
    };
    if host == "localhost" {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback() || is_private(ip),
        Ok(IpAddr::V6(ip)) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// 10/8, 172.16/12, 192.168/16.
fn is_private(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168)
}

/// The middleware: answers preflights, adds the headers to allowed origins' answers.
pub async fn layer(State(policy): State<Arc<Policy>>, req: Request, next: Next) -> Response {
    let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
        return next.run(req).await;
    };
    let allowed = origin.to_str().is_ok_and(|o| policy.allows(o));
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if !allowed && req.uri().path().starts_with(SOCKET_IO) {
        tracing::warn!("a Socket.io connection from a foreign origin was refused");
        return refused("This origin may not open a socket here");
    }
    if preflight {
        if !allowed {
            tracing::debug!("CORS preflight from a foreign origin refused");
            return refused("This origin is not allowed");
        }
        let mut response = StatusCode::NO_CONTENT.into_response();
        let h = response.headers_mut();
        allow(h, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE),
        );
        return response;
    }
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    if allowed {
        allow(h, origin);
    } else {
        vary(h);
    }
    response
}

/// A 403 for a foreign origin that says how the operator may allow it.
fn refused(what: &str) -> Response {
    let mut response = ApiError::Forbidden(format!(
        "{what}; the server's operator can allow it with --allow-origin"
    ))
    .into_response();
    vary(response.headers_mut());
    response
}

fn allow(h: &mut HeaderMap, origin: HeaderValue) {
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    vary(h);
}

/// The answer depends on the Origin: caches must keep one per origin.
fn vary(h: &mut HeaderMap) {
    let already = h.get_all(header::VARY).iter().any(|v| {
        v.to_str()
            .is_ok_and(|s| s.to_ascii_lowercase().contains("origin"))
    });
    if !already {
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Policy {
        Policy {
            local_networks: true,
            origins: vec![],
        }
    }

    #[test]
    fn local_networks() {
        let p = local();
        for ok in [
            "http://localhost:3000",
            "https://localhost",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://10.1.2.3:3000",
            "http://172.16.0.1",
            "http://172.31.255.255:1",
            "http://192.168.0.8:3000",
            "http://[::1]:3000",
            "HTTP://LOCALHOST:3000",
        ] {
            assert!(p.allows(ok), "{ok}");
        }
        for no in [
            "http://localhost.evil.example",
            "http://evil-localhost.example",
            "http://192.168.0.8.evil.example",
            "http://172.32.0.1",
            "http://11.0.0.1",
            "https://nurse-care-frontend.vercel.app",
            "null",
            "file://",
            "http://localhost:3000/path",
            "http://user@localhost",
            "ftp://localhost",
        ] {
            assert!(!p.allows(no), "{no}");
        }
        assert!(!Policy::default().allows("http://localhost:3000"));
    }

    #[test]
    fn named_origins() {
        let p = Policy {
            local_networks: false,
            origins: vec![normalize_origin("https://App.Clinic.example/").unwrap()],
        };
        assert!(p.allows("https://app.clinic.example"));
        assert!(!p.allows("http://app.clinic.example"));
        assert!(!p.allows("https://app.clinic.example:8443"));
        assert!(!p.allows("http://localhost"));
        assert!(normalize_origin("*").is_err());
        assert!(normalize_origin("app.clinic.example").is_err());
        assert!(normalize_origin("https://app.clinic.example/x").is_err());
        assert!(normalize_origin("https://app.clinic.example:port").is_err());
        assert_eq!(
            normalize_origin("https://[::1]:3000").unwrap(),
            "https://[::1]:3000"
        );
    }
}
