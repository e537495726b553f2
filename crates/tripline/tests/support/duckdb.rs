//! SQL through DuckDB (the `duckdb` module in the test venv), rows back as JSON objects.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::process;

/// Runs one query in a fresh in-memory DuckDB; every value is rendered by Python's `str`
/// unless it is a JSON number, string, boolean or null already.
const SCRIPT: &str = r#"
import json, sys
import duckdb
con = duckdb.connect()
cur = con.execute(sys.argv[1])
names = [d[0] for d in cur.description]
for row in cur.fetchall():
    print(json.dumps(dict(zip(names, row)), default=str))
"#;

/// The rows of `sql`, one JSON object each; panics with DuckDB's message on failure.
pub fn query(python: &Path, sql: &str) -> Vec<Value> {
    let done = process::run(
        "duckdb query",
        Command::new(python).arg("-c").arg(SCRIPT).arg(sql),
        Duration::from_secs(120),
    );
    done.assert_success(&format!("duckdb query {sql:?}"));
    done.stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("duckdb row is not JSON ({e}): {l}"))
        })
        .collect()
}
