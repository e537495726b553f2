//! Property test: a secret planted anywhere in arbitrary text, glued to letters,
//! punctuation, JSON quotes or newlines, never survives redaction.

use std::sync::{Arc, LazyLock};

use proptest::prelude::*;
use tripline_event::{Event, Value};
use tripline_redact::{RedactionPolicy, Redactor, SecretScanner};

static SCANNER: LazyLock<Arc<SecretScanner>> = LazyLock::new(|| Arc::new(SecretScanner::builtin()));

/// Every (sample text, secrets in it) pair from the detector file.
static PLANTS: LazyLock<Vec<(String, Vec<String>)>> = LazyLock::new(|| {
    let scanner = &*SCANNER;
    let mut out = Vec::new();
    for spec in scanner.specs() {
        for sample in spec.true_positive_samples() {
            let secrets: Vec<String> = scanner
                .scan_all(&sample)
                .iter()
                .filter(|f| *f.detector == *spec.id)
                .map(|f| f.secret(&sample).to_owned())
                .collect();
            assert!(!secrets.is_empty(), "{}: sample finds nothing", spec.id);
            out.push((sample, secrets));
        }
    }
    out
});

static REDACTOR: LazyLock<Redactor> = LazyLock::new(|| {
    Redactor::new(
        RedactionPolicy::default(),
        Arc::clone(&SCANNER),
        b"proptest key",
    )
});

const GLUE: &[&str] = &[
    "",
    "x",
    "Zq9",
    "_",
    "-",
    "\"",
    "'",
    "`",
    "\n",
    "\r\n",
    "\t",
    " ",
    "=",
    ":",
    ";",
    ",",
    ".",
    "/",
    "(",
    ")",
    "[",
    "]",
    "{\"k\":\"",
    "\"}",
    "\\n",
    "é",
    "日本",
    "\u{0}",
];

fn glue() -> impl Strategy<Value = String> {
    prop::sample::select(GLUE).prop_map(str::to_owned)
}

fn filler() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 _=:,.\"'{}\\[\\]\n-]{0,60}",
        Just(String::new()),
    ]
}

fn assert_hidden(out: &str, secrets: &[String], text: &str) -> Result<(), TestCaseError> {
    for secret in secrets {
        prop_assert!(
            !out.contains(secret.as_str()),
            "secret {secret:?} survived in {out:?} (input {text:?})"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn planted_secret_never_survives(
        which in 0usize..10_000,
        prefix in filler(),
        before in glue(),
        after in glue(),
        suffix in filler(),
    ) {
        let (sample, secrets) = &PLANTS[which % PLANTS.len()];
        let text = format!("{prefix}{before}{sample}{after}{suffix}");
        let out = REDACTOR.redact_str(&text);
        assert_hidden(&out, secrets, &text)?;

        // The same through an event: an unclassified field, a tool-output field, and a
        // JSON document carrying the text as a string value.
        let mut ev = Event::new();
        ev.insert("body", text.clone());
        ev.insert("output", text.clone());
        let doc = serde_json::json!({ "command": ["bash", "-lc", text.clone()] }).to_string();
        ev.insert("arguments", doc);
        ev.insert("nested", Value::Array(vec![Value::from(text.as_str())]));
        REDACTOR.redact_event(&mut ev);
        let json = ev.to_json_string();
        for key in ["body", "output", "arguments"] {
            let v = ev.get_str(key).unwrap_or_default();
            assert_hidden(v, secrets, &text)?;
        }
        // Serialized JSON escapes some characters; compare against escaped secrets too.
        for secret in secrets {
            let escaped = serde_json::to_string(secret).unwrap_or_default();
            let inner = escaped.trim_matches('"');
            prop_assert!(!json.contains(inner), "escaped secret survived in event JSON");
        }
    }

    #[test]
    fn arbitrary_text_never_panics_and_masks_are_stable(text in any::<String>()) {
        let once = REDACTOR.redact_str(&text).into_owned();
        let twice = REDACTOR.redact_str(&once).into_owned();
        prop_assert_eq!(once, twice, "redaction is idempotent");
    }
}

/// Field names from every class plus unclassified ones.
const FIELDS: &[&str] = &[
    "prompt",
    "arguments",
    "output",
    "function_args",
    "tool_parameters",
    "user_email",
    "resource.host_name",
    "process_command_args",
    "body",
    "attributes",
    "misc",
];

/// A value tree whose strings may carry the planted text.
fn value_tree(planted: String) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        "[a-z ]{0,12}".prop_map(Value::Str),
        Just(Value::Str(planted.clone())),
        Just(Value::Str(format!(
            "{{\"k\":{}}}",
            serde_json::to_string(&planted).unwrap_or_default()
        ))),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(FIELDS).prop_map(str::to_owned),
                inner,
                0..4
            )
            .prop_map(Value::Object),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn planted_secret_never_survives_in_any_field_or_nesting(
        (which, field, tree) in (0usize..10_000, prop::sample::select(FIELDS))
            .prop_flat_map(|(which, field)| {
                let (sample, _) = &PLANTS[which % PLANTS.len()];
                (Just(which), Just(field), value_tree(format!("out: {sample}\n")))
            })
    ) {
        let (_, secrets) = &PLANTS[which % PLANTS.len()];
        let mut ev = Event::new();
        ev.insert(field, tree);
        REDACTOR.redact_event(&mut ev);
        let json = ev.to_json_string();
        for secret in secrets {
            let escaped = serde_json::to_string(secret).unwrap_or_default();
            prop_assert!(!json.contains(escaped.trim_matches('"')), "{secret:?} survived in {json}");
        }
    }
}
