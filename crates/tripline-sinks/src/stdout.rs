//! The `stdout` sink: each record's body as one JSON line on standard output (for
//! containers whose log collector reads stdout, and for trying a config out).
//!
//! ```toml
//! [[sinks]]
//! name = "console"
//! type = "stdout"
//! receive = ["alerts"]
//! ```
//!
//! It has no options. tripline's own logs go to stderr, so stdout carries only records.

use std::io::Write;

use serde::Deserialize;

use crate::sink::{parse_options, BuildContext, BuildError, Outcome, Record, SendError, Sink};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

/// Writes records as JSON Lines to standard output.
pub struct StdoutSink {
    name: String,
}

/// Builds a stdout sink from its `[[sinks]]` options.
pub fn build(ctx: &BuildContext, options: &toml::Table) -> Result<Box<dyn Sink>, BuildError> {
    let _: Options = parse_options(ctx, "stdout", options)?;
    Ok(Box::new(StdoutSink {
        name: ctx.name.clone(),
    }))
}

impl Sink for StdoutSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "stdout"
    }

    fn send(&mut self, batch: &[Record]) -> Result<Outcome, SendError> {
        let mut out = std::io::stdout().lock();
        for record in batch {
            let line = serde_json::to_vec(&record.body).map_err(|e| {
                SendError::fatal(format!("cannot serialize record {}: {e}", record.id))
            })?;
            out.write_all(&line)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| SendError::retry(format!("stdout: {e}")))?;
        }
        Ok(Outcome::all_delivered())
    }

    fn flush(&mut self) -> Result<(), SendError> {
        std::io::stdout()
            .lock()
            .flush()
            .map_err(|e| SendError::retry(format!("stdout: {e}")))
    }
}
