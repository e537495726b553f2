//! Engine features beyond the kit: filters, chaining, aliases, generate, helper rules,
//! first_seen, suppression, lateness, snapshots, list reloads, pre-dispatch, errors.

use tripline_event::Event;
use tripline_sigma::{Engine, EngineOptions, Lists, Output, OutputKind, RuleSource};

fn ev(json: &str) -> Event {
    match serde_json::from_str(json) {
        Ok(serde_json::Value::Object(o)) => Event::from_json_object(o),
        other => panic!("bad test event {json}: {other:?}"),
    }
}

fn engine(text: &str) -> Engine {
    engine_with(text, &Lists::default(), &EngineOptions::default())
}

fn engine_with(text: &str, lists: &Lists, opts: &EngineOptions) -> Engine {
    let src = [RuleSource {
        path: "t.yml".into(),
        text: text.into(),
    }];
    match Engine::compile(&src, lists, opts) {
        Ok(e) => e,
        Err(errs) => panic!(
            "{}",
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

fn errors(text: &str) -> Vec<String> {
    let src = [RuleSource {
        path: "bad.yml".into(),
        text: text.into(),
    }];
    match Engine::compile(&src, &Lists::default(), &EngineOptions::default()) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(|e| e.to_string()).collect(),
    }
}

fn run(e: &mut Engine, events: &[&str]) -> Vec<Output> {
    events.iter().flat_map(|j| e.process(&ev(j))).collect()
}

const DENIED: &str = r#"
title: denied
id: r-denied
name: denied
detection:
    sel:
        event_name: codex.tool_decision
        decision: denied
    condition: sel
"#;

fn denied_at(user: &str, t: &str) -> String {
    format!(
        r#"{{"event_name":"codex.tool_decision","decision":"denied","user_email":"{user}","time":"2026-03-01T10:{t}Z","id":"e-{user}-{t}"}}"#
    )
}

#[test]
fn filter_documents_suppress_matches() {
    let text = format!(
        "{DENIED}---\ntitle: f\nid: f1\nname: not_bots\nlogsource: {{product: ai_agent}}\nfilter:\n    rules: [denied]\n    sel:\n        user_email|endswith: '@bots.example'\n    condition: sel\n"
    );
    let mut e = engine(&text);
    let out = run(
        &mut e,
        &[
            &denied_at("a@corp.example", "00:00"),
            &denied_at("x@bots.example", "00:01"),
        ],
    );
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0]
            .alert
            .group
            .get("user_email")
            .and_then(|v| v.as_str()),
        Some("a@corp.example")
    );
}

#[test]
fn alerts_carry_stable_ids_and_metadata() {
    let mut a = engine(DENIED);
    let mut b = engine(DENIED);
    let x = run(&mut a, &[&denied_at("a@corp.example", "00:00")]);
    let y = run(&mut b, &[&denied_at("a@corp.example", "00:00")]);
    assert_eq!(x[0].alert.id, y[0].alert.id);
    assert_eq!(x[0].alert.rule.name, "denied");
    assert_eq!(x[0].alert.time, "2026-03-01T10:00:00Z");
    assert_eq!(
        x[0].alert.event_ids,
        vec!["e-a@corp.example-00:00".to_owned()]
    );
    assert_eq!(x[0].alert.events.len(), 1);
    assert!(x[0].alert.summary.contains("denied"));
}

#[test]
fn match_summaries_name_the_rules_fields_values() {
    let rule = format!(
        "{DENIED}fields:\n    - decision\n    - tool_name\n    - user_email\n    - absent\n"
    );
    let mut e = engine(&rule);
    let mut event = denied_at("a@corp.example", "00:00");
    event.insert_str(1, r#""tool_name":"shell","#);
    let out = run(&mut e, &[&event]);
    assert_eq!(
        out[0].alert.summary,
        "denied: decision=denied, tool_name=shell (user_email=a@corp.example)",
        "values in the rule's order; user_email is shown once, with the group; absent \
         fields are left out"
    );
    let plain = run(
        &mut engine(DENIED),
        &[&denied_at("a@corp.example", "00:00")],
    );
    assert_eq!(
        plain[0].alert.summary,
        "denied: rule matched (user_email=a@corp.example)"
    );
    let bad = errors(&format!("{DENIED}fields: 3\n"));
    assert!(bad.iter().any(|e| e.contains("fields")), "{bad:?}");
}

const COUNT3: &str = r#"
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
"#;

#[test]
fn correlation_fires_once_while_condition_holds_and_hides_base_rule() {
    let mut e = engine(&format!("{COUNT3}---{DENIED}"));
    let evs: Vec<String> = ["00:00", "01:00", "02:00", "03:00"]
        .iter()
        .map(|t| denied_at("a@c", t))
        .collect();
    let refs: Vec<&str> = evs.iter().map(String::as_str).collect();
    let out = run(&mut e, &refs);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].kind, OutputKind::Correlation);
    assert_eq!(out[0].seqs, vec![0, 1, 2]);
    assert_eq!(out[0].alert.count, 3);
    assert_eq!(out[0].alert.first_time, "2026-03-01T10:00:00Z");
}

#[test]
fn generate_true_keeps_base_matches() {
    let corr = COUNT3.replace("timespan: 5m", "timespan: 5m\n    generate: true");
    let mut e = engine(&format!("{corr}---{DENIED}"));
    let out = run(&mut e, &[&denied_at("a@c", "00:00")]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, OutputKind::Match);
}

#[test]
fn chained_correlation_and_helper_names() {
    let text = format!(
        "{DENIED}---\ntitle: h\nid: r-h\nname: burst__count\ncorrelation:\n    type: event_count\n    rules: [denied]\n    group-by: [user_email]\n    timespan: 1m\n    condition: {{gte: 2}}\n---\ntitle: burst users\nid: r-burst\nname: burst\ncorrelation:\n    type: value_count\n    rules: [burst__count]\n    group-by: [user_email]\n    timespan: 10m\n    condition: {{field: user_email, gte: 1}}\n"
    );
    let mut e = engine(&text);
    let out = run(
        &mut e,
        &[&denied_at("a@c", "00:00"), &denied_at("a@c", "00:30")],
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].rule_name, "burst");
    assert_eq!(out[0].seqs, vec![0, 1]);
}

#[test]
fn aliases_join_different_fields() {
    let text = r#"
title: prompt
id: r-p
name: prompt
detection:
    sel: {event_name: codex.user_prompt}
    condition: sel
---
title: result
id: r-r
name: result
detection:
    sel: {event_name: codex.tool_result}
    condition: sel
---
title: joined
id: r-j
name: joined
correlation:
    type: temporal
    rules: [prompt, result]
    group-by: [conv]
    timespan: 1m
    aliases:
        conv:
            prompt: conversation_id
            result: conv.id
"#;
    let mut e = engine(text);
    let out = run(
        &mut e,
        &[
            r#"{"event_name":"codex.user_prompt","conversation_id":"c1","time":"2026-03-01T10:00:00Z"}"#,
            r#"{"event_name":"codex.tool_result","conv":{"id":"c1"},"time":"2026-03-01T10:00:20Z"}"#,
        ],
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(
        out[0].group.get("conv").and_then(|v| v.as_str()),
        Some("c1")
    );
}

const FIRST_SEEN: &str = r#"
title: tool
id: r-tool
name: tool
detection:
    sel: {event_name: codex.tool_result}
    condition: sel
---
title: new tool for user
id: r-fs
name: new_tool
correlation:
    type: first_seen
    rules: [tool]
    fields: [tool_name]
    group-by: [user_email]
    learning_period: 1h
"#;

fn tool_at(user: &str, tool: &str, hhmm: &str) -> String {
    format!(
        r#"{{"event_name":"codex.tool_result","user_email":"{user}","tool_name":"{tool}","time":"2026-03-01T{hhmm}:00Z"}}"#
    )
}

#[test]
fn first_seen_learns_then_alerts_and_survives_snapshot() {
    let mut e = engine(FIRST_SEEN);
    let out = run(
        &mut e,
        &[
            &tool_at("a", "shell", "10:00"),
            &tool_at("a", "web", "10:30"),
        ],
    );
    assert!(out.is_empty(), "learning period is silent: {out:?}");
    let snap = e.snapshot();
    let mut restored = engine(FIRST_SEEN);
    restored.restore(&snap).expect("restore");
    let out = run(
        &mut restored,
        &[
            &tool_at("a", "shell", "11:30"),
            &tool_at("a", "curl", "11:31"),
            &tool_at("b", "shell", "11:32"),
        ],
    );
    let names: Vec<String> = out
        .iter()
        .map(|o| o.group["tool_name"].to_text().unwrap_or_default())
        .collect();
    assert_eq!(names, vec!["curl", "shell"]);
    assert_eq!(out[0].kind, OutputKind::FirstSeen);
    let learned = restored.baselines();
    assert_eq!(learned.len(), 4);
    assert!(learned.iter().all(|b| !b.learning));
    assert!(learned
        .iter()
        .any(|b| b.value == "shell" && b.first_seen == "2026-03-01T10:00:00Z"));
}

#[test]
fn suppression_turns_repeats_into_count_updates() {
    let text = DENIED.replace(
        "name: denied",
        "name: denied\nsuppress:\n    window: 10m\n    by: [user_email]",
    );
    let mut e = engine(&text);
    let out = run(
        &mut e,
        &[
            &denied_at("a", "00:00"),
            &denied_at("a", "05:00"),
            &denied_at("b", "05:00"),
            &denied_at("a", "20:00"),
        ],
    );
    assert_eq!(out.len(), 4);
    assert_eq!(out[1].alert.id, out[0].alert.id);
    assert_eq!((out[1].alert.revision, out[1].alert.count), (1, 2));
    assert_eq!(out[1].alert.first_time, "2026-03-01T10:00:00Z");
    assert_ne!(out[2].alert.id, out[0].alert.id);
    assert_ne!(
        out[3].alert.id, out[0].alert.id,
        "a new window opens after 10m"
    );
    assert_eq!(out[3].alert.revision, 0);
}

#[test]
fn snapshot_restore_keeps_windows_and_does_not_refire() {
    let text = format!("{COUNT3}---{DENIED}");
    let evs: Vec<String> = ["00:00", "01:00", "02:00", "03:00"]
        .iter()
        .map(|t| denied_at("a", t))
        .collect();
    let mut whole = engine(&text);
    let all: Vec<Output> = evs.iter().flat_map(|j| whole.process(&ev(j))).collect();
    let mut first = engine(&text);
    let mut split: Vec<Output> = evs[..2]
        .iter()
        .flat_map(|j| first.process(&ev(j)))
        .collect();
    let snap = first.snapshot();
    let mut second = engine(&text);
    second.restore(&snap).expect("restore");
    split.extend(evs[2..].iter().flat_map(|j| second.process(&ev(j))));
    assert_eq!(all, split);
    assert_eq!(all.len(), 1);
    assert!(second.restore(b"not a snapshot").is_err());
}

#[test]
fn late_events_within_lateness_count_and_beyond_are_dropped() {
    let text = format!("{COUNT3}---{DENIED}");
    let opts = EngineOptions {
        allowed_lateness_ns: 60_000_000_000,
        ..EngineOptions::default()
    };
    let mut e = engine_with(&text, &Lists::default(), &opts);
    let out = run(
        &mut e,
        &[
            &denied_at("a", "02:00"),
            &denied_at("a", "01:30"),
            &denied_at("a", "03:00"),
        ],
    );
    assert_eq!(out.len(), 1);
    let mut strict = engine(&text);
    let out = run(
        &mut strict,
        &[
            &denied_at("a", "02:00"),
            &denied_at("a", "01:30"),
            &denied_at("a", "03:00"),
        ],
    );
    assert!(out.is_empty());
    assert_eq!(strict.late_events(), 1);
}

#[test]
fn set_lists_recompiles_and_keeps_state() {
    let text = r#"
title: admin
id: r-admin
name: admin
detection:
    sel:
        user_email|expand: '%Admins%'
    condition: sel
"#;
    let mut lists = Lists::default();
    lists.insert("Admins", vec!["root@c".into()]);
    let mut e = engine_with(text, &lists, &EngineOptions::default());
    assert_eq!(
        run(
            &mut e,
            &[r#"{"user_email":"root@c"}"#, r#"{"user_email":"ops@c"}"#]
        )
        .len(),
        1
    );
    lists.insert("Admins", vec!["ops@c".into()]);
    e.set_lists(&lists).expect("recompile");
    let out = run(
        &mut e,
        &[r#"{"user_email":"root@c"}"#, r#"{"user_email":"ops@c"}"#],
    );
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].seqs,
        vec![3],
        "sequence numbers continue across reloads"
    );
    assert!(
        e.set_lists(&Lists::default()).is_err(),
        "a missing list is an error, engine unchanged"
    );
}

#[test]
fn dispatch_does_not_change_results() {
    let text = r#"
title: case
id: r-case
name: case
detection:
    sel:
        event_name: Codex.Tool_Decision
    condition: sel
"#;
    let mut e = engine(text);
    let out = run(
        &mut e,
        &[
            r#"{"event_name":"codex.tool_decision"}"#,
            r#"{"event_name":"CODEX.TOOL_DECISION"}"#,
            r#"{"event_name":"other"}"#,
        ],
    );
    assert_eq!(
        out.iter().map(|o| o.seqs[0]).collect::<Vec<_>>(),
        vec![0, 1]
    );
}

#[test]
fn field_mapping_renames_rule_fields() {
    let text = "title: m\nid: r-m\nname: m\ndetection:\n    sel:\n        CommandLine|contains: whoami\n    condition: sel\n";
    let mut opts = EngineOptions::default();
    opts.mapping.insert("CommandLine", "arguments");
    let mut e = engine_with(text, &Lists::default(), &opts);
    assert_eq!(
        run(
            &mut e,
            &[
                r#"{"arguments":"sudo whoami"}"#,
                r#"{"CommandLine":"whoami"}"#
            ]
        )
        .len(),
        1
    );
}

#[test]
fn errors_name_file_line_and_field() {
    let errs =
        errors("title: x\nid: a\ndetection:\n    sel:\n        f|bogus: 1\n    condition: sel\n");
    assert_eq!(
        errs,
        vec!["bad.yml:5: detection.sel.f|bogus: unsupported: unknown modifier 'bogus'".to_owned()]
    );
    let errs = errors(
        "title: x\nid: a\ndetection:\n    sel:\n        f: 1\n    condition: sel and nope\n",
    );
    assert_eq!(
        errs,
        vec![
            "bad.yml:6: detection.condition: condition names unknown search identifier 'nope'"
                .to_owned()
        ]
    );
    let errs =
        errors("title: x\nid: a\ndetection:\n    sel: {f: 1}\n    condition: sel | count() > 5\n");
    assert!(errs[0].contains("unsupported: aggregation"), "{errs:?}");
    let errs = errors("title: c\nid: c\ncorrelation:\n    type: event_count\n    rules: [missing]\n    timespan: 1m\n    condition: {gte: 1}\n");
    assert!(errs[0].contains("unknown rule 'missing'"), "{errs:?}");
    let errs = errors("a: [unclosed\n");
    assert!(errs[0].starts_with("bad.yml:"), "{errs:?}");
    let two = errors("title: x\nid: a\ndetection:\n    sel: {f|re: '('}\n    condition: sel\n---\ntitle: y\nid: b\ndetection:\n    sel: {g|cidr: 'nope'}\n    condition: sel\n");
    assert_eq!(two.len(), 2, "every problem is reported: {two:?}");
    assert!(
        two[0].starts_with("bad.yml:4: detection.sel.f|re: invalid regular expression"),
        "{two:?}"
    );
    assert!(
        two[1].starts_with("bad.yml:10: detection.sel.g|cidr:"),
        "{two:?}"
    );
}

#[test]
fn references_to_broken_rules_are_not_reported_twice() {
    let errs = errors("title: b\nid: b1\nname: base\ndetection:\n    sel: {f|nope: 1}\n    condition: sel\n---\ntitle: c\nid: c1\ncorrelation:\n    type: event_count\n    rules: [base]\n    timespan: 1m\n    condition: {gte: 1}\n");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("unknown modifier 'nope'"));
}
