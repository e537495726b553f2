//! Shared support for the integration tests that drive the built `tripline` binary with
//! real OTLP exporters (`tests/real_*.rs`).
//!
//! - [`tools`]: where the external test tools live and the tool-missing policy.
//! - [`serve`]: a `tripline serve` child process on ephemeral ports with its own data dir.
//! - [`query`]: `tripline query` and polling the store until events arrive.
//! - [`mock_model`]: the scripted Responses API mock (`tests/support/mock_model.py`).
//! - [`http`]: a raw-socket HTTP/1.1 POST, for hostile bodies.
//! - [`codex`]: a fresh CODEX_HOME / HOME / git work dir and one `codex exec` run.
//! - [`process`]: running a child with a time limit and captured output.
//! - [`wait`]: polling with a timeout (no blind sleeps).
//! - [`planted`]: planted secrets, the capture carrying them, and the no-leak check.
//! - [`segments`]: reading the JSON Lines files sinks write (plain, zstd, gzip).
#![allow(dead_code)]

pub mod codex;
pub mod http;
pub mod mock_model;
pub mod planted;
pub mod process;
pub mod query;
pub mod segments;
pub mod serve;
pub mod tools;
pub mod wait;
