//! Security headers on every answer: the API serves patient data as JSON, never a page, so a
//! browser must not sniff it into HTML, frame it, keep it in a cache or leak its URL onward.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The headers and their values; a handler that set one itself keeps its own.
const HEADERS: [(HeaderName, &str); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    // Messages, calls and tokens: no browser or proxy may store them.
    (header::CACHE_CONTROL, "no-store"),
    (header::X_FRAME_OPTIONS, "DENY"),
    // Nothing here is a document: no scripts, no frames, no embedding by others.
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    ),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// The middleware, outermost, so refusals from other layers carry the headers too.
pub async fn layer(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    for (name, value) in HEADERS {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}
