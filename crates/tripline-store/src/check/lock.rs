//! Whether another process has a WAL-mode database open, and keeping new ones out.
//!
//! Every connection that opens a WAL database in SQLite's normal (shared) locking mode
//! maps the `-shm` file and holds a read lock on its "dead man switch" byte for as long
//! as it is open (unix VFS: byte 128, after the 8 lock slots at 120..128). A write lock
//! on that byte therefore fails while any such connection exists, and while we hold it
//! a connection that starts meanwhile cannot open the database (SQLite answers BUSY).

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// Offset of the dead-man-switch byte in `-shm` (SQLite's unix VFS).
const DMS_OFFSET: i64 = 128;

fn shm_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-shm");
    PathBuf::from(p)
}

fn dms_lock(kind: libc::c_short) -> libc::flock {
    // SAFETY: flock is a plain C struct; all-zero is a valid value before we set fields.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = DMS_OFFSET;
    fl.l_len = 1;
    fl
}

/// The pid of a process holding the database open, if any (`None` when no `-shm`).
pub(super) fn holder(db: &Path) -> Result<Option<i32>, StoreError> {
    let shm = shm_path(db);
    let file = match File::open(&shm) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io(&shm, e)),
    };
    let mut fl = dms_lock(libc::F_WRLCK as libc::c_short);
    // SAFETY: F_GETLK on an open descriptor with a valid flock struct.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLK, &mut fl) } == -1 {
        return Err(StoreError::io(&shm, std::io::Error::last_os_error()));
    }
    Ok((fl.l_type != libc::F_UNLCK as libc::c_short).then_some(fl.l_pid))
}

/// Holds the write lock on the dead-man-switch byte until dropped.
pub(super) struct Claim {
    _file: Option<File>,
}

/// Take the database away from every other SQLite connection, or fail with
/// [`StoreError::Busy`] naming the process that has it open.
pub(super) fn claim(db: &Path) -> Result<Claim, StoreError> {
    let shm = shm_path(db);
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&shm)
    {
        Ok(f) => f,
        // No -shm: no connection in shared mode has the database open; SQLite's own
        // exclusive lock on the database file covers the rest.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Claim { _file: None }),
        Err(e) => return Err(StoreError::io(&shm, e)),
    };
    let fl = dms_lock(libc::F_WRLCK as libc::c_short);
    // SAFETY: F_SETLK on an open descriptor with a valid flock struct.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &fl) } == -1 {
        let pid = holder(db)?.map_or(String::new(), |p| format!(" (pid {p})"));
        return Err(StoreError::Busy(format!(
            "{} is open in another process{pid}: stop `tripline serve` before --repair",
            db.display()
        )));
    }
    Ok(Claim { _file: Some(file) })
}
