//! A scripted mock model server as a child process: the Responses API mock
//! (`tests/support/mock_model.py`, for Codex), the Anthropic Messages API mock
//! (`mock_anthropic.py`, for Claude Code) and the Gemini API mock (`mock_gemini.py`). All
//! three take `--script`, `--port-file` and `--log` and log one JSON line per request.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::{process, tools, wait};

const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running mock model server.
pub struct MockModel {
    child: Child,
    dir: TempDir,
    port: u16,
}

impl MockModel {
    /// Starts the Responses API mock with `script` (a list of steps, or
    /// `{"steps": [...], "routes": [...]}`; see the script's doc) using `python3`, and waits
    /// for its port file.
    pub fn start(python3: &Path, script: &Value) -> MockModel {
        MockModel::start_server(python3, "mock_model.py", script)
    }

    /// Starts the mock server `server` (a file in `tests/support/`) with `script`.
    pub fn start_server(python3: &Path, server: &str, script: &Value) -> MockModel {
        let dir = tempfile::Builder::new()
            .prefix("tripline-mock-model-")
            .tempdir()
            .expect("temp dir");
        let script_path = dir.path().join("script.json");
        std::fs::write(&script_path, serde_json::to_vec_pretty(script).unwrap())
            .expect("write script");
        let port_file = dir.path().join("port");
        let stderr = File::create(dir.path().join("mock.stderr")).expect("create mock log");
        let child = Command::new(python3)
            .arg(tools::support_script(server))
            .arg("--script")
            .arg(&script_path)
            .arg("--port-file")
            .arg(&port_file)
            .arg("--log")
            .arg(dir.path().join("requests.jsonl"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("start {server}: {e}"));
        let mut mock = MockModel {
            child,
            dir,
            port: 0,
        };
        mock.port = wait::poll(
            "the mock model to write its port file",
            START_TIMEOUT,
            || {
                if let Ok(Some(status)) = mock.child.try_wait() {
                    panic!(
                        "{server} exited with {status} before listening\n{}",
                        mock.log_text()
                    );
                }
                let text = std::fs::read_to_string(&port_file).map_err(|e| e.to_string())?;
                text.trim()
                    .parse::<u16>()
                    .map_err(|e| format!("port file {text:?}: {e}"))
            },
        );
        mock
    }

    /// `http://127.0.0.1:PORT/v1`, the provider `base_url`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// `http://127.0.0.1:PORT`, the base URL of the Anthropic and Gemini mocks.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request received so far, in order (see `mock_model.py` for the fields).
    pub fn requests(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.requests_path()).unwrap_or_default();
        text.lines()
            .map(|line| serde_json::from_str(line).expect("mock request log line is JSON"))
            .collect()
    }

    /// The `POST /v1/responses` requests received so far.
    pub fn responses_requests(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["method"] == "POST" && r["path"] == "/v1/responses")
            .collect()
    }

    /// The server's stderr (one line per request).
    pub fn log_text(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("mock.stderr")).unwrap_or_default();
        format!("--- mock model log ---\n{text}")
    }

    fn requests_path(&self) -> PathBuf {
        self.dir.path().join("requests.jsonl")
    }
}

impl Drop for MockModel {
    fn drop(&mut self) {
        process::terminate(&mut self.child, Duration::from_secs(5));
    }
}
