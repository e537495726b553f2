//! `tripline retention`: apply per-tier TTLs (a thin wrapper over
//! `tripline_store::Store::run_retention`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use tripline_store::{RetentionPolicy, Store, StoreOptions};
use tripline_time::{parse_rfc3339_ms, parse_ttl};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Delete rows older than their tier's TTL (counted from ingest time, not event
    /// time), then give the freed space back to the filesystem.
    Run(RunArgs),
}

/// `tripline retention run` arguments. TTLs take 30d, 12h, 5m, 2w, 1d12h, or `never`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Data directory holding tripline.db.
    #[arg(long, env = "TRIPLINE_DATA", value_name = "DIR")]
    data: PathBuf,
    /// How long redacted events are kept.
    #[arg(long, value_name = "TTL", default_value = "30d", value_parser = ttl)]
    events_ttl: Ttl,
    /// How long alerts are kept (from their latest revision).
    #[arg(long, value_name = "TTL", default_value = "180d", value_parser = ttl)]
    alerts_ttl: Ttl,
    /// How long an inventory surface is kept after it was last seen.
    #[arg(long, value_name = "TTL", default_value = "365d", value_parser = ttl)]
    inventory_ttl: Ttl,
    /// How long raw payloads are kept (raw tier only).
    #[arg(long, value_name = "TTL", default_value = "3d", value_parser = ttl)]
    raw_ttl: Ttl,
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
    let policy = RetentionPolicy {
        events_ttl: args.events_ttl.0,
        alerts_ttl: args.alerts_ttl.0,
        inventory_ttl: args.inventory_ttl.0,
        raw_ttl: args.raw_ttl.0,
        ..RetentionPolicy::default()
    };
    let mut store = Store::open_existing(&args.data, &StoreOptions::default())
        .with_context(|| format!("opening the store in {}", args.data.display()))?;
    let report = store
        .run_retention(now_ms, &policy)
        .context("retention failed")?;
    println!("retention: {policy}");
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}
