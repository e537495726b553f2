//! What the console keeps in the store: its users and the triage of alerts.
//!
//! A triage change is a new revision of the alert: [`Store::record_triage`] upserts the
//! alert (with its `triage` set and its revision bumped) through the same path as the
//! pipeline, so the outbox gets the revision when sinks are on, and in the same
//! transaction records the alert's current triage (`alert_triage`) and appends the audit
//! trail (`alert_audit`).

use rusqlite::{params, OptionalExtension};
use tripline_event::Alert;

use crate::error::StoreError;
use crate::store::Store;

/// A console user as stored: the password only as its Argon2 PHC string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleUser {
    /// Login name.
    pub name: String,
    /// `analyst` or `admin`.
    pub role: String,
    /// The Argon2id hash in PHC string form (`$argon2id$v=19$...`).
    pub password_hash: String,
}

/// What [`Store::record_triage`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriageOutcome {
    /// Stored as the alert's new revision.
    Stored,
    /// The alert is gone, or a newer revision was stored first: nothing was written.
    Stale,
}

impl Store {
    /// Create the user, or replace its role and password hash. Returns whether it was new.
    pub fn put_console_user(
        &mut self,
        user: &ConsoleUser,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let tx = self.connection_mut().transaction()?;
        let existed = tx
            .prepare_cached("SELECT 1 FROM console_users WHERE name = ?1")?
            .exists([&user.name])?;
        tx.prepare_cached(
            "INSERT INTO console_users (name, role, password_hash, created_ms, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT(name) DO UPDATE SET role = excluded.role,
                 password_hash = excluded.password_hash, updated_ms = excluded.updated_ms",
        )?
        .execute(params![user.name, user.role, user.password_hash, now_ms])?;
        tx.commit()?;
        Ok(!existed)
    }

    /// The user named `name`, if any.
    pub fn console_user(&self, name: &str) -> Result<Option<ConsoleUser>, StoreError> {
        Ok(self
            .connection()
            .prepare_cached("SELECT name, role, password_hash FROM console_users WHERE name = ?1")?
            .query_row([name], |r| {
                Ok(ConsoleUser {
                    name: r.get(0)?,
                    role: r.get(1)?,
                    password_hash: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Store `alert` (whose `triage` is set and whose `revision` is one above the stored
    /// one) as a new revision, its current triage and one audit row, in one transaction.
    /// With the outbox on, the revision goes to the sinks like any other.
    pub fn record_triage(
        &mut self,
        alert: &Alert,
        now_ms: i64,
    ) -> Result<TriageOutcome, StoreError> {
        let Some(triage) = &alert.triage else {
            return Ok(TriageOutcome::Stale);
        };
        let outbox = self.outbox_enabled();
        let tx = self.connection_mut().transaction()?;
        if !crate::write::upsert_alert(&tx, alert, now_ms, outbox)? {
            return Ok(TriageOutcome::Stale);
        }
        let resolution = triage.resolution.map(|r| r.as_str());
        tx.prepare_cached(
            "INSERT INTO alert_triage (alert_id, status, resolution, note, actor, time_ms, revision)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(alert_id) DO UPDATE SET status = excluded.status,
                 resolution = excluded.resolution, note = excluded.note, actor = excluded.actor,
                 time_ms = excluded.time_ms, revision = excluded.revision",
        )?
        .execute(params![
            alert.id,
            triage.status.as_str(),
            resolution,
            triage.note,
            triage.by,
            now_ms,
            alert.revision
        ])?;
        tx.prepare_cached(
            "INSERT INTO alert_audit (alert_id, revision, status, resolution, note, actor, time_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            alert.id,
            alert.revision,
            triage.status.as_str(),
            resolution,
            triage.note,
            triage.by,
            now_ms
        ])?;
        tx.commit()?;
        Ok(TriageOutcome::Stored)
    }
}
