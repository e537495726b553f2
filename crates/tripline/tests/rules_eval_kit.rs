//! `tripline rules eval` (the JSON Lines fast path: projected scanning, N threads, lazily
//! parsed evidence) reproduces the conformance kit: every detection case's `matches` and
//! every correlation case's `fired_groups` and `first_fire`, printed in the documented
//! output format, identically with 1 and 2 threads and with `--whole-lines`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value as Json;
use support::process;
use support::tools::{tripline_command, workspace_root};

fn kit() -> PathBuf {
    workspace_root().join("crates/tripline-sigma/tests/kit")
}

fn read_json(p: &Path) -> BTreeMap<String, Json> {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
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

/// The key of `expected` for the rule of case file `f` (the rule id it holds).
fn expected_id<'e>(expected: &'e BTreeMap<String, Json>, f: &Path) -> &'e String {
    let text = std::fs::read_to_string(f).expect("case");
    expected
        .keys()
        .find(|k| text.contains(k.as_str()))
        .unwrap_or_else(|| panic!("{}: no expected entry", f.display()))
}

/// `rules eval` output records, with the flags given.
fn eval(rule: &Path, events: &Path, flags: &[&str]) -> Vec<Json> {
    let mut cmd = tripline_command();
    cmd.args(["rules", "eval", "--rules"])
        .arg(rule)
        .arg("--lists")
        .arg(kit().join("placeholders.yml"))
        .args(flags)
        .arg(events);
    let what = format!("rules eval {} {flags:?}", rule.display());
    let out = process::run(&what, &mut cmd, Duration::from_secs(60));
    out.assert_success(&what);
    out.stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: bad output line {l}: {e}"))
        })
        .collect()
}

/// The same output whatever the thread count or parsing mode; returns it.
fn eval_every_way(rule: &Path, events: &Path) -> Vec<Json> {
    let one = eval(rule, events, &["--threads", "1"]);
    for flags in [
        &["--threads", "2"][..],
        &["--threads", "2", "--whole-lines"],
    ] {
        assert_eq!(
            eval(rule, events, flags),
            one,
            "{} with {flags:?}",
            rule.display()
        );
    }
    one
}

#[test]
fn detection_cases_print_the_expected_lines() {
    let expected = read_json(&kit().join("expected.json"));
    let events = kit().join("events.jsonl");
    let files = yml_files(&kit().join("cases"));
    assert_eq!(files.len(), 48, "the kit has 48 detection cases");
    let mut failures = Vec::new();
    for f in &files {
        let mut got: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for r in eval_every_way(f, &events) {
            let keys: BTreeSet<&str> = r
                .as_object()
                .expect("object")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                keys,
                BTreeSet::from(["rule_id", "rule_name", "line"]),
                "{}: {r}",
                f.display()
            );
            got.entry(r["rule_id"].as_str().expect("rule_id").to_owned())
                .or_default()
                .push(r["line"].as_u64().expect("line"));
        }
        assert!(
            got.len() <= 1,
            "{}: one rule per case: {got:?}",
            f.display()
        );
        let (id, lines) = got.into_iter().next().unwrap_or_default();
        let want_id = expected_id(&expected, f);
        let want: Vec<u64> = expected[want_id]["matches"]
            .as_array()
            .expect("matches")
            .iter()
            .map(|v| v.as_u64().expect("index"))
            .collect();
        if !(lines.is_empty() && want.is_empty()) && (id != *want_id || lines != want) {
            failures.push(format!(
                "{}: want {want:?}, got {lines:?} ({id})",
                f.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn correlation_cases_print_the_expected_groups() {
    let expected = read_json(&kit().join("expected_corr.json"));
    let events = kit().join("events_corr.jsonl");
    let files = yml_files(&kit().join("correlation"));
    assert_eq!(files.len(), 8, "the kit has 8 correlation cases");
    let mut failures = Vec::new();
    for f in &files {
        let id = expected_id(&expected, f);
        // group -> lines of its first alert
        let mut first: BTreeMap<BTreeMap<String, String>, Vec<u64>> = BTreeMap::new();
        for r in eval_every_way(f, &events) {
            let keys: BTreeSet<&str> = r
                .as_object()
                .expect("object")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                keys,
                BTreeSet::from(["rule_id", "rule_name", "group", "lines", "time"]),
                "{}: base rules print nothing without generate: {r}",
                f.display()
            );
            assert_eq!(r["rule_id"].as_str(), Some(id.as_str()), "{}", f.display());
            let lines: Vec<u64> = r["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(|v| v.as_u64().expect("line"))
                .collect();
            assert!(
                lines.windows(2).all(|w| w[0] < w[1]),
                "{}: lines ascend: {lines:?}",
                f.display()
            );
            assert!(
                r["time"]
                    .as_str()
                    .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()),
                "{}: {r}",
                f.display()
            );
            let group: BTreeMap<String, String> = r["group"]
                .as_object()
                .expect("group")
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect();
            first.entry(group).or_insert(lines);
        }
        let want_groups: BTreeSet<BTreeMap<String, String>> =
            serde_json::from_value(expected[id]["fired_groups"].clone()).expect("fired_groups");
        let have: BTreeSet<BTreeMap<String, String>> = first.keys().cloned().collect();
        if have != want_groups {
            failures.push(format!(
                "{}: groups want {want_groups:?}, got {have:?}",
                f.display()
            ));
            continue;
        }
        // the kit's first_fire (the window's anchor) is one of the first alert's lines
        for (k, v) in expected[id]["first_fire"].as_object().expect("first_fire") {
            let g: BTreeMap<String, String> = serde_json::from_str(k).expect("group key");
            let anchor = v.as_u64().expect("first_fire");
            if !first[&g].contains(&anchor) {
                failures.push(format!(
                    "{}: {k}: first_fire {anchor} not in {:?}",
                    f.display(),
                    first[&g]
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
