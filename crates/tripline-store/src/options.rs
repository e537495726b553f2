//! How a store is opened.

use std::time::Duration;

/// SQLite's `synchronous` setting for the WAL. In config files and the environment it is
/// written `full`, `normal` or `off`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// fsync the WAL on every commit: a batch for which `write_batch` returned survives
    /// power loss and `kill -9`. The default, because the receiver acknowledges OTLP
    /// only after the write returns.
    #[default]
    Full,
    /// fsync only at checkpoints: survives `kill -9` (the WAL is in the OS page cache) but
    /// the last commits may be lost on power failure. Faster.
    Normal,
    /// Never fsync. For tests and throwaway replays only.
    Off,
}

impl Synchronous {
    pub(crate) fn pragma_value(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
            Synchronous::Off => "OFF",
        }
    }

    /// Parse `full`, `normal` or `off` (any case).
    pub fn parse(s: &str) -> Option<Synchronous> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Some(Synchronous::Full),
            "normal" => Some(Synchronous::Normal),
            "off" => Some(Synchronous::Off),
            _ => None,
        }
    }
}

/// Options for [`crate::Store::open`] and [`crate::RawStore::open_writer`].
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// WAL `synchronous` level (default [`Synchronous::Full`]).
    pub synchronous: Synchronous,
    /// How long a statement waits for another connection's lock (default 5 s).
    pub busy_timeout: Duration,
    /// Optional cap on the database file size. Reaching it fails writes with
    /// [`crate::StoreError::DiskFull`], exactly like a full disk.
    pub max_db_bytes: Option<u64>,
    /// Page cache per connection, in bytes (default 64 MiB). Indexes of a store with
    /// millions of events stay hot in it; too small a cache turns inserts into random reads.
    pub cache_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(5),
            max_db_bytes: None,
            cache_bytes: 64 * 1024 * 1024,
        }
    }
}
