//! Checking and repairing one database file and its `-wal`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::wal::{self, WalScan};
use super::{lock, CheckOptions};
use crate::error::StoreError;
use crate::schema::Schema;

/// Most integrity messages kept per database (SQLite stops there too).
const MAX_INTEGRITY_ERRORS: u32 = 100;

/// The result of SQLite's integrity check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "errors", rename_all = "snake_case")]
pub enum Integrity {
    /// No problem found.
    Ok,
    /// The messages of `PRAGMA integrity_check` (or `quick_check`), or the error that
    /// stopped SQLite from reading the file at all.
    Errors(Vec<String>),
}

/// One database: `tripline.db` or `raw/raw.db`.
#[derive(Clone, Debug, Serialize)]
pub struct DatabaseCheck {
    /// `main` or `raw`.
    pub name: &'static str,
    /// The database file.
    pub path: PathBuf,
    /// `integrity_check` or `quick_check`.
    pub check: &'static str,
    /// What the integrity check found.
    pub integrity: Integrity,
    /// `PRAGMA user_version`, when the file could be read.
    pub schema_version: Option<i64>,
    /// The newest schema version this build knows.
    pub schema_supported: i64,
    /// The database's write-ahead log.
    pub wal_path: PathBuf,
    /// The `-wal` file, when there is one.
    pub wal: Option<WalScan>,
    /// The pid of a process that has the database open (`tripline serve`), when one
    /// does: a transaction it is writing can then look like a torn tail.
    pub open_by: Option<i32>,
}

impl DatabaseCheck {
    /// One line per problem, each naming its file.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Integrity::Errors(errors) = &self.integrity {
            for e in errors {
                out.push(format!("{}: {}: {e}", self.path.display(), self.check));
            }
        }
        if let Some(v) = self.schema_version.filter(|v| *v > self.schema_supported) {
            out.push(format!(
                "{}: schema version {v} is newer than this tripline supports ({})",
                self.path.display(),
                self.schema_supported
            ));
        }
        if let Some(scan) = self.wal.as_ref().filter(|s| s.torn_tail()) {
            out.push(format!(
                "{}: {}",
                self.wal_path.display(),
                describe_tail(scan)
            ));
        }
        out
    }
}

fn describe_tail(s: &WalScan) -> String {
    if !s.header_valid {
        return format!(
            "invalid WAL header ({}): SQLite ignores all {} bytes of the file",
            s.header_problem.as_deref().unwrap_or("unreadable"),
            s.file_bytes
        );
    }
    let mut parts = Vec::new();
    if s.uncommitted_frames > 0 {
        parts.push(format!(
            "{} frames of a transaction that never committed",
            s.uncommitted_frames
        ));
    }
    if s.torn_frames > 0 {
        parts.push(format!(
            "{} frames with a bad checksum ({} of them commit frames)",
            s.torn_frames, s.torn_commit_frames
        ));
    }
    if s.partial_bytes > 0 {
        parts.push(format!("{} bytes of a partial frame", s.partial_bytes));
    }
    format!(
        "torn tail: the committed log ends at byte {} ({} frames, {} transactions); after it {} \
         ({} bytes that SQLite's recovery drops; `tripline wal check --repair` truncates them)",
        s.committed_end,
        s.committed_frames,
        s.transactions,
        parts.join(", "),
        s.torn_bytes()
    )
}

fn wal_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

/// Scan the WAL first (before SQLite opens anything), then run the integrity check
/// through a read-only connection, which never checkpoints or truncates the WAL.
pub(super) fn check(
    path: &Path,
    name: &'static str,
    schema: Schema,
    opts: &CheckOptions,
) -> Result<DatabaseCheck, StoreError> {
    let wal_path = wal_path(path);
    let wal = match std::fs::read(&wal_path) {
        Ok(bytes) => Some(wal::scan(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(StoreError::io(&wal_path, e)),
    };
    let open_by = lock::holder(path)?;
    let check = if opts.quick {
        "quick_check"
    } else {
        "integrity_check"
    };
    let (integrity, schema_version) = match integrity(path, check) {
        Ok(found) => found,
        Err(e) => (
            Integrity::Errors(vec![format!("cannot read the database: {e}")]),
            None,
        ),
    };
    Ok(DatabaseCheck {
        name,
        path: path.to_owned(),
        check,
        integrity,
        schema_version,
        schema_supported: schema.latest(),
        wal_path,
        wal,
        open_by,
    })
}

fn integrity(path: &Path, check: &str) -> Result<(Integrity, Option<i64>), rusqlite::Error> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "query_only", "ON")?;
    let mut stmt = conn.prepare(&format!("PRAGMA {check}({MAX_INTEGRITY_ERRORS})"))?;
    let messages: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let integrity = if messages.len() == 1 && messages[0] == "ok" {
        Integrity::Ok
    } else {
        Integrity::Errors(messages)
    };
    let version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok((integrity, Some(version)))
}

/// What repairing one database did.
pub(super) struct Outcome {
    pub actions: Vec<String>,
    pub possible_loss: bool,
}

/// Truncate the WAL of `db` through SQLite: an exclusive connection recovers the log
/// from the file itself (no shared-memory index from a dead process), a PASSIVE
/// checkpoint reports how many frames recovery kept (compared with the scan), and a
/// TRUNCATE checkpoint copies them into the database and empties the file.
pub(super) fn repair(db: &DatabaseCheck) -> Result<Outcome, StoreError> {
    let mut out = Outcome {
        actions: Vec::new(),
        possible_loss: false,
    };
    if let Integrity::Errors(_) = db.integrity {
        out.actions.push(format!(
            "{}: left alone: integrity errors cannot be repaired in place; restore a backup or \
             salvage with `sqlite3 {} .recover`",
            db.path.display(),
            db.path.display()
        ));
        return Ok(out);
    }
    let Some(scan) = db.wal.as_ref().filter(|s| s.file_bytes > 0) else {
        return Ok(out);
    };
    // Keep every other connection out first, then take the database file exclusively.
    let _claim = lock::claim(&db.path)?;
    let conn = Connection::open_with_flags(
        &db.path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_millis(200))?;
    let mode: String = conn.query_row("PRAGMA locking_mode = EXCLUSIVE", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("exclusive") {
        return Err(StoreError::Setup {
            path: db.path.clone(),
            reason: format!("cannot take the database exclusively (locking mode {mode})"),
        });
    }
    let checkpoint = |mode: &str| {
        conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
    };
    let (_, kept, _) = checkpoint("PASSIVE").map_err(|e| in_use(db, e))?;
    let kept = kept.max(0) as u64;
    let (busy, _, _) = checkpoint("TRUNCATE").map_err(|e| in_use(db, e))?;
    drop(conn);
    if busy != 0 {
        return Err(StoreError::Busy(format!(
            "{}: the WAL checkpoint could not finish",
            db.path.display()
        )));
    }
    let mut action = format!(
        "{}: SQLite's recovery kept {kept} committed frames; checkpointed them into {} and truncated the WAL",
        db.wal_path.display(),
        db.path.display()
    );
    if scan.torn_tail() {
        action.push_str(&format!(
            ", dropping the torn tail ({} bytes)",
            scan.torn_bytes()
        ));
    }
    out.actions.push(action);
    if scan.header_valid && kept != scan.committed_frames {
        out.possible_loss = true;
        out.actions.push(format!(
            "{}: warning: SQLite's recovery kept {kept} frames where the scan found {} committed frames",
            db.wal_path.display(),
            scan.committed_frames
        ));
    }
    if scan.may_hide_commits() {
        out.possible_loss = true;
        out.actions.push(format!(
            "{}: warning: the dropped part held damaged frames that may have belonged to committed \
             transactions ({} commit frames{}); check the latest data against its source",
            db.wal_path.display(),
            scan.torn_commit_frames,
            if scan.header_valid { "" } else { ", unreadable header" }
        ));
    }
    Ok(out)
}

/// A lock error while taking the database exclusively means a server has it open.
fn in_use(db: &DatabaseCheck, e: rusqlite::Error) -> StoreError {
    match StoreError::from(e) {
        StoreError::Busy(msg) => StoreError::Busy(format!(
            "{} is in use by another process (stop `tripline serve` before --repair): {msg}",
            db.path.display()
        )),
        other => other,
    }
}
