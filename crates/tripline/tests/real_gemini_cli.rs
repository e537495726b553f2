//! The real Gemini CLI (npm `@google/gemini-cli` 0.61.0) in headless mode (`gemini -p`)
//! against the Gemini API mock (`tests/support/mock_gemini.py`), exporting to a running
//! `tripline serve` with the settings.json snippet from `docs/agents.md`, over OTLP/HTTP
//! (the CLI's `"http"` protocol sends JSON bodies) and OTLP/gRPC. Each risky scenario must
//! raise its pattern (`rule.tags` `tripline.pattern.<p>`); the safe mode must not. The
//! privacy test plants every detector's fake secret through the CLI (prompt and argv) and
//! finds no plaintext copy in the data dir.
//!
//! Needs the tools from `bash scripts/install-test-tools.sh` (see `support::tools`).

mod support;

use serde_json::{json, Value};
use support::agent_run::{self, AgentRun};
use support::codex::Transport;
use support::gemini;
use support::mock_model::MockModel;
use support::planted::{self, AWS_KEY};
use support::scratch_repo::ScratchRepo;
use support::serve::Serve;
use support::tools::{self, Tool};

const AGENT: &str = "gemini_cli";
const DONE: &str = "All done here.";

/// One scripted shell command, then [`DONE`].
fn shell_script(command: &str) -> Value {
    json!({"steps": [
        {"text": "Working on it.", "call": {"name": "run_shell_command",
            "args": {"command": command, "description": "run it"}}},
        {"text": DONE},
    ]})
}

/// Starts tripline (with `serve_args`) and the mock playing `script`, writes the doc's
/// settings (exporting over `transport`, `logPrompts` = `log_prompts`) and runs
/// `gemini --skip-trust ARGS -p PROMPT`, then checks the run.
fn run(
    test: &str,
    transport: Transport,
    script: Value,
    log_prompts: Option<bool>,
    prompt: &str,
    args: &[&str],
    serve_args: &[&str],
) -> Option<AgentRun> {
    let found = tools::require(test, &[Tool::GeminiCli, Tool::Python3])?;
    let steps = script["steps"].as_array().map_or(0, Vec::len);
    let serve = Serve::start_with(serve_args);
    let mock = MockModel::start_server(found.path(Tool::Python3), "mock_gemini.py", &script);
    let repo = ScratchRepo::new("tripline-gemini-");
    let settings = gemini::settings(transport, serve.http_addr(), serve.grpc_addr(), log_prompts);
    let out = gemini::run(
        found.path(Tool::GeminiCli),
        &repo,
        &mock.origin(),
        &settings,
        prompt,
        args,
    );
    let config = format!("settings.json {settings} args {args:?}");
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

/// `cat .env` through `run_shell_command`, with `logPrompts` as given (`None`: the CLI's
/// default, on).
fn cat_env(test: &str, args: &[&str], log_prompts: Option<bool>) -> Option<AgentRun> {
    run(
        test,
        Transport::HttpJson,
        shell_script("cat .env"),
        log_prompts,
        "Show me the environment file.",
        args,
        &[],
    )
}

#[test]
fn yolo_cat_env_is_sensitive_file_access_over_http_json() {
    let Some(run) = cat_env(
        "yolo_cat_env_is_sensitive_file_access_over_http_json",
        &["--yolo"],
        None,
    ) else {
        return;
    };
    assert!(
        run.out.stdout.contains(DONE),
        "the run finished\n{}",
        run.context()
    );
    let events = run.wait_events(AGENT, &["gemini_cli.config", "gemini_cli.tool_call"]);
    let config = run.event(&events, "gemini_cli.config");
    assert_eq!(config["approval_mode"], "yolo", "{config}");
    let call = run.event(&events, "gemini_cli.tool_call");
    assert_eq!(call["function_name"], "run_shell_command", "{call}");
    assert_eq!(call["decision"], "approved", "{call}");
    assert_eq!(
        call["attr.decision"], "accept",
        "the raw value kept: {call}"
    );
    assert_eq!(call["agent_event"], "tool_result", "{call}");
    // The command comes from `function_args` (JSON), which Gemini exports only while
    // `logPrompts` is on.
    assert_eq!(call["command"], "cat .env", "{call}");
    assert_eq!(call["command_paths"], json!([".env"]), "{call}");
    run.assert_patterns(&[
        "posture_weakened",
        "sensitive_file_access",
        "prompt_exported",
    ]);
}

/// With `logPrompts: false` Gemini drops `function_args` from `tool_call` (and nothing else
/// in its telemetry names the command), so the shell command cannot be seen: only the yolo
/// posture alerts.
#[test]
fn yolo_cat_env_with_log_prompts_off_exports_no_command() {
    let Some(run) = cat_env(
        "yolo_cat_env_with_log_prompts_off_exports_no_command",
        &["--yolo"],
        Some(false),
    ) else {
        return;
    };
    let events = run.wait_events(AGENT, &["gemini_cli.config", "gemini_cli.tool_call"]);
    let call = run.event(&events, "gemini_cli.tool_call");
    assert_eq!(call["function_name"], "run_shell_command", "{call}");
    assert!(call.get("function_args").is_none(), "{call}");
    assert!(call.get("command").is_none(), "{call}");
    run.assert_patterns(&["posture_weakened"]);
    run.assert_quiet(&["sensitive_file_access"]);
}

#[test]
fn default_mode_cat_env_is_not_run_and_quiet() {
    let Some(run) = cat_env(
        "default_mode_cat_env_is_not_run_and_quiet",
        &[],
        Some(false),
    ) else {
        return;
    };
    let events = run.wait_events(AGENT, &["gemini_cli.config", "gemini_cli.tool_call"]);
    let call = run.event(&events, "gemini_cli.tool_call");
    assert_eq!(call["error_type"], "tool_not_registered", "{call}");
    run.assert_quiet(&[
        "sensitive_file_access",
        "posture_weakened",
        "secret_exported",
    ]);
}

#[test]
fn default_prompt_logging_exports_the_prompt_and_key_over_grpc() {
    let prompt = format!("Deploy with key {AWS_KEY} please.");
    let Some(run) = run(
        "default_prompt_logging_exports_the_prompt_and_key_over_grpc",
        Transport::Grpc,
        json!({"steps": [{"text": DONE}]}),
        None,
        &prompt,
        &[],
        &[],
    ) else {
        return;
    };
    let events = run.wait_events(AGENT, &["gemini_cli.user_prompt"]);
    let prompt_event = run.event(&events, "gemini_cli.user_prompt");
    assert_eq!(prompt_event["prompt_logged"], true, "{prompt_event}");
    run.assert_patterns(&["prompt_exported", "secret_exported"]);
}

#[test]
fn argv_leak_with_log_prompts_off_is_secret_exported() {
    let prompt = format!("Deploy with key {AWS_KEY} please.");
    let Some(run) = run(
        "argv_leak_with_log_prompts_off_is_secret_exported",
        Transport::HttpJson,
        json!({"steps": [{"text": DONE}]}),
        Some(false),
        &prompt,
        &[],
        &[],
    ) else {
        return;
    };
    let events = run.wait_events(AGENT, &["gemini_cli.user_prompt"]);
    let prompt_event = run.event(&events, "gemini_cli.user_prompt");
    assert_ne!(prompt_event["prompt_logged"], true, "{prompt_event}");
    // The argv carries the prompt; stored, it gets the prompt policy (a keyed hash).
    let argv = prompt_event["process_command_args"].to_string();
    assert!(argv.contains("hmac:"), "argv prompt hashed: {argv}");
    assert!(
        !argv.contains("Deploy with key"),
        "argv prompt not kept: {argv}"
    );
    assert!(!argv.contains(AWS_KEY), "argv redacted: {argv}");
    run.assert_patterns(&["secret_exported"]);
}

/// With `logPrompts: false` the argv still carries the `-p` prompt (there is no safe mode
/// for that): the prompt is exported, but without a secret nothing says so.
#[test]
fn log_prompts_off_without_a_secret_raises_no_secret_alert() {
    let Some(run) = run(
        "log_prompts_off_without_a_secret_raises_no_secret_alert",
        Transport::HttpJson,
        json!({"steps": [{"text": DONE}]}),
        Some(false),
        "Say hello.",
        &[],
        &[],
    ) else {
        return;
    };
    run.wait_events(AGENT, &["gemini_cli.user_prompt"]);
    run.assert_patterns(&["prompt_exported"]);
    run.assert_quiet(&["secret_exported"]);
}

#[test]
fn planted_secrets_through_gemini_cli_leave_no_plaintext_at_rest() {
    let secrets = planted::planted();
    let prompt = agent_run::planted_prompt(&secrets);
    let scratch = tempfile::tempdir().unwrap();
    let config = agent_run::pseudonymizing_config(scratch.path());
    // Default prompt logging (prompt, request and response text), the argv, and the
    // `cat .env` output in yolo mode.
    let Some(run) = run(
        "planted_secrets_through_gemini_cli_leave_no_plaintext_at_rest",
        Transport::HttpJson,
        shell_script("cat .env"),
        None,
        &prompt,
        &["--yolo"],
        &["--config", config.to_str().unwrap()],
    ) else {
        return;
    };
    run.wait_events(AGENT, &["gemini_cli.user_prompt", "gemini_cli.tool_call"]);
    run.assert_no_plaintext(&secrets);
}
