//! What the secret store keeps for an account protected by its nurse's PIN: on a ward's shared
//! computer account, anyone who can use that account can read its keychain, so the cache key
//! and the token are kept there only sealed, under keys derived from the nurse's PIN and
//! password (Argon2id). The vault is plain data and its crypto; where it is kept and when it is
//! opened is [`crate::session::Sessions`]'s.

use crate::cache::CacheKey;
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use nursecare_wire::Id;
use serde::{Deserialize, Serialize};

/// Wrong PIN or password tries allowed before the account is signed out.
pub const MAX_WRONG: u8 = 5;
/// The fewest digits a PIN may have.
pub const PIN_MIN_DIGITS: usize = 6;
/// The most digits a PIN may have (a PIN is not a password).
pub const PIN_MAX_DIGITS: usize = 32;

/// Why a vault could not be made or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The PIN or password does not open it.
    #[error("wrong PIN or password")]
    Wrong,
    /// The PIN breaks the rule.
    #[error("a PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits, and digits only")]
    PinRule,
    /// The kept vault cannot be read (damaged, or written by a newer version).
    #[error("the protected sign-in kept on this computer cannot be read")]
    Damaged,
}

/// Argon2id's cost, kept in each vault so a later version may raise it for new vaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kdf {
    /// Memory, KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Kdf {
    /// What new vaults use (README, "The ward's shared computer"): 64 MiB, 3 passes, 1 lane.
    pub const DEFAULT: Kdf = Kdf {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };

    fn derive(&self, secret: &[u8], salt: &[u8]) -> Result<[u8; 32], VaultError> {
        let params =
            Params::new(self.m_kib, self.t, self.p, Some(32)).map_err(|_| VaultError::Damaged)?;
        let mut out = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(secret, salt, &mut out)
            .map_err(|_| VaultError::Damaged)?;
        Ok(out)
    }
}

/// Which secret of the nurse's opens the vault.
#[derive(Clone, Copy)]
pub enum Secret<'a> {
    /// The PIN set for the lock.
    Pin(&'a str),
    /// The account's password.
    Password(&'a str),
    /// What the nurse typed in the one field of the lock screen: a PIN, else the password.
    Either(&'a str),
}

impl std::fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Secret::Pin(_) => "Pin(…)",
            Secret::Password(_) => "Password(…)",
            Secret::Either(_) => "Either(…)",
        })
    }
}

/// The PIN as kept: digits only, `PIN_MIN_DIGITS..=PIN_MAX_DIGITS` of them (spaces typed
/// between groups are dropped).
pub fn pin_digits(pin: &str) -> Result<String, VaultError> {
    let digits: String = pin.chars().filter(|c| !c.is_whitespace()).collect();
    if (PIN_MIN_DIGITS..=PIN_MAX_DIGITS).contains(&digits.chars().count())
        && digits.chars().all(|c| c.is_ascii_digit())
    {
        Ok(digits)
    } else {
        Err(VaultError::PinRule)
    }
}

/// Bytes sealed with XChaCha20-Poly1305; `salt` is there when the key came from a secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Sealed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    nonce: String,
    data: String,
}

/// One account's vault, as kept (JSON) in the secret store.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vault {
    v: u8,
    /// Whose it is.
    pub user_id: Id,
    /// The account's email (the lock screen says whose it is).
    pub email: String,
    kdf: Kdf,
    /// The cache key under the PIN's key.
    pin: Sealed,
    /// The cache key under the password's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password: Option<Sealed>,
    /// The access token under the cache key; none while signed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<Sealed>,
    /// Wrong tries since the last unlock.
    pub wrong: u8,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("user_id", &self.user_id)
            .field("signed_in", &self.token.is_some())
            .field("wrong", &self.wrong)
            .finish_non_exhaustive()
    }
}

const VERSION: u8 = 1;

impl Vault {
    /// A vault for `key` under `pin` (checked against the rule) and, when given, the password.
    /// Slow (Argon2id): call it off the async runtime.
    pub fn new(
        user_id: Id,
        email: &str,
        key: &CacheKey,
        pin: &str,
        password: Option<&str>,
        kdf: Kdf,
    ) -> Result<Self, VaultError> {
        let pin = pin_digits(pin)?;
        let mut vault = Self {
            v: VERSION,
            user_id,
            email: email.to_owned(),
            kdf,
            pin: Sealed {
                salt: None,
                nonce: String::new(),
                data: String::new(),
            },
            password: None,
            token: None,
            wrong: 0,
        };
        vault.pin = vault.wrap("pin", pin.as_bytes(), key)?;
        if let Some(password) = password {
            vault.set_password(key, password)?;
        }
        Ok(vault)
    }

    /// Reads a kept vault.
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let vault: Self = serde_json::from_str(text).map_err(|_| VaultError::Damaged)?;
        if vault.v != VERSION {
            return Err(VaultError::Damaged);
        }
        Ok(vault)
    }

    /// The form kept in the secret store.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a vault serialises")
    }

    /// The cache key, if `secret` opens the vault. Slow (Argon2id). Does not count tries:
    /// the caller keeps [`Vault::wrong`].
    pub fn open(&self, secret: Secret<'_>) -> Result<CacheKey, VaultError> {
        let (what, sealed, bytes) = match secret {
            Secret::Either(typed) => {
                return match self.open(Secret::Pin(typed)) {
                    Err(VaultError::Wrong) => self.open(Secret::Password(typed)),
                    opened => opened,
                };
            }
            Secret::Pin(pin) => (
                "pin",
                Some(&self.pin),
                pin_digits(pin).map_err(|_| VaultError::Wrong)?,
            ),
            Secret::Password(password) => ("password", self.password.as_ref(), password.into()),
        };
        let sealed = sealed.ok_or(VaultError::Wrong)?;
        let salt = decode(sealed.salt.as_deref().ok_or(VaultError::Damaged)?)?;
        let kek = self.kdf.derive(bytes.as_bytes(), &salt)?;
        let plain = self.unseal(what, &kek, sealed)?;
        let key: [u8; 32] = plain.try_into().map_err(|_| VaultError::Damaged)?;
        Ok(CacheKey::from_bytes(key))
    }

    /// Whether a password can open it.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// Wraps `key` under a new PIN (the cache itself is never re-encrypted).
    pub fn set_pin(&mut self, key: &CacheKey, pin: &str) -> Result<(), VaultError> {
        let pin = pin_digits(pin)?;
        self.pin = self.wrap("pin", pin.as_bytes(), key)?;
        Ok(())
    }

    /// Wraps `key` under the (new) password.
    pub fn set_password(&mut self, key: &CacheKey, password: &str) -> Result<(), VaultError> {
        self.password = Some(self.wrap("password", password.as_bytes(), key)?);
        Ok(())
    }

    /// Keeps `token` sealed under the cache key.
    pub fn seal_token(&mut self, key: &CacheKey, token: &str) -> Result<(), VaultError> {
        self.token = Some(self.seal("token", key.bytes(), token.as_bytes(), None)?);
        Ok(())
    }

    /// Forgets the token (signed out); the wraps stay, so the next sign-in reads the cache.
    pub fn drop_token(&mut self) {
        self.token = None;
    }

    /// Whether a token is kept (signed in).
    pub fn signed_in(&self) -> bool {
        self.token.is_some()
    }

    /// The kept token, opened with the cache key.
    pub fn token(&self, key: &CacheKey) -> Result<Option<String>, VaultError> {
        let Some(sealed) = &self.token else {
            return Ok(None);
        };
        let plain = self
            .unseal("token", key.bytes(), sealed)
            .map_err(|_| VaultError::Damaged)?;
        String::from_utf8(plain)
            .map(Some)
            .map_err(|_| VaultError::Damaged)
    }

    fn wrap(&self, what: &str, secret: &[u8], key: &CacheKey) -> Result<Sealed, VaultError> {
        let salt: [u8; 16] = rand::random();
        let kek = self.kdf.derive(secret, &salt)?;
        self.seal(what, &kek, key.bytes(), Some(&salt))
    }

    /// What each sealed piece is bound to: a piece cannot be moved to another account or
    /// another slot.
    fn aad(&self, what: &str) -> Vec<u8> {
        format!("nursecare-vault-v{VERSION}|{what}|{}", self.user_id).into_bytes()
    }

    fn seal(
        &self,
        what: &str,
        key: &[u8; 32],
        plain: &[u8],
        salt: Option<&[u8]>,
    ) -> Result<Sealed, VaultError> {
        let nonce: [u8; 24] = rand::random();
        let data = XChaCha20Poly1305::new(key.into())
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: &self.aad(what),
                },
            )
            .map_err(|_| VaultError::Damaged)?;
        Ok(Sealed {
            salt: salt.map(|s| B64.encode(s)),
            nonce: B64.encode(nonce),
            data: B64.encode(data),
        })
    }

    fn unseal(&self, what: &str, key: &[u8; 32], sealed: &Sealed) -> Result<Vec<u8>, VaultError> {
        let nonce: [u8; 24] = decode(&sealed.nonce)?
            .try_into()
            .map_err(|_| VaultError::Damaged)?;
        XChaCha20Poly1305::new(key.into())
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &decode(&sealed.data)?,
                    aad: &self.aad(what),
                },
            )
            .map_err(|_| VaultError::Wrong)
    }
}

fn decode(text: &str) -> Result<Vec<u8>, VaultError> {
    B64.decode(text).map_err(|_| VaultError::Damaged)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters: these tests are about the sealing, not Argon2's cost.
    const CHEAP: Kdf = Kdf {
        m_kib: 256,
        t: 1,
        p: 1,
    };

    #[test]
    fn the_pin_and_the_password_open_it_and_nothing_else_does() {
        let key = CacheKey::generate();
        let vault = Vault::new(7, "a@b.test", &key, "123 456", Some("pass word"), CHEAP).unwrap();
        assert_eq!(vault.open(Secret::Pin("123456")).unwrap(), key);
        assert_eq!(vault.open(Secret::Password("pass word")).unwrap(), key);
        assert_eq!(vault.open(Secret::Either("123456")).unwrap(), key);
        assert_eq!(vault.open(Secret::Either("pass word")).unwrap(), key);
        for wrong in [
            Secret::Pin("123457"),
            Secret::Pin("12345"),
            Secret::Pin("pass word"),
            Secret::Password("123456"),
            Secret::Password("pass word "),
            Secret::Either("654321"),
        ] {
            assert_eq!(vault.open(wrong), Err(VaultError::Wrong), "{wrong:?}");
        }
    }

    #[test]
    fn what_is_kept_holds_neither_the_key_nor_the_token_nor_the_pin() {
        let key = CacheKey::generate();
        let mut vault = Vault::new(7, "a@b.test", &key, "246810", Some("pw"), CHEAP).unwrap();
        vault.seal_token(&key, "eyJ.token-text.sig").unwrap();
        let kept = vault.to_json();
        for secret in [key.to_hex().as_str(), "token-text", "246810"] {
            assert!(!kept.contains(secret), "{secret} is readable in {kept}");
        }
        let back = Vault::parse(&kept).unwrap();
        let opened = back.open(Secret::Pin("246810")).unwrap();
        assert_eq!(
            back.token(&opened).unwrap().as_deref(),
            Some("eyJ.token-text.sig")
        );
    }

    #[test]
    fn a_new_pin_rewraps_the_same_key_and_the_old_one_stops_opening() {
        let key = CacheKey::generate();
        let mut vault = Vault::new(7, "a@b.test", &key, "111111", None, CHEAP).unwrap();
        vault.set_pin(&key, "222222").unwrap();
        assert_eq!(vault.open(Secret::Pin("222222")).unwrap(), key);
        assert_eq!(vault.open(Secret::Pin("111111")), Err(VaultError::Wrong));
        // Without a password wrap, no password opens it.
        assert_eq!(
            vault.open(Secret::Password("111111")),
            Err(VaultError::Wrong)
        );
    }

    #[test]
    fn a_wrap_moved_to_another_account_does_not_open() {
        let key = CacheKey::generate();
        let mine = Vault::new(7, "a@b.test", &key, "123456", None, CHEAP).unwrap();
        let mut theirs = Vault::new(8, "c@d.test", &key, "999999", None, CHEAP).unwrap();
        theirs.pin = mine.pin.clone();
        assert_eq!(theirs.open(Secret::Pin("123456")), Err(VaultError::Wrong));
    }

    #[test]
    fn the_pin_rule() {
        for good in ["123456", "12 34 56", "12345678901234567890"] {
            assert!(pin_digits(good).is_ok(), "{good}");
        }
        for bad in ["12345", "", "12345a", "１２３４５６", &"1".repeat(33)] {
            assert_eq!(pin_digits(bad), Err(VaultError::PinRule), "{bad}");
        }
    }

    #[test]
    fn a_damaged_or_newer_vault_is_said_so() {
        assert_eq!(Vault::parse("{"), Err(VaultError::Damaged));
        let key = CacheKey::generate();
        let vault = Vault::new(7, "a@b.test", &key, "123456", None, CHEAP).unwrap();
        let newer = vault.to_json().replace("\"v\":1", "\"v\":2");
        assert_eq!(Vault::parse(&newer), Err(VaultError::Damaged));
    }
}
