//! `tripline retention`: apply per-tier TTLs (a thin wrapper over
//! `tripline_store::Store::run_retention`).

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use tripline_store::{RetentionPolicy, Store};
use tripline_time::{parse_rfc3339_ms, parse_ttl};

use crate::commands::settings::SettingsArgs;
use crate::pipeline::setup;

/// `tripline retention ...`
#[derive(clap::Subcommand)]
pub enum Command {
    /// Delete rows older than their tier's TTL, then give the freed space back
    ///
    /// TTLs count from ingest time, not event time. Each TTL not given as a flag comes
    /// from the config's [retention] (the TTLs `serve` applies every [retention] interval).
    /// TTLs take 30d, 12h, 5m, 2w, 1d12h, or `never`.
    #[command(after_help = "Examples:
  tripline retention run
  tripline retention run --config /etc/tripline/tripline.toml --events-ttl 7d --raw-ttl never")]
    Run(RunArgs),
}

/// `tripline retention run` arguments. TTLs take 30d, 12h, 5m, 2w, 1d12h, or `never`.
#[derive(clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    /// How long redacted events are kept [default: [retention] events_ttl, 30d]
    #[arg(long, value_name = "TTL", value_parser = ttl)]
    events_ttl: Option<Ttl>,
    /// How long alerts are kept, from their latest revision [default: [retention]
    /// alerts_ttl, 180d]
    #[arg(long, value_name = "TTL", value_parser = ttl)]
    alerts_ttl: Option<Ttl>,
    /// How long an inventory surface is kept after it was last seen
    #[arg(long, value_name = "TTL", default_value = "365d", value_parser = ttl)]
    inventory_ttl: Ttl,
    /// How long raw payloads are kept, raw tier only [default: [retention] raw_ttl, 3d]
    #[arg(long, value_name = "TTL", value_parser = ttl)]
    raw_ttl: Option<Ttl>,
    /// Pretend the current time is this RFC 3339 instant (for tests).
    #[arg(long, hide = true, value_name = "RFC3339")]
    now: Option<String>,
}

/// A parsed TTL; `None` keeps rows forever.
#[derive(Clone, Copy)]
struct Ttl(Option<Duration>);

fn ttl(text: &str) -> Result<Ttl, String> {
    parse_ttl(text).map(Ttl).map_err(|e| e.to_string())
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Run(args) => run_retention(args),
    }
}

fn run_retention(args: RunArgs) -> anyhow::Result<ExitCode> {
    let now_ms = match &args.now {
        Some(text) => parse_rfc3339_ms(text).map_err(anyhow::Error::msg)?,
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0),
    };
    let cfg = args.settings.load()?;
    let from_config = crate::retention_task::policy(&cfg.retention);
    let policy = RetentionPolicy {
        events_ttl: args.events_ttl.map_or(from_config.events_ttl, |t| t.0),
        alerts_ttl: args.alerts_ttl.map_or(from_config.alerts_ttl, |t| t.0),
        inventory_ttl: args.inventory_ttl.0,
        raw_ttl: args.raw_ttl.map_or(from_config.raw_ttl, |t| t.0),
        ..from_config
    };
    let dir = cfg.data_dir();
    let mut store = Store::open_existing(dir, &setup::store_options(&cfg))
        .with_context(|| format!("opening the store in {}", dir.display()))?;
    let report = store
        .run_retention(now_ms, &policy)
        .context("retention failed")?;
    println!("retention: {policy}");
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}
