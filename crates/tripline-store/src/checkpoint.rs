//! Checkpointing the write-ahead log off the writer's path.
//!
//! By default SQLite checkpoints inside the commit that crosses `wal_autocheckpoint`
//! pages, so every thousandth page a writer also copies the log back into the database and
//! fsyncs it. A [`Checkpointer`] does that on its own connection and thread instead
//! (`PRAGMA wal_checkpoint(PASSIVE)` every [`Checkpointer::PERIOD`]), and the writer's
//! automatic checkpoint stays only as a backstop, at [`BACKSTOP_PAGES`]. A passive
//! checkpoint never blocks the writer, and durability is unchanged: a commit is durable
//! once its frames are in the fsynced log.

use std::path::Path;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::StoreError;
use crate::store::Store;
use crate::MAIN_DB_FILE;

/// The writer's own automatic checkpoint once a [`Checkpointer`] runs, in pages (about
/// 40 MiB with 4 KiB pages): reached only when the background checkpoint falls behind.
pub const BACKSTOP_PAGES: i64 = 10_000;

/// A background checkpoint thread; stops (after one last checkpoint) when dropped.
pub struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// How often the log is checkpointed.
    pub const PERIOD: Duration = Duration::from_millis(250);

    /// Start checkpointing `store`'s database on a connection of its own, and move the
    /// writer's automatic checkpoint to the backstop.
    pub fn start(store: &Store) -> Result<Checkpointer, StoreError> {
        let conn = open(&store.dir().join(MAIN_DB_FILE))?;
        store
            .connection()
            .pragma_update(None, "wal_autocheckpoint", BACKSTOP_PAGES)?;
        let (stop, rx) = channel::<()>();
        let thread = std::thread::Builder::new()
            .name("tripline-checkpoint".into())
            .spawn(move || loop {
                let done = match rx.recv_timeout(Self::PERIOD) {
                    Err(RecvTimeoutError::Timeout) => false,
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
                };
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!("background WAL checkpoint failed: {e}");
                }
                if done {
                    break;
                }
            })
            .map_err(|e| StoreError::io(store.dir(), e))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}
