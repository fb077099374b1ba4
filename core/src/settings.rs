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
    let (settings, aside) = read(&path(dir))?;
    Ok((settings.unwrap_or_default(), aside))
}

/// Writes the settings whole (temporary file, then rename).
pub fn save(dir: &Path, settings: &Settings) -> Result<(), SettingsError> {
    write(dir, &path(dir), settings)
}

/// What each nurse chooses for themself where several share one computer account: kept in
/// their account's folder, so one nurse's choice is not the next one's. Until a nurse saves
/// their own, the profile's values (what a one-nurse version kept) apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Personal {
    notification_privacy: NotificationPrivacy,
    lock_minutes: Option<u32>,
}

/// The settings as one nurse sees them: the profile's, with their own choices (kept in
/// `account_dir`) over it.
pub fn load_for(
    dir: &Path,
    account_dir: &Path,
) -> Result<(Settings, Option<PathBuf>), SettingsError> {
    let (mut settings, aside) = load(dir)?;
    let (personal, own_aside) = read::<Personal>(&path(account_dir))?;
    if let Some(p) = personal {
        settings.notification_privacy = p.notification_privacy;
        settings.lock_minutes = p.lock_minutes;
    }
    Ok((settings, aside.or(own_aside)))
}

/// Saves one nurse's settings: their own choices in `account_dir`, the rest (server, Jitsi
/// domain, start at login: the computer's) in the profile, whose own values of the nurse's
/// choices stay as they were for the other nurses.
pub fn save_for(dir: &Path, account_dir: &Path, settings: &Settings) -> Result<(), SettingsError> {
    let (mut shared, _) = load(dir)?;
    shared.server = settings.server.clone();
    shared.jitsi_domain = settings.jitsi_domain.clone();
    shared.start_at_login = settings.start_at_login;
    save(dir, &shared)?;
    let own = Personal {
        notification_privacy: settings.notification_privacy,
        lock_minutes: settings.lock_minutes,
    };
    write(account_dir, &path(account_dir), &own)
}

/// Reads `file`: none when missing; a file that does not parse is moved aside (kept, never
/// deleted) and none answered, with where it went.
fn read<T: serde::de::DeserializeOwned>(
    file: &Path,
) -> Result<(Option<T>, Option<PathBuf>), SettingsError> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, None)),
        Err(source) => {
            return Err(SettingsError {
                path: file.to_path_buf(),
                source,
            });
        }
    };
    match serde_json::from_str(&text) {
        Ok(s) => Ok((Some(s), None)),
        Err(_) => {
            let stamp = nursecare_wire::Timestamp::now().millis();
            let aside = file.with_extension(format!("unreadable-{stamp}"));
            std::fs::rename(file, &aside).map_err(|source| SettingsError {
                path: file.to_path_buf(),
                source,
            })?;
            tracing::warn!(to = %aside.display(), "unreadable settings moved aside; defaults used");
            Ok((None, Some(aside)))
        }
    }
}

/// Writes `value` to `file` in `dir` whole (temporary file, then rename).
fn write<T: Serialize>(dir: &Path, file: &Path, value: &T) -> Result<(), SettingsError> {
    let err = |source| SettingsError {
        path: file.to_path_buf(),
        source,
    };
    nursecare_owner_only::create_dir(dir).map_err(err)?;
    let text = serde_json::to_string_pretty(value).map_err(|e| err(e.into()))?;
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
        std::fs::rename(&tmp, file)
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

    #[test]
    fn each_nurse_keeps_their_own_choices_and_shares_the_computers() {
        let dir = tempfile::tempdir().unwrap();
        let (profile, amara, ben) = (
            dir.path().to_path_buf(),
            dir.path().join("caches/a-3"),
            dir.path().join("caches/a-4"),
        );
        // Before any nurse saved their own, the profile's (the one-nurse version's) apply.
        let kept = Settings {
            notification_privacy: NotificationPrivacy::SenderAndText,
            lock_minutes: Some(15),
            ..Settings::default()
        };
        save(&profile, &kept).unwrap();
        assert_eq!(load_for(&profile, &amara).unwrap().0, kept);

        let amaras = Settings {
            notification_privacy: NotificationPrivacy::Nothing,
            lock_minutes: Some(2),
            jitsi_domain: Some("meet.clinic.example".into()),
            ..kept.clone()
        };
        save_for(&profile, &amara, &amaras).unwrap();
        assert_eq!(load_for(&profile, &amara).unwrap().0, amaras);
        let bens = load_for(&profile, &ben).unwrap().0;
        assert_eq!(
            (bens.notification_privacy, bens.lock_minutes),
            (NotificationPrivacy::SenderAndText, Some(15)),
            "Amara's choices are not Ben's"
        );
        assert_eq!(
            bens.jitsi_domain.as_deref(),
            Some("meet.clinic.example"),
            "the clinic's Jitsi domain is the computer's"
        );

        // A damaged file of Ben's is set aside; the profile's apply to him again.
        std::fs::create_dir_all(&ben).unwrap();
        std::fs::write(path(&ben), "{ not json").unwrap();
        let (again, aside) = load_for(&profile, &ben).unwrap();
        assert_eq!(again.lock_minutes, Some(15));
        assert!(aside.is_some());
    }
}
