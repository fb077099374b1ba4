//! Signed links to a file: what production's public CDN link is for (the web app shows images
//! with a bare `<img src={file.url}>`, which carries no token), without leaving anything
//! public. A link names the file, is bound to its content, expires within minutes, and is
//! handed only to participants; a tampered, expired or stale one is the same 404 as none.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use nursecare_wire::Id;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks links; its key comes from the server's secret, for this use only.
#[derive(Clone)]
pub struct LinkKey(HmacSha256);

impl LinkKey {
    /// The link key derived from the server's signing secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut derive = HmacSha256::new_from_slice(secret).expect("HMAC takes any key");
        derive.update(b"nursecare file links v1");
        let key = derive.finalize().into_bytes();
        Self(HmacSha256::new_from_slice(&key).expect("HMAC takes any key"))
    }

    fn mac(&self, file: Id, content: &str, expires: i64) -> HmacSha256 {
        let mut mac = self.0.clone();
        mac.update(format!("{file}.{content}.{expires}").as_bytes());
        mac
    }

    /// The path of a link to `file` (whose content hash is `content`) that works until
    /// `expires` (Unix seconds).
    pub fn path(&self, file: Id, content: &str, expires: i64) -> String {
        let sig = URL_SAFE_NO_PAD.encode(self.mac(file, content, expires).finalize().into_bytes());
        format!("/files/link/{file}/{expires}/{sig}")
    }

    /// Whether a link's signature is right for the file as stored and it has not expired.
    pub fn check(&self, file: Id, content: &str, expires: i64, sig: &str, now: i64) -> bool {
        let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
            return false;
        };
        now < expires && self.mac(file, content, expires).verify_slice(&sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_for_its_file_until_it_expires() {
        let key = LinkKey::from_secret(b"a secret of sixteen bytes");
        let path = key.path(7, "abc", 1_000);
        let sig = path.rsplit('/').next().unwrap();
        assert!(key.check(7, "abc", 1_000, sig, 999));
        assert!(!key.check(7, "abc", 1_000, sig, 1_000), "expired");
        assert!(!key.check(8, "abc", 1_000, sig, 999), "another file");
        assert!(
            !key.check(7, "abd", 1_000, sig, 999),
            "other content under the same id"
        );
        assert!(
            !key.check(7, "abc", 2_000, sig, 999),
            "a later expiry written in"
        );
        assert!(!key.check(7, "abc", 1_000, "not base64!", 999));
        let other = LinkKey::from_secret(b"another secret, sixteen");
        assert!(
            !other.check(7, "abc", 1_000, sig, 999),
            "another server's key"
        );
    }
}
