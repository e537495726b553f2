//! Creating, reopening and versioning a store.

mod support;

use std::os::unix::fs::PermissionsExt;

use tripline_store::{
    Store, StoreError, StoreOptions, Synchronous, WriteBatch, MAIN_DB_FILE, SCHEMA_VERSION,
};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn creates_private_dir_and_file_with_wal_and_incremental_vacuum() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data").join("nested");
    let store = Store::open(&dir, &StoreOptions::default()).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(MAIN_DB_FILE)), 0o600);
    let conn = store.connection();
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    let auto_vacuum: i64 = conn
        .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))
        .unwrap();
    assert_eq!(auto_vacuum, 2, "2 = INCREMENTAL");
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "2 = FULL by default");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let wal = dir.join(format!("{MAIN_DB_FILE}-wal"));
    assert_eq!(
        mode(&wal),
        0o600,
        "SQLite gives the WAL the database's mode"
    );
}

#[test]
fn synchronous_is_configurable() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = StoreOptions {
        synchronous: Synchronous::Normal,
        ..Default::default()
    };
    let store = Store::open(tmp.path(), &opts).unwrap();
    let sync: i64 = store
        .connection()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 1, "1 = NORMAL");
    assert_eq!(Synchronous::parse("Full"), Some(Synchronous::Full));
    assert_eq!(Synchronous::parse("sometimes"), None);
}

#[test]
fn events_table_has_the_documented_columns_and_indexes() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
    let conn = store.connection();
    let cols: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('events')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for want in [
        "id",
        "time",
        "ingest_time",
        "signal",
        "agent",
        "event_name",
        "conversation_id",
        "host_name",
        "user_email",
        "service_name",
        "originator",
        "emitter",
        "event",
    ] {
        assert!(cols.iter().any(|c| c == want), "missing column {want}");
    }
    let indexed: Vec<String> = conn
        .prepare(
            "SELECT ii.name FROM pragma_index_list('events') il, pragma_index_info(il.name) ii",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for want in [
        "time",
        "conversation_id",
        "host_name",
        "user_email",
        "event_name",
    ] {
        assert!(indexed.iter().any(|c| c == want), "no index on {want}");
    }
}

#[test]
fn reopening_keeps_data_and_does_not_remigrate() {
    let tmp = tempfile::tempdir().unwrap();
    let events = support::codex_events(0, 3);
    {
        let mut store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
        store
            .write_batch(&WriteBatch {
                events: &events,
                ingest_time_ms: 1,
                ..Default::default()
            })
            .unwrap();
    }
    let store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
    assert_eq!(store.count_events().unwrap(), 3);
    let ro = Store::open_read_only(tmp.path()).unwrap();
    assert_eq!(ro.count_events().unwrap(), 3);
    assert!(ro.is_read_only());
}

#[test]
fn read_only_open_of_missing_store_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    match Store::open_read_only(tmp.path()) {
        Err(StoreError::Missing(p)) => assert!(p.ends_with(MAIN_DB_FILE)),
        Err(other) => panic!("expected Missing, got {other}"),
        Ok(_) => panic!("expected Missing, got a store"),
    }
    assert!(
        !tmp.path().join(MAIN_DB_FILE).exists(),
        "read-only open must not create"
    );
    assert!(matches!(
        Store::open_existing(tmp.path(), &StoreOptions::default()),
        Err(StoreError::Missing(_))
    ));
}

#[test]
fn a_newer_schema_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
        store
            .connection()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = Store::open(tmp.path(), &StoreOptions::default())
        .err()
        .expect("must fail");
    assert!(matches!(err, StoreError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1));
    assert!(matches!(
        Store::open_read_only(tmp.path()),
        Err(StoreError::SchemaTooNew { .. })
    ));
}

#[test]
fn a_file_that_is_not_a_database_is_reported_as_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join(MAIN_DB_FILE), vec![0x42u8; 8192]).unwrap();
    let err = Store::open(tmp.path(), &StoreOptions::default())
        .err()
        .expect("must fail");
    assert!(matches!(err, StoreError::Corrupt(_)), "got {err}");
}
