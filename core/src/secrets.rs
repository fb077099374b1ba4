//! Where the core keeps secrets (the access token, the cache key): the OS keychain, or, only
//! when the user opts in, a file readable by the user alone. Never a silent plaintext fallback:
//! when no keychain answers, the caller gets [`SecretError::KeychainUnavailable`], whose message
//! says how to opt in.
//!
//! Keychain calls run on a plain thread of their own with a time-out: the Linux Secret Service
//! client blocks (and panics inside a tokio worker), and a locked keyring can leave a call
//! hanging for ever; a hung call is abandoned instead of stalling the app or its shutdown.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The keychain's service name for every NurseCare entry.
const SERVICE: &str = "org.nursecare.desktop";
/// How long a keychain call may take.
const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Which store to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretStoreKind {
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager).
    Keychain,
    /// A mode-600 file in the profile directory (opt-in: `--secret-store file`).
    File,
}

impl std::str::FromStr for SecretStoreKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "keychain" => Ok(Self::Keychain),
            "file" => Ok(Self::File),
            other => Err(format!(
                "unknown secret store {other:?}: use keychain or file"
            )),
        }
    }
}

/// Why a secret could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No keychain answered.
    #[error(
        "no OS keychain is available ({0}); to keep secrets in a file readable only by you, \
         use --secret-store file or NURSECARE_SECRET_STORE=file"
    )]
    KeychainUnavailable(String),
    /// The keychain did not answer in time (it may be locked).
    #[error("the OS keychain did not answer (is it locked?)")]
    KeychainTimeout,
    /// The secrets file could not be read or written.
    #[error("secrets file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// The name of one secret: which server, which account, which profile, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretName {
    /// The server's base URL.
    pub server: String,
    /// The account (email or user id).
    pub account: String,
    /// The profile directory's name.
    pub profile: String,
    /// `"token"`, `"cache-key"`, …
    pub what: &'static str,
}

impl SecretName {
    fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.server, self.account, self.profile, self.what
        )
    }
}

/// A secret store.
#[derive(Clone)]
pub struct SecretStore {
    kind: SecretStoreKind,
    file: PathBuf,
    /// Serialises read-modify-write of the file within this process.
    lock: Arc<Mutex<()>>,
}

impl SecretStore {
    /// A store of `kind`; the file store keeps `secrets.json` in `profile_dir`.
    pub fn new(kind: SecretStoreKind, profile_dir: &Path) -> Self {
        Self {
            kind,
            file: profile_dir.join("secrets.json"),
            lock: Arc::new(Mutex::new(())),
        }
    }

    /// Which store this is.
    pub fn kind(&self) -> SecretStoreKind {
        self.kind
    }

    /// Reads a secret; `None` when there is none.
    pub async fn get(&self, name: &SecretName) -> Result<Option<String>, SecretError> {
        match self.kind {
            SecretStoreKind::Keychain => {
                let key = name.key();
                keychain(move || match entry(&key)?.get_password() {
                    Ok(s) => Ok(Some(s)),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(e) => Err(unavailable(e)),
                })
                .await
            }
            SecretStoreKind::File => Ok(self.read_file()?.remove(&name.key())),
        }
    }

    /// Writes a secret.
    pub async fn set(&self, name: &SecretName, value: &str) -> Result<(), SecretError> {
        match self.kind {
            SecretStoreKind::Keychain => {
                let (key, value) = (name.key(), value.to_owned());
                keychain(move || entry(&key)?.set_password(&value).map_err(unavailable)).await
            }
            SecretStoreKind::File => {
                let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                let mut all = self.read_file()?;
                all.insert(name.key(), value.to_owned());
                self.write_file(&all)
            }
        }
    }

    /// Removes a secret (absent is fine).
    pub async fn delete(&self, name: &SecretName) -> Result<(), SecretError> {
        match self.kind {
            SecretStoreKind::Keychain => {
                let key = name.key();
                keychain(move || match entry(&key)?.delete_credential() {
                    Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                    Err(e) => Err(unavailable(e)),
                })
                .await
            }
            SecretStoreKind::File => {
                let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                let mut all = self.read_file()?;
                if all.remove(&name.key()).is_some() {
                    self.write_file(&all)?;
                }
                Ok(())
            }
        }
    }

    fn file_error(&self, reason: impl std::fmt::Display) -> SecretError {
        SecretError::File {
            path: self.file.clone(),
            reason: reason.to_string(),
        }
    }

    fn read_file(&self) -> Result<BTreeMap<String, String>, SecretError> {
        match std::fs::read(&self.file) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|_| self.file_error("not a secrets file"))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(self.file_error(e)),
        }
    }

    /// Writes a temporary file with mode 600 and renames it over the old one.
    fn write_file(&self, all: &BTreeMap<String, String>) -> Result<(), SecretError> {
        use std::io::Write;
        if let Some(dir) = self.file.parent() {
            nursecare_owner_only::create_dir(dir).map_err(|e| self.file_error(e))?;
        }
        let tmp = self.file.with_extension("json.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp).map_err(|e| self.file_error(e))?;
        let bytes = serde_json::to_vec(all).map_err(|e| self.file_error(e))?;
        f.write_all(&bytes)
            .and_then(|_| f.sync_all())
            .map_err(|e| self.file_error(e))?;
        std::fs::rename(&tmp, &self.file).map_err(|e| self.file_error(e))
    }
}

fn entry(key: &str) -> Result<keyring::Entry, SecretError> {
    keyring::Entry::new(SERVICE, key).map_err(unavailable)
}

fn unavailable(e: keyring::Error) -> SecretError {
    // keyring's messages name the platform failure, never the secret.
    SecretError::KeychainUnavailable(e.to_string())
}

/// Runs a keychain call on a thread of its own, abandoning it after [`KEYCHAIN_TIMEOUT`].
async fn keychain<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, SecretError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("keychain".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| SecretError::KeychainUnavailable(e.to_string()))?;
    match tokio::time::timeout(KEYCHAIN_TIMEOUT, rx).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(SecretError::KeychainUnavailable(
            "the keychain call failed".into(),
        )),
        Err(_) => Err(SecretError::KeychainTimeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(what: &'static str) -> SecretName {
        SecretName {
            server: "http://127.0.0.1:3001".into(),
            account: "n@c.test".into(),
            profile: "default".into(),
            what,
        }
    }

    #[tokio::test]
    async fn file_store_round_trips_with_mode_600() {
        let dir = tempfile::tempdir().unwrap();
        let s = SecretStore::new(SecretStoreKind::File, dir.path());
        assert_eq!(s.get(&name("token")).await.unwrap(), None);
        s.set(&name("token"), "t1").await.unwrap();
        s.set(&name("cache-key"), "k1").await.unwrap();
        assert_eq!(s.get(&name("token")).await.unwrap().as_deref(), Some("t1"));
        s.delete(&name("token")).await.unwrap();
        assert_eq!(s.get(&name("token")).await.unwrap(), None);
        assert_eq!(
            s.get(&name("cache-key")).await.unwrap().as_deref(),
            Some("k1")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join("secrets.json"), b"garbage").unwrap();
        assert!(matches!(
            s.get(&name("token")).await,
            Err(SecretError::File { .. })
        ));
    }

    #[test]
    fn kinds_parse() {
        assert_eq!("file".parse(), Ok(SecretStoreKind::File));
        assert!("plaintext".parse::<SecretStoreKind>().is_err());
    }
}
