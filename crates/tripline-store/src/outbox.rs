//! The sink outbox: what the sinks still have to deliver, and where each sink is.
//!
//! The pipeline appends one row per newly stored event and per new alert revision inside
//! the batch's own transaction (see [`crate::Store::set_outbox`]), so a record reaches the
//! outbox exactly when it is durably stored. Each sink's delivery worker reads rows after
//! its cursor with its own connection (WAL lets it read while the pipeline writes),
//! delivers them, then advances its cursor. Rows at or below every cursor are deleted.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::connection;
use crate::error::StoreError;
use crate::options::StoreOptions;
use crate::schema::Schema;
use crate::store::MAIN_DB_FILE;

/// A row as the writer appends it.
pub(crate) struct NewRow<'a> {
    pub kind: &'static str,
    pub id: &'a str,
    pub revision: i64,
    pub time_ms: i64,
    pub agent: &'a str,
    pub body: &'a str,
}

/// Append one row inside the batch's transaction.
pub(crate) fn append(
    tx: &Transaction<'_>,
    row: &NewRow<'_>,
    ingest_time_ms: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO outbox (kind, id, revision, time_ms, agent, ingest_time, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        row.kind,
        row.id,
        row.revision,
        row.time_ms,
        row.agent,
        ingest_time_ms,
        row.body
    ])?;
    Ok(())
}

/// One outbox row: a stored event or alert revision, redacted, as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    /// Position in the outbox, increasing in commit order.
    pub seq: i64,
    /// `event` or `alert`.
    pub kind: String,
    /// The event or alert id.
    pub id: String,
    /// The alert revision; 1 for events.
    pub revision: i64,
    /// Event time (alerts: their `time`), unix milliseconds.
    pub time_ms: i64,
    /// The record's agent.
    pub agent: String,
    /// When the record was stored, unix milliseconds.
    pub ingest_time_ms: i64,
    /// The event or alert exactly as stored (redacted JSON).
    pub body: String,
}

/// How far behind a cursor is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Rows after the cursor.
    pub pending: u64,
    /// Ingest time of the oldest of them, unix milliseconds.
    pub oldest_ingest_ms: Option<i64>,
}

/// A connection to the outbox and the sink cursors of the store in a data directory.
pub struct Outbox {
    conn: Connection,
}

impl Outbox {
    /// Open (creating and migrating when needed) the main store of `dir` for delivery.
    pub fn open(dir: &Path, opts: &StoreOptions) -> Result<Outbox, StoreError> {
        crate::fsperm::ensure_private_dir(dir, false)?;
        let conn = connection::open_writable(&dir.join(MAIN_DB_FILE), Schema::Main, opts)?;
        Ok(Outbox { conn })
    }

    /// Open an existing store read-only (for `tripline sinks list`).
    pub fn open_read_only(dir: &Path) -> Result<Outbox, StoreError> {
        let conn = connection::open_read_only(&dir.join(MAIN_DB_FILE), Schema::Main)?;
        Ok(Outbox { conn })
    }

    /// The highest sequence number ever assigned (0 when none).
    pub fn end(&self) -> Result<i64, StoreError> {
        let seq: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(seq.unwrap_or(0))
    }

    /// Make the cursors match the configured sinks: a sink seen for the first time starts
    /// at the current end of the outbox (and at `raw_end` of the raw tier); cursors of sinks
    /// no longer configured are removed (they would keep rows from being deleted forever).
    /// Then prune.
    pub fn register(
        &mut self,
        sinks: &[&str],
        raw_end: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let end = self.end()?;
        let tx = self.conn.transaction()?;
        {
            let existing: Vec<String> = tx
                .prepare("SELECT sink FROM sink_cursor")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for gone in existing.iter().filter(|s| !sinks.contains(&s.as_str())) {
                tx.execute("DELETE FROM sink_cursor WHERE sink = ?1", [gone])?;
            }
            for sink in sinks {
                tx.execute(
                    "INSERT INTO sink_cursor (sink, seq, raw_seq, updated_ms) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(sink) DO NOTHING",
                    params![sink, end, raw_end, now_ms],
                )?;
            }
            if sinks.is_empty() {
                tx.execute("DELETE FROM outbox", [])?;
            }
        }
        tx.commit()?;
        self.prune()?;
        Ok(())
    }

    /// The sink's cursor `(seq, raw_seq)`: everything at or below it was handled.
    pub fn cursor(&self, sink: &str) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT seq, raw_seq FROM sink_cursor WHERE sink = ?1")?
            .query_row([sink], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Every cursor, by sink name.
    pub fn cursors(&self) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let rows = self
            .conn
            .prepare("SELECT sink, seq, raw_seq FROM sink_cursor ORDER BY sink")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Up to `limit` rows after `seq`, in order.
    pub fn read(&self, after: i64, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .conn
            .prepare_cached(
                "SELECT seq, kind, id, revision, time_ms, agent, ingest_time, body
                 FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?
            .query_map(params![after, limit], |r| {
                Ok(OutboxRow {
                    seq: r.get(0)?,
                    kind: r.get(1)?,
                    id: r.get(2)?,
                    revision: r.get(3)?,
                    time_ms: r.get(4)?,
                    agent: r.get(5)?,
                    ingest_time_ms: r.get(6)?,
                    body: r.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// How many rows are after `seq`, and the oldest one's ingest time. Sequence numbers
    /// are contiguous (AUTOINCREMENT, and rows are only deleted at or below every cursor),
    /// so this is two index lookups, not a scan of the backlog.
    pub fn stats(&self, after: i64) -> Result<QueueStats, StoreError> {
        let pending = (self.end()? - after).max(0) as u64;
        let oldest: Option<i64> = self
            .conn
            .prepare_cached("SELECT ingest_time FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT 1")?
            .query_row([after], |r| r.get(0))
            .optional()?;
        Ok(QueueStats {
            pending: if oldest.is_some() { pending } else { 0 },
            oldest_ingest_ms: oldest,
        })
    }

    /// Move the sink's cursor to `(seq, raw_seq)` (never backwards).
    pub fn advance(
        &mut self,
        sink: &str,
        seq: i64,
        raw_seq: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO sink_cursor (sink, seq, raw_seq, updated_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(sink) DO UPDATE SET seq = max(seq, excluded.seq),
                     raw_seq = max(raw_seq, excluded.raw_seq), updated_ms = excluded.updated_ms",
            )?
            .execute(params![sink, seq, raw_seq, now_ms])?;
        Ok(())
    }

    /// Delete the rows every sink has handled. Returns how many were deleted.
    pub fn prune(&mut self) -> Result<u64, StoreError> {
        let n = self.conn.execute(
            "DELETE FROM outbox WHERE seq <= (SELECT min(seq) FROM sink_cursor)",
            [],
        )?;
        Ok(n as u64)
    }
}
