//! Identity: password hashes, access tokens, and the `Bearer` extractor.
//!
//! Tokens are production's: HS256, 24 h, payload `{sub, email, role, iat, exp}`. Password hashing
//! is slow on purpose, so it runs on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use nursecare_wire::rest::Claims;
use nursecare_wire::{Id, Role};
use std::sync::Arc;

use crate::error::ApiError;
use crate::state::AppState;

/// How long an access token lives.
pub const TOKEN_TTL_SECS: i64 = 24 * 60 * 60;

/// Signs and checks access tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    /// Keys from the shared secret.
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        // `sub` is a number here (production's shape); the library checks only string `sub`s, and
        // the Claims type requires it anyway.
        validation.set_required_spec_claims(&["exp"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// A token for `user`, issued at `iat` (seconds since the epoch).
    pub fn issue(&self, user: Id, email: &str, role: Role, iat: i64) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user,
            email: email.to_owned(),
            role,
            iat,
            exp: iat + TOKEN_TTL_SECS,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
    }
}

/// Hashes a password with argon2id and a random salt (PHC string), on the blocking pool: for
/// the operator's own paths (demo data, `--create-user`); what callers ask goes through
/// [`crate::hashing::Gate`] with [`hash_now`].
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_now(&password)).await?
}

/// Hashes a password with argon2id and a random salt (PHC string); blocks.
pub fn hash_now(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// Checks a password against a PHC string; blocks. A malformed hash counts as a mismatch.
pub fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The caller of a REST endpoint, from a valid `Authorization: Bearer` token.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Claims);

impl AuthUser {
    /// The caller's user id.
    pub fn id(&self) -> Id {
        self.0.sub
    }
}

impl FromRequestParts<Arc<AppState>> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(ApiError::unauthorized)?;
        state
            .keys
            .verify(token.trim())
            .map(AuthUser)
            .ok_or_else(ApiError::unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_expire() {
        let keys = TokenKeys::new(b"secret-one");
        let now = chrono::Utc::now().timestamp();
        let t = keys.issue(5, "a@x", Role::Nurse, now).unwrap();
        let c = keys.verify(&t).unwrap();
        assert_eq!(
            (c.sub, c.role, c.exp - c.iat),
            (5, Role::Nurse, TOKEN_TTL_SECS)
        );
        assert!(
            TokenKeys::new(b"secret-two").verify(&t).is_none(),
            "other secret"
        );
        let old = keys
            .issue(5, "a@x", Role::Nurse, now - TOKEN_TTL_SECS - 5)
            .unwrap();
        assert!(keys.verify(&old).is_none(), "expired");
        assert!(keys.verify("not.a.jwt").is_none());
    }

    #[tokio::test]
    async fn passwords_verify() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(verify_now("correct horse", &h));
        assert!(!verify_now("wrong", &h));
        assert!(!verify_now("x", "garbage"));
    }
}
