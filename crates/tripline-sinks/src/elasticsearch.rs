//! The `elasticsearch` sink (Elasticsearch and OpenSearch): `POST <url>/_bulk` with NDJSON
//! `create` actions, ids derived from (`id`, `revision`) so redelivery is idempotent, and
//! per-item results. Format and error mapping: `docs/sinks/elasticsearch.md`.

use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::format::{Item, StrftimeItems};
use serde::Deserialize;
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use crate::http_client::{self, HttpClient, TlsOptions};
use crate::sink::{
    parse_options, BuildContext, BuildError, Outcome, Record, RecordKind, SendError, Sink,
};

const KIND: &str = "elasticsearch";
const DEFAULT_INDEX: &str = "tripline-{kind}s-%Y.%m.%d";
/// Elasticsearch refuses `_id`s longer than this many bytes.
const MAX_ID_BYTES: usize = 512;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// Base URL, e.g. `https://es.example:9200`.
    url: String,
    /// Index name; `{kind}` becomes `alert`, `event` or `raw`, and strftime fields (`%Y`,
    /// `%m`, `%d`, ...) come from the record's time in UTC.
    #[serde(default = "default_index")]
    index: String,
    /// Write to a data stream named `index` (adds `@timestamp` when the record lacks it).
    #[serde(default)]
    data_stream: bool,
    /// Ingest pipeline to run on every document.
    pipeline: Option<String>,
    username: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    api_key: Option<String>,
    api_key_env: Option<String>,
    timeout: Option<String>,
    #[serde(default)]
    tls: TlsOptions,
}

fn default_index() -> String {
    DEFAULT_INDEX.into()
}

struct Elasticsearch {
    bulk_url: String,
    index: String,
    data_stream: bool,
    headers: Vec<(String, String)>,
    client: HttpClient,
}

/// Builds an Elasticsearch bulk sink from its `[[sinks]]` options.
pub fn build(ctx: &BuildContext, options: &toml::Table) -> Result<Box<dyn Sink>, BuildError> {
    let o: Options = parse_options(ctx, KIND, options)?;
    let err = |message: String| BuildError {
        sink: ctx.name.clone(),
        kind: KIND,
        message,
    };
    let base = http_client::check_url(ctx, KIND, "url", &o.url)?;
    let base = base.strip_suffix("/_bulk").unwrap_or(&base).to_owned();
    check_index(&o.index).map_err(|why| err(format!("index = {:?}: {why}", o.index)))?;
    let mut bulk_url = format!("{base}/_bulk");
    if let Some(p) = &o.pipeline {
        if p.is_empty()
            || !p
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(err(format!(
                "pipeline = {p:?}: expected letters, digits, '-', '_' or '.'"
            )));
        }
        bulk_url.push_str(&format!("?pipeline={p}"));
    }
    let password = http_client::secret(ctx, KIND, "password", o.password, o.password_env)?;
    let api_key = http_client::secret(ctx, KIND, "api_key", o.api_key, o.api_key_env)?;
    let mut headers = vec![("Content-Type".to_owned(), "application/x-ndjson".to_owned())];
    match (o.username, password, api_key) {
        (Some(_), _, Some(_)) => {
            return Err(err("set username/password or api_key, not both".into()))
        }
        (Some(u), Some(p), None) => {
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            headers.push(("Authorization".into(), format!("Basic {basic}")));
        }
        (Some(_), None, None) => {
            return Err(err(
                "username is set but password (or password_env) is not".into()
            ))
        }
        (None, Some(_), _) => return Err(err("password is set but username is not".into())),
        (None, None, Some(k)) => headers.push(("Authorization".into(), format!("ApiKey {k}"))),
        (None, None, None) => {}
    }
    let client = HttpClient::from_options(ctx, KIND, o.timeout.as_deref(), &o.tls)?;
    Ok(Box::new(Elasticsearch {
        bulk_url,
        index: o.index,
        data_stream: o.data_stream,
        headers,
        client,
    }))
}

/// An index pattern must format (valid strftime) into a valid index name.
fn check_index(pattern: &str) -> Result<(), String> {
    if StrftimeItems::new(pattern).any(|i| matches!(i, Item::Error)) {
        return Err("not a valid strftime pattern".into());
    }
    for kind in [RecordKind::Alert, RecordKind::Event, RecordKind::Raw] {
        let name = index_name(pattern, kind, 0);
        if name.is_empty()
            || name.len() > 255
            || name.starts_with(['-', '_', '+'])
            || name == "."
            || name == ".."
            || name
                .chars()
                .any(|c| c.is_ascii_uppercase() || "\\/*?\"<>| ,#:".contains(c))
        {
            return Err(format!(
                "gives {name:?}, not a valid index name (lowercase; none of \\/*?\"<>| ,#:)"
            ));
        }
    }
    Ok(())
}

/// The index a record goes to (the pattern is checked at build time).
fn index_name(pattern: &str, kind: RecordKind, time_ms: i64) -> String {
    let with_kind = pattern.replace("{kind}", kind.as_str());
    let t = chrono::DateTime::from_timestamp_millis(time_ms).unwrap_or_default();
    t.format(&with_kind).to_string()
}

/// The document `_id`: `<id>.<revision>`, or its SHA-256 when that is too long.
pub fn document_id(id: &str, revision: u64) -> String {
    let plain = format!("{id}.{revision}");
    if plain.len() <= MAX_ID_BYTES {
        plain
    } else {
        hex::encode(Sha256::digest(plain.as_bytes()))
    }
}

#[derive(Debug, Deserialize)]
struct BulkAnswer {
    #[serde(default)]
    errors: bool,
    #[serde(default)]
    items: Vec<BTreeMap<String, BulkItem>>,
}

#[derive(Debug, Deserialize)]
struct BulkItem {
    status: u16,
    error: Option<Json>,
}

/// What one bulk item's status means: delivered (2xx, and 409 — the same document is
/// already there), `Retry` (429, 5xx) or `Fatal` (other 4xx: mapping and parse errors).
fn item_result(item: &BulkItem) -> Result<(), SendError> {
    if (200..300).contains(&item.status) || item.status == 409 {
        return Ok(());
    }
    let error = item.error.as_ref();
    let kind = error.and_then(|e| e["type"].as_str()).unwrap_or("error");
    let reason = error.and_then(|e| e["reason"].as_str()).unwrap_or("");
    let message = format!("bulk item: HTTP {}: {kind}: {reason}", item.status);
    if http_client::status_is_retryable(item.status) {
        Err(SendError::retry(message))
    } else {
        Err(SendError::fatal(message))
    }
}

impl Elasticsearch {
    fn ndjson(&self, batch: &[Record]) -> Vec<u8> {
        let mut out = Vec::new();
        for r in batch {
            let action = json!({ "create": {
                "_index": index_name(&self.index, r.kind, r.time_ms),
                "_id": document_id(&r.id, r.revision),
            }});
            serde_json::to_writer(&mut out, &action).expect("JSON values serialize");
            out.push(b'\n');
            let mut doc = r.body.clone();
            if self.data_stream {
                if let Json::Object(m) = &mut doc {
                    if !m.contains_key("@timestamp") {
                        m.insert(
                            "@timestamp".into(),
                            json!(tripline_time::format_ms(r.time_ms)),
                        );
                    }
                }
            }
            serde_json::to_writer(&mut out, &doc).expect("JSON values serialize");
            out.push(b'\n');
        }
        out
    }
}

impl Sink for Elasticsearch {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn send(&mut self, batch: &[Record]) -> Result<Outcome, SendError> {
        let what = format!("POST {}", self.bulk_url);
        let answer = self
            .client
            .post(&self.bulk_url, &self.headers, &self.ndjson(batch))?;
        answer.check(&what)?;
        let bulk: BulkAnswer = serde_json::from_slice(&answer.body).map_err(|e| {
            SendError::retry(format!(
                "{what}: answer is not a bulk response ({e}): {}",
                answer.quote()
            ))
        })?;
        if !bulk.errors {
            return Ok(Outcome::all_delivered());
        }
        if bulk.items.len() != batch.len() {
            return Err(SendError::retry(format!(
                "{what}: {} items in the answer for {} records sent",
                bulk.items.len(),
                batch.len()
            )));
        }
        let mut failed = Vec::new();
        for (i, item) in bulk.items.iter().enumerate() {
            let Some(result) = item.values().next() else {
                failed.push((
                    i,
                    SendError::retry(format!("{what}: empty item #{i} in the answer")),
                ));
                continue;
            };
            if let Err(e) = item_result(result) {
                failed.push((i, e));
            }
        }
        Ok(Outcome { failed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_names() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-20T23:59:59.999Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            index_name(DEFAULT_INDEX, RecordKind::Alert, t),
            "tripline-alerts-2026.11.20"
        );
        assert_eq!(
            index_name("logs-tripline-default", RecordKind::Event, t),
            "logs-tripline-default"
        );
        assert!(check_index(DEFAULT_INDEX).is_ok());
        assert!(check_index("Tripline").is_err());
        assert!(check_index("tripline-%Q").is_err());
        assert!(check_index("_x").is_err());
    }

    #[test]
    fn ids_are_bounded_and_stable() {
        assert_eq!(document_id("abc", 2), "abc.2");
        let long = "x".repeat(600);
        let id = document_id(&long, 1);
        assert_eq!(id.len(), 64);
        assert_eq!(id, document_id(&long, 1));
        assert_ne!(id, document_id(&long, 2));
    }

    #[test]
    fn item_statuses() {
        let item = |status, t: &str| BulkItem {
            status,
            error: Some(json!({"type": t, "reason": "r"})),
        };
        assert!(item_result(&item(201, "")).is_ok());
        assert!(item_result(&item(409, "version_conflict_engine_exception")).is_ok());
        assert!(item_result(&item(429, "es_rejected_execution_exception"))
            .unwrap_err()
            .is_retryable());
        assert!(item_result(&item(503, "unavailable_shards_exception"))
            .unwrap_err()
            .is_retryable());
        let e = item_result(&item(400, "mapper_parsing_exception")).unwrap_err();
        assert!(
            !e.is_retryable() && e.to_string().contains("mapper_parsing_exception"),
            "{e}"
        );
    }
}
