//! Checking and repairing a data directory (`tripline wal check`): SQLite's integrity
//! check and the schema version of each database, a scan of each `-wal` file the way
//! SQLite's recovery reads it ([`wal`]), and files that belong to no database.
//!
//! [`check`] only reads. [`repair`] takes each database exclusively (it fails with
//! [`StoreError::Busy`] while `tripline serve` has it open), lets SQLite recover the WAL
//! (which keeps exactly the committed prefix), checkpoints it into the database and
//! truncates it, so a torn tail is gone from disk.

mod database;
mod lock;
mod orphans;
pub mod wal;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::StoreError;
use crate::raw::raw_db_path;
use crate::schema::Schema;
use crate::store::MAIN_DB_FILE;

pub use database::{DatabaseCheck, Integrity};
pub use orphans::Orphan;
pub use wal::{StopReason, WalScan};

/// How thoroughly to check.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckOptions {
    /// `PRAGMA quick_check` instead of `integrity_check`: skips matching indexes against
    /// their tables (much faster on a large store).
    pub quick: bool,
}

/// Everything [`check`] found in a data directory.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// The data directory checked.
    pub data_dir: PathBuf,
    /// The main store, then the raw tier when it exists.
    pub databases: Vec<DatabaseCheck>,
    /// Files that belong to no database.
    pub orphans: Vec<Orphan>,
}

impl CheckReport {
    /// One line per problem, each naming its file.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.databases.iter().flat_map(|d| d.problems()).collect();
        out.extend(
            self.orphans
                .iter()
                .map(|o| format!("{}: {}", o.path.display(), o.reason)),
        );
        out
    }

    /// No problems at all.
    pub fn is_ok(&self) -> bool {
        self.problems().is_empty()
    }
}

/// Check the store in `dir` without changing anything. Fails only when there is no
/// store there or a file cannot be read; damage is reported in the [`CheckReport`].
pub fn check(dir: &Path, opts: &CheckOptions) -> Result<CheckReport, StoreError> {
    let main = dir.join(MAIN_DB_FILE);
    if !main.is_file() {
        return Err(StoreError::Missing(main));
    }
    let mut databases = vec![database::check(&main, "main", Schema::Main, opts)?];
    let raw = raw_db_path(dir);
    if raw.is_file() {
        databases.push(database::check(&raw, "raw", Schema::Raw, opts)?);
    }
    let orphans = orphans::find(dir)?;
    Ok(CheckReport {
        data_dir: dir.to_owned(),
        databases,
        orphans,
    })
}

/// What [`repair`] did, between a check before and a check after.
#[derive(Clone, Debug, Serialize)]
pub struct RepairReport {
    /// The check before any repair.
    pub before: CheckReport,
    /// One sentence per action taken or declined, each naming its file.
    pub actions: Vec<String>,
    /// Committed data may have been lost: damage inside the log (not just at its end), or
    /// a WAL whose header was unreadable. Dropping a torn tail alone loses nothing that
    /// SQLite had committed.
    pub possible_loss: bool,
    /// The check after the repair.
    pub after: CheckReport,
}

impl RepairReport {
    /// The store is clean now and nothing committed was lost.
    pub fn is_ok(&self) -> bool {
        self.after.is_ok() && !self.possible_loss
    }
}

/// Repair what can be repaired in place: truncate torn WAL tails (through SQLite's own
/// recovery and a `TRUNCATE` checkpoint) and delete orphaned `-shm` files. Integrity
/// errors inside a database are not touched (restore from a backup). Fails with
/// [`StoreError::Busy`] when another process has a database open.
pub fn repair(dir: &Path, opts: &CheckOptions) -> Result<RepairReport, StoreError> {
    let before = check(dir, opts)?;
    if let Some(db) = before.databases.iter().find(|d| d.open_by.is_some()) {
        return Err(StoreError::Busy(format!(
            "{} is open in process {}: stop `tripline serve` before --repair",
            db.path.display(),
            db.open_by.unwrap_or_default()
        )));
    }
    let mut actions = Vec::new();
    let mut possible_loss = false;
    for db in &before.databases {
        let outcome = database::repair(db)?;
        possible_loss |= outcome.possible_loss;
        actions.extend(outcome.actions);
    }
    actions.extend(orphans::repair(&before.orphans)?);
    let after = check(dir, opts)?;
    Ok(RepairReport {
        before,
        actions,
        possible_loss,
        after,
    })
}
