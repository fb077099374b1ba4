//! A profile's settings: what the user chose for this installation (server, Jitsi domain,
//! notification privacy, start at login), in `settings.json` in the profile directory. What
//! is chosen per conversation (muted, drafts) lives in the account's encrypted cache instead.
//!
//! Written whole to a temporary file of the writer's own, flushed, and renamed over the old
//! one, so a crash mid-write leaves the old file or the new one; a file that cannot be read is
//! moved aside (kept, never deleted) and the defaults used, and the caller is told. A value
//! a newer version wrote that this one does not know reads as the default, not as damage.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How much a new-message notification shows (on a locked screen too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub enum NotificationPrivacy {
    /// The sender's name and the message text.
    SenderAndText,
    /// Only that there is a new message.
    Nothing,
    /// The sender's name only: no patient's words on a locked screen. (Also what a value
    /// written by a newer version reads as.)
    #[default]
    #[serde(other)]
    SenderOnly,
}

/// The settings of a profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[derive(ts_rs::TS)]
pub struct Settings {
    /// The server chosen in the app (flags and the environment come first).
    pub server: Option<String>,
    /// The clinic's Jitsi domain for calls (the calls issue).
    pub jitsi_domain: Option<String>,
    /// What notifications show.
    pub notification_privacy: NotificationPrivacy,
    /// Start the app at login (opt-in).
    pub start_at_login: bool,
    /// Minutes without input before the window locks (none: the default, 5; 0: never by
    /// itself). An administrator's value wins ([`crate::lock::policy`]).
    pub lock_minutes: Option<u32>,
}

/// Why settings could not be kept.
#[derive(Debug, thiserror::Error)]
#[error("settings file {path}: {source}")]
pub struct SettingsError {
    /// The file.
    pub path: PathBuf,
    /// What failed.
    #[source]
    pub source: std::io::Error,
}

/// Where the settings of the profile in `dir` live.
pub fn path(dir: &Path) -> PathBuf {
    dir.join("settings.json")
}

/// Reads the settings; a missing file is the defaults. A file that does not parse is moved
/// aside and the defaults answered, with where it went.
pub fn load(dir: &Path) -> Result<(Settings, Option<PathBuf>), SettingsError> {
    let file = path(dir);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Settings::default(), None));
        }
        Err(source) => return Err(SettingsError { path: file, source }),
    };
    match serde_json::from_str(&text) {
        Ok(s) => Ok((s, None)),
        Err(_) => {
            let stamp = nursecare_wire::Timestamp::now().millis();
            let aside = file.with_extension(format!("unreadable-{stamp}"));
            std::fs::rename(&file, &aside).map_err(|source| SettingsError {
                path: file.clone(),
                source,
            })?;
            tracing::warn!(to = %aside.display(), "unreadable settings moved aside; defaults used");
            Ok((Settings::default(), Some(aside)))
        }
    }
}

/// Writes the settings whole (temporary file, then rename).
pub fn save(dir: &Path, settings: &Settings) -> Result<(), SettingsError> {
    let file = path(dir);
    let err = |source| SettingsError {
        path: file.clone(),
        source,
    };
    nursecare_owner_only::create_dir(dir).map_err(err)?;
    let text = serde_json::to_string_pretty(settings).map_err(|e| err(e.into()))?;
    // A name of this writer's own (the app and a CLI command may save at once), flushed to
    // disk before it replaces the old file.
    let tmp = file.with_extension(format!(
        "json.{}-{}.tmp",
        std::process::id(),
        nursecare_wire::Timestamp::now().millis()
    ));
    let written = (|| {
        use std::io::Write;
        nursecare_owner_only::create_file(&tmp)?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &file)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_a_damaged_file_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), (Settings::default(), None));
        assert_eq!(
            Settings::default().notification_privacy,
            NotificationPrivacy::SenderOnly,
            "no patient's words on a locked screen unless chosen"
        );
        let chosen = Settings {
            jitsi_domain: Some("meet.clinic.example".into()),
            notification_privacy: NotificationPrivacy::Nothing,
            start_at_login: true,
            ..Settings::default()
        };
        save(dir.path(), &chosen).unwrap();
        assert_eq!(load(dir.path()).unwrap().0, chosen);
        // An older file without the newer fields still reads; so does a newer one.
        std::fs::write(path(dir.path()), r#"{"startAtLogin": true}"#).unwrap();
        assert!(load(dir.path()).unwrap().0.start_at_login);
        std::fs::write(
            path(dir.path()),
            r#"{"notificationPrivacy": "initialsOnly", "jitsiDomain": "meet.x", "future": 1}"#,
        )
        .unwrap();
        let (s, aside) = load(dir.path()).unwrap();
        assert_eq!(
            (s.notification_privacy, s.jitsi_domain.as_deref(), aside),
            (NotificationPrivacy::SenderOnly, Some("meet.x"), None)
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        std::fs::write(path(dir.path()), "{ not json").unwrap();
        let (s, aside) = load(dir.path()).unwrap();
        assert_eq!(s, Settings::default());
        let aside = aside.unwrap();
        assert_eq!(std::fs::read_to_string(aside).unwrap(), "{ not json");
    }
}
