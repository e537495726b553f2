//! Property tests: arbitrary rule text and arbitrary events never panic the engine.

use proptest::prelude::*;
use tripline_event::{Event, Value};
use tripline_sigma::{Engine, EngineOptions, Lists, RuleSource};

const MODS: &[&str] = &[
    "",
    "|contains",
    "|startswith",
    "|endswith",
    "|all",
    "|exists",
    "|cased",
    "|neq",
    "|windash",
    "|re",
    "|re|i",
    "|base64",
    "|base64offset|contains",
    "|utf16le|base64",
    "|utf16|base64",
    "|utf16be",
    "|wide",
    "|gt",
    "|lte",
    "|minute",
    "|month",
    "|cidr",
    "|expand",
    "|fieldref",
    "|fieldref|startswith",
    "|contains|all",
    "|bogus",
];

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z*?\\\\%]{0,8}".prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("'%L%'".to_owned()),
        Just("'10.0.0.0/8'".to_owned()),
        Just("'(['".to_owned()),
        Just("[]".to_owned()),
        Just("{a: 1}".to_owned()),
    ]
}

fn rule_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            (
                prop::sample::select(vec!["f", "g", "a.b"]),
                prop::sample::select(MODS.to_vec()),
                prop::collection::vec(scalar(), 1..3),
            ),
            1..4,
        ),
        prop::sample::select(vec![
            "sel",
            "not sel",
            "1 of s*",
            "all of them",
            "sel and (sel or",
            "sel | count() > 1",
            "x",
        ]),
    )
        .prop_map(|(items, cond)| {
            let mut y = String::from("title: p\nid: p\ndetection:\n    sel:\n");
            for (f, m, vals) in items {
                y.push_str(&format!("        {f}{m}:\n"));
                for v in vals {
                    y.push_str(&format!("            - {v}\n"));
                }
            }
            y.push_str(&format!("    condition: {cond}\n"));
            y
        })
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        ".{0,12}".prop_map(Value::Str),
        "[0-9: TZ.-]{0,25}".prop_map(Value::Str),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,2}", inner, 0..3).prop_map(Value::Object),
        ]
    })
}

fn event() -> impl Strategy<Value = Event> {
    prop::collection::btree_map(
        prop::sample::select(vec!["f", "g", "a", "a.b", "time", "event_name"])
            .prop_map(str::to_owned),
        value(),
        0..5,
    )
    .prop_map(Event::from_fields)
}

fn lists() -> Lists {
    let mut l = Lists::default();
    l.insert("L", vec!["x*".into(), "y".into()]);
    l
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = Engine::compile(&[RuleSource { path: "p.yml".into(), text }], &lists(), &EngineOptions::default());
    }

    #[test]
    fn generated_rules_and_events_never_panic(text in rule_text(), events in prop::collection::vec(event(), 0..6)) {
        let src = [RuleSource { path: "p.yml".into(), text }];
        if let Ok(mut e) = Engine::compile(&src, &lists(), &EngineOptions::default()) {
            for ev in &events {
                let _ = e.process(ev);
            }
            let snap = e.snapshot();
            prop_assert!(e.restore(&snap).is_ok());
        }
    }

    #[test]
    fn correlations_never_panic(events in prop::collection::vec(event(), 0..12), gte in 0i64..4) {
        let text = format!("title: b\nid: b\nname: b\ndetection:\n    s: {{f|exists: true}}\n    condition: s\n---\ntitle: c\nid: c\ncorrelation:\n    type: value_sum\n    rules: [b]\n    group-by: [g]\n    timespan: 1m\n    condition: {{field: f, gte: {gte}}}\n");
        let mut e = Engine::compile(&[RuleSource { path: "c.yml".into(), text }], &Lists::default(), &EngineOptions::default()).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        for ev in &events {
            let _ = e.process(ev);
        }
        e.advance_watermark(i64::MAX);
    }
}
