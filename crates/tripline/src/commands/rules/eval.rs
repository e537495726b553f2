//! `tripline rules eval --rules DIR EVENTS.jsonl`: JSON Lines in, JSON Lines out.

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use tripline_sigma::stream::{self, StreamError, StreamOptions};
use tripline_sigma::{Engine, EngineOptions, OutputKind};

use crate::rulefiles as files;

/// Arguments of `rules eval`.
#[derive(clap::Args)]
pub struct Args {
    /// Rule files or directories (repeatable).
    #[arg(long = "rules", required = true)]
    pub rules: Vec<PathBuf>,
    /// Lists for `%placeholder%` expansion (a YAML file or a directory).
    #[arg(long)]
    pub lists: Option<PathBuf>,
    /// Field mapping file (`field_mapping: {rule_field: event_field}`).
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Event time field, tried after `time` and `timestamp`.
    #[arg(long = "time-field")]
    pub time_field: Option<String>,
    /// Allowed lateness for out-of-order events, e.g. `30s` (default 0).
    #[arg(long, default_value = "0s")]
    pub lateness: String,
    /// Worker threads parsing and matching (default: all cores). Correlations, first-seen
    /// baselines and suppression run in input order on one thread, so the output is the
    /// same for any thread count.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Parse every line whole instead of only the fields the rules read (same output;
    /// slower; for checking the fast path).
    #[arg(long)]
    pub whole_lines: bool,
    /// Events, one JSON object per line (`-` for stdin). `line` in the output is the
    /// 0-based line number.
    pub events: PathBuf,
}

/// Run the evaluation.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (rules, _) = files::find(&args.rules)?;
    let sources = files::load_sources(&rules)?;
    let lists = files::builtin_lists_and(args.lists.as_slice())?;
    let mut opts = EngineOptions {
        mapping: files::load_mapping(args.mapping.as_deref())?,
        secret_check: Some(crate::pipeline::setup::secret_check()),
        ..EngineOptions::default()
    };
    if let Some(f) = args.time_field {
        opts.time_fields.push(f);
    }
    opts.allowed_lateness_ns =
        tripline_sigma::time::parse_duration_ns(&args.lateness).ok_or_else(|| {
            anyhow::anyhow!(
                "--lateness: invalid duration '{}' (number + s, m, h, d)",
                args.lateness
            )
        })?;
    let mut engine = Engine::compile(&sources, &lists, &opts).map_err(|errs| {
        anyhow::anyhow!(
            "{}",
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    // the state is never stored: no change bookkeeping
    engine.track_changes(false);
    let name = args.events.display().to_string();
    let input: Box<dyn Read + Send> = if name == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(&args.events).with_context(|| format!("{name}: cannot open"))?)
    };
    let mut run_opts = StreamOptions {
        projected: !args.whole_lines,
        ..StreamOptions::default()
    };
    if let Some(t) = args.threads {
        anyhow::ensure!(t > 0, "--threads: must be at least 1");
        run_opts.threads = t;
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = stream::run_jsonl(&mut engine, input, run_opts, |o, lines| {
        let record = match o.kind {
            OutputKind::Match => json!({
                "rule_id": o.rule_id,
                "rule_name": o.rule_name,
                "line": lines.first(),
            }),
            OutputKind::Correlation | OutputKind::FirstSeen | OutputKind::Profile => json!({
                "rule_id": o.rule_id,
                "rule_name": o.rule_name,
                "group": o.group,
                "lines": lines,
                "time": o.time_ns.map(tripline_sigma::time::format_ns),
            }),
        };
        writeln!(out, "{record}").map_err(|e| format!("cannot write: {e}"))
    });
    match result {
        Ok(_) => {}
        Err(StreamError::Line { line, msg }) => {
            out.flush()?;
            anyhow::bail!("{name}:{}: {msg}", line + 1)
        }
        Err(e) => {
            out.flush()?;
            anyhow::bail!("{name}: {e}")
        }
    }
    out.flush()?;
    // The process ends right after: the OS frees the engine's state faster than dropping
    // every correlation window one by one.
    std::mem::forget(engine);
    Ok(ExitCode::SUCCESS)
}
