//! `tripline wal`: verify the store's durable log and repair a torn tail (a thin wrapper
//! over `tripline_store::check`).

use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use tripline_store::check::{
    self, CheckOptions, CheckReport, DatabaseCheck, Integrity, RepairReport,
};

use crate::commands::settings::SettingsArgs;
use crate::exit;

/// `tripline wal ...`
#[derive(clap::Subcommand)]
pub enum Command {
    Check(CheckArgs),
}

/// Verify the store's databases and their write-ahead logs, and repair a torn tail
///
/// tripline's durable log is SQLite in WAL mode: each acknowledged batch is one committed
/// transaction in DATA/tripline.db-wal until a checkpoint copies it into DATA/tripline.db.
/// This command checks, for the main store and the raw tier (DATA/raw/raw.db):
///   - SQLite's integrity_check (or quick_check with --quick) and the schema version;
///   - the -wal file: header, frame salts and cumulative checksums, read the way SQLite's
///     recovery reads them. It reports where the committed log ends and anything after it
///     that recovery would drop (a "torn tail": an unfinished transaction, frames with bad
///     checksums, a partial frame). Frames of an earlier WAL generation are normal;
///   - orphaned -wal/-shm/-journal files whose database is gone.
///
/// Run it with `tripline serve` stopped: on a live store a transaction being written looks
/// like a torn tail. --repair requires that (it takes each database exclusively): SQLite
/// recovers the committed prefix, a TRUNCATE checkpoint copies it into the database and
/// empties the -wal file, and orphaned -shm files are deleted. Integrity errors are not
/// repaired in place (restore a backup); other orphans are left for you to move away.
///
/// Exit codes:
///   0  no problems (with --repair: none left, and nothing committed was lost)
///   1  problems found (with --repair: some remain, or committed data may have been lost)
///   2  bad usage, no store in the data directory, the store is in use (--repair), or an
///      I/O error
#[derive(clap::Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:
  tripline wal check                     # the store in ./tripline-data
  tripline wal check --data /var/lib/tripline --repair --json"
)]
pub struct CheckArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    /// Truncate torn WAL tails and delete orphaned -shm files (stop the server first)
    #[arg(long)]
    repair: bool,
    /// Use SQLite's quick_check (skips matching indexes against tables; faster)
    #[arg(long)]
    quick: bool,
    /// Print one JSON object instead of text
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Check(args) => run_check(args),
    }
}

fn run_check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let cfg = args.settings.load()?;
    let dir = cfg.data_dir();
    let opts = CheckOptions { quick: args.quick };
    if args.repair {
        let report = check::repair(dir, &opts)
            .with_context(|| format!("repairing the store in {}", dir.display()))?;
        if args.json {
            println!("{}", repair_json(&report)?);
        } else {
            print_repair(&report);
        }
        return Ok(if report.is_ok() {
            exit::ok()
        } else {
            exit::findings()
        });
    }
    let report = check::check(dir, &opts)
        .with_context(|| format!("checking the store in {}", dir.display()))?;
    if args.json {
        println!("{}", check_json(&report)?);
    } else {
        print_report(&report);
        print_verdict(&report);
    }
    Ok(if report.is_ok() {
        exit::ok()
    } else {
        exit::findings()
    })
}

fn check_json(report: &CheckReport) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::to_value(report)?;
    v["ok"] = json!(report.is_ok());
    v["problems"] = json!(report.problems());
    Ok(v)
}

fn repair_json(report: &RepairReport) -> anyhow::Result<serde_json::Value> {
    Ok(json!({
        "ok": report.is_ok(),
        "possible_loss": report.possible_loss,
        "actions": report.actions,
        "problems_before": report.before.problems(),
        "problems": report.after.problems(),
        "before": check_json(&report.before)?,
        "after": check_json(&report.after)?,
    }))
}

fn print_report(report: &CheckReport) {
    println!("data directory: {}", report.data_dir.display());
    for db in &report.databases {
        print_database(db);
    }
    for o in &report.orphans {
        println!("orphan: {}: {}", o.path.display(), o.reason);
    }
}

fn print_database(db: &DatabaseCheck) {
    let integrity = match &db.integrity {
        Integrity::Ok => "ok".to_string(),
        Integrity::Errors(e) => format!("{} error(s)", e.len()),
    };
    let schema = db
        .schema_version
        .map_or("unreadable".to_string(), |v| format!("v{v}"));
    println!(
        "{}: {} {integrity}, schema {schema} (this build: v{})",
        db.path.display(),
        db.check,
        db.schema_supported
    );
    if let Some(pid) = db.open_by {
        println!(
            "{}: open by process {pid} (a server?): a transaction being written can show as a torn tail",
            db.path.display()
        );
    }
    match &db.wal {
        None => println!("{}: absent (fully checkpointed)", db.wal_path.display()),
        Some(s) if s.file_bytes == 0 => {
            println!("{}: empty (fully checkpointed)", db.wal_path.display())
        }
        Some(s) => println!(
            "{}: {} bytes; committed log: {} frames in {} transactions, ends at byte {}; \
             after it: {} uncommitted, {} torn, {} stale frames, {} partial bytes",
            db.wal_path.display(),
            s.file_bytes,
            s.committed_frames,
            s.transactions,
            s.committed_end,
            s.uncommitted_frames,
            s.torn_frames,
            s.stale_frames,
            s.partial_bytes
        ),
    }
}

fn print_verdict(report: &CheckReport) {
    let problems = report.problems();
    if problems.is_empty() {
        println!("ok: no problems");
        return;
    }
    println!("{} problem(s):", problems.len());
    for p in problems {
        println!("  {p}");
    }
}

fn print_repair(report: &RepairReport) {
    let before = report.before.problems();
    println!("before: {} problem(s)", before.len());
    for p in &before {
        println!("  {p}");
    }
    if report.actions.is_empty() {
        println!("nothing to repair");
    }
    for a in &report.actions {
        println!("repair: {a}");
    }
    println!("after:");
    print_report(&report.after);
    print_verdict(&report.after);
    if report.possible_loss {
        println!("warning: committed data may have been lost (see the warnings above)");
    }
}
