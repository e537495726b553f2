//! `tripline sinks`: try a configured sink with a synthetic alert, or list the sinks with
//! their queues.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{bail, Context};
use tripline_event::{Alert, Event, RuleRef, Value};
use tripline_redact::{expand_sample, SecretScanner};
use tripline_sinks::delivery::{self, Preparer};
use tripline_store::Outbox;

use crate::commands::settings::SettingsArgs;
use crate::pipeline::setup;

/// `tripline sinks ...`
#[derive(clap::Subcommand)]
pub enum Command {
    /// Send one synthetic alert through the sink NAME and report what the destination said
    ///
    /// The alert is marked synthetic (rule `tripline_sinks_test`, tag `tripline.synthetic`,
    /// group `synthetic = true`) and carries a planted fake secret, which goes through the
    /// global and the sink's redaction like any alert: the command refuses to send if the
    /// secret would leave unredacted. The sink's filters (min_level, agents) are not applied.
    /// Exits 0 when the destination accepted it, 1 when it did not, 2 on a bad config or an
    /// unknown NAME. Sinks that write files write under DATA/sinks/NAME unless their
    /// options name a path.
    #[command(
        verbatim_doc_comment,
        after_help = "Examples:
  tripline sinks test siem --config /etc/tripline/tripline.toml"
    )]
    Test(TestArgs),
    /// List the configured sinks with their type, receive set and delivery queue
    ///
    /// With the store present, each sink's delivery cursor and the number of records still
    /// queued for it.
    #[command(after_help = "Examples:
  tripline sinks list --config /etc/tripline/tripline.toml")]
    List(ListArgs),
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// The sink's name
    name: String,
    #[command(flatten)]
    settings: SettingsArgs,
}

#[derive(clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    settings: SettingsArgs,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Test(args) => test(args),
        Command::List(args) => list(args),
    }
}

/// A detector sample the built-in scanner finds, and the secret part of it.
fn planted_secret() -> anyhow::Result<(String, String)> {
    let scanner = SecretScanner::shared_builtin();
    for spec in scanner.specs() {
        let Some(sample) = spec.true_positives.first() else {
            continue;
        };
        let text = expand_sample(sample);
        if let Some(f) = scanner.scan(&text).first() {
            return Ok((text.clone(), f.secret(&text).to_owned()));
        }
    }
    bail!("internal: no built-in detector sample to plant")
}

/// The synthetic alert, before redaction.
fn synthetic_alert(planted: &str) -> Alert {
    let now = chrono::Utc::now();
    let time = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let id = format!("tripline-sinks-test-{}", now.timestamp_millis());
    let mut event = Event::new();
    event.insert("id", format!("{id}-event"));
    event.insert("time", time.clone());
    event.insert("agent", "codex");
    event.insert("event_name", "codex.tool_result");
    event.insert("tool_name", "exec_command");
    event.insert("output", format!("synthetic test output: {planted}"));
    event.insert("synthetic", Value::Bool(true));
    let mut group = BTreeMap::new();
    group.insert("synthetic".to_owned(), Value::Bool(true));
    Alert {
        id,
        revision: 1,
        time: time.clone(),
        rule: RuleRef {
            id: "00000000-0000-4000-8000-000000000000".into(),
            name: "tripline_sinks_test".into(),
            title: "SYNTHETIC: tripline sinks test alert".into(),
            level: "informational".into(),
            tags: vec!["tripline.synthetic".into()],
        },
        agent: "codex".into(),
        group,
        count: 1,
        first_time: time.clone(),
        last_time: time,
        event_ids: vec![event.id().unwrap_or_default().to_owned()],
        events: vec![event],
        summary: format!("SYNTHETIC alert sent by `tripline sinks test`; this planted fake secret must arrive redacted: {planted}"),
        triage: None,
    }
}

fn test(args: TestArgs) -> anyhow::Result<ExitCode> {
    let cfg = args.settings.load()?;
    let specs = cfg.sink_specs()?;
    let Some(spec) = specs.into_iter().find(|s| s.name == args.name) else {
        let names: Vec<String> = cfg.sink_specs()?.into_iter().map(|s| s.name).collect();
        bail!(
            "no sink named {:?} in the config (configured: {})",
            args.name,
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        );
    };
    let mut sink = delivery::build_sink(&spec, cfg.data_dir())?;
    let (redactor, _) = setup::keyed(&cfg)?;
    let (planted_text, secret) = planted_secret()?;
    let mut alert = synthetic_alert(&planted_text);
    redactor.redact_alert(&mut alert);
    let prep = Preparer::new(spec.clone(), setup::sink_redactor(&cfg, &spec)?);
    let record = prep
        .alert(alert, false)
        .context("internal: the synthetic alert was filtered out")?;
    let body = serde_json::to_string(&record.body)?;
    if body.contains(&secret) {
        eprintln!(
            "sink {:?} (type {}): NOT SENT: the planted secret survived redaction",
            spec.name, spec.kind
        );
        return Ok(crate::exit::findings());
    }
    let label = format!(
        "sink {:?} (type {}, format {})",
        spec.name,
        spec.kind,
        spec.format.as_str()
    );
    let result = sink
        .send(std::slice::from_ref(&record))
        .and_then(|outcome| sink.flush().map(|()| outcome));
    drop(sink);
    match result {
        Ok(outcome) if outcome.failed.is_empty() => {
            eprintln!("{label}: delivered 1 synthetic alert (id {}, revision {}); the planted secret was redacted", record.id, record.revision);
            Ok(crate::exit::ok())
        }
        Ok(outcome) => {
            for (_, err) in &outcome.failed {
                eprintln!("{label}: the destination refused the synthetic alert: {err}");
            }
            Ok(crate::exit::findings())
        }
        Err(err) => {
            let what = if err.is_retryable() {
                "not delivered (a retryable error; serve would retry)"
            } else {
                "not delivered (a permanent error)"
            };
            eprintln!("{label}: {what}: {err}");
            Ok(crate::exit::findings())
        }
    }
}

fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let cfg = args.settings.load()?;
    let specs = cfg.sink_specs()?;
    if specs.is_empty() {
        println!("no sinks configured");
        return Ok(crate::exit::ok());
    }
    let outbox = Outbox::open_read_only(cfg.data_dir()).ok();
    println!(
        "{:<20} {:<14} {:<22} {:<7} {:>10} {:>10}",
        "NAME", "TYPE", "RECEIVE", "FORMAT", "CURSOR", "QUEUED"
    );
    for spec in specs {
        let receive: Vec<&str> = spec.receive.iter().map(|k| k.as_str()).collect();
        let (cursor, queued) = match outbox
            .as_ref()
            .and_then(|o| o.cursor(&spec.name).ok().flatten().map(|c| (o, c)))
        {
            Some((o, (seq, _))) => (
                seq.to_string(),
                o.stats(seq)
                    .map(|s| s.pending.to_string())
                    .unwrap_or_else(|_| "?".into()),
            ),
            None => ("-".into(), "-".into()),
        };
        println!(
            "{:<20} {:<14} {:<22} {:<7} {:>10} {:>10}",
            spec.name,
            spec.kind,
            receive.join(","),
            spec.format.as_str(),
            cursor,
            queued
        );
    }
    Ok(crate::exit::ok())
}
