//! The HTTP sinks against a recording HTTP server: payloads match the documented formats
//! (`docs/sinks/*.md`), answers are classified (429/5xx → retry with the `Retry-After`
//! hint, 4xx → fatal, per-item bulk errors), and no planted secret leaves in any request
//! once records were redacted upstream.

#[path = "../../tripline/tests/support/planted.rs"]
// Shared test support: this test uses part of it.
#[allow(dead_code)]
mod planted;
#[path = "support/recorder.rs"]
// Shared test support: this test uses part of it.
#[allow(dead_code)]
mod recorder;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message;
use recorder::{Recorder, Reply, Request};
use serde_json::{json, Value as Json};
use sha2::Sha256;
use tripline_event::{Alert, Event, RuleRef};
use tripline_redact::{IdentifierAction, RedactionPolicy, Redactor, SecretScanner};
use tripline_sinks::record_fields::RecordFields;
use tripline_sinks::{registry, BuildContext, Outcome, Record, RecordKind, SendError, Sink};

fn sink(kind: &str, options: &str) -> Box<dyn Sink> {
    let ctx = BuildContext {
        name: format!("test-{kind}"),
        data_dir: std::env::temp_dir(),
    };
    let table: toml::Table = toml::from_str(options).expect("test options are TOML");
    registry::build(kind, &ctx, &table).unwrap_or_else(|e| panic!("build {kind}: {e}"))
}

fn build_error(kind: &str, options: &str) -> String {
    let ctx = BuildContext {
        name: "bad".into(),
        data_dir: std::env::temp_dir(),
    };
    let table: toml::Table = toml::from_str(options).unwrap();
    match registry::build(kind, &ctx, &table) {
        Ok(_) => panic!("{kind} accepted {options}"),
        Err(e) => e.to_string(),
    }
}

/// 2026-11-20T10:00:00.250Z
const T0: i64 = 1_795_168_800_250;

fn alert(id: &str, revision: u64, level: &str) -> Record {
    Record {
        kind: RecordKind::Alert,
        id: id.into(),
        revision,
        time_ms: T0,
        agent: "codex".into(),
        body: json!({
            "id": id, "revision": revision,
            "rule": {"id": "r1", "name": "secret_in_prompt", "title": "Secret pasted into a prompt", "level": level},
            "agent": "codex", "count": 2,
            "group": {"host_name": "dev-laptop-7", "user_email": "anon:5f3a9c", "conversation_id": "conv-1"},
            "events": [{"event_name": "codex.user_prompt", "prompt": "EVIDENCE-TEXT"}],
            "summary": "SUMMARY-SENTENCE",
        }),
        fields: Default::default(),
    }
}

fn event(id: &str) -> Record {
    Record {
        kind: RecordKind::Event,
        id: id.into(),
        revision: 1,
        time_ms: T0 + 1000,
        agent: "codex".into(),
        body: json!({"id": id, "event_name": "codex.tool_result", "tool_name": "exec_command", "duration_ms": 12}),
        fields: Default::default(),
    }
}

fn json_of(r: &Request) -> Json {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.text()))
}

fn retry_after(e: &SendError) -> Option<Duration> {
    match e {
        SendError::Retry { retry_after, .. } => *retry_after,
        SendError::Fatal { message } => panic!("expected Retry, got Fatal: {message}"),
    }
}

// ---------------------------------------------------------------- webhook

#[test]
fn webhook_batch_is_a_signed_json_array_of_envelopes() {
    let rec = Recorder::start();
    let mut s = sink(
        "webhook",
        &format!(
            "url = \"{}/hook\"\nsecret = \"s3cret\"\nheaders = {{ X-Team = \"secops\" }}",
            rec.url()
        ),
    );
    let batch = [alert("a1", 1, "high"), alert("a1", 2, "high"), event("e1")];
    assert_eq!(s.send(&batch).unwrap(), Outcome::all_delivered());
    let reqs = rec.requests();
    assert_eq!(reqs.len(), 1, "one request per batch");
    let r = &reqs[0];
    assert_eq!((r.method.as_str(), r.target.as_str()), ("POST", "/hook"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-team"), Some("secops"));

    // A receiver's verification, written from the docs: HMAC-SHA256(secret, ts + "." + body).
    let ts = r.header("x-tripline-timestamp").expect("timestamp header");
    let sig = r.header("x-tripline-signature").expect("signature header");
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(&r.body);
    let want = hex::decode(sig.strip_prefix("sha256=").expect("sha256= prefix")).unwrap();
    mac.verify_slice(&want)
        .expect("the signature verifies with the shared secret");
    let age = chrono::Utc::now().timestamp() - ts.parse::<i64>().unwrap();
    assert!((0..300).contains(&age), "timestamp is current: {ts}");
    // A tampered body does not verify.
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(&r.body[1..]);
    assert!(mac.verify_slice(&want).is_err());

    let body = json_of(r);
    let items = body.as_array().expect("a JSON array");
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["id"], "a1");
    assert_eq!(items[1]["revision"], 2);
    assert_eq!(items[1]["kind"], "alert");
    assert_eq!(items[1]["agent"], "codex");
    assert_eq!(items[1]["time"], "2026-11-20T10:00:00.250Z");
    assert_eq!(items[1]["record"], batch[1].body);
    assert_eq!(items[2]["kind"], "event");
}

#[test]
fn webhook_one_request_per_record_and_failure_classes() {
    let rec = Recorder::start();
    let mut s = sink(
        "webhook",
        &format!("url = \"{}\"\nbatch = false\nenvelope = false", rec.url()),
    );
    let batch = [
        alert("a1", 1, "low"),
        alert("a2", 1, "low"),
        alert("a3", 1, "low"),
        alert("a4", 1, "low"),
    ];

    // 200, 400 (that record is refused), 200, then 429 + Retry-After: 7 (it and the rest retry).
    rec.push(Reply::ok());
    rec.push(Reply::status(400, "{\"error\":\"bad\"}"));
    rec.push(Reply::ok());
    rec.push(Reply::retry_after(429, 7));
    let out = s.send(&batch).unwrap();
    assert_eq!(out.failed.len(), 2, "{out:?}");
    assert_eq!(out.failed[0].0, 1);
    assert!(
        !out.failed[0].1.is_retryable(),
        "400 is fatal: {:?}",
        out.failed[0].1
    );
    assert_eq!(out.failed[1].0, 3);
    assert_eq!(retry_after(&out.failed[1].1), Some(Duration::from_secs(7)));
    let reqs = rec.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(
        json_of(&reqs[2]),
        batch[2].body,
        "envelope = false sends the record as it is"
    );
    assert!(
        reqs[0].header("x-tripline-signature").is_none(),
        "no secret, no signature"
    );

    // The first record answered 500: nothing delivered, the batch retries.
    rec.push(Reply::status(500, "oops"));
    let e = s.send(&batch[..2]).unwrap_err();
    assert_eq!(retry_after(&e), None);
    assert!(e.to_string().contains("HTTP 500"), "{e}");
    assert_eq!(
        rec.requests().len(),
        5,
        "stops at the first retryable failure"
    );
}

#[test]
fn webhook_slack_payload_summarizes_alerts_without_evidence() {
    let rec = Recorder::start();
    let mut s = sink(
        "webhook",
        &format!(
            "url = \"{}/services/T/B/X\"\npayload = \"slack\"\nslack_blocks = true",
            rec.url()
        ),
    );
    let batch = [alert("a1", 3, "high"), alert("a2", 1, "medium")];
    assert_eq!(s.send(&batch).unwrap(), Outcome::all_delivered());
    let reqs = rec.requests();
    assert_eq!(reqs.len(), 2, "one Slack message per alert");
    let m = json_of(&reqs[0]);
    let text = m["text"].as_str().expect("a text field");
    for want in [
        "[HIGH] Secret pasted into a prompt",
        "agent: codex",
        "host: dev-laptop-7",
        "user: anon:5f3a9c",
        "conversation: conv-1",
        "count: 2",
        "rev 3",
    ] {
        assert!(text.contains(want), "{want:?} missing from {text}");
    }
    assert!(m["blocks"].is_array());
    for r in &reqs {
        assert!(
            !r.text().contains("EVIDENCE-TEXT") && !r.text().contains("SUMMARY-SENTENCE"),
            "{}",
            r.text()
        );
    }
}

#[test]
fn webhook_config_errors_name_the_field() {
    let e = build_error("webhook", "url = \"http://x\"\nbogus = 1");
    assert!(e.contains("bogus"), "{e}");
    let e = build_error("webhook", "url = \"x.example/hook\"");
    assert!(e.contains("url") && e.contains("http://"), "{e}");
    let e = build_error(
        "webhook",
        "url = \"http://x\"\nsecret_env = \"TRIPLINE_TEST_UNSET_VAR_4242\"",
    );
    assert!(
        e.contains("secret_env") && e.contains("TRIPLINE_TEST_UNSET_VAR_4242"),
        "{e}"
    );
    let e = build_error("webhook", "url = \"http://x\"\ntimeout = \"soon\"");
    assert!(e.contains("timeout"), "{e}");
    let e = build_error(
        "webhook",
        "url = \"http://x\"\ntls = { ca_file = \"/nonexistent/ca.pem\" }",
    );
    assert!(
        e.contains("tls.ca_file") && e.contains("/nonexistent/ca.pem"),
        "{e}"
    );
    let not_pem =
        std::env::temp_dir().join(format!("tripline-not-a-ca-{}.pem", std::process::id()));
    std::fs::write(&not_pem, "hello").unwrap();
    let e = build_error(
        "webhook",
        &format!(
            "url = \"http://x\"\ntls = {{ ca_file = \"{}\" }}",
            not_pem.display()
        ),
    );
    let _ = std::fs::remove_file(&not_pem);
    assert!(
        e.contains("tls.ca_file") && e.contains("no CERTIFICATE"),
        "{e}"
    );
}

#[test]
fn unreachable_destination_is_retryable() {
    // Bind and drop: nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    for (kind, opts) in [
        ("webhook", format!("url = \"{url}\"")),
        ("splunk_hec", format!("url = \"{url}\"\ntoken = \"t\"")),
        ("elasticsearch", format!("url = \"{url}\"")),
        ("otlp", format!("endpoint = \"{url}\"")),
    ] {
        let e = sink(kind, &opts)
            .send(&[alert("a1", 1, "low")])
            .unwrap_err();
        assert!(e.is_retryable(), "{kind}: {e}");
    }
    // A connection closed without an answer is retryable too.
    let rec = Recorder::start();
    rec.push(Reply::Drop);
    let e = sink("webhook", &format!("url = \"{}\"", rec.url()))
        .send(&[alert("a1", 1, "low")])
        .unwrap_err();
    assert!(e.is_retryable(), "{e}");
}

// ---------------------------------------------------------------- splunk_hec

#[test]
fn splunk_hec_envelopes_and_error_codes() {
    let rec = Recorder::with_fallback(|_| Reply::status(200, r#"{"text":"Success","code":0}"#));
    let mut s = sink(
        "splunk_hec",
        &format!(
            "url = \"{}\"\ntoken = \"hec-token-1\"\nindex = \"agents\"\nhost = \"tripline-1\"",
            rec.url()
        ),
    );
    let batch = [alert("a1", 2, "high"), event("e1")];
    assert_eq!(s.send(&batch).unwrap(), Outcome::all_delivered());
    let reqs = rec.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path(), "/services/collector/event");
    assert_eq!(r.header("authorization"), Some("Splunk hec-token-1"));
    assert!(
        r.header("x-splunk-request-channel").is_none(),
        "no channel without ack"
    );
    let events: Vec<Json> = serde_json::Deserializer::from_slice(&r.body)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(events.len(), 2, "concatenated event objects");
    let e = &events[0];
    assert_eq!(e["time"].as_f64(), Some(1_795_168_800.25));
    assert_eq!(e["host"], "tripline-1");
    assert_eq!(e["source"], "tripline");
    assert_eq!(e["sourcetype"], "tripline:alert");
    assert_eq!(e["index"], "agents");
    assert_eq!(e["event"], batch[0].body);
    assert_eq!(e["fields"]["tripline_id"], "a1");
    assert_eq!(e["fields"]["tripline_revision"], "2");
    assert_eq!(events[1]["sourcetype"], "tripline:event");

    // 503 "Server is busy" (code 9) with Retry-After → Retry with the hint.
    rec.push(Reply::Answer(
        503,
        vec![("Retry-After".into(), "12".into())],
        br#"{"text":"Server is busy","code":9}"#.to_vec(),
    ));
    let e = s.send(&batch).unwrap_err();
    assert_eq!(retry_after(&e), Some(Duration::from_secs(12)));
    assert!(e.to_string().contains("HEC code 9"), "{e}");
    // 400 "Incorrect index" (code 7) → Fatal.
    rec.push(Reply::status(400, r#"{"text":"Incorrect index","code":7}"#));
    assert!(!s.send(&batch).unwrap_err().is_retryable());
    // 403 "Invalid token" (code 4) → Fatal.
    rec.push(Reply::status(403, r#"{"text":"Invalid token","code":4}"#));
    assert!(!s.send(&batch).unwrap_err().is_retryable());
    // 400 "Invalid data format" at event 1 of 3: event 0 was indexed, 1 is refused, 2 retries.
    rec.push(Reply::status(
        400,
        r#"{"text":"Invalid data format","code":6,"invalid-event-number":1}"#,
    ));
    let out = s
        .send(&[
            alert("a1", 1, "low"),
            alert("a2", 1, "low"),
            alert("a3", 1, "low"),
        ])
        .unwrap();
    assert_eq!(
        out.failed
            .iter()
            .map(|(i, e)| (*i, e.is_retryable()))
            .collect::<Vec<_>>(),
        vec![(1, false), (2, true)]
    );
    // ... at event 0: only that one is refused, the other is retried.
    rec.push(Reply::status(
        400,
        r#"{"text":"Invalid data format","code":6,"invalid-event-number":0}"#,
    ));
    let out = s
        .send(&[alert("a1", 1, "low"), alert("a2", 1, "low")])
        .unwrap();
    assert_eq!(
        out.failed
            .iter()
            .map(|(i, e)| (*i, e.is_retryable()))
            .collect::<Vec<_>>(),
        vec![(0, false), (1, true)]
    );

    let e = build_error("splunk_hec", &format!("url = \"{}\"", rec.url()));
    assert!(e.contains("token"), "{e}");
}

#[test]
fn splunk_hec_waits_for_indexer_acknowledgement() {
    // The event endpoint returns ackId 41; the ack endpoint says false twice, then true.
    let ack_polls = Arc::new(AtomicUsize::new(0));
    let polls = ack_polls.clone();
    let rec = Recorder::with_fallback(move |r| {
        if r.path() == "/services/collector/ack" {
            let n = polls.fetch_add(1, Ordering::SeqCst);
            let done = n >= 2;
            Reply::status(200, &format!(r#"{{"acks":{{"41":{done}}}}}"#))
        } else {
            Reply::status(200, r#"{"text":"Success","code":0,"ackId":41}"#)
        }
    });
    // token_env names a variable that is always set (setting one here would race with
    // other test threads reading the environment).
    let from_env = std::env::var("PATH").expect("PATH is set");
    let mut s = sink(
        "splunk_hec",
        &format!(
            "url = \"{}\"\ntoken_env = \"PATH\"\nack = true\nack_poll_interval = \"20ms\"",
            rec.url()
        ),
    );
    assert_eq!(
        s.send(&[alert("a1", 1, "high")]).unwrap(),
        Outcome::all_delivered()
    );
    let reqs = rec.requests();
    assert_eq!(reqs.len(), 4, "one event post, three ack polls");
    let channel = reqs[0]
        .header("x-splunk-request-channel")
        .expect("a channel with ack")
        .to_owned();
    assert_eq!(channel.len(), 36);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Splunk {from_env}").as_str())
    );
    for poll in &reqs[1..] {
        assert_eq!(poll.path(), "/services/collector/ack");
        assert_eq!(
            poll.header("x-splunk-request-channel"),
            Some(channel.as_str())
        );
        assert_eq!(json_of(poll), json!({"acks": [41]}));
    }

    // Never acknowledged within ack_timeout → Retry.
    let rec = Recorder::with_fallback(|r| {
        if r.path() == "/services/collector/ack" {
            Reply::status(200, r#"{"acks":{"7":false}}"#)
        } else {
            Reply::status(200, r#"{"text":"Success","code":0,"ackId":7}"#)
        }
    });
    let mut s = sink(
        "splunk_hec",
        &format!("url = \"{}\"\ntoken = \"t\"\nack = true\nack_timeout = \"300ms\"\nack_poll_interval = \"50ms\"", rec.url()),
    );
    let e = s.send(&[alert("a1", 1, "high")]).unwrap_err();
    assert!(
        e.is_retryable() && e.to_string().contains("not acknowledged"),
        "{e}"
    );
}

// ---------------------------------------------------------------- elasticsearch

fn bulk_answer(statuses: &[(u16, &str)]) -> String {
    let items: Vec<Json> = statuses
        .iter()
        .map(|(status, t)| {
            let mut item = json!({"_index": "i", "_id": "x", "status": status});
            if !t.is_empty() {
                item["error"] = json!({"type": t, "reason": format!("reason for {t}")});
            }
            json!({ "create": item })
        })
        .collect();
    json!({"took": 3, "errors": statuses.iter().any(|(s, _)| *s >= 300), "items": items})
        .to_string()
}

#[test]
fn elasticsearch_bulk_ndjson_and_per_item_errors() {
    let rec = Recorder::start();
    let mut s = sink(
        "elasticsearch",
        &format!(
            "url = \"{}\"\nusername = \"elastic\"\npassword = \"changeme\"",
            rec.url()
        ),
    );
    let batch = [
        alert("a1", 1, "high"),
        alert("a1", 2, "high"),
        event("e1"),
        event("e2"),
    ];
    rec.push(Reply::status(
        200,
        &bulk_answer(&[(201, ""), (201, ""), (201, ""), (201, "")]),
    ));
    assert_eq!(s.send(&batch).unwrap(), Outcome::all_delivered());
    let r = &rec.requests()[0];
    assert_eq!(r.path(), "/_bulk");
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(
        r.header("authorization"),
        Some("Basic ZWxhc3RpYzpjaGFuZ2VtZQ==")
    );
    let text = r.text();
    assert!(text.ends_with('\n'), "bulk bodies end with a newline");
    let lines: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8, "action/source pairs");
    assert_eq!(
        lines[0],
        json!({"create": {"_index": "tripline-alerts-2026.11.20", "_id": "a1.1"}})
    );
    assert_eq!(lines[1], batch[0].body);
    assert_eq!(lines[2]["create"]["_id"], "a1.2");
    assert_eq!(
        lines[4],
        json!({"create": {"_index": "tripline-events-2026.11.20", "_id": "e1.1"}})
    );

    // Item results: created, 409 (already there: delivered), 429 → retry, 400 mapping → fatal.
    rec.push(Reply::status(
        200,
        &bulk_answer(&[
            (201, ""),
            (409, "version_conflict_engine_exception"),
            (429, "es_rejected_execution_exception"),
            (400, "mapper_parsing_exception"),
        ]),
    ));
    let out = s.send(&batch).unwrap();
    let got: Vec<(usize, bool)> = out
        .failed
        .iter()
        .map(|(i, e)| (*i, e.is_retryable()))
        .collect();
    assert_eq!(got, vec![(2, true), (3, false)], "{out:?}");
    assert!(out.failed[1]
        .1
        .to_string()
        .contains("mapper_parsing_exception"));

    // The whole request refused: 429 + Retry-After → Retry; 401 → Fatal.
    rec.push(Reply::retry_after(429, 3));
    assert_eq!(
        retry_after(&s.send(&batch).unwrap_err()),
        Some(Duration::from_secs(3))
    );
    rec.push(Reply::status(401, "{}"));
    assert!(!s.send(&batch).unwrap_err().is_retryable());

    // Data stream with an API key: one index name, @timestamp added.
    let mut s = sink(
        "elasticsearch",
        &format!("url = \"{}\"\nindex = \"logs-tripline-default\"\ndata_stream = true\napi_key = \"a2V5\"\npipeline = \"p1\"", rec.url()),
    );
    rec.clear();
    rec.push(Reply::status(200, &bulk_answer(&[(201, "")])));
    s.send(&batch[..1]).unwrap();
    let r = &rec.requests()[0];
    assert_eq!(r.target, "/_bulk?pipeline=p1");
    assert_eq!(r.header("authorization"), Some("ApiKey a2V5"));
    let lines: Vec<Json> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["create"]["_index"], "logs-tripline-default");
    assert_eq!(lines[1]["@timestamp"], "2026-11-20T10:00:00.250Z");

    let e = build_error(
        "elasticsearch",
        "url = \"http://x\"\nindex = \"Tripline-%Y\"",
    );
    assert!(e.contains("index"), "{e}");
}

// ---------------------------------------------------------------- otlp

fn attr<'a>(
    rec: &'a opentelemetry_proto::tonic::logs::v1::LogRecord,
    key: &str,
) -> Option<&'a any_value::Value> {
    rec.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref()?.value.as_ref())
}

#[test]
fn otlp_export_request_and_answers() {
    let rec = Recorder::with_fallback(|_| {
        Reply::bytes(
            200,
            "application/x-protobuf",
            ExportLogsServiceResponse::default().encode_to_vec(),
        )
    });
    let mut s = sink(
        "otlp",
        &format!(
            "endpoint = \"{}\"\nheaders = {{ authorization = \"Bearer x\" }}",
            rec.url()
        ),
    );
    let batch = [alert("a1", 2, "critical"), event("e1")];
    assert_eq!(s.send(&batch).unwrap(), Outcome::all_delivered());
    let r = &rec.requests()[0];
    assert_eq!(r.path(), "/v1/logs");
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(r.header("authorization"), Some("Bearer x"));
    let req = ExportLogsServiceRequest::decode(r.body.as_slice())
        .expect("a protobuf ExportLogsServiceRequest");
    assert_eq!(req.resource_logs.len(), 1);
    let res: BTreeMap<_, _> = req.resource_logs[0]
        .resource
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|a| (a.key.clone(), a.value.clone().unwrap().value.unwrap()))
        .collect();
    assert_eq!(
        res["service.name"],
        any_value::Value::StringValue("tripline".into())
    );
    assert_eq!(
        res["tripline.agent"],
        any_value::Value::StringValue("codex".into())
    );
    let recs = &req.resource_logs[0].scope_logs[0].log_records;
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].time_unix_nano, T0 as u64 * 1_000_000);
    assert_eq!(recs[0].severity_number, 21, "critical → FATAL");
    assert_eq!(
        attr(&recs[0], "event.name"),
        Some(&any_value::Value::StringValue("tripline.alert".into()))
    );
    assert_eq!(
        attr(&recs[0], "rule.title"),
        Some(&any_value::Value::StringValue(
            "Secret pasted into a prompt".into()
        ))
    );
    assert_eq!(
        attr(&recs[0], "group.host_name"),
        Some(&any_value::Value::StringValue("dev-laptop-7".into()))
    );
    assert_eq!(
        attr(&recs[0], "tripline.revision"),
        Some(&any_value::Value::IntValue(2))
    );
    assert_eq!(
        attr(&recs[1], "event.name"),
        Some(&any_value::Value::StringValue("codex.tool_result".into()))
    );
    assert_eq!(
        attr(&recs[1], "duration_ms"),
        Some(&any_value::Value::IntValue(12))
    );

    // 503 + Retry-After → Retry with the hint; 400 → Fatal.
    rec.push(Reply::retry_after(503, 5));
    assert_eq!(
        retry_after(&s.send(&batch).unwrap_err()),
        Some(Duration::from_secs(5))
    );
    rec.push(Reply::status(400, "bad"));
    assert!(!s.send(&batch).unwrap_err().is_retryable());
    // partial_success rejecting everything → Fatal (OTLP: rejected data is not retried);
    // rejecting some → the batch counts as delivered.
    let partial = |n| ExportLogsServiceResponse {
        partial_success: Some(ExportLogsPartialSuccess {
            rejected_log_records: n,
            error_message: "too old".into(),
        }),
    };
    rec.push(Reply::bytes(
        200,
        "application/x-protobuf",
        partial(2).encode_to_vec(),
    ));
    let e = s.send(&batch).unwrap_err();
    assert!(
        !e.is_retryable() && e.to_string().contains("too old"),
        "{e}"
    );
    rec.push(Reply::bytes(
        200,
        "application/x-protobuf",
        partial(1).encode_to_vec(),
    ));
    assert_eq!(s.send(&batch).unwrap(), Outcome::all_delivered());
}

// ---------------------------------------------------------------- privacy

/// Records redacted the way the pipeline redacts them (identifier pseudonymization on), one
/// event per planted secret plus an alert carrying them as evidence.
/// Named byte strings that must not appear in any request.
type Needles = Vec<(String, Vec<u8>)>;

fn redacted_records() -> (Vec<Record>, Needles, Vec<u8>) {
    let secrets = planted::planted();
    let needles = planted::needles(&secrets);
    let policy = RedactionPolicy {
        identifier: IdentifierAction::Pseudonymize,
        ..RedactionPolicy::default()
    };
    let redactor = Redactor::new(
        policy,
        SecretScanner::shared_builtin(),
        b"test key, not a secret",
    );
    let mut raw = Vec::new();
    let mut records = Vec::new();
    let mut evidence = Vec::new();
    for (i, (id, text, _)) in secrets.iter().enumerate() {
        let mut ev = Event::from_json_object(
            json!({
                "id": format!("ev-{i}"), "event_name": "codex.tool_result", "agent": "codex",
                "user_email": planted::EMAIL, "conversation_id": planted::CONVERSATION,
                "prompt": format!("deploy with {} please", planted::AWS_KEY),
                "output": format!("contents of {id}:\n{text}\nend"),
                "arguments": format!("{{\"cmd\":\"echo {text}\"}}"),
            })
            .as_object()
            .unwrap()
            .clone(),
        );
        raw.extend(serde_json::to_vec(&ev).unwrap());
        redactor.redact_event(&mut ev);
        if evidence.len() < Alert::MAX_EVIDENCE {
            evidence.push(ev.clone());
        }
        records.push(Record {
            kind: RecordKind::Event,
            id: format!("ev-{i}"),
            revision: 1,
            time_ms: T0,
            agent: "codex".into(),
            body: serde_json::to_value(&ev).unwrap(),
            fields: RecordFields::of_event(&ev),
        });
    }
    let mut group = BTreeMap::new();
    group.insert("user_email".to_owned(), planted::EMAIL.into());
    group.insert("conversation_id".to_owned(), planted::CONVERSATION.into());
    let mut a = Alert {
        id: "al-1".into(),
        revision: 1,
        time: "2026-11-20T10:00:00Z".into(),
        rule: RuleRef {
            id: "r".into(),
            name: "n".into(),
            title: "Secret exported".into(),
            level: "high".into(),
            tags: vec![],
        },
        agent: "codex".into(),
        group,
        count: 1,
        first_time: "2026-11-20T10:00:00Z".into(),
        last_time: "2026-11-20T10:00:00Z".into(),
        events: evidence,
        event_ids: vec![],
        summary: format!("{} pasted {}", planted::EMAIL, planted::AWS_KEY),
        triage: None,
    };
    redactor.redact_alert(&mut a);
    records.push(Record {
        kind: RecordKind::Alert,
        id: "al-1".into(),
        revision: 1,
        time_ms: T0,
        agent: "codex".into(),
        body: serde_json::to_value(&a).unwrap(),
        fields: RecordFields::of_alert(&a),
    });
    (records, needles, raw)
}

#[test]
fn no_planted_secret_in_any_request() {
    let (records, needles, raw) = redacted_records();
    // The check can fail: the unredacted events hold every planted secret (in some form:
    // JSON escapes a PEM's newlines, so that one shows as its escaped form or its lines).
    let base = |what: &String| what.split(" (").next().unwrap().to_owned();
    let all: std::collections::BTreeSet<String> = needles.iter().map(|(w, _)| base(w)).collect();
    let in_raw: std::collections::BTreeSet<String> =
        planted::leaks(&raw, &needles).iter().map(base).collect();
    assert_eq!(in_raw, all, "every planted secret is in the raw events");

    let rec = Recorder::with_fallback(|r| match r.path() {
        "/_bulk" => Reply::status(200, r#"{"errors":false,"items":[]}"#),
        "/services/collector/event" => Reply::status(200, r#"{"text":"Success","code":0}"#),
        _ => Reply::ok(),
    });
    let url = rec.url();
    for (kind, opts) in [
        ("webhook", format!("url = \"{url}/hook\"\nsecret = \"k\"")),
        (
            "webhook",
            format!("url = \"{url}/slack\"\npayload = \"slack\"\nslack_blocks = true"),
        ),
        ("splunk_hec", format!("url = \"{url}\"\ntoken = \"t\"")),
        ("elasticsearch", format!("url = \"{url}\"")),
        ("otlp", format!("endpoint = \"{url}\"")),
    ] {
        let out = sink(kind, &opts)
            .send(&records)
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(out.failed.is_empty(), "{kind}: {out:?}");
    }
    let reqs = rec.requests();
    assert!(reqs.len() > 5, "every sink sent something");
    for r in &reqs {
        let mut bytes = r.target.as_bytes().to_vec();
        for (k, v) in &r.headers {
            bytes.extend_from_slice(format!("{k}: {v}\n").as_bytes());
        }
        bytes.extend_from_slice(&r.body);
        let found = planted::leaks(&bytes, &needles);
        assert!(
            found.is_empty(),
            "{} {} leaks {found:?}",
            r.method,
            r.target
        );
    }
}
