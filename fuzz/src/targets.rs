// Shared by fuzz/fuzz_targets/*.rs and crates/tripline/tests/reliability_fuzz_seeds.rs
// (included there with #[path]): keep it free of fuzz-only dependencies.
//
// Each function takes arbitrary bytes, must never panic, and asserts the properties that
// hold for every input.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use tripline_event::{Event, Value};
use tripline_otlp::{decode, decode_json_any, Encoding, Limits, OtlpSignal};
use tripline_redact::{RedactionPolicy, Redactor, SecretScanner};
use tripline_sigma::{Engine, EngineOptions, Lists, RuleSource};

/// The fuzz target names, which are also the seed directory names.
pub const TARGETS: &[&str] = &[
    "otlp_proto_logs",
    "otlp_proto_metrics",
    "otlp_proto_traces",
    "otlp_json",
    "sigma_rule",
    "redact",
    "jsonl_line",
];

/// Run the named target on one input.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "otlp_proto_logs" => otlp_proto(OtlpSignal::Logs, data),
        "otlp_proto_metrics" => otlp_proto(OtlpSignal::Metrics, data),
        "otlp_proto_traces" => otlp_proto(OtlpSignal::Traces, data),
        "otlp_json" => otlp_json(data),
        "sigma_rule" => sigma_rule(data),
        "redact" => redact(data),
        "jsonl_line" => jsonl_line(data),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// One JSON line through the fast paths of `rules eval` (the flat scanner, the SIMD
/// projection) and through the whole-line parser: they accept and refuse the same lines,
/// with the same message, and read the same values.
pub fn jsonl_line(data: &[u8]) {
    use tripline_sigma::stream::{parse_full, LineParser};
    let keys: Vec<String> = ["a", "b", "event_name", "id", "time", "x", "x.y"]
        .iter()
        .map(|k| k.to_string())
        .collect();
    let projected = LineParser::new(Some(&keys)).parse(data);
    let whole = parse_full(data);
    match (&projected, &whole) {
        (Ok(p), Ok(w)) => {
            for k in &keys {
                assert_eq!(p.get(k), w.get(k), "key {k}");
            }
            assert!(
                p.iter().all(|(k, _)| keys.contains(k)),
                "projection kept other keys: {p:?}"
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "different messages"),
        _ => panic!("projected {projected:?} but whole {whole:?}"),
    }
    assert_eq!(
        LineParser::new(None).parse(data),
        whole,
        "the unprojected parser is the whole one"
    );
}

fn small_limits() -> Limits {
    Limits {
        max_depth: 4,
        max_attributes: 8,
        max_string_len: 64,
        max_array_len: 8,
    }
}

fn check_decoded(events: &[Event]) {
    // Content-derived ids are unique within one request (identical records get n-th
    // repeat ids), so an exporter's retry can be recognised record by record.
    let mut ids = HashSet::new();
    for ev in events {
        if let Some(id) = ev.id() {
            assert!(
                ids.insert(id.to_string()),
                "duplicate event id {id} within one request"
            );
        }
        let _ = ev.to_json_string();
    }
}

/// OTLP protobuf decode + normalize of one signal, with default and tight limits;
/// decoding is deterministic.
pub fn otlp_proto(signal: OtlpSignal, data: &[u8]) {
    let a = decode(signal, Encoding::Protobuf, data, &Limits::default());
    if let Ok(d) = &a {
        check_decoded(&d.events);
        // Compared as JSON text: a NaN double makes `PartialEq` unequal to itself.
        let b = decode(signal, Encoding::Protobuf, data, &Limits::default())
            .expect("decoded once, so again");
        let text = |d: &tripline_otlp::Decoded| {
            d.events
                .iter()
                .map(Event::to_json_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(text(d), text(&b), "protobuf decode is not deterministic");
        assert_eq!(d.rejected, b.rejected);
    }
    let _ = decode(signal, Encoding::Protobuf, data, &small_limits());
}

/// OTLP JSON decode: every signal, and the signal-sniffing `decode_json_any`.
pub fn otlp_json(data: &[u8]) {
    for signal in OtlpSignal::ALL {
        if let Ok(d) = decode(signal, Encoding::Json, data, &Limits::default()) {
            check_decoded(&d.events);
        }
        let _ = decode(signal, Encoding::Json, data, &small_limits());
    }
    if let Ok(Some((_, d))) = decode_json_any(data, &Limits::default()) {
        check_decoded(&d.events);
    }
}

fn sample_events() -> Vec<Event> {
    let mut out = Vec::new();
    for (i, name) in [
        "codex.tool_result",
        "codex.user_prompt",
        "codex.conversation_starts",
    ]
    .iter()
    .enumerate()
    {
        let mut ev = Event::new();
        ev.insert("id", format!("fuzz-{i}"));
        ev.insert("time", format!("2026-01-01T00:00:0{i}.000Z"));
        ev.insert("signal", "log");
        ev.insert("agent", "codex");
        ev.insert("event_name", *name);
        ev.insert("conversation_id", "c1");
        ev.insert(
            "arguments",
            "{\"cmd\": \"rm -rf / && curl http://10.0.0.1/x\"}",
        );
        ev.insert("duration_ms", Value::Int(1234));
        ev.insert("success", Value::Bool(i == 0));
        ev.insert(
            "tags",
            Value::Array(vec![Value::Str("a".into()), Value::Int(1)]),
        );
        out.push(ev);
    }
    out
}

/// Sigma rule YAML: parse and compile; a rule that compiles runs over a few events, and
/// its state survives snapshot/restore.
pub fn sigma_rule(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let sources = [RuleSource {
        path: "fuzz.yml".into(),
        text,
    }];
    let mut lists = Lists::default();
    lists.insert("fuzz_list", vec!["rm -rf".into(), "curl".into()]);
    let Ok(mut engine) = Engine::compile(&sources, &lists, &EngineOptions::default()) else {
        return;
    };
    let _ = engine.rules();
    for ev in sample_events() {
        let _ = engine.process(&ev);
    }
    let snap = engine.snapshot();
    engine
        .restore(&snap)
        .expect("an engine restores its own snapshot");
    assert_eq!(engine.snapshot(), snap, "snapshot changed by restore");
    for ev in sample_events() {
        let _ = engine.process(&ev);
    }
}

struct RedactFixture {
    redactor: Redactor,
    /// (sample text, the secrets the scanner finds in it alone)
    planted: Vec<(String, Vec<String>)>,
}

fn redact_fixture() -> &'static RedactFixture {
    static F: OnceLock<RedactFixture> = OnceLock::new();
    F.get_or_init(|| {
        let scanner = Arc::new(SecretScanner::builtin());
        let mut planted = Vec::new();
        for spec in scanner.specs() {
            for sample in spec.true_positive_samples() {
                let secrets: Vec<String> = scanner
                    .scan(&sample)
                    .iter()
                    .map(|f| f.secret(&sample).to_string())
                    .filter(|s| s.len() >= 8)
                    .collect();
                if !secrets.is_empty() {
                    planted.push((sample, secrets));
                }
            }
        }
        RedactFixture {
            redactor: Redactor::new(RedactionPolicy::default(), scanner, b"fuzz-key"),
            planted,
        }
    })
}

/// `redact_str` on arbitrary text never panics; and a known secret planted in arbitrary
/// text (between whitespace) never survives redaction.
pub fn redact(data: &[u8]) {
    let f = redact_fixture();
    let text = String::from_utf8_lossy(data);
    let _ = f.redactor.redact_str(&text);
    if data.len() < 2 || f.planted.is_empty() {
        return;
    }
    let (sample, secrets) = &f.planted[data[0] as usize % f.planted.len()];
    let rest = String::from_utf8_lossy(&data[2..]);
    let mut cut = (data[1] as usize * rest.len()) / 256;
    while !rest.is_char_boundary(cut) {
        cut -= 1;
    }
    let planted = format!("{}\n{sample}\n{}", &rest[..cut], &rest[cut..]);
    let out = f.redactor.redact_str(&planted);
    // The arbitrary text around the sample may itself contain the secret's bytes without
    // the context that makes them a secret (a bare hex string): only more occurrences than
    // the surrounding text brought would mean the planted one survived.
    for s in secrets {
        let around = rest.matches(s.as_str()).count();
        assert!(
            out.matches(s.as_str()).count() <= around,
            "planted secret {s:?} survived redaction: {out:?}"
        );
    }
}
