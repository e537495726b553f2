//! `tripline validate` over real captures (the corpus's Claude Code and Gemini CLI bodies)
//! plus an OTLP/JSON body with fields of unexpected types: the per-host report lists each
//! agent, its version and the identity fields it sends, and type drift is a finding (exit 1).

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use support::process;
use support::tools::{tripline_command, workspace_root};

/// One Gemini CLI `tool_call` log record from host `laptop`, with `interactive` as a string
/// and `duration_ms` as text that is no number (the CLI sends a bool and an int).
fn drifted_gemini_body() -> Value {
    let s = |k: &str, v: &str| json!({"key": k, "value": {"stringValue": v}});
    json!({"resourceLogs": [{
        "resource": {"attributes": [
            s("service.name", "gemini-cli"),
            s("service.version", "v20.20.2"),
            s("host.name", "laptop"),
            s("session.id", "g-drift"),
        ]},
        "scopeLogs": [{"scope": {"name": "gemini-cli"}, "logRecords": [{
            "timeUnixNano": "1795463048927000000",
            "attributes": [
                s("event.name", "gemini_cli.tool_call"),
                s("session.id", "g-drift"),
                s("installation.id", "inst-1"),
                s("function_name", "run_shell_command"),
                s("interactive", "false"),
                s("duration_ms", "quick"),
                {"key": "success", "value": {"boolValue": true}},
            ]
        }]}]
    }]})
}

fn validate(paths: &[&Path]) -> (i32, Value) {
    let mut cmd = tripline_command();
    cmd.args(["validate", "--json"]).args(paths);
    let out = process::run("tripline validate", &mut cmd, Duration::from_secs(120));
    let code = out.status.code().expect("exit code");
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("validate --json: {e}\n{}\n{}", out.stdout, out.stderr));
    (code, report)
}

fn host<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .find(|h| h["host"] == name)
        .unwrap_or_else(|| panic!("no host {name}: {report}"))
}

fn agent<'a>(host: &'a Value, agent: &str) -> &'a Value {
    host["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["agent"] == agent)
        .unwrap_or_else(|| panic!("no {agent} on {host}"))
}

#[test]
fn validate_lists_agents_versions_and_identity_per_host_and_flags_type_drift() {
    let root = workspace_root();
    let tmp = tempfile::tempdir().unwrap();
    let drift = tmp.path().join("0001_v1_logs.json");
    std::fs::write(&drift, drifted_gemini_body().to_string()).unwrap();
    let claude = root.join("tests/corpus/claude-code-2.1.328/a_plain");
    let gemini = root.join("tests/corpus/gemini-cli-0.61.0/a_plain");

    // The real captures alone: no drift.
    let (_, clean) = validate(&[&claude, &gemini]);
    for g in clean["groups"].as_array().unwrap() {
        assert!(
            g["type_drift"].as_object().is_none_or(|d| d.is_empty()),
            "no drift in the real captures: {g}"
        );
    }
    // Claude Code 2.1.328 sends no host.name: its events are listed under "-".
    let claude_row = agent(host(&clean, "-"), "claude_code");
    assert_eq!(claude_row["version"], "2.1.328", "{claude_row}");
    let ids: Vec<&str> = claude_row["identity_fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(ids.contains(&"user_id"), "{claude_row}");
    assert!(!ids.contains(&"host_name"), "{claude_row}");

    let (code, report) = validate(&[&claude, &gemini, &drift]);
    assert_eq!(code, 1, "type drift is a finding: {report}");
    let laptop = host(&report, "laptop");
    let gem = agent(laptop, "gemini_cli");
    // Gemini CLI tells only its Node.js version.
    assert_eq!(gem["version"], "-", "{gem}");
    assert_eq!(laptop["runtimes"], json!(["v20.20.2"]), "{laptop}");
    assert_eq!(
        gem["identity_fields"],
        json!(["host_name", "installation_id"]),
        "{gem}"
    );
    let drifted: Vec<&Value> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["type_drift"].as_object().is_some_and(|d| !d.is_empty()))
        .collect();
    assert_eq!(drifted.len(), 1, "{report}");
    let d = &drifted[0]["type_drift"];
    assert_eq!(d["interactive"]["expected"], "bool", "{d}");
    assert_eq!(d["interactive"]["seen"], json!(["string"]), "{d}");
    assert_eq!(d["duration_ms"]["expected"], "number", "{d}");
    assert_eq!(d["duration_ms"]["records"], 1, "{d}");
    // success arrived as a bool: not drift.
    assert!(d.get("success").is_none(), "{d}");

    // The table shows the same.
    let mut cmd = tripline_command();
    cmd.arg("validate").arg(&drift);
    let out = process::run("tripline validate", &mut cmd, Duration::from_secs(60));
    assert!(
        out.stdout
            .contains("type drift: interactive should be bool, 1 record(s) had string"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("hosts ("), "{}", out.stdout);
    assert!(out.stdout.contains("  laptop\n"), "{}", out.stdout);
}
