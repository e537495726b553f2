//! The raw tier: separate private files, append-only writer, admin-only reads.

mod support;

use std::os::unix::fs::PermissionsExt;

use tripline_store::query::{open_query_connection, run_query, Format, QueryError};
use tripline_store::{
    raw_db_path, AdminScope, RawPayload, RawStore, Store, StoreError, StoreOptions, RAW_DIR,
};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn payload(body: &[u8]) -> RawPayload {
    RawPayload {
        received_time: "2026-11-20T10:00:00.123Z".into(),
        signal: "logs".into(),
        content_type: "application/json".into(),
        content_encoding: Some("gzip".into()),
        emitter: Some("laptop".into()),
        body: body.to_vec(),
    }
}

#[test]
fn raw_tier_is_not_created_until_enabled() {
    let tmp = tempfile::tempdir().unwrap();
    Store::open(tmp.path(), &StoreOptions::default()).unwrap();
    assert!(!tmp.path().join(RAW_DIR).exists());
    assert!(!RawStore::exists(tmp.path()));
    let err = RawStore::open_admin(tmp.path(), &AdminScope::asserted())
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Missing(_)));
}

#[test]
fn writer_appends_and_admin_reads_back_with_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let mut writer = RawStore::open_writer(tmp.path(), &StoreOptions::default()).unwrap();
    assert_eq!(mode(&tmp.path().join(RAW_DIR)), 0o700);
    assert_eq!(mode(&raw_db_path(tmp.path())), 0o600);
    let ids = writer
        .append(&[payload(b"first"), payload(b"second")], 1_234)
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids[0] < ids[1]);

    let reader = RawStore::open_admin(tmp.path(), &AdminScope::asserted()).unwrap();
    assert_eq!(reader.count().unwrap(), 2);
    let got = reader.get(ids[1]).unwrap().expect("stored");
    assert_eq!(got.payload, payload(b"second"));
    assert_eq!(got.ingest_time_ms, 1_234);
    assert_eq!(
        got.sha256, "16367aacb67a4a017c8da8ab95682ccb390863780f7114dda0a0e0c55644c7c4",
        "sha256(\"second\")"
    );
    assert_eq!(reader.get(9_999).unwrap(), None);
}

fn store_with_raw(dir: &std::path::Path) {
    let mut store = Store::open(dir, &StoreOptions::default()).unwrap();
    let events = support::codex_events(0, 2);
    store
        .write_batch(&tripline_store::WriteBatch {
            events: &events,
            ingest_time_ms: 1,
            ..Default::default()
        })
        .unwrap();
    let mut writer = RawStore::open_writer(dir, &StoreOptions::default()).unwrap();
    writer.append(&[payload(b"secret prompt text")], 1).unwrap();
}

#[test]
fn query_without_admin_cannot_see_the_raw_tier() {
    let tmp = tempfile::tempdir().unwrap();
    store_with_raw(tmp.path());
    let conn = open_query_connection(tmp.path(), None).unwrap();
    let mut out = Vec::new();
    let err = run_query(
        &conn,
        "SELECT body FROM raw.payloads",
        &mut out,
        Format::Jsonl,
    )
    .unwrap_err();
    assert!(matches!(err, QueryError::RawNeedsAdmin { .. }), "got {err}");
    assert!(err.to_string().contains("--admin"));
    assert!(out.is_empty());

    // Attaching it by hand is refused too.
    let path = raw_db_path(tmp.path());
    let sql = format!("ATTACH DATABASE '{}' AS sneaky", path.display());
    let err = run_query(&conn, &sql, &mut out, Format::Jsonl).unwrap_err();
    assert!(matches!(err, QueryError::Sql { .. }), "got {err}");
    let err = run_query(
        &conn,
        "SELECT count(*) FROM sneaky.payloads",
        &mut out,
        Format::Jsonl,
    )
    .unwrap_err();
    assert!(err.to_string().contains("no such table"), "got {err}");
}

#[test]
fn query_with_admin_reads_the_raw_tier_but_cannot_attach_more() {
    let tmp = tempfile::tempdir().unwrap();
    store_with_raw(tmp.path());
    let admin = AdminScope::asserted();
    let conn = open_query_connection(tmp.path(), Some(&admin)).unwrap();
    let mut out = Vec::new();
    run_query(
        &conn,
        "SELECT signal, content_encoding, length(body) AS n FROM raw.payloads",
        &mut out,
        Format::Jsonl,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"signal\":\"logs\",\"content_encoding\":\"gzip\",\"n\":18}\n"
    );
    let mut out = Vec::new();
    let sql = format!(
        "ATTACH DATABASE '{}' AS again",
        raw_db_path(tmp.path()).display()
    );
    assert!(run_query(&conn, &sql, &mut out, Format::Jsonl).is_err());
    let err = run_query(&conn, "DELETE FROM raw.payloads", &mut out, Format::Jsonl).unwrap_err();
    assert!(matches!(err, QueryError::WriteRefused { .. }), "got {err}");
}
