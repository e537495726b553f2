//! JSON documents and JSON Lines: OTLP requests (signal from the top-level key) or already
//! flattened events.

use std::path::Path;

use tripline_event::Event;

use super::{ReadError, Sink, Tally};
use crate::{decode, decode_json_any, Encoding, Limits, OtlpSignal};

/// Handle one JSON document or line. `known` is the signal the file name or sidecar gave,
/// used when the document has no `resource*` key but is known to be an OTLP body. A whole
/// `.json` document (`line` is `None`) that is neither OTLP nor known to be a body is not
/// telemetry (a manifest, a config file) and is skipped: only JSON Lines carry flattened
/// events.
pub(crate) fn handle_json(
    bytes: &[u8],
    path: &Path,
    line: Option<usize>,
    known: Option<OtlpSignal>,
    limits: &Limits,
    tally: &mut Tally,
    sink: Sink,
) -> Result<(), ReadError> {
    let decode_err = |error| ReadError::Decode {
        path: path.to_path_buf(),
        line,
        error,
    };
    if let Some((_, decoded)) = decode_json_any(bytes, limits).map_err(decode_err)? {
        return tally.emit(decoded, path, sink);
    }
    if let Some(signal) = known {
        let decoded = decode(signal, Encoding::Json, bytes, limits).map_err(decode_err)?;
        return tally.emit(decoded, path, sink);
    }
    if line.is_none() {
        tally.not_telemetry = true;
        return Ok(());
    }
    let event = flat_event(bytes).map_err(|detail| ReadError::BadEvent {
        path: path.to_path_buf(),
        line,
        detail,
    })?;
    tally.events += 1;
    sink(event).map_err(|error| ReadError::Sink {
        path: path.to_path_buf(),
        error,
    })
}

/// One already-flattened event: a JSON object of canonical field names. Without an `id`
/// of its own it gets the line's content id ([`tripline_event::id::line_id`]), so a line
/// read twice (a restart, a rotated copy) is the same event.
fn flat_event(bytes: &[u8]) -> Result<Event, String> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(o)) => {
            let mut ev = Event::from_json_object(o);
            if ev.id().is_none() {
                ev.insert(
                    tripline_event::names::ID,
                    tripline_event::id::line_id(bytes),
                );
            }
            Ok(ev)
        }
        Ok(_) => Err("a flattened event must be a JSON object".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Whether an in-memory `.json` file holds JSON Lines: its first line is a complete JSON
/// value and more non-blank content follows.
pub(crate) fn looks_like_lines(bytes: &[u8]) -> bool {
    let Some(nl) = bytes.iter().position(|b| *b == b'\n') else {
        return false;
    };
    let (first, rest) = bytes.split_at(nl);
    if first.iter().all(u8::is_ascii_whitespace) || rest.iter().all(u8::is_ascii_whitespace) {
        return false;
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(first).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_versus_documents() {
        assert!(looks_like_lines(b"{\"a\":1}\n{\"a\":2}\n"));
        assert!(!looks_like_lines(b"{\"a\":1}\n"));
        assert!(!looks_like_lines(b"{\n \"a\": 1\n}\n"));
        assert!(!looks_like_lines(b"{\"a\":1}"));
    }
}
