//! Files in the data directory that belong to no database: a `-wal`, `-shm` or
//! `-journal` whose database is gone, or a rollback journal beside a WAL-mode database.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::StoreError;
use crate::raw::RAW_DIR;

/// SQLite's side files, by suffix.
const SIDE_SUFFIXES: &[&str] = &["-wal", "-shm", "-journal"];

/// A file that belongs to no database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Orphan {
    /// The stray file.
    pub path: PathBuf,
    /// Why it does not belong.
    pub reason: String,
}

/// Orphans in `dir` and in its raw-tier directory.
pub(super) fn find(dir: &Path) -> Result<Vec<Orphan>, StoreError> {
    let mut out = in_dir(dir)?;
    let raw = dir.join(RAW_DIR);
    if raw.is_dir() {
        out.extend(in_dir(&raw)?);
    }
    Ok(out)
}

fn in_dir(dir: &Path) -> Result<Vec<Orphan>, StoreError> {
    let entries = std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((db_name, suffix)) = SIDE_SUFFIXES
            .iter()
            .find_map(|s| name.strip_suffix(s).map(|base| (base.to_owned(), *s)))
        else {
            continue;
        };
        let path = entry.path();
        if !dir.join(&db_name).is_file() {
            out.push(Orphan {
                path,
                reason: format!("orphaned {suffix} file: its database {db_name} does not exist"),
            });
        } else if suffix == "-journal" {
            out.push(Orphan {
                path,
                reason: format!(
                    "rollback journal beside {db_name}, which tripline keeps in WAL mode: left by \
                     another program or an interrupted migration; SQLite rolls it back on the next open"
                ),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Delete orphaned `-shm` files (a shared-memory index SQLite rebuilds at will); leave the
/// others, which may hold data, for the operator. Returns one sentence per orphan.
pub(super) fn repair(orphans: &[Orphan]) -> Result<Vec<String>, StoreError> {
    let mut actions = Vec::new();
    for o in orphans {
        let is_shm = o.path.to_string_lossy().ends_with("-shm");
        if is_shm && o.reason.starts_with("orphaned") {
            std::fs::remove_file(&o.path).map_err(|e| StoreError::io(&o.path, e))?;
            actions.push(format!(
                "{}: deleted (an index SQLite rebuilds; its database is gone)",
                o.path.display()
            ));
        } else {
            actions.push(format!(
                "{}: left in place: it may hold data; move it out of the data directory once checked",
                o.path.display()
            ));
        }
    }
    Ok(actions)
}
