//! tripline's embedded store: one SQLite database per data directory.
//!
//! * [`Store`] (`DIR/tripline.db`): redacted events, alerts (latest revision per id), the
//!   inventory of observed surfaces, and engine state (sealed entries, written incrementally). One transaction per
//!   [`WriteBatch`]; WAL mode with `synchronous = FULL` by default, so a batch is durable
//!   when [`Store::write_batch`] returns and the receiver may acknowledge it.
//! * The raw tier ([`RawStore`], `DIR/raw/raw.db`, off by default): verbatim OTLP bodies,
//!   append-only for the receiver and readable only with an [`AdminScope`].
//! * Retention ([`Store::run_retention`], [`RetentionPolicy`]): per-tier TTLs counted from
//!   ingest time, deleting in chunks and giving the space back to the filesystem.
//! * [`Checkpointer`]: the write-ahead log checkpointed on a thread of its own, off the
//!   writer's commits.
//! * [`query`]: read-only SQL for `tripline query`.
//! * [`check`]: integrity, schema and WAL checks of a data directory, and repairing a torn
//!   WAL tail (`tripline wal check`).
//! * [`Outbox`]: what the sinks still have to deliver (events and alert revisions appended
//!   in the batch's transaction when [`Store::set_outbox`] is on) and each sink's cursor.
//!
//! Everything handed to the main store must already be redacted. `docs/storage.md`
//! documents every table and column.

pub mod check;
mod checkpoint;
mod connection;
pub mod duration;
mod engine_state;
mod error;
mod fsperm;
mod options;
mod outbox;
pub mod query;
mod raw;
mod retention;
mod schema;
mod store;
mod write;

pub use checkpoint::Checkpointer;
pub use engine_state::StateChanges;
pub use error::StoreError;
pub use options::{StoreOptions, Synchronous};
pub use outbox::{Outbox, OutboxRow, QueueStats};
pub use raw::{
    raw_db_path, AdminScope, RawPayload, RawReader, RawStore, RawWriter, StoredRawPayload,
    RAW_DB_FILE, RAW_DIR,
};
pub use retention::{format_ms, parse_rfc3339_ms, RetentionPolicy, RetentionReport, SpaceReport};
pub use schema::SCHEMA_VERSION;
pub use store::{Store, MAIN_DB_FILE};
pub use write::{WriteBatch, WriteStats};
