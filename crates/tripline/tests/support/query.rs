//! `tripline query --data DIR SQL` (JSON Lines keyed by column name) and polling it until
//! the events a test waits for are stored.

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

use super::{process, tools, wait};

/// One result row: column name → value.
pub type Row = Map<String, Value>;

/// How long one `tripline query` may run.
const QUERY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`wait`] polls. Events are stored before the export is acknowledged, so after a
/// clean exporter exit they are normally there at the first try.
pub const ARRIVAL_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs one query. `Err` carries the exit status and both output streams.
pub fn run(data: &Path, sql: &str) -> Result<Vec<Row>, String> {
    let mut cmd = tools::tripline_command();
    cmd.arg("query").arg("--data").arg(data).arg(sql);
    let out = process::run("tripline query", &mut cmd, QUERY_TIMEOUT);
    if !out.status.success() {
        return Err(format!(
            "`tripline query --data {} {sql:?}` failed with {}\nstdout: {}\nstderr: {}",
            data.display(),
            out.status,
            out.stdout,
            out.stderr
        ));
    }
    out.stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(row)) => Ok(row),
            Ok(other) => Err(format!("query output line is not a JSON object: {other}")),
            Err(e) => Err(format!("query output line is not JSON ({e}): {line:?}")),
        })
        .collect()
}

/// Polls the query until `accept(rows)` is `Ok`, for at most [`ARRIVAL_TIMEOUT`]; then panics
/// with `what`, the last rejection and the last rows.
pub fn wait(
    data: &Path,
    what: &str,
    sql: &str,
    accept: impl Fn(&[Row]) -> Result<(), String>,
) -> Vec<Row> {
    wait::poll(what, ARRIVAL_TIMEOUT, || {
        let rows = run(data, sql)?;
        match accept(&rows) {
            Ok(()) => Ok(rows),
            Err(why) => Err(format!("{why}; query {sql:?} returned {}", show(&rows))),
        }
    })
}

/// Accepts at least `n` rows.
pub fn at_least(n: usize) -> impl Fn(&[Row]) -> Result<(), String> {
    move |rows| {
        if rows.len() >= n {
            Ok(())
        } else {
            Err(format!("{} rows, want at least {n}", rows.len()))
        }
    }
}

/// Compact rendering of rows for failure messages (long values shortened).
pub fn show(rows: &[Row]) -> String {
    const MAX: usize = 4000;
    let mut text = serde_json::to_string(rows).unwrap_or_default();
    if text.len() > MAX {
        let mut cut = MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    format!("{} rows: {text}", rows.len())
}

/// The string in column `col`, or a panic naming the row.
pub fn str_col<'a>(row: &'a Row, col: &str) -> &'a str {
    row.get(col).and_then(Value::as_str).unwrap_or_else(|| {
        panic!(
            "column {col:?} is not a string in {}",
            Value::Object(row.clone())
        )
    })
}
