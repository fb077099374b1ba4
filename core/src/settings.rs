//! A profile's settings: what the user chose for this installation (server, Jitsi domain,
//! notification privacy, start at login), in `settings.json` in the profile directory. What
//! is chosen per conversation (muted, drafts) lives in the account's encrypted cache instead.
//!
//! Written whole to a temporary file and renamed over the old one, so a crash mid-write never
//! leaves half a file; a file that cannot be read is moved aside (kept, never deleted) and
//! the defaults used, and the caller is told.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How much a new-message notification shows (on a locked screen too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub enum NotificationPrivacy {
    /// The sender's name and the message text.
    SenderAndText,
    /// The sender's name only: no patient's words on a locked screen.
    #[default]
    SenderOnly,
    /// Only that there is a new message.
    Nothing,
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
    std::fs::create_dir_all(dir).map_err(err)?;
    let text = serde_json::to_string_pretty(settings).map_err(|e| err(e.into()))?;
    let tmp = file.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::rename(&tmp, &file).map_err(err)
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
        // An older file without the newer fields still reads.
        std::fs::write(path(dir.path()), r#"{"startAtLogin": true}"#).unwrap();
        assert!(load(dir.path()).unwrap().0.start_at_login);
        std::fs::write(path(dir.path()), "{ not json").unwrap();
        let (s, aside) = load(dir.path()).unwrap();
        assert_eq!(s, Settings::default());
        let aside = aside.unwrap();
        assert_eq!(std::fs::read_to_string(aside).unwrap(), "{ not json");
    }
}
