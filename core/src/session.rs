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
use crate::cache::CacheKey;
use crate::secrets::{SecretError, SecretName, SecretStore};
use crate::vault::{MAX_WRONG, Secret, Vault, VaultError};

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
    /// The cache key, when the account's vault was opened with the nurse's PIN or password
    /// (an account without a PIN keeps its key in the secret store as it is).
    pub cache_key: Option<CacheKey>,
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
    /// The account is locked with its nurse's PIN: unlock it first.
    #[error("{email} is locked with a PIN: unlock it with the PIN or the password")]
    Locked {
        /// Whose account.
        email: String,
    },
    /// The PIN or password does not open the account; `left` more tries before signing out.
    #[error("wrong PIN or password ({left} tries left)")]
    WrongSecret {
        /// Tries left.
        left: u8,
    },
    /// Too many wrong tries: the account was signed out (its cache and queue stay, sealed,
    /// for the next sign-in with the password).
    #[error("too many wrong tries: signed out; sign in again with your password")]
    TooManyTries,
    /// Setting a PIN needs the account's password, and this one was refused.
    #[error("wrong password")]
    WrongPassword,
    /// Nothing is locked: no account with a PIN is signed in.
    #[error("not signed in")]
    NotSignedIn,
    /// The PIN breaks the rule, or the kept vault cannot be read.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// The account kept signed in, as far as can be told without its nurse.
#[derive(Debug, Clone)]
pub enum Kept {
    /// Usable now (no PIN).
    Open(Session),
    /// Sealed under the nurse's PIN: [`Sessions::unlock`] opens it.
    Locked(LockedAccount),
}

/// An account signed in and locked with a PIN: only what the lock screen may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedAccount {
    /// The user's id.
    pub user_id: Id,
    /// The user's email.
    pub email: String,
    /// Wrong tries so far.
    pub wrong: u8,
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

    fn who_name(&self) -> SecretName {
        SecretName {
            what: "who",
            ..self.token_name()
        }
    }

    fn vault_name(&self, user_id: Id) -> SecretName {
        SecretName {
            server: self.server.clone(),
            account: user_id.to_string(),
            profile: self.profile.clone(),
            what: "vault",
        }
    }

    /// The vault of `user_id`'s account, if it has a PIN.
    pub async fn vault(&self, user_id: Id) -> Result<Option<Vault>, SessionError> {
        match self.store.get(&self.vault_name(user_id)).await? {
            Some(text) => Ok(Some(Vault::parse(&text)?)),
            None => Ok(None),
        }
    }

    /// Keeps `vault` (the account's only kept form from then on).
    pub async fn keep_vault(&self, vault: &Vault) -> Result<(), SessionError> {
        self.store
            .set(&self.vault_name(vault.user_id), &vault.to_json())
            .await?;
        Ok(())
    }

    /// Forgets `user_id`'s vault (its cache is being deleted).
    pub async fn forget_vault(&self, user_id: Id) -> Result<(), SessionError> {
        self.store.delete(&self.vault_name(user_id)).await?;
        Ok(())
    }

    /// Marks the PIN-protected `vault`'s account as the one signed in, its token sealed in it;
    /// a plain token of the profile is forgotten.
    pub async fn keep_sealed(&self, vault: &Vault) -> Result<(), SessionError> {
        self.keep_vault(vault).await?;
        self.store
            .set(&self.who_name(), &vault.user_id.to_string())
            .await?;
        self.store.delete(&self.token_name()).await?;
        Ok(())
    }

    /// Signs in and keeps the token: sealed in the account's vault when it has a PIN (the
    /// password opens it, and the wrong tries start again), plain otherwise.
    pub async fn login(
        &self,
        api: &ApiClient,
        email: &str,
        password: &str,
    ) -> Result<Session, SessionError> {
        let answer = api.login(email, password).await?;
        let mut session = self.session_of(answer.access_token)?;
        match self.vault(session.user_id).await {
            Ok(Some(vault)) => {
                let password = password.to_owned();
                let (mut vault, key) = blocking(move || {
                    let key = vault.open(Secret::Password(&password));
                    (vault, key)
                })
                .await;
                match key {
                    Ok(key) => {
                        vault.wrong = 0;
                        vault.seal_token(&key, &session.token)?;
                        self.keep_sealed(&vault).await?;
                        session.cache_key = Some(key);
                        tracing::info!(user = session.user_id, "signed in; the vault opened");
                        return Ok(session);
                    }
                    // The password changed since the vault was made: only the PIN opens the
                    // old cache now, and the PIN cannot be asked for here. The vault goes;
                    // the cache is moved aside when opened with a new key.
                    Err(e) => {
                        tracing::warn!(user = session.user_id, error = %e, "the vault does not open with this password; it is replaced")
                    }
                }
                self.forget_vault(session.user_id).await?;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(user = session.user_id, error = %e, "unreadable vault replaced");
                self.forget_vault(session.user_id).await?;
            }
        }
        self.store.set(&self.token_name(), &session.token).await?;
        self.store.delete(&self.who_name()).await?;
        tracing::info!(user = session.user_id, "signed in");
        Ok(session)
    }

    /// The account kept signed in: open (no PIN) or locked (its nurse's PIN opens it). An
    /// expired plain token is forgotten.
    pub async fn kept(&self) -> Result<Option<Kept>, SessionError> {
        if let Some(token) = self.store.get(&self.token_name()).await? {
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
            return Ok(Some(Kept::Open(session)));
        }
        let Some(user_id) = self
            .store
            .get(&self.who_name())
            .await?
            .and_then(|who| who.trim().parse::<Id>().ok())
        else {
            return Ok(None);
        };
        match self.vault(user_id).await? {
            Some(vault) if vault.signed_in() => Ok(Some(Kept::Locked(LockedAccount {
                user_id,
                email: vault.email.clone(),
                wrong: vault.wrong,
            }))),
            _ => {
                self.store.delete(&self.who_name()).await?;
                Ok(None)
            }
        }
    }

    /// The kept session if it can be used now; a locked one is [`SessionError::Locked`].
    pub async fn current(&self) -> Result<Option<Session>, SessionError> {
        match self.kept().await? {
            Some(Kept::Open(session)) => Ok(Some(session)),
            Some(Kept::Locked(account)) => Err(SessionError::Locked {
                email: account.email,
            }),
            None => Ok(None),
        }
    }

    /// Opens the locked account with its nurse's PIN or password. Each wrong try is kept;
    /// the [`MAX_WRONG`]th signs the account out (the vault and the cache stay, so the next
    /// sign-in with the password reads them). An expired token inside signs out too.
    pub async fn unlock(&self, secret: Secret<'_>) -> Result<Session, SessionError> {
        let Some(Kept::Locked(account)) = self.kept().await? else {
            return Err(SessionError::NotSignedIn);
        };
        let mut vault = self
            .vault(account.user_id)
            .await?
            .ok_or(SessionError::NotSignedIn)?;
        let typed = Typed::of(secret);
        let (back, opened) = blocking(move || {
            let opened = vault.open(typed.secret());
            (vault, opened)
        })
        .await;
        vault = back;
        let key = match opened {
            Ok(key) => key,
            Err(VaultError::Wrong) => {
                vault.wrong = vault.wrong.saturating_add(1);
                if vault.wrong >= MAX_WRONG {
                    vault.drop_token();
                    vault.wrong = 0;
                    self.keep_vault(&vault).await?;
                    self.store.delete(&self.who_name()).await?;
                    tracing::warn!(user = account.user_id, "too many wrong tries; signed out");
                    return Err(SessionError::TooManyTries);
                }
                self.keep_vault(&vault).await?;
                tracing::info!(
                    user = account.user_id,
                    wrong = vault.wrong,
                    "wrong PIN or password"
                );
                return Err(SessionError::WrongSecret {
                    left: MAX_WRONG - vault.wrong,
                });
            }
            Err(e) => return Err(e.into()),
        };
        if vault.wrong != 0 {
            vault.wrong = 0;
            self.keep_vault(&vault).await?;
        }
        let token = vault.token(&key)?.ok_or(SessionError::NotSignedIn)?;
        let mut session = self.session_of(token)?;
        if session.expires_at <= now() {
            vault.drop_token();
            self.keep_vault(&vault).await?;
            self.store.delete(&self.who_name()).await?;
            return Err(SessionError::Api(ApiError::SessionExpired));
        }
        session.cache_key = Some(key);
        tracing::info!(user = session.user_id, "unlocked");
        Ok(session)
    }

    /// Forgets the token (the server has no logout endpoint; the token simply expires there).
    /// A vault keeps its wraps, so the cache and its queue wait for the next sign-in.
    pub async fn logout(&self) -> Result<(), SessionError> {
        self.store.delete(&self.token_name()).await?;
        if let Some(user_id) = self
            .store
            .get(&self.who_name())
            .await?
            .and_then(|who| who.trim().parse::<Id>().ok())
        {
            if let Some(mut vault) = self.vault(user_id).await? {
                vault.drop_token();
                self.keep_vault(&vault).await?;
            }
            self.store.delete(&self.who_name()).await?;
        }
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
            cache_key: None,
        })
    }
}

/// A [`Secret`] owned, to go to the blocking pool.
enum Typed {
    Pin(String),
    Password(String),
    Either(String),
}

impl Typed {
    fn of(secret: Secret<'_>) -> Self {
        match secret {
            Secret::Pin(p) => Self::Pin(p.to_owned()),
            Secret::Password(p) => Self::Password(p.to_owned()),
            Secret::Either(p) => Self::Either(p.to_owned()),
        }
    }

    fn secret(&self) -> Secret<'_> {
        match self {
            Self::Pin(p) => Secret::Pin(p),
            Self::Password(p) => Secret::Password(p),
            Self::Either(p) => Secret::Either(p),
        }
    }
}

/// Runs Argon2id's slow work off the async runtime.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .expect("a vault's work does not panic")
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
