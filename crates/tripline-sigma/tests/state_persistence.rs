//! Incremental state persistence: deltas name only the entries a batch touched, restoring
//! from entries equals restoring from a full snapshot and equals never having stopped, and
//! the caps on groups and learned values evict deterministically.

use std::collections::BTreeMap;

use tripline_event::Event;
use tripline_sigma::{Engine, EngineOptions, EntryKey, Lists, Output, RuleSource};

const RULES: &str = r#"
title: denied
id: r-denied
name: denied
detection:
    sel:
        event_name: codex.tool_decision
        decision: denied
    condition: sel
---
title: tool
id: r-tool
name: tool
detection:
    sel: {event_name: codex.tool_result}
    condition: sel
---
title: many denials
id: r-many
name: many_denials
correlation:
    type: event_count
    rules: [denied]
    group-by: [user_email]
    timespan: 5m
    condition:
        gte: 3
suppress:
    window: 3m
    by: [user_email]
---
title: many tools
id: r-tools
name: many_tools
correlation:
    type: value_count
    rules: [tool]
    group-by: [user_email]
    timespan: 10m
    condition:
        field: tool_name
        gte: 3
---
title: denied then tool
id: r-then
name: denied_then_tool
correlation:
    type: temporal_ordered
    rules: [denied, tool]
    group-by: [user_email]
    timespan: 2m
---
title: new tool for user
id: r-fs
name: new_tool
correlation:
    type: first_seen
    rules: [tool]
    fields: [tool_name]
    group-by: [user_email]
    learning_period: 20m
"#;

fn engine(opts: &EngineOptions) -> Engine {
    let src = [RuleSource {
        path: "t.yml".into(),
        text: RULES.into(),
    }];
    Engine::compile(&src, &Lists::default(), opts).unwrap_or_else(|errs| {
        panic!(
            "{}",
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn opts() -> EngineOptions {
    EngineOptions {
        allowed_lateness_ns: 60_000_000_000,
        ..EngineOptions::default()
    }
}

fn ev(json: serde_json::Value) -> Event {
    match json {
        serde_json::Value::Object(o) => Event::from_json_object(o),
        other => panic!("bad test event {other:?}"),
    }
}

fn at(sec: i64) -> String {
    let t = chrono::DateTime::from_timestamp(1_772_000_000 + sec, 0).expect("time");
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn denied(user: &str, sec: i64, id: u64) -> Event {
    ev(
        serde_json::json!({"event_name": "codex.tool_decision", "decision": "denied",
        "user_email": user, "time": at(sec), "id": format!("e{id}")}),
    )
}

fn tool(user: &str, name: &str, sec: i64, id: u64) -> Event {
    ev(
        serde_json::json!({"event_name": "codex.tool_result", "tool_name": name,
        "user_email": user, "time": at(sec), "id": format!("e{id}")}),
    )
}

/// A seeded stream in batches: five users, two event kinds, six tools, time moving on by
/// 0-90 s with some events up to 2 min late (lateness is 1 min, so some are dropped).
fn stream(seed: u64, events: usize) -> Vec<Vec<Event>> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut t = 0i64;
    let mut batches = Vec::new();
    let mut id = 0u64;
    while id < events as u64 {
        let size = 1 + next(8) as usize;
        let mut batch = Vec::new();
        for _ in 0..size {
            t += next(90) as i64;
            let when = if next(10) == 0 {
                t - next(120) as i64
            } else {
                t
            };
            let user = ["a", "b", "c", "d", "e"][next(5) as usize];
            id += 1;
            batch.push(if next(2) == 0 {
                denied(user, when, id)
            } else {
                let name = ["shell", "web", "curl", "apply_patch", "read", "mcp"][next(6) as usize];
                tool(user, name, when, id)
            });
        }
        batches.push(batch);
    }
    batches
}

/// What the pipeline does per batch: process, move the watermark, commit the delta.
fn run_batch(
    e: &mut Engine,
    batch: &[Event],
    store: &mut BTreeMap<String, Vec<u8>>,
) -> Vec<Output> {
    let out: Vec<Output> = batch.iter().flat_map(|ev| e.process(ev)).collect();
    if let Some(wm) = e.watermark() {
        e.advance_watermark(wm);
    }
    let delta = e.state_delta();
    for k in delta.removals {
        store.remove(&k);
    }
    store.extend(delta.upserts);
    e.mark_committed();
    out
}

#[test]
fn crash_restore_from_entries_equals_uninterrupted_and_full_snapshot() {
    for seed in 1..=12u64 {
        let batches = stream(seed, 400);
        let mut whole = engine(&opts());
        let mut ignored = BTreeMap::new();
        let all: Vec<Output> = batches
            .iter()
            .flat_map(|b| run_batch(&mut whole, b, &mut ignored))
            .collect();
        assert!(
            !all.is_empty(),
            "seed {seed}: the stream fires nothing; the test would prove little"
        );

        for crash in [1, batches.len() / 3, batches.len() / 2, batches.len() - 1] {
            let mut first = engine(&opts());
            let mut store = BTreeMap::new();
            let mut split: Vec<Output> = batches[..crash]
                .iter()
                .flat_map(|b| run_batch(&mut first, b, &mut store))
                .collect();
            // The store holds exactly the state's entries (windows trimmed in memory but
            // not touched keep their older entries there until restore trims them).
            let keys: Vec<String> = first.state_entries().into_iter().map(|(k, _)| k).collect();
            let stored: Vec<&String> = store.keys().collect();
            let extra: Vec<_> = stored.iter().filter(|k| !keys.contains(k)).collect();
            let missing: Vec<_> = keys.iter().filter(|k| !store.contains_key(*k)).collect();
            assert!(
                extra.is_empty() && missing.is_empty(),
                "seed {seed} crash {crash}: store keys drifted from the state: extra {extra:?}, missing {missing:?}"
            );

            let mut from_entries = engine(&opts());
            from_entries
                .restore_entries(store.values())
                .expect("restore from entries");
            let mut from_snapshot = engine(&opts());
            from_snapshot
                .restore(&first.snapshot())
                .expect("restore from snapshot");
            assert!(
                from_entries.snapshot() == from_snapshot.snapshot(),
                "seed {seed} crash {crash}: restore from entries != restore from snapshot"
            );
            assert!(
                from_entries.state_delta().is_empty(),
                "seed {seed} crash {crash}: a restored engine has nothing to write"
            );
            split.extend(
                batches[crash..]
                    .iter()
                    .flat_map(|b| run_batch(&mut from_entries, b, &mut store)),
            );
            assert!(all == split, "seed {seed} crash {crash}: outputs differ");
            assert!(
                whole.snapshot() == from_entries.snapshot(),
                "seed {seed} crash {crash}: final state differs"
            );
        }
    }
}

#[test]
fn delta_names_only_the_groups_a_batch_touched() {
    let mut e = engine(&opts());
    let mut store = BTreeMap::new();
    run_batch(
        &mut e,
        &[
            denied("a", 0, 1),
            denied("b", 1, 2),
            tool("b", "shell", 2, 3),
        ],
        &mut store,
    );
    let delta_keys = |e: &mut Engine, batch: &[Event]| {
        for ev in batch {
            e.process(ev);
        }
        let d = e.state_delta();
        let keys: Vec<String> = d.upserts.iter().map(|(k, _)| k.clone()).collect();
        e.mark_committed();
        (keys, d.removals)
    };
    let (keys, removals) = delta_keys(&mut e, &[denied("a", 10, 4)]);
    let w = |rule: &str, user: &str| {
        EntryKey::Window {
            rule: rule.into(),
            group: format!("{user}\u{1f}"),
        }
        .encode()
    };
    // matches are stored in 10 s chunks of event time: second 0 and second 10 differ
    let c = |rule: &str, user: &str, sec: i64| {
        let chunk = (1_772_000_000 + sec) / 10;
        EntryKey::Chunk {
            rule: rule.into(),
            group: format!("{user}\u{1f}"),
            chunk,
        }
        .encode()
    };
    let mut expected = vec![
        EntryKey::Meta.encode(),
        w("r-many", "a"),
        c("r-many", "a", 10),
        w("r-then", "a"),
        c("r-then", "a", 10),
    ];
    expected.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, expected);
    assert!(removals.is_empty());
    // An event no rule matches moves only the meta entry (sequence, watermark).
    let (keys, _) = delta_keys(
        &mut e,
        &[ev(
            serde_json::json!({"event_name": "other", "time": at(11)}),
        )],
    );
    assert_eq!(keys, vec![EntryKey::Meta.encode()]);
    // Nothing happened: nothing to write.
    assert!(e.state_delta().is_empty());
    // A watermark far ahead expires every window entry and suppression. Groups go, except
    // the one whose condition held (r-then for user b): it keeps its empty window, the
    // flag that stops its next match from firing again, so its header is rewritten.
    e.advance_watermark(1_772_000_000_000_000_000 + 3_600_000_000_000);
    let d = e.state_delta();
    let mut upserted: Vec<String> = d.upserts.iter().map(|(k, _)| k.clone()).collect();
    upserted.sort();
    let mut kept = vec![EntryKey::Meta.encode(), w("r-then", "b")];
    kept.sort();
    assert_eq!(upserted, kept, "{:?}", d.upserts);
    let mut removed = d.removals.clone();
    removed.sort();
    let mut gone = vec![
        w("r-many", "a"),
        c("r-many", "a", 0),
        c("r-many", "a", 10),
        w("r-many", "b"),
        c("r-many", "b", 0),
        w("r-then", "a"),
        c("r-then", "a", 0),
        c("r-then", "a", 10),
        c("r-then", "b", 0),
        w("r-tools", "b"),
        c("r-tools", "b", 0),
    ];
    gone.sort();
    assert_eq!(removed, gone);
    // first-seen values are never expired by time
    assert!(e
        .state_entries()
        .iter()
        .any(|(k, _)| k.starts_with("[\"f\"")));
}

#[test]
fn group_cap_evicts_the_window_ending_first_deterministically() {
    let capped = EngineOptions {
        max_groups_per_rule: 2,
        ..opts()
    };
    let run = || {
        let mut e = engine(&capped);
        let mut store = BTreeMap::new();
        // b's newest match is older than a's: b's window ends first.
        run_batch(
            &mut e,
            &[denied("b", 0, 1), denied("a", 5, 2), denied("b", 3, 3)],
            &mut store,
        );
        let evicted_before = e.take_state_evictions();
        run_batch(&mut e, &[denied("c", 6, 4)], &mut store);
        (
            e.take_state_evictions(),
            evicted_before,
            store,
            e.snapshot(),
        )
    };
    let (evictions, before, store, snap) = run();
    assert!(before.is_empty(), "{before:?}");
    // both r-many and r-then (which also groups denials by user) evict b
    assert_eq!(
        evictions,
        BTreeMap::from([("r-many".to_string(), 1), ("r-then".to_string(), 1)])
    );
    let groups: Vec<&String> = store
        .keys()
        .filter(|k| k.starts_with(r#"["w","r-many""#))
        .collect();
    assert_eq!(
        groups,
        vec![
            &EntryKey::Window {
                rule: "r-many".into(),
                group: "a\u{1f}".into()
            }
            .encode(),
            &EntryKey::Window {
                rule: "r-many".into(),
                group: "c\u{1f}".into()
            }
            .encode(),
        ]
    );
    let again = run();
    assert_eq!(
        (again.2, again.3),
        (store, snap),
        "eviction is deterministic"
    );

    // ties on time: the smallest key goes
    let mut e = engine(&capped);
    let mut store = BTreeMap::new();
    run_batch(
        &mut e,
        &[denied("y", 0, 1), denied("x", 0, 2), denied("z", 0, 3)],
        &mut store,
    );
    let many = |user: &str| {
        EntryKey::Window {
            rule: "r-many".into(),
            group: format!("{user}\u{1f}"),
        }
        .encode()
    };
    assert!(!store.contains_key(&many("x")));
    assert!(store.contains_key(&many("y")) && store.contains_key(&many("z")));
}

#[test]
fn first_seen_cap_forgets_the_oldest_value_of_a_scope() {
    let capped = EngineOptions {
        max_values_per_scope: 2,
        ..opts()
    };
    let mut e = engine(&capped);
    let mut store = BTreeMap::new();
    run_batch(
        &mut e,
        &[
            tool("a", "shell", 0, 1),
            tool("a", "web", 10, 2),
            tool("b", "curl", 11, 3),
            tool("a", "read", 20, 4),
        ],
        &mut store,
    );
    assert_eq!(e.take_state_evictions().get("r-fs"), Some(&1));
    let mut learned: Vec<(String, String)> = e
        .baselines()
        .into_iter()
        .map(|b| (b.scope, b.value))
        .collect();
    learned.sort();
    let s = |a: &str, b: &str| (format!("{a}\u{1f}"), b.to_string());
    assert_eq!(learned, vec![s("a", "read"), s("a", "web"), s("b", "curl")]);
    let mut restored = engine(&capped);
    restored.restore_entries(store.values()).expect("restore");
    assert_eq!(restored.baselines(), e.baselines());
}

#[test]
fn bad_entries_are_errors_and_leave_the_engine_unchanged() {
    let mut e = engine(&opts());
    let mut store = BTreeMap::new();
    run_batch(&mut e, &[denied("a", 0, 1)], &mut store);
    let before = e.snapshot();
    assert!(e.restore_entries([b"not json".to_vec()]).is_err());
    assert!(e
        .restore_entries([
            br#"{"k":"meta","version":99,"seq":0,"watermark_ns":null,"late_dropped":0}"#.to_vec()
        ])
        .is_err());
    assert_eq!(e.snapshot(), before);
}

/// A correlation whose condition holds from its first match on: whether a match fires
/// depends only on the condition flag a group keeps, so it catches an expiry that
/// forgets the flag.
const EVERY_DENIAL: &str = r#"
---
title: any denial
id: r-any
name: any_denial
correlation:
    type: event_count
    rules: [denied]
    group-by: [user_email]
    timespan: 1m
    condition:
        gte: 1
"#;

#[test]
fn expiring_windows_at_any_moment_changes_no_output() {
    let src = [RuleSource {
        path: "t.yml".into(),
        text: format!("{RULES}{EVERY_DENIAL}"),
    }];
    let compile = || Engine::compile(&src, &Lists::default(), &opts()).unwrap();
    let record = |o: &Output| {
        format!(
            "{:?} {} {:?} {}",
            o.kind,
            o.rule_id,
            o.seqs,
            serde_json::to_string(&o.alert).unwrap()
        )
    };
    for seed in 1..=5 {
        let (mut plain, mut swept) = (compile(), compile());
        let (mut want, mut got) = (Vec::new(), Vec::new());
        for ev in stream(seed, 400).iter().flatten() {
            want.extend(plain.process(ev).iter().map(record));
            got.extend(swept.process(ev).iter().map(record));
            swept.expire_windows();
        }
        assert!(
            want.iter().any(|r| r.contains("r-any")),
            "seed {seed}: the flag rule never fired"
        );
        assert_eq!(got, want, "seed {seed}");
        // and the sweeps did free something
        let live = |e: &Engine| e.live_seqs().len();
        assert!(live(&swept) < live(&plain), "seed {seed}");
    }
}
