//! Sign-in state: the access token lives in the secret store, never in a plain file (unless the
//! user opted into the file store), and the user's id and role are read from the token's
//! payload (production's login answers no user object).
//!
//! The client cannot verify the HS256 signature (the secret is the server's); it reads the
//! payload only to know who it is. The server checks the token on every call.

use base64::Engine;
use nursecare_wire::rest::Claims;
use nursecare_wire::{Id, Role};

use crate::api::{ApiClient, ApiError};
use crate::secrets::{SecretError, SecretName, SecretStore};

/// A signed-in user.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The server's base URL.
    pub server: String,
    /// The user's id (`sub`).
    pub user_id: Id,
    /// The user's email.
    pub email: String,
    /// The user's role.
    pub role: Role,
    /// The access token.
    pub token: String,
    /// When the token expires, seconds since the epoch.
    pub expires_at: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token never reaches a log through Debug.
        f.debug_struct("Session")
            .field("server", &self.server)
            .field("user_id", &self.user_id)
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Why signing in or out failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The server refused or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The token could not be kept or read.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The server's token is not a JWT with the contract's payload.
    #[error("the server sent a sign-in token this app cannot read")]
    BadToken,
}

/// The payload of a JWT, unverified.
pub fn claims_of(token: &str) -> Result<Claims, SessionError> {
    let payload = token.split('.').nth(1).ok_or(SessionError::BadToken)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| SessionError::BadToken)?;
    serde_json::from_slice(&bytes).map_err(|_| SessionError::BadToken)
}

/// The sessions of one profile on one server.
#[derive(Clone)]
pub struct Sessions {
    store: SecretStore,
    server: String,
    profile: String,
}

impl Sessions {
    /// Sessions kept in `store` for `server` under `profile`.
    pub fn new(store: SecretStore, server: &str, profile: &str) -> Self {
        Self {
            store,
            server: server.trim_end_matches('/').to_owned(),
            profile: profile.to_owned(),
        }
    }

    fn token_name(&self) -> SecretName {
        SecretName {
            server: self.server.clone(),
            account: "session".into(),
            profile: self.profile.clone(),
            what: "token",
        }
    }

    /// Signs in and keeps the token.
    pub async fn login(
        &self,
        api: &ApiClient,
        email: &str,
        password: &str,
    ) -> Result<Session, SessionError> {
        let answer = api.login(email, password).await?;
        let session = self.session_of(answer.access_token)?;
        self.store.set(&self.token_name(), &session.token).await?;
        tracing::info!(user = session.user_id, "signed in");
        Ok(session)
    }

    /// The kept session, if any and not expired (an expired one is forgotten).
    pub async fn current(&self) -> Result<Option<Session>, SessionError> {
        let Some(token) = self.store.get(&self.token_name()).await? else {
            return Ok(None);
        };
        let session = match self.session_of(token) {
            Ok(s) => s,
            Err(SessionError::BadToken) => {
                self.store.delete(&self.token_name()).await?;
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        if session.expires_at <= now() {
            self.store.delete(&self.token_name()).await?;
            return Ok(None);
        }
        Ok(Some(session))
    }

    /// Forgets the token (the server has no logout endpoint; the token simply expires there).
    pub async fn logout(&self) -> Result<(), SessionError> {
        self.store.delete(&self.token_name()).await?;
        Ok(())
    }

    fn session_of(&self, token: String) -> Result<Session, SessionError> {
        let claims = claims_of(&token)?;
        Ok(Session {
            server: self.server.clone(),
            user_id: claims.sub,
            email: claims.email,
            role: claims.role,
            token,
            expires_at: claims.exp,
        })
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_production_payloads() {
        // {"sub":2,"email":"jane@example.com","role":"NURSE","iat":1,"exp":2}
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":2,"email":"jane@example.com","role":"NURSE","iat":1,"exp":2}"#);
        let c = claims_of(&format!("h.{payload}.s")).unwrap();
        assert_eq!((c.sub, c.role, c.exp), (2, Role::Nurse, 2));
        assert!(matches!(claims_of("nodots"), Err(SessionError::BadToken)));
        assert!(matches!(claims_of("a.!!!.c"), Err(SessionError::BadToken)));
    }
}
