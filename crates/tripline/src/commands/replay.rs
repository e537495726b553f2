//! `tripline replay`: normalize captured OTLP (request bodies, Collector JSON Lines,
//! flattened events) and print the canonical events.

pub mod input;
mod progress;

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use tripline_otlp::files::{BoxError, ReadError};
use tripline_otlp::OtlpSignal;

use tripline_event::Event;

use crate::config::{Config, Overrides};
use crate::exit;
use crate::pipeline::setup::{self, Extra};

/// Replay captured telemetry through the pipeline.
///
/// Inputs are files or directories (walked in sorted order; `.gz` read transparently):
/// OTLP protobuf bodies (`NNNN-logs.pb`; signal from the name, a `.headers.json` sidecar
/// or --signal), captured `.body` files with `.meta.json` sidecars, OTLP/JSON bodies, OTLP
/// JSON Lines as the Collector's file exporter writes them, and JSON Lines of already
/// flattened events. Sidecars and other files are skipped (listed with -v).
///
/// Events go through the same pipeline as `tripline serve` from decode onward: the rules
/// (the built-in pack, or --rules instead), then redaction, so what is printed is what the
/// server would store. With --data the events and alerts are also stored, and already
/// stored events are skipped, exactly as the server skips an exporter's retry.
///
///   tripline replay captures/                          # alerts from the built-in pack
///   tripline replay --rules my-rules/ --lists lists/ events.jsonl
///   tripline replay --emit events captures/ > events.jsonl
///   tripline replay --format ocsf captures/            # OCSF Detection Finding (2004)
///   tripline replay --line-format zeek codex/ zeek-dns.jsonl   # Zeek JSON beside OTLP
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// What to print: alerts from the rules, or the normalized (redacted) events.
    #[arg(long, value_enum, default_value_t = Emit::Alerts)]
    pub emit: Emit,
    /// Alert format: tripline's native JSON, or OCSF Detection Finding (class_uid 2004).
    #[arg(long, value_enum, default_value_t = AlertFormat::Native)]
    pub format: AlertFormat,
    /// Signal of protobuf bodies whose file name and sidecar do not tell it.
    #[arg(long, value_parser = parse_signal)]
    pub signal: Option<OtlpSignal>,
    /// Rule files or directories to run instead of the built-in pack (repeatable).
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Also run the built-in pack when --rules is given.
    #[arg(long)]
    pub builtin: bool,
    /// Extra list files or directories (YAML `name: [values]`) for `%name%` placeholders.
    #[arg(long, value_name = "PATH")]
    pub lists: Vec<PathBuf>,
    /// What flattened JSON Lines hold: generic, zeek, osquery or auditd (adds the event
    /// time, host and destination fields those sources spell their own way; as the
    /// `format` of serve's [[inputs]]).
    #[arg(long, value_parser = parse_format, default_value = "generic")]
    pub line_format: tripline_otlp::files::LineFormat,
    /// Event-time field tried after `time` and `timestamp` (for flattened JSON Lines).
    #[arg(long, value_name = "FIELD")]
    pub time_field: Option<String>,
    /// Also store events and alerts in this data directory (and skip events already there).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// TOML config file (redaction policy, allowed lateness, ...).
    #[arg(long, value_name = "FILE", env = "TRIPLINE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Report skipped files and per-file counts on stderr.
    #[arg(short, long)]
    pub verbose: bool,
    /// Files or directories to read.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// `--emit` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// Canonical events as JSON Lines.
    Events,
    /// Alerts from the detection rules as JSON Lines.
    Alerts,
}

/// `--format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AlertFormat {
    /// tripline's alert JSON (`id`, `revision`, `rule`, `group`, `events`, ...).
    Native,
    /// OCSF 1.x Detection Finding (class_uid 2004).
    Ocsf,
}

/// Events handed to the pipeline at once.
const BATCH: usize = 1024;

/// Parse `--line-format`.
pub fn parse_format(s: &str) -> Result<tripline_otlp::files::LineFormat, String> {
    tripline_otlp::files::LineFormat::parse(s)
        .ok_or_else(|| format!("unknown line format {s:?} (use generic, zeek, osquery or auditd)"))
}

/// Parse `--signal` (`logs`, `metrics`, `traces`).
pub fn parse_signal(s: &str) -> Result<OtlpSignal, String> {
    OtlpSignal::parse(s)
        .ok_or_else(|| format!("unknown signal {s:?} (use logs, metrics or traces)"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(
        args.config.as_deref(),
        &|k| std::env::var(k).ok(),
        &Overrides::default(),
    )?;
    let mut cfg = cfg;
    if !args.rules.is_empty() {
        cfg.rules.builtin = args.builtin;
    }
    let extra = Extra {
        rules: args.rules.clone(),
        lists: args.lists.clone(),
        time_field: args.time_field.clone(),
    };
    let pipeline = setup::pipeline(&cfg, &extra, args.data.clone())?;
    let opts = input::Options {
        signal: args.signal,
        verbose: args.verbose,
        format: args.line_format,
        limits: setup::record_limits(&cfg),
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut batch = Vec::with_capacity(BATCH);
    let flush =
        |batch: &mut Vec<Event>, out: &mut BufWriter<io::StdoutLock<'_>>| -> anyhow::Result<()> {
            if batch.is_empty() {
                return Ok(());
            }
            let outcome = pipeline
                .process_events(std::mem::take(batch), chrono::Utc::now().timestamp_millis())?;
            match args.emit {
                Emit::Events => {
                    for ev in &outcome.events {
                        serde_json::to_writer(&mut *out, ev)?;
                        out.write_all(b"\n")?;
                    }
                }
                Emit::Alerts => {
                    for alert in &outcome.alerts {
                        match args.format {
                            AlertFormat::Native => serde_json::to_writer(&mut *out, alert)?,
                            AlertFormat::Ocsf => serde_json::to_writer(
                                &mut *out,
                                &tripline_sinks::format::ocsf::detection_finding(alert),
                            )?,
                        }
                        out.write_all(b"\n")?;
                    }
                }
            }
            Ok(())
        };
    let mut failed: Option<anyhow::Error> = None;
    let result = input::for_each_event(&args.paths, &opts, &mut |event| {
        batch.push(event);
        if batch.len() >= BATCH {
            if let Err(e) = flush(&mut batch, &mut out) {
                let msg = e.to_string();
                failed = Some(e);
                return Err(msg.into());
            }
        }
        Ok::<(), BoxError>(())
    });
    let result = match failed {
        Some(e) => Err(e),
        None => result
            .and_then(|_| flush(&mut batch, &mut out))
            .and_then(|_| out.flush().map_err(anyhow::Error::from)),
    };
    match result {
        Ok(()) => Ok(exit::ok()),
        // `tripline replay ... | head` closes stdout early: not an error.
        Err(e) if is_broken_pipe(&e) => Ok(exit::ok()),
        Err(e) => Err(e),
    }
}

/// Whether writing stopped because the reader of stdout went away.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let pipe = |io: &io::Error| io.kind() == io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        if let Some(io) = c.downcast_ref::<io::Error>() {
            return pipe(io);
        }
        match c.downcast_ref::<ReadError>() {
            Some(ReadError::Sink { error, .. }) => {
                error.downcast_ref::<io::Error>().is_some_and(pipe)
                    || error
                        .downcast_ref::<serde_json::Error>()
                        .and_then(serde_json::Error::io_error_kind)
                        == Some(io::ErrorKind::BrokenPipe)
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn broken_pipes_are_recognised_through_the_reader() {
        let json_err = serde_json::Error::io(io::Error::from(io::ErrorKind::BrokenPipe));
        let e = anyhow::Error::from(ReadError::Sink {
            path: PathBuf::from("x.pb"),
            error: Box::new(json_err),
        });
        assert!(is_broken_pipe(&e));
        let other = anyhow::Error::from(ReadError::Sink {
            path: PathBuf::from("x.pb"),
            error: "disk full".into(),
        });
        assert!(!is_broken_pipe(&other));
        assert!(is_broken_pipe(&anyhow::Error::from(io::Error::from(
            io::ErrorKind::BrokenPipe
        ))));
    }

    #[test]
    fn signals_parse_for_the_flag() {
        assert_eq!(parse_signal("traces"), Ok(OtlpSignal::Traces));
        assert!(parse_signal("spanz").unwrap_err().contains("spanz"));
    }
}
