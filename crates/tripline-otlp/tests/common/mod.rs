//! Shared helpers for the integration tests: fixture loading and decoding.
#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;

use tripline_event::Event;
use tripline_otlp::{decode, Decoded, Encoding, Limits, OtlpSignal};

/// `tests/fixtures/<rel>`.
pub fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The bytes of a fixture, gunzipped when it ends in `.gz`.
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = fixture_path(rel);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if rel.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .expect("gunzip fixture");
        out
    } else {
        raw
    }
}

/// Decode a fixture with default limits, asserting nothing was rejected.
pub fn decode_fixture(rel: &str, signal: OtlpSignal, encoding: Encoding) -> Vec<Event> {
    let d: Decoded = decode(signal, encoding, &fixture(rel), &Limits::default())
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(d.rejected, 0, "{rel}: {:?}", d.reject_message);
    d.events
}

/// Events of one signal and event name.
pub fn named<'a>(events: &'a [Event], signal: &str, name: &str) -> Vec<&'a Event> {
    events
        .iter()
        .filter(|e| e.get_str("signal") == Some(signal) && e.event_name() == Some(name))
        .collect()
}
