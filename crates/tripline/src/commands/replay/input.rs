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
        ..ReadOptions::default()
    };
    let plan = files::plan(paths, &read_opts)?;
    let total: u64 = plan
        .iter()
        .filter(|f| !matches!(f.kind, InputKind::Skip(_)))
        .map(|f| f.size)
        .sum();
    let bar = progress::bar(total);
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
        if tally.rejected > 0 {
            let why = tally.reject_message.as_deref().unwrap_or("over a limit");
            bar.suspend(|| eprintln!("warning: {}: {why}", file.path.display()));
        }
        if opts.verbose {
            bar.suspend(|| {
                eprintln!("read {}: {} events", file.path.display(), tally.events)
            });
        }
        bar.inc(file.size);
    }
    bar.finish_and_clear();
    Ok(events)
}
