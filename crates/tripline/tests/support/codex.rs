//! One real `codex exec` run: a fresh CODEX_HOME with a config.toml (model provider = the
//! mock model, `[otel]` = whatever the test gives), a fresh HOME, a fresh git repository as
//! the work dir, stdin `/dev/null`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tempfile::TempDir;

use super::process::{self, Finished};

/// Upper bound for one `codex exec` run (they take about a second against the mock).
const EXEC_TIMEOUT: Duration = Duration::from_secs(120);
/// A model slug Codex (0.169.0 and 0.171.0) knows, so that it advertises its normal tools.
pub const MODEL: &str = "gpt-5.5";

/// How Codex exports its telemetry.
#[derive(Clone, Copy, Debug)]
pub enum Transport {
    /// OTLP/HTTP with protobuf bodies.
    HttpBinary,
    /// OTLP/HTTP with JSON bodies.
    HttpJson,
    /// OTLP/gRPC.
    Grpc,
}

/// The `[otel]` table sending logs, traces and metrics to tripline. `http_addr` and
/// `grpc_addr` are `127.0.0.1:PORT`; only the one the transport uses matters.
pub fn otel_section(transport: Transport, http_addr: &str, grpc_addr: &str) -> String {
    let exporter = |signal: &str| match transport {
        Transport::HttpBinary => format!(
            r#"{{ otlp-http = {{ endpoint = "http://{http_addr}/v1/{signal}", protocol = "binary" }} }}"#
        ),
        Transport::HttpJson => format!(
            r#"{{ otlp-http = {{ endpoint = "http://{http_addr}/v1/{signal}", protocol = "json" }} }}"#
        ),
        Transport::Grpc => format!(r#"{{ otlp-grpc = {{ endpoint = "http://{grpc_addr}" }} }}"#),
    };
    format!(
        "[otel]\nenvironment = \"tripline-test\"\nlog_user_prompt = false\n\
         exporter = {}\ntrace_exporter = {}\nmetrics_exporter = {}\n",
        exporter("logs"),
        exporter("traces"),
        exporter("metrics"),
    )
}

/// A scratch CODEX_HOME, HOME and git work dir.
pub struct CodexEnv {
    dir: TempDir,
}

impl CodexEnv {
    /// Creates the directories, writes `$CODEX_HOME/config.toml` (the mock model provider at
    /// `model_base_url`, then `otel_toml`) and makes the work dir a git repository with one
    /// commit (`git` is the git binary).
    pub fn new(git: &Path, model_base_url: &str, otel_toml: &str) -> CodexEnv {
        let dir = tempfile::Builder::new()
            .prefix("tripline-codex-")
            .tempdir()
            .expect("temp dir");
        let env = CodexEnv { dir };
        for d in [env.codex_home(), env.home(), env.work()] {
            std::fs::create_dir_all(d).expect("create codex scratch dirs");
        }
        let config = format!(
            "model = \"{MODEL}\"\nmodel_provider = \"mock\"\n\n\
             [model_providers.mock]\nname = \"Mock Responses\"\nbase_url = \"{model_base_url}\"\n\
             wire_api = \"responses\"\nenv_key = \"MOCK_API_KEY\"\n\
             request_max_retries = 1\nstream_max_retries = 1\n\n{otel_toml}"
        );
        std::fs::write(env.codex_home().join("config.toml"), config).expect("write config.toml");
        std::fs::write(
            env.work().join("README.md"),
            "# scratch repo for tripline tests\n",
        )
        .unwrap();
        env.git(git, &["init", "--quiet"]);
        env.git(git, &["add", "README.md"]);
        env.git(
            git,
            &[
                "-c",
                "user.name=tripline",
                "-c",
                "user.email=tripline@example.invalid",
                "commit",
                "--quiet",
                "-m",
                "init",
            ],
        );
        env
    }

    /// `$CODEX_HOME`.
    pub fn codex_home(&self) -> PathBuf {
        self.dir.path().join("codex_home")
    }

    /// The fake `$HOME`.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The git repository Codex works in.
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// `$CODEX_HOME/config.toml` as written.
    pub fn config_text(&self) -> String {
        std::fs::read_to_string(self.codex_home().join("config.toml")).unwrap_or_default()
    }

    /// Runs `codex exec ARGS... PROMPT` in the work dir with a clean environment (PATH,
    /// HOME, CODEX_HOME, MOCK_API_KEY) and stdin `/dev/null`; panics on timeout.
    pub fn exec(&self, codex: &Path, args: &[&str], prompt: &str) -> Finished {
        let mut cmd = Command::new(codex);
        cmd.arg("exec")
            .args(args)
            .arg(prompt)
            .current_dir(self.work())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("CODEX_HOME", self.codex_home())
            .env("MOCK_API_KEY", "tripline-test-key")
            .env("LANG", "C.UTF-8");
        process::run("codex exec", &mut cmd, EXEC_TIMEOUT)
    }

    fn git(&self, git: &Path, args: &[&str]) {
        let mut cmd = Command::new(git);
        cmd.args(args)
            .current_dir(self.work())
            .env("HOME", self.home())
            .env("GIT_CONFIG_NOSYSTEM", "1");
        process::run("git", &mut cmd, Duration::from_secs(30))
            .assert_success(&format!("git {args:?}"));
    }
}
