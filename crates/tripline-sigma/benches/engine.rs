//! Engine throughput on pre-parsed Codex-shaped events with a handful of typical rules.
// `criterion_group!` defines a public function this bench cannot document.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tripline_event::Event;
use tripline_sigma::{Engine, EngineOptions, Lists, RuleSource};

const RULES: &str = r#"
title: shell denied
id: b1
name: shell_denied
detection:
    sel:
        event_name: codex.tool_decision
        decision: denied
    condition: sel
---
title: exfil prompt
id: b2
name: exfil_prompt
detection:
    sel:
        event_name: codex.user_prompt
        prompt|contains:
            - 'ignore previous instructions'
            - 'curl '
            - 'base64 -d'
            - '.ssh/id_'
    condition: sel
---
title: dangerous sandbox
id: b3
name: danger
detection:
    sel:
        event_name: codex.tool_result
        sandbox_policy: danger-full-access
        tool_name|startswith: shell
    filter:
        success: true
    condition: sel and not filter
---
title: slow tool
id: b4
name: slow_tool
detection:
    sel:
        event_name: codex.tool_result
        duration_ms|gt: 60000
    condition: sel
---
title: regex output
id: b5
name: secret_output
detection:
    sel:
        event_name: codex.tool_result
        output|re: 'AKIA[0-9A-Z]{16}'
    condition: sel
---
title: many denials
id: b6
name: many_denials
correlation:
    type: event_count
    rules: [shell_denied]
    group-by: [user_email]
    timespan: 5m
    condition:
        gte: 5
"#;

fn events(n: usize) -> Vec<Event> {
    let names = [
        "codex.tool_result",
        "codex.tool_decision",
        "codex.user_prompt",
        "codex.api_request",
        "codex.sse_event",
    ];
    (0..n)
        .map(|i| {
            let mut e = Event::new();
            e.insert("event_name", names[i % names.len()]);
            e.insert(
                "time",
                format!("2026-03-01T10:{:02}:{:02}Z", (i / 60) % 60, i % 60),
            );
            e.insert("user_email", format!("user{}@corp.example", i % 17));
            e.insert("conversation_id", format!("c-{}", i % 101));
            e.insert(
                "tool_name",
                if i % 3 == 0 { "shell" } else { "apply_patch" },
            );
            e.insert("decision", if i % 7 == 0 { "denied" } else { "approved" });
            e.insert(
                "sandbox_policy",
                if i % 11 == 0 {
                    "danger-full-access"
                } else {
                    "workspace-write"
                },
            );
            e.insert("duration_ms", (i as i64 * 37) % 90_000);
            e.insert("success", i % 5 != 0);
            e.insert(
                "prompt",
                format!("please refactor module {i} and run the tests"),
            );
            e.insert("output", format!("{i} files changed, 3 insertions"));
            e
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let src = [RuleSource {
        path: "bench.yml".into(),
        text: RULES.into(),
    }];
    let evs = events(10_000);
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(evs.len() as u64));
    g.bench_function("process_10k_codex_events", |b| {
        b.iter(|| {
            let mut engine =
                match Engine::compile(&src, &Lists::default(), &EngineOptions::default()) {
                    Ok(e) => e,
                    Err(errs) => panic!("bench rules do not compile: {errs:?}"),
                };
            let mut n = 0usize;
            for e in &evs {
                n += engine.process(e).len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
