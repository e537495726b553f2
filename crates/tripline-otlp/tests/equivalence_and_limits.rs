//! The same request as protobuf and as OTLP/JSON yields identical events (ids included);
//! limits reject records one by one; malformed bodies fail with a useful message.

mod common;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use tripline_event::Value;
use tripline_otlp::{decode, DecodeError, Encoding, Limits, OtlpSignal};

fn s(v: &str) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::StringValue(v.into())),
    }
}

fn kv(k: &str, v: AnyValue) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(v),
        ..Default::default()
    }
}

fn record(attrs: Vec<KeyValue>) -> LogRecord {
    LogRecord {
        observed_time_unix_nano: 1_795_463_418_920_007_989,
        severity_number: 9,
        severity_text: "INFO".into(),
        trace_id: (1..=16).collect(),
        span_id: vec![0xab; 8],
        event_name: "event otel/src/x.rs:1".into(),
        attributes: attrs,
        ..Default::default()
    }
}

fn request(records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", s("codex_exec")),
                    kv("host.name", s("vm")),
                    kv("model", s("resource-model")),
                ],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "codex_otel.log_only".into(),
                    attributes: vec![kv("lib.kind", s("otel"))],
                    ..Default::default()
                }),
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn prompt_record() -> LogRecord {
    record(vec![
        kv("event.name", s("codex.user_prompt")),
        kv("event.timestamp", s("2026-11-23T19:49:05.435Z")),
        kv("prompt_length", s("6")),
        kv("success", s("True")),
        kv("model", s("gpt-5.5")),
        kv(
            "nested",
            AnyValue {
                value: Some(any_value::Value::KvlistValue(KeyValueList {
                    values: vec![
                        kv(
                            "n",
                            AnyValue {
                                value: Some(any_value::Value::IntValue(-3)),
                            },
                        ),
                        kv(
                            "b",
                            AnyValue {
                                value: Some(any_value::Value::BytesValue(vec![1, 255])),
                            },
                        ),
                        kv(
                            "a",
                            AnyValue {
                                value: Some(any_value::Value::ArrayValue(ArrayValue {
                                    values: vec![
                                        AnyValue {
                                            value: Some(any_value::Value::DoubleValue(1.5)),
                                        },
                                        AnyValue {
                                            value: Some(any_value::Value::BoolValue(true)),
                                        },
                                    ],
                                })),
                            },
                        ),
                    ],
                })),
            },
        ),
    ])
}

/// The same request written by hand in OTLP/JSON, with the quirks real senders use:
/// int64 as strings, upper-case hex ids, `body: null`, unknown keys, an enum by name.
const PROMPT_JSON: &str = r#"{"resourceLogs":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"codex_exec"}},
  {"key":"host.name","value":{"stringValue":"vm"}},
  {"key":"model","value":{"stringValue":"resource-model"}}],"droppedAttributesCount":0,"entityRefs":[]},
 "scopeLogs":[{"scope":{"name":"codex_otel.log_only","version":"","attributes":[{"key":"lib.kind","value":{"stringValue":"otel"}}]},
  "logRecords":[{"timeUnixNano":"0","observedTimeUnixNano":"1795463418920007989",
   "severityNumber":"SEVERITY_NUMBER_INFO","severityText":"INFO","body":null,
   "traceId":"0102030405060708090A0B0C0D0E0F10","spanId":"abababababababab","flags":0,
   "eventName":"event otel/src/x.rs:1","futureField":{"x":1},
   "attributes":[
    {"key":"event.name","value":{"stringValue":"codex.user_prompt"}},
    {"key":"event.timestamp","value":{"stringValue":"2026-11-23T19:49:05.435Z"}},
    {"key":"prompt_length","value":{"stringValue":"6"}},
    {"key":"success","value":{"stringValue":"True"}},
    {"key":"model","value":{"stringValue":"gpt-5.5"}},
    {"key":"nested","value":{"kvlistValue":{"values":[
      {"key":"n","value":{"intValue":"-3"}},
      {"key":"b","value":{"bytesValue":"Af8="}},
      {"key":"a","value":{"arrayValue":{"values":[{"doubleValue":1.5},{"boolValue":true}]}}}]}}}]}]}]}]}"#;

#[test]
fn protobuf_and_json_of_the_same_request_give_identical_events() {
    let pb = request(vec![prompt_record()]).encode_to_vec();
    let limits = Limits::default();
    let a = decode(OtlpSignal::Logs, Encoding::Protobuf, &pb, &limits).unwrap();
    let b = decode(
        OtlpSignal::Logs,
        Encoding::Json,
        PROMPT_JSON.as_bytes(),
        &limits,
    )
    .unwrap();
    assert_eq!(a.events.len(), 1);
    assert_eq!(a, b);
    let e = &a.events[0];
    assert_eq!(
        e.get_str("trace_id"),
        Some("0102030405060708090a0b0c0d0e0f10")
    );
    assert_eq!(e.get_str("time"), Some("2026-11-23T19:49:05.435000000Z"));
    assert_eq!(
        e.get_str("observed_time"),
        Some("2026-11-23T19:50:18.920007989Z")
    );
    assert_eq!(e.get("prompt_length"), Some(&Value::Int(6)));
    assert_eq!(e.get("success"), Some(&Value::Bool(true)));
    // record attribute beats resource attribute; the resource value stays addressable
    assert_eq!(e.get_str("model"), Some("gpt-5.5"));
    assert_eq!(e.get_str("resource.model"), Some("resource-model"));
    assert_eq!(e.get_str("scope.lib_kind"), Some("otel"));
    assert_eq!(e.lookup("host.name"), Some(&Value::from("vm")));
    assert_eq!(e.lookup("nested.n"), Some(&Value::Int(-3)));
    assert_eq!(e.lookup("nested.b"), Some(&Value::from("01ff")));
    assert!(e.get("body").is_none());
    assert_eq!(e.agent(), tripline_event::Agent::Codex);
}

#[test]
fn identical_records_in_one_batch_get_distinct_stable_ids() {
    let pb = request(vec![prompt_record(), prompt_record(), prompt_record()]).encode_to_vec();
    let limits = Limits::default();
    let a = decode(OtlpSignal::Logs, Encoding::Protobuf, &pb, &limits).unwrap();
    let b = decode(OtlpSignal::Logs, Encoding::Protobuf, &pb, &limits).unwrap();
    let ids: Vec<_> = a.events.iter().map(|e| e.id().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    assert_eq!(a, b);
    // A lone copy gets the first id.
    let one = request(vec![prompt_record()]).encode_to_vec();
    let c = decode(OtlpSignal::Logs, Encoding::Protobuf, &one, &limits).unwrap();
    assert_eq!(c.events[0].id(), Some(ids[0]));
}

fn nested_kvlist(depth: usize) -> AnyValue {
    let mut v = s("leaf");
    for _ in 1..depth {
        v = AnyValue {
            value: Some(any_value::Value::KvlistValue(KeyValueList {
                values: vec![kv("k", v)],
            })),
        };
    }
    v
}

#[test]
fn records_over_limits_are_rejected_individually() {
    let limits = Limits {
        max_depth: 8,
        max_attributes: 10,
        max_string_len: 64,
        max_array_len: 16,
    };
    let records = vec![
        prompt_record(),
        record(vec![kv("deep", nested_kvlist(9))]),
        record((0..11).map(|i| kv(&format!("k{i}"), s("v"))).collect()),
        record(vec![kv("long", s(&"x".repeat(65)))]),
        record(vec![kv("ok", nested_kvlist(8))]),
    ];
    let pb = request(records).encode_to_vec();
    let d = decode(OtlpSignal::Logs, Encoding::Protobuf, &pb, &limits).unwrap();
    assert_eq!(d.events.len(), 2);
    assert_eq!(d.rejected, 3);
    let msg = d.reject_message.expect("message");
    assert!(msg.contains("3 records rejected"), "{msg}");
    assert!(
        msg.contains("log record #1") && msg.contains("max_depth"),
        "{msg}"
    );
}

#[test]
fn hundred_thousand_attributes_are_rejected_not_fatal() {
    let attrs: Vec<KeyValue> = (0..100_000).map(|i| kv(&format!("k{i}"), s("v"))).collect();
    let pb = request(vec![record(attrs), prompt_record()]).encode_to_vec();
    let d = decode(
        OtlpSignal::Logs,
        Encoding::Protobuf,
        &pb,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(d.rejected, 1);
    assert_eq!(d.events.len(), 1);
    assert!(d.reject_message.unwrap().contains("max_attributes"));
}

#[test]
fn resource_over_limit_rejects_all_its_records() {
    let mut req = request(vec![prompt_record(), prompt_record()]);
    if let Some(r) = req.resource_logs[0].resource.as_mut() {
        r.attributes.push(kv("huge", s(&"y".repeat(100))));
    }
    let limits = Limits {
        max_string_len: 50,
        ..Limits::default()
    };
    let d = decode(
        OtlpSignal::Logs,
        Encoding::Protobuf,
        &req.encode_to_vec(),
        &limits,
    )
    .unwrap();
    assert_eq!((d.events.len(), d.rejected), (0, 2));
}

#[test]
fn kvlist_nested_1000_deep_fails_cleanly_in_both_encodings() {
    let pb = request(vec![record(vec![kv("deep", nested_kvlist(1000))])]).encode_to_vec();
    let err = decode(
        OtlpSignal::Logs,
        Encoding::Protobuf,
        &pb,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, DecodeError::Protobuf { .. }), "{err}");
    assert!(err.to_string().contains("recursion"), "{err}");

    let mut json = String::from(
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"deep","value":"#,
    );
    for _ in 0..1000 {
        json.push_str(r#"{"kvlistValue":{"values":[{"key":"k","value":"#);
    }
    json.push_str(r#"{"stringValue":"leaf"}"#);
    for _ in 0..1000 {
        json.push_str("}]}}");
    }
    json.push_str("}]}]}]}]}");
    let err = decode(
        OtlpSignal::Logs,
        Encoding::Json,
        json.as_bytes(),
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, DecodeError::Json { line: 1, .. }), "{err}");
    assert!(err.to_string().contains("recursion limit"), "{err}");
}

#[test]
fn moderately_deep_json_is_a_per_record_rejection() {
    // 20 levels fit serde_json's nesting limit but exceed max_depth 8.
    let mut v = String::from(r#"{"stringValue":"leaf"}"#);
    for _ in 0..20 {
        v = format!(r#"{{"kvlistValue":{{"values":[{{"key":"k","value":{v}}}]}}}}"#);
    }
    let json = format!(
        r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{{"attributes":[{{"key":"deep","value":{v}}}]}},{{"body":{{"stringValue":"fine"}}}}]}}]}}]}}"#
    );
    let limits = Limits {
        max_depth: 8,
        ..Limits::default()
    };
    let d = decode(OtlpSignal::Logs, Encoding::Json, json.as_bytes(), &limits).unwrap();
    assert_eq!((d.events.len(), d.rejected), (1, 1));
    assert_eq!(d.events[0].get_str("body"), Some("fine"));
}

#[test]
fn truncated_protobuf_names_the_byte() {
    let pb = request(vec![prompt_record()]).encode_to_vec();
    let cut = &pb[..pb.len() - 5];
    let err = decode(
        OtlpSignal::Logs,
        Encoding::Protobuf,
        cut,
        &Limits::default(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("at byte 0"), "{msg}");
    assert!(msg.contains(&format!("{} bytes", cut.len())), "{msg}");
}

#[test]
fn invalid_json_names_line_and_column() {
    let body = b"{\"resourceLogs\": [\n  {\"scopeLogs\": [}\n]}";
    let err = decode(OtlpSignal::Logs, Encoding::Json, body, &Limits::default()).unwrap_err();
    match &err {
        DecodeError::Json { line, column, .. } => assert_eq!((*line, *column), (2, 18), "{err}"),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("line 2 column 18"));
}

#[test]
fn bad_ids_and_numbers_in_json_are_errors_with_position() {
    let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"not-hex"}]}]}]}"#;
    let err = decode(OtlpSignal::Traces, Encoding::Json, body, &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("hex"), "{err}");
    let body = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]}"#;
    let err = decode(OtlpSignal::Logs, Encoding::Json, body, &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("soon"), "{err}");
}

#[test]
fn invalid_utf8_names_the_offset() {
    let body = b"{\"resourceLogs\":[{\"x\":\"\xff\"}]}";
    let err = decode(OtlpSignal::Logs, Encoding::Json, body, &Limits::default()).unwrap_err();
    assert!(matches!(err, DecodeError::Utf8 { offset: 23, .. }), "{err}");
    // protobuf strings must be UTF-8 too
    let mut rec = record(vec![]);
    rec.severity_text = "OK".into();
    let mut pb = request(vec![rec]).encode_to_vec();
    let pos = pb.windows(2).position(|w| w == b"OK").unwrap();
    pb[pos] = 0xff;
    let err = decode(
        OtlpSignal::Logs,
        Encoding::Protobuf,
        &pb,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("UTF-8"), "{err}");
}

#[test]
fn empty_bodies_are_empty_batches() {
    let d = decode(
        OtlpSignal::Metrics,
        Encoding::Protobuf,
        b"",
        &Limits::default(),
    )
    .unwrap();
    assert!(d.events.is_empty());
    let d = decode(
        OtlpSignal::Metrics,
        Encoding::Json,
        b"{}",
        &Limits::default(),
    )
    .unwrap();
    assert!(d.events.is_empty());
    // Codex's metrics carry `metadata: []`; unknown and null fields are fine
    let body = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","metadata":[],"sum":{"dataPoints":[{"asInt":3,"timeUnixNano":"1"}],"aggregationTemporality":1,"isMonotonic":true}}]}]}]}"#;
    let d = decode(
        OtlpSignal::Metrics,
        Encoding::Json,
        body,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(d.events[0].get("value"), Some(&Value::Int(3)));
    assert_eq!(d.events[0].get_str("temporality"), Some("delta"));
}
