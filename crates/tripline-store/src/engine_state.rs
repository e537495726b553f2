//! Engine state entries (`engine_state` table): one row per independently persisted piece
//! of detection state, written incrementally in each batch's transaction.
//!
//! The store treats keys and values as opaque: the caller hands in keys that reveal nothing
//! (keyed hashes) and values that are already sealed. The legacy single-key snapshots in
//! the `state` table are still readable ([`crate::Store::load_state`]) so an existing data
//! dir can be migrated ([`crate::Store::replace_state_entries`]).

use rusqlite::{params, Transaction};

use crate::error::StoreError;
use crate::store::Store;

/// Changes to the state entries that a batch commits with its events and alerts.
#[derive(Clone, Copy, Debug, Default)]
pub struct StateChanges<'a> {
    /// (key, value): insert or replace.
    pub upserts: &'a [(String, Vec<u8>)],
    /// keys to delete (absent keys are fine)
    pub removals: &'a [String],
}

impl StateChanges<'_> {
    /// Bytes of the values written.
    pub fn bytes(&self) -> u64 {
        self.upserts.iter().map(|(_, v)| v.len() as u64).sum()
    }
}

/// Apply `changes` inside `tx`.
pub(crate) fn write_entries(
    tx: &Transaction<'_>,
    changes: &StateChanges<'_>,
    now_ms: i64,
) -> Result<(), StoreError> {
    if !changes.upserts.is_empty() {
        let mut up = tx.prepare_cached(
            "INSERT INTO engine_state (key, value, updated_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
        )?;
        for (key, value) in changes.upserts {
            up.execute(params![key, value, now_ms])?;
        }
    }
    if !changes.removals.is_empty() {
        let mut del = tx.prepare_cached("DELETE FROM engine_state WHERE key = ?1")?;
        for key in changes.removals {
            del.execute([key])?;
        }
    }
    Ok(())
}

impl Store {
    /// Every stored state entry's value, in key order.
    pub fn load_state_entries(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt = self
            .connection()
            .prepare_cached("SELECT value FROM engine_state ORDER BY key")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Number of stored state entries.
    pub fn count_state_entries(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .connection()
            .query_row("SELECT count(*) FROM engine_state", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// In one transaction: replace all state entries with `entries` and delete the legacy
    /// snapshots under `legacy_keys` in the `state` table (migration, or a full rewrite).
    pub fn replace_state_entries(
        &mut self,
        entries: &[(String, Vec<u8>)],
        legacy_keys: &[&str],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let tx = self.connection_mut().transaction()?;
        tx.execute("DELETE FROM engine_state", [])?;
        write_entries(
            &tx,
            &StateChanges {
                upserts: entries,
                removals: &[],
            },
            now_ms,
        )?;
        for key in legacy_keys {
            tx.execute("DELETE FROM state WHERE key = ?1", [key])?;
        }
        tx.commit()?;
        Ok(())
    }
}
