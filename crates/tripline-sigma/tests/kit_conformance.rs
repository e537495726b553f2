//! The Sigma conformance kit (copied into tests/kit): all detection cases must reproduce
//! `matches`, all correlation cases `fired_groups` and `first_fire`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use tripline_event::Event;
use tripline_sigma::{Engine, EngineOptions, Lists, OutputKind, RuleSource};

fn kit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kit")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn events(name: &str) -> Vec<Event> {
    read(&kit().join(name))
        .lines()
        .map(|l| match serde_json::from_str(l) {
            Ok(Json::Object(o)) => Event::from_json_object(o),
            other => panic!("bad event line {l}: {other:?}"),
        })
        .collect()
}

fn lists() -> Lists {
    Lists::from_yaml(&read(&kit().join("placeholders.yml"))).expect("placeholders.yml")
}

fn yml_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("kit dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    v.sort();
    v
}

fn compile(path: &Path) -> Engine {
    let src = [RuleSource {
        path: path.display().to_string(),
        text: read(path),
    }];
    match Engine::compile(&src, &lists(), &EngineOptions::default()) {
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

#[test]
fn detection_cases_match_expected() {
    let expected: BTreeMap<String, Json> =
        serde_json::from_str(&read(&kit().join("expected.json"))).expect("expected.json");
    let evs = events("events.jsonl");
    let files = yml_files(&kit().join("cases"));
    assert_eq!(files.len(), 48, "the kit has 48 detection cases");
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in files {
        let mut engine = compile(&f);
        let mut got: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for e in &evs {
            for o in engine.process(e) {
                assert_eq!(o.kind, OutputKind::Match);
                got.entry(o.rule_id).or_default().extend(o.seqs);
            }
        }
        let info = engine.rules();
        assert_eq!(info.len(), 1);
        let id = &info[0].meta.id;
        let want: Vec<u64> = expected[id]["matches"]
            .as_array()
            .expect("matches")
            .iter()
            .map(|v| v.as_u64().expect("index"))
            .collect();
        let have = got.remove(id).unwrap_or_default();
        checked += 1;
        if have != want {
            failures.push(format!("{}: want {want:?}, got {have:?}", f.display()));
        }
    }
    assert_eq!(checked, expected.len());
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn correlation_cases_match_expected() {
    let expected: BTreeMap<String, Json> =
        serde_json::from_str(&read(&kit().join("expected_corr.json"))).expect("expected_corr.json");
    let evs = events("events_corr.jsonl");
    let files = yml_files(&kit().join("correlation"));
    assert_eq!(files.len(), 8, "the kit has 8 correlation cases");
    let mut failures = Vec::new();
    for f in files {
        let mut engine = compile(&f);
        let id = engine
            .rules()
            .into_iter()
            .find(|r| r.kind != "detection")
            .expect("a correlation")
            .meta
            .id;
        let mut first: BTreeMap<BTreeMap<String, String>, u64> = BTreeMap::new();
        for e in &evs {
            for o in engine.process(e) {
                assert_eq!(
                    o.kind,
                    OutputKind::Correlation,
                    "{}: base rules must not emit",
                    f.display()
                );
                assert_eq!(o.rule_id, id);
                let g: BTreeMap<String, String> = o
                    .group
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_text().unwrap_or_default()))
                    .collect();
                // The kit's first_fire is the window's anchor (docs/sigma.md, "Windows").
                first.entry(g).or_insert(o.anchor_seq);
            }
        }
        let want = &expected[&id];
        let want_groups: BTreeSet<BTreeMap<String, String>> =
            serde_json::from_value(want["fired_groups"].clone()).expect("fired_groups");
        let have_groups: BTreeSet<BTreeMap<String, String>> = first.keys().cloned().collect();
        if want_groups != have_groups {
            failures.push(format!(
                "{}: groups want {want_groups:?}, got {have_groups:?}",
                f.display()
            ));
            continue;
        }
        for (k, v) in want["first_fire"].as_object().expect("first_fire") {
            let g: BTreeMap<String, String> = serde_json::from_str(k).expect("group key");
            if first.get(&g).copied() != v.as_u64() {
                failures.push(format!(
                    "{}: first_fire {k} want {v}, got {:?}",
                    f.display(),
                    first.get(&g)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
