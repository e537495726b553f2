//! Decode OTLP (protobuf and JSON) and flatten it into canonical [`tripline_event::Event`]s.
//!
//! * [`decode`]: one request body → [`Decoded`] events (or a [`DecodeError`] for the whole
//!   request). Records over a [`Limits`] entry are rejected one by one and counted.
//! * [`files`]: read captured request bodies, OTLP JSON Lines and flattened-event JSON
//!   Lines from files and directories (used by `tripline replay` and `tripline validate`).
//! * [`known_schema`]: the agents' known event names and attribute keys.
//!
//! `docs/fields.md` documents every field the normalizer produces.

mod error;
pub mod files;
mod json;
pub mod known_schema;
mod limits;
pub mod normalize;
mod protobuf;
mod request;
pub mod signal;

pub use error::DecodeError;
pub use limits::Limits;
pub use signal::{Encoding, OtlpSignal};

use tripline_event::Event;

/// The result of decoding one export request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decoded {
    /// The normalized events, in request order (a span is followed by its span events).
    pub events: Vec<Event>,
    /// Records rejected for exceeding a limit: log records, spans or metric data points
    /// (the units OTLP's `partial_success` counts).
    pub rejected: u64,
    /// Why records were rejected (the first reason, with the count), for `partial_success`.
    pub reject_message: Option<String>,
}

/// Decode an OTLP export request body (already decompressed) and normalize it.
///
/// `signal` says which `Export*ServiceRequest` the body is. Protobuf and JSON go through
/// the same normalization. Errors reject the whole request; records over `limits` are
/// counted in [`Decoded::rejected`] and the rest proceeds.
pub fn decode(
    signal: OtlpSignal,
    encoding: Encoding,
    body: &[u8],
    limits: &Limits,
) -> Result<Decoded, DecodeError> {
    let req = match encoding {
        Encoding::Protobuf => protobuf::decode(signal, body)?,
        Encoding::Json => json::decode(signal, body)?,
    };
    Ok(normalize::normalize(req, limits))
}

/// Decode an OTLP/JSON request whose signal is told by its top-level key
/// (`resourceLogs`, `resourceMetrics`, `resourceSpans`), as the OpenTelemetry Collector's
/// file exporter writes them. `Ok(None)` when the JSON object has none of those keys.
pub fn decode_json_any(
    body: &[u8],
    limits: &Limits,
) -> Result<Option<(OtlpSignal, Decoded)>, DecodeError> {
    Ok(json::decode_any(body)?.map(|req| (req.signal(), normalize::normalize(req, limits))))
}
