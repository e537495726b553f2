//! The `tripline:` extensions: dynamic level (`levels`, `level_field`) on detections and
//! correlations, and secret matching (`secret_fields` with an injected predicate).

use tripline_event::Event;
use tripline_sigma::{
    Engine, EngineOptions, Lists, Output, RuleSource, SecretCheck, SecretConfidence,
};

fn ev(json: &str) -> Event {
    match serde_json::from_str(json) {
        Ok(serde_json::Value::Object(o)) => Event::from_json_object(o),
        other => panic!("bad test event {json}: {other:?}"),
    }
}

fn compile(text: &str, opts: &EngineOptions) -> Result<Engine, Vec<String>> {
    let src = [RuleSource {
        path: "t.yml".into(),
        text: text.into(),
    }];
    Engine::compile(&src, &Lists::default(), opts)
        .map_err(|e| e.iter().map(|e| e.to_string()).collect())
}

fn engine(text: &str, opts: &EngineOptions) -> Engine {
    compile(text, opts).unwrap_or_else(|e| panic!("{}", e.join("\n")))
}

fn run(e: &mut Engine, events: &[&str]) -> Vec<Output> {
    events.iter().flat_map(|j| e.process(&ev(j))).collect()
}

fn levels(out: &[Output]) -> Vec<String> {
    out.iter().map(|o| o.alert.rule.level.clone()).collect()
}

const WEAKENED: &str = r#"
title: weakened
id: r-weak
name: weakened
detection:
    start:
        event_name: codex.conversation_starts
    full_access:
        sandbox_policy: danger-full-access
    unattended:
        approval_policy: never
        sandbox_policy: workspace-write
    condition: start and (full_access or unattended)
level: medium
tripline:
    level_field: posture_level
    levels:
        - condition: full_access
          level: high
        - condition: unattended and not full_access
          level: low
"#;

#[test]
fn levels_pick_the_first_entry_that_holds() {
    let mut e = engine(WEAKENED, &EngineOptions::default());
    let out = run(
        &mut e,
        &[
            r#"{"event_name": "codex.conversation_starts", "sandbox_policy": "danger-full-access"}"#,
            r#"{"event_name": "codex.conversation_starts", "approval_policy": "never", "sandbox_policy": "workspace-write"}"#,
        ],
    );
    assert_eq!(levels(&out), ["high", "low"]);
}

#[test]
fn level_field_wins_when_valid_and_is_ignored_otherwise() {
    let mut e = engine(WEAKENED, &EngineOptions::default());
    let out = run(
        &mut e,
        &[
            r#"{"event_name": "codex.conversation_starts", "sandbox_policy": "danger-full-access", "posture_level": "Critical"}"#,
            r#"{"event_name": "codex.conversation_starts", "sandbox_policy": "danger-full-access", "posture_level": "severe"}"#,
            r#"{"event_name": "codex.conversation_starts", "sandbox_policy": "danger-full-access", "posture_level": 3}"#,
        ],
    );
    assert_eq!(levels(&out), ["critical", "high", "high"]);
}

#[test]
fn rule_level_applies_when_no_entry_holds() {
    let text = WEAKENED
        .replace("level_field: posture_level\n", "")
        .replace(
            "        - condition: unattended and not full_access\n          level: low\n",
            "",
        );
    let mut e = engine(&text, &EngineOptions::default());
    let out = run(
        &mut e,
        &[
            r#"{"event_name": "codex.conversation_starts", "approval_policy": "never", "sandbox_policy": "workspace-write", "posture_level": "critical"}"#,
        ],
    );
    assert_eq!(levels(&out), ["medium"]);
}

const JOIN: &str = r#"
title: decision
id: r-dec
name: join__decision
detection:
    sel:
        event_name: codex.tool_decision
        source: Config
    condition: sel
---
title: result
id: r-res
name: join__result
detection:
    sel:
        event_name: codex.tool_result
    destructive:
        arguments|contains: 'rm -rf'
    condition: sel
---
title: joined
id: r-join
name: join
correlation:
    type: temporal
    rules: [join__decision, join__result]
    group-by: [call_id]
    timespan: 1h
level: medium
tripline:
    levels:
        - condition: join__result.destructive
          level: high
"#;

#[test]
fn correlation_levels_test_the_helpers_evidence() {
    let mut e = engine(JOIN, &EngineOptions::default());
    let out = run(
        &mut e,
        &[
            r#"{"event_name": "codex.tool_decision", "source": "Config", "call_id": "a", "time": "2026-11-23T10:00:00Z"}"#,
            r#"{"event_name": "codex.tool_result", "call_id": "a", "arguments": "rm -rf /", "time": "2026-11-23T10:00:01Z"}"#,
            r#"{"event_name": "codex.tool_decision", "source": "Config", "call_id": "b", "time": "2026-11-23T10:00:02Z"}"#,
            r#"{"event_name": "codex.tool_result", "call_id": "b", "arguments": "ls", "time": "2026-11-23T10:00:03Z"}"#,
        ],
    );
    assert_eq!(levels(&out), ["high", "medium"]);
    // the identifier must belong to the helper that matched the event: a decision whose
    // own fields satisfy `destructive` does not count
    let mut e = engine(JOIN, &EngineOptions::default());
    let out = run(
        &mut e,
        &[
            r#"{"event_name": "codex.tool_decision", "source": "Config", "call_id": "c", "arguments": "rm -rf /", "time": "2026-11-23T10:00:00Z"}"#,
            r#"{"event_name": "codex.tool_result", "call_id": "c", "arguments": "ls", "time": "2026-11-23T10:00:01Z"}"#,
        ],
    );
    assert_eq!(levels(&out), ["medium"]);
}

#[test]
fn correlation_level_names_may_use_the_helper_id() {
    let text = JOIN.replace("join__result.destructive", "r-res.destructive");
    let mut e = engine(&text, &EngineOptions::default());
    let out = run(
        &mut e,
        &[
            r#"{"event_name": "codex.tool_decision", "source": "Config", "call_id": "a", "time": "2026-11-23T10:00:00Z"}"#,
            r#"{"event_name": "codex.tool_result", "call_id": "a", "arguments": "rm -rf /", "time": "2026-11-23T10:00:01Z"}"#,
        ],
    );
    assert_eq!(levels(&out), ["high"]);
}

#[test]
fn bad_extensions_are_compile_errors() {
    let opts = EngineOptions::default();
    let unknown_ident = WEAKENED.replace("condition: full_access\n", "condition: nope\n");
    assert!(compile(&unknown_ident, &opts).unwrap_err()[0].contains("levels[0].condition"));
    let bad_level = WEAKENED.replace("level: high", "level: urgent");
    assert!(compile(&bad_level, &opts).is_err());
    let unknown_key = WEAKENED.replace("level_field: posture_level", "unless: {rules: [x]}");
    assert!(compile(&unknown_key, &opts).unwrap_err()[0].contains("unknown key 'unless'"));
    let bad_corr = JOIN.replace("join__result.destructive", "join__result.missing");
    assert!(compile(&bad_corr, &opts).unwrap_err()[0].contains("<helper rule>.<identifier>"));
    let secret_on_corr = JOIN.replace("    levels:", "    secret_fields: [output]\n    levels:");
    assert!(compile(&secret_on_corr, &opts).unwrap_err()[0].contains("secret_fields"));
    let unread = SECRET.replace(
        "secret_fields: [arguments, output]",
        "secret_fields: [body]",
    );
    assert!(compile(&unread, &opts).unwrap_err()[0].contains("no search identifier"));
}

const SECRET: &str = r#"
title: secret in tool output
id: r-secret
name: secret
detection:
    result:
        event_name: codex.tool_result
    marker:
        - output|contains: 'BEGIN OPENSSH PRIVATE KEY'
        - arguments|contains: 'BEGIN OPENSSH PRIVATE KEY'
    condition: result and marker
level: high
tripline:
    secret_fields: [arguments, output]
    secret_confidence: high
"#;

/// A fake detector: `TOKEN-HIGH-...` is a high-confidence secret, `TOKEN-LOW-...` a
/// low-confidence one.
fn fake_check() -> SecretCheck {
    SecretCheck::new(|text, min| {
        text.contains("TOKEN-HIGH-")
            || (min == SecretConfidence::Low && text.contains("TOKEN-LOW-"))
    })
}

#[test]
fn secret_fields_extend_the_identifiers_that_read_them() {
    let opts = EngineOptions {
        secret_check: Some(fake_check()),
        ..EngineOptions::default()
    };
    let mut e = engine(SECRET, &opts);
    let hits = |e: &mut Engine, j: &str| run(e, &[j]).len();
    assert_eq!(
        hits(
            &mut e,
            r#"{"event_name": "codex.tool_result", "output": "x TOKEN-HIGH-1 y"}"#
        ),
        1
    );
    assert_eq!(
        hits(
            &mut e,
            r#"{"event_name": "codex.tool_result", "arguments": "TOKEN-HIGH-2"}"#
        ),
        1
    );
    assert_eq!(
        hits(
            &mut e,
            r#"{"event_name": "codex.tool_result", "output": "-----BEGIN OPENSSH PRIVATE KEY-----"}"#
        ),
        1
    );
    // below the confidence, outside the listed fields, or outside the condition: no match
    assert_eq!(
        hits(
            &mut e,
            r#"{"event_name": "codex.tool_result", "output": "TOKEN-LOW-3"}"#
        ),
        0
    );
    assert_eq!(
        hits(
            &mut e,
            r#"{"event_name": "codex.tool_result", "body": "TOKEN-HIGH-4"}"#
        ),
        0
    );
    assert_eq!(
        hits(
            &mut e,
            r#"{"event_name": "codex.user_prompt", "output": "TOKEN-HIGH-5"}"#
        ),
        0
    );
    assert_eq!(
        hits(
            &mut e,
            r#"{"event_name": "codex.tool_result", "output": "clean"}"#
        ),
        0
    );

    let low = SECRET.replace("secret_confidence: high", "secret_confidence: low");
    let mut e = engine(&low, &opts);
    assert_eq!(
        hits(
            &mut e,
            r#"{"event_name": "codex.tool_result", "output": "TOKEN-LOW-3"}"#
        ),
        1
    );
}

#[test]
fn without_a_secret_check_only_the_condition_matches() {
    let mut e = engine(SECRET, &EngineOptions::default());
    assert!(run(
        &mut e,
        &[r#"{"event_name": "codex.tool_result", "output": "TOKEN-HIGH-1"}"#]
    )
    .is_empty());
    assert_eq!(
        run(
            &mut e,
            &[r#"{"event_name": "codex.tool_result", "output": "BEGIN OPENSSH PRIVATE KEY"}"#]
        )
        .len(),
        1
    );
}

#[test]
fn secret_matching_under_negation_is_consistent() {
    // `not marker` holds only when neither the pattern nor a secret is there
    let text = SECRET.replace(
        "condition: result and marker",
        "condition: result and not marker",
    );
    let opts = EngineOptions {
        secret_check: Some(fake_check()),
        ..EngineOptions::default()
    };
    let mut e = engine(&text, &opts);
    assert!(run(
        &mut e,
        &[r#"{"event_name": "codex.tool_result", "output": "TOKEN-HIGH-1"}"#]
    )
    .is_empty());
    assert_eq!(
        run(
            &mut e,
            &[r#"{"event_name": "codex.tool_result", "output": "fine"}"#]
        )
        .len(),
        1
    );
}

#[test]
fn levels_can_test_secret_identifiers() {
    let text = SECRET.replace(
        "    secret_confidence: high\n",
        "    secret_confidence: high\n    levels:\n        - {condition: marker, level: critical}\n",
    );
    let opts = EngineOptions {
        secret_check: Some(fake_check()),
        ..EngineOptions::default()
    };
    let mut e = engine(&text, &opts);
    let out = run(
        &mut e,
        &[r#"{"event_name": "codex.tool_result", "output": "TOKEN-HIGH-1"}"#],
    );
    assert_eq!(levels(&out), ["critical"]);
}

#[test]
fn options_stay_clone_and_debug() {
    let opts = EngineOptions {
        secret_check: Some(fake_check()),
        ..EngineOptions::default()
    };
    let copy = opts.clone();
    assert!(format!("{copy:?}").contains("SecretCheck"));
    assert!(copy
        .secret_check
        .unwrap()
        .check("TOKEN-HIGH-9", SecretConfidence::High));
}

#[test]
fn suppressed_revisions_never_lower_the_level() {
    let text = format!("{WEAKENED}suppress:\n    window: 1h\n    by: [host_name]\n");
    let mut e = engine(&text, &EngineOptions::default());
    let out = run(
        &mut e,
        &[
            r#"{"event_name": "codex.conversation_starts", "host_name": "h", "sandbox_policy": "danger-full-access", "time": "2026-11-23T10:00:00Z"}"#,
            r#"{"event_name": "codex.conversation_starts", "host_name": "h", "approval_policy": "never", "sandbox_policy": "workspace-write", "time": "2026-11-23T10:01:00Z"}"#,
            r#"{"event_name": "codex.conversation_starts", "host_name": "g", "approval_policy": "never", "sandbox_policy": "workspace-write", "time": "2026-11-23T10:02:00Z"}"#,
            r#"{"event_name": "codex.conversation_starts", "host_name": "g", "sandbox_policy": "danger-full-access", "time": "2026-11-23T10:03:00Z"}"#,
        ],
    );
    assert_eq!(levels(&out), ["high", "high", "low", "high"]);
    assert_eq!(out[1].alert.id, out[0].alert.id);
    assert_eq!(out[1].alert.revision, 1);
}
