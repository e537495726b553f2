//! One batch → one transaction: events, their inventory, alerts and engine state.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rusqlite::{params, Transaction};
use sha2::{Digest, Sha256};
use tripline_event::{names, Alert, Event, Value};

use crate::engine_state::{write_entries, StateChanges};
use crate::error::StoreError;

/// What [`crate::Store::write_batch`] commits atomically. Everything in it must already be
/// redacted.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteBatch<'a> {
    /// Normalized, redacted events. An event whose `id` is already stored is skipped.
    pub events: &'a [Event],
    /// Each event's compact JSON (`Event::to_json_string`), when the caller made it
    /// already (off the writer's thread); empty, or shorter than `events`, to have the
    /// store make the rest. Used only for events that carry their `id`.
    pub event_json: &'a [String],
    /// Alerts to upsert; the highest `revision` per `id` wins.
    pub alerts: &'a [Alert],
    /// Engine snapshots (`key`, bytes) produced by this batch; each replaces the old value.
    pub state: &'a [(&'a str, &'a [u8])],
    /// Engine state entries this batch changed (`engine_state` table).
    pub state_entries: StateChanges<'a>,
    /// When tripline received the batch, unix milliseconds. Retention counts from here.
    pub ingest_time_ms: i64,
}

/// What a committed batch changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Events newly stored.
    pub inserted: u64,
    /// Events skipped because their `id` was already stored (exporter retries).
    pub duplicates: u64,
    /// Alerts inserted or moved to a newer revision.
    pub alerts_upserted: u64,
    /// Bytes of engine state written (snapshots and entries).
    pub state_bytes: u64,
}

/// Write the whole batch inside `tx` (the caller commits).
/// With `outbox`, every newly stored event and every new alert revision is also appended
/// to the sink outbox in the same transaction.
pub(crate) fn write_all(
    tx: &Transaction<'_>,
    batch: &WriteBatch<'_>,
    outbox: bool,
) -> Result<WriteStats, StoreError> {
    let mut stats = WriteStats::default();
    let mut inventory = InventoryDelta::default();
    insert_events(tx, batch, outbox, &mut stats, &mut inventory)?;
    inventory.flush(tx, batch.ingest_time_ms)?;
    for alert in batch.alerts {
        if upsert_alert(tx, alert, batch.ingest_time_ms, outbox)? {
            stats.alerts_upserted += 1;
        }
    }
    for (key, value) in batch.state {
        tx.prepare_cached(
            "INSERT INTO state (key, value, updated_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
        )?
        .execute(params![key, value, batch.ingest_time_ms])?;
        stats.state_bytes += value.len() as u64;
    }
    write_entries(tx, &batch.state_entries, batch.ingest_time_ms)?;
    stats.state_bytes += batch.state_entries.bytes();
    Ok(stats)
}

fn insert_events(
    tx: &Transaction<'_>,
    batch: &WriteBatch<'_>,
    outbox: bool,
    stats: &mut WriteStats,
    inventory: &mut InventoryDelta,
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO events (id, time, ingest_time, signal, agent, event_name, conversation_id,
                             host_name, user_email, service_name, originator, emitter, event)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(id) DO NOTHING",
    )?;
    for (i, event) in batch.events.iter().enumerate() {
        let json = match batch.event_json.get(i) {
            Some(json) if event.id().is_some() => Cow::Borrowed(json.as_str()),
            _ => Cow::Owned(with_id(event).to_json_string()),
        };
        let event = with_id(event);
        let text = |name: &str| field_text(&event, name);
        let changed = stmt.execute(params![
            text(names::ID),
            text(names::TIME),
            batch.ingest_time_ms,
            text(names::SIGNAL),
            text(names::AGENT),
            text(names::EVENT_NAME),
            text(names::CONVERSATION_ID),
            text(names::HOST_NAME),
            text(names::USER_EMAIL),
            text(names::SERVICE_NAME),
            text(names::ORIGINATOR),
            text(names::EMITTER),
            json,
        ])?;
        if changed == 0 {
            stats.duplicates += 1;
        } else {
            stats.inserted += 1;
            inventory.observe(&event);
            if outbox {
                let time_ms = event
                    .time()
                    .and_then(|t| crate::parse_rfc3339_ms(t).ok())
                    .unwrap_or(batch.ingest_time_ms);
                let row = crate::outbox::NewRow {
                    kind: "event",
                    id: event.id().unwrap_or_default(),
                    revision: 1,
                    time_ms,
                    agent: event.agent().as_str(),
                    body: &json,
                };
                crate::outbox::append(tx, &row, batch.ingest_time_ms)?;
            }
        }
    }
    Ok(())
}

/// The event itself when it carries an `id`; otherwise a copy with a content-derived id
/// (lowercase hex SHA-256 of its compact JSON), so a retried batch still deduplicates.
pub(crate) fn with_id(event: &Event) -> Cow<'_, Event> {
    if event.id().is_some() {
        return Cow::Borrowed(event);
    }
    let digest = Sha256::digest(event.to_json_string().as_bytes());
    let mut owned = event.clone();
    owned.insert(names::ID, hex::encode(digest));
    Cow::Owned(owned)
}

/// A field as column text: strings as-is (borrowed), other scalars as their JSON text,
/// absent/null as SQL NULL.
fn field_text<'e>(event: &'e Event, name: &str) -> Option<Cow<'e, str>> {
    match event.get(name)? {
        Value::Str(s) => Some(Cow::Borrowed(s)),
        other => other.to_text().map(Cow::Owned),
    }
}

/// Returns whether the row changed (new id, or a newer revision).
fn upsert_alert(
    tx: &Transaction<'_>,
    alert: &Alert,
    ingest_time_ms: i64,
    outbox: bool,
) -> Result<bool, StoreError> {
    let json = serde_json::to_string(alert).map_err(|source| StoreError::Serialize {
        id: alert.id.clone(),
        source,
    })?;
    let group = |name: &str| alert.group.get(name).and_then(Value::to_text);
    let changed = tx
        .prepare_cached(
            "INSERT INTO alerts (id, revision, time, rule_id, rule_name, rule_level, agent,
                                 conversation_id, host_name, user_email, count, first_time,
                                 last_time, summary, alert, ingest_time)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             ON CONFLICT(id) DO UPDATE SET
                revision = excluded.revision, time = excluded.time,
                rule_id = excluded.rule_id, rule_name = excluded.rule_name,
                rule_level = excluded.rule_level, agent = excluded.agent,
                conversation_id = excluded.conversation_id, host_name = excluded.host_name,
                user_email = excluded.user_email, count = excluded.count,
                first_time = excluded.first_time, last_time = excluded.last_time,
                summary = excluded.summary, alert = excluded.alert,
                ingest_time = excluded.ingest_time
             WHERE excluded.revision > alerts.revision",
        )?
        .execute(params![
            alert.id,
            alert.revision,
            alert.time,
            alert.rule.id,
            alert.rule.name,
            alert.rule.level,
            alert.agent,
            group(names::CONVERSATION_ID),
            group(names::HOST_NAME),
            group(names::USER_EMAIL),
            i64::try_from(alert.count).unwrap_or(i64::MAX),
            alert.first_time,
            alert.last_time,
            alert.summary,
            json,
            ingest_time_ms,
        ])?;
    if changed > 0 && outbox {
        let row = crate::outbox::NewRow {
            kind: "alert",
            id: &alert.id,
            revision: i64::from(alert.revision),
            time_ms: crate::parse_rfc3339_ms(&alert.time).unwrap_or(ingest_time_ms),
            agent: &alert.agent,
            body: &json,
        };
        crate::outbox::append(tx, &row, ingest_time_ms)?;
    }
    Ok(changed > 0)
}

/// The identity of one observed surface; absent fields are the empty string so the
/// primary key stays usable (SQLite treats NULLs in a key as distinct).
type SurfaceKey = [String; 6];

const SURFACE_FIELDS: [&str; 6] = [
    names::AGENT,
    names::SERVICE_NAME,
    names::SERVICE_VERSION,
    names::ORIGINATOR,
    names::HOST_NAME,
    names::USER_EMAIL,
];

/// Inventory changes accumulated over a batch, flushed with one upsert per surface.
#[derive(Default)]
struct InventoryDelta {
    surfaces: BTreeMap<SurfaceKey, Seen>,
}

struct Seen {
    first: Option<String>,
    last: Option<String>,
    count: i64,
}

impl InventoryDelta {
    fn observe(&mut self, event: &Event) {
        let key: SurfaceKey = SURFACE_FIELDS.map(|f| {
            field_text(event, f)
                .map(Cow::into_owned)
                .unwrap_or_default()
        });
        let time = event.time().map(str::to_owned);
        let seen = self.surfaces.entry(key).or_insert(Seen {
            first: None,
            last: None,
            count: 0,
        });
        seen.count += 1;
        if let Some(t) = time {
            if seen.first.as_ref().is_none_or(|f| t < *f) {
                seen.first = Some(t.clone());
            }
            if seen.last.as_ref().is_none_or(|l| t > *l) {
                seen.last = Some(t);
            }
        }
    }

    fn flush(self, tx: &Transaction<'_>, ingest_time_ms: i64) -> Result<(), StoreError> {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO inventory (agent, service_name, service_version, originator, host_name,
                                    user_email, first_seen, last_seen, count, last_ingest_time)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT(agent, service_name, service_version, originator, host_name, user_email)
             DO UPDATE SET
                first_seen = CASE WHEN inventory.first_seen IS NULL
                                    OR excluded.first_seen < inventory.first_seen
                                  THEN coalesce(excluded.first_seen, inventory.first_seen)
                                  ELSE inventory.first_seen END,
                last_seen = CASE WHEN inventory.last_seen IS NULL
                                   OR excluded.last_seen > inventory.last_seen
                                 THEN coalesce(excluded.last_seen, inventory.last_seen)
                                 ELSE inventory.last_seen END,
                count = inventory.count + excluded.count,
                last_ingest_time = max(inventory.last_ingest_time, excluded.last_ingest_time)",
        )?;
        for (key, seen) in self.surfaces {
            let [agent, service, version, originator, host, email] = key;
            stmt.execute(params![
                agent,
                service,
                version,
                originator,
                host,
                email,
                seen.first,
                seen.last,
                seen.count,
                ingest_time_ms
            ])?;
        }
        Ok(())
    }
}
