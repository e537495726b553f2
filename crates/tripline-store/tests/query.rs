//! `tripline query` as a library: read-only SQL, JSON Lines and table output.

mod support;

use tripline_store::query::{open_query_connection, run_query, Format, QueryError};
use tripline_store::{Store, StoreOptions, WriteBatch};

fn store(dir: &std::path::Path, n: u64) {
    let mut store = Store::open(dir, &StoreOptions::default()).unwrap();
    let events = support::codex_events(0, n);
    store
        .write_batch(&WriteBatch {
            events: &events,
            alerts: &[support::alert("a1", 2, 5)],
            ingest_time_ms: 1_700_000_000_000,
            ..Default::default()
        })
        .unwrap();
}

fn query(dir: &std::path::Path, sql: &str, format: Format) -> Result<String, QueryError> {
    let conn = open_query_connection(dir, None).unwrap();
    let mut out = Vec::new();
    run_query(&conn, sql, &mut out, format)?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn jsonl_keys_by_column_with_native_types() {
    let tmp = tempfile::tempdir().unwrap();
    store(tmp.path(), 4);
    let out = query(
        tmp.path(),
        "SELECT tool_name, count(*) AS n, 0.5 AS half, NULL AS missing, x'00ff' AS bytes
         FROM (SELECT json_extract(event, '$.tool_name') AS tool_name FROM events)
         GROUP BY tool_name ORDER BY tool_name",
        Format::Jsonl,
    )
    .unwrap();
    assert_eq!(
        out,
        "{\"tool_name\":\"apply_patch\",\"n\":2,\"half\":0.5,\"missing\":null,\"bytes\":\"00ff\"}\n\
         {\"tool_name\":\"shell\",\"n\":2,\"half\":0.5,\"missing\":null,\"bytes\":\"00ff\"}\n"
    );
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["n"].is_i64());
    }
}

#[test]
fn repeated_column_names_stay_distinct() {
    let tmp = tempfile::tempdir().unwrap();
    store(tmp.path(), 1);
    let out = query(tmp.path(), "SELECT 1 AS a, 2 AS a", Format::Jsonl).unwrap();
    assert_eq!(out, "{\"a\":1,\"a_2\":2}\n");
}

#[test]
fn table_format_aligns_and_counts() {
    let tmp = tempfile::tempdir().unwrap();
    store(tmp.path(), 3);
    let out = query(
        tmp.path(),
        "SELECT rule_id, revision, count FROM alerts",
        Format::Table,
    )
    .unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "rule_id                | revision | count");
    assert_eq!(lines[1], "---------------------- | -------- | -----");
    assert_eq!(lines[2], "codex-sandbox-weakened | 2        | 5");
    assert_eq!(lines[3], "(1 row)");
}

#[test]
fn writes_are_refused_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    store(tmp.path(), 3);
    for sql in [
        "DELETE FROM events",
        "INSERT INTO state (key, value, updated_ms) VALUES ('x', x'00', 0)",
        "UPDATE alerts SET count = 0",
        "DROP TABLE events",
        "CREATE TABLE t (x)",
        "PRAGMA user_version = 99",
    ] {
        let err = query(tmp.path(), sql, Format::Jsonl).unwrap_err();
        assert!(
            matches!(err, QueryError::WriteRefused { .. }),
            "{sql}: expected a refusal, got {err}"
        );
    }
    let ro = Store::open_read_only(tmp.path()).unwrap();
    assert_eq!(ro.count_events().unwrap(), 3);
    assert_eq!(ro.count_alerts().unwrap(), 1);
}

#[test]
fn bad_sql_reports_sqlite_message_and_the_sql() {
    let tmp = tempfile::tempdir().unwrap();
    store(tmp.path(), 1);
    let err = query(tmp.path(), "SELEC nonsense", Format::Jsonl).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, QueryError::Sql { .. }));
    assert!(text.contains("syntax error"), "{text}");
    assert!(text.contains("SELEC nonsense"), "{text}");
    let err = query(tmp.path(), "SELECT nope FROM events", Format::Jsonl).unwrap_err();
    assert!(err.to_string().contains("no such column: nope"), "{err}");
}
