//! Policy behaviour per field class and action, digests, reports, config and alerts.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use tripline_event::{Alert, Event, RuleRef, Value};
use tripline_redact::{
    ArgvAction, Confidence, FieldClass, IdentifierAction, OtherAction, PromptAction,
    RedactionPolicy, Redactor, SecretScanner, ToolContentAction,
};

static SCANNER: LazyLock<Arc<SecretScanner>> = LazyLock::new(|| Arc::new(SecretScanner::builtin()));

const AWS: &str = "AKIAIOSFODNN7EXAMPLE";
const KEY: &[u8] = b"test-key-1";

fn redactor(policy: RedactionPolicy) -> Redactor {
    Redactor::new(policy, Arc::clone(&SCANNER), KEY)
}

fn one(field: &str, value: impl Into<Value>) -> Event {
    let mut ev = Event::new();
    ev.insert(field, value);
    ev
}

fn is_hex(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

// ---------------------------------------------------------------- prompt

#[test]
fn prompt_defaults_to_keyed_hash() {
    let r = redactor(RedactionPolicy::default());
    let text = format!("my aws key is {AWS}");
    let mut ev = one("prompt", text.as_str());
    let report = r.redact_event(&mut ev);
    let hashed = ev.get_str("prompt").unwrap().to_owned();
    let hex = hashed.strip_prefix("hmac:").expect("hmac: prefix");
    assert_eq!(hex.len(), 16);
    assert!(is_hex(hex));
    assert_eq!(report.actions.get("prompt.hash"), Some(&1));
    let mut again = one("prompt", text.as_str());
    r.redact_event(&mut again);
    assert_eq!(
        again.get_str("prompt"),
        Some(hashed.as_str()),
        "same text, same hash"
    );
    let mut other = one("prompt", "a different prompt");
    r.redact_event(&mut other);
    assert_ne!(other.get_str("prompt"), Some(hashed.as_str()));
    let other_key = Redactor::new(RedactionPolicy::default(), Arc::clone(&SCANNER), b"k2");
    let mut ev2 = one("prompt", text.as_str());
    other_key.redact_event(&mut ev2);
    assert_ne!(
        ev2.get_str("prompt"),
        Some(hashed.as_str()),
        "hash is keyed"
    );
}

#[test]
fn redacted_literals_pass_every_prompt_action() {
    for action in [PromptAction::Mask, PromptAction::Hash, PromptAction::Drop] {
        let r = redactor(RedactionPolicy {
            prompt: action,
            ..Default::default()
        });
        for literal in ["[REDACTED]", "<REDACTED>"] {
            let mut ev = one("prompt", literal);
            let report = r.redact_event(&mut ev);
            assert_eq!(ev.get_str("prompt"), Some(literal), "{action:?}");
            assert!(report.is_empty());
        }
    }
}

#[test]
fn prompt_mask_keeps_text_and_drop_removes() {
    let r = redactor(RedactionPolicy {
        prompt: PromptAction::Mask,
        ..Default::default()
    });
    let mut ev = one("prompt", format!("please use {AWS} now").as_str());
    let report = r.redact_event(&mut ev);
    let out = ev.get_str("prompt").unwrap();
    assert!(
        out.starts_with("please use [SECRET:aws_access_key:"),
        "{out}"
    );
    assert!(out.ends_with("] now"));
    assert_eq!(report.secrets.get("aws_access_key"), Some(&1));
    assert_eq!(report.actions.get("prompt.mask"), Some(&1));

    let r = redactor(RedactionPolicy {
        prompt: PromptAction::Drop,
        ..Default::default()
    });
    let mut ev = one("prompt", "hello");
    ev.insert("prompt_length", "5");
    let report = r.redact_event(&mut ev);
    assert!(ev.get("prompt").is_none());
    assert_eq!(ev.get_str("prompt_length"), Some("5"));
    assert_eq!(report.actions.get("prompt.drop"), Some(&1));
}

#[test]
fn claude_and_gemini_prompt_fields_are_prompts() {
    let r = redactor(RedactionPolicy::default());
    for field in [
        "prompt_text",
        "user_prompt",
        "request_text",
        "response_text",
        "gen_ai.input.messages",
    ] {
        assert_eq!(r.class_of(field), Some(FieldClass::Prompt), "{field}");
    }
    assert_eq!(
        r.class_of("resource.process.command_args"),
        Some(FieldClass::Argv)
    );
    assert_eq!(r.class_of("user.email"), Some(FieldClass::Identifier));
    assert_eq!(r.class_of("function_args"), Some(FieldClass::ToolContent));
    assert_eq!(r.class_of("model"), None);
}

// ---------------------------------------------------------------- tool content

fn codex_tool_result() -> Event {
    let mut ev = Event::new();
    ev.insert("event_name", "codex.tool_result");
    ev.insert(
        "arguments",
        format!(r#"{{"command":["bash","-lc","export AWS_ACCESS_KEY_ID={AWS}; ./deploy.sh"]}}"#),
    );
    ev.insert(
        "output",
        "total 8\n-rw------- 1 me me 411 id_ed25519\n-----BEGIN OPENSSH PRIVATE KEY-----\n\
         b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ\n\
         -----END OPENSSH PRIVATE KEY-----\nexit 0",
    );
    ev
}

#[test]
fn tool_content_mask_secrets_is_the_default() {
    let r = redactor(RedactionPolicy::default());
    let mut ev = codex_tool_result();
    let report = r.redact_event(&mut ev);
    let args = ev.get_str("arguments").unwrap();
    assert!(!args.contains(AWS), "{args}");
    let parsed: serde_json::Value = serde_json::from_str(args).expect("still JSON");
    assert!(parsed["command"][2]
        .as_str()
        .unwrap()
        .contains("[SECRET:aws_access_key:"));
    let out = ev.get_str("output").unwrap();
    assert!(!out.contains("BEGIN OPENSSH PRIVATE KEY"), "{out}");
    assert!(!out.contains("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"));
    assert!(
        out.starts_with("total 8\n-rw------- 1 me me 411 id_ed25519\n[SECRET:private_key_openssh:")
    );
    assert!(out.ends_with("]\nexit 0"));
    assert_eq!(report.secrets.get("aws_access_key"), Some(&1));
    assert_eq!(report.secrets.get("private_key_openssh"), Some(&1));
    assert_eq!(report.actions.get("tool_content.mask_secrets"), Some(&2));
    assert_eq!(ev.get_str("event_name"), Some("codex.tool_result"));
}

#[test]
fn tool_content_keep_leaves_text_verbatim() {
    let r = redactor(RedactionPolicy {
        tool_content: ToolContentAction::Keep,
        ..Default::default()
    });
    let mut ev = codex_tool_result();
    let before = ev.clone();
    r.redact_event(&mut ev);
    assert_eq!(ev, before);
}

#[test]
fn tool_content_truncate_masks_before_cutting() {
    let r = redactor(RedactionPolicy {
        tool_content: ToolContentAction::Truncate,
        truncate_chars: 20,
        ..Default::default()
    });
    // The secret straddles the cut: neither half may survive.
    let text = format!("0123456789abcdef {AWS} and a long tail of output");
    let mut ev = one("output", text.as_str());
    let report = r.redact_event(&mut ev);
    let out = ev.get_str("output").unwrap();
    assert!(!out.contains("AKIA"), "{out}");
    let (kept, marker) = out.split_once('…').expect("truncation marker");
    assert_eq!(kept.chars().count(), 20);
    assert!(
        marker.starts_with("[+") && marker.ends_with(" chars]"),
        "{marker}"
    );
    assert_eq!(report.actions.get("tool_content.truncate"), Some(&1));
    // Short values are not marked.
    let mut short = one("output", "ok");
    r.redact_event(&mut short);
    assert_eq!(short.get_str("output"), Some("ok"));
}

#[test]
fn tool_content_drop_removes_every_tool_field() {
    let r = redactor(RedactionPolicy {
        tool_content: ToolContentAction::Drop,
        ..Default::default()
    });
    let mut ev = codex_tool_result();
    ev.insert("function_args", "{}");
    ev.insert("tool_parameters", Value::Object(BTreeMap::new()));
    let report = r.redact_event(&mut ev);
    for f in ["arguments", "output", "function_args", "tool_parameters"] {
        assert!(ev.get(f).is_none(), "{f} kept");
    }
    assert_eq!(report.actions.get("tool_content.drop"), Some(&4));
    assert!(ev.get("event_name").is_some());
}

// ---------------------------------------------------------------- identifiers

#[test]
fn identifiers_are_kept_by_default() {
    let r = redactor(RedactionPolicy::default());
    let mut ev = one("user_email", "dev@example.com");
    ev.insert("host_name", "build-7");
    let before = ev.clone();
    let report = r.redact_event(&mut ev);
    assert_eq!(ev, before);
    assert!(report.secrets.is_empty());
}

#[test]
fn pseudonyms_are_stable_per_key_and_differ_across_keys() {
    let policy = RedactionPolicy {
        identifier: IdentifierAction::Pseudonymize,
        ..Default::default()
    };
    let r1 = redactor(policy.clone());
    let r2 = Redactor::new(policy, Arc::clone(&SCANNER), b"another key");
    let pseud = |r: &Redactor, field: &str, v: &str| {
        let mut ev = one(field, v);
        r.redact_event(&mut ev);
        ev.get_str(field).unwrap().to_owned()
    };
    let a = pseud(&r1, "user_email", "dev@example.com");
    let hex = a.strip_prefix("anon:").expect("anon: prefix");
    assert_eq!(hex.len(), 12);
    assert!(is_hex(hex));
    assert_eq!(a, pseud(&r1, "user_email", "dev@example.com"), "stable");
    assert_eq!(a, r1.pseudonym("dev@example.com"));
    assert_eq!(
        a,
        pseud(&r1, "resource.user.email", "dev@example.com"),
        "joins across spellings"
    );
    assert_ne!(a, pseud(&r1, "user_email", "ops@example.com"));
    assert_ne!(a, pseud(&r2, "user_email", "dev@example.com"), "keyed");
    assert_ne!(pseud(&r1, "host_name", "build-7"), "build-7");
}

// ---------------------------------------------------------------- argv

fn gemini_argv() -> Value {
    Value::Array(
        [
            "node",
            "gemini",
            "-p",
            &format!("my key is {AWS}"),
            "--password",
            "Tr0ub4dor&3x",
        ]
        .into_iter()
        .map(Value::from)
        .collect(),
    )
}

#[test]
fn argv_masks_secrets_across_elements() {
    let r = redactor(RedactionPolicy::default());
    let mut ev = one("resource.process_command_args", gemini_argv());
    let report = r.redact_event(&mut ev);
    let Some(Value::Array(items)) = ev.get("resource.process_command_args") else {
        panic!("argv kept as array");
    };
    let texts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
    assert_eq!(&texts[..3], &["node", "gemini", "-p"]);
    // The `-p` prompt gets the prompt policy (hashed by default), other values are masked.
    assert!(texts[3].starts_with("hmac:"), "{texts:?}");
    assert!(!texts.concat().contains("AKIA"), "{texts:?}");
    assert_eq!(texts[4], "--password");
    assert!(
        texts[5].starts_with("[SECRET:cli_secret_flag:"),
        "{texts:?}"
    );
    assert_eq!(report.actions.get("argv.mask_secrets"), Some(&1));
    assert_eq!(report.total_secrets(), 2);
}

#[test]
fn argv_hash_and_drop() {
    let r = redactor(RedactionPolicy {
        argv: ArgvAction::Hash,
        ..Default::default()
    });
    let mut ev = one("process_command_args", gemini_argv());
    r.redact_event(&mut ev);
    assert!(ev
        .get_str("process_command_args")
        .unwrap()
        .starts_with("hmac:"));
    let r = redactor(RedactionPolicy {
        argv: ArgvAction::Drop,
        ..Default::default()
    });
    let mut ev = one("process_command_args", gemini_argv());
    r.redact_event(&mut ev);
    assert!(ev.get("process_command_args").is_none());
}

// ---------------------------------------------------------------- other strings

#[test]
fn other_strings_are_masked_deeply_including_embedded_json() {
    let r = redactor(RedactionPolicy::default());
    let inner = format!(
        r#"{{"env":{{"GITHUB_TOKEN":"ghp_{}"}},"n":1}}"#,
        "aB3".repeat(12)
    );
    let value: Value = serde_json::from_value(serde_json::json!({
        "list": ["plain", format!("key {AWS}")],
        "doc": inner,
        "count": 3,
    }))
    .unwrap();
    let mut ev = one("attributes", value);
    let report = r.redact_event(&mut ev);
    let json = ev.to_json_string();
    assert!(!json.contains(AWS) && !json.contains("ghp_aB3"), "{json}");
    let Some(Value::Object(obj)) = ev.get("attributes") else {
        panic!()
    };
    assert_eq!(obj["count"], Value::Int(3));
    let doc: serde_json::Value = serde_json::from_str(obj["doc"].as_str().unwrap()).unwrap();
    assert!(doc["env"]["GITHUB_TOKEN"]
        .as_str()
        .unwrap()
        .starts_with("[SECRET:github_pat:"));
    assert_eq!(report.total_secrets(), 2);
}

#[test]
fn nested_keys_are_classified_too() {
    let r = redactor(RedactionPolicy::default());
    let value: Value =
        serde_json::from_value(serde_json::json!({"prompt": "hi there", "model": "m"})).unwrap();
    let mut ev = one("attributes", value);
    r.redact_event(&mut ev);
    let Some(Value::Object(obj)) = ev.get("attributes") else {
        panic!()
    };
    assert!(obj["prompt"].as_str().unwrap().starts_with("hmac:"));
    assert_eq!(obj["model"], Value::from("m"));
}

#[test]
fn other_keep_switches_masking_off_for_unclassified_fields_only() {
    let r = redactor(RedactionPolicy {
        other: OtherAction::Keep,
        ..Default::default()
    });
    let mut ev = one("body", format!("key {AWS}").as_str());
    ev.insert("output", format!("key {AWS}"));
    r.redact_event(&mut ev);
    assert!(ev.get_str("body").unwrap().contains(AWS));
    assert!(!ev.get_str("output").unwrap().contains(AWS));
    assert!(
        !r.redact_str(&format!("key {AWS}")).contains(AWS),
        "redact_str always masks"
    );
}

#[test]
fn min_confidence_high_leaves_low_confidence_findings() {
    let text = "DB_PASSWORD=S3cr3t-P4ss!x";
    let low = redactor(RedactionPolicy::default());
    assert!(!low.redact_str(text).contains("S3cr3t-P4ss!x"));
    let high = redactor(RedactionPolicy {
        min_confidence: Confidence::High,
        ..Default::default()
    });
    assert_eq!(high.redact_str(text), text);
}

// ---------------------------------------------------------------- fingerprints

#[test]
fn fingerprints_are_stable_and_keyed() {
    let r = redactor(RedactionPolicy::default());
    let a = r.redact_str(&format!("x {AWS} y")).into_owned();
    let b = r.redact_str(AWS).into_owned();
    let token = |s: &str| s[s.find("[SECRET:").unwrap()..=s.find(']').unwrap()].to_owned();
    assert_eq!(token(&a), token(&b));
    let fp = token(&a)
        .trim_end_matches(']')
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(fp.len(), 8);
    assert!(is_hex(&fp));
    let other = r.redact_str("AKIA2222222222222222").into_owned();
    assert_ne!(token(&other), token(&a));
    let k2 = Redactor::new(RedactionPolicy::default(), Arc::clone(&SCANNER), b"k2");
    assert_ne!(token(&k2.redact_str(AWS)), token(&a));
    assert_eq!(r.redact_str("nothing secret"), "nothing secret");
    assert!(matches!(
        r.redact_str("nothing secret"),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn lookalike_masks_do_not_hide_secrets() {
    let r = redactor(RedactionPolicy::default());
    let sneaky = format!("[SECRET:aws_access_key:{AWS}]");
    assert!(!r.redact_str(&sneaky).contains(AWS));
}

// ---------------------------------------------------------------- config and strictness

#[test]
fn policy_reads_from_the_redaction_section() {
    let text = r#"
[server]
listen = "127.0.0.1:4318"

[redaction]
prompt = "drop"
tool_content = "truncate"
truncate_chars = 100
identifier = "pseudonymize"
argv = "hash"
min_confidence = "high"

[redaction.fields]
prompt = ["prompt", "my_prompt_field"]
"#;
    let p = RedactionPolicy::from_toml(text).unwrap();
    assert_eq!(p.prompt, PromptAction::Drop);
    assert_eq!(p.tool_content, ToolContentAction::Truncate);
    assert_eq!(p.truncate_chars, 100);
    assert_eq!(p.identifier, IdentifierAction::Pseudonymize);
    assert_eq!(p.argv, ArgvAction::Hash);
    assert_eq!(p.other, OtherAction::MaskSecrets);
    assert_eq!(p.min_confidence, Confidence::High);
    assert_eq!(p.fields.prompt, vec!["prompt", "my_prompt_field"]);
    assert!(
        p.fields.identifier.contains(&"user_email".to_owned()),
        "other lists keep defaults"
    );
    assert_eq!(
        RedactionPolicy::from_toml("").unwrap(),
        RedactionPolicy::default()
    );
    assert!(RedactionPolicy::from_toml("[redaction]\nprompt = \"shout\"").is_err());
    assert!(RedactionPolicy::from_toml("[redaction]\nprompts = \"drop\"").is_err());
}

#[test]
fn strictness_compares_and_combines_policies() {
    let global = RedactionPolicy::default();
    assert!(global.is_at_least_as_strict_as(&global));
    let sink = RedactionPolicy {
        prompt: PromptAction::Drop,
        identifier: IdentifierAction::Pseudonymize,
        ..Default::default()
    };
    assert!(sink.is_at_least_as_strict_as(&global));
    assert!(!global.is_at_least_as_strict_as(&sink));
    let weaker = RedactionPolicy {
        tool_content: ToolContentAction::Keep,
        ..sink.clone()
    };
    assert!(!weaker.is_at_least_as_strict_as(&global));
    let fewer_fields = {
        let mut p = sink.clone();
        p.fields.prompt.retain(|f| f != "prompt");
        p
    };
    assert!(!fewer_fields.is_at_least_as_strict_as(&global));
    let t100 = RedactionPolicy {
        tool_content: ToolContentAction::Truncate,
        truncate_chars: 100,
        ..Default::default()
    };
    let t50 = RedactionPolicy {
        truncate_chars: 50,
        ..t100.clone()
    };
    assert!(t50.is_at_least_as_strict_as(&t100) && !t100.is_at_least_as_strict_as(&t50));

    let combined = weaker.stricten(&t50);
    assert_eq!(combined.prompt, PromptAction::Drop);
    assert_eq!(combined.tool_content, ToolContentAction::Truncate);
    assert_eq!(combined.truncate_chars, 50);
    assert!(combined.is_at_least_as_strict_as(&weaker));
    assert!(combined.is_at_least_as_strict_as(&t50));
    assert!(fewer_fields
        .stricten(&global)
        .is_at_least_as_strict_as(&global));
}

// ---------------------------------------------------------------- alerts

#[test]
fn alerts_are_redacted_like_their_events() {
    let r = redactor(RedactionPolicy {
        identifier: IdentifierAction::Pseudonymize,
        ..Default::default()
    });
    let mut group = BTreeMap::new();
    group.insert("user_email".to_owned(), Value::from("dev@example.com"));
    group.insert("conversation_id".to_owned(), Value::from("c-1"));
    let mut ev = codex_tool_result();
    ev.insert("user_email", "dev@example.com");
    let mut alert = Alert {
        id: "a1".into(),
        revision: 1,
        time: "2026-11-23T21:00:00Z".into(),
        rule: RuleRef {
            id: "r".into(),
            name: "r".into(),
            title: "Tool output carries a secret".into(),
            level: "high".into(),
            tags: vec![],
        },
        agent: "codex".into(),
        group,
        count: 1,
        first_time: "2026-11-23T21:00:00Z".into(),
        last_time: "2026-11-23T21:00:00Z".into(),
        events: vec![ev],
        event_ids: vec!["e1".into()],
        summary: format!("dev@example.com ran a tool whose output had {AWS}"),
        triage: None,
    };
    let report = r.redact_alert(&mut alert);
    let pseudonym = r.pseudonym("dev@example.com");
    assert_eq!(alert.group["user_email"], Value::from(pseudonym.as_str()));
    assert_eq!(alert.group["conversation_id"], Value::from("c-1"));
    assert_eq!(
        alert.events[0].get_str("user_email"),
        Some(pseudonym.as_str())
    );
    assert!(!alert.summary.contains("dev@example.com") && !alert.summary.contains(AWS));
    assert!(alert.summary.starts_with(&pseudonym), "{}", alert.summary);
    let json = serde_json::to_string(&alert).unwrap();
    assert!(!json.contains(AWS) && !json.contains("dev@example.com"));
    assert!(report.total_secrets() >= 3);
    assert_eq!(report.actions.get("identifier.pseudonymize"), Some(&2));
}

/// The engine's summary for a match names the rule's `fields:` values of the last evidence
/// event as `field=value` pairs; each becomes the redacted value of its field.
#[test]
fn summary_field_values_are_redacted_by_their_field_class() {
    let r = redactor(RedactionPolicy {
        identifier: IdentifierAction::Pseudonymize,
        prompt: PromptAction::Drop,
        ..Default::default()
    });
    let long_prompt = format!("deploy with {AWS} {}", "and more ".repeat(40));
    let mut ev = Event::new();
    ev.insert("approval_policy", "never");
    ev.insert("user_email", "dev@example.com");
    ev.insert("user_name", "dev");
    ev.insert("prompt", long_prompt.as_str());
    let pairs: Vec<String> = ["approval_policy", "user_email", "user_name", "prompt"]
        .iter()
        .filter_map(|f| Alert::summary_pair(f, ev.get(f).unwrap()))
        .collect();
    let mut alert = Alert {
        id: "a1".into(),
        revision: 1,
        time: "2026-11-23T21:00:00Z".into(),
        rule: RuleRef {
            id: "r".into(),
            name: "r".into(),
            title: "Weakened".into(),
            level: "high".into(),
            tags: vec![],
        },
        agent: "codex".into(),
        group: BTreeMap::new(),
        count: 1,
        first_time: "2026-11-23T21:00:00Z".into(),
        last_time: "2026-11-23T21:00:00Z".into(),
        events: vec![ev],
        event_ids: vec!["e1".into()],
        summary: format!("Weakened: {}", pairs.join(", ")),
        triage: None,
    };
    assert!(alert.summary.contains("…"), "the prompt pair is truncated");
    r.redact_alert(&mut alert);
    let pseudonym = r.pseudonym("dev@example.com");
    let name = r.pseudonym("dev");
    assert_eq!(
        alert.summary,
        format!("Weakened: approval_policy=never, user_email={pseudonym}, user_name={name}, [prompt removed]")
    );
    assert!(!alert.summary.contains(AWS) && !alert.summary.contains("deploy"));
}

// ---------------------------------------------------------------- regressions found by proptest

#[test]
fn argv_arrays_mask_nested_values_and_json_elements() {
    let r = redactor(RedactionPolicy::default());
    let nested: Value = serde_json::from_value(serde_json::json!([
        {"prompt": format!("key {AWS}")},
        r#"{"k":"api_key = \"0123456789abcdef0123456789abcdef\""}"#,
    ]))
    .unwrap();
    let mut ev = one("process_command_args", nested);
    r.redact_event(&mut ev);
    let json = ev.to_json_string();
    assert!(!json.contains(AWS), "{json}");
    assert!(!json.contains("0123456789abcdef0123456789abcdef"), "{json}");
}

#[test]
fn escaped_quotes_do_not_hide_assignments() {
    let r = redactor(RedactionPolicy::default());
    // Truncated JSON (not parseable) still carries escaped quotes around the value.
    let text = r#"{"output":"config: api_key = \"0123456789abcdef0123456789abcdef\" and more"#;
    assert!(!r
        .redact_str(text)
        .contains("0123456789abcdef0123456789abcdef"));
}

#[test]
fn a_password_glued_to_punctuation_is_still_masked() {
    let r = redactor(RedactionPolicy::default());
    let out = r.redact_str("spring.datasource.password=Tr0ub4dorTr0ub4dor(");
    assert!(!out.contains("Tr0ub4dor"), "{out}");
    // Code that merely names a password is left alone.
    let code = "fn login(user: &str, password: Option<String>)";
    assert_eq!(r.redact_str(code), code);
}

#[test]
fn secrets_in_field_names_are_masked_too() {
    let r = redactor(RedactionPolicy::default());
    let nested: Value = serde_json::from_value(serde_json::json!({ AWS: 1, "ok": 2 })).unwrap();
    let mut ev = one(AWS, "value");
    ev.insert("attributes", nested);
    ev.insert(
        "output",
        serde_json::from_value::<Value>(serde_json::json!({ AWS: "x" })).unwrap(),
    );
    let report = r.redact_event(&mut ev);
    let json = ev.to_json_string();
    assert!(!json.contains(AWS), "{json}");
    assert_eq!(report.secrets.get("aws_access_key"), Some(&3));
    let Some(Value::Object(obj)) = ev.get("attributes") else {
        panic!()
    };
    assert_eq!(obj["ok"], Value::Int(2));
}

/// An assignment's context can sit inside what an earlier match took for a value:
/// `generic_password:\nDB_PASSWORD="..."` must still mask the real password.
#[test]
fn assignment_hidden_behind_an_earlier_match_is_masked() {
    let r = tripline_redact::Redactor::new(
        tripline_redact::RedactionPolicy::default(),
        tripline_redact::SecretScanner::shared_builtin(),
        b"0123456789abcdef0123456789abcdef",
    );
    let text = "contents of generic_password:\nDB_PASSWORD=\"S3cr3t-P4ss!S3cr3t-P4ss!\"\nend";
    let out = r.redact_str(text);
    assert!(!out.contains("S3cr3t-P4ss!"), "{out}");
}

// ---------------------------------------------------------------- remembered clean strings

#[test]
fn a_redactor_gives_the_same_result_and_report_for_a_value_it_has_seen() {
    let r = redactor(RedactionPolicy::default());
    let event = || {
        let mut ev = Event::new();
        ev.insert("resource.service.name", "codex_exec");
        ev.insert("span_name", "fs.get_metadata");
        ev.insert("note", format!("key {AWS} here"));
        ev.insert(format!("x-{AWS}"), "a secret in a field name");
        ev
    };
    let (mut first, mut second, mut fresh) = (event(), event(), event());
    let a = r.redact_event(&mut first);
    // The second time the clean strings come from memory; the secrets are scanned again.
    let b = r.redact_event(&mut second);
    let c = redactor(RedactionPolicy::default()).redact_event(&mut fresh);
    assert_eq!(first, second);
    assert_eq!(first, fresh);
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a.total_secrets(), 2, "{a:?}");
    assert!(!second.to_json_string().contains(AWS));
    assert_eq!(second.get_str("span_name"), Some("fs.get_metadata"));
}
