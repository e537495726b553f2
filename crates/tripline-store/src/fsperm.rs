//! Private directories and files: the data dir is 0700, database files 0600.

use std::fs;
use std::path::Path;

use crate::error::StoreError;

/// Create `dir` (and parents) with mode 0700 when it does not exist. An existing
/// directory's mode is left alone unless `force_private` is set.
pub(crate) fn ensure_private_dir(dir: &Path, force_private: bool) -> Result<(), StoreError> {
    let existed = dir.is_dir();
    if !existed {
        fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    }
    if !existed || force_private {
        set_mode(dir, 0o700)?;
    }
    Ok(())
}

/// Create `file` empty with mode 0600 when missing, so SQLite (which gives its `-wal` and
/// `-shm` files the database file's mode) never creates it world-readable. An existing
/// file is tightened to 0600.
pub(crate) fn ensure_private_file(file: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(file)
            .map_err(|e| StoreError::io(file, e))?;
    }
    #[cfg(not(unix))]
    {
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
            .map_err(|e| StoreError::io(file, e))?;
    }
    set_mode(file, 0o600)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| StoreError::io(path, e))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<(), StoreError> {
    Ok(())
}

/// Size in bytes of a database file plus its `-wal` file (0 for missing files).
pub(crate) fn db_bytes(db: &Path) -> u64 {
    let wal = {
        let mut s = db.as_os_str().to_owned();
        s.push("-wal");
        std::path::PathBuf::from(s)
    };
    [db, wal.as_path()]
        .iter()
        .map(|p| fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum()
}
