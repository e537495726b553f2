//! The `splunk_hec` sink: Splunk HTTP Event Collector, `/services/collector/event`, one
//! request per batch (event objects concatenated), optional indexer acknowledgement.
//! Envelope, error codes and acknowledgement: `docs/sinks/splunk_hec.md`.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::http_client::{self, Answer, HttpClient, TlsOptions};
use crate::sink::{parse_options, BuildContext, BuildError, Outcome, Record, SendError, Sink};

const KIND: &str = "splunk_hec";
const EVENT_PATH: &str = "/services/collector/event";
const ACK_PATH: &str = "/services/collector/ack";
const DEFAULT_ACK_TIMEOUT: Duration = Duration::from_secs(60);
const DEFAULT_ACK_POLL: Duration = Duration::from_millis(500);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// Base URL of the collector, e.g. `https://splunk.example:8088`.
    url: String,
    token: Option<String>,
    token_env: Option<String>,
    index: Option<String>,
    #[serde(default = "default_source")]
    source: String,
    /// Default: `tripline:alert`, `tripline:event` or `tripline:raw` by record kind.
    sourcetype: Option<String>,
    host: Option<String>,
    /// Use indexer acknowledgement: a batch counts as delivered only once acknowledged.
    #[serde(default)]
    ack: bool,
    /// Channel GUID for acknowledgement; default derived from the sink name.
    channel: Option<String>,
    ack_timeout: Option<String>,
    ack_poll_interval: Option<String>,
    timeout: Option<String>,
    #[serde(default)]
    tls: TlsOptions,
}

fn default_source() -> String {
    "tripline".into()
}

struct SplunkHec {
    event_url: String,
    ack_url: String,
    headers: Vec<(String, String)>,
    index: Option<String>,
    source: String,
    sourcetype: Option<String>,
    host: Option<String>,
    ack: Option<AckSettings>,
    client: HttpClient,
}

struct AckSettings {
    timeout: Duration,
    poll: Duration,
}

/// Builds a Splunk HEC sink from its `[[sinks]]` options.
pub fn build(ctx: &BuildContext, options: &toml::Table) -> Result<Box<dyn Sink>, BuildError> {
    let o: Options = parse_options(ctx, KIND, options)?;
    let base = http_client::check_url(ctx, KIND, "url", &o.url)?;
    let base = base.strip_suffix(EVENT_PATH).unwrap_or(&base).to_owned();
    let token =
        http_client::secret(ctx, KIND, "token", o.token, o.token_env)?.ok_or_else(|| {
            BuildError {
                sink: ctx.name.clone(),
                kind: KIND,
                message: "token (or token_env) is required: the HEC token".into(),
            }
        })?;
    let client = HttpClient::from_options(ctx, KIND, o.timeout.as_deref(), &o.tls)?;
    let mut headers = vec![
        ("Authorization".to_owned(), format!("Splunk {token}")),
        ("Content-Type".to_owned(), "application/json".to_owned()),
    ];
    let ack = if o.ack {
        let channel = match o.channel {
            Some(c) if is_guid(&c) => c,
            Some(c) => {
                return Err(BuildError {
                    sink: ctx.name.clone(),
                    kind: KIND,
                    message: format!(
                    "channel = {c:?}: expected a GUID like 0e8a2f4c-1b2d-4c3e-9f00-6a7b8c9d0e1f"
                ),
                })
            }
            None => derived_channel(&ctx.name),
        };
        headers.push(("X-Splunk-Request-Channel".to_owned(), channel));
        Some(AckSettings {
            timeout: crate::sink::duration_option(
                ctx,
                KIND,
                "ack_timeout",
                o.ack_timeout.as_deref(),
                DEFAULT_ACK_TIMEOUT,
                crate::sink::Zero::Refused,
            )?,
            poll: crate::sink::duration_option(
                ctx,
                KIND,
                "ack_poll_interval",
                o.ack_poll_interval.as_deref(),
                DEFAULT_ACK_POLL,
                crate::sink::Zero::Refused,
            )?,
        })
    } else {
        None
    };
    Ok(Box::new(SplunkHec {
        event_url: format!("{base}{EVENT_PATH}"),
        ack_url: format!("{base}{ACK_PATH}"),
        headers,
        index: o.index,
        source: o.source,
        sourcetype: o.sourcetype,
        host: o.host,
        ack,
        client,
    }))
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A stable GUID for the sink name, so a restarted tripline keeps its channel.
fn derived_channel(name: &str) -> String {
    let h = hex::encode(Sha256::digest(
        format!("tripline splunk_hec channel {name}").as_bytes(),
    ));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// HEC's JSON answer: `{"text": "...", "code": N}` plus `ackId` or `invalid-event-number`.
#[derive(Debug, Default, Deserialize)]
struct HecAnswer {
    #[serde(default)]
    text: String,
    code: Option<i64>,
    #[serde(rename = "ackId")]
    ack_id: Option<u64>,
    #[serde(rename = "invalid-event-number")]
    invalid_event_number: Option<usize>,
}

/// Whether a HEC error code is worth retrying: internal error (8), server busy (9) and
/// the unhealthy states (18 queues full, 19 ack service unavailable, 20 both).
pub fn code_is_retryable(code: i64) -> bool {
    matches!(code, 8 | 9 | 18 | 19 | 20)
}

fn hec_error(what: &str, answer: &Answer, hec: &HecAnswer) -> SendError {
    let Some(code) = hec.code else {
        return answer.error(what);
    };
    let message = format!(
        "{what}: HTTP {}: HEC code {code}: {}",
        answer.status, hec.text
    );
    if code_is_retryable(code) || http_client::status_is_retryable(answer.status) {
        SendError::Retry {
            message,
            retry_after: answer.retry_after,
        }
    } else {
        SendError::Fatal { message }
    }
}

impl SplunkHec {
    /// The HEC event envelope for one record.
    fn envelope(&self, r: &Record) -> Json {
        let mut e = Map::new();
        e.insert("time".into(), json!(r.time_ms as f64 / 1000.0));
        if let Some(h) = &self.host {
            e.insert("host".into(), json!(h));
        }
        e.insert("source".into(), json!(self.source));
        let sourcetype = self
            .sourcetype
            .clone()
            .unwrap_or_else(|| format!("tripline:{}", r.kind.as_str()));
        e.insert("sourcetype".into(), json!(sourcetype));
        if let Some(i) = &self.index {
            e.insert("index".into(), json!(i));
        }
        e.insert(
            "fields".into(),
            json!({
                "tripline_id": r.id,
                "tripline_revision": r.revision.to_string(),
                "tripline_kind": r.kind.as_str(),
                "tripline_agent": r.agent,
            }),
        );
        e.insert("event".into(), r.body.clone());
        Json::Object(e)
    }

    fn wait_for_ack(&self, ack_id: u64, settings: &AckSettings) -> Result<(), SendError> {
        let deadline = Instant::now() + settings.timeout;
        let body = serde_json::to_vec(&json!({ "acks": [ack_id] })).expect("JSON values serialize");
        let what = format!("POST {}", self.ack_url);
        loop {
            let answer = self.client.post(&self.ack_url, &self.headers, &body)?;
            if !answer.is_success() {
                let hec: HecAnswer = serde_json::from_slice(&answer.body).unwrap_or_default();
                return Err(hec_error(&what, &answer, &hec));
            }
            let acks: Json = serde_json::from_slice(&answer.body).map_err(|e| {
                SendError::retry(format!(
                    "{what}: answer is not JSON ({e}): {}",
                    answer.quote()
                ))
            })?;
            if acks["acks"][ack_id.to_string()].as_bool() == Some(true) {
                return Ok(());
            }
            if Instant::now() + settings.poll > deadline {
                return Err(SendError::retry(format!(
                    "{what}: ackId {ack_id} not acknowledged within {:?}; the batch is sent again",
                    settings.timeout
                )));
            }
            std::thread::sleep(settings.poll);
        }
    }
}

impl Sink for SplunkHec {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn send(&mut self, batch: &[Record]) -> Result<Outcome, SendError> {
        let mut body = Vec::new();
        for r in batch {
            serde_json::to_writer(&mut body, &self.envelope(r)).expect("JSON values serialize");
            body.push(b'\n');
        }
        let what = format!("POST {}", self.event_url);
        let answer = self.client.post(&self.event_url, &self.headers, &body)?;
        let hec: HecAnswer = serde_json::from_slice(&answer.body).unwrap_or_default();
        if !answer.is_success() {
            // HEC indexes the events before the first invalid one and stops there: that one
            // is refused, the ones after it were not looked at. With ack the ones before it
            // cannot be confirmed (no ackId on an error), so they are retried too.
            if let Some(n) = hec.invalid_event_number.filter(|n| *n < batch.len()) {
                let bad = hec_error(&what, &answer, &hec);
                let rest = SendError::retry(format!(
                    "{what}: not processed: the batch stopped at invalid event #{n}"
                ));
                let before = if self.ack.is_some() { 0 } else { n };
                let failed = (before..batch.len())
                    .map(|i| (i, if i == n { bad.clone() } else { rest.clone() }))
                    .collect();
                return Ok(Outcome { failed });
            }
            return Err(hec_error(&what, &answer, &hec));
        }
        if let Some(settings) = &self.ack {
            let ack_id = hec.ack_id.ok_or_else(|| {
                SendError::fatal(format!(
                    "{what}: ack = true but the answer has no ackId (is indexer acknowledgement enabled on the token?): {}",
                    answer.quote()
                ))
            })?;
            self.wait_for_ack(ack_id, settings)?;
        }
        Ok(Outcome::all_delivered())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_is_a_stable_guid() {
        let c = derived_channel("splunk");
        assert!(is_guid(&c), "{c}");
        assert_eq!(c, derived_channel("splunk"));
        assert_ne!(c, derived_channel("other"));
        assert!(!is_guid("not-a-guid"));
    }

    #[test]
    fn codes() {
        for c in [8, 9, 18, 19, 20] {
            assert!(code_is_retryable(c));
        }
        for c in [1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16] {
            assert!(!code_is_retryable(c));
        }
    }
}
