//! Identity: password hashes, access tokens, and the `Bearer` extractor.
//!
//! Tokens are production's: HS256, 24 h, payload `{sub, email, role, iat, exp}`. Password hashing
//! is slow on purpose, so it runs on the blocking pool.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm as Argon2Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use nursecare_wire::rest::Claims;
use nursecare_wire::{Id, Role};
use std::sync::Arc;

use crate::error::ApiError;
use crate::hashing::Scratch;
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
    tokio::task::spawn_blocking(move || hash_now(&password, &mut Scratch::default())).await?
}

/// Hashes a password with argon2id (default parameters) and a random salt into a PHC string,
/// in `scratch`'s memory; blocks.
pub fn hash_now(password: &str, scratch: &mut Scratch) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    let argon = Argon2::default();
    let params = argon.params().clone();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let blocks = scratch
        .blocks(params.block_count())
        .ok_or_else(|| anyhow::anyhow!("argon2 parameters beyond the memory cap"))?;
    let hash = Output::init_with(
        params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN),
        |out| {
            argon
                .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, &mut *blocks)
                .map_err(|_| argon2::password_hash::Error::Crypto)
        },
    )
    .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    let phc = PasswordHash {
        algorithm: Argon2Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    };
    Ok(phc.to_string())
}

/// Checks a password against a PHC string in `scratch`'s memory; blocks. A malformed hash, or
/// one asking for more memory than [`crate::hashing::MAX_BLOCKS`], counts as a mismatch.
pub fn verify_now(password: &str, hash: &str, scratch: &mut Scratch) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Argon2Algorithm::try_from(parsed.algorithm),
        parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let Some(blocks) = scratch.blocks(params.block_count()) else {
        tracing::warn!("a stored password hash asks for more memory than allowed; refused");
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let computed = Output::init_with(expected.len(), |out| {
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, &mut *blocks)
            .map_err(|_| argon2::password_hash::Error::Crypto)
    });
    // `Output`'s equality is constant-time.
    computed.is_ok_and(|c| c == expected)
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
        let claims = state
            .keys
            .verify(token.trim())
            .ok_or_else(ApiError::unauthorized)?;
        match standing(state, &claims).await? {
            Standing::Good => {}
            Standing::Gone => return Err(ApiError::unauthorized()),
            Standing::SignedOut => {
                return Err(ApiError::Unauthorized(
                    nursecare_wire::rest::SIGNED_OUT_MESSAGE.into(),
                ));
            }
        }
        Ok(AuthUser(claims))
    }
}

/// Is the token's account still the one it was issued to, and not signed out since? A
/// correctly signed token may name an id that no longer exists or now belongs to someone else:
/// a database restored or reset beside the same secret (`--demo` keeps both in one folder)
/// reuses ids. The account must exist with the token's email (compared as stored, without
/// case), and an administrator's sign-out refuses every token issued at or before it.
pub async fn holder_exists(state: &AppState, claims: &Claims) -> Result<bool, ApiError> {
    Ok(standing(state, claims).await? == Standing::Good)
}

/// Whether a correctly signed token still stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Its account, not signed out since.
    Good,
    /// No such account (any more), or another one under that id.
    Gone,
    /// An administrator signed the account out after the token was issued.
    SignedOut,
}

/// See [`holder_exists`].
pub async fn standing(state: &AppState, claims: &Claims) -> Result<Standing, ApiError> {
    let found = state.store.users(&[claims.sub]).await?;
    Ok(match found.first() {
        Some(u) if u.email == crate::identity::canonical_email(&claims.email) => {
            match u.signed_out_at {
                Some(at) if claims.iat <= at => Standing::SignedOut,
                _ => Standing::Good,
            }
        }
        _ => Standing::Gone,
    })
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
        let s = &mut Scratch::default();
        assert!(verify_now("correct horse", &h, s));
        assert!(!verify_now("wrong", &h, s));
        assert!(!verify_now("x", "garbage", s));
        // Hashes made by the argon2 crate's own path (older accounts) still verify.
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let old = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify_now("correct horse", &old, s));
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        // A stored hash asking for a gigabyte is refused, not run.
        let greedy = old.replace("m=19456", "m=1048576");
        assert!(!verify_now("correct horse", &greedy, s));
    }
}
