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

use crate::exit;

/// Replay captured telemetry through the pipeline.
///
/// Inputs are files or directories (walked in sorted order; `.gz` read transparently):
/// OTLP protobuf bodies (`NNNN-logs.pb`; signal from the name, a `.headers.json` sidecar
/// or --signal), captured `.body` files with `.meta.json` sidecars, OTLP/JSON bodies, OTLP
/// JSON Lines as the Collector's file exporter writes them, and JSON Lines of already
/// flattened events. Sidecars and other files are skipped (listed with -v).
///
///   tripline replay --emit events captures/ > events.jsonl
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// What to print: canonical events, or alerts from the rules.
    #[arg(long, value_enum, default_value_t = Emit::Events)]
    pub emit: Emit,
    /// Signal of protobuf bodies whose file name and sidecar do not tell it.
    #[arg(long, value_parser = parse_signal)]
    pub signal: Option<OtlpSignal>,
    /// Directory of Sigma rules (with --emit alerts).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Data directory holding the store and baselines.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
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

/// Parse `--signal` (`logs`, `metrics`, `traces`).
pub fn parse_signal(s: &str) -> Result<OtlpSignal, String> {
    OtlpSignal::parse(s).ok_or_else(|| format!("unknown signal {s:?} (use logs, metrics or traces)"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.emit == Emit::Alerts || args.rules.is_some() || args.data.is_some() {
        anyhow::bail!(
            "`tripline replay --emit alerts`, --rules and --data are not wired yet; \
             use `--emit events` to print canonical events"
        );
    }
    let opts = input::Options {
        signal: args.signal,
        verbose: args.verbose,
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = input::for_each_event(&args.paths, &opts, &mut |event| {
        serde_json::to_writer(&mut out, &event)?;
        out.write_all(b"\n")?;
        Ok::<(), BoxError>(())
    });
    match result.and_then(|_| out.flush().map_err(anyhow::Error::from)) {
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
        assert!(is_broken_pipe(&anyhow::Error::from(io::Error::from(io::ErrorKind::BrokenPipe))));
    }

    #[test]
    fn signals_parse_for_the_flag() {
        assert_eq!(parse_signal("traces"), Ok(OtlpSignal::Traces));
        assert!(parse_signal("spanz").unwrap_err().contains("spanz"));
    }
}
