//! A profile: one directory of local state (caches, the opt-in secrets file) and the secret
//! store beside it. Each server + account gets its own cache file, encrypted with a key made
//! on first use and kept in the secret store under (server, account, profile).

use crate::cache::{Cache, CacheError, CacheKey, MovedAside};
use crate::secrets::{SecretError, SecretName, SecretStore, SecretStoreKind};
use crate::session::{Session, Sessions};
use std::path::{Path, PathBuf};

/// Why a profile could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// No data directory on this system and none given.
    #[error("no data directory found on this system; pass --profile DIR")]
    NoDataDir,
    /// The cache key could not be read or kept.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The cache could not be opened (or moved aside).
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// One profile directory on one server.
#[derive(Clone)]
pub struct Profile {
    dir: PathBuf,
    name: String,
    server: String,
    store: SecretStore,
}

impl Profile {
    /// The profile in `dir`, or the platform's data directory
    /// (`~/.local/share/nursecare` on Linux).
    pub fn new(
        server: &str,
        dir: Option<PathBuf>,
        kind: SecretStoreKind,
    ) -> Result<Self, ProfileError> {
        let dir = match dir {
            Some(d) => d,
            None => directories::ProjectDirs::from("care", "NurseCare", "nursecare")
                .ok_or(ProfileError::NoDataDir)?
                .data_dir()
                .to_path_buf(),
        };
        let name = std::fs::canonicalize(&dir)
            .unwrap_or_else(|_| dir.clone())
            .display()
            .to_string();
        Ok(Self {
            store: SecretStore::new(kind, &dir),
            dir,
            name,
            server: server.trim_end_matches('/').to_owned(),
        })
    }

    /// The profile's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server's base URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The profile's settings (defaults when none were saved; a damaged file is moved aside
    /// and its new place answered).
    pub fn settings(
        &self,
    ) -> Result<(crate::settings::Settings, Option<PathBuf>), crate::settings::SettingsError> {
        crate::settings::load(&self.dir)
    }

    /// Saves the profile's settings.
    pub fn save_settings(
        &self,
        settings: &crate::settings::Settings,
    ) -> Result<(), crate::settings::SettingsError> {
        crate::settings::save(&self.dir, settings)
    }

    /// The sessions kept in this profile for its server.
    pub fn sessions(&self) -> Sessions {
        Sessions::new(self.store.clone(), &self.server, &self.name)
    }

    /// Where the cache of `session`'s account lives.
    pub fn cache_path(&self, session: &Session) -> PathBuf {
        let server: String = self
            .server
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.dir
            .join("caches")
            .join(format!("{server}-{}", session.user_id))
            .join("cache.db")
    }

    fn key_name(&self, session: &Session) -> SecretName {
        SecretName {
            server: self.server.clone(),
            account: session.user_id.to_string(),
            profile: self.name.clone(),
            what: "cache-key",
        }
    }

    /// Opens the account's cache: the key comes from the secret store (made on first use); an
    /// unreadable file (damaged, or its key lost) is moved aside and a fresh cache made.
    pub async fn open_cache(
        &self,
        session: &Session,
    ) -> Result<(Cache, Option<MovedAside>), ProfileError> {
        let name = self.key_name(session);
        let key = match self
            .store
            .get(&name)
            .await?
            .as_deref()
            .and_then(CacheKey::from_hex)
        {
            Some(k) => k,
            None => {
                let k = CacheKey::generate();
                self.store.set(&name, &k.to_hex()).await?;
                k
            }
        };
        let path = self.cache_path(session);
        let opened = tokio::task::spawn_blocking(move || Cache::open_or_rebuild(&path, &key))
            .await
            .map_err(|_| CacheError::Closed)??;
        Ok(opened)
    }

    /// Deletes the account's cache and its key (on logout, when asked).
    pub async fn remove_cache(&self, session: &Session) -> Result<(), ProfileError> {
        let path = self.cache_path(session);
        if let Some(dir) = path.parent()
            && dir.exists()
        {
            // Never under a program that has it open (the app): it would go on writing to a
            // deleted file while a new one is made.
            let _owner = Cache::own(&path)?;
            std::fs::remove_dir_all(dir).map_err(CacheError::Io)?;
        }
        self.store.delete(&self.key_name(session)).await?;
        Ok(())
    }
}
