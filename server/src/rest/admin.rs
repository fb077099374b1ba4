//! Part B: what an administrator (an ADMIN account) may do over REST: end every session of an
//! account (`POST /admin/sign-out {email}`), as `nursecare-server --sign-out EMAIL` does.

use axum::Json;
use axum::extract::State;
use nursecare_wire::Role;
use nursecare_wire::rest::SignOutRequest;
use std::sync::Arc;

use super::extract::ApiJson;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `POST /admin/sign-out`: every token the account held is refused from now on and its open
/// sockets are told and closed. 403 for anyone but an administrator, 404 for an unknown email.
pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    AuthUser(me): AuthUser,
    ApiJson(req): ApiJson<SignOutRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    if me.role != Role::Admin || !state.extensions() {
        return Err(ApiError::Forbidden(
            "Only an administrator may do this".into(),
        ));
    }
    let user = state
        .store
        .sign_out(&req.email, crate::sign_outs::now())
        .await?
        .ok_or_else(|| ApiError::NotFound("No account with this email".into()))?;
    crate::sign_outs::close_sockets(&state, user).await;
    tracing::info!(admin = me.sub, user, "signed out by an administrator");
    Ok(Json(serde_json::json!({ "userId": user })))
}
