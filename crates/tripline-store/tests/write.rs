//! Batches: idempotency, inventory, alert revisions, state, atomicity and full disks.

mod support;

use tripline_event::Event;
use tripline_store::{Store, StoreError, StoreOptions, WriteBatch, WriteStats};

fn open(dir: &std::path::Path) -> Store {
    Store::open(dir, &StoreOptions::default()).unwrap()
}

fn scalar<T: rusqlite::types::FromSql>(store: &Store, sql: &str) -> T {
    store.connection().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn the_same_batch_twice_stores_each_event_once() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = open(tmp.path());
    let events = support::codex_events(0, 50);
    let batch = WriteBatch {
        events: &events,
        ingest_time_ms: 1_000,
        ..Default::default()
    };
    let first = store.write_batch(&batch).unwrap();
    assert_eq!(
        first,
        WriteStats {
            inserted: 50,
            duplicates: 0,
            alerts_upserted: 0,
            state_bytes: 0
        }
    );
    let second = store.write_batch(&batch).unwrap();
    assert_eq!(
        second,
        WriteStats {
            inserted: 0,
            duplicates: 50,
            alerts_upserted: 0,
            state_bytes: 0
        }
    );
    assert_eq!(store.count_events().unwrap(), 50);
    let total: i64 = scalar(&store, "SELECT sum(count) FROM inventory");
    assert_eq!(total, 50, "duplicates must not inflate inventory counts");
}

#[test]
fn columns_are_filled_from_canonical_fields_and_json_is_queryable() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = open(tmp.path());
    let mut e = support::codex_event(7);
    e.insert("emitter", "laptop-token");
    store
        .write_batch(&WriteBatch {
            events: &[e.clone()],
            ingest_time_ms: 42,
            ..Default::default()
        })
        .unwrap();
    let (time, ingest, agent, name, conv, host, email, svc, orig, emitter, tool): (
        String,
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    ) = store
        .connection()
        .query_row(
            "SELECT time, ingest_time, agent, event_name, conversation_id, host_name, user_email,
                    service_name, originator, emitter, json_extract(event, '$.tool_name')
             FROM events",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(time, e.time().unwrap());
    assert_eq!(ingest, 42);
    assert_eq!(agent, "codex");
    assert_eq!(name, "codex.tool_result");
    assert_eq!(conv, e.get_str("conversation_id").unwrap());
    assert_eq!(host, e.get_str("host_name").unwrap());
    assert_eq!(email, e.get_str("user_email").unwrap());
    assert_eq!(svc, "codex_cli_rs");
    assert_eq!(orig, "codex_cli_rs");
    assert_eq!(emitter, "laptop-token");
    assert_eq!(tool, e.get_str("tool_name").unwrap());
    let json: String = scalar(&store, "SELECT event FROM events");
    let back: Event = serde_json::from_str(&json).unwrap();
    assert_eq!(back, e);
}

#[test]
fn a_batch_with_an_event_without_id_is_refused_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = open(tmp.path());
    let mut e = support::codex_event(1);
    e.remove("id");
    let batch = [support::codex_event(0), e];
    let err = store
        .write_batch(&WriteBatch {
            events: &batch,
            ingest_time_ms: 1,
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        matches!(err, StoreError::MissingEventId { index: 1, ref event_name }
            if event_name.as_deref() == Some("codex.tool_result")),
        "{err:?}"
    );
    assert!(err.to_string().contains("has no id"), "{err}");
    assert!(!err.is_transient(), "retrying the same batch cannot help");
    let stored: i64 = scalar(&store, "SELECT count(*) FROM events");
    assert_eq!(stored, 0, "nothing of the refused batch is written");
}

#[test]
fn inventory_tracks_surfaces_with_first_and_last_event_time() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = open(tmp.path());
    let mut a = support::codex_event(1);
    a.insert("time", "2026-11-20T10:00:05Z");
    let mut b = a.clone();
    b.insert("id", "b");
    b.insert("time", "2026-11-20T09:00:00Z");
    let mut c = a.clone();
    c.insert("id", "c");
    c.insert("time", "2026-11-21T00:00:00Z");
    c.insert("originator", "codex_vscode");
    store
        .write_batch(&WriteBatch {
            events: &[a, b],
            ingest_time_ms: 1,
            ..Default::default()
        })
        .unwrap();
    store
        .write_batch(&WriteBatch {
            events: &[c],
            ingest_time_ms: 2,
            ..Default::default()
        })
        .unwrap();
    let rows: Vec<(String, String, String, i64)> = store
        .connection()
        .prepare(
            "SELECT originator, first_seen, last_seen, count FROM inventory ORDER BY originator",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                "codex_cli_rs".into(),
                "2026-11-20T09:00:00Z".into(),
                "2026-11-20T10:00:05Z".into(),
                2
            ),
            (
                "codex_vscode".into(),
                "2026-11-21T00:00:00Z".into(),
                "2026-11-21T00:00:00Z".into(),
                1
            ),
        ]
    );
}

#[test]
fn alerts_keep_the_newest_revision_and_are_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = open(tmp.path());
    let write = |store: &mut Store, alerts: &[tripline_event::Alert]| {
        store
            .write_batch(&WriteBatch {
                alerts,
                ingest_time_ms: 5,
                ..Default::default()
            })
            .unwrap()
            .alerts_upserted
    };
    assert_eq!(write(&mut store, &[support::alert("a1", 1, 1)]), 1);
    assert_eq!(
        write(&mut store, &[support::alert("a1", 1, 1)]),
        0,
        "same revision is a no-op"
    );
    assert_eq!(write(&mut store, &[support::alert("a1", 3, 7)]), 1);
    assert_eq!(
        write(&mut store, &[support::alert("a1", 2, 4)]),
        0,
        "older revision loses"
    );
    assert_eq!(store.count_alerts().unwrap(), 1);
    let (rev, count, summary, rule, host): (i64, i64, String, String, String) = store
        .connection()
        .query_row(
            "SELECT revision, count, summary, rule_id, host_name FROM alerts WHERE id = 'a1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!((rev, count), (3, 7));
    assert_eq!(summary, "sandbox weakened 7 time(s)");
    assert_eq!(rule, "codex-sandbox-weakened");
    assert_eq!(host, "dev-laptop-1");
    let json: String = scalar(&store, "SELECT alert FROM alerts");
    let back: tripline_event::Alert = serde_json::from_str(&json).unwrap();
    assert_eq!(back, support::alert("a1", 3, 7));
}

#[test]
fn state_round_trips_and_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = open(tmp.path());
    assert_eq!(store.load_state("correlation").unwrap(), None);
    let v1: &[u8] = &[0, 1, 2, 255];
    store
        .write_batch(&WriteBatch {
            state: &[("correlation", v1), ("baseline", b"b1")],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        store.load_state("correlation").unwrap().as_deref(),
        Some(v1)
    );
    store
        .write_batch(&WriteBatch {
            state: &[("correlation", b"v2")],
            ..Default::default()
        })
        .unwrap();
    drop(store);
    let store = open(tmp.path());
    assert_eq!(
        store.load_state("correlation").unwrap().as_deref(),
        Some(&b"v2"[..])
    );
    assert_eq!(
        store.load_state("baseline").unwrap().as_deref(),
        Some(&b"b1"[..])
    );
}

#[test]
fn a_full_disk_is_disk_full_and_keeps_nothing_of_the_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = StoreOptions {
        max_db_bytes: Some(256 * 1024),
        ..Default::default()
    };
    let mut store = Store::open(tmp.path(), &opts).unwrap();
    let small = support::codex_events(0, 10);
    store
        .write_batch(&WriteBatch {
            events: &small,
            ingest_time_ms: 1,
            ..Default::default()
        })
        .unwrap();
    let big = support::codex_events(1_000, 2_000);
    let err = store
        .write_batch(&WriteBatch {
            events: &big,
            state: &[("k", b"v")],
            ingest_time_ms: 2,
            ..Default::default()
        })
        .expect_err("the cap must be hit");
    assert!(matches!(err, StoreError::DiskFull(_)), "got {err}");
    assert!(err.is_transient());
    assert_eq!(
        store.count_events().unwrap(),
        10,
        "the failed batch is rolled back"
    );
    assert_eq!(store.load_state("k").unwrap(), None);
    // The store stays usable: a small batch still fits.
    let more = support::codex_events(10, 5);
    store
        .write_batch(&WriteBatch {
            events: &more,
            ingest_time_ms: 3,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(store.count_events().unwrap(), 15);
    let check: String = scalar(&store, "PRAGMA integrity_check");
    assert_eq!(check, "ok");
}
