//! tripline's load generator and reliability-test helpers.
//!
//! * [`gen`]: seeded Codex-shaped OTLP log batches (`codex.conversation_starts`,
//!   `codex.user_prompt`, `codex.tool_decision`, `codex.tool_result`), one `loadgen.seq`
//!   per record so the store can be checked record by record;
//! * [`client`]: C concurrent exporters sending them over OTLP/HTTP (protobuf) or gRPC,
//!   retrying like the OpenTelemetry exporters (Retry-After / RetryInfo honoured,
//!   exponential backoff with jitter, no retry on 400/413), recording which batches were
//!   acknowledged and the latencies;
//! * [`corpus`]: real traffic, the Codex CLI's captured request bodies re-sent as many
//!   copies with fresh ids;
//! * [`fleet`]: a seeded month of Codex-shaped fleet traffic (humans and CI) as canonical
//!   events, with planted anomalies, for the volume-baseline and telemetry-health tests;
//! * [`prom`]: reading a histogram from a Prometheus `/metrics` page (the benchmark's
//!   server-side latency);
//! * [`serve`]: start, `kill -9`, restart and query a `tripline serve` child process.
//!
//! The `tripline-loadgen` binary wraps these (`--bench` runs the benchmark matrix).

pub mod client;
pub mod corpus;
pub mod fleet;
pub mod gen;
pub mod prom;
pub mod serve;

pub use client::{run, BatchFate, Protocol, Report, RetryPolicy, RunConfig, Target};
pub use corpus::Corpus;
pub use gen::GenSpec;
pub use serve::{Serve, ServeSpec};
