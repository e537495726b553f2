//! `tripline rules eval --rules DIR EVENTS.jsonl`: JSON Lines in, JSON Lines out.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::{json, Value as Json};
use tripline_event::Event;
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
        tripline_sigma::rule::parse_duration_ns(&args.lateness).ok_or_else(|| {
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
    let name = args.events.display().to_string();
    let reader: Box<dyn BufRead> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(&args.events).with_context(|| format!("{name}: cannot open"))?,
        ))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    // seq (events processed) -> input line
    let mut lines: Vec<u64> = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{name}:{}: cannot read", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let ev = match serde_json::from_str::<Json>(&line) {
            Ok(Json::Object(o)) => Event::from_json_object(o),
            Ok(_) => anyhow::bail!("{name}:{}: expected a JSON object", n + 1),
            Err(e) => anyhow::bail!("{name}:{}: invalid JSON: {e}", n + 1),
        };
        lines.push(n as u64);
        for o in engine.process(&ev) {
            let to_line = |s: &u64| lines.get(*s as usize).copied().unwrap_or(*s);
            let record = match o.kind {
                OutputKind::Match => json!({
                    "rule_id": o.rule_id,
                    "rule_name": o.rule_name,
                    "line": o.seqs.first().map(to_line).unwrap_or(n as u64),
                }),
                OutputKind::Correlation | OutputKind::FirstSeen => json!({
                    "rule_id": o.rule_id,
                    "rule_name": o.rule_name,
                    "group": o.group,
                    "lines": o.seqs.iter().map(to_line).collect::<Vec<_>>(),
                    "time": o.time_ns.map(tripline_sigma::time::format_ns),
                }),
            };
            writeln!(out, "{record}")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
