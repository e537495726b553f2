//! Hostile and broken input against a real `tripline serve`: every case gets the right
//! status code and a message naming what was wrong, nothing is lost from the valid records
//! of a partly rejected request, the server keeps serving, and memory stays bounded.

mod support;

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue, KeyValueList};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use prost::Message;
use support::http::post;
use support::serve::Serve;

/// Peak resident memory the server may reach while refusing a 1 GiB gzip bomb and the other
/// hostile bodies (documented in docs/reliability.md).
const MAX_PEAK_RSS_KIB: u64 = 256 * 1024;

const PB: (&str, &str) = ("Content-Type", "application/x-protobuf");
const JSON: (&str, &str) = ("Content-Type", "application/json");

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn record(run: &str, extra: Vec<KeyValue>) -> LogRecord {
    let mut attributes = vec![
        kv(
            "event.name",
            any_value::Value::StringValue("codex.tool_result".into()),
        ),
        kv("run", any_value::Value::StringValue(run.into())),
    ];
    attributes.extend(extra);
    LogRecord {
        time_unix_nano: 1_795_000_000_000_000_000,
        attributes,
        ..Default::default()
    }
}

fn logs(records: Vec<LogRecord>) -> Vec<u8> {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

fn deep_kvlist(depth: usize) -> AnyValue {
    let mut v = AnyValue {
        value: Some(any_value::Value::StringValue("bottom".into())),
    };
    for _ in 0..depth {
        v = AnyValue {
            value: Some(any_value::Value::KvlistValue(KeyValueList {
                values: vec![KeyValue {
                    key: "k".into(),
                    value: Some(v),
                    ..Default::default()
                }],
            })),
        };
    }
    v
}

/// A valid gzip stream of `total` zero bytes, built from one compressed MiB repeated
/// (concatenated gzip members are one valid stream to a multi-member decoder; a single
/// member is made by compressing in pieces with a sync flush).
fn gzip_bomb(total: usize) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..total / zeros.len() {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

fn stored(serve: &Serve, run: &str) -> u64 {
    let rows = serve.query(&format!(
        "SELECT count(*) AS n FROM events WHERE json_extract(event,'$.run') = '{run}'"
    ));
    rows[0]["n"].as_u64().unwrap_or(0)
}

fn peak_rss_kib(serve: &Serve) -> u64 {
    let pid = serve.pid();
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("server /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
fn hostile_input_gets_the_right_status_and_loses_nothing() {
    let serve = Serve::start();
    let addr = serve.http_addr().to_owned();
    let ok = |run: &str| {
        let r = post(&addr, "/v1/logs", &[PB], &logs(vec![record(run, vec![])]));
        assert_eq!(r.status, 200, "a valid request after {run}: {}", r.text());
    };

    // Truncated protobuf: 400 naming protobuf.
    let valid = logs(vec![record(
        "t",
        vec![kv("x", any_value::Value::StringValue("y".repeat(200)))],
    )]);
    let r = post(&addr, "/v1/logs", &[PB], &valid[..valid.len() - 37]);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().to_lowercase().contains("protobuf"),
        "message names protobuf: {}",
        r.text()
    );
    ok("after-truncated");

    // Invalid JSON: 400 with a line/column.
    let r = post(
        &addr,
        "/v1/logs",
        &[JSON],
        b"{\"resourceLogs\": [ {\"scopeLogs\": [ }",
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("line"),
        "message names the position: {}",
        r.text()
    );
    ok("after-json");

    // Invalid UTF-8 inside a protobuf string field: 400 naming UTF-8.
    let mut bad = logs(vec![record("utf8-XXXX", vec![])]);
    let at = bad.windows(9).position(|w| w == b"utf8-XXXX").unwrap();
    bad[at + 5] = 0xff;
    bad[at + 6] = 0xfe;
    let r = post(&addr, "/v1/logs", &[PB], &bad);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().to_lowercase().contains("utf"),
        "message names UTF-8: {}",
        r.text()
    );
    ok("after-utf8");

    // Wrong content type: 415; unknown path: 404.
    let r = post(
        &addr,
        "/v1/logs",
        &[("Content-Type", "text/plain")],
        b"hello",
    );
    assert_eq!(r.status, 415, "{}", r.text());
    let r = post(&addr, "/v1/nothing", &[PB], &logs(vec![]));
    assert_eq!(r.status, 404, "{}", r.text());
    ok("after-415");

    // A kvlist nested a thousand deep cannot be decoded: 400, and no stack overflow.
    let deep = logs(vec![LogRecord {
        attributes: vec![KeyValue {
            key: "deep".into(),
            value: Some(deep_kvlist(1000)),
            ..Default::default()
        }],
        ..record("deep", vec![])
    }]);
    let r = post(&addr, "/v1/logs", &[PB], &deep);
    assert_eq!(r.status, 400, "{}", r.text());
    ok("after-deep");

    // 100k attributes on one record: that record is rejected through partial_success, the
    // valid record beside it is stored.
    let many: Vec<KeyValue> = (0..100_000)
        .map(|i| kv(&format!("a{i}"), any_value::Value::IntValue(i)))
        .collect();
    let body = logs(vec![record("wide", many), record("beside-wide", vec![])]);
    let r = post(&addr, "/v1/logs", &[PB], &body);
    assert_eq!(r.status, 200, "{}", r.text());
    let resp =
        ExportLogsServiceResponse::decode(r.body.as_slice()).expect("an ExportLogsServiceResponse");
    let partial = resp.partial_success.expect("partial_success is set");
    assert_eq!(partial.rejected_log_records, 1);
    assert!(
        partial.error_message.contains("attribute"),
        "message names the limit: {}",
        partial.error_message
    );
    assert_eq!(
        stored(&serve, "beside-wide"),
        1,
        "the valid record of a partly rejected request is kept"
    );
    assert_eq!(stored(&serve, "wide"), 0);

    // A 1 GiB gzip bomb (about 1 MiB on the wire) is stopped at the limit: 413.
    let bomb = gzip_bomb(1 << 30);
    assert!(
        bomb.len() < 4 << 20,
        "the bomb is small on the wire ({} bytes)",
        bomb.len()
    );
    let r = post(
        &addr,
        "/v1/logs",
        &[PB, ("Content-Encoding", "gzip")],
        &bomb,
    );
    assert_eq!(r.status, 413, "{}", r.text());
    ok("after-bomb");

    for run in [
        "after-truncated",
        "after-json",
        "after-utf8",
        "after-415",
        "after-deep",
        "after-bomb",
    ] {
        assert_eq!(stored(&serve, run), 1, "{run} stored once");
    }
    let peak = peak_rss_kib(&serve);
    assert!(
        peak < MAX_PEAK_RSS_KIB,
        "peak RSS {peak} KiB over the {MAX_PEAK_RSS_KIB} KiB bound"
    );
    assert!(serve.stop().success(), "serve exits 0 on SIGTERM");
}
