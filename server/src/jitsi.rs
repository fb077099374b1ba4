//! Jitsi rooms: the link a call answers with, and the token that lets one participant in.
//!
//! A clinic's Jitsi with token auth (HS256, shared app secret) or 8x8's JaaS (RS256, the
//! clinic's private key) admits only holders of a token signed for them. Only the server holds
//! the key, so only the server signs: per user, per room, short-lived, and only for the call's
//! participants (the callers of this module check that). Without configuration there is no
//! token, as on production.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use nursecare_wire::Id;
use serde::Serialize;
use std::fmt;

/// How long a call token admits its holder. Jitsi checks it when joining, not during the
/// meeting; a rejoin asks the server for a fresh one (`GET /video-calls/room/:name`).
pub const TOKEN_TTL_SECS: i64 = 60 * 60;
/// Allowance for clocks behind ours (`nbf`).
const CLOCK_SKEW_SECS: i64 = 30;
/// Public meetings, production's choice.
pub const PUBLIC_BASE: &str = "https://meet.jit.si";
/// JaaS meetings live under `https://8x8.vc/<app id>/<room>`.
pub const JAAS_HOST: &str = "8x8.vc";

/// A Jitsi setting the server cannot use; it refuses to start with it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--jitsi-url` is not an http(s) URL with a host.
    #[error("--jitsi-url must be an https:// URL with a host, got {0:?}")]
    BadUrl(String),
    /// An empty app id, key id or secret.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// The app secret is too short to resist guessing.
    #[error("--jitsi-app-secret must be at least {MIN_SECRET} characters")]
    ShortSecret,
    /// The JaaS key is not an RSA private key in PEM.
    #[error("--jaas-private-key is not an RSA private key in PEM (PKCS#1 or PKCS#8): {0}")]
    BadKey(String),
}

/// The shortest app secret accepted (HS256 wants at least 256 bits of it).
pub const MIN_SECRET: usize = 32;

/// Who a token is for.
#[derive(Debug, Clone, Copy)]
pub struct Participant<'a> {
    /// Their user id.
    pub id: Id,
    /// The name the meeting shows.
    pub name: &'a str,
    /// Staff moderate JaaS meetings (mute, remove); patients do not.
    pub moderator: bool,
}

enum Signing {
    Off,
    SelfHosted {
        app_id: String,
        domain: String,
        key: EncodingKey,
    },
    Jaas {
        app_id: String,
        kid: String,
        key: EncodingKey,
    },
}

/// Where calls meet, and how their tokens are signed.
pub struct Jitsi {
    base: String,
    signing: Signing,
}

impl fmt::Debug for Jitsi {
    // Never the secret or the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jitsi")
            .field("base", &self.base)
            .field("tokens", &self.mode())
            .finish()
    }
}

impl Default for Jitsi {
    fn default() -> Self {
        Self {
            base: PUBLIC_BASE.into(),
            signing: Signing::Off,
        }
    }
}

/// The host of an `https://host[:port]/path` URL, checked.
fn host_of(base: &str) -> Result<String, ConfigError> {
    let bad = || ConfigError::BadUrl(base.to_owned());
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if valid {
        Ok(host.to_owned())
    } else {
        Err(bad())
    }
}

fn non_empty(value: &str, what: &'static str) -> Result<String, ConfigError> {
    let v = value.trim();
    if v.is_empty() {
        Err(ConfigError::Empty(what))
    } else {
        Ok(v.to_owned())
    }
}

impl Jitsi {
    /// Meetings at `base` (`https://jitsi.clinic.example`), joined without tokens.
    pub fn open(base: &str) -> Result<Self, ConfigError> {
        host_of(base)?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            signing: Signing::Off,
        })
    }

    /// A self-hosted Jitsi at `base` with token auth: HS256 with the app secret, claims as
    /// Jitsi's token auth (prosody `token` authentication) expects.
    pub fn self_hosted(base: &str, app_id: &str, secret: &str) -> Result<Self, ConfigError> {
        let domain = host_of(base)?;
        let app_id = non_empty(app_id, "--jitsi-app-id")?;
        if secret.len() < MIN_SECRET {
            return Err(ConfigError::ShortSecret);
        }
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            signing: Signing::SelfHosted {
                app_id,
                domain,
                key: EncodingKey::from_secret(secret.as_bytes()),
            },
        })
    }

    /// 8x8's JaaS: meetings at `https://8x8.vc/<app id>/<room>`, RS256 with the clinic's key
    /// (its public half uploaded to JaaS as `key_id`).
    pub fn jaas(app_id: &str, key_id: &str, private_key_pem: &[u8]) -> Result<Self, ConfigError> {
        let app_id = non_empty(app_id, "--jaas-app-id")?;
        let key_id = non_empty(key_id, "--jaas-key-id")?;
        let key = EncodingKey::from_rsa_pem(private_key_pem)
            .map_err(|e| ConfigError::BadKey(e.to_string()))?;
        // The PEM parser takes any PEM (a public key too); only signing tells, so sign once
        // now rather than fail every call later.
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &serde_json::json!({}), &key)
            .map_err(|e| ConfigError::BadKey(e.to_string()))?;
        Ok(Self {
            base: format!("https://{JAAS_HOST}/{app_id}"),
            signing: Signing::Jaas {
                kid: format!("{app_id}/{key_id}"),
                app_id,
                key,
            },
        })
    }

    /// `off`, `self-hosted` or `jaas` (for the start-up log).
    pub fn mode(&self) -> &'static str {
        match self.signing {
            Signing::Off => "off",
            Signing::SelfHosted { .. } => "self-hosted",
            Signing::Jaas { .. } => "jaas",
        }
    }

    /// The meeting's URL (`jitsiUrl`).
    pub fn url(&self, room: &str) -> String {
        format!("{}/{room}", self.base)
    }

    /// A token admitting `who` to `room` from `now` (seconds since the epoch) for
    /// [`TOKEN_TTL_SECS`]; `None` when tokens are off. A signing failure is logged and
    /// answered as no token: the call still works where the Jitsi needs none.
    pub fn token(&self, who: Participant<'_>, room: &str, now: i64) -> Option<String> {
        let (header, claims, key) = match &self.signing {
            Signing::Off => return None,
            Signing::SelfHosted {
                app_id,
                domain,
                key,
            } => (
                Header::new(Algorithm::HS256),
                Claims {
                    iss: app_id,
                    aud: app_id,
                    sub: domain,
                    room,
                    iat: now,
                    nbf: now - CLOCK_SKEW_SECS,
                    exp: now + TOKEN_TTL_SECS,
                    context: Context {
                        user: User {
                            id: who.id.to_string(),
                            name: who.name,
                            moderator: None,
                        },
                    },
                },
                key,
            ),
            Signing::Jaas { app_id, kid, key } => {
                let mut header = Header::new(Algorithm::RS256);
                header.kid = Some(kid.clone());
                (
                    header,
                    Claims {
                        iss: "chat",
                        aud: "jitsi",
                        sub: app_id,
                        room,
                        iat: now,
                        nbf: now - CLOCK_SKEW_SECS,
                        exp: now + TOKEN_TTL_SECS,
                        context: Context {
                            user: User {
                                id: who.id.to_string(),
                                name: who.name,
                                // JaaS reads the strings "true" and "false".
                                moderator: Some(if who.moderator { "true" } else { "false" }),
                            },
                        },
                    },
                    key,
                )
            }
        };
        match jsonwebtoken::encode(&header, &claims, key) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::error!(error = %e, mode = self.mode(), "signing a call token failed");
                None
            }
        }
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    room: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    context: Context<'a>,
}

#[derive(Serialize)]
struct Context<'a> {
    user: User<'a>,
}

#[derive(Serialize)]
struct User<'a> {
    id: String,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    moderator: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_joined() {
        let j = Jitsi::open("https://meet.clinic.example/").unwrap();
        assert_eq!(j.url("r1"), "https://meet.clinic.example/r1");
        assert_eq!(j.token(who(), "r1", 0), None);
        for bad in ["meet.clinic.example", "https://", "ftp://x", "https://a b/"] {
            assert!(Jitsi::open(bad).is_err(), "{bad}");
        }
        assert_eq!(host_of("http://127.0.0.1:8443/base").unwrap(), "127.0.0.1");
    }

    #[test]
    fn a_short_secret_or_an_empty_id_is_refused() {
        let base = "https://meet.clinic.example";
        assert!(matches!(
            Jitsi::self_hosted(base, "app", "short"),
            Err(ConfigError::ShortSecret)
        ));
        assert!(matches!(
            Jitsi::self_hosted(base, " ", &"s".repeat(40)),
            Err(ConfigError::Empty(_))
        ));
        assert!(matches!(
            Jitsi::jaas("app", "key", b"not a key"),
            Err(ConfigError::BadKey(_))
        ));
    }

    #[test]
    fn debug_shows_no_secret() {
        let j = Jitsi::self_hosted("https://m.example", "app", &"q".repeat(40)).unwrap();
        let shown = format!("{j:?}");
        assert!(!shown.contains("qqqq"), "{shown}");
        assert!(shown.contains("self-hosted"), "{shown}");
    }

    fn who() -> Participant<'static> {
        Participant {
            id: 7,
            name: "Nina",
            moderator: true,
        }
    }
}
