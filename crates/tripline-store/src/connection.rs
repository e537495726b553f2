//! Opening SQLite connections with tripline's settings.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::error::StoreError;
use crate::fsperm;
use crate::options::StoreOptions;
use crate::schema::{self, Schema};

/// Open (creating when missing) a writable database at `path` and migrate it.
///
/// Order matters: `auto_vacuum` only takes effect on a database without tables, so it is
/// set before the WAL switch and before the first migration.
pub(crate) fn open_writable(
    path: &Path,
    schema: Schema,
    opts: &StoreOptions,
) -> Result<Connection, StoreError> {
    fsperm::ensure_private_file(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(opts.busy_timeout)?;
    if schema::version(&conn)? == 0 {
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    }
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Setup {
            path: path.to_owned(),
            reason: format!("cannot switch to WAL journal mode (got {mode})"),
        });
    }
    conn.pragma_update(None, "synchronous", opts.synchronous.pragma_value())?;
    // A negative cache_size is in KiB.
    let cache_kib = i64::try_from(opts.cache_bytes / 1024)
        .unwrap_or(i64::MAX)
        .max(1);
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    if let Some(max) = opts.max_db_bytes {
        let page_size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let pages = (max / page_size.max(512) as u64).max(1);
        conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
    }
    conn.set_prepared_statement_cache_capacity(32);
    schema::migrate(&mut conn, schema, path)?;
    Ok(conn)
}

/// Open an existing database read-only with `query_only` on. Fails with
/// [`StoreError::Missing`] when the file does not exist or was never initialized.
pub(crate) fn open_read_only(path: &Path, schema: Schema) -> Result<Connection, StoreError> {
    if !path.is_file() {
        return Err(StoreError::Missing(path.to_owned()));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(StoreOptions::default().busy_timeout)?;
    conn.pragma_update(None, "query_only", "ON")?;
    let found = schema::version(&conn)?;
    if found == 0 {
        return Err(StoreError::Missing(path.to_owned()));
    }
    schema::check_not_newer(found, schema, path)?;
    Ok(conn)
}
