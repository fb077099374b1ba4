//! A profile: one directory of local state (caches, the opt-in secrets file) and the secret
//! store beside it. Each server + account gets its own cache file, encrypted with a key made
//! on first use and kept in the secret store under (server, account, profile).

use crate::cache::{Cache, CacheError, CacheKey, MovedAside};
use crate::secrets::{SecretError, SecretName, SecretStore, SecretStoreKind};
use crate::session::{Session, SessionError, Sessions};
use crate::vault::{Kdf, Secret, Vault};
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
    /// The account's PIN or vault.
    #[error(transparent)]
    Session(#[from] SessionError),
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
    /// The profile in `dir`, or [`Profile::default_dir`].
    pub fn new(
        server: &str,
        dir: Option<PathBuf>,
        kind: SecretStoreKind,
    ) -> Result<Self, ProfileError> {
        let dir = match dir {
            Some(d) => d,
            None => Self::default_dir().ok_or(ProfileError::NoDataDir)?,
        };
        let name = name_of(&dir);
        // Folder names alone tell the server and the account: other accounts on the computer
        // may not look in (what an older version made is tightened here).
        match nursecare_owner_only::tighten(&dir) {
            Ok(0) => {}
            Ok(changed) => tracing::info!(changed, "profile made owner-only"),
            Err(e) => tracing::warn!(error = %e, "could not make the profile owner-only"),
        }
        Ok(Self {
            store: SecretStore::new(kind, &dir),
            dir,
            name,
            server: server.trim_end_matches('/').to_owned(),
        })
    }

    /// Where the profile lives unless one is named: `~/.local/share/nursecare` on Linux,
    /// `%LOCALAPPDATA%\NurseCare\nursecare\data` on Windows (not the roaming folder: a cache
    /// of every message has no place in a profile copied at each sign-in to a domain).
    pub fn default_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("care", "NurseCare", "nursecare")
            .map(|d| d.data_local_dir().to_path_buf())
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
        self.account_dir(session.user_id).join("cache.db")
    }

    /// The folder of `user_id`'s account on this server: its cache and its nurse's own
    /// settings.
    pub fn account_dir(&self, user_id: nursecare_wire::Id) -> PathBuf {
        let server: String = self
            .server
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.dir.join("caches").join(format!("{server}-{user_id}"))
    }

    /// The settings as `user_id`'s nurse sees them (their own choices over the profile's);
    /// the profile's with nobody.
    pub fn settings_for(
        &self,
        user_id: Option<nursecare_wire::Id>,
    ) -> Result<(crate::settings::Settings, Option<PathBuf>), crate::settings::SettingsError> {
        match user_id {
            Some(id) => crate::settings::load_for(&self.dir, &self.account_dir(id)),
            None => self.settings(),
        }
    }

    /// Saves `user_id`'s nurse's settings (see [`crate::settings::save_for`]); the profile's
    /// with nobody.
    pub fn save_settings_for(
        &self,
        user_id: Option<nursecare_wire::Id>,
        settings: &crate::settings::Settings,
    ) -> Result<(), crate::settings::SettingsError> {
        match user_id {
            Some(id) => crate::settings::save_for(&self.dir, &self.account_dir(id), settings),
            None => self.save_settings(settings),
        }
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
        let key = match &session.cache_key {
            Some(k) => k.clone(),
            None => self.plain_key(session).await?,
        };
        let path = self.cache_path(session);
        let opened = tokio::task::spawn_blocking(move || Cache::open_or_rebuild(&path, &key))
            .await
            .map_err(|_| CacheError::Closed)??;
        Ok(opened)
    }

    /// The key kept as it is for an account without a PIN (made on first use).
    async fn plain_key(&self, session: &Session) -> Result<CacheKey, ProfileError> {
        let name = self.key_name(session);
        match self
            .store
            .get(&name)
            .await?
            .as_deref()
            .and_then(CacheKey::from_hex)
        {
            Some(k) => Ok(k),
            None => {
                let k = CacheKey::generate();
                self.store.set(&name, &k.to_hex()).await?;
                Ok(k)
            }
        }
    }

    /// Deletes the account's cache and its key, plain or sealed (on logout, when asked).
    pub async fn remove_cache(&self, session: &Session) -> Result<(), ProfileError> {
        // Never under a program that has it open (the app): it would go on writing to a
        // deleted file while a new one is made.
        Cache::remove(&self.cache_path(session))?;
        self.store.delete(&self.key_name(session)).await?;
        self.sessions().forget_vault(session.user_id).await?;
        Ok(())
    }

    /// Sets or changes the PIN of `session`'s account, proven by its password (checked
    /// against the vault's password wrap, or by the server when there is none yet). The
    /// cache key is wrapped under both, never changed, so the cache is not re-encrypted; an
    /// account without a PIN moves its key and token into the vault (nothing of it stays
    /// readable in the secret store). Answers the session with its key.
    pub async fn set_pin(
        &self,
        session: &Session,
        api: &crate::api::ApiClient,
        password: &str,
        pin: &str,
    ) -> Result<Session, ProfileError> {
        crate::vault::pin_digits(pin).map_err(SessionError::from)?;
        let sessions = self.sessions();
        let kept = sessions.vault(session.user_id).await?;
        let key = match &kept {
            Some(vault) if vault.has_password() => {
                let (vault, password) = (vault.clone(), password.to_owned());
                tokio::task::spawn_blocking(move || vault.open(Secret::Password(&password)))
                    .await
                    .map_err(|_| CacheError::Closed)?
                    .map_err(|_| SessionError::WrongPassword)?
            }
            _ => {
                match api.login(&session.email, password).await {
                    Ok(answer)
                        if crate::session::claims_of(&answer.access_token)?.sub
                            == session.user_id => {}
                    Ok(_) | Err(crate::api::ApiError::InvalidCredentials) => {
                        return Err(SessionError::WrongPassword.into());
                    }
                    Err(e) => return Err(SessionError::from(e).into()),
                }
                match &session.cache_key {
                    Some(k) => k.clone(),
                    None => self.plain_key(session).await?,
                }
            }
        };
        let (who, email, token) = (
            session.user_id,
            session.email.clone(),
            session.token.clone(),
        );
        let (pin, password, key_for) = (pin.to_owned(), password.to_owned(), key.clone());
        let vault = tokio::task::spawn_blocking(move || -> Result<Vault, SessionError> {
            let mut vault = match kept {
                Some(mut vault) => {
                    vault.set_pin(&key_for, &pin)?;
                    vault.set_password(&key_for, &password)?;
                    vault
                }
                None => Vault::new(who, &email, &key_for, &pin, Some(&password), Kdf::DEFAULT)?,
            };
            vault.wrong = 0;
            vault.seal_token(&key_for, &token)?;
            Ok(vault)
        })
        .await
        .map_err(|_| CacheError::Closed)??;
        sessions.keep_sealed(&vault).await?;
        // Only now: a failure above leaves the account as it was.
        self.store.delete(&self.key_name(session)).await?;
        tracing::info!(user = session.user_id, "PIN set; the cache key is sealed");
        Ok(Session {
            cache_key: Some(key),
            ..session.clone()
        })
    }
}

/// The profile's name in the secret store: one folder, one name, whatever form its path is
/// given in (relative, through a symlink or a short 8.3 name, `C:\x` or `\\?\C:\x`) and
/// whether it exists yet. The nearest existing ancestor is resolved and the rest appended, so
/// a folder named before it is made keeps its name once it exists; Windows' verbatim prefix,
/// which `canonicalize` adds there, is dropped where the plain form means the same folder.
fn name_of(dir: &Path) -> String {
    use std::path::Component;
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let parts: Vec<Component> = absolute.components().collect();
    // The longest leading part that exists, resolved by the system…
    let (mut path, rest) = (1..=parts.len())
        .rev()
        .find_map(|n| {
            let head: PathBuf = parts[..n].iter().collect();
            std::fs::canonicalize(head)
                .ok()
                .map(|real| (plain(real), &parts[n..]))
        })
        .unwrap_or_else(|| (PathBuf::new(), &parts[..]));
    // …and the rest by its words: a folder that does not exist is no link, so `..` in it
    // only means its parent.
    for part in rest {
        match part {
            Component::ParentDir => {
                path.pop();
            }
            Component::CurDir => {}
            other => path.push(other),
        }
    }
    path.display().to_string()
}

/// `\\?\C:\x` as `C:\x` and `\\?\UNC\host\share` as `\\host\share` (Windows); other
/// paths as they are.
fn plain(path: PathBuf) -> PathBuf {
    use std::path::{Component, Prefix};
    let Some(Component::Prefix(prefix)) = path.components().next() else {
        return path;
    };
    let head = match prefix.kind() {
        Prefix::VerbatimDisk(drive) => format!("{}:", char::from(drive)),
        Prefix::VerbatimUNC(host, share) => {
            format!(r"\\{}\{}", host.to_string_lossy(), share.to_string_lossy())
        }
        _ => return path,
    };
    let mut out = PathBuf::from(head);
    out.push(std::path::MAIN_SEPARATOR_STR);
    out.extend(
        path.components()
            .skip(1)
            .filter(|c| *c != Component::RootDir),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(dir: &Path) -> String {
        Profile::new("http://s", Some(dir.to_path_buf()), SecretStoreKind::File)
            .unwrap()
            .name
    }

    #[test]
    fn a_folder_keeps_its_name_once_it_exists() {
        let top = tempfile::tempdir().unwrap();
        // Spaces and letters beyond ASCII, as in C:\Users\Zoë Ng\…
        let dir = top.path().join("Zoë Ng").join("NurseCare data");
        let before = profile(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(profile(&dir), before);
        assert!(Path::new(&before).is_absolute(), "{before}");
    }

    #[test]
    fn relative_and_absolute_forms_name_one_profile() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("ward");
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(profile(&dir.join("..").join("ward")), profile(&dir));
        let later = top.path().join("later");
        let through_missing = top.path().join("missing").join("..").join("later");
        assert_eq!(profile(&through_missing), profile(&later), "before");
        std::fs::create_dir_all(&later).unwrap();
        assert_eq!(profile(&through_missing), profile(&later), "after");
        let cwd = std::env::current_dir().unwrap();
        // (Under Wine the temporary folder is on C: and the working one on Z:.)
        if cwd.components().next() == dir.components().next() {
            assert_eq!(profile(&pathdiff(&dir, &cwd)), profile(&dir));
        }
    }

    /// `to` relative to `from` (both absolute, same drive).
    fn pathdiff(to: &Path, from: &Path) -> PathBuf {
        let (to, from) = (
            std::fs::canonicalize(to).unwrap(),
            std::fs::canonicalize(from).unwrap(),
        );
        let common = to
            .components()
            .zip(from.components())
            .take_while(|(a, b)| a == b)
            .count();
        let mut out = PathBuf::new();
        for _ in from.components().skip(common) {
            out.push("..");
        }
        out.extend(to.components().skip(common));
        out
    }

    #[test]
    #[cfg_attr(not(windows), ignore = "Windows' path forms")]
    fn drive_letter_and_verbatim_forms_name_one_profile() {
        let top = tempfile::tempdir().unwrap();
        let dir = plain(std::fs::canonicalize(top.path()).unwrap()).join("Zoë Ng");
        let verbatim = PathBuf::from(format!(r"\\?\{}", dir.display()));
        let before = profile(&dir);
        assert!(!before.starts_with(r"\\?\"), "{before}");
        assert_eq!(profile(&verbatim), before, "before the folder exists");
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(profile(&dir), before, "after");
        assert_eq!(profile(&verbatim), before);
    }

    /// Windows: the default profile is the user's local application data, found the way
    /// Windows says (Wine's prefix under the test), not from `HOME`.
    #[test]
    #[cfg_attr(not(windows), ignore = "Windows' folders")]
    fn the_default_profile_is_in_local_app_data() {
        let local = PathBuf::from(std::env::var_os("LOCALAPPDATA").expect("LOCALAPPDATA"));
        let dir = Profile::default_dir().unwrap();
        assert!(
            dir.starts_with(&local),
            "{} in {}",
            dir.display(),
            local.display()
        );
        assert!(
            dir.ends_with(r"NurseCare\nursecare\data"),
            "{}",
            dir.display()
        );
    }

    #[test]
    fn plain_paths_stay_as_they_are() {
        let p = std::env::temp_dir().join("x");
        assert_eq!(plain(p.clone()), p);
    }

    /// Profile folders were 755 and cache files 644: encrypted, but the folder names tell the
    /// server and the account (issue 16). New ones are owner-only, old ones tightened.
    #[cfg(unix)]
    #[test]
    fn a_profile_and_its_cache_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("profile");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let profile =
            Profile::new("http://s:3001", Some(dir.clone()), SecretStoreKind::File).unwrap();
        profile
            .save_settings(&crate::settings::Settings::default())
            .unwrap();
        let session = Session {
            server: "http://s:3001".into(),
            user_id: 4,
            email: "n@c.test".into(),
            role: nursecare_wire::Role::Nurse,
            token: "t".into(),
            expires_at: 0,
            cache_key: None,
        };
        let path = profile.cache_path(&session);
        let (cache, _) = Cache::open_or_rebuild(&path, &CacheKey::generate()).unwrap();
        let folders = [
            dir.clone(),
            dir.join("caches"),
            path.parent().unwrap().to_path_buf(),
        ];
        let mut files = vec![
            dir.join("settings.json"),
            path.clone(),
            path.with_extension("lock"),
        ];
        files.extend(["db-wal", "db-shm"].map(|e| path.with_extension(e)));
        for f in &folders {
            assert_eq!(mode(f), 0o700, "{}", f.display());
        }
        for f in &files {
            assert_eq!(mode(f), 0o600, "{}", f.display());
        }
        drop(cache);
        for p in folders.iter().chain(&files) {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755));
        }
        Profile::new("http://s:3001", Some(dir.clone()), SecretStoreKind::File).unwrap();
        for f in &folders {
            assert_eq!(mode(f), 0o700, "{} tightened", f.display());
        }
        for f in files.iter().filter(|f| f.exists()) {
            assert_eq!(mode(f), 0o600, "{} tightened", f.display());
        }
    }
}
