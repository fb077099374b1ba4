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

/// The most nurses kept signed in at once in one profile (one computer account): a ward's
/// shift with room to spare. Each running account holds a socket and an open cache.
pub const MAX_ACCOUNTS: usize = 8;

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
    /// As many nurses as a computer keeps are signed in already.
    #[error("{max} nurses are signed in on this computer already: sign one out first")]
    TooManyAccounts {
        /// The limit, [`MAX_ACCOUNTS`].
        max: usize,
    },
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

impl Kept {
    /// Whose account.
    pub fn user_id(&self) -> Id {
        match self {
            Self::Open(s) => s.user_id,
            Self::Locked(a) => a.user_id,
        }
    }

    /// The account's email.
    pub fn email(&self) -> &str {
        match self {
            Self::Open(s) => &s.email,
            Self::Locked(a) => &a.email,
        }
    }
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

    /// The plain token of `user_id`'s account (one without a PIN).
    fn token_name(&self, user_id: Id) -> SecretName {
        SecretName {
            server: self.server.clone(),
            account: user_id.to_string(),
            profile: self.profile.clone(),
            what: "token",
        }
    }

    /// The accounts signed in, most recently used first.
    fn roster_name(&self) -> SecretName {
        SecretName {
            server: self.server.clone(),
            account: "session".into(),
            profile: self.profile.clone(),
            what: "accounts",
        }
    }

    /// Where a version with one account per profile kept its plain token (`"token"`) or the
    /// id of its sealed account (`"who"`).
    fn single_name(&self, what: &'static str) -> SecretName {
        SecretName {
            what,
            ..self.roster_name()
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

    /// Keeps the PIN-protected `vault`'s account signed in, its token sealed in it (its plain
    /// token is forgotten), as the account in use.
    pub async fn keep_sealed(&self, vault: &Vault) -> Result<(), SessionError> {
        self.keep_vault(vault).await?;
        self.store.delete(&self.token_name(vault.user_id)).await?;
        self.put_first(vault.user_id).await
    }

    /// The ids of the accounts on the roster, most recently used first (what an older
    /// version kept for its one account joins it).
    async fn roster(&self) -> Result<Vec<Id>, SessionError> {
        let mut ids: Vec<Id> = match self.store.get(&self.roster_name()).await? {
            Some(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the list of signed-in accounts is unreadable; none kept");
                Vec::new()
            }),
            None => Vec::new(),
        };
        let single_token = self.store.get(&self.single_name("token")).await?;
        let single_who = self.store.get(&self.single_name("who")).await?;
        if single_token.is_none() && single_who.is_none() {
            return Ok(ids);
        }
        if let Some(token) = single_token
            && let Ok(claims) = claims_of(&token)
        {
            self.store.set(&self.token_name(claims.sub), &token).await?;
            if !ids.contains(&claims.sub) {
                ids.insert(0, claims.sub);
            }
        }
        if let Some(id) = single_who.and_then(|who| who.trim().parse::<Id>().ok())
            && !ids.contains(&id)
        {
            ids.insert(0, id);
        }
        self.keep_roster(&ids).await?;
        self.store.delete(&self.single_name("token")).await?;
        self.store.delete(&self.single_name("who")).await?;
        tracing::info!("the signed-in account moved to the list of accounts");
        Ok(ids)
    }

    async fn keep_roster(&self, ids: &[Id]) -> Result<(), SessionError> {
        if ids.is_empty() {
            self.store.delete(&self.roster_name()).await?;
        } else {
            let text = serde_json::to_string(ids).expect("ids serialise");
            self.store.set(&self.roster_name(), &text).await?;
        }
        Ok(())
    }

    /// Puts `user_id` first on the roster (the account in use, the CLI's and the next
    /// start's).
    async fn put_first(&self, user_id: Id) -> Result<(), SessionError> {
        let mut ids = self.roster().await?;
        if ids.first() == Some(&user_id) {
            return Ok(());
        }
        ids.retain(|id| *id != user_id);
        ids.insert(0, user_id);
        self.keep_roster(&ids).await
    }

    async fn take_off(&self, user_id: Id) -> Result<(), SessionError> {
        let mut ids = self.roster().await?;
        let before = ids.len();
        ids.retain(|id| *id != user_id);
        if ids.len() != before {
            self.keep_roster(&ids).await?;
        }
        Ok(())
    }

    /// Makes `user_id`'s account the one in use (the CLI's, and the one the app shows
    /// first at its next start).
    pub async fn make_current(&self, user_id: Id) -> Result<(), SessionError> {
        if !self.roster().await?.contains(&user_id) {
            return Err(SessionError::NotSignedIn);
        }
        self.put_first(user_id).await
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
        let signed_in = self.kept_all().await?;
        if signed_in.len() >= MAX_ACCOUNTS
            && !signed_in.iter().any(|k| k.user_id() == session.user_id)
        {
            tracing::warn!(max = MAX_ACCOUNTS, "sign-in refused: the roster is full");
            return Err(SessionError::TooManyAccounts { max: MAX_ACCOUNTS });
        }
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
        self.store
            .set(&self.token_name(session.user_id), &session.token)
            .await?;
        self.put_first(session.user_id).await?;
        tracing::info!(user = session.user_id, "signed in");
        Ok(session)
    }

    /// The account in use (the most recently used one kept signed in): open (no PIN) or
    /// locked (its nurse's PIN opens it).
    pub async fn kept(&self) -> Result<Option<Kept>, SessionError> {
        Ok(self.kept_all().await?.into_iter().next())
    }

    /// Every account kept signed in, most recently used first. Those no longer signed in
    /// (an expired plain token, a vault without its token) leave the roster.
    pub async fn kept_all(&self) -> Result<Vec<Kept>, SessionError> {
        let ids = self.roster().await?;
        let mut kept = Vec::with_capacity(ids.len());
        for &id in &ids {
            if let Some(k) = self.kept_account(id).await? {
                kept.push(k);
            }
        }
        if kept.len() != ids.len() {
            let still: Vec<Id> = kept.iter().map(Kept::user_id).collect();
            self.keep_roster(&still).await?;
        }
        Ok(kept)
    }

    /// `user_id`'s account as kept: open, locked, or not signed in (an expired or unreadable
    /// plain token is forgotten).
    pub async fn kept_account(&self, user_id: Id) -> Result<Option<Kept>, SessionError> {
        if let Some(token) = self.store.get(&self.token_name(user_id)).await? {
            match self.session_of(token) {
                Ok(s) if s.user_id == user_id && s.expires_at > now() => {
                    return Ok(Some(Kept::Open(s)));
                }
                Ok(_) | Err(SessionError::BadToken) => {
                    self.store.delete(&self.token_name(user_id)).await?;
                }
                Err(e) => return Err(e),
            }
        }
        match self.vault(user_id).await? {
            Some(vault) if vault.signed_in() => Ok(Some(Kept::Locked(LockedAccount {
                user_id,
                email: vault.email.clone(),
                wrong: vault.wrong,
            }))),
            _ => Ok(None),
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
        let Some(current) = self.roster().await?.first().copied() else {
            return Err(SessionError::NotSignedIn);
        };
        self.unlock_account(current, secret).await
    }

    /// Opens `user_id`'s locked account, as [`Sessions::unlock`] does; it becomes the account
    /// in use.
    pub async fn unlock_account(
        &self,
        user_id: Id,
        secret: Secret<'_>,
    ) -> Result<Session, SessionError> {
        let Some(Kept::Locked(account)) = self.kept_account(user_id).await? else {
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
                    self.take_off(account.user_id).await?;
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
            self.take_off(account.user_id).await?;
            return Err(SessionError::Api(ApiError::SessionExpired));
        }
        self.put_first(account.user_id).await?;
        session.cache_key = Some(key);
        tracing::info!(user = session.user_id, "unlocked");
        Ok(session)
    }

    /// Signs the account in use out: see [`Sessions::logout_account`].
    pub async fn logout(&self) -> Result<(), SessionError> {
        match self.roster().await?.first() {
            Some(&current) => self.logout_account(current).await,
            None => Ok(()),
        }
    }

    /// Forgets `user_id`'s token (the server has no logout endpoint; the token simply expires
    /// there). A vault keeps its wraps, so the cache and its queue wait for the next sign-in.
    /// The other accounts stay signed in.
    pub async fn logout_account(&self, user_id: Id) -> Result<(), SessionError> {
        self.store.delete(&self.token_name(user_id)).await?;
        if let Some(mut vault) = self.vault(user_id).await?
            && vault.signed_in()
        {
            vault.drop_token();
            self.keep_vault(&vault).await?;
        }
        self.take_off(user_id).await
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
