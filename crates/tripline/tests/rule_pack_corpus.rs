//! The built-in Codex rule pack (`rules/codex/`, default `lists/`) against real Codex CLI
//! 0.169.0 telemetry: for each corpus scenario, `tripline replay --emit alerts` over the
//! scenario's OTLP request bodies must raise exactly the rules of the scenario table in
//! `docs/detections.md` ("Scenario table") and none of the pack's other rules.
//!
//! Input: `tests/corpus/codex-0.169.0/<scenario>/` at the repository root, the repo's copy
//! of every OTLP request body (logs, metrics and traces) the CLI exported in that scenario.
//!
//! Alerts are JSON Lines; the rule name is `rule.name`. First-seen rules stay quiet: every
//! scenario is one short run, inside the learning period.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Every alerting rule name of the Codex pack.
const PACK: &[&str] = &[
    "codex_sandbox_policy_weakened",
    "codex_prompt_content_exported",
    "codex_sensitive_tool_output_exported",
    "codex_destructive_tool_auto_approved",
    "codex_network_session_unusual_egress",
    "codex_new_surface",
    "codex_cli_bypass_flag",
    "codex_tool_failure_burst",
    "codex_tool_call_rate_spike",
    "codex_command_fanout",
    "codex_sensitive_file_access",
    "codex_long_running_tool",
    "codex_api_error_burst",
];

/// Scenario -> rules that must fire. Every other rule of [`PACK`] must stay quiet.
/// Keep in sync with the scenario table in docs/detections.md.
const TABLE: &[(&str, &[&str])] = &[
    ("a-baseline", &[]),
    (
        "b-bypass-approvals-and-sandbox",
        &["codex_sandbox_policy_weakened"],
    ),
    (
        "c-danger-full-access-never",
        &["codex_sandbox_policy_weakened"],
    ),
    (
        "d-workspace-write-network",
        &["codex_sandbox_policy_weakened"],
    ),
    (
        "e-log-user-prompt-secret",
        &["codex_prompt_content_exported"],
    ),
    (
        "f-tool-rm-rf-workspace-write",
        &["codex_sandbox_policy_weakened"],
    ),
    (
        "f4-tool-write-files-never",
        &[
            "codex_sandbox_policy_weakened",
            "codex_destructive_tool_auto_approved",
        ],
    ),
    ("h-api-errors-500-then-ok", &["codex_api_error_burst"]),
    ("i-json-protocol", &[]),
    ("i2-grpc", &[]),
    (
        "k-apply-patch",
        &[
            "codex_sandbox_policy_weakened",
            "codex_destructive_tool_auto_approved",
        ],
    ),
    ("m-exec-json-output", &["codex_sandbox_policy_weakened"]),
];

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/codex-0.169.0")
}

/// Run `tripline replay --emit alerts DIR` (built-in pack and lists; no `--data`, so no
/// baseline or window state survives from an earlier run) in an empty working directory
/// and return the rule names of the alerts.
fn fired(dir: &Path) -> BTreeSet<String> {
    let cwd = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_tripline"))
        .args(["replay", "--emit", "alerts"])
        .arg(dir)
        .current_dir(cwd.path())
        .output()
        .expect("run tripline");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tripline replay --emit alerts {} failed ({}):\n{stderr}",
        dir.display(),
        out.status
    );
    let mut names = BTreeSet::new();
    for (i, line) in stdout.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!(
                "{}: alert line {i} is not JSON ({e}): {line}",
                dir.display()
            )
        });
        let name = v
            .pointer("/rule/name")
            .and_then(Value::as_str)
            .unwrap_or_else(|| {
                panic!("{}: alert line {i} has no rule.name: {line}", dir.display())
            });
        names.insert(name.to_owned());
    }
    names
}

/// Compare one scenario's alerts with the table; return a problem description, if any.
fn check(scenario: &str, dir: &Path, must_fire: &[&str]) -> Option<String> {
    let got = fired(dir);
    let missing: Vec<&str> = must_fire
        .iter()
        .copied()
        .filter(|r| !got.contains(*r))
        .collect();
    let unexpected: Vec<&str> = PACK
        .iter()
        .copied()
        .filter(|r| !must_fire.contains(r) && got.contains(*r))
        .collect();
    if missing.is_empty() && unexpected.is_empty() {
        None
    } else {
        Some(format!(
            "{scenario}: missing {missing:?}, unexpected {unexpected:?} (all alerts: {got:?})"
        ))
    }
}

fn run_table(root: &Path) -> Vec<String> {
    TABLE
        .iter()
        .filter_map(|(scenario, must_fire)| {
            let dir = root.join(scenario);
            assert!(dir.is_dir(), "{} is missing", dir.display());
            check(scenario, &dir, must_fire)
        })
        .collect()
}

#[test]
fn table_covers_the_pack_and_names_are_real_rules() {
    // every must-fire name is a pack rule, and every scenario directory is in the table
    for (scenario, must_fire) in TABLE {
        for r in *must_fire {
            assert!(
                PACK.contains(r),
                "{scenario}: {r} is not a rule of the pack"
            );
        }
    }
    let dirs: BTreeSet<String> = std::fs::read_dir(corpus())
        .expect("tests/corpus/codex-0.169.0")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let table: BTreeSet<String> = TABLE.iter().map(|(s, _)| s.to_string()).collect();
    assert_eq!(dirs, table, "corpus scenarios and scenario table differ");
    // every pack rule name exists in rules/codex/
    let rules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/codex");
    let mut text = String::new();
    for e in std::fs::read_dir(&rules).expect("rules/codex") {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".yml") && !name.ends_with(".tests.yml") {
            text.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    for r in PACK {
        assert!(
            text.contains(&format!("\nname: {r}\n")),
            "rule {r} not found in rules/codex/"
        );
    }
}

#[test]
fn corpus_scenarios_raise_exactly_the_table() {
    let problems = run_table(&corpus());
    assert!(
        problems.is_empty(),
        "scenario table violated:\n{}",
        problems.join("\n")
    );
}
