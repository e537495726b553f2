//! `tripline validate`: check captured telemetry against the agents' known schema.

mod render;
mod survey;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use tripline_otlp::known_schema::KnownSchema;
use tripline_otlp::OtlpSignal;

use super::replay::{input, parse_signal};
use crate::exit;

/// Check captured telemetry against the agents' known schema
///
/// Reads the same inputs as `tripline replay` and reports, per agent, service, originator
/// and version: every event name with its count, attribute keys and first/last time;
/// whether prompts arrive unredacted; event names the known schema does not list; expected
/// events that never arrived; keys that changed versus the known schema (log events); and
/// type drift (a known key whose value has another type than the schema's, after numbers
/// and booleans sent as strings are converted). Then, per host (host_name): which agents
/// and versions it sends, and which identity fields each agent's events carry.
///
/// Exit codes: 0 everything matches; 1 differences or unredacted prompts found; 2 bad input.
#[derive(clap::Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:
  tripline validate captures/            # which events and keys arrive, per agent and version
  tripline validate --json --all captures/ > report.json"
)]
pub struct Args {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// List every span and metric name instead of summarizing them.
    #[arg(long)]
    pub all: bool,
    /// Signal of protobuf bodies whose file name and sidecar do not tell it.
    #[arg(long, value_parser = parse_signal)]
    pub signal: Option<OtlpSignal>,
    /// A known-schema TOML file to use instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Report skipped files on stderr.
    #[arg(short, long)]
    pub verbose: bool,
    /// Files or directories to read.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let schema = match &args.schema {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
            KnownSchema::from_toml(&text).with_context(|| p.display().to_string())?
        }
        None => KnownSchema::builtin().context("built-in known schema")?,
    };
    let opts = input::Options {
        signal: args.signal,
        verbose: args.verbose,
        ..input::Options::default()
    };
    let mut survey = survey::Survey::default();
    input::for_each_event(&args.paths, &opts, &mut |e| {
        survey.add(&e, &schema);
        Ok(())
    })?;

    let reports: Vec<render::GroupReport> = survey
        .groups
        .iter()
        .map(|(k, g)| render::GroupReport::new(k, g, survey::compare(k, g, &schema)))
        .collect();
    let hosts: Vec<render::HostReport> = survey
        .hosts
        .iter()
        .map(|(h, s)| render::HostReport::new(h, s))
        .collect();
    let findings = reports
        .iter()
        .any(|r| !r.findings.is_empty() || r.prompts_unredacted > 0);
    let text = if args.json {
        let mut t = serde_json::to_string_pretty(
            &serde_json::json!({ "groups": reports, "hosts": hosts }),
        )?;
        t.push('\n');
        t
    } else {
        let mut t = render::table(&reports, args.all);
        t.push_str(&render::hosts_table(&hosts));
        t
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    Ok(if findings {
        exit::findings()
    } else {
        exit::ok()
    })
}
