//! The real OpenTelemetry SDKs exporting to a running `tripline serve`: the Python SDK over
//! OTLP/HTTP protobuf and over OTLP/gRPC (`tests/support/otel_emit.py`), the JavaScript SDK
//! over OTLP/HTTP JSON (`tests/support/otel_emit.js`). Each emitter sends one log record, one
//! span with one span event, a counter and a histogram, all with typed attributes, then
//! shuts its providers down; the tests assert on the normalized events.
//!
//! Needs the tools from `bash scripts/install-test-tools.sh` (see `support::tools` for the
//! policy when they are missing).

mod support;

use std::process::Command;

use serde_json::json;
use support::otel_sdk::{emit, python_emitter};
use support::query::{at_least, show, Row};
use support::serve::Serve;
use support::tools::{self, Tool};

/// What one emitter run is expected to have sent (see the emitter scripts' docs).
struct Probe {
    /// Name prefix of the log event, span, span event and metrics.
    prefix: String,
    service_name: &'static str,
    body: &'static str,
    /// `probe.run_id`: tells this run's events apart.
    run_id: String,
}

/// Asserts the four probe attributes on a row that selected them as `count`, `count_type`,
/// `ratio`, `ratio_type`, `flag_type` and `text`.
fn assert_typed_attributes(row: &Row, what: &str) {
    let whole = || show(std::slice::from_ref(row));
    assert_eq!(row["count"], json!(42), "{what}: probe.count: {}", whole());
    assert_eq!(
        row["count_type"],
        "integer",
        "{what}: probe.count is an int: {}",
        whole()
    );
    assert_eq!(
        row["ratio"],
        json!(0.25),
        "{what}: probe.ratio: {}",
        whole()
    );
    assert_eq!(
        row["ratio_type"],
        "real",
        "{what}: probe.ratio is a double: {}",
        whole()
    );
    assert_eq!(
        row["flag_type"],
        "true",
        "{what}: probe.flag is the boolean true: {}",
        whole()
    );
    assert_eq!(row["text"], "alpha", "{what}: probe.text: {}", whole());
}

/// The columns [`assert_typed_attributes`] reads.
const TYPED_COLUMNS: &str = "json_extract(event, '$.probe_count') AS count, \
     json_type(event, '$.probe_count') AS count_type, \
     json_extract(event, '$.probe_ratio') AS ratio, \
     json_type(event, '$.probe_ratio') AS ratio_type, \
     json_type(event, '$.probe_flag') AS flag_type, \
     json_extract(event, '$.probe_text') AS text";

/// The events of one emitter run, all normalized.
fn assert_probe_events(serve: &Serve, probe: &Probe) {
    let run = format!("json_extract(event, '$.probe_run_id') = '{}'", probe.run_id);
    let p = &probe.prefix;

    // The log record: event name, body, resource and typed attributes.
    let logs = serve.wait_rows(
        "the SDK's log record",
        &format!(
            "SELECT event_name, agent, service_name, json_extract(event, '$.body') AS body, {TYPED_COLUMNS} \
             FROM events WHERE signal = 'log' AND {run}"
        ),
        at_least(1),
    );
    assert_eq!(
        logs.len(),
        1,
        "one log record: {}\n{}",
        show(&logs),
        serve.log_text()
    );
    let log = &logs[0];
    assert_eq!(
        log["event_name"],
        json!(format!("{p}.log")),
        "{}",
        show(&logs)
    );
    assert_eq!(
        log["agent"],
        "unknown",
        "an SDK probe is no coding agent: {}",
        show(&logs)
    );
    assert_eq!(log["service_name"], probe.service_name, "{}", show(&logs));
    assert_eq!(log["body"], probe.body, "{}", show(&logs));
    assert_typed_attributes(log, "log");

    // The span, named by its span name.
    let spans = serve.wait_rows(
        "the SDK's span",
        &format!(
            "SELECT event_name, service_name, json_extract(event, '$.span_name') AS span_name, {TYPED_COLUMNS} \
             FROM events WHERE signal = 'span' AND {run}"
        ),
        at_least(1),
    );
    assert_eq!(spans.len(), 1, "one span: {}", show(&spans));
    assert_eq!(
        spans[0]["event_name"],
        json!(format!("{p}.span")),
        "{}",
        show(&spans)
    );
    assert_eq!(
        spans[0]["service_name"],
        probe.service_name,
        "{}",
        show(&spans)
    );
    assert_typed_attributes(&spans[0], "span");

    // The span event, named by its name, with its own attribute.
    let span_events = serve.wait_rows(
        "the SDK's span event",
        &format!(
            "SELECT event_name, json_extract(event, '$.probe_step') AS step, \
                    json_type(event, '$.probe_step') AS step_type \
             FROM events WHERE signal = 'span_event' AND {run}"
        ),
        at_least(1),
    );
    assert_eq!(
        span_events.len(),
        1,
        "one span event: {}",
        show(&span_events)
    );
    assert_eq!(
        span_events[0]["event_name"],
        json!(format!("{p}.span_event")),
        "{}",
        show(&span_events)
    );
    assert_eq!(span_events[0]["step"], json!(1), "{}", show(&span_events));
    assert_eq!(
        span_events[0]["step_type"],
        "integer",
        "{}",
        show(&span_events)
    );

    // The metric points: the counter's value is what was added; the histogram is a
    // different kind of metric.
    let counter = format!("{p}.requests");
    let histogram = format!("{p}.latency_ms");
    let points = serve.wait_rows(
        "the SDK's metric points",
        &format!(
            "SELECT event_name, json_extract(event, '$.metric_name') AS metric_name, \
                    json_extract(event, '$.metric_kind') AS metric_kind, \
                    json_extract(event, '$.value') AS value, service_name, {TYPED_COLUMNS} \
             FROM events WHERE signal = 'metric' AND {run}"
        ),
        |rows: &[Row]| {
            let has = |n: &str| rows.iter().any(|r| r["event_name"] == n);
            if has(&counter) && has(&histogram) {
                Ok(())
            } else {
                Err("counter and histogram not both stored".into())
            }
        },
    );
    let point = |name: &str| -> &Row {
        let matching: Vec<&Row> = points.iter().filter(|r| r["event_name"] == name).collect();
        assert_eq!(matching.len(), 1, "one {name} point: {}", show(&points));
        matching[0]
    };
    let c = point(&counter);
    let h = point(&histogram);
    assert_eq!(c["metric_name"], json!(counter), "{}", show(&points));
    assert_eq!(
        c["value"].as_f64(),
        Some(7.0),
        "counter value 3 + 4: {}",
        show(&points)
    );
    assert_eq!(c["service_name"], probe.service_name, "{}", show(&points));
    assert_typed_attributes(c, "counter point");
    assert_eq!(h["metric_name"], json!(histogram), "{}", show(&points));
    let kind = |r: &Row| r["metric_kind"].as_str().unwrap_or("").to_string();
    assert!(
        !kind(c).is_empty() && !kind(h).is_empty(),
        "metric_kind set: {}",
        show(&points)
    );
    assert_ne!(
        kind(c),
        kind(h),
        "a counter and a histogram are different metric kinds: {}",
        show(&points)
    );
}

#[test]
fn python_sdk_over_otlp_http_protobuf() {
    let Some(found) = tools::require("python_sdk_over_otlp_http_protobuf", &[Tool::VenvPython])
    else {
        return;
    };
    let serve = Serve::start();
    let run_id = format!("py-http-{}", std::process::id());
    emit(
        "otel_emit.py (http/protobuf)",
        &mut python_emitter(&found, "http/protobuf", &serve.http_url(), &run_id),
        &[],
    );
    let probe = Probe {
        prefix: "probe.python.http_protobuf".into(),
        service_name: "tripline-probe-python",
        body: "hello from python",
        run_id,
    };
    assert_probe_events(&serve, &probe);
    // Graceful shutdown is part of the contract: SIGTERM → exit 0.
    let status = serve.stop();
    assert!(
        status.success(),
        "tripline serve should exit 0 on SIGTERM, got {status}"
    );
}

#[test]
fn python_sdk_over_otlp_grpc() {
    let Some(found) = tools::require("python_sdk_over_otlp_grpc", &[Tool::VenvPython]) else {
        return;
    };
    let serve = Serve::start();
    let run_id = format!("py-grpc-{}", std::process::id());
    emit(
        "otel_emit.py (grpc)",
        &mut python_emitter(&found, "grpc", &serve.grpc_url(), &run_id),
        &[],
    );
    let probe = Probe {
        prefix: "probe.python.grpc".into(),
        service_name: "tripline-probe-python",
        body: "hello from python",
        run_id,
    };
    assert_probe_events(&serve, &probe);
}

#[test]
fn js_sdk_over_otlp_http_json() {
    let Some(found) = tools::require(
        "js_sdk_over_otlp_http_json",
        &[Tool::Node, Tool::NodeModules],
    ) else {
        return;
    };
    let serve = Serve::start();
    let run_id = format!("js-json-{}", std::process::id());
    let mut cmd = Command::new(found.path(Tool::Node));
    cmd.arg(tools::support_script("otel_emit.js")).args([
        "--endpoint",
        &serve.http_url(),
        "--run-id",
        &run_id,
    ]);
    emit(
        "otel_emit.js (http/json)",
        &mut cmd,
        &[("TRIPLINE_NODE_MODULES", found.path(Tool::NodeModules))],
    );
    let probe = Probe {
        prefix: "probe.js".into(),
        service_name: "tripline-probe-js",
        body: "hello from js",
        run_id,
    };
    assert_probe_events(&serve, &probe);
}
