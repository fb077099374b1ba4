//! The access log: one line per HTTP request, so an operator sees the 4xx a client meets.
//!
//! A line holds the method, the route (the matched pattern such as
//! `/messaging/conversations/{id}/messages`, `/socket.io/` for Socket.io, else the path), the
//! status and the latency. Never a query string (Socket.io's carries the session id, and some
//! clients put tokens there), a body or a header. Lines are at `info`, except Socket.io's
//! successful requests (one per long-poll and per event over polling), which are at `debug`.

use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// Socket.io's path (with the trailing slash it is served under).
const SOCKET_IO: &str = "/socket.io/";
/// Longest path written for a request that matched no route.
const MAX_PATH: usize = 100;

/// Inner half, inside the router: hands the matched route pattern to [`log`] through the
/// response's extensions (the outer layer runs before routing and cannot see it otherwise).
pub async fn keep_route(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(req).await;
    if let Some(m) = matched {
        response.extensions_mut().insert(m);
    }
    response
}

/// Outer half, around everything (Socket.io included): writes the line.
pub async fn log(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    // `path()` has no query string.
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    let status = response.status();
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
    let route = route_of(&response, &path);
    let socket_io = route == SOCKET_IO;
    let routine = status.is_success() || status == StatusCode::SWITCHING_PROTOCOLS;
    if socket_io && routine {
        tracing::debug!(%method, %route, status = status.as_u16(), latency_ms = format_args!("{latency_ms:.1}"), "request");
    } else {
        tracing::info!(%method, %route, status = status.as_u16(), latency_ms = format_args!("{latency_ms:.1}"), "request");
    }
    response
}

fn route_of(response: &Response, path: &str) -> String {
    if let Some(m) = response.extensions().get::<MatchedPath>() {
        return m.as_str().to_owned();
    }
    if path.starts_with(SOCKET_IO) || path == SOCKET_IO.trim_end_matches('/') {
        return SOCKET_IO.to_owned();
    }
    // An unknown route: its path, cut short (the URI holds no raw control characters).
    path.chars().take(MAX_PATH).collect()
}
