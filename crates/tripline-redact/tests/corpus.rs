//! Real agent telemetry through the redactor: every OTLP request body of the repo's copy of
//! the reference corpus (`tests/corpus/`: Codex CLI 0.169.0, Claude Code 2.1.328, Gemini CLI
//! 0.61.0) is decoded into events, and every event is redacted. The secrets planted in the
//! Codex scenario `e-log-user-prompt-secret` must not survive.

use std::path::PathBuf;
use std::sync::Arc;

use tripline_otlp::files::{self, InputKind, ReadOptions};
use tripline_redact::{RedactionPolicy, RedactionReport, Redactor, SecretScanner};

const NEEDLES: [&str; 2] = ["AKIAIOSFODNN7EXAMPLE", "BEGIN OPENSSH PRIVATE KEY"];

fn corpus_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

#[test]
fn corpus_secrets_never_survive_redaction() {
    let root = corpus_root();
    let opts = ReadOptions::default();
    let plan = files::plan(std::slice::from_ref(&root), &opts).expect("plan tests/corpus");
    let redactor = Redactor::new(
        RedactionPolicy::default(),
        Arc::new(SecretScanner::builtin()),
        b"corpus test key",
    );
    let mut events = 0u64;
    let mut planted = 0u64;
    let mut fired = RedactionReport::default();
    for f in plan
        .iter()
        .filter(|f| !matches!(f.kind, InputKind::Skip(_)))
    {
        files::read_file(f, &opts, &mut |mut ev| {
            events += 1;
            let raw = ev.to_json_string();
            let carries_needle = NEEDLES.iter().any(|n| raw.contains(n));
            // The scanner alone, on every string value: wherever a planted secret sits,
            // it is masked (and the report shows what fires on ordinary telemetry).
            for (field, value) in ev.iter() {
                let Some(text) = value.as_str() else { continue };
                let out = redactor.redact_str_counted(text, &mut fired);
                for needle in NEEDLES {
                    assert!(
                        !out.contains(needle),
                        "{} {field}: the scanner left {needle} in {out:?}",
                        f.path.display()
                    );
                }
            }
            // The whole event as it is stored.
            redactor.redact_event(&mut ev);
            let out = ev.to_json_string();
            for needle in NEEDLES {
                assert!(
                    !out.contains(needle),
                    "{}: {needle} survived redaction in {out}",
                    f.path.display()
                );
            }
            planted += u64::from(carries_needle);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }
    println!("redacted {events} corpus events, {planted} with a planted secret");
    println!("detectors firing over the corpus: {:?}", fired.secrets);
    assert!(
        events > 5_000,
        "only {events} events decoded from {}",
        root.display()
    );
    assert!(planted > 0, "no corpus event carries a planted secret");
    assert!(
        fired.total_secrets() > 0,
        "no detector fired on the planted secrets"
    );
}
