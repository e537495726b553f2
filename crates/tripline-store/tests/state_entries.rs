//! Engine state entries: upserts and removals commit with their batch (or not at all), the
//! legacy single-key snapshot is replaced by entries in one transaction.

mod support;

use tripline_store::{StateChanges, Store, StoreError, StoreOptions, WriteBatch};

fn entries(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect()
}

fn values(store: &Store) -> Vec<String> {
    store
        .load_state_entries()
        .unwrap()
        .into_iter()
        .map(|v| String::from_utf8(v).unwrap())
        .collect()
}

#[test]
fn upserts_and_removals_commit_with_the_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
    let first = entries(&[("a", "A1"), ("b", "B1"), ("c", "C1")]);
    let stats = store
        .write_batch(&WriteBatch {
            state_entries: StateChanges {
                upserts: &first,
                removals: &[],
            },
            ingest_time_ms: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(stats.state_bytes, 6);
    assert_eq!(values(&store), ["A1", "B1", "C1"]);
    let next = entries(&[("b", "B2")]);
    store
        .write_batch(&WriteBatch {
            state_entries: StateChanges {
                upserts: &next,
                removals: &["a".into(), "nope".into()],
            },
            ingest_time_ms: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(values(&store), ["B2", "C1"]);
    assert_eq!(store.count_state_entries().unwrap(), 2);
}

#[test]
fn a_failed_batch_changes_no_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = StoreOptions {
        max_db_bytes: Some(256 * 1024),
        ..Default::default()
    };
    let mut store = Store::open(tmp.path(), &opts).unwrap();
    let first = entries(&[("a", "A1")]);
    store
        .write_batch(&WriteBatch {
            state_entries: StateChanges {
                upserts: &first,
                removals: &[],
            },
            ingest_time_ms: 1,
            ..Default::default()
        })
        .unwrap();
    let big = support::codex_events(1_000, 2_000);
    let next = entries(&[("b", "B1")]);
    let err = store
        .write_batch(&WriteBatch {
            events: &big,
            state_entries: StateChanges {
                upserts: &next,
                removals: &["a".into()],
            },
            ingest_time_ms: 2,
            ..Default::default()
        })
        .expect_err("the cap must be hit");
    assert!(matches!(err, StoreError::DiskFull(_)), "got {err}");
    assert_eq!(values(&store), ["A1"]);
}

#[test]
fn replacing_entries_drops_the_legacy_snapshot_atomically() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
    let old = entries(&[("stale", "S")]);
    store
        .write_batch(&WriteBatch {
            state: &[("engine", b"whole snapshot"), ("other", b"kept")],
            state_entries: StateChanges {
                upserts: &old,
                removals: &[],
            },
            ingest_time_ms: 1,
            ..Default::default()
        })
        .unwrap();
    store
        .replace_state_entries(&entries(&[("x", "X"), ("y", "Y")]), &["engine"], 2)
        .unwrap();
    assert_eq!(values(&store), ["X", "Y"]);
    assert_eq!(store.load_state("engine").unwrap(), None);
    assert_eq!(
        store.load_state("other").unwrap().as_deref(),
        Some(&b"kept"[..])
    );
}
