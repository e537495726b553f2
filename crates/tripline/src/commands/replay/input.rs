//! The one place the CLI reads inputs: plans the files, reports skips and rejections on
//! stderr, shows progress, and streams events to a callback. `validate` (and the lead's
//! `--emit alerts` wiring) reuse it.

use std::path::PathBuf;

use tripline_event::Event;
use tripline_otlp::files::{self, BoxError, InputKind, ReadOptions};
use tripline_otlp::OtlpSignal;

use super::progress;

/// CLI-level reading options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--signal` for protobuf bodies whose name and sidecar do not tell it.
    pub signal: Option<OtlpSignal>,
    /// `-v`: list skipped files and per-file counts on stderr.
    pub verbose: bool,
    /// `--line-format`: what flattened JSON Lines hold.
    pub format: tripline_otlp::files::LineFormat,
    /// Per-record limits (`[limits]` of the config, as `serve` applies them).
    pub limits: tripline_otlp::Limits,
}

/// Read every input in deterministic order and hand each canonical event to `on_event`.
/// Records rejected for limits are reported on stderr (they are not fatal). Returns the
/// number of events read.
pub fn for_each_event(
    paths: &[PathBuf],
    opts: &Options,
    on_event: &mut dyn FnMut(Event) -> Result<(), BoxError>,
) -> anyhow::Result<u64> {
    let read_opts = ReadOptions {
        signal: opts.signal,
        format: opts.format,
        limits: opts.limits.clone(),
        ..ReadOptions::default()
    };
    let plan = files::plan(paths, &read_opts)?;
    let total: u64 = plan
        .iter()
        .filter(|f| !matches!(f.kind, InputKind::Skip(_)))
        .map(|f| f.size)
        .sum();
    let bar = progress::bar(total);
    let mut rate = progress::Rate::new(&bar);
    let on_event = &mut |e: Event| {
        rate.tick();
        on_event(e)
    };
    let mut events = 0u64;
    for file in &plan {
        if let InputKind::Skip(reason) = file.kind {
            if opts.verbose {
                bar.suspend(|| eprintln!("skipped {}: {reason}", file.path.display()));
            }
            continue;
        }
        let tally = files::read_file(file, &read_opts, on_event)?;
        events += tally.events;
        if tally.not_telemetry {
            if opts.verbose {
                bar.suspend(|| {
                    eprintln!("skipped {}: JSON without OTLP keys", file.path.display())
                });
            }
            bar.inc(file.size);
            continue;
        }
        if tally.rejected > 0 {
            let why = tally.reject_message.as_deref().unwrap_or("over a limit");
            bar.suspend(|| eprintln!("warning: {}: {why}", file.path.display()));
        }
        if opts.verbose {
            bar.suspend(|| eprintln!("read {}: {} events", file.path.display(), tally.events));
        }
        bar.inc(file.size);
    }
    bar.finish_and_clear();
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../tripline-otlp/tests/fixtures/codex/a-baseline")
    }

    #[test]
    fn streams_the_same_events_as_the_library_reader() {
        let mut cli = Vec::new();
        let n = for_each_event(&[fixtures()], &Options::default(), &mut |e| {
            cli.push(e);
            Ok(())
        })
        .unwrap();
        let mut lib = Vec::new();
        files::read_inputs(&[fixtures()], &ReadOptions::default(), &mut |e| {
            lib.push(e);
            Ok(())
        })
        .unwrap();
        assert_eq!(n as usize, cli.len());
        assert!(!cli.is_empty());
        assert_eq!(cli, lib);
    }

    #[test]
    fn callback_errors_stop_reading_and_name_the_file() {
        let err = for_each_event(&[fixtures()], &Options::default(), &mut |_| {
            Err("sink full".into())
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("0001-traces.pb") && err.contains("sink full"),
            "{err}"
        );
    }
}
