//! The JWT signing secret: given, or made once and kept beside the database (mode 600).

use anyhow::Context;
use rand::RngCore;
use std::io::Write;
use std::path::Path;

/// Shortest secret accepted from the operator.
const MIN_SECRET: usize = 16;

/// The secret to sign with: `given` if any, else the file at `path`, else a new random one
/// written there first.
pub fn load_or_create(given: Option<&str>, path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = given {
        anyhow::ensure!(
            s.len() >= MIN_SECRET,
            "the JWT secret must be at least {MIN_SECRET} bytes"
        );
        return Ok(s.as_bytes().to_vec());
    }
    match std::fs::read_to_string(path) {
        Ok(s) if s.trim().len() >= MIN_SECRET => {
            if let Err(e) = nursecare_owner_only::tighten(path) {
                tracing::warn!(error = %e, "the JWT secret file could not be made owner-only");
            }
            return Ok(s.trim().as_bytes().to_vec());
        }
        Ok(_) => anyhow::bail!("{} is too short to be a JWT secret", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(dir) = path.parent() {
        nursecare_owner_only::create_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    tracing::info!(path = %path.display(), "made a new JWT secret");
    Ok(secret.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("jwt-secret");
        let a = load_or_create(None, &p).unwrap();
        let b = load_or_create(None, &p).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(load_or_create(Some("short"), &p).is_err());
        assert_eq!(
            load_or_create(Some("a-long-enough-secret"), &p).unwrap(),
            b"a-long-enough-secret"
        );
    }
}
