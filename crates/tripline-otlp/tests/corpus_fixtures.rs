//! Normalization of real captured request bodies (copied from the Codex 0.169.0, Claude
//! Code 2.1.328 and Gemini CLI 0.61.0 corpus into tests/fixtures).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{decode_fixture, named};
use tripline_event::{Event, Value};
use tripline_otlp::{Encoding, OtlpSignal};

const PB: Encoding = Encoding::Protobuf;
const JSON: Encoding = Encoding::Json;

/// Per event name: the union of field names, minus per-run values' presence noise.
fn shapes(events: &[Event]) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for e in events {
        let key = (
            e.get_str("signal").unwrap_or("").to_owned(),
            e.event_name().unwrap_or("").to_owned(),
        );
        out.entry(key)
            .or_default()
            .extend(e.fields().keys().cloned());
    }
    out
}

fn types(events: &[Event]) -> BTreeMap<String, &'static str> {
    let mut out = BTreeMap::new();
    for e in events {
        for (k, v) in e.iter() {
            let t = match v {
                Value::Null => "null",
                Value::Bool(_) => "bool",
                Value::Int(_) => "int",
                Value::Float(_) => "float",
                Value::Str(_) => "str",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            out.insert(format!("{}/{k}", e.event_name().unwrap_or("")), t);
        }
    }
    out
}

#[test]
fn protobuf_and_json_logs_have_the_same_shapes() {
    let pb = decode_fixture("codex/a-baseline/0003-logs.pb", OtlpSignal::Logs, PB);
    let js = decode_fixture(
        "codex/i-json-protocol/0003-logs.json",
        OtlpSignal::Logs,
        JSON,
    );
    assert_eq!(pb.len(), js.len());
    assert_eq!(shapes(&pb), shapes(&js));
    assert_eq!(types(&pb), types(&js));
}

#[test]
fn protobuf_and_json_metrics_have_the_same_shapes() {
    let pb = decode_fixture("codex/a-baseline/0002-metrics.pb", OtlpSignal::Metrics, PB);
    let js = decode_fixture(
        "codex/i-json-protocol/0002-metrics.json.gz",
        OtlpSignal::Metrics,
        JSON,
    );
    assert_eq!(pb.len(), 187);
    assert_eq!(pb.len(), js.len());
    assert_eq!(shapes(&pb), shapes(&js));
    assert_eq!(types(&pb), types(&js));
}

#[test]
fn protobuf_and_json_traces_agree_on_span_fields() {
    let pb = decode_fixture("codex/a-baseline/0001-traces.pb", OtlpSignal::Traces, PB);
    let js = decode_fixture(
        "codex/i-json-protocol/0001-traces.json.gz",
        OtlpSignal::Traces,
        JSON,
    );
    // Different runs produce slightly different span sets; the span shape is the same.
    let span_keys = |evs: &[Event]| -> BTreeSet<String> {
        evs.iter()
            .filter(|e| {
                e.get_str("signal") == Some("span") && e.event_name() == Some("session_init")
            })
            .flat_map(|e| e.fields().keys().cloned())
            .collect()
    };
    assert!(!span_keys(&pb).is_empty());
    assert_eq!(span_keys(&pb), span_keys(&js));
    for evs in [&pb, &js] {
        let ids: BTreeSet<_> = evs.iter().filter_map(|e| e.get_str("trace_id")).collect();
        assert!(ids.iter().all(|id| id.len() == 32
            && id
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));
    }
}

#[test]
fn codex_log_time_comes_from_event_timestamp() {
    let evs = decode_fixture("codex/a-baseline/0003-logs.pb", OtlpSignal::Logs, PB);
    let prompt = named(&evs, "log", "codex.user_prompt");
    assert_eq!(prompt.len(), 1);
    let e = prompt[0];
    let ts = e
        .get_str("event_timestamp")
        .expect("event.timestamp attribute");
    // "2026-11-23T19:49:05.435Z" → nanosecond form of the same instant
    let expected = format!("{}000000Z", ts.trim_end_matches('Z'));
    assert_eq!(e.time(), Some(expected.as_str()));
    assert_ne!(e.get_str("observed_time"), e.time());
    assert_eq!(
        e.get_str("otlp_event_name"),
        Some("event otel/src/events/session_telemetry.rs:1200")
    );
    assert_eq!(e.get_str("scope_name"), Some("codex_otel.log_only"));
    assert_eq!(e.get_str("severity"), Some("INFO"));
    assert_eq!(e.get("severity_number"), Some(&Value::Int(9)));
}

#[test]
fn codex_logs_without_event_timestamp_use_observed_time() {
    let evs = decode_fixture("codex/a-baseline/0003-logs.pb", OtlpSignal::Logs, PB);
    let flush: Vec<_> = evs
        .iter()
        .filter(|e| e.get_str("scope_name") == Some("codex_otel::metrics::client"))
        .collect();
    assert!(!flush.is_empty());
    for e in flush {
        assert!(e.get("event_timestamp").is_none());
        assert_eq!(e.time(), e.get_str("observed_time"));
        assert!(e.get("trace_id").is_none(), "empty ids must be absent");
    }
}

#[test]
fn span_events_are_their_own_signal_with_parent_ids() {
    let evs = decode_fixture("codex/a-baseline/0001-traces.pb", OtlpSignal::Traces, PB);
    let starts = named(&evs, "span_event", "codex.conversation_starts");
    assert_eq!(starts.len(), 1);
    let se = starts[0];
    let parent = evs
        .iter()
        .find(|e| {
            e.get_str("signal") == Some("span") && e.get_str("span_id") == se.get_str("span_id")
        })
        .expect("parent span present");
    assert_eq!(parent.get_str("trace_id"), se.get_str("trace_id"));
    assert_eq!(se.get_str("span_name"), parent.get_str("span_name"));
    assert!(se.get("user_email").is_none());
    assert_eq!(se.get_str("approval_policy"), Some("never"));
    // spans carry their timing fields
    assert!(parent.get("duration_ms").and_then(Value::as_f64).is_some());
    assert_eq!(parent.time(), parent.get_str("start_time"));
    assert!(parent.get_str("end_time").is_some());
    assert_eq!(parent.get_str("span_kind"), Some("internal"));
    assert_eq!(parent.get_str("status_code"), Some("unset"));
}

#[test]
fn codex_numbers_sent_as_strings_are_numbers() {
    let evs = decode_fixture(
        "codex/f4-tool-write-files-never/0001-logs.pb",
        OtlpSignal::Logs,
        PB,
    );
    let results = named(&evs, "log", "codex.tool_result");
    assert!(!results.is_empty());
    for r in &results {
        assert!(
            matches!(r.get("duration_ms"), Some(Value::Int(_))),
            "{:?}",
            r.get("duration_ms")
        );
        assert!(
            matches!(r.get("success"), Some(Value::Bool(_))),
            "{:?}",
            r.get("success")
        );
        assert!(r.get_str("arguments").is_some());
    }
    let prompts = named(&evs, "log", "codex.user_prompt");
    assert!(matches!(
        prompts[0].get("prompt_length"),
        Some(Value::Int(_))
    ));
    let sse: Vec<_> = named(&evs, "log", "codex.sse_event")
        .into_iter()
        .filter(|e| e.get("input_token_count").is_some())
        .collect();
    for e in sse {
        assert!(matches!(e.get("input_token_count"), Some(Value::Int(_))));
    }
}

#[test]
fn unredacted_prompt_arrives_verbatim() {
    let evs = decode_fixture(
        "codex/e-log-user-prompt-secret/0003-logs.pb",
        OtlpSignal::Logs,
        PB,
    );
    let p = named(&evs, "log", "codex.user_prompt");
    assert!(p[0]
        .get_str("prompt")
        .unwrap_or("")
        .contains("AKIAIOSFODNN7EXAMPLE"));
    assert_eq!(p[0].lookup("user.email"), p[0].get("user_email"));
}

#[test]
fn agents_are_inferred_for_all_three() {
    let codex = decode_fixture("codex/i2-grpc/0003-grpc-logs.pb", OtlpSignal::Logs, PB);
    assert!(codex
        .iter()
        .all(|e| e.agent() == tripline_event::Agent::Codex));
    let claude = decode_fixture("claude/a_plain/0001_v1_logs.body", OtlpSignal::Logs, PB);
    assert!(!claude.is_empty());
    assert!(claude
        .iter()
        .all(|e| e.agent() == tripline_event::Agent::ClaudeCode));
    let claude_m = decode_fixture(
        "claude/a_plain/0002_v1_metrics.body",
        OtlpSignal::Metrics,
        PB,
    );
    assert!(claude_m
        .iter()
        .all(|e| e.agent() == tripline_event::Agent::ClaudeCode));
    for (rel, sig) in [
        ("gemini/a_plain/0001_v1_traces.body", OtlpSignal::Traces),
        ("gemini/a_plain/0002_v1_logs.body", OtlpSignal::Logs),
        ("gemini/a_plain/0003_v1_metrics.body", OtlpSignal::Metrics),
    ] {
        let evs = decode_fixture(rel, sig, JSON);
        assert!(!evs.is_empty(), "{rel}");
        assert!(
            evs.iter()
                .all(|e| e.agent() == tripline_event::Agent::GeminiCli),
            "{rel}"
        );
    }
}

#[test]
fn resource_attribute_collisions_keep_both_values() {
    // Gemini sends session.id both as a resource and as a record attribute.
    let evs = decode_fixture(
        "gemini/a_plain/0003_v1_metrics.body",
        OtlpSignal::Metrics,
        JSON,
    );
    let e = evs
        .iter()
        .find(|e| e.get("resource.session_id").is_some())
        .expect("collision");
    assert!(e.get_str("session_id").is_some());
    assert_eq!(e.get_str("service_name"), Some("gemini-cli"));
}

#[test]
fn ids_are_stable_across_decodes_and_unique_within_a_batch() {
    for (rel, sig, enc) in [
        ("codex/a-baseline/0001-traces.pb", OtlpSignal::Traces, PB),
        ("codex/a-baseline/0002-metrics.pb", OtlpSignal::Metrics, PB),
        (
            "codex/i-json-protocol/0003-logs.json",
            OtlpSignal::Logs,
            JSON,
        ),
    ] {
        let a = decode_fixture(rel, sig, enc);
        let b = decode_fixture(rel, sig, enc);
        let ids_a: Vec<_> = a.iter().map(|e| e.id().expect("id").to_owned()).collect();
        let ids_b: Vec<_> = b.iter().map(|e| e.id().expect("id").to_owned()).collect();
        assert_eq!(ids_a, ids_b, "{rel}");
        let unique: BTreeSet<_> = ids_a.iter().collect();
        assert_eq!(unique.len(), ids_a.len(), "{rel}");
    }
}

#[test]
fn metric_points_carry_metric_fields() {
    let evs = decode_fixture("codex/a-baseline/0002-metrics.pb", OtlpSignal::Metrics, PB);
    let hist = evs
        .iter()
        .find(|e| e.get_str("metric_kind") == Some("histogram"))
        .expect("a histogram");
    for k in [
        "count",
        "sum",
        "bucket_counts",
        "explicit_bounds",
        "metric_name",
        "time",
    ] {
        assert!(hist.get(k).is_some(), "{k}");
    }
    assert_eq!(hist.get_str("temporality"), Some("delta"));
    let sum = evs
        .iter()
        .find(|e| e.get_str("metric_kind") == Some("sum"))
        .expect("a sum");
    assert!(sum.get("value").and_then(Value::as_f64).is_some());
    assert_eq!(sum.event_name(), sum.get_str("metric_name"));
    assert!(evs.iter().any(|e| e.get("session_source").is_some()));
}
