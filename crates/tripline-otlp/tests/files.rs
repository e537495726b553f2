//! Reading inputs from files and directories: captures, Collector JSON Lines, flattened
//! events, gzip, sidecars.

mod common;

use std::io::Write;
use std::path::PathBuf;

use common::{fixture, fixture_path};
use tripline_event::Event;
use tripline_otlp::files::{self, InputKind, ReadError, ReadOptions};
use tripline_otlp::{decode, Encoding, Limits, OtlpSignal};

fn read_all(paths: &[PathBuf], opts: &ReadOptions) -> Result<Vec<Event>, ReadError> {
    let mut out = Vec::new();
    files::read_inputs(paths, opts, &mut |e| {
        out.push(e);
        Ok(())
    })?;
    Ok(out)
}

fn direct(rel: &str, signal: OtlpSignal, enc: Encoding) -> Vec<Event> {
    decode(signal, enc, &fixture(rel), &Limits::default())
        .unwrap()
        .events
}

#[test]
fn directory_walk_is_sorted_and_matches_direct_decoding() {
    let dir = fixture_path("codex/a-baseline");
    let evs = read_all(std::slice::from_ref(&dir), &ReadOptions::default()).unwrap();
    let mut expected = direct(
        "codex/a-baseline/0001-traces.pb",
        OtlpSignal::Traces,
        Encoding::Protobuf,
    );
    expected.extend(direct(
        "codex/a-baseline/0002-metrics.pb",
        OtlpSignal::Metrics,
        Encoding::Protobuf,
    ));
    expected.extend(direct(
        "codex/a-baseline/0003-logs.pb",
        OtlpSignal::Logs,
        Encoding::Protobuf,
    ));
    assert_eq!(evs, expected);
    let plan = files::plan(&[dir], &ReadOptions::default()).unwrap();
    let skipped = plan
        .iter()
        .filter(|f| matches!(f.kind, InputKind::Skip(_)))
        .count();
    assert_eq!(skipped, 3, "the three .headers.json sidecars");
}

#[test]
fn captured_bodies_use_meta_sidecars_and_gzip_is_transparent() {
    let evs = read_all(&[fixture_path("gemini/a_plain")], &ReadOptions::default()).unwrap();
    let mut expected = direct(
        "gemini/a_plain/0001_v1_traces.body",
        OtlpSignal::Traces,
        Encoding::Json,
    );
    expected.extend(direct(
        "gemini/a_plain/0002_v1_logs.body",
        OtlpSignal::Logs,
        Encoding::Json,
    ));
    expected.extend(direct(
        "gemini/a_plain/0003_v1_metrics.body",
        OtlpSignal::Metrics,
        Encoding::Json,
    ));
    assert_eq!(evs, expected);

    let gz = read_all(
        &[fixture_path("codex/i-json-protocol/0002-metrics.json.gz")],
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        gz,
        direct(
            "codex/i-json-protocol/0002-metrics.json.gz",
            OtlpSignal::Metrics,
            Encoding::Json
        )
    );
}

#[test]
fn signal_from_headers_sidecar_or_option_else_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let body = tmp.path().join("0001.pb");
    std::fs::write(&body, fixture("codex/a-baseline/0003-logs.pb")).unwrap();
    let err = read_all(std::slice::from_ref(&body), &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, ReadError::UnknownSignal { .. }));
    assert!(err.to_string().contains("0001.pb") && err.to_string().contains("--signal"));

    let with_opt = ReadOptions {
        signal: Some(OtlpSignal::Logs),
        ..ReadOptions::default()
    };
    let expected = direct(
        "codex/a-baseline/0003-logs.pb",
        OtlpSignal::Logs,
        Encoding::Protobuf,
    );
    assert_eq!(
        read_all(std::slice::from_ref(&body), &with_opt).unwrap(),
        expected
    );

    std::fs::write(
        tmp.path().join("0001.headers.json"),
        br#"{"path": "/v1/logs"}"#,
    )
    .unwrap();
    assert_eq!(
        read_all(&[body], &ReadOptions::default()).unwrap(),
        expected
    );
}

/// Compact one JSON document onto a single line.
fn one_line(bytes: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    serde_json::to_string(&v).unwrap()
}

#[test]
fn collector_json_lines_and_flattened_events() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = fixture("codex/i-json-protocol/0003-logs.json");
    let metrics = fixture("codex/i-json-protocol/0002-metrics.json.gz");
    let path = tmp.path().join("otel-export.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "{}", one_line(&logs)).unwrap();
    writeln!(f).unwrap();
    writeln!(f, "{}", one_line(&metrics)).unwrap();
    writeln!(f, r#"{{"signal":"log","event_name":"hand.made","n":1}}"#).unwrap();
    drop(f);

    let evs = read_all(std::slice::from_ref(&path), &ReadOptions::default()).unwrap();
    let mut expected = direct(
        "codex/i-json-protocol/0003-logs.json",
        OtlpSignal::Logs,
        Encoding::Json,
    );
    expected.extend(direct(
        "codex/i-json-protocol/0002-metrics.json.gz",
        OtlpSignal::Metrics,
        Encoding::Json,
    ));
    assert_eq!(evs.len(), expected.len() + 1);
    assert_eq!(&evs[..expected.len()], &expected[..]);
    assert_eq!(evs.last().unwrap().event_name(), Some("hand.made"));

    // The same lines in a `.json` file are recognised as JSON Lines too.
    let as_json = tmp.path().join("export.json");
    std::fs::copy(&path, &as_json).unwrap();
    assert_eq!(read_all(&[as_json], &ReadOptions::default()).unwrap(), evs);
}

#[test]
fn replayed_events_read_back_unchanged() {
    let evs = read_all(
        &[fixture_path("codex/f4-tool-write-files-never")],
        &ReadOptions::default(),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("events.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    for e in &evs {
        writeln!(gz, "{}", e.to_json_string()).unwrap();
    }
    gz.finish().unwrap();
    let back = read_all(&[path], &ReadOptions::default()).unwrap();
    assert_eq!(back, evs);
}

#[test]
fn bad_lines_name_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("broken.jsonl");
    std::fs::write(&path, "{\"a\":1}\n{\"b\":2}\n[1,2]\n").unwrap();
    let err = read_all(std::slice::from_ref(&path), &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("broken.jsonl line 3"), "{err}");
    std::fs::write(&path, "{\"a\":1}\n{\"resourceLogs\":[{]}\n").unwrap();
    let err = read_all(&[path], &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("broken.jsonl line 2") && err.contains("column"),
        "{err}"
    );
}

#[test]
fn oversized_files_are_refused() {
    let opts = ReadOptions {
        max_file_bytes: 100,
        ..ReadOptions::default()
    };
    let err = read_all(&[fixture_path("codex/a-baseline/0003-logs.pb")], &opts).unwrap_err();
    assert!(
        matches!(err, ReadError::TooLarge { limit: 100, .. }),
        "{err}"
    );
}

#[test]
fn lone_json_documents_without_otlp_keys_are_not_telemetry() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("manifest.json");
    std::fs::write(&path, br#"{"scenario": "a", "requests": 3}"#).unwrap();
    let plan = files::plan(std::slice::from_ref(&path), &ReadOptions::default()).unwrap();
    let tally = files::read_file(&plan[0], &ReadOptions::default(), &mut |_| {
        panic!("no events expected")
    })
    .unwrap();
    assert!(tally.not_telemetry);
    assert_eq!(tally.events, 0);
}
