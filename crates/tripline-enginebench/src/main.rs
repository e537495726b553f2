//! `tripline-enginebench`: generate the benchmark's events, or time the engine on them.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::json;
use tripline_enginebench::gen::{GenSpec, Generator};
use tripline_enginebench::measure::{self, Mode};

/// The engine benchmark (see docs/benchmarks.md; scripts/bench-engine.sh runs it beside
/// rsigma and DuckDB).
///
///   tripline-enginebench gen --seed 1 --events 1000000 > events.jsonl
///   tripline-enginebench run --rules benches/engine/pack/sigma \
///       --rules benches/engine/pack/tripline --mode projected --threads 2 events.jsonl
#[derive(Parser)]
#[command(version, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write seeded Codex-shaped canonical events as JSON Lines to stdout.
    Gen {
        /// Seed: the same seed gives the same bytes.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Number of events.
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
    },
    /// Time one run over a JSON Lines file and print one JSON object: events, seconds,
    /// events/s, peak RSS, and outputs (and distinct groups) per rule.
    Run {
        /// Rule files or directories (repeatable).
        #[arg(long = "rules", required = true)]
        rules: Vec<PathBuf>,
        /// How events reach the engine.
        #[arg(long, value_enum, default_value = "projected")]
        mode: Mode,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Also print every output (`rule kind lines alert-id`), one per line, to this file.
        #[arg(long)]
        log: Option<PathBuf>,
        /// The events.
        events: PathBuf,
    },
}

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tripline-enginebench: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Gen { seed, events } => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
            Generator::new(GenSpec { seed, events }).write_all(&mut out)?;
            out.flush()?;
        }
        Cmd::Run {
            rules,
            mode,
            threads,
            log,
            events,
        } => {
            let threads = threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
                .max(1);
            let sources = measure::load_rules(&rules)?;
            let (n, secs, found) = measure::run(&sources, &events, mode, threads)?;
            if let Some(path) = log {
                std::fs::write(&path, found.log.join("\n") + "\n")?;
            }
            let report = json!({
                "mode": format!("{mode:?}").to_lowercase(),
                "threads": threads,
                "events": n,
                "seconds": secs,
                "events_per_s": if secs > 0.0 { n as f64 / secs } else { 0.0 },
                "peak_rss_kib": measure::peak_rss_kib(),
                "rules": found.to_json(),
            });
            println!("{report}");
        }
    }
    Ok(())
}
