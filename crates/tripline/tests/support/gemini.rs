//! One real `gemini -p` run (Gemini CLI in headless mode) against the Gemini API mock
//! (`tests/support/mock_gemini.py`), exporting to tripline with the settings.json snippet
//! of `docs/agents.md`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use super::codex::Transport;
use super::docs;
use super::process::{self, Finished};
use super::scratch_repo::ScratchRepo;

/// Upper bound for one run.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);
/// The endpoint the doc snippet names, replaced by the test server's.
const DOC_HTTP_ENDPOINT: &str = "http://127.0.0.1:4318";

/// The `gemini-cli-settings` snippet of `docs/agents.md`, parsed.
pub fn doc_settings() -> Value {
    let text = docs::snippet("docs/agents.md", "gemini-cli-settings", "json");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("docs/agents.md gemini-cli-settings is not JSON: {e}"))
}

/// The doc's settings pointed at tripline over `transport` (the CLI offers OTLP/HTTP with
/// JSON bodies, `"http"`, and gRPC), with `log_prompts` as `telemetry.logPrompts` (`None`:
/// the key removed, so the CLI's default applies), plus API-key auth and no usage
/// statistics to the vendor.
pub fn settings(
    transport: Transport,
    http_addr: &str,
    grpc_addr: &str,
    log_prompts: Option<bool>,
) -> Value {
    let mut settings = doc_settings();
    let telemetry = settings["telemetry"]
        .as_object_mut()
        .expect("the snippet has a telemetry object");
    assert_eq!(
        telemetry.get("otlpEndpoint"),
        Some(&json!(DOC_HTTP_ENDPOINT)),
        "the doc snippet exports to {DOC_HTTP_ENDPOINT}"
    );
    let (protocol, endpoint) = match transport {
        Transport::HttpJson => ("http", format!("http://{http_addr}")),
        Transport::Grpc => ("grpc", format!("http://{grpc_addr}")),
        Transport::HttpBinary => panic!("Gemini CLI has no OTLP/HTTP protobuf exporter"),
    };
    telemetry.insert("otlpProtocol".into(), json!(protocol));
    telemetry.insert("otlpEndpoint".into(), json!(endpoint));
    match log_prompts {
        Some(on) => telemetry.insert("logPrompts".into(), json!(on)),
        None => telemetry.remove("logPrompts"),
    };
    settings["security"] = json!({"auth": {"selectedType": "gemini-api-key"}});
    settings["privacy"] = json!({"usageStatisticsEnabled": false});
    settings
}

/// Writes `settings` to `$HOME/.gemini/settings.json` and runs
/// `gemini --skip-trust ARGS... -p PROMPT` in the scratch work dir with a clean environment
/// and the mock model at `model_url`.
pub fn run(
    gemini: &Path,
    repo: &ScratchRepo,
    model_url: &str,
    settings: &Value,
    prompt: &str,
    args: &[&str],
) -> Finished {
    let dir = repo.home().join(".gemini");
    std::fs::create_dir_all(&dir).expect("create ~/.gemini");
    std::fs::write(
        dir.join("settings.json"),
        serde_json::to_vec_pretty(settings).unwrap(),
    )
    .expect("write settings.json");
    let mut cmd = Command::new(gemini);
    cmd.arg("--skip-trust")
        .args(args)
        .arg("-p")
        .arg(prompt)
        .current_dir(repo.work())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", repo.home())
        .env("TERM", "dumb")
        .env("LANG", "C.UTF-8")
        .env("GOOGLE_GEMINI_BASE_URL", model_url)
        .env("GEMINI_API_KEY", "AIza-tripline-test-dummy")
        .env("GEMINI_CLI_NO_RELAUNCH", "true");
    process::run("gemini -p", &mut cmd, RUN_TIMEOUT)
}
