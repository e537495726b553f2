//! Aligned text table output for terminals.

use std::io::{self, Write};

use rusqlite::types::ValueRef;

use super::RowSink;

/// Widest a cell may be before it is cut with `…`.
const MAX_CELL_CHARS: usize = 60;

/// Buffers every row, then prints a header, a rule, the rows and a row count.
pub(super) struct Table<'w, W: Write> {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    out: &'w mut W,
}

impl<'w, W: Write> Table<'w, W> {
    pub(super) fn new(columns: &[String], out: &'w mut W) -> Self {
        Self {
            header: columns.iter().map(|c| cell(c)).collect(),
            rows: Vec::new(),
            out,
        }
    }
}

impl<W: Write> RowSink for Table<'_, W> {
    fn row(&mut self, values: &[ValueRef<'_>]) -> io::Result<()> {
        self.rows
            .push(values.iter().map(|v| cell(&display(*v))).collect());
        Ok(())
    }

    fn finish(&mut self, rows: u64) -> io::Result<()> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        write_line(self.out, &self.header, &widths)?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        write_line(self.out, &rule, &widths)?;
        for row in &self.rows {
            write_line(self.out, row, &widths)?;
        }
        writeln!(self.out, "({rows} row{})", if rows == 1 { "" } else { "s" })?;
        self.out.flush()
    }
}

fn write_line(out: &mut impl Write, cells: &[String], widths: &[usize]) -> io::Result<()> {
    let mut line = String::new();
    for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str(" | ");
        }
        line.push_str(c);
        line.extend(std::iter::repeat_n(' ', w - c.chars().count()));
    }
    writeln!(out, "{}", line.trim_end())
}

/// A value as people read it: NULL as `NULL`, text unquoted, BLOBs as `<N bytes>`.
fn display(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "NULL".to_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => format!("<{} bytes>", b.len()),
    }
}

/// One line, at most [`MAX_CELL_CHARS`] characters.
fn cell(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= MAX_CELL_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(MAX_CELL_CHARS - 1).collect();
    cut.push('…');
    cut
}
