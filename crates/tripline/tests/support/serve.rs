//! A `tripline serve` child process: ephemeral ports on 127.0.0.1, a fresh data dir, the
//! ready file polled for, SIGTERM on drop.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::{process, query, tools, wait};

/// How long `tripline serve` may take to bind and write its ready file.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long it may take to exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// A running `tripline serve`.
pub struct Serve {
    child: Child,
    dir: TempDir,
    data: PathBuf,
    log: PathBuf,
    http: String,
    grpc: String,
}

impl Serve {
    /// `tripline serve --http 127.0.0.1:0 --grpc 127.0.0.1:0 --data DIR --ready-file FILE`,
    /// waiting until FILE holds `{"http": ADDR, "grpc": ADDR}`.
    pub fn start() -> Serve {
        Serve::start_with(&[])
    }

    /// As [`Serve::start`], with extra command-line arguments.
    pub fn start_with(extra: &[&str]) -> Serve {
        Serve::start_listening("127.0.0.1:0", "127.0.0.1:0", extra)
    }

    /// As [`Serve::start_with`], listening on `http` and `grpc` (e.g. `0.0.0.0:0`).
    pub fn start_listening(http: &str, grpc: &str, extra: &[&str]) -> Serve {
        Serve::start_full(http, grpc, None, extra)
    }

    /// As [`Serve::start_with`], with `data` as the data directory (e.g. the one of a
    /// server that was stopped, to restart on its state) instead of a fresh one.
    pub fn start_in(data: Option<&Path>, extra: &[&str]) -> Serve {
        Serve::start_full("127.0.0.1:0", "127.0.0.1:0", data, extra)
    }

    fn start_full(http: &str, grpc: &str, data: Option<&Path>, extra: &[&str]) -> Serve {
        let dir = tempfile::Builder::new()
            .prefix("tripline-serve-")
            .tempdir()
            .expect("temp dir");
        let data = data
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.path().join("data"));
        let ready = dir.path().join("ready.json");
        let log = dir.path().join("serve.log");
        let log_file = File::create(&log).expect("create serve log");
        let child = tools::tripline_command()
            .args(["serve", "--http", http, "--grpc", grpc, "--data"])
            .arg(&data)
            .arg("--ready-file")
            .arg(&ready)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("clone log handle"))
            .stderr(log_file)
            .spawn()
            .expect("start tripline serve");
        let mut serve = Serve {
            child,
            dir,
            data,
            log,
            http: String::new(),
            grpc: String::new(),
        };
        let (http, grpc) = serve.wait_ready(&ready);
        serve.http = http;
        serve.grpc = grpc;
        serve
    }

    fn wait_ready(&mut self, ready: &Path) -> (String, String) {
        wait::poll(
            "tripline serve to write its ready file",
            READY_TIMEOUT,
            || {
                if let Ok(Some(status)) = self.child.try_wait() {
                    panic!(
                        "tripline serve exited with {status} before it was ready\n{}",
                        self.log_text()
                    );
                }
                let text = std::fs::read_to_string(ready)
                    .map_err(|e| format!("{}: {e}", ready.display()))?;
                let json: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("ready file is not JSON ({e}): {text:?}"));
                let addr = |key: &str| -> String {
                    json[key]
                        .as_str()
                        .unwrap_or_else(|| panic!("ready file lacks a string {key:?}: {text}"))
                        .to_string()
                };
                Ok((addr("http"), addr("grpc")))
            },
        )
    }

    /// The OTLP/HTTP listen address, `127.0.0.1:PORT`.
    pub fn http_addr(&self) -> &str {
        &self.http
    }

    /// The OTLP/gRPC listen address, `127.0.0.1:PORT`.
    pub fn grpc_addr(&self) -> &str {
        &self.grpc
    }

    /// `http://127.0.0.1:PORT` of the OTLP/HTTP listener.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http)
    }

    /// `http://127.0.0.1:PORT` of the OTLP/gRPC listener.
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// The server's process id (for /proc readings).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The data directory given to `--data` (and to `tripline query --data`).
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// A scratch directory that lives as long as this server.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the server wrote to stdout and stderr so far.
    pub fn log_text(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!("--- tripline serve output ---\n{text}")
    }

    /// Runs `tripline query` once; panics with the server log on failure.
    pub fn query(&self, sql: &str) -> Vec<query::Row> {
        query::run(&self.data, sql).unwrap_or_else(|e| panic!("{e}\n{}", self.log_text()))
    }

    /// Polls `tripline query` until `accept` is satisfied by the rows (see [`query::wait`]).
    pub fn wait_rows(
        &self,
        what: &str,
        sql: &str,
        accept: impl Fn(&[query::Row]) -> Result<(), String>,
    ) -> Vec<query::Row> {
        query::wait(&self.data, what, sql, accept)
    }

    /// SIGTERM, then the exit status (panics when it does not exit within the grace period).
    pub fn stop(mut self) -> ExitStatus {
        match process::terminate(&mut self.child, STOP_GRACE) {
            Some(status) => status,
            None => panic!(
                "tripline serve did not exit within {STOP_GRACE:?} of SIGTERM\n{}",
                self.log_text()
            ),
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        process::terminate(&mut self.child, STOP_GRACE);
    }
}
