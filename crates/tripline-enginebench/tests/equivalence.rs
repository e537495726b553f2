//! The fast path and the N-thread path give exactly the single-threaded, line-by-line
//! results: same outputs, same order, same lines, same alerts (ids, groups, evidence).

use std::collections::BTreeSet;
use std::path::PathBuf;

use tripline_enginebench::gen::{GenSpec, Generator};
use tripline_enginebench::measure::{compile, load_rules};
use tripline_sigma::stream::{self, StreamOptions};
use tripline_sigma::{Output, RuleSource};

fn pack() -> Vec<RuleSource> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../benches/engine/pack");
    load_rules(&[root.join("sigma"), root.join("tripline")]).unwrap()
}

fn record(o: &Output, lines: &[u64]) -> String {
    format!(
        "{:?} {} {:?} {}",
        o.kind,
        o.rule_id,
        lines,
        serde_json::to_string(&o.alert).unwrap()
    )
}

/// The reference: every line parsed whole the plain way (`serde_json::Value`, then
/// `Event::from_json_object`), `Engine::process` one event at a time.
fn reference(sources: &[RuleSource], text: &str) -> Vec<String> {
    let mut engine = compile(sources).unwrap();
    let mut line_of = Vec::new();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let serde_json::Value::Object(o) = serde_json::from_str(line).unwrap() else {
            panic!("line {n} is not an object")
        };
        let ev = tripline_event::Event::from_json_object(o);
        line_of.push(n as u64);
        for o in engine.process(&ev) {
            let lines: Vec<u64> = o.seqs.iter().map(|s| line_of[*s as usize]).collect();
            out.push(record(&o, &lines));
        }
    }
    out
}

fn streamed(sources: &[RuleSource], text: &str, opts: StreamOptions) -> Vec<String> {
    let mut engine = compile(sources).unwrap();
    let mut out = Vec::new();
    stream::run_jsonl(&mut engine, text.as_bytes(), opts, |o, lines| {
        out.push(record(o, lines));
        Ok(())
    })
    .unwrap();
    out
}

#[test]
fn one_thread_many_threads_projected_and_whole_agree_on_20k_events() {
    let sources = pack();
    let mut text = String::new();
    for (i, line) in Generator::new(GenSpec {
        seed: 20_000,
        events: 20_000,
    })
    .enumerate()
    {
        text.push_str(&line);
        text.push('\n');
        if i % 997 == 0 {
            text.push_str("  \n"); // blank lines are counted but skipped
        }
    }
    let want = reference(&sources, &text);
    // every kind of rule in the pack fires, so the comparison means something
    let fired: BTreeSet<&str> = want.iter().filter_map(|r| r.split(' ').nth(1)).collect();
    for id in [
        "0b6a3c1e-5d1f-4f0e-9a51-1c2f7d0e0001", // detection, equality
        "0b6a3c1e-5d1f-4f0e-9a51-1c2f7d0e0007", // keyword search
        "0b6a3c1e-5d1f-4f0e-9a51-1c2f7d0e0101", // event_count
        "0b6a3c1e-5d1f-4f0e-9a51-1c2f7d0e0102", // value_count
        "0b6a3c1e-5d1f-4f0e-9a51-1c2f7d0e0103", // temporal
        "0b6a3c1e-5d1f-4f0e-9a51-1c2f7d0e0201", // first_seen
    ] {
        assert!(
            fired.contains(id),
            "rule {id} never fired on the seeded input"
        );
    }
    for threads in [1, 2, 4] {
        for projected in [true, false] {
            for chunk_bytes in [1 << 20, 40_000] {
                let opts = StreamOptions {
                    threads,
                    projected,
                    chunk_bytes,
                };
                let got = streamed(&sources, &text, opts);
                assert_eq!(got.len(), want.len(), "{opts:?}: output count");
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(g, w, "{opts:?}: output {i} differs");
                }
            }
        }
    }
    // pre-parsed events, 1 and 3 threads
    let events: Vec<_> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            std::sync::Arc::new(tripline_sigma::Evidence::parsed(
                stream::parse_full(l.as_bytes()).unwrap(),
            ))
        })
        .collect();
    let line_of: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, _)| n as u64)
        .collect();
    for threads in [1, 3] {
        let mut engine = compile(&sources).unwrap();
        let mut got = Vec::new();
        stream::run_events(&mut engine, &events, threads, |o, idx| {
            let lines: Vec<u64> = idx.iter().map(|i| line_of[*i as usize]).collect();
            got.push(record(o, &lines));
            Ok(())
        })
        .unwrap();
        assert_eq!(got, want, "pre-parsed, {threads} threads");
    }
}

#[test]
fn a_bad_line_stops_after_the_outputs_before_it_on_any_thread_count() {
    let sources = pack();
    let good: Vec<String> = Generator::new(GenSpec {
        seed: 3,
        events: 3000,
    })
    .collect();
    let mut text = good[..2500].join("\n");
    text.push_str("\n{\"event_name\": \"codex.tool_result\", oops}\n");
    text.push_str(&good[2500..].join("\n"));
    let want = reference(&sources, &good[..2500].join("\n"));
    for threads in [1, 3] {
        let mut engine = compile(&sources).unwrap();
        let mut got = Vec::new();
        let opts = StreamOptions {
            threads,
            projected: true,
            chunk_bytes: 10_000,
        };
        let err = stream::run_jsonl(&mut engine, text.as_bytes(), opts, |o, lines| {
            got.push(record(o, lines));
            Ok(())
        })
        .unwrap_err();
        assert!(
            err.to_string().starts_with("line 2501: invalid JSON"),
            "{err}"
        );
        assert_eq!(got, want, "{threads} threads");
    }
}
