//! `tripline query`: read-only SQL over the store (a thin wrapper over
//! `tripline_store::query`).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use tripline_store::query::{open_query_connection, run_query, Format};
use tripline_store::AdminScope;

use crate::commands::settings::SettingsArgs;

/// Run one read-only SQL statement against the store and print the rows
///
/// Tables: events, alerts, inventory, state (see docs/storage.md); with --admin also
/// raw.payloads. The whole redacted event is JSON in `events.event`.
///
/// Statements that write are refused. Bad SQL exits 2 with SQLite's message.
#[derive(clap::Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:
  tripline query \"SELECT count(*) FROM events\"     # the store serve writes in ./tripline-data
  tripline query --data /var/lib/tripline --format table \\
    \"SELECT json_extract(event, '$.tool_name') AS tool, count(*) AS n
     FROM events GROUP BY tool ORDER BY n DESC\""
)]
pub struct Args {
    #[command(flatten)]
    settings: SettingsArgs,
    /// Also attach the raw tier as schema `raw` (unredacted payloads: admins only).
    #[arg(long)]
    admin: bool,
    /// Output format [default: table on a terminal, jsonl otherwise].
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// One SQL statement.
    sql: String,
}

/// `--format` values.
#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputFormat {
    /// One JSON object per row, keyed by column name.
    Jsonl,
    /// An aligned text table.
    Table,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let format = match args.format {
        Some(OutputFormat::Jsonl) => Format::Jsonl,
        Some(OutputFormat::Table) => Format::Table,
        None if stdout.is_terminal() => Format::Table,
        None => Format::Jsonl,
    };
    // `--admin` is the operator's explicit assertion of admin access.
    let admin = args.admin.then(AdminScope::asserted);
    let cfg = args.settings.load()?;
    let dir = cfg.data_dir();
    let conn = open_query_connection(dir, admin.as_ref())
        .with_context(|| format!("opening the store in {}", dir.display()))?;
    run_query(&conn, &args.sql, &mut stdout.lock(), format).context("query failed")?;
    Ok(ExitCode::SUCCESS)
}
