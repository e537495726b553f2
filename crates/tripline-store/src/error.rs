//! The store's error type.

use std::path::PathBuf;

use rusqlite::ErrorCode;

/// Everything that can go wrong opening, writing, reading or pruning a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk (or the configured size cap) is full. Nothing from the failed batch was
    /// committed; the receiver should refuse the request (503) and let the exporter retry.
    #[error("storage is full: {0}")]
    DiskFull(String),
    /// Another connection held a lock longer than the busy timeout.
    #[error("database is busy: {0}")]
    Busy(String),
    /// The file is not a SQLite database or is damaged.
    #[error("database is corrupt or not a database: {0}")]
    Corrupt(String),
    /// The store was written by a newer tripline.
    #[error("{path}: schema version {found} is newer than this tripline supports ({supported})")]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// The file's schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The database could not be configured as tripline needs it (for example the
    /// filesystem refuses WAL mode).
    #[error("{path}: {reason}")]
    Setup {
        /// The database file.
        path: PathBuf,
        /// Why it could not be set up.
        reason: String,
    },
    /// A read-only open found no initialized store.
    #[error("{0}: no tripline store here (run `tripline serve` first or check --data)")]
    Missing(PathBuf),
    /// A filesystem operation on the data directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        #[source]
        /// What the operating system said.
        source: std::io::Error,
    },
    /// An alert could not be serialized to JSON.
    #[error("cannot serialize alert {id}: {source}")]
    Serialize {
        /// The alert's id.
        id: String,
        #[source]
        /// What serde_json said.
        source: serde_json::Error,
    },
    /// Any other SQLite error.
    #[error("sqlite: {0}")]
    Sqlite(rusqlite::Error),
}

impl StoreError {
    /// Whether retrying later may succeed (full disk, lock contention): a receiver answers
    /// 503 / `UNAVAILABLE` for these rather than 500.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::DiskFull(_) | StoreError::Busy(_))
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::DiskFull(err.to_string()),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Busy(err.to_string())
            }
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                StoreError::Corrupt(err.to_string())
            }
            _ => StoreError::Sqlite(err),
        }
    }
}
