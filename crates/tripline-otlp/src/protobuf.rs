//! OTLP protobuf request bodies → prost messages.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::error::DecodeError;
use crate::request::Request;
use crate::signal::OtlpSignal;

/// Decode a protobuf `Export*ServiceRequest` for `signal`.
pub(crate) fn decode(signal: OtlpSignal, body: &[u8]) -> Result<Request, DecodeError> {
    let result = match signal {
        OtlpSignal::Logs => ExportLogsServiceRequest::decode(body).map(Request::Logs),
        OtlpSignal::Metrics => ExportMetricsServiceRequest::decode(body).map(Request::Metrics),
        OtlpSignal::Traces => ExportTraceServiceRequest::decode(body).map(Request::Traces),
    };
    result.map_err(|e| DecodeError::Protobuf {
        signal,
        len: body.len(),
        at: first_bad_field(body)
            .map(|off| format!(" at byte {off}"))
            .unwrap_or_default(),
        detail: e.to_string(),
    })
}

/// Walk the top-level fields of a protobuf message and return the offset of the first one
/// that is malformed or runs past the end of the buffer. `None` when the top level is well
/// formed (the problem is deeper, and prost's message names the path).
fn first_bad_field(buf: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    while pos < buf.len() {
        let start = pos;
        let (key, n) = match varint(&buf[pos..]) {
            Some(Ok(v)) => v,
            _ => return Some(start),
        };
        pos += n;
        let wire_type = key & 7;
        if key >> 3 == 0 {
            return Some(start);
        }
        let skip = match wire_type {
            0 => match varint(&buf[pos..]) {
                Some(Ok((_, n))) => n,
                _ => return Some(start),
            },
            1 => 8,
            2 => match varint(&buf[pos..]) {
                Some(Ok((len, n))) => {
                    pos += n;
                    usize::try_from(len).unwrap_or(usize::MAX)
                }
                _ => return Some(start),
            },
            5 => 4,
            _ => return Some(start),
        };
        if buf.len() - pos < skip {
            return Some(start);
        }
        pos += skip;
    }
    None
}

/// A varint at the start of `buf`: `None` when `buf` is empty, `Some(Err)` when it is
/// truncated or longer than 10 bytes.
fn varint(buf: &[u8]) -> Option<Result<(u64, usize), ()>> {
    if buf.is_empty() {
        return None;
    }
    let mut value = 0u64;
    for (i, b) in buf.iter().take(10).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(Ok((value, i + 1)));
        }
    }
    Some(Err(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_length_prefixed_field_is_located() {
        // field 1, wire type 2, length 10, only 3 bytes follow.
        let buf = [0x0a, 0x0a, 1, 2, 3];
        assert_eq!(first_bad_field(&buf), Some(0));
        // a complete field then a truncated one
        let buf = [0x0a, 0x01, 0x00, 0x0a, 0x05, 0x00];
        assert_eq!(first_bad_field(&buf), Some(3));
        assert_eq!(first_bad_field(&[0x0a, 0x01, 0x00]), None);
    }

    #[test]
    fn truncated_body_reports_byte() {
        let err = decode(OtlpSignal::Logs, &[0x0a, 0x0a, 1, 2, 3]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("at byte 0"), "{msg}");
        assert!(msg.contains("logs"), "{msg}");
    }
}
