//! The `tripline` binary: CLI parsing and dispatch only. Each subcommand lives in its own
//! module under `commands/` with its own `Args` and `run`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod builtin;
mod commands;
mod config;
mod exit;
mod intake;
mod lists_watch;
mod logging;
mod metrics;
mod pipeline;
mod retention_task;
mod routing;
mod rulefiles;

/// Detection engineering for the OpenTelemetry that AI coding agents emit.
///
/// tripline receives OTLP logs, metrics and traces from Codex, Claude Code and Gemini CLI,
/// normalizes them into flat events, runs Sigma detections, correlations and first-seen
/// baselines, redacts secrets and prompts, and stores and routes the result.
///
/// Quick start:
///   tripline serve                      # OTLP on 127.0.0.1:4318 (HTTP) and :4317 (gRPC)
///   tripline replay --emit events DIR   # normalize captured OTLP request bodies
///   tripline rules test rules/          # run the tests stored beside each rule
///
/// Exit codes: 0 success; 1 the command ran and found problems (failed rule tests, lint
/// findings, alerts with --fail-on-alert); 2 bad usage, config or input.
#[derive(Parser)]
#[command(name = "tripline", version, about, long_about, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Serve(commands::serve::Args),
    Replay(commands::replay::Args),
    Validate(commands::validate::Args),
    #[command(subcommand)]
    Config(commands::config::Command),
    #[command(subcommand)]
    Rules(commands::rules::Command),
    #[command(subcommand)]
    Lists(commands::lists::Command),
    Baseline(commands::baseline::Args),
    Query(commands::query::Args),
    #[command(subcommand)]
    Retention(commands::retention::Command),
    /// Verify the store's durable log (SQLite WAL) and repair a torn tail.
    #[command(subcommand)]
    Wal(commands::wal::Command),
    #[command(subcommand)]
    Sinks(commands::sinks::Command),
    #[command(subcommand)]
    Console(commands::console::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(a) => commands::serve::run(a),
        Command::Replay(a) => commands::replay::run(a),
        Command::Validate(a) => commands::validate::run(a),
        Command::Config(c) => commands::config::run(c),
        Command::Rules(c) => commands::rules::run(c),
        Command::Lists(c) => commands::lists::run(c),
        Command::Baseline(a) => commands::baseline::run(a),
        Command::Query(a) => commands::query::run(a),
        Command::Retention(c) => commands::retention::run(c),
        Command::Wal(c) => commands::wal::run(c),
        Command::Console(c) => commands::console::run(c),
        Command::Sinks(c) => commands::sinks::run(c),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("tripline: error: {err:#}");
            exit::usage()
        }
    }
}
