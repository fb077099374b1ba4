//! Folders and files only their owner may open: the server's database (password hashes and
//! every message) and a client's profile (whose folder names alone tell the server and the
//! account) must not be readable by other accounts on the same computer.
//!
//! On Unix: folders 0700, files 0600, whatever the umask. New folders and files are made so
//! from the start ([`create_dir`], [`create_file`]); what an older version left open is
//! tightened on start ([`tighten`]). SQLite makes its `-wal` and `-shm` files with the mode of
//! their database, so a database created by [`create_file`] keeps them private too.
//! On Windows these are no-ops: the folders used there (`%LOCALAPPDATA%`, the server's data
//! folder) already carry per-user access lists that their children inherit.

use std::io;
use std::path::Path;

/// Makes `dir` and any missing parents, each new one 0700. A folder that exists keeps its
/// mode (it may be the operator's own, such as the one `--db` names).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes `file` empty with mode 0600 if it does not exist; if it does, makes it 0600.
pub fn create_file(file: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => restrict(file, false).map(|_| ()),
        Err(e) => Err(e),
    }
}

/// Makes `path` owner-only: itself and, for a folder, everything in it (folders 0700, files
/// 0600; symbolic links are not followed). Answers how many entries changed, for the log.
/// A missing `path` is no error (nothing to tighten yet).
pub fn tighten(path: &Path) -> io::Result<usize> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        return Ok(0);
    }
    let mut changed = usize::from(restrict(path, meta.is_dir())?);
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            changed += tighten(&entry?.path())?;
        }
    }
    Ok(changed)
}

/// Sets 0700 (folder) or 0600 (file) if the mode lets anyone else in; true when it changed.
#[cfg(unix)]
fn restrict(path: &Path, dir: bool) -> io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    let wanted = if dir { 0o700 } else { 0o600 };
    if mode & 0o077 == 0 && mode & wanted == wanted {
        return Ok(false);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted))?;
    Ok(true)
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _dir: bool) -> io::Result<bool> {
    Ok(false)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_folders_and_files_are_owner_only_whatever_the_umask() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("server.db");
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::write(&file, b"kept").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(
            std::fs::read(&file).unwrap(),
            b"kept",
            "an existing file keeps its bytes"
        );
    }

    #[test]
    fn an_existing_tree_is_tightened_without_following_links() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let profile = root.path().join("profile");
        std::fs::create_dir_all(profile.join("caches/x-4")).unwrap();
        std::fs::write(profile.join("caches/x-4/cache.db"), b"").unwrap();
        std::fs::write(profile.join("settings.json"), b"{}").unwrap();
        std::fs::write(outside.path().join("theirs"), b"").unwrap();
        std::os::unix::fs::symlink(outside.path().join("theirs"), profile.join("link")).unwrap();
        for p in ["", "caches", "caches/x-4"] {
            std::fs::set_permissions(profile.join(p), std::fs::Permissions::from_mode(0o755))
                .unwrap();
        }
        for p in ["caches/x-4/cache.db", "settings.json"] {
            std::fs::set_permissions(profile.join(p), std::fs::Permissions::from_mode(0o644))
                .unwrap();
        }
        std::fs::set_permissions(
            outside.path().join("theirs"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        assert_eq!(tighten(&profile).unwrap(), 5);
        for p in ["", "caches", "caches/x-4"] {
            assert_eq!(mode(&profile.join(p)), 0o700, "{p}");
        }
        for p in ["caches/x-4/cache.db", "settings.json"] {
            assert_eq!(mode(&profile.join(p)), 0o600, "{p}");
        }
        assert_eq!(mode(&outside.path().join("theirs")), 0o644, "not followed");
        assert_eq!(tighten(&profile).unwrap(), 0, "nothing left to change");
        assert_eq!(tighten(&root.path().join("missing")).unwrap(), 0);
    }
}
