//! `tripline rules test DIR...`: run the test events stored beside each rule.
//!
//! `foo.tests.yml` tests the rules of `foo.yml`:
//!
//! ```yaml
//! rule: foo            # optional: id or name; default every alerting rule of foo.yml
//! positive:            # each case must make the rule(s) alert
//!   - {event_name: codex.tool_decision, decision: denied}
//!   - [{...}, {...}]   # a list of events is streamed in order (for correlations)
//! negative:            # each case must not
//!   - {event_name: codex.tool_decision, decision: approved}
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value as Json;
use tripline_event::Event;
use tripline_sigma::{Engine, EngineOptions};

use crate::rulefiles as files;

/// Arguments of `rules test`.
#[derive(clap::Args)]
pub struct Args {
    /// Rule files or directories (searched recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Lists for `%placeholder%` expansion.
    #[arg(long)]
    pub lists: Option<PathBuf>,
    /// Field mapping file (`field_mapping: {rule_field: event_field}`).
    #[arg(long)]
    pub mapping: Option<PathBuf>,
}

struct Case {
    label: String,
    events: Vec<Event>,
    positive: bool,
}

struct TestFile {
    rule_file: String,
    rule: Option<String>,
    cases: Vec<Case>,
}

fn rule_file_for(test: &Path) -> PathBuf {
    let name = test
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = files::TEST_SUFFIXES
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    let yml = test.with_file_name(format!("{stem}.yml"));
    if yml.exists() {
        yml
    } else {
        test.with_file_name(format!("{stem}.yaml"))
    }
}

fn to_event(v: &Json, at: &str) -> anyhow::Result<Event> {
    match v {
        Json::Object(o) => Ok(Event::from_json_object(o.clone())),
        other => anyhow::bail!("{at}: expected an event (a map), found {other}"),
    }
}

fn parse_test_file(path: &Path) -> anyhow::Result<TestFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let doc: Json = serde_norway::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: invalid YAML: {e}", path.display()))?;
    let Json::Object(map) = doc else {
        anyhow::bail!(
            "{}: expected a map with positive:/negative:",
            path.display()
        )
    };
    for k in map.keys() {
        if !["rule", "positive", "negative"].contains(&k.as_str()) {
            anyhow::bail!(
                "{}: {k}: unknown key (expected rule, positive, negative)",
                path.display()
            );
        }
    }
    let rule = match map.get("rule") {
        None => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => anyhow::bail!("{}: rule: expected an id or name", path.display()),
    };
    let mut cases = Vec::new();
    for (key, positive) in [("positive", true), ("negative", false)] {
        let Some(list) = map.get(key) else { continue };
        let Json::Array(items) = list else {
            anyhow::bail!("{}: {key}: expected a list of cases", path.display())
        };
        for (i, item) in items.iter().enumerate() {
            let label = format!("{key}[{i}]");
            let at = format!("{}: {label}", path.display());
            let events = match item {
                Json::Array(evs) => evs
                    .iter()
                    .map(|e| to_event(e, &at))
                    .collect::<anyhow::Result<Vec<_>>>()?,
                other => vec![to_event(other, &at)?],
            };
            cases.push(Case {
                label,
                events,
                positive,
            });
        }
    }
    if cases.is_empty() {
        anyhow::bail!("{}: no positive or negative cases", path.display());
    }
    Ok(TestFile {
        rule_file: rule_file_for(path).display().to_string(),
        rule,
        cases,
    })
}

/// Run the rule tests.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (_, failed) = run_tests(&args)?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Run every test file; print a line per case and a summary; return (passed, failed).
fn run_tests(args: &Args) -> anyhow::Result<(usize, usize)> {
    let (rules, tests) = files::find(&args.paths)?;
    let sources = files::load_sources(&rules)?;
    let lists = files::builtin_lists_and(args.lists.as_slice())?;
    let opts = EngineOptions {
        mapping: files::load_mapping(args.mapping.as_deref())?,
        secret_check: Some(crate::pipeline::setup::secret_check()),
        ..EngineOptions::default()
    };
    let mut engine = match Engine::compile(&sources, &lists, &opts) {
        Ok(e) => e,
        Err(errs) => {
            for e in &errs {
                println!("{e}");
            }
            anyhow::bail!(
                "{} rule problem(s); run `tripline rules lint` for details",
                errs.len()
            );
        }
    };
    let fresh = engine.snapshot();
    let infos = engine.rules();
    let (mut passed, mut failed) = (0usize, 0usize);
    for t in &tests {
        let tf = parse_test_file(t)?;
        let targets: BTreeSet<String> = infos
            .iter()
            .filter(|r| r.meta.path == tf.rule_file)
            .filter(|r| match &tf.rule {
                Some(want) => r.meta.id == *want || r.meta.name == *want,
                None => r.emits,
            })
            .map(|r| r.meta.id.clone())
            .collect();
        if targets.is_empty() {
            println!("FAIL {}: no rule to test in {}", t.display(), tf.rule_file);
            failed += 1;
            continue;
        }
        for case in &tf.cases {
            engine.restore(&fresh).map_err(anyhow::Error::msg)?;
            let hits: BTreeSet<String> = case
                .events
                .iter()
                .flat_map(|e| engine.process(e))
                .filter(|o| targets.contains(&o.rule_id))
                .map(|o| o.rule_name)
                .collect();
            let ok = hits.is_empty() != case.positive;
            let detail = if case.positive {
                "expected an alert, got none".to_owned()
            } else {
                format!(
                    "expected no alert, got {}",
                    hits.into_iter().collect::<Vec<_>>().join(", ")
                )
            };
            if ok {
                passed += 1;
                println!("PASS {} {}", t.display(), case.label);
            } else {
                failed += 1;
                println!("FAIL {} {}: {detail}", t.display(), case.label);
            }
        }
    }
    println!(
        "{passed} passed, {failed} failed ({} test file(s))",
        tests.len()
    );
    Ok((passed, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tripline-sigma/tests/fixtures/rules")
    }

    #[test]
    fn fixture_rule_tests_pass() {
        let args = Args {
            paths: vec![fixtures()],
            lists: None,
            mapping: None,
        };
        assert_eq!(run_tests(&args).unwrap(), (6, 0));
    }

    #[test]
    fn a_wrong_expectation_fails() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            fixtures().join("shell_denied.yml"),
            dir.path().join("r.yml"),
        )
        .unwrap();
        std::fs::write(dir.path().join("r.tests.yml"), "rule: shell_denied\nnegative:\n  - {event_name: codex.tool_decision, tool_name: shell, decision: denied}\n").unwrap();
        let args = Args {
            paths: vec![dir.path().to_path_buf()],
            lists: None,
            mapping: None,
        };
        assert_eq!(run_tests(&args).unwrap(), (0, 1));
    }
}
