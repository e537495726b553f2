//! Shared support for the integration tests that drive the built `tripline` binary with
//! real OTLP exporters (`tests/real_*.rs`).
//!
//! - [`tools`]: where the external test tools live and the tool-missing policy.
//! - [`serve`]: a `tripline serve` child process on ephemeral ports with its own data dir.
//! - [`query`]: `tripline query` and polling the store until events arrive.
//! - [`mock_model`]: the scripted Responses API mock (`tests/support/mock_model.py`).
//! - [`planted`]: planted secrets in a capture, and the no-leak byte search.
//! - [`docs`]: the config snippets the docs show, between their markers.
//! - [`http`]: a raw-socket HTTP/1.1 POST (hostile bodies) and GET (`/metrics`).
//! - [`otel_sdk`]: running the OpenTelemetry SDK emitter scripts.
//! - [`codex`]: a fresh CODEX_HOME / HOME / git work dir and one `codex exec` run.
//! - [`agent_run`]: a finished Claude Code / Gemini CLI run, its events and alert patterns.
//! - [`claude`] / [`gemini`]: one `claude -p` / `gemini -p` run exporting as `docs/agents.md`
//!   shows, in a [`scratch_repo`] (HOME and a work dir with `build/` and a planted `.env`).
//! - [`process`]: running a child with a time limit and captured output.
//! - [`wait`]: polling with a timeout (no blind sleeps).
//! - [`rsyslog`]: an rsyslogd of the test's own, writing what it parsed as JSON lines.
//! - [`duckdb`]: SQL over files through DuckDB in the test venv.
//! - [`certs`]: the one way tests make certificates: a CA, server and client certificates
//!   (shared with the receiver's and the sinks crate's tests).
//! - [`console`]: console users, the real-traffic seed, and a cookie-keeping HTTP client.
//! - [`segments`]: reading the JSON Lines files sinks write (plain, zstd, gzip).
#![allow(dead_code)]

pub mod agent_run;

#[path = "../../../tripline-receive/tests/common/certs.rs"]
pub mod certs;
pub mod claude;
pub mod codex;
pub mod console;
pub mod docs;
pub mod duckdb;
pub mod gemini;
pub mod http;
pub mod mock_model;
pub mod otel_sdk;
pub mod planted;
pub mod process;
pub mod query;
pub mod rsyslog;
pub mod scratch_repo;
pub mod segments;
pub mod serve;
pub mod tools;
pub mod wait;
