//! The raw tier: verbatim OTLP request bodies in a separate database, `DIR/raw/raw.db`.
//!
//! Off by default. Raw bodies hold everything redaction removes (prompts, tool output,
//! secrets), so the tier has its own directory (0700) and file (0600), its own, shorter
//! retention, an append-only writer, and a reader that requires an [`AdminScope`].

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::connection;
use crate::error::StoreError;
use crate::fsperm;
use crate::options::StoreOptions;
use crate::schema::Schema;

/// Directory of the raw tier inside the data directory.
pub const RAW_DIR: &str = "raw";
/// File name of the raw tier database inside [`RAW_DIR`].
pub const RAW_DB_FILE: &str = "raw.db";

/// Path of the raw tier database for the data directory `dir`.
pub fn raw_db_path(dir: &Path) -> PathBuf {
    dir.join(RAW_DIR).join(RAW_DB_FILE)
}

/// Proof that the caller asserted administrator access. Only code that has checked
/// for it (the CLI's `--admin` flag, an admin-scoped API token) constructs one, with
/// [`AdminScope::asserted`]; every raw-tier read requires it.
#[derive(Debug)]
pub struct AdminScope {
    _private: (),
}

impl AdminScope {
    /// Construct the scope. Calling this *is* the assertion: do it only after checking
    /// that the operator asked for, and is entitled to, admin access.
    pub fn asserted() -> AdminScope {
        AdminScope { _private: () }
    }
}

/// One received OTLP request body, as it arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawPayload {
    /// When the request arrived, RFC 3339.
    pub received_time: String,
    /// `logs`, `metrics` or `traces`.
    pub signal: String,
    /// The request's `Content-Type` (`application/x-protobuf`, `application/json`,
    /// `application/grpc`).
    pub content_type: String,
    /// The request's `Content-Encoding` (`gzip`, `zstd`), when any.
    pub content_encoding: Option<String>,
    /// The authenticated emitter (ingest token name), when known.
    pub emitter: Option<String>,
    /// The body bytes exactly as received (still compressed when they were).
    pub body: Vec<u8>,
}

/// A stored raw payload, as an admin reads it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRawPayload {
    /// Row id, increasing in arrival order.
    pub id: i64,
    /// When tripline stored it, unix milliseconds (retention counts from here).
    pub ingest_time_ms: i64,
    /// Lowercase hex SHA-256 of `payload.body`.
    pub sha256: String,
    /// The raw payload.
    pub payload: RawPayload,
}

/// Entry points to the raw tier.
pub struct RawStore;

impl RawStore {
    /// Open (creating when missing) the raw tier for appending. Creates `DIR/raw` (0700)
    /// and `raw.db` (0600).
    pub fn open_writer(dir: &Path, opts: &StoreOptions) -> Result<RawWriter, StoreError> {
        fsperm::ensure_private_dir(dir, false)?;
        let raw_dir = dir.join(RAW_DIR);
        fsperm::ensure_private_dir(&raw_dir, true)?;
        let conn = connection::open_writable(&raw_dir.join(RAW_DB_FILE), Schema::Raw, opts)?;
        Ok(RawWriter { conn })
    }

    /// Open the raw tier read-only. Requires an [`AdminScope`].
    pub fn open_admin(dir: &Path, _scope: &AdminScope) -> Result<RawReader, StoreError> {
        let conn = connection::open_read_only(&raw_db_path(dir), Schema::Raw)?;
        Ok(RawReader { conn })
    }

    /// Whether the raw tier was ever enabled in `dir` (its database exists).
    pub fn exists(dir: &Path) -> bool {
        raw_db_path(dir).is_file()
    }
}

/// Append-only handle on the raw tier: it can add payloads and nothing else.
pub struct RawWriter {
    conn: Connection,
}

impl RawWriter {
    /// Append payloads in one transaction, stamped with `ingest_time_ms`. Returns their
    /// row ids in order.
    pub fn append(
        &mut self,
        payloads: &[RawPayload],
        ingest_time_ms: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(payloads.len());
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO payloads (received_time, ingest_time, signal, content_type,
                                       content_encoding, emitter, body, sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for p in payloads {
                let sha = hex::encode(Sha256::digest(&p.body));
                stmt.execute(params![
                    p.received_time,
                    ingest_time_ms,
                    p.signal,
                    p.content_type,
                    p.content_encoding,
                    p.emitter,
                    p.body,
                    sha
                ])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(ids)
    }
}

/// Read-only, admin-scoped handle on the raw tier.
pub struct RawReader {
    conn: Connection,
}

impl RawReader {
    /// Number of stored payloads.
    pub fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM payloads", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// One payload by row id.
    pub fn get(&self, id: i64) -> Result<Option<StoredRawPayload>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, ingest_time, sha256, received_time, signal, content_type,
                        content_encoding, emitter, body
                 FROM payloads WHERE id = ?1",
            )?
            .query_row([id], stored_row)
            .optional()?)
    }

    /// Up to `limit` payloads with a row id above `after`, in order (a sink's raw cursor).
    pub fn after(&self, after: i64, limit: usize) -> Result<Vec<StoredRawPayload>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .conn
            .prepare_cached(
                "SELECT id, ingest_time, sha256, received_time, signal, content_type,
                        content_encoding, emitter, body
                 FROM payloads WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?
            .query_map(params![after, limit], stored_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// How many payloads have a row id above `after`, and the oldest one's ingest time.
    pub fn pending(&self, after: i64) -> Result<(u64, Option<i64>), StoreError> {
        let (n, oldest): (i64, Option<i64>) = self
            .conn
            .prepare_cached("SELECT count(*), min(ingest_time) FROM payloads WHERE id > ?1")?
            .query_row([after], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok((n.max(0) as u64, oldest))
    }

    /// The highest row id stored (0 when empty).
    pub fn last_id(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM payloads", [], |r| {
                r.get(0)
            })?)
    }
}

fn stored_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRawPayload> {
    Ok(StoredRawPayload {
        id: r.get(0)?,
        ingest_time_ms: r.get(1)?,
        sha256: r.get(2)?,
        payload: RawPayload {
            received_time: r.get(3)?,
            signal: r.get(4)?,
            content_type: r.get(5)?,
            content_encoding: r.get(6)?,
            emitter: r.get(7)?,
            body: r.get(8)?,
        },
    })
}
