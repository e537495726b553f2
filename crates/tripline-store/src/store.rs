//! [`Store`]: the main database, `DIR/tripline.db`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use crate::connection;
use crate::error::StoreError;
use crate::fsperm;
use crate::options::StoreOptions;
use crate::schema::Schema;
use crate::write::{self, WriteBatch, WriteStats};
use crate::MAIN_DB_FILE;

/// The main store: redacted events, alerts, the surface inventory and engine state.
///
/// One `Store` owns one SQLite connection. It is `Send` but not `Sync`: keep it in one
/// blocking task or behind a `Mutex`. Readers (`tripline query`) open their own
/// read-only connection; WAL mode lets them read while the writer writes.
pub struct Store {
    conn: Connection,
    dir: PathBuf,
    read_only: bool,
    busy_timeout: Duration,
    outbox: bool,
}

impl Store {
    /// Open the store in `dir`, creating the directory (mode 0700) and the database
    /// (mode 0600) when missing, and migrating the schema to the current version.
    pub fn open(dir: &Path, opts: &StoreOptions) -> Result<Store, StoreError> {
        fsperm::ensure_private_dir(dir, false)?;
        let conn = connection::open_writable(&dir.join(MAIN_DB_FILE), Schema::Main, opts)?;
        Ok(Store {
            conn,
            dir: dir.to_owned(),
            read_only: false,
            busy_timeout: opts.busy_timeout,
            outbox: false,
        })
    }

    /// Like [`Store::open`], but fails with [`StoreError::Missing`] instead of creating a
    /// store that does not exist yet (for maintenance commands pointed at a wrong `--data`).
    pub fn open_existing(dir: &Path, opts: &StoreOptions) -> Result<Store, StoreError> {
        if !dir.join(MAIN_DB_FILE).is_file() {
            return Err(StoreError::Missing(dir.join(MAIN_DB_FILE)));
        }
        Store::open(dir, opts)
    }

    /// Open an existing store read-only (`query_only` on). Writes through it fail.
    pub fn open_read_only(dir: &Path) -> Result<Store, StoreError> {
        let conn = connection::open_read_only(&dir.join(MAIN_DB_FILE), Schema::Main)?;
        Ok(Store {
            conn,
            dir: dir.to_owned(),
            read_only: true,
            busy_timeout: StoreOptions::default().busy_timeout,
            outbox: false,
        })
    }

    /// The data directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the main database file.
    pub fn db_path(&self) -> PathBuf {
        self.dir.join(MAIN_DB_FILE)
    }

    /// Whether this handle was opened with [`Store::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Commit a batch in one transaction: new events (duplicates by `id` skipped), their
    /// inventory rows, alert upserts and state snapshots. When this returns `Ok` the batch
    /// is durable to the configured `synchronous` level; on `Err` nothing of it was kept.
    pub fn write_batch(&mut self, batch: &WriteBatch<'_>) -> Result<WriteStats, StoreError> {
        let tx = self.conn.transaction()?;
        let stats = write::write_all(&tx, batch, self.outbox)?;
        tx.commit()?;
        Ok(stats)
    }

    /// Commit several batches in one transaction (group commit: one fsync for all of them),
    /// each written as by [`Store::write_batch`] in order, with its own ingest time. Returns
    /// each batch's stats; on `Err` nothing of any of them was kept.
    pub fn write_batches(
        &mut self,
        batches: &[WriteBatch<'_>],
    ) -> Result<Vec<WriteStats>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut stats = Vec::with_capacity(batches.len());
        for batch in batches {
            stats.push(write::write_all(&tx, batch, self.outbox)?);
        }
        tx.commit()?;
        Ok(stats)
    }

    /// Append every newly stored event and new alert revision to the sink outbox (in the
    /// batch's transaction) from now on. Turn it on when sinks are configured; the
    /// delivery workers read the outbox through [`crate::Outbox`].
    pub fn set_outbox(&mut self, enabled: bool) {
        self.outbox = enabled;
    }

    /// Whether [`Store::set_outbox`] is on.
    pub(crate) fn outbox_enabled(&self) -> bool {
        self.outbox
    }

    /// The latest snapshot stored under `key`, if any.
    pub fn load_state(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM state WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Which of `ids` are already stored. The pipeline runs detection only on events it has
    /// not stored before, so an exporter's retry of an acknowledged batch changes nothing.
    pub fn existing_event_ids(&self, ids: &[&str]) -> Result<HashSet<String>, StoreError> {
        let mut found = HashSet::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM events WHERE id = ?1")?;
        for id in ids {
            if stmt.exists([id])? {
                found.insert((*id).to_owned());
            }
        }
        Ok(found)
    }

    /// Number of stored events.
    pub fn count_events(&self) -> Result<u64, StoreError> {
        self.count("events")
    }

    /// Number of stored alerts (one row per alert id).
    pub fn count_alerts(&self) -> Result<u64, StoreError> {
        self.count("alerts")
    }

    fn count(&self, table: &'static str) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// The underlying connection, for read queries (`tripline query`) and tests.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The busy timeout this handle was opened with.
    pub(crate) fn busy_timeout(&self) -> Duration {
        self.busy_timeout
    }

    pub(crate) fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

// The server moves the store into a blocking task: keep it `Send`.
const _: fn() = || {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
};
