//! `POST /auth/register` and `POST /auth/login`.

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use nursecare_wire::Role;
use nursecare_wire::rest::{
    ErrorMessage, LoginRequest, LoginResponse, RegisterRequest, RegisterResponse,
};
use rand::RngCore;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::OnceCell;

use super::extract::ApiJson;
use crate::auth::{hash_now, verify_now};
use crate::error::{ApiError, ApiResult};
use crate::hashing::{Busy, Scratch};
use crate::state::{AppState, Registration};
use crate::store::NewUser;
use crate::{identity, password_policy};

const MAX_EMAIL: usize = 254;

pub async fn register(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegisterResponse>)> {
    let mut problems = Vec::new();
    if !plausible_email(&req.email) {
        problems.push("email must be an email".to_owned());
    }
    problems.extend(password_policy::problems(&req.password, &req.email));
    let name = match req.name.as_deref().map(identity::display_name).transpose() {
        Ok(name) => name,
        Err(problem) => {
            problems.push(problem);
            None
        }
    };
    if !problems.is_empty() {
        return Err(ApiError::BadRequest(ErrorMessage::Many(problems)));
    }
    // Part B.7: production lets anyone register as ADMIN; here only the operator makes admins.
    if req.role == Role::Admin {
        return Err(ApiError::Forbidden(
            "ADMIN accounts are created by the server's operator".into(),
        ));
    }
    // A clinic's server (`--registration patients`): staff accounts are the operator's too.
    if req.role == Role::Nurse && state.settings.registration == Registration::Patients {
        return Err(ApiError::Forbidden(
            "NURSE accounts are created by the server's operator; this server registers patients only".into(),
        ));
    }
    // A taken email answers 409 (a patient must learn to sign in instead), so each such answer
    // spends from the address's budget; a new account gives its attempt back.
    let attempt = state
        .login_limiter
        .reserve_registration(peer.ip(), Instant::now())
        .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
    let password = req.password;
    let password_hash = hashed(&state, move |s| hash_now(&password, s))
        .await?
        .map_err(ApiError::Internal)?;
    let created = state
        .store
        .create_user(NewUser {
            email: req.email,
            name,
            role: req.role,
            password_hash,
        })
        .await;
    let user = match created {
        Ok(user) => {
            attempt.succeeded();
            user
        }
        Err(e @ crate::store::StoreError::Conflict(_)) => {
            let _ = attempt.failed();
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user = user.id, "user registered");
    Ok((
        StatusCode::CREATED,
        Json(RegisterResponse {
            id: user.id,
            email: user.email,
        }),
    ))
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<(StatusCode, Json<LoginResponse>)> {
    let addr = peer.ip();
    // Reserved before anything is checked, so concurrent tries meet the limit too; an attempt
    // that ends without a verdict (busy, store error) is given back when dropped.
    let attempt = state
        .login_limiter
        .reserve(&req.email, addr, Instant::now())
        .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
    if req.email.len() > MAX_EMAIL || req.password.len() > password_policy::MAX_BYTES {
        let _ = attempt.failed();
        return Err(invalid_credentials());
    }
    let user = state.store.user_by_email(&req.email).await?;
    // Verify against a dummy hash for unknown emails so timing does not reveal accounts.
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => dummy_hash(&state).await?,
    };
    let password = req.password;
    // A computer that signed in before is checked first: a flood from new addresses cannot keep
    // a clinic's own sign-ins waiting behind it.
    let known = state.login_limiter.known(addr, Instant::now());
    let verify = move |s: &mut Scratch| verify_now(&password, &hash, s);
    let ok = if known {
        busy_is_503(&state, state.hashing.run_first(verify).await)?
    } else {
        hashed(&state, verify).await?
    } && user.is_some();
    let Some(user) = user.filter(|_| ok) else {
        if let Some(lock) = attempt.failed() {
            tracing::warn!(%addr, lock_secs = lock.as_secs(), "repeated failed logins; locked");
        }
        return Err(invalid_credentials());
    };
    attempt.succeeded();
    let now = chrono::Utc::now().timestamp();
    let access_token = state
        .keys
        .issue(user.id, &user.email, user.role, now)
        .map_err(ApiError::Internal)?;
    tracing::info!(user = user.id, "login");
    Ok((
        StatusCode::CREATED,
        Json(LoginResponse {
            access_token,
            refresh_token: opaque_refresh_token(),
        }),
    ))
}

fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized("Invalid credentials".into())
}

/// There is no refresh endpoint (production has none either); the field is kept for shape and
/// is random, so it can never be used as an access token.
fn opaque_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs password work in a turn of the server's hashing gate; no turn in time is a 503 with
/// the wait to retry after.
async fn hashed<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&mut Scratch) -> T + Send + 'static,
) -> ApiResult<T> {
    busy_is_503(state, state.hashing.run(work).await)
}

fn busy_is_503<T>(state: &AppState, outcome: Result<T, Busy>) -> ApiResult<T> {
    outcome.map_err(|Busy| {
        tracing::warn!("password hashing is at capacity; a caller was told to retry");
        ApiError::ServiceUnavailable {
            retry_after_secs: state.hashing.retry_after_secs(),
        }
    })
}

/// The hash an unknown email is checked against (so timing does not reveal accounts); made
/// once, through the gate like any other, while concurrent callers wait for that one.
async fn dummy_hash(state: &AppState) -> ApiResult<String> {
    static HASH: OnceCell<String> = OnceCell::const_new();
    HASH.get_or_try_init(|| async {
        hashed(state, |s| hash_now("not a real password", s))
            .await?
            .map_err(ApiError::Internal)
    })
    .await
    .cloned()
}

fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.len() <= MAX_EMAIL
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::plausible_email;

    #[test]
    fn emails() {
        assert!(plausible_email("nurse.joy@clinic.example"));
        assert!(!plausible_email("nurse"));
        assert!(!plausible_email("@clinic.example"));
        assert!(!plausible_email("a@localhost"));
        assert!(!plausible_email("a b@c.de"));
    }
}
