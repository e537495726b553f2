//! Seeded, deterministic Codex-shaped OTLP log records.
//!
//! Record `i` (0-based) of a [`GenSpec`] is always the same bytes for the same seed, and
//! every record carries its index as the `loadgen.seq` attribute (canonical field
//! `loadgen_seq`), so the store can be checked record by record. Records are grouped in
//! conversations of [`GenSpec::conversation_len`]: a `codex.conversation_starts`, a
//! `codex.user_prompt`, then alternating `codex.tool_decision` / `codex.tool_result`, with
//! the attributes Codex 0.169 sends (values vary with the seed so content ids are distinct).

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenSpec {
    /// Seed for every value.
    pub seed: u64,
    /// Total records.
    pub records: u64,
    /// Records per export request (the last one may be shorter).
    pub batch_size: u64,
    /// Time of record 0, Unix ns; record `i` is `i * step_ns` later.
    pub base_time_ns: i64,
    /// Time between consecutive records, ns.
    pub step_ns: i64,
    /// Records per conversation.
    pub conversation_len: u64,
}

impl Default for GenSpec {
    fn default() -> Self {
        GenSpec {
            seed: 1,
            records: 10_000,
            batch_size: 100,
            // 2026-01-01T00:00:00Z
            base_time_ns: 1_767_225_600_000_000_000,
            step_ns: 50_000_000,
            conversation_len: 40,
        }
    }
}

impl GenSpec {
    /// Number of export requests.
    pub fn batches(&self) -> u64 {
        self.records.div_ceil(self.batch_size.max(1))
    }

    /// The record indices in batch `b`.
    pub fn batch_range(&self, b: u64) -> std::ops::Range<u64> {
        let bs = self.batch_size.max(1);
        let start = b * bs;
        start..(start + bs).min(self.records)
    }

    /// The export request for batch `b`.
    pub fn batch_request(&self, b: u64) -> ExportLogsServiceRequest {
        let records = self.batch_range(b).map(|i| self.record(i)).collect();
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(Resource {
                    attributes: vec![
                        kv_str("host.name", &format!("loadgen-host-{}", self.seed % 7)),
                        kv_str("service.version", "0.169.0"),
                        kv_str("env", "loadgen"),
                        kv_str("telemetry.sdk.version", "0.31.0"),
                        kv_str("telemetry.sdk.name", "opentelemetry"),
                        kv_str("telemetry.sdk.language", "rust"),
                        kv_str("service.name", "codex_exec"),
                    ],
                    ..Default::default()
                }),
                scope_logs: vec![ScopeLogs {
                    scope: Some(InstrumentationScope {
                        name: "codex_otel.log_only".into(),
                        ..Default::default()
                    }),
                    log_records: records,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        }
    }

    /// Batch `b` encoded as protobuf.
    pub fn batch_body(&self, b: u64) -> Vec<u8> {
        self.batch_request(b).encode_to_vec()
    }

    /// The conversation id of record `i`.
    pub fn conversation_id(&self, i: u64) -> String {
        let c = i / self.conversation_len.max(1);
        let h = mix(self.seed ^ 0xC0DE_C0DE, c);
        let h2 = mix(h, 17);
        format!(
            "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
            (h >> 32) as u32,
            (h >> 16) as u16,
            (h & 0xfff) as u16,
            ((h2 >> 48) as u16 & 0x3fff) | 0x8000,
            h2 & 0xffff_ffff_ffff
        )
    }

    /// Which Codex event record `i` is.
    pub fn event_name(&self, i: u64) -> &'static str {
        match i % self.conversation_len.max(1) {
            0 => "codex.conversation_starts",
            1 => "codex.user_prompt",
            k if k % 2 == 0 => "codex.tool_decision",
            _ => "codex.tool_result",
        }
    }

    /// Record `i`.
    pub fn record(&self, i: u64) -> LogRecord {
        let t = self.base_time_ns + i as i64 * self.step_ns;
        let r = mix(self.seed, i);
        let name = self.event_name(i);
        let conv = self.conversation_id(i);
        let mut attrs = vec![kv_str("event.name", name)];
        match name {
            "codex.conversation_starts" => {
                let sandbox =
                    ["read-only", "workspace-write", "danger-full-access"][(r % 3) as usize];
                let approval = ["never", "on-request", "untrusted"][((r >> 8) % 3) as usize];
                attrs.extend([
                    kv_str("provider_name", "OpenAI"),
                    kv_bool("auth.env_openai_api_key_present", r & 1 == 0),
                    kv_str("reasoning_summary", "auto"),
                    kv_str("approval_policy", approval),
                    kv_str("sandbox_policy", sandbox),
                    kv_str("mcp_servers", ""),
                ]);
            }
            "codex.user_prompt" => {
                let prompt = format!(
                    "loadgen prompt {i}: refactor module {} and run tests",
                    r % 997
                );
                attrs.extend([
                    kv_str("prompt_length", &prompt.len().to_string()),
                    kv_str("prompt", &prompt),
                ]);
            }
            "codex.tool_decision" => {
                let decision = ["approved", "approved_for_session", "denied"][(r % 3) as usize];
                attrs.extend([
                    kv_str("tool_name", "exec_command"),
                    kv_str("call_id", &format!("call_{:016x}", r)),
                    kv_str("decision", decision),
                    kv_str("source", "config"),
                ]);
            }
            _ => {
                let cmds = [
                    "ls -la",
                    "cargo test",
                    "git status",
                    "cat README.md",
                    "grep -rn TODO src",
                ];
                let cmd = cmds[(r % cmds.len() as u64) as usize];
                let ok = !r.is_multiple_of(11);
                attrs.extend([
                    kv_str(
                        "tool_result_seq",
                        &((i % self.conversation_len.max(1)) / 2).to_string(),
                    ),
                    kv_str("tool_name", "exec_command"),
                    kv_str("tool_namespace", "functions"),
                    kv_str("call_id", &format!("call_{:016x}", r)),
                    kv_str("duration_ms", &(r % 5000).to_string()),
                    kv_str("success", if ok { "true" } else { "false" }),
                    kv_str("output_truncated", "False"),
                    kv_str("agent_name", "/root"),
                    kv_str("arguments", &format!("{{\"cmd\": \"{cmd}\"}}")),
                    kv_str(
                        "output",
                        &format!(
                            "exit code {}; {} lines of output (record {i})",
                            u8::from(!ok),
                            r % 300
                        ),
                    ),
                    kv_str("mcp_server", ""),
                    kv_str("mcp_server_origin", ""),
                ]);
            }
        }
        attrs.extend([
            kv_str("event.timestamp", &rfc3339_ms(t)),
            kv_str("conversation.id", &conv),
            kv_str("app.version", "0.169.0"),
            kv_str("originator", "codex_exec"),
            kv_str("terminal.type", "xterm"),
            kv_str("model", "gpt-5.5"),
            kv_str("slug", "gpt-5.5"),
            kv_int("loadgen.seq", i as i64),
        ]);
        LogRecord {
            time_unix_nano: t as u64,
            observed_time_unix_nano: t as u64 + 1_000_000,
            severity_number: 9,
            severity_text: "INFO".into(),
            body: None,
            attributes: attrs,
            event_name: String::new(),
            ..Default::default()
        }
    }
}

/// SplitMix64 of `a` and `b`: the generator's only source of variety.
pub fn mix(a: u64, b: u64) -> u64 {
    let mut z = a
        .wrapping_add(b.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}
fn kv_str(key: &str, v: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(v.into()))
}
fn kv_bool(key: &str, v: bool) -> KeyValue {
    kv(key, any_value::Value::BoolValue(v))
}
fn kv_int(key: &str, v: i64) -> KeyValue {
    kv(key, any_value::Value::IntValue(v))
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for Unix ns (proleptic Gregorian, UTC).
pub fn rfc3339_ms(ns: i64) -> String {
    let ms = ns.div_euclid(1_000_000);
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // civil_from_days (H. Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60,
        ms.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_format() {
        assert_eq!(
            rfc3339_ms(1_767_225_600_000_000_000),
            "2026-01-01T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339_ms(1_795_463_418_920_007_989),
            "2026-11-23T19:50:18.920Z"
        );
    }

    #[test]
    fn batches_cover_records_once() {
        let g = GenSpec {
            records: 1050,
            batch_size: 100,
            ..GenSpec::default()
        };
        assert_eq!(g.batches(), 11);
        assert_eq!(g.batch_range(10), 1000..1050);
        let total: usize = (0..g.batches())
            .map(|b| {
                g.batch_request(b).resource_logs[0].scope_logs[0]
                    .log_records
                    .len()
            })
            .sum();
        assert_eq!(total, 1050);
    }

    #[test]
    fn deterministic_and_distinct() {
        let g = GenSpec::default();
        assert_eq!(g.batch_body(3), g.batch_body(3));
        let mut bodies: Vec<Vec<u8>> = (0..200).map(|i| g.record(i).encode_to_vec()).collect();
        bodies.sort();
        bodies.dedup();
        assert_eq!(bodies.len(), 200);
        assert_eq!(g.event_name(0), "codex.conversation_starts");
        assert_eq!(g.event_name(3), "codex.tool_result");
        assert_ne!(g.conversation_id(0), g.conversation_id(40));
        assert_eq!(g.conversation_id(0), g.conversation_id(39));
    }
}
