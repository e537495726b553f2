//! Per-match cost of a correlation whose one group already holds N matches inside one
//! timespan (N = 10, 1,000, 100,000), for each correlation type. The group is restored
//! from a snapshot (untimed), then the timed part feeds it further matches, each inside
//! the same timespan, and criterion reports the time per match.
// `criterion_group!` defines a public function this bench cannot document.
#![allow(missing_docs)]

use chrono::{DateTime, SecondsFormat, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use serde_json::json;
use tripline_event::Event;
use tripline_sigma::{Engine, EngineOptions, Lists, RuleSource};

/// 2026-03-01T10:00:00Z
const T0: i64 = 1_772_359_200_000_000_000;
/// one match per microsecond: 100,000 matches span 0.1 s of a one-hour timespan
const STEP_NS: i64 = 1_000;
const RULES: usize = 3;

const DETECTIONS: &str = r#"
title: m0
id: m0
name: m0
detection:
    sel:
        event_name: step0
    condition: sel
---
title: m1
id: m1
name: m1
detection:
    sel:
        event_name: step1
    condition: sel
---
title: m2
id: m2
name: m2
detection:
    sel:
        event_name: step2
    condition: sel
"#;

/// (type, the `rules:` and `condition:` lines): conditions that hold from the first
/// matches on, so the timed matches check the window without firing again
const TYPES: [(&str, &str); 6] = [
    ("event_count", "rules: [m0]\n    condition:\n        gte: 1"),
    (
        "value_count",
        "rules: [m0]\n    condition:\n        field: v\n        gte: 1",
    ),
    (
        "value_sum",
        "rules: [m0]\n    condition:\n        field: n\n        gte: 1",
    ),
    (
        "value_avg",
        "rules: [m0]\n    condition:\n        field: n\n        gte: 1",
    ),
    ("temporal", "rules: [m0, m1, m2]"),
    ("temporal_ordered", "rules: [m0, m1, m2]"),
];

fn engine(ctype: &str, body: &str) -> Engine {
    let corr = format!(
        "title: c\nid: c\nname: c\ncorrelation:\n    type: {ctype}\n    {body}\n    group-by: [user]\n    timespan: 1h\n"
    );
    let src = [RuleSource {
        path: "bench.yml".into(),
        text: format!("{DETECTIONS}---\n{corr}"),
    }];
    match Engine::compile(&src, &Lists::default(), &EngineOptions::default()) {
        Ok(e) => e,
        Err(errs) => panic!("bench rules do not compile: {errs:?}"),
    }
}

/// The rule position and values of match `i` (temporal types cycle through the rules).
fn shape(ctype: &str, i: usize) -> (usize, String, i64) {
    let rule = if ctype.starts_with("temporal") {
        i % RULES
    } else {
        0
    };
    (rule, format!("Value{}", i % 1000), 1 + (i % 7) as i64)
}

/// A snapshot whose one group holds `n` matches, the condition holding.
fn snapshot(ctype: &str, n: usize) -> Vec<u8> {
    let field = match ctype {
        "value_count" => Some("v"),
        "value_sum" | "value_avg" => Some("n"),
        _ => None,
    };
    let entries: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let (rule, v, num) = shape(ctype, i);
            let mut e = json!({
                "t": T0 + i as i64 * STEP_NS,
                "rule": rule,
                "seqs": [i],
                "event_ids": [format!("e{i}")],
            });
            match field {
                Some("v") => e["value"] = json!(v),
                Some(_) => e["value"] = json!(num),
                None => {}
            }
            e
        })
        .collect();
    let state = json!({
        "version": 1,
        "seq": n,
        "watermark_ns": T0 + (n as i64 - 1) * STEP_NS,
        "corr": {"c": {"alice\u{1f}": {
            "group": {"user": "alice"},
            "entries": entries,
            "holding": true,
        }}},
        "first_seen": {},
        "suppress": {},
        "late_dropped": 0,
    });
    serde_json::to_vec(&state).expect("serializes")
}

/// Matches `from..from + k` as events.
fn events(ctype: &str, from: usize, k: usize) -> Vec<Event> {
    (from..from + k)
        .map(|i| {
            let (rule, v, num) = shape(ctype, i);
            let t = T0 + i as i64 * STEP_NS;
            let mut e = Event::new();
            e.insert("event_name", format!("step{rule}"));
            e.insert(
                "time",
                DateTime::<Utc>::from_timestamp_nanos(t)
                    .to_rfc3339_opts(SecondsFormat::Nanos, true),
            );
            e.insert("id", format!("e{i}"));
            e.insert("user", "alice");
            e.insert("v", v);
            e.insert("n", num);
            e
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("correlation");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    for (ctype, body) in TYPES {
        for n in [10usize, 1_000, 100_000] {
            // matches timed per iteration; the first one after the restore is untimed
            let k = n.min(100);
            let snap = snapshot(ctype, n);
            let warm = events(ctype, n, 1);
            let timed = events(ctype, n + 1, k);
            g.throughput(Throughput::Elements(k as u64));
            g.bench_function(format!("{ctype}/{n}"), |b| {
                b.iter_batched(
                    || {
                        let mut e = engine(ctype, body);
                        e.track_changes(false);
                        if let Err(err) = e.restore(&snap) {
                            panic!("bench snapshot does not restore: {err}");
                        }
                        let fired: usize = warm.iter().map(|ev| e.process(ev).len()).sum();
                        assert_eq!(fired, 0, "{ctype}/{n}: the condition already held");
                        e
                    },
                    |mut e| {
                        let mut out = 0usize;
                        for ev in &timed {
                            out += e.process(ev).len();
                        }
                        assert_eq!(out, 0, "{ctype}/{n}: a timed match fired");
                        e
                    },
                    BatchSize::PerIteration,
                )
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
