//! Every fuzz target's seed corpus (`fuzz/seeds/<target>/`) run as an ordinary test,
//! through the same functions the cargo-fuzz targets call (`fuzz/src/targets.rs`), so a
//! regression input committed there is checked on every `cargo nextest run`.

#[path = "../../../fuzz/src/targets.rs"]
mod targets;

use std::path::PathBuf;

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let data = std::fs::read(&p).unwrap();
            (p, data)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

fn run_corpus(target: &str) {
    for (path, data) in seeds(target) {
        let r = std::panic::catch_unwind(|| targets::run(target, &data));
        assert!(
            r.is_ok(),
            "fuzz target {target} panicked on seed {}",
            path.display()
        );
    }
}

#[test]
fn seeds_otlp_proto_logs() {
    run_corpus("otlp_proto_logs");
}

#[test]
fn seeds_otlp_proto_metrics() {
    run_corpus("otlp_proto_metrics");
}

#[test]
fn seeds_otlp_proto_traces() {
    run_corpus("otlp_proto_traces");
}

#[test]
fn seeds_otlp_json() {
    run_corpus("otlp_json");
}

#[test]
fn seeds_sigma_rule() {
    run_corpus("sigma_rule");
}

#[test]
fn seeds_jsonl_line() {
    run_corpus("jsonl_line");
}

#[test]
fn seeds_redact() {
    run_corpus("redact");
}

#[test]
fn every_target_has_a_seed_directory() {
    for t in targets::TARGETS {
        assert!(!seeds(t).is_empty());
    }
}

/// The seeds are not trivially rejected: the real Codex captures decode to events, and the
/// rule seeds compile (otherwise the targets would only exercise error paths).
#[test]
fn seeds_reach_past_the_parsers() {
    use tripline_otlp::{decode, Encoding, Limits, OtlpSignal};
    for (t, signal) in [
        ("otlp_proto_logs", OtlpSignal::Logs),
        ("otlp_proto_metrics", OtlpSignal::Metrics),
        ("otlp_proto_traces", OtlpSignal::Traces),
    ] {
        let decoded: usize = seeds(t)
            .iter()
            .filter_map(|(_, d)| decode(signal, Encoding::Protobuf, d, &Limits::default()).ok())
            .map(|d| d.events.len())
            .sum();
        assert!(decoded > 0, "no {t} seed decodes to an event");
    }
    let compiled = seeds("sigma_rule")
        .iter()
        .filter(|(p, d)| {
            let src = tripline_sigma::RuleSource {
                path: p.display().to_string(),
                text: String::from_utf8_lossy(d).into(),
            };
            let mut lists = tripline_sigma::Lists::default();
            lists.insert("fuzz_list", vec!["x".into()]);
            tripline_sigma::Engine::compile(
                &[src],
                &lists,
                &tripline_sigma::EngineOptions::default(),
            )
            .is_ok()
        })
        .count();
    assert!(compiled > 0, "no sigma_rule seed compiles");
}

/// The replay above covers every cargo-fuzz target: each `[[bin]]` of `fuzz/Cargo.toml` is
/// in `targets::TARGETS` (and so has a seed test), and its source calls the target body of
/// the same name.
#[test]
fn every_cargo_fuzz_target_is_replayed() {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(fuzz.join("Cargo.toml")).unwrap()).unwrap();
    let mut bins: Vec<(String, String)> = manifest["bin"]
        .as_array()
        .expect("fuzz/Cargo.toml has [[bin]] targets")
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap().to_string(),
                b["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    bins.sort();
    let mut names: Vec<&str> = bins.iter().map(|(n, _)| n.as_str()).collect();
    let mut listed = targets::TARGETS.to_vec();
    names.sort();
    listed.sort();
    assert_eq!(names, listed, "fuzz/Cargo.toml targets vs targets::TARGETS");
    for (name, path) in &bins {
        let src = std::fs::read_to_string(fuzz.join(path)).unwrap();
        assert!(
            src.contains(&format!("targets::run(\"{name}\"")),
            "{path} does not run target {name}"
        );
    }
}
