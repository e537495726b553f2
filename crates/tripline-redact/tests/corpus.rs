//! Corpus check against real agent OTLP captures, when they are available on this
//! machine (`TRIPLINE_CORPUS`, default `/work/shared/corpus`); skipped otherwise.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tripline_redact::{RedactionPolicy, Redactor, SecretScanner};

const NEEDLES: [&str; 2] = ["AKIAIOSFODNN7EXAMPLE", "BEGIN OPENSSH PRIVATE KEY"];

fn corpus_root() -> PathBuf {
    std::env::var_os("TRIPLINE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/corpus"))
}

fn decoded_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            decoded_files(&path, out);
        } else if path.to_string_lossy().ends_with(".decoded.json") {
            out.push(path);
        }
    }
}

fn strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        serde_json::Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

#[test]
fn corpus_secrets_never_survive_redaction() {
    let root = corpus_root();
    if !root.is_dir() {
        println!("skipped: no corpus at {}", root.display());
        return;
    }
    let mut files = Vec::new();
    decoded_files(&root, &mut files);
    let redactor = Redactor::new(
        RedactionPolicy::default(),
        Arc::new(SecretScanner::builtin()),
        b"corpus test key",
    );
    let mut checked = 0;
    let mut fired = tripline_redact::RedactionReport::default();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let mut all = Vec::new();
        strings(&json, &mut all);
        for s in &all {
            // Every corpus string goes through the scanner: no panic, and the report
            // below shows what fires on ordinary telemetry.
            redactor.redact_str_counted(s, &mut fired);
        }
        for s in all
            .into_iter()
            .filter(|s| NEEDLES.iter().any(|n| s.contains(n)))
        {
            let out = redactor.redact_str(s);
            for needle in NEEDLES {
                assert!(
                    !out.contains(needle),
                    "{}: {needle} survived in {out:?}",
                    file.display()
                );
            }
            checked += 1;
        }
    }
    println!("checked {checked} corpus strings in {} files", files.len());
    println!(
        "detectors firing over all corpus strings: {:?}",
        fired.secrets
    );
    assert!(
        !files.is_empty(),
        "corpus present but no .decoded.json files"
    );
    assert!(
        checked > 0,
        "corpus present but no string carries a planted secret"
    );
}
