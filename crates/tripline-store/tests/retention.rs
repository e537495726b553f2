//! Retention: per-tier TTLs from ingest time, chunked deletes, space really reclaimed.

mod support;

use std::time::Duration;

use tripline_store::{
    raw_db_path, AdminScope, RawPayload, RawStore, RetentionPolicy, Store, StoreOptions,
    WriteBatch, MAIN_DB_FILE,
};

const DAY_MS: i64 = 86_400_000;
const NOW: i64 = 1_800_000_000_000;

fn file_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Old ingest time with a *recent* event time, and the reverse, so only ingest time can
/// explain which rows survive.
fn events_with_times(start: u64, n: u64, event_time: &str) -> Vec<tripline_event::Event> {
    support::codex_events(start, n)
        .into_iter()
        .map(|mut e| {
            e.insert("time", event_time);
            e
        })
        .collect()
}

#[test]
fn expired_rows_go_unexpired_stay_and_the_file_shrinks() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
    let old = events_with_times(0, 3_000, "2030-01-01T00:00:00Z");
    let fresh = events_with_times(100_000, 200, "2000-01-01T00:00:00Z");
    for chunk in old.chunks(500) {
        store
            .write_batch(&WriteBatch {
                events: chunk,
                ingest_time_ms: NOW - 40 * DAY_MS,
                ..Default::default()
            })
            .unwrap();
    }
    store
        .write_batch(&WriteBatch {
            events: &fresh,
            alerts: &[support::alert("old-alert", 1, 1)],
            ingest_time_ms: NOW - DAY_MS,
            ..Default::default()
        })
        .unwrap();
    store
        .connection()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let db = tmp.path().join(MAIN_DB_FILE);
    let before = file_len(&db);

    let policy = RetentionPolicy {
        chunk_rows: 700,
        ..Default::default()
    };
    let report = store.run_retention(NOW, &policy).unwrap();

    assert_eq!(report.deleted("events"), 3_000);
    assert_eq!(
        report.deleted("alerts"),
        0,
        "the alert is 1 day old, TTL 180 days"
    );
    assert_eq!(report.deleted("inventory"), 0);
    assert!(report.raw.is_none(), "no raw tier was enabled");
    assert_eq!(store.count_events().unwrap(), 200);
    let oldest_left: i64 = store
        .connection()
        .query_row("SELECT min(ingest_time) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(oldest_left, NOW - DAY_MS);
    let after = file_len(&db);
    assert!(
        after < before / 3,
        "file should shrink: {before} -> {after}"
    );
    assert_eq!(
        report.main.bytes_after, after,
        "WAL is truncated, so bytes = db file"
    );
    assert!(report.main.reclaimed() > 0);
    assert!(report.main.checkpoint_complete);
    let text = report.to_string();
    assert!(text.contains("deleted 3000 rows from events"), "{text}");
}

#[test]
fn each_tier_has_its_own_ttl_and_none_keeps_forever() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
    let events = support::codex_events(0, 10);
    store
        .write_batch(&WriteBatch {
            events: &events,
            alerts: &[support::alert("a", 1, 1)],
            ingest_time_ms: NOW - 10 * DAY_MS,
            ..Default::default()
        })
        .unwrap();
    // 10 days old: past a 5 day alert TTL, within the 30 day event TTL.
    let policy = RetentionPolicy {
        alerts_ttl: Some(Duration::from_secs(5 * 86_400)),
        inventory_ttl: None,
        ..Default::default()
    };
    let report = store.run_retention(NOW, &policy).unwrap();
    assert_eq!(report.deleted("alerts"), 1);
    assert_eq!(report.deleted("events"), 0);
    assert!(!report.deleted.contains_key("inventory"));
    assert_eq!(store.count_alerts().unwrap(), 0);
    assert_eq!(store.count_events().unwrap(), 10);

    let forever = RetentionPolicy {
        events_ttl: None,
        inventory_ttl: None,
        ..Default::default()
    };
    let report = store.run_retention(NOW + 1_000 * DAY_MS, &forever).unwrap();
    assert_eq!(store.count_events().unwrap(), 10);
    assert!(!report.deleted.contains_key("events"));

    let surfaces: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM inventory", [], |r| r.get(0))
        .unwrap();
    assert!(surfaces > 1);
    let report = store
        .run_retention(NOW + 1_000 * DAY_MS, &RetentionPolicy::default())
        .unwrap();
    assert_eq!(report.deleted("events"), 10);
    assert_eq!(
        report.deleted("inventory"),
        surfaces as u64,
        "surfaces not seen for a year go"
    );
}

#[test]
fn the_raw_tier_is_pruned_on_its_own_shorter_ttl() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
    let mut raw = RawStore::open_writer(tmp.path(), &StoreOptions::default()).unwrap();
    let payload = |n: u8| RawPayload {
        received_time: "2026-11-20T10:00:00Z".into(),
        signal: "logs".into(),
        content_type: "application/x-protobuf".into(),
        content_encoding: None,
        emitter: None,
        body: vec![n; 64 * 1024],
    };
    let old: Vec<RawPayload> = (0..40).map(payload).collect();
    raw.append(&old, NOW - 4 * DAY_MS).unwrap();
    raw.append(&[payload(99)], NOW - 2 * DAY_MS).unwrap();
    let events = support::codex_events(0, 5);
    store
        .write_batch(&WriteBatch {
            events: &events,
            ingest_time_ms: NOW - 4 * DAY_MS,
            ..Default::default()
        })
        .unwrap();
    drop(raw);

    let report = store
        .run_retention(NOW, &RetentionPolicy::default())
        .unwrap();
    assert_eq!(report.deleted("raw.payloads"), 40, "3 day raw TTL");
    assert_eq!(
        report.deleted("events"),
        0,
        "4-day-old events are within 30 days"
    );
    let space = report.raw.as_ref().expect("raw tier exists");
    assert_eq!(space.path, raw_db_path(tmp.path()));
    assert!(space.bytes_after < space.bytes_before / 4, "{space:?}");
    assert_eq!(file_len(&raw_db_path(tmp.path())), space.bytes_after);

    let reader = RawStore::open_admin(tmp.path(), &AdminScope::asserted()).unwrap();
    assert_eq!(reader.count().unwrap(), 1);
}

#[test]
fn a_reader_in_a_transaction_delays_reclaiming_but_not_deleting() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
    let events = support::codex_events(0, 500);
    store
        .write_batch(&WriteBatch {
            events: &events,
            ingest_time_ms: NOW - 40 * DAY_MS,
            ..Default::default()
        })
        .unwrap();
    let reader = Store::open_read_only(tmp.path()).unwrap();
    reader.connection().execute_batch("BEGIN").unwrap();
    assert_eq!(reader.count_events().unwrap(), 500);

    let report = store
        .run_retention(NOW, &RetentionPolicy::default())
        .unwrap();
    assert_eq!(report.deleted("events"), 500);
    assert!(
        !report.main.checkpoint_complete,
        "the reader's snapshot pins the WAL"
    );
    assert!(report.to_string().contains("a later run reclaims"));
    assert_eq!(
        reader.count_events().unwrap(),
        500,
        "the reader keeps its snapshot"
    );
    reader.connection().execute_batch("COMMIT").unwrap();
    drop(reader);

    let again = store
        .run_retention(NOW, &RetentionPolicy::default())
        .unwrap();
    assert!(again.main.checkpoint_complete);
    assert_eq!(store.count_events().unwrap(), 0);
}
