//! The Claude Code and Gemini CLI packs against scenario bodies built from real captures
//! (`tests/fixtures/agents/<scenario>/`: the real Claude Code 2.1.328 and Gemini CLI
//! 0.61.0 bodies, and copies of them edited into the scenarios), replayed with
//! `tripline replay --emit alerts`; and the pattern taxonomy on every built-in rule.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The patterns of `docs/detections.md`, "Pattern taxonomy".
const PATTERNS: &[&str] = &[
    "posture_weakened",
    "prompt_exported",
    "secret_exported",
    "destructive_auto_approved",
    "sensitive_file_access",
    "unusual_egress",
    "new_surface",
    "api_errors",
    "tool_failures",
    "tool_rate",
    "fanout",
    "long_running",
    "cross_agent",
    "session_volume",
    "telemetry_gap",
];

/// Scenario -> (rule, pattern) pairs that must fire; nothing else may.
const TABLE: &[(&str, &[(&str, &str)])] = &[
    ("claude_plain", &[]),
    (
        "claude_allowedtools_rm_rf",
        &[(
            "agent_destructive_auto_approved",
            "destructive_auto_approved",
        )],
    ),
    (
        "claude_bypass_rm_rf",
        &[
            ("claude_code_permission_mode_weakened", "posture_weakened"),
            (
                "agent_destructive_auto_approved",
                "destructive_auto_approved",
            ),
        ],
    ),
    ("claude_default_rm_rf_rejected", &[]),
    (
        "claude_prompt_logged_secret",
        &[
            ("agent_prompt_exported", "prompt_exported"),
            ("agent_secret_in_telemetry", "secret_exported"),
        ],
    ),
    (
        "gemini_plain",
        &[("agent_prompt_exported", "prompt_exported")],
    ),
    (
        "gemini_default_shell_refused",
        &[("agent_prompt_exported", "prompt_exported")],
    ),
    (
        "gemini_yolo_cat_env",
        &[
            ("gemini_cli_approval_mode_weakened", "posture_weakened"),
            ("agent_prompt_exported", "prompt_exported"),
            ("agent_sensitive_file_access", "sensitive_file_access"),
        ],
    ),
    (
        "gemini_argv_leak",
        &[
            ("agent_prompt_exported", "prompt_exported"),
            ("agent_secret_in_telemetry", "secret_exported"),
        ],
    ),
    ("gemini_safe_default", &[]),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (rule name, pattern tag) of every alert `tripline replay --emit alerts DIR` raises.
fn fired(dir: &Path) -> BTreeSet<(String, String)> {
    let cwd = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_tripline"))
        .args(["replay", "--emit", "alerts"])
        .arg(dir)
        .current_dir(cwd.path())
        .output()
        .expect("run tripline");
    assert!(
        out.status.success(),
        "replay {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got = BTreeSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).expect("alert JSON");
        let name = v.pointer("/rule/name").and_then(Value::as_str).unwrap();
        let tags: Vec<&str> = v
            .pointer("/rule/tags")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let pattern = tags
            .iter()
            .find_map(|t| t.strip_prefix("tripline.pattern."))
            .unwrap_or("<none>");
        got.insert((name.to_owned(), pattern.to_owned()));
    }
    got
}

#[test]
fn scenarios_fire_their_patterns_and_safe_modes_stay_quiet() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agents");
    let mut problems = Vec::new();
    for (scenario, want) in TABLE {
        let got = fired(&fixtures.join(scenario));
        let want: BTreeSet<(String, String)> = want
            .iter()
            .map(|(r, p)| ((*r).to_owned(), (*p).to_owned()))
            .collect();
        if got != want {
            problems.push(format!("{scenario}: want {want:?}, got {got:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every alerting built-in rule (a document whose name has no `__` part) carries exactly
/// one valid `tripline.pattern.<p>` tag; helpers carry none.
#[test]
fn every_builtin_rule_has_exactly_one_pattern_tag() {
    let mut files = Vec::new();
    let mut dirs = vec![root().join("rules")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "yml")
                && !p.to_string_lossy().ends_with(".tests.yml")
            {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 13, "{files:?}");
    let mut problems = Vec::new();
    let mut seen = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for doc in serde_norway::Deserializer::from_str(&text) {
            let doc: serde_norway::Value = serde::Deserialize::deserialize(doc).unwrap();
            let name = doc.get("name").and_then(|n| n.as_str()).unwrap_or("");
            let patterns: Vec<String> = doc
                .get("tags")
                .and_then(|t| t.as_sequence())
                .map(|s| {
                    s.iter()
                        .filter_map(|t| t.as_str())
                        .filter_map(|t| t.strip_prefix("tripline.pattern."))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let helper = name.contains("__");
            let ok = if helper {
                patterns.is_empty()
            } else {
                seen += 1;
                patterns.len() == 1 && PATTERNS.contains(&patterns[0].as_str())
            };
            if !ok {
                problems.push(format!("{}: {name}: {patterns:?}", f.display()));
            }
        }
    }
    assert!(seen >= 20, "only {seen} alerting rules found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The planted fake AWS key (prompt logging in Claude Code, the argv leak in Gemini CLI)
/// and the prompt text in argv reach no file of the data dir in plain text.
#[test]
fn planted_keys_and_argv_prompts_never_reach_the_data_dir() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agents");
    let scratch = tempfile::tempdir().unwrap();
    let config = scratch.path().join("tripline.toml");
    let key = scratch.path().join("hmac.key");
    std::fs::write(
        &config,
        format!("[redaction]\nkey_file = \"{}\"\n", key.display()),
    )
    .unwrap();
    let data = scratch.path().join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_tripline"))
        .args(["replay", "--config", config.to_str().unwrap(), "--data"])
        .arg(&data)
        .arg(fixtures.join("claude_prompt_logged_secret"))
        .arg(fixtures.join("gemini_argv_leak"))
        .arg(fixtures.join("gemini_yolo_cat_env"))
        .env_remove("TRIPLINE_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("agent_secret_in_telemetry"), "{stdout}");
    let planted = [
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "to list the bucket",
        "Clean up the build directory",
    ];
    let mut files = Vec::new();
    files_under(&data, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("tripline.db")),
        "{files:?}"
    );
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let found: Vec<&str> = planted
            .iter()
            .copied()
            .filter(|p| text.contains(p))
            .collect();
        assert!(
            found.is_empty(),
            "{} holds plaintext: {found:?}",
            f.display()
        );
    }
}
