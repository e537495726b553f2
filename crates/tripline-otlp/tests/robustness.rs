//! `decode` never panics, whatever the bytes.

use proptest::prelude::*;
use tripline_otlp::{decode, Encoding, Limits, OtlpSignal};

const LOGS_PB: &[u8] = include_bytes!("fixtures/codex/a-baseline/0003-logs.pb");
const LOGS_JSON: &[u8] = include_bytes!("fixtures/codex/i-json-protocol/0003-logs.json");

fn signal() -> impl Strategy<Value = OtlpSignal> {
    prop_oneof![
        Just(OtlpSignal::Logs),
        Just(OtlpSignal::Metrics),
        Just(OtlpSignal::Traces)
    ]
}

/// A real body with a few bytes overwritten, and possibly truncated.
fn mutated(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(edits, cut)| {
            let mut b = base.to_vec();
            for (i, byte) in edits {
                let at = i.index(b.len());
                b[at] = byte;
            }
            b.truncate(cut.index(b.len() + 1));
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes_never_panic(sig in signal(), bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let limits = Limits::default();
        let _ = decode(sig, Encoding::Protobuf, &bytes, &limits);
        let _ = decode(sig, Encoding::Json, &bytes, &limits);
    }

    #[test]
    fn mutated_protobuf_never_panics(sig in signal(), bytes in mutated(LOGS_PB)) {
        let _ = decode(sig, Encoding::Protobuf, &bytes, &Limits::default());
    }

    #[test]
    fn mutated_json_never_panics(bytes in mutated(LOGS_JSON)) {
        let _ = decode(OtlpSignal::Logs, Encoding::Json, &bytes, &Limits::default());
    }
}
