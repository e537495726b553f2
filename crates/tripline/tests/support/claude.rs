//! One real `claude -p` run (Claude Code in print mode) against the Anthropic Messages API
//! mock (`tests/support/mock_anthropic.py`), exporting to tripline with the environment
//! snippet of `docs/agents.md`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::codex::Transport;
use super::docs;
use super::process::{self, Finished};
use super::scratch_repo::ScratchRepo;

/// Upper bound for one run (a few seconds against the mock).
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
/// The endpoint the doc snippet names, replaced by the test server's.
const DOC_HTTP_ENDPOINT: &str = "http://127.0.0.1:4318";

/// The `export NAME=VALUE` lines of the `claude-code-otel-env` snippet in `docs/agents.md`.
pub fn doc_env() -> Vec<(String, String)> {
    let text = docs::snippet("docs/agents.md", "claude-code-otel-env", "sh");
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("export "))
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .unwrap_or_else(|| panic!("docs/agents.md: not NAME=VALUE: {pair:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// The doc's environment, pointed at tripline's `http_addr` / `grpc_addr` over `transport`.
pub fn otel_env(transport: Transport, http_addr: &str, grpc_addr: &str) -> Vec<(String, String)> {
    let mut env = doc_env();
    assert!(
        env.iter()
            .any(|(k, v)| k == "OTEL_EXPORTER_OTLP_ENDPOINT" && v == DOC_HTTP_ENDPOINT),
        "the doc snippet exports to {DOC_HTTP_ENDPOINT}: {env:?}"
    );
    let (protocol, endpoint) = match transport {
        Transport::HttpBinary => ("http/protobuf", format!("http://{http_addr}")),
        Transport::HttpJson => ("http/json", format!("http://{http_addr}")),
        Transport::Grpc => ("grpc", format!("http://{grpc_addr}")),
    };
    for (k, v) in env.iter_mut() {
        match k.as_str() {
            "OTEL_EXPORTER_OTLP_PROTOCOL" => *v = protocol.into(),
            "OTEL_EXPORTER_OTLP_ENDPOINT" => *v = endpoint.clone(),
            _ => {}
        }
    }
    env
}

/// Runs `claude -p PROMPT ARGS...` in the scratch work dir with a clean environment: the
/// mock model at `model_url`, `otel` (see [`otel_env`]) and `extra`. Vendor traffic
/// (updates, feature flags) is switched off; `IS_SANDBOX=1` lets bypass mode run as root.
pub fn run(
    claude: &Path,
    repo: &ScratchRepo,
    model_url: &str,
    otel: &[(String, String)],
    extra: &[(&str, &str)],
    prompt: &str,
    args: &[&str],
) -> Finished {
    let mut cmd = Command::new(claude);
    cmd.arg("-p")
        .arg(prompt)
        .args(args)
        .current_dir(repo.work())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", repo.home())
        .env("TERM", "dumb")
        .env("LANG", "C.UTF-8")
        .env("ANTHROPIC_BASE_URL", model_url)
        .env("ANTHROPIC_API_KEY", "sk-ant-tripline-test-dummy")
        .env("IS_SANDBOX", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("CLAUDE_CODE_MAX_RETRIES", "1");
    for (k, v) in otel {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    process::run("claude -p", &mut cmd, RUN_TIMEOUT)
}
