//! The three output formats and the [`Record`]s built from stored events, alert revisions
//! and raw payloads. `docs/sinks/README.md` documents each mapping.
//!
//! * [`Format::Native`]: the event or alert exactly as stored (redacted JSON).
//! * [`Format::Ocsf`]: alerts as OCSF Detection Finding, events as an OCSF Base Event
//!   ([`ocsf`]).
//! * [`Format::Ecs`]: Elastic Common Schema ([`ecs`]).
//!
//! Raw payloads have one form whatever the format ([`raw_body`]).

pub mod ecs;
pub mod ocsf;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use tripline_event::{Alert, Event};
use tripline_store::StoredRawPayload;

use crate::sink::{Record, RecordKind};

/// A sink's `format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// tripline's own JSON (default).
    #[default]
    Native,
    /// OCSF 1.3: Detection Finding (2004) for alerts, Base Event (0) for events.
    Ocsf,
    /// Elastic Common Schema.
    Ecs,
}

impl Format {
    /// The name used in `format = "..."`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Ocsf => "ocsf",
            Format::Ecs => "ecs",
        }
    }
}

fn time_ms(rfc3339: Option<&str>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339?)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// The record for one stored (redacted) event.
pub fn event_record(event: &Event, format: Format) -> Record {
    let body = match format {
        Format::Native => serde_json::to_value(event).unwrap_or(Json::Null),
        Format::Ocsf => ocsf::base_event(event),
        Format::Ecs => ecs::event(event),
    };
    Record {
        kind: RecordKind::Event,
        id: event.id().unwrap_or_default().to_owned(),
        revision: 1,
        time_ms: time_ms(event.time())
            .or_else(|| time_ms(event.get_str(tripline_event::names::RECEIVED_TIME)))
            .unwrap_or(0),
        agent: event.agent().as_str().to_owned(),
        body,
    }
}

/// The record for one stored (redacted) alert revision.
pub fn alert_record(alert: &Alert, format: Format) -> Record {
    let body = match format {
        Format::Native => serde_json::to_value(alert).unwrap_or(Json::Null),
        Format::Ocsf => ocsf::detection_finding(alert),
        Format::Ecs => ecs::alert(alert),
    };
    Record {
        kind: RecordKind::Alert,
        id: alert.id.clone(),
        revision: u64::from(alert.revision),
        time_ms: time_ms(Some(&alert.time)).unwrap_or(0),
        agent: alert.agent.clone(),
        body,
    }
}

/// A raw payload as JSON: its metadata and the body, base64-encoded (bodies are protobuf
/// or JSON, as received, already decompressed).
pub fn raw_body(p: &StoredRawPayload) -> Json {
    json!({
        "id": p.sha256,
        "raw_id": p.id,
        "received_time": p.payload.received_time,
        "ingest_time_ms": p.ingest_time_ms,
        "signal": p.payload.signal,
        "content_type": p.payload.content_type,
        "content_encoding": p.payload.content_encoding,
        "emitter": p.payload.emitter,
        "sha256": p.sha256,
        "body_base64": base64::engine::general_purpose::STANDARD.encode(&p.payload.body),
    })
}

/// The record for one raw payload; its id is the body's SHA-256.
pub fn raw_record(p: &StoredRawPayload) -> Record {
    Record {
        kind: RecordKind::Raw,
        id: p.sha256.clone(),
        revision: 1,
        time_ms: time_ms(Some(&p.payload.received_time)).unwrap_or(p.ingest_time_ms),
        agent: "unknown".to_owned(),
        body: raw_body(p),
    }
}
