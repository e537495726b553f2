//! Schema creation and migrations, versioned with `PRAGMA user_version`.
//!
//! `docs/storage.md` documents every table and column.

use std::path::Path;

use rusqlite::Connection;

use crate::error::StoreError;

/// One migration per schema version: `MAIN_MIGRATIONS[n]` takes a store from version `n`
/// to `n + 1`. Append only; never edit a released step.
const MAIN_MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE events (
        id              TEXT PRIMARY KEY,
        time            TEXT,
        ingest_time     INTEGER NOT NULL,
        signal          TEXT,
        agent           TEXT,
        event_name      TEXT,
        conversation_id TEXT,
        host_name       TEXT,
        user_email      TEXT,
        service_name    TEXT,
        originator      TEXT,
        emitter         TEXT,
        event           TEXT NOT NULL
    );
    CREATE INDEX events_time ON events(time);
    CREATE INDEX events_ingest_time ON events(ingest_time);
    CREATE INDEX events_conversation_id ON events(conversation_id);
    CREATE INDEX events_host_name ON events(host_name);
    CREATE INDEX events_user_email ON events(user_email);
    CREATE INDEX events_event_name ON events(event_name);

    CREATE TABLE alerts (
        id              TEXT PRIMARY KEY,
        revision        INTEGER NOT NULL,
        time            TEXT NOT NULL,
        rule_id         TEXT NOT NULL,
        rule_name       TEXT NOT NULL,
        rule_level      TEXT NOT NULL,
        agent           TEXT NOT NULL,
        conversation_id TEXT,
        host_name       TEXT,
        user_email      TEXT,
        count           INTEGER NOT NULL,
        first_time      TEXT NOT NULL,
        last_time       TEXT NOT NULL,
        summary         TEXT NOT NULL,
        alert           TEXT NOT NULL,
        ingest_time     INTEGER NOT NULL
    );
    CREATE INDEX alerts_time ON alerts(time);
    CREATE INDEX alerts_ingest_time ON alerts(ingest_time);
    CREATE INDEX alerts_rule_id ON alerts(rule_id);

    CREATE TABLE inventory (
        agent            TEXT NOT NULL,
        service_name     TEXT NOT NULL,
        service_version  TEXT NOT NULL,
        originator       TEXT NOT NULL,
        host_name        TEXT NOT NULL,
        user_email       TEXT NOT NULL,
        first_seen       TEXT,
        last_seen        TEXT,
        count            INTEGER NOT NULL,
        last_ingest_time INTEGER NOT NULL,
        PRIMARY KEY (agent, service_name, service_version, originator, host_name, user_email)
    );
    CREATE INDEX inventory_last_ingest_time ON inventory(last_ingest_time);

    CREATE TABLE state (
        key         TEXT PRIMARY KEY,
        value       BLOB NOT NULL,
        updated_ms  INTEGER NOT NULL
    );",
    // v2: the engine state as independent sealed entries under opaque keys, written
    // incrementally (see state.rs); replaces the single-key snapshot in `state`.
    "CREATE TABLE engine_state (
        key         TEXT PRIMARY KEY,
        value       BLOB NOT NULL,
        updated_ms  INTEGER NOT NULL
    );",
    // v3: the sink outbox (append only; rows below every sink's cursor are deleted) and
    // one delivery cursor per sink.
    "CREATE TABLE outbox (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        kind        TEXT NOT NULL,
        id          TEXT NOT NULL,
        revision    INTEGER NOT NULL,
        time_ms     INTEGER NOT NULL,
        agent       TEXT NOT NULL,
        ingest_time INTEGER NOT NULL,
        body        TEXT NOT NULL
    );
    CREATE TABLE sink_cursor (
        sink        TEXT PRIMARY KEY,
        seq         INTEGER NOT NULL,
        raw_seq     INTEGER NOT NULL,
        updated_ms  INTEGER NOT NULL
    );",
    // v4: the console: its users (Argon2 hashes), each alert's current triage and the
    // triage audit trail; indexes for the console's alert filters and health charts.
    "CREATE TABLE console_users (
        name          TEXT PRIMARY KEY,
        role          TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_ms    INTEGER NOT NULL,
        updated_ms    INTEGER NOT NULL
    );
    CREATE TABLE alert_triage (
        alert_id    TEXT PRIMARY KEY,
        status      TEXT NOT NULL,
        resolution  TEXT,
        note        TEXT NOT NULL,
        actor       TEXT NOT NULL,
        time_ms     INTEGER NOT NULL,
        revision    INTEGER NOT NULL
    );
    CREATE INDEX alert_triage_status ON alert_triage(status);
    CREATE TABLE alert_audit (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id    TEXT NOT NULL,
        revision    INTEGER NOT NULL,
        status      TEXT NOT NULL,
        resolution  TEXT,
        note        TEXT NOT NULL,
        actor       TEXT NOT NULL,
        time_ms     INTEGER NOT NULL
    );
    CREATE INDEX alert_audit_alert ON alert_audit(alert_id, seq);
    CREATE INDEX alerts_conversation_id ON alerts(conversation_id);
    CREATE INDEX alerts_rule_stats ON alerts(rule_name, time, count);
    CREATE INDEX alerts_agent_time ON alerts(agent, time);
    CREATE INDEX alerts_host_name ON alerts(host_name);
    CREATE INDEX alerts_user_email ON alerts(user_email);
    CREATE INDEX events_ingest_signal_agent ON events(ingest_time, signal, agent);
    CREATE INDEX events_conversation_time ON events(conversation_id, time);
    -- The two new events indexes start with the columns of two v1 ones, and serve every
    -- lookup those did: drop the old ones so each stored event still updates six indexes.
    DROP INDEX IF EXISTS events_ingest_time;
    DROP INDEX IF EXISTS events_conversation_id;",
];

/// Migrations of the raw tier database (`raw/raw.db`).
const RAW_MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE payloads (
        id               INTEGER PRIMARY KEY,
        received_time    TEXT NOT NULL,
        ingest_time      INTEGER NOT NULL,
        signal           TEXT NOT NULL,
        content_type     TEXT NOT NULL,
        content_encoding TEXT,
        emitter          TEXT,
        body             BLOB NOT NULL,
        sha256           TEXT NOT NULL
    );
    CREATE INDEX payloads_ingest_time ON payloads(ingest_time);",
];

/// Which database a connection holds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Schema {
    Main,
    Raw,
}

impl Schema {
    fn migrations(self) -> &'static [&'static str] {
        match self {
            Schema::Main => MAIN_MIGRATIONS,
            Schema::Raw => RAW_MIGRATIONS,
        }
    }

    /// The schema version this build writes.
    pub(crate) fn latest(self) -> i64 {
        self.migrations().len() as i64
    }
}

/// The schema version of the main store this build writes.
pub const SCHEMA_VERSION: i64 = MAIN_MIGRATIONS.len() as i64;

/// The schema version recorded in the database.
pub(crate) fn version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Bring a writable database up to the latest version, one transaction per step.
pub(crate) fn migrate(
    conn: &mut Connection,
    schema: Schema,
    path: &Path,
) -> Result<(), StoreError> {
    let found = version(conn)?;
    check_not_newer(found, schema, path)?;
    for (step, sql) in schema.migrations().iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", step as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Fail when a reader or writer meets a database from a newer tripline.
pub(crate) fn check_not_newer(found: i64, schema: Schema, path: &Path) -> Result<(), StoreError> {
    if found > schema.latest() {
        return Err(StoreError::SchemaTooNew {
            path: path.to_owned(),
            found,
            supported: schema.latest(),
        });
    }
    Ok(())
}
