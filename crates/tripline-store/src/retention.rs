//! Retention: delete rows whose *ingest* time is older than the tier's TTL, then give
//! the space back to the filesystem.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use crate::connection;
use crate::duration::format_duration;
use crate::error::StoreError;
use crate::fsperm;
use crate::options::StoreOptions;
use crate::raw::{raw_db_path, RawStore};
use crate::schema::Schema;
use crate::store::Store;

/// How long each tier keeps rows, counted from ingest time. `None` keeps rows forever.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Raw OTLP payloads (`raw.payloads`). Default 3 days.
    pub raw_ttl: Option<Duration>,
    /// Redacted events (`events`). Default 30 days.
    pub events_ttl: Option<Duration>,
    /// Alerts (`alerts`, by the ingest time of their latest revision). Default 180 days.
    pub alerts_ttl: Option<Duration>,
    /// Inventory surfaces not seen for this long (`inventory.last_ingest_time`).
    /// Default 365 days: first-seen detections need a long memory.
    pub inventory_ttl: Option<Duration>,
    /// Rows deleted per statement, so a large purge never holds the write lock long.
    pub chunk_rows: usize,
}

impl RetentionPolicy {
    /// Default raw tier TTL: 3 days.
    pub const DEFAULT_RAW_TTL: Duration = Duration::from_secs(3 * 86_400);
    /// Default events TTL: 30 days.
    pub const DEFAULT_EVENTS_TTL: Duration = Duration::from_secs(30 * 86_400);
    /// Default alerts TTL: 180 days.
    pub const DEFAULT_ALERTS_TTL: Duration = Duration::from_secs(180 * 86_400);
    /// Default inventory TTL: 365 days.
    pub const DEFAULT_INVENTORY_TTL: Duration = Duration::from_secs(365 * 86_400);
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            raw_ttl: Some(Self::DEFAULT_RAW_TTL),
            events_ttl: Some(Self::DEFAULT_EVENTS_TTL),
            alerts_ttl: Some(Self::DEFAULT_ALERTS_TTL),
            inventory_ttl: Some(Self::DEFAULT_INVENTORY_TTL),
            chunk_rows: 5_000,
        }
    }
}

/// Size of one database file (plus its WAL) before and after a retention run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceReport {
    /// The database file compacted.
    pub path: PathBuf,
    /// Its size before, bytes.
    pub bytes_before: u64,
    /// Its size after, bytes.
    pub bytes_after: u64,
    /// False when a reader kept the WAL checkpoint from completing: the space is
    /// reclaimed by a later run.
    pub checkpoint_complete: bool,
}

impl SpaceReport {
    /// Bytes given back to the filesystem (0 when the file grew).
    pub fn reclaimed(&self) -> u64 {
        self.bytes_before.saturating_sub(self.bytes_after)
    }
}

/// What a retention run deleted and reclaimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionReport {
    /// Rows deleted per table: `events`, `alerts`, `inventory`, `raw.payloads`. A table
    /// whose TTL is `None` (or whose database does not exist) is absent.
    pub deleted: BTreeMap<&'static str, u64>,
    /// The main database.
    pub main: SpaceReport,
    /// The raw tier database, when it exists.
    pub raw: Option<SpaceReport>,
}

impl RetentionReport {
    /// Rows deleted from `table` (0 when it was not pruned).
    pub fn deleted(&self, table: &str) -> u64 {
        self.deleted.get(table).copied().unwrap_or(0)
    }
}

impl fmt::Display for RetentionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (table, n) in &self.deleted {
            writeln!(f, "deleted {n} rows from {table}")?;
        }
        for space in std::iter::once(&self.main).chain(self.raw.as_ref()) {
            writeln!(
                f,
                "{}: {} -> {} bytes ({} reclaimed)",
                space.path.display(),
                space.bytes_before,
                space.bytes_after,
                space.reclaimed()
            )?;
            if !space.checkpoint_complete {
                writeln!(
                    f,
                    "  (a reader blocked the WAL checkpoint; a later run reclaims the rest)"
                )?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for RetentionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ttl = |t: Option<Duration>| t.map(format_duration).unwrap_or_else(|| "never".into());
        write!(
            f,
            "events {}, alerts {}, inventory {}, raw {}",
            ttl(self.events_ttl),
            ttl(self.alerts_ttl),
            ttl(self.inventory_ttl),
            ttl(self.raw_ttl)
        )
    }
}

impl Store {
    /// Delete expired rows (by ingest time relative to `now_ms`, unix ms) from the main
    /// store and, when it exists, the raw tier; then run `incremental_vacuum` and a
    /// `wal_checkpoint(TRUNCATE)` so the files really shrink.
    pub fn run_retention(
        &mut self,
        now_ms: i64,
        policy: &RetentionPolicy,
    ) -> Result<RetentionReport, StoreError> {
        let mut deleted = BTreeMap::new();
        let main_path = self.db_path();
        let bytes_before = fsperm::db_bytes(&main_path);
        let busy_timeout = self.busy_timeout();
        let conn = self.connection_mut();
        let tables = [
            ("events", "ingest_time", policy.events_ttl),
            ("alerts", "ingest_time", policy.alerts_ttl),
            ("inventory", "last_ingest_time", policy.inventory_ttl),
        ];
        for (table, column, ttl) in tables {
            if let Some(ttl) = ttl {
                let n = prune(conn, table, column, cutoff(now_ms, ttl), policy.chunk_rows)?;
                deleted.insert(table, n);
            }
        }
        let checkpoint_complete = reclaim(conn, busy_timeout)?;
        let main = SpaceReport {
            checkpoint_complete,
            bytes_after: fsperm::db_bytes(&main_path),
            path: main_path,
            bytes_before,
        };
        let raw = match policy.raw_ttl {
            Some(ttl) if RawStore::exists(self.dir()) => {
                let (n, space) = prune_raw(self.dir(), cutoff(now_ms, ttl), policy.chunk_rows)?;
                deleted.insert("raw.payloads", n);
                Some(space)
            }
            _ => None,
        };
        Ok(RetentionReport { deleted, main, raw })
    }
}

/// How long the final checkpoint waits for readers before leaving the WAL for next time.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(250);

fn cutoff(now_ms: i64, ttl: Duration) -> i64 {
    now_ms.saturating_sub(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX))
}

fn prune_raw(dir: &Path, cutoff_ms: i64, chunk: usize) -> Result<(u64, SpaceReport), StoreError> {
    let path = raw_db_path(dir);
    let bytes_before = fsperm::db_bytes(&path);
    let mut conn = connection::open_writable(&path, Schema::Raw, &StoreOptions::default())?;
    let n = prune(&mut conn, "payloads", "ingest_time", cutoff_ms, chunk)?;
    let checkpoint_complete = reclaim(&conn, StoreOptions::default().busy_timeout)?;
    drop(conn);
    let space = SpaceReport {
        checkpoint_complete,
        bytes_after: fsperm::db_bytes(&path),
        path,
        bytes_before,
    };
    Ok((n, space))
}

/// Delete rows with `column < cutoff_ms`, `chunk` rows per transaction.
fn prune(
    conn: &mut Connection,
    table: &'static str,
    column: &'static str,
    cutoff_ms: i64,
    chunk: usize,
) -> Result<u64, StoreError> {
    let sql = format!(
        "DELETE FROM {table} WHERE rowid IN
           (SELECT rowid FROM {table} WHERE {column} < ?1 LIMIT ?2)"
    );
    let chunk = chunk.max(1);
    let mut total = 0u64;
    loop {
        let tx = conn.transaction()?;
        let n = tx
            .prepare_cached(&sql)?
            .execute(rusqlite::params![cutoff_ms, chunk as i64])?;
        tx.commit()?;
        total += n as u64;
        if n < chunk {
            return Ok(total);
        }
    }
}

/// Return free pages to the filesystem and fold the WAL back into the database file.
/// Returns whether the checkpoint completed (a concurrent reader can hold it back). The
/// checkpoint waits at most [`CHECKPOINT_WAIT`] for readers, then `busy_timeout` is
/// restored.
fn reclaim(conn: &Connection, busy_timeout: Duration) -> Result<bool, StoreError> {
    // Each step of `incremental_vacuum` frees one page: run it to completion.
    let mut stmt = conn.prepare("PRAGMA incremental_vacuum")?;
    let mut rows = stmt.query([])?;
    while rows.next()?.is_some() {}
    drop(rows);
    drop(stmt);
    conn.busy_timeout(CHECKPOINT_WAIT)?;
    let busy = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    });
    conn.busy_timeout(busy_timeout)?;
    Ok(busy? == 0)
}

/// Parse an RFC 3339 timestamp to unix milliseconds (for `--now`).
/// Unix milliseconds as RFC 3339 UTC text with millisecond precision.
pub fn format_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Unix milliseconds of an RFC 3339 timestamp.
pub fn parse_rfc3339_ms(text: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("invalid RFC 3339 time {text:?}: {e}"))
}
