//! The real Claude Code CLI (npm `@anthropic-ai/claude-code` 2.1.337) in print mode
//! (`claude -p`) against the Anthropic Messages API mock (`tests/support/mock_anthropic.py`),
//! exporting to a running `tripline serve` with the environment from `docs/agents.md`, over
//! OTLP/HTTP protobuf, OTLP/HTTP JSON and OTLP/gRPC. Each risky scenario must raise its
//! pattern (`rule.tags` `tripline.pattern.<p>`); the same scenario in the safe mode must
//! not. The privacy test plants every detector's fake secret through the CLI and finds no
//! plaintext copy in the data dir.
//!
//! Needs the tools from `bash scripts/install-test-tools.sh` (see `support::tools`).

mod support;

use serde_json::{json, Value};
use support::agent_run::{self, AgentRun};
use support::claude;
use support::codex::Transport;
use support::mock_model::MockModel;
use support::planted::{self, AWS_KEY};
use support::scratch_repo::ScratchRepo;
use support::serve::Serve;
use support::tools::{self, Tool};

const AGENT: &str = "claude_code";
const DONE: &str = "All done here.";

/// One scripted tool call, then [`DONE`].
fn tool_script(name: &str, input: Value) -> Value {
    json!({"steps": [
        {"text": "Working on it.", "tool_use": {"name": name, "input": input}},
        {"text": DONE},
    ]})
}

/// Starts tripline (with `serve_args`) and the mock playing `script`, runs `claude -p PROMPT
/// ARGS` exporting over `transport` with the extra environment `extra`, and checks the run.
fn run(
    test: &str,
    transport: Transport,
    script: impl FnOnce(&ScratchRepo) -> Value,
    extra: &[(&str, &str)],
    prompt: &str,
    args: &[&str],
    serve_args: &[&str],
) -> Option<AgentRun> {
    let found = tools::require(test, &[Tool::ClaudeCode, Tool::Python3])?;
    let repo = ScratchRepo::new("tripline-claude-");
    let script = script(&repo);
    let steps = script["steps"].as_array().map_or(0, Vec::len);
    let serve = Serve::start_with(serve_args);
    let mock = MockModel::start_server(found.path(Tool::Python3), "mock_anthropic.py", &script);
    let otel = claude::otel_env(transport, serve.http_addr(), serve.grpc_addr());
    let out = claude::run(
        found.path(Tool::ClaudeCode),
        &repo,
        &mock.origin(),
        &otel,
        extra,
        prompt,
        args,
    );
    let config = format!("{otel:?} {extra:?} args {args:?}");
    let run = AgentRun {
        serve,
        mock,
        repo,
        out,
        config,
    };
    run.assert_ran(DONE, steps);
    Some(run)
}

fn rm_rf_build(test: &str, transport: Transport, args: &[&str]) -> Option<AgentRun> {
    run(
        test,
        transport,
        |_| {
            tool_script(
                "Bash",
                json!({"command": "rm -rf build", "description": "Remove the build directory"}),
            )
        },
        &[("OTEL_LOG_TOOL_DETAILS", "1")],
        "Clean up the build directory.",
        args,
        &[],
    )
}

#[test]
fn bypass_permissions_rm_rf_is_destructive_auto_approved_over_http_protobuf() {
    let test = "bypass_permissions_rm_rf_is_destructive_auto_approved_over_http_protobuf";
    let Some(run) = rm_rf_build(
        test,
        Transport::HttpBinary,
        &["--dangerously-skip-permissions"],
    ) else {
        return;
    };
    assert!(
        !run.repo.build_dir_exists(),
        "bypass mode ran rm -rf build\n{}",
        run.context()
    );
    let events = run.wait_events(AGENT, &["user_prompt", "tool_decision", "tool_result"]);
    let decision = run.event(&events, "tool_decision");
    assert_eq!(decision["tool_name"], "Bash", "{decision}");
    assert_eq!(decision["decision"], "approved", "{decision}");
    assert_eq!(
        decision["attr.decision"], "accept",
        "the raw value kept: {decision}"
    );
    assert_eq!(decision["permission_mode"], "bypass", "{decision}");
    assert_eq!(
        decision["attr.permission_mode"], "bypassPermissions",
        "{decision}"
    );
    assert_eq!(decision["tool_class"], "destructive", "{decision}");
    assert_eq!(decision["agent_event"], "tool_decision", "{decision}");
    let result = run.event(&events, "tool_result");
    assert_eq!(
        result["success"], true,
        "numbers/bools-as-strings coerced: {result}"
    );
    run.assert_patterns(&["destructive_auto_approved", "posture_weakened"]);
}

#[test]
fn default_mode_rm_rf_is_refused_and_quiet() {
    let Some(run) = rm_rf_build(
        "default_mode_rm_rf_is_refused_and_quiet",
        Transport::HttpBinary,
        &[],
    ) else {
        return;
    };
    assert!(
        run.repo.build_dir_exists(),
        "default print mode must not run rm -rf without asking\n{}",
        run.context()
    );
    let events = run.wait_events(AGENT, &["tool_decision"]);
    let decision = run.event(&events, "tool_decision");
    assert_eq!(decision["decision"], "denied", "{decision}");
    assert_eq!(
        decision["attr.decision"], "reject",
        "the raw value kept: {decision}"
    );
    assert_eq!(decision["permission_mode"], "ask", "{decision}");
    assert_eq!(decision["attr.permission_mode"], "default", "{decision}");
    run.assert_quiet(&["destructive_auto_approved", "posture_weakened"]);
}

fn read_file(test: &str, file: &str, content: bool) -> Option<AgentRun> {
    let extra: &[(&str, &str)] = if content {
        &[
            ("OTEL_LOG_TOOL_DETAILS", "1"),
            ("OTEL_LOG_TOOL_CONTENT", "1"),
        ]
    } else {
        &[("OTEL_LOG_TOOL_DETAILS", "1")]
    };
    run(
        test,
        Transport::HttpJson,
        |repo| tool_script("Read", json!({"file_path": repo.work().join(file)})),
        extra,
        "Show me the file.",
        &[],
        &[],
    )
}

#[test]
fn dot_env_read_with_tool_content_is_sensitive_file_access_over_http_json() {
    let Some(run) = read_file(
        "dot_env_read_with_tool_content_is_sensitive_file_access_over_http_json",
        ".env",
        true,
    ) else {
        return;
    };
    let events = run.wait_events(AGENT, &["tool_decision", "tool_result", "tool.output"]);
    let result = run.event(&events, "tool_result");
    assert_eq!(result["tool_name"], "Read", "{result}");
    // The file's content travels only in the `tool.output` span event of `claude_code.tool`,
    // which inherits the span's session and tool ids.
    let output = run.event(&events, "tool.output");
    assert_eq!(output["signal"], "span_event", "{output}");
    assert_eq!(output["agent_event"], "tool_output", "{output}");
    assert_eq!(output["session_id"], result["session_id"], "{output}");
    assert_eq!(output["tool_name"], "Read", "{output}");
    assert!(
        !output["content"].to_string().contains(AWS_KEY),
        "the stored output is redacted: {output}"
    );
    run.assert_patterns(&["sensitive_file_access", "secret_exported"]);
}

#[test]
fn readme_read_is_quiet() {
    let Some(run) = read_file("readme_read_is_quiet", "README.md", true) else {
        return;
    };
    run.wait_events(AGENT, &["tool_decision", "tool_result"]);
    run.assert_quiet(&["sensitive_file_access", "secret_exported"]);
}

fn prompt_with_key(
    test: &str,
    log_prompts: bool,
    serve_args: &[&str],
    prompt: &str,
) -> Option<AgentRun> {
    let extra: &[(&str, &str)] = if log_prompts {
        &[("OTEL_LOG_USER_PROMPTS", "1")]
    } else {
        &[]
    };
    run(
        test,
        Transport::Grpc,
        |_| json!({"steps": [{"text": DONE}]}),
        extra,
        prompt,
        &[],
        serve_args,
    )
}

#[test]
fn logged_prompt_with_aws_key_is_prompt_and_secret_exported_over_grpc() {
    let prompt = format!("Deploy with key {AWS_KEY} please.");
    let Some(run) = prompt_with_key(
        "logged_prompt_with_aws_key_is_prompt_and_secret_exported_over_grpc",
        true,
        &[],
        &prompt,
    ) else {
        return;
    };
    let events = run.wait_events(AGENT, &["user_prompt", "api_request"]);
    let prompt_event = run.event(&events, "user_prompt");
    assert_eq!(prompt_event["prompt_logged"], true, "{prompt_event}");
    run.assert_patterns(&["prompt_exported", "secret_exported"]);
}

#[test]
fn unlogged_prompt_is_quiet() {
    let prompt = format!("Deploy with key {AWS_KEY} please.");
    let Some(run) = prompt_with_key("unlogged_prompt_is_quiet", false, &[], &prompt) else {
        return;
    };
    let events = run.wait_events(AGENT, &["user_prompt"]);
    let prompt_event = run.event(&events, "user_prompt");
    assert_eq!(prompt_event["prompt"], "<REDACTED>", "{prompt_event}");
    run.assert_quiet(&["prompt_exported", "secret_exported"]);
}

#[test]
fn planted_secrets_through_claude_code_leave_no_plaintext_at_rest() {
    let test = "planted_secrets_through_claude_code_leave_no_plaintext_at_rest";
    let secrets = planted::planted();
    let prompt = agent_run::planted_prompt(&secrets);
    let scratch = tempfile::tempdir().unwrap();
    let config = agent_run::pseudonymizing_config(scratch.path());
    // The prompt is logged, and the model reads .env with tool content on.
    let Some(run) = run(
        test,
        Transport::HttpBinary,
        |repo| tool_script("Read", json!({"file_path": repo.work().join(".env")})),
        &[
            ("OTEL_LOG_USER_PROMPTS", "1"),
            ("OTEL_LOG_TOOL_DETAILS", "1"),
            ("OTEL_LOG_TOOL_CONTENT", "1"),
        ],
        &prompt,
        &[],
        &["--config", config.to_str().unwrap()],
    ) else {
        return;
    };
    run.wait_events(AGENT, &["user_prompt", "tool_result"]);
    run.assert_no_plaintext(&secrets);
}
