//! A small pool of read-only store connections for the pages.

use std::path::PathBuf;
use std::sync::Mutex;

use tripline_store::{Store, StoreError};

/// Read-only connections, reused across requests (each keeps its prepared statements).
pub(crate) struct Readers {
    dir: PathBuf,
    idle: Mutex<Vec<Store>>,
}

/// Page cache of each reader connection: -32768 KiB = 32 MiB.
const CACHE_KIB: i64 = -32 * 1024;

/// At most this many idle connections are kept.
const KEEP: usize = 4;

impl Readers {
    pub(crate) fn new(dir: PathBuf) -> Readers {
        Readers {
            dir,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Run `f` on a read-only connection (blocking; call from a blocking task).
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let store = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let store = match store {
            Some(s) => s,
            None => {
                let store = Store::open_read_only(&self.dir)?;
                // A page cache of its own per connection (KiB when negative).
                store
                    .connection()
                    .pragma_update(None, "cache_size", CACHE_KIB)?;
                store
            }
        };
        let out = f(store.connection());
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < KEEP {
            idle.push(store);
        }
        out
    }
}
