//! Redaction throughput on tool-output-shaped text versus a plain `regex::RegexSet` scan
//! of the same text with the same regexes.
//!
//! `cargo bench -p tripline-redact --bench redact`
//!
//! The text is cut into 4 KiB chunks (about one Codex tool-output preview each) and
//! every benchmark processes every chunk:
//! * `redact_str`: full redaction (pre-filter, regexes, entropy, allow-lists, masks).
//! * `scan`: detection only (`SecretScanner::scan`).
//! * `regexset_matches`: `RegexSet::matches` over all detector regexes (which detectors
//!   match, no positions), the cheapest single-pass baseline.
//! * `regexset_then_find_iter`: `RegexSet::matches`, then `find_iter` of the regexes that
//!   matched (positions), the usual way to use a `RegexSet` for extraction.
//! * `regex_each_find_iter`: every detector regex's `find_iter` (positions, no
//!   pre-filter), what a scanner without the keyword pre-filter must do.
//!
//! Times are the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall time,
//! so other processes competing for the cores do not inflate them.
// `criterion_group!` defines a public function this bench cannot document.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use regex::{Regex, RegexSetBuilder};
use tripline_redact::{RedactionPolicy, Redactor, SecretScanner};

/// Deterministic pseudo-random numbers (no RNG dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

const WORDS: &[&str] = &[
    "src",
    "main",
    "lib",
    "test",
    "config",
    "build",
    "target",
    "node_modules",
    "index",
    "utils",
    "handler",
    "server",
    "client",
    "request",
    "response",
    "error",
    "value",
    "items",
    "cache",
];

fn shell_listing(r: &mut Lcg, out: &mut String) {
    out.push_str("$ ls -la\ntotal 128\n");
    for _ in 0..12 {
        let size = r.next() % 100_000;
        let name = r.pick(WORDS);
        let ext = r.pick(&["rs", "ts", "json", "md", "toml", "py", "lock"]);
        out.push_str(&format!(
            "-rw-r--r--  1 dev staff {size:>7} Nov 23 20:{:02} {name}.{ext}\n",
            r.next() % 60
        ));
    }
}

fn diff(r: &mut Lcg, out: &mut String) {
    let file = r.pick(WORDS);
    out.push_str(&format!(
        "diff --git a/src/{file}.rs b/src/{file}.rs\nindex 3f2a1b9..8c7d6e5 100644\n--- a/src/{file}.rs\n+++ b/src/{file}.rs\n@@ -10,7 +10,9 @@ impl Handler {{\n"
    ));
    for _ in 0..8 {
        let a = r.pick(WORDS);
        let b = r.pick(WORDS);
        let sign = r.pick(&[" ", "+", "-"]);
        out.push_str(&format!(
            "{sign}    let {a} = self.{b}.get(&key).map(|v| v.len()).unwrap_or(0);\n"
        ));
    }
}

fn json_doc(r: &mut Lcg, out: &mut String) {
    out.push_str("{\"name\":\"demo\",\"version\":\"1.4.2\",\"dependencies\":{");
    for i in 0..8 {
        out.push_str(&format!(
            "\"{}-{i}\":\"^{}.{}.0\",",
            r.pick(WORDS),
            r.next() % 9,
            r.next() % 20
        ));
    }
    out.push_str("\"x\":\"1\"},\"scripts\":{\"build\":\"tsc -p .\",\"test\":\"vitest run\"}}\n");
}

fn log_lines(r: &mut Lcg, out: &mut String) {
    for _ in 0..6 {
        out.push_str(&format!(
            "2026-11-23T20:{:02}:{:02}Z INFO {} request_id={:016x} status=200 duration_ms={}\n",
            r.next() % 60,
            r.next() % 60,
            r.pick(WORDS),
            r.next(),
            r.next() % 900
        ));
    }
}

/// About `bytes` of tool-output-shaped text with a secret every ~16 KiB.
fn tool_output(bytes: usize, secrets: &[String]) -> String {
    let mut r = Lcg(42);
    let mut out = String::with_capacity(bytes + 4096);
    let mut next_secret = 0;
    while out.len() < bytes {
        match r.next() % 4 {
            0 => shell_listing(&mut r, &mut out),
            1 => diff(&mut r, &mut out),
            2 => json_doc(&mut r, &mut out),
            _ => log_lines(&mut r, &mut out),
        }
        if out.len() / 16_384 >= next_secret && !secrets.is_empty() {
            out.push_str(&secrets[next_secret % secrets.len()]);
            out.push('\n');
            next_secret += 1;
        }
    }
    out
}

/// CPU time consumed so far by the calling thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes into it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Run `routine` `iters` times and return the thread CPU time it took.
fn cpu_timed(iters: u64, mut routine: impl FnMut()) -> Duration {
    let start = thread_cpu_time();
    for _ in 0..iters {
        routine();
    }
    thread_cpu_time().saturating_sub(start)
}

fn chunks(text: &str, size: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + size).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    out
}

fn bench(c: &mut Criterion) {
    let scanner = Arc::new(SecretScanner::builtin());
    let secrets: Vec<String> = scanner
        .specs()
        .iter()
        .filter_map(|s| s.true_positive_samples().into_iter().next())
        .collect();
    let text = tool_output(1 << 20, &secrets);
    let parts = chunks(&text, 4096);
    let redactor = Redactor::new(
        RedactionPolicy::default(),
        Arc::clone(&scanner),
        b"bench key",
    );
    let patterns = scanner.patterns();
    let set = RegexSetBuilder::new(&patterns)
        .size_limit(1 << 30)
        .dfa_size_limit(1 << 30)
        .build()
        .expect("regex set compiles");
    let each: Vec<Regex> = patterns
        .iter()
        .map(|p| Regex::new(p).expect("regex"))
        .collect();

    let masked = parts.iter().filter(|p| !scanner.scan(p).is_empty()).count();
    eprintln!(
        "input: {} bytes in {} chunks, {masked} chunks with a secret, {} regexes",
        text.len(),
        parts.len(),
        patterns.len()
    );
    let mut g = c.benchmark_group("tool_output_1MiB");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);
    g.bench_function("redact_str", |b| {
        b.iter_custom(|iters| {
            cpu_timed(iters, || {
                for p in &parts {
                    black_box(redactor.redact_str(black_box(p)));
                }
            })
        })
    });
    g.bench_function("scan", |b| {
        b.iter_custom(|iters| {
            cpu_timed(iters, || {
                for p in &parts {
                    black_box(scanner.scan(black_box(p)));
                }
            })
        })
    });
    g.bench_function("regexset_matches", |b| {
        b.iter_custom(|iters| {
            cpu_timed(iters, || {
                for p in &parts {
                    black_box(set.matches(black_box(p)));
                }
            })
        })
    });
    g.bench_function("regexset_then_find_iter", |b| {
        b.iter_custom(|iters| {
            cpu_timed(iters, || {
                for p in &parts {
                    for i in set.matches(black_box(p)).iter() {
                        black_box(each[i].find_iter(p).count());
                    }
                }
            })
        })
    });
    g.bench_function("regex_each_find_iter", |b| {
        b.iter_custom(|iters| {
            cpu_timed(iters, || {
                for p in &parts {
                    for re in &each {
                        black_box(re.find_iter(black_box(p)).count());
                    }
                }
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
