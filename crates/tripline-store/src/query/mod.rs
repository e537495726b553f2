//! Read-only SQL over a store, for `tripline query`.
//!
//! The connection is opened read-only with `query_only` on; statements that would write
//! are refused before they run; `ATTACH` is disabled so the raw tier cannot be reached
//! around the admin check. With an [`AdminScope`] the raw tier is attached as schema
//! `raw` (`SELECT ... FROM raw.payloads`).

mod json;
mod table;

use std::io::{self, Write};
use std::path::Path;

use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use crate::connection;
use crate::error::StoreError;
use crate::raw::{raw_db_path, AdminScope, RawStore};
use crate::schema::Schema;
use crate::store::MAIN_DB_FILE;

/// Output format of [`run_query`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per row, keys in column order; numbers as numbers, NULL as null,
    /// BLOBs as lowercase hex strings.
    Jsonl,
    /// An aligned text table with a header and a row count, for people.
    Table,
}

/// Why a query did not run.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// SQLite rejected the statement (syntax, unknown table or column...).
    #[error("{message}\n  in SQL: {sql}")]
    Sql {
        /// The statement.
        sql: String,
        /// SQLite's message.
        message: String,
    },
    /// The statement would modify the database.
    #[error("refused: `tripline query` is read-only and this statement writes\n  in SQL: {sql}")]
    WriteRefused {
        /// The statement.
        sql: String,
    },
    /// The statement names the raw tier without admin access.
    #[error(
        "{message}\n  the raw tier (schema `raw`) is only attached with --admin\n  in SQL: {sql}"
    )]
    RawNeedsAdmin {
        /// The statement.
        sql: String,
        /// Which raw table it reads.
        message: String,
    },
    /// Writing the output failed.
    #[error("writing query output: {0}")]
    Io(#[from] io::Error),
}

/// Open the store in `dir` for querying. With `admin`, the raw tier (when it exists) is
/// attached read-only as schema `raw`; in every case further `ATTACH`es are refused.
pub fn open_query_connection(
    dir: &Path,
    admin: Option<&AdminScope>,
) -> Result<Connection, StoreError> {
    let conn = connection::open_read_only(&dir.join(MAIN_DB_FILE), Schema::Main)?;
    let mut attached = 0;
    if admin.is_some() && RawStore::exists(dir) {
        let raw_path = raw_db_path(dir);
        conn.execute("ATTACH DATABASE ?1 AS raw", [raw_path.to_string_lossy()])?;
        attached = 1;
    }
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, attached)?;
    Ok(conn)
}

/// Run one SQL statement on `conn` and write its rows to `out`. Returns the number of
/// rows written. Statements that would write are refused without running.
pub fn run_query(
    conn: &Connection,
    sql: &str,
    out: &mut impl Write,
    format: Format,
) -> Result<u64, QueryError> {
    let sql_error = |e: rusqlite::Error| classify(conn, sql, e);
    let mut stmt = conn.prepare(sql).map_err(sql_error)?;
    if !stmt.readonly() {
        return Err(QueryError::WriteRefused {
            sql: sql.to_owned(),
        });
    }
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = stmt.query([]).map_err(sql_error)?;
    let mut sink: Box<dyn RowSink + '_> = match format {
        Format::Jsonl => Box::new(json::JsonLines::new(&columns, out)),
        Format::Table => Box::new(table::Table::new(&columns, out)),
    };
    let mut count = 0u64;
    while let Some(row) = rows.next().map_err(sql_error)? {
        let values: Vec<ValueRef<'_>> = (0..columns.len())
            .map(|i| row.get_ref(i))
            .collect::<Result<_, _>>()
            .map_err(sql_error)?;
        sink.row(&values)?;
        count += 1;
    }
    sink.finish(count)?;
    Ok(count)
}

/// A destination for result rows.
trait RowSink {
    fn row(&mut self, values: &[ValueRef<'_>]) -> io::Result<()>;
    fn finish(&mut self, rows: u64) -> io::Result<()>;
}

fn classify(conn: &Connection, sql: &str, err: rusqlite::Error) -> QueryError {
    let message = match &err {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        rusqlite::Error::SqlInputError { msg, offset, .. } => format!("{msg} (at offset {offset})"),
        other => other.to_string(),
    };
    let is_write = matches!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::ReadOnly));
    if is_write {
        return QueryError::WriteRefused {
            sql: sql.to_owned(),
        };
    }
    if message.contains("raw.") && !has_schema(conn, "raw") {
        return QueryError::RawNeedsAdmin {
            sql: sql.to_owned(),
            message,
        };
    }
    QueryError::Sql {
        sql: sql.to_owned(),
        message,
    }
}

fn has_schema(conn: &Connection, name: &str) -> bool {
    conn.prepare("SELECT 1 FROM pragma_database_list WHERE name = ?1")
        .and_then(|mut s| s.exists([name]))
        .unwrap_or(false)
}
