//! Scan files with the built-in detectors and print, per file, which detectors fired
//! and how often (never the secrets). Useful to look for noisy detectors:
//!
//! `cargo run -p tripline-redact --example scan -- FILE...`

use std::collections::BTreeMap;

use tripline_redact::SecretScanner;

fn main() {
    let scanner = SecretScanner::builtin();
    let mut total: BTreeMap<String, u64> = BTreeMap::new();
    for path in std::env::args().skip(1) {
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("{path}: unreadable");
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for f in scanner.scan(&text) {
            let line = text[..f.start].matches('\n').count() + 1;
            println!(
                "{path}:{line}: {} ({} bytes, {})",
                f.detector,
                f.end - f.start,
                f.confidence.as_str()
            );
            *total.entry(f.detector.to_string()).or_default() += 1;
        }
    }
    for (id, n) in total {
        eprintln!("{n:6} {id}");
    }
}
