//! The `otlp` sink: re-exports records as OTLP/HTTP protobuf `ExportLogsServiceRequest`s
//! to `<endpoint>/v1/logs`. The JSON → LogRecord mapping: `docs/sinks/otlp.md`.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use serde::Deserialize;
use serde_json::Value as Json;

use crate::http_client::{self, HttpClient, TlsOptions};
use crate::sink::{
    parse_options, BuildContext, BuildError, Outcome, Record, RecordKind, SendError, Sink,
};

const KIND: &str = "otlp";
const LOGS_PATH: &str = "/v1/logs";
/// How deep nested JSON objects are flattened into dotted keys; deeper values become
/// key-value lists.
const MAX_FLATTEN_DEPTH: usize = 8;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// Collector base URL (`http://collector:4318`); `/v1/logs` is appended unless present.
    endpoint: String,
    #[serde(default = "default_service")]
    service_name: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    timeout: Option<String>,
    #[serde(default)]
    tls: TlsOptions,
}

fn default_service() -> String {
    "tripline".into()
}

struct Otlp {
    name: String,
    url: String,
    service_name: String,
    headers: Vec<(String, String)>,
    client: HttpClient,
}

/// Builds an OTLP/HTTP sink from its `[[sinks]]` options.
pub fn build(ctx: &BuildContext, options: &toml::Table) -> Result<Box<dyn Sink>, BuildError> {
    let o: Options = parse_options(ctx, KIND, options)?;
    let base = http_client::check_url(ctx, KIND, "endpoint", &o.endpoint)?;
    let url = if base.ends_with(LOGS_PATH) {
        base
    } else {
        format!("{base}{LOGS_PATH}")
    };
    let client = HttpClient::from_options(ctx, KIND, o.timeout.as_deref(), &o.tls)?;
    let mut headers = vec![(
        "Content-Type".to_owned(),
        "application/x-protobuf".to_owned(),
    )];
    for (k, v) in o.headers {
        let bad = ureq::http::HeaderName::from_bytes(k.as_bytes()).is_err()
            || ureq::http::HeaderValue::from_str(&v).is_err();
        if bad || k.eq_ignore_ascii_case("content-type") || k.eq_ignore_ascii_case("content-length")
        {
            return Err(BuildError {
                sink: ctx.name.clone(),
                kind: KIND,
                message: format!("headers.{k}: not a header tripline can send"),
            });
        }
        headers.push((k, v));
    }
    Ok(Box::new(Otlp {
        name: ctx.name.clone(),
        url,
        service_name: o.service_name,
        headers,
        client,
    }))
}

fn kv(key: impl Into<String>, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn string(s: &str) -> any_value::Value {
    any_value::Value::StringValue(s.to_owned())
}

/// A JSON value as an OTLP value (`None` for null). Objects become key-value lists.
fn any(v: &Json) -> Option<any_value::Value> {
    Some(match v {
        Json::Null => return None,
        Json::Bool(b) => any_value::Value::BoolValue(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => any_value::Value::IntValue(i),
            None => any_value::Value::DoubleValue(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => string(s),
        Json::Array(a) => any_value::Value::ArrayValue(ArrayValue {
            values: a.iter().map(|x| AnyValue { value: any(x) }).collect(),
        }),
        Json::Object(m) => any_value::Value::KvlistValue(KeyValueList {
            values: m
                .iter()
                .filter_map(|(k, x)| any(x).map(|v| kv(k.as_str(), v)))
                .collect(),
        }),
    })
}

/// Nested objects become dotted keys (`rule.title`); arrays and scalars are values.
fn flatten(prefix: &str, v: &Json, depth: usize, out: &mut Vec<KeyValue>) {
    match v {
        Json::Object(m) if depth < MAX_FLATTEN_DEPTH && !m.is_empty() => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, depth + 1, out);
            }
        }
        _ => {
            if let Some(value) = any(v) {
                let key = if prefix.is_empty() {
                    "body".to_owned()
                } else {
                    prefix.to_owned()
                };
                out.push(kv(key, value));
            }
        }
    }
}

/// OTLP severity for a Sigma level.
pub fn severity(level: &str) -> SeverityNumber {
    match level.to_ascii_lowercase().as_str() {
        "informational" => SeverityNumber::Info,
        "low" => SeverityNumber::Info4,
        "medium" => SeverityNumber::Warn,
        "high" => SeverityNumber::Error,
        "critical" => SeverityNumber::Fatal,
        _ => SeverityNumber::Unspecified,
    }
}

fn lookup<'a>(body: &'a Json, paths: &[&str]) -> Option<&'a str> {
    paths.iter().find_map(|p| {
        p.split('.')
            .try_fold(body, |v, k| v.get(k))?
            .as_str()
            .filter(|s| !s.is_empty())
    })
}

/// One record as a LogRecord (see `docs/sinks/otlp.md` for the mapping).
pub fn log_record(r: &Record, observed_unix_nano: u64) -> LogRecord {
    let b = &r.body;
    let mut attributes = Vec::new();
    flatten("", b, 0, &mut attributes);
    let event_name = match r.kind {
        RecordKind::Alert => "tripline.alert".to_owned(),
        RecordKind::Raw => "tripline.raw".to_owned(),
        RecordKind::Event => lookup(b, &["event_name", "event.name", "event.action"])
            .unwrap_or("tripline.event")
            .to_owned(),
    };
    let (severity_number, severity_text) = match r.kind {
        RecordKind::Alert => {
            let level = lookup(b, &["rule.level", "severity", "event.severity_name"]).unwrap_or("");
            (severity(level), level.to_owned())
        }
        _ => (SeverityNumber::Unspecified, String::new()),
    };
    // Set last so they win over same-named body keys for consumers that take the last.
    attributes.retain(|a| {
        !matches!(
            a.key.as_str(),
            "event.name" | "tripline.id" | "tripline.revision" | "tripline.kind"
        )
    });
    attributes.push(kv("event.name", string(&event_name)));
    attributes.push(kv("tripline.id", string(&r.id)));
    attributes.push(kv(
        "tripline.revision",
        any_value::Value::IntValue(r.revision as i64),
    ));
    attributes.push(kv("tripline.kind", string(r.kind.as_str())));
    LogRecord {
        time_unix_nano: (r.time_ms.max(0) as u64).saturating_mul(1_000_000),
        observed_time_unix_nano: observed_unix_nano,
        severity_number: severity_number as i32,
        severity_text,
        event_name,
        attributes,
        ..Default::default()
    }
}

/// The export request for a batch: one ResourceLogs per agent (in first-seen order) with
/// `service.name` and `tripline.agent`, one scope `tripline`.
pub fn export_request(
    batch: &[Record],
    service_name: &str,
    observed_unix_nano: u64,
) -> ExportLogsServiceRequest {
    let mut agents: Vec<(&str, Vec<LogRecord>)> = Vec::new();
    for r in batch {
        let rec = log_record(r, observed_unix_nano);
        match agents.iter_mut().find(|(a, _)| *a == r.agent) {
            Some((_, recs)) => recs.push(rec),
            None => agents.push((&r.agent, vec![rec])),
        }
    }
    ExportLogsServiceRequest {
        resource_logs: agents
            .into_iter()
            .map(|(agent, log_records)| ResourceLogs {
                resource: Some(Resource {
                    attributes: vec![
                        kv("service.name", string(service_name)),
                        kv("tripline.agent", string(agent)),
                    ],
                    ..Default::default()
                }),
                scope_logs: vec![ScopeLogs {
                    scope: Some(InstrumentationScope {
                        name: "tripline".into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        ..Default::default()
                    }),
                    log_records,
                    ..Default::default()
                }],
                ..Default::default()
            })
            .collect(),
    }
}

impl Sink for Otlp {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn send(&mut self, batch: &[Record]) -> Result<Outcome, SendError> {
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0).max(0) as u64;
        let body = export_request(batch, &self.service_name, now).encode_to_vec();
        let what = format!("POST {}", self.url);
        let answer = self.client.post(&self.url, &self.headers, &body)?;
        answer.check(&what)?;
        let Ok(resp) = ExportLogsServiceResponse::decode(answer.body.as_slice()) else {
            // A 2xx whose body is not the protobuf response (some proxies answer with an
            // empty or JSON body): the spec says 2xx is success.
            return Ok(Outcome::all_delivered());
        };
        match resp.partial_success {
            Some(p) if p.rejected_log_records > 0 => {
                let message = format!(
                    "{what}: the collector rejected {} of {} log records: {}",
                    p.rejected_log_records,
                    batch.len(),
                    p.error_message
                );
                if p.rejected_log_records as usize >= batch.len() {
                    // Rejected data must not be retried (OTLP spec): dead-letter the batch.
                    return Err(SendError::fatal(message));
                }
                // OTLP does not say which records were rejected; the rest are delivered.
                tracing::warn!(sink = %self.name, "{message}");
                Ok(Outcome::all_delivered())
            }
            _ => Ok(Outcome::all_delivered()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attr<'a>(rec: &'a LogRecord, key: &str) -> Option<&'a any_value::Value> {
        rec.attributes
            .iter()
            .find(|a| a.key == key)
            .and_then(|a| a.value.as_ref()?.value.as_ref())
    }

    #[test]
    fn alert_mapping() {
        let r = Record {
            kind: RecordKind::Alert,
            id: "al-1".into(),
            revision: 3,
            time_ms: 1_795_000_000_123,
            agent: "codex".into(),
            body: json!({"rule": {"title": "T", "level": "high"}, "count": 4, "score": 0.5,
                         "tags": ["a", "b"], "group": {}, "none": null, "event.name": "spoofed"}),
            fields: Default::default(),
        };
        let rec = log_record(&r, 7);
        assert_eq!(rec.time_unix_nano, 1_795_000_000_123_000_000);
        assert_eq!(rec.observed_time_unix_nano, 7);
        assert_eq!(rec.severity_number, SeverityNumber::Error as i32);
        assert_eq!(rec.severity_text, "high");
        assert_eq!(rec.event_name, "tripline.alert");
        assert_eq!(attr(&rec, "rule.title"), Some(&string("T")));
        assert_eq!(attr(&rec, "count"), Some(&any_value::Value::IntValue(4)));
        assert_eq!(
            attr(&rec, "score"),
            Some(&any_value::Value::DoubleValue(0.5))
        );
        assert!(
            matches!(attr(&rec, "tags"), Some(any_value::Value::ArrayValue(a)) if a.values.len() == 2)
        );
        assert!(
            matches!(attr(&rec, "group"), Some(any_value::Value::KvlistValue(l)) if l.values.is_empty())
        );
        assert_eq!(attr(&rec, "none"), None);
        assert_eq!(attr(&rec, "event.name"), Some(&string("tripline.alert")));
        assert_eq!(
            rec.attributes
                .iter()
                .filter(|a| a.key == "event.name")
                .count(),
            1
        );
        assert_eq!(
            attr(&rec, "tripline.revision"),
            Some(&any_value::Value::IntValue(3))
        );
    }

    #[test]
    fn one_resource_per_agent() {
        let rec = |agent: &str| Record {
            kind: RecordKind::Event,
            id: "e".into(),
            revision: 1,
            time_ms: 0,
            agent: agent.into(),
            body: json!({"event_name": "codex.tool_result"}),
            fields: Default::default(),
        };
        let req = export_request(&[rec("codex"), rec("claude_code"), rec("codex")], "svc", 0);
        assert_eq!(req.resource_logs.len(), 2);
        assert_eq!(req.resource_logs[0].scope_logs[0].log_records.len(), 2);
        assert_eq!(
            req.resource_logs[0].scope_logs[0].log_records[0].event_name,
            "codex.tool_result"
        );
        let res = req.resource_logs[1].resource.as_ref().unwrap();
        assert_eq!(
            res.attributes[1].value.as_ref().unwrap().value,
            Some(string("claude_code"))
        );
    }
}
