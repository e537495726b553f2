//! The `webhook` sink: JSON over HTTP POST, optionally signed with HMAC-SHA256, or a
//! Slack-compatible message per alert. Wire format and verification: `docs/sinks/webhook.md`.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value as Json};
use sha2::Sha256;

use crate::http_client::{self, HttpClient, TlsOptions};
use crate::sink::{
    parse_options, BuildContext, BuildError, Outcome, Record, RecordKind, SendError, Sink,
};

const KIND: &str = "webhook";
/// The header carrying `sha256=<hex>` of the HMAC over `<timestamp>.<body>`.
pub const SIGNATURE_HEADER: &str = "X-Tripline-Signature";
/// The header carrying the unix time (seconds) that was signed with the body.
pub const TIMESTAMP_HEADER: &str = "X-Tripline-Timestamp";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    url: String,
    /// `json` (default) or `slack`.
    #[serde(default)]
    payload: Payload,
    /// JSON payload: one request carrying an array of the batch (true, default) or one
    /// request per record (false). Slack payloads are always one request per record.
    #[serde(default = "yes")]
    batch: bool,
    /// JSON payload: wrap each record as `{id, revision, kind, agent, time, record}` (true,
    /// default) or send the formatted record as it is (false).
    #[serde(default = "yes")]
    envelope: bool,
    /// Slack payload: add Block Kit `blocks` besides `text`.
    #[serde(default)]
    slack_blocks: bool,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    secret: Option<String>,
    secret_env: Option<String>,
    timeout: Option<String>,
    #[serde(default)]
    tls: TlsOptions,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Payload {
    #[default]
    Json,
    Slack,
}

struct Webhook {
    url: String,
    payload: Payload,
    batch: bool,
    envelope: bool,
    slack_blocks: bool,
    headers: Vec<(String, String)>,
    secret: Option<Vec<u8>>,
    client: HttpClient,
}

/// Builds a webhook sink from its `[[sinks]]` options.
pub fn build(ctx: &BuildContext, options: &toml::Table) -> Result<Box<dyn Sink>, BuildError> {
    let o: Options = parse_options(ctx, KIND, options)?;
    let url = http_client::check_url(ctx, KIND, "url", &o.url)?;
    let secret = http_client::secret(ctx, KIND, "secret", o.secret, o.secret_env)?;
    let client = HttpClient::from_options(ctx, KIND, o.timeout.as_deref(), &o.tls)?;
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    for (k, v) in o.headers {
        check_header(ctx, &k, &v)?;
        headers.push((k, v));
    }
    Ok(Box::new(Webhook {
        url,
        payload: o.payload,
        batch: o.batch,
        envelope: o.envelope,
        slack_blocks: o.slack_blocks,
        headers,
        secret: secret.map(String::into_bytes),
        client,
    }))
}

fn check_header(ctx: &BuildContext, name: &str, value: &str) -> Result<(), BuildError> {
    let err = |why: &str| BuildError {
        sink: ctx.name.clone(),
        kind: KIND,
        message: format!("headers.{name}: {why}"),
    };
    ureq::http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| err("not a valid header name"))?;
    ureq::http::HeaderValue::from_str(value).map_err(|_| err("not a valid header value"))?;
    let lower = name.to_ascii_lowercase();
    if lower == "content-length"
        || lower == SIGNATURE_HEADER.to_ascii_lowercase()
        || lower == TIMESTAMP_HEADER.to_ascii_lowercase()
    {
        return Err(err("set by tripline; remove it from headers"));
    }
    Ok(())
}

/// `sha256=<hex>` of HMAC-SHA256(secret, `<timestamp>.<body>`).
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Webhook {
    fn post(&self, body: &[u8]) -> Result<(), SendError> {
        let mut headers = self.headers.clone();
        if let Some(secret) = &self.secret {
            let ts = chrono::Utc::now().timestamp();
            headers.push((TIMESTAMP_HEADER.to_owned(), ts.to_string()));
            headers.push((SIGNATURE_HEADER.to_owned(), signature(secret, ts, body)));
        }
        self.client
            .post(&self.url, &headers, body)?
            .check(&format!("POST {}", self.url))
    }

    fn json_item(&self, r: &Record) -> Json {
        if !self.envelope {
            return r.body.clone();
        }
        json!({
            "id": r.id,
            "revision": r.revision,
            "kind": r.kind.as_str(),
            "agent": r.agent,
            "time": tripline_time::format_ms(r.time_ms),
            "record": r.body,
        })
    }

    fn item_body(&self, r: &Record) -> Vec<u8> {
        let v = match self.payload {
            Payload::Json => self.json_item(r),
            Payload::Slack => slack_message(r, self.slack_blocks),
        };
        serde_json::to_vec(&v).expect("JSON values serialize")
    }

    /// One request per record, in order. A `Retry` answer stops the batch: the records
    /// before it are delivered, it and the rest are reported for retry. A `Fatal` answer
    /// refuses only its record.
    fn send_each(&self, batch: &[Record]) -> Result<Outcome, SendError> {
        let mut failed = Vec::new();
        for (i, r) in batch.iter().enumerate() {
            match self.post(&self.item_body(r)) {
                Ok(()) => {}
                Err(e @ SendError::Fatal { .. }) => failed.push((i, e)),
                Err(e) => {
                    if i == 0 {
                        return Err(e);
                    }
                    failed.extend((i..batch.len()).map(|j| (j, e.clone())));
                    break;
                }
            }
        }
        if !failed.is_empty()
            && failed.len() == batch.len()
            && failed.iter().all(|(_, e)| e == &failed[0].1)
        {
            return Err(failed.swap_remove(0).1);
        }
        Ok(Outcome { failed })
    }
}

impl Sink for Webhook {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn send(&mut self, batch: &[Record]) -> Result<Outcome, SendError> {
        if self.payload == Payload::Slack || !self.batch {
            return self.send_each(batch);
        }
        let items: Vec<Json> = batch.iter().map(|r| self.json_item(r)).collect();
        let body = serde_json::to_vec(&items).expect("JSON values serialize");
        self.post(&body)?;
        Ok(Outcome::all_delivered())
    }
}

/// The first of `paths` (dotted, through nested objects) that holds a non-empty scalar.
fn first(body: &Json, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| {
        let v = p.split('.').try_fold(body, |v, k| v.get(k))?;
        match v {
            Json::String(s) if !s.is_empty() => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        }
    })
}

/// Slack `mrkdwn` escaping: `&`, `<` and `>` are control characters there.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack incoming-webhook message for one record: the rule title, level, agent, host,
/// user, conversation and count, read from the native, OCSF or ECS body. Never evidence
/// (no event content, no summary sentence).
pub fn slack_message(r: &Record, blocks: bool) -> Json {
    let b = &r.body;
    let mut facts: Vec<(&str, String)> = Vec::new();
    let head = if r.kind == RecordKind::Alert {
        let title = first(b, &["rule.title", "finding_info.title", "rule.name"])
            .unwrap_or_else(|| "tripline alert".into());
        let level = first(b, &["rule.level", "severity", "tripline.level"])
            .unwrap_or_else(|| "unknown".into());
        facts.push(("Level", level.clone()));
        format!("[{}] {}", level.to_uppercase(), title)
    } else {
        let name = first(b, &["event_name", "event.name", "event.action"])
            .unwrap_or_else(|| r.kind.as_str().into());
        format!("tripline {}: {name}", r.kind.as_str())
    };
    facts.push(("Agent", r.agent.clone()));
    let lookups: [(&str, &[&str]); 4] = [
        (
            "Host",
            &[
                "group.host_name",
                "unmapped.tripline_group.host_name",
                "host_name",
                "host.name",
            ],
        ),
        (
            "User",
            &[
                "group.user_email",
                "unmapped.tripline_group.user_email",
                "user_email",
                "user.email",
            ],
        ),
        (
            "Conversation",
            &[
                "group.conversation_id",
                "unmapped.tripline_group.conversation_id",
                "conversation_id",
                "labels.conversation_id",
            ],
        ),
        ("Count", &["count", "event.count"]),
    ];
    for (label, paths) in lookups {
        if let Some(v) = first(b, paths) {
            facts.push((label, v));
        }
    }
    let detail: Vec<String> = facts
        .iter()
        .map(|(k, v)| format!("{}: {}", k.to_lowercase(), escape(v)))
        .collect();
    let text = format!(
        "{} ({}) [id {} rev {}]",
        escape(&head),
        detail.join(", "),
        r.id,
        r.revision
    );
    if !blocks {
        return json!({ "text": text });
    }
    let fields: Vec<Json> = facts
        .iter()
        .map(|(k, v)| json!({ "type": "mrkdwn", "text": format!("*{k}*\n{}", escape(v)) }))
        .collect();
    json!({
        "text": text,
        "blocks": [
            { "type": "header", "text": { "type": "plain_text", "text": truncate(&head, 150) } },
            { "type": "section", "fields": fields },
            { "type": "context", "elements": [ { "type": "mrkdwn", "text": format!("tripline {} `{}` revision {}", r.kind.as_str(), r.id, r.revision) } ] },
        ],
    })
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((cut, _)) => s[..cut].to_owned(),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_over_timestamp_dot_body() {
        // Expected value computed independently:
        // printf '1700000000.{}' | openssl dgst -sha256 -hmac key
        let sig = signature(b"key", 1_700_000_000, b"{}");
        assert_eq!(
            sig,
            "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
        assert_ne!(
            sig,
            signature(b"key", 1_700_000_001, b"{}"),
            "the timestamp is signed"
        );
        assert_ne!(
            sig,
            signature(b"other", 1_700_000_000, b"{}"),
            "the key matters"
        );
    }

    #[test]
    fn slack_text_from_native_and_ocsf_bodies() {
        let native = Record {
            kind: RecordKind::Alert,
            id: "a1".into(),
            revision: 2,
            time_ms: 0,
            agent: "codex".into(),
            body: json!({"rule": {"title": "Secret <in> prompt", "level": "high"}, "count": 3,
                         "group": {"host_name": "dev-7", "user_email": "u-5f3a", "conversation_id": "c-1"},
                         "events": [{"prompt": "EVIDENCE"}], "summary": "SUMMARY"}),
            fields: Default::default(),
        };
        let m = slack_message(&native, true);
        let text = m["text"].as_str().unwrap();
        for want in [
            "[HIGH] Secret &lt;in&gt; prompt",
            "agent: codex",
            "host: dev-7",
            "user: u-5f3a",
            "conversation: c-1",
            "count: 3",
            "id a1 rev 2",
        ] {
            assert!(text.contains(want), "{want:?} in {text}");
        }
        let all = m.to_string();
        assert!(
            !all.contains("EVIDENCE") && !all.contains("SUMMARY"),
            "{all}"
        );
        assert_eq!(m["blocks"][0]["type"], "header");

        let ocsf = Record {
            body: json!({"finding_info": {"title": "T"}, "severity": "critical", "count": 1,
                         "unmapped": {"tripline_group": {"host_name": "h"}}}),
            ..native
        };
        let text = slack_message(&ocsf, false)["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            text.starts_with("[CRITICAL] T (") && text.contains("host: h"),
            "{text}"
        );
    }
}
