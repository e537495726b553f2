//! Planted secrets and the check that none of them leaks: the privacy tests and the sink
//! tests use the same capture and the same needles.
//!
//! - [`planted`]: every built-in detector's first true-positive sample, with its secret.
//! - [`capture`]: a Codex-shaped OTLP logs export carrying them (plus [`AWS_KEY`] in a
//!   prompt and [`EMAIL`] as the user).
//! - [`needles`] / [`leaks`]: the byte strings that must appear nowhere, and the search.
//! - [`files_under`]: every file under a directory (for scanning outputs).

use std::fs;
use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use tripline_redact::{expand_sample, SecretScanner};

pub const EMAIL: &str = "planted.person@corp.example";
pub const AWS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const CONVERSATION: &str = "0199aaaa-bbbb-7ccc-8ddd-eeeeffff0001";

/// Every detector's first true-positive sample as `(detector id, text, secret part)`.
pub fn planted() -> Vec<(String, String, String)> {
    let scanner = SecretScanner::builtin();
    let mut out = Vec::new();
    for spec in scanner.specs() {
        let Some(sample) = spec.true_positives.first() else {
            continue;
        };
        let text = expand_sample(sample);
        let findings = scanner.scan(&text);
        let secret = findings
            .first()
            .map(|f| f.secret(&text).to_owned())
            .expect("a sample the scanner finds");
        out.push((spec.id.clone(), text, secret));
    }
    assert!(
        out.len() >= 40,
        "at least 40 detector types are planted, got {}",
        out.len()
    );
    out
}

fn s(key: &str, v: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
        ..Default::default()
    }
}

fn event(name: &str, ts: &str, extra: Vec<KeyValue>) -> LogRecord {
    let mut attributes = vec![
        s("event.name", name),
        s("event.timestamp", ts),
        s("conversation.id", CONVERSATION),
        s("user.email", EMAIL),
        s("originator", "codex_exec"),
    ];
    attributes.extend(extra);
    LogRecord {
        observed_time_unix_nano: 1_795_000_000_000_000_000,
        attributes,
        ..Default::default()
    }
}

/// A Codex-shaped logs export (protobuf): a session start, a prompt carrying the AWS key,
/// and one tool result per planted secret.
pub fn capture(secrets: &[(String, String, String)]) -> Vec<u8> {
    let mut records = vec![
        event(
            "codex.conversation_starts",
            "2026-11-20T10:00:00.000Z",
            vec![
                s("approval_policy", "never"),
                s("sandbox_policy", "read-only"),
            ],
        ),
        event(
            "codex.user_prompt",
            "2026-11-20T10:00:01.000Z",
            vec![
                s("prompt", &format!("deploy with {AWS_KEY} please")),
                s("prompt_length", "30"),
            ],
        ),
    ];
    for (i, (id, text, _)) in secrets.iter().enumerate() {
        records.push(event(
            "codex.tool_result",
            &format!("2026-11-20T10:00:{:02}.000Z", 2 + i % 50),
            vec![
                s("tool_name", "exec_command"),
                s("call_id", &format!("call_{id}")),
                s(
                    "arguments",
                    &format!("{{\"cmd\":\"cat secrets/{id}.txt\"}}"),
                ),
                s("output", &format!("contents of {id}:\n{text}\nend")),
                s("success", "true"),
                s("duration_ms", "12"),
            ],
        ));
    }
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![
                    s("service.name", "codex_exec"),
                    s("service.version", "0.169.0"),
                    s("host.name", "dev-laptop-7"),
                ],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

/// The byte strings that must not appear anywhere: each secret as written, JSON-escaped,
/// and each of its longer lines (a PEM body is stored line by line in escaped JSON).
pub fn needles(secrets: &[(String, String, String)]) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        ("aws_key".to_owned(), AWS_KEY.as_bytes().to_vec()),
        ("email".to_owned(), EMAIL.as_bytes().to_vec()),
    ];
    for (id, _, secret) in secrets {
        out.push((id.clone(), secret.as_bytes().to_vec()));
        let escaped = serde_json::to_string(secret).unwrap();
        out.push((
            format!("{id} (json)"),
            escaped.trim_matches('"').as_bytes().to_vec(),
        ));
        for line in secret.lines().filter(|l| l.trim().len() >= 16) {
            out.push((format!("{id} (line)"), line.trim().as_bytes().to_vec()));
        }
    }
    out
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Which needles occur in `haystack`.
pub fn leaks(haystack: &[u8], needles: &[(String, Vec<u8>)]) -> Vec<String> {
    needles
        .iter()
        .filter(|(_, n)| haystack.windows(n.len()).any(|w| w == n.as_slice()))
        .map(|(what, _)| what.clone())
        .collect()
}
