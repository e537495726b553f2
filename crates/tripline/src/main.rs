//! The `tripline` binary: CLI parsing and dispatch only. Each subcommand lives in its own
//! module under `commands/` with its own `Args` and `run`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod builtin;
#[cfg(test)]
mod cli_tests;
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

/// Detection engineering for the OpenTelemetry that AI coding agents emit
///
/// tripline receives OTLP logs, metrics and traces from Codex, Claude Code and Gemini CLI,
/// normalizes them into flat events, runs Sigma detections, correlations and first-seen
/// baselines, redacts secrets and prompts, and stores and routes the result.
///
/// Every command that reads the store finds the data directory the same way: --data, else
/// TRIPLINE_DATA, else the config's [store] data_dir, else ./tripline-data.
///
/// Exit codes: 0 success; 1 the command ran and found problems (failed rule tests, lint
/// findings, alerts with --fail-on-alert); 2 bad usage, config or input.
#[derive(Parser)]
#[command(
    name = "tripline",
    version,
    verbatim_doc_comment,
    after_help = "Examples:
  tripline serve                          # OTLP on 127.0.0.1:4318 (HTTP) and :4317 (gRPC)
  tripline query \"SELECT count(*) FROM alerts\"   # read what serve stored
  tripline replay --emit events captures/ # normalize captured OTLP request bodies
  tripline rules test rules/              # run the tests stored beside each rule"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Serve(commands::serve::Args),
    Replay(commands::replay::Args),
    Validate(commands::validate::Args),
    /// Print the annotated default configuration, or check a config file
    #[command(
        subcommand,
        after_help = "Examples:
  tripline config default > tripline.toml
  tripline config check --config tripline.toml"
    )]
    Config(commands::config::Command),
    /// Lint, test and evaluate Sigma rules
    #[command(
        subcommand,
        after_help = "Examples:
  tripline rules lint rules/
  tripline rules test rules/
  tripline rules eval --rules rules/ events.jsonl"
    )]
    Rules(commands::rules::Command),
    /// Check list files, and import MCP tool annotations into lists/tools.yml
    #[command(
        subcommand,
        after_help = "Examples:
  tripline lists check lists/
  tripline lists import-mcp github tools-list.json"
    )]
    Lists(commands::lists::Command),
    Baseline(commands::baseline::Args),
    Query(commands::query::Args),
    /// Delete stored data older than each tier's retention
    #[command(
        subcommand,
        after_help = "Examples:
  tripline retention run
  tripline retention run --data /var/lib/tripline --events-ttl 7d"
    )]
    Retention(commands::retention::Command),
    /// Verify the store's durable log (SQLite WAL) and repair a torn tail
    #[command(
        subcommand,
        after_help = "Examples:
  tripline wal check
  tripline wal check --data /var/lib/tripline --repair"
    )]
    Wal(commands::wal::Command),
    /// Try and list the configured [[sinks]]
    #[command(
        subcommand,
        after_help = "Examples:
  tripline sinks list --config tripline.toml
  tripline sinks test siem --config tripline.toml"
    )]
    Sinks(commands::sinks::Command),
    /// Manage the users of the web console that serve shows under /ui/
    #[command(
        subcommand,
        after_help = "Examples:
  printf '%s\\n' \"$PASSWORD\" | tripline console user add --name ana --role analyst
  TRIPLINE_CONSOLE_PASSWORD=... tripline console user add --name root --role admin"
    )]
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
