//! The REST API: one module per resource, wired into one router here.

mod admin;
mod auth;
mod calls;
mod extract;
mod files;
mod messaging;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::routing::{get, patch, post};
use std::sync::Arc;

use crate::error::ApiError;
use crate::state::AppState;

/// Largest accepted request body (Part B.7: larger ones answer 413).
pub const MAX_BODY: usize = 1024 * 1024;

/// The longest a REST request may take, its body included (answered 408).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The longest an upload may take to arrive (25 MB over a slow clinic line).
pub const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Every REST route of the contract.
pub fn router(state: Arc<AppState>) -> Router {
    // Multipart framing on top of the file itself.
    let upload_limit = state.settings.files.max_bytes as usize + 64 * 1024;
    let upload = Router::new()
        .route("/files/upload", post(files::upload))
        .layer(DefaultBodyLimit::max(upload_limit))
        .layer(timeout(UPLOAD_TIMEOUT));
    let file_routes = Router::new()
        .route("/files/conversation/{id}", get(files::list))
        .route("/files/link/{id}/{expires}/{sig}", get(files::by_link))
        .route("/files/{id}/download", get(files::download))
        .route("/files/{id}", get(files::info).delete(files::delete))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(timeout(REQUEST_TIMEOUT))
        .merge(upload)
        .layer(axum::middleware::from_fn(crate::access_log::keep_route));
    Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/admin/sign-out", post(admin::sign_out))
        .route(
            "/messaging/conversations",
            post(messaging::create_conversation).get(messaging::list_conversations),
        )
        .route(
            "/messaging/conversations/{id}/messages",
            get(messaging::messages),
        )
        .route(
            "/messaging/conversations/{id}/read",
            post(messaging::mark_read),
        )
        .route("/messaging/unread-count", get(messaging::unread_count))
        .route("/video-calls/start", post(calls::start))
        .route("/video-calls/accept", post(calls::accept))
        .route("/video-calls/{id}/reject", patch(calls::reject))
        .route("/video-calls/{id}/missed", patch(calls::missed))
        .route("/video-calls/{id}/end", patch(calls::end))
        .route("/video-calls/room/{room_name}", get(calls::by_room))
        .route(
            "/video-calls/conversation/{id}/history",
            get(calls::history),
        )
        .route(
            "/video-calls/conversation/{id}/ongoing",
            get(calls::ongoing),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // A body sent a byte at a time may not hold a handler (and a connection) for ever.
        .layer(timeout(REQUEST_TIMEOUT))
        .layer(axum::middleware::from_fn(crate::access_log::keep_route))
        .merge(file_routes)
        .with_state(state)
}

/// A request (its body included) that takes longer is answered 408: a body sent a byte at a
/// time may not hold a handler, and a connection, for ever.
fn timeout(limit: std::time::Duration) -> tower_http::timeout::TimeoutLayer {
    tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        limit,
    )
}

/// NestJS's answer to an unknown route.
async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("Cannot {method} {}", uri.path()))
}
