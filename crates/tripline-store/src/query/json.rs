//! JSON Lines output: one object per row, keys in column order.

use std::io::{self, Write};

use rusqlite::types::ValueRef;

use super::RowSink;

/// Writes rows as JSON objects. Repeated column names get a `_2`, `_3`... suffix so every
/// key stays distinct.
pub(super) struct JsonLines<'w, W: Write> {
    keys: Vec<String>,
    out: &'w mut W,
}

impl<'w, W: Write> JsonLines<'w, W> {
    pub(super) fn new(columns: &[String], out: &'w mut W) -> Self {
        let mut keys: Vec<String> = Vec::with_capacity(columns.len());
        for name in columns {
            let mut key = name.clone();
            let mut n = 1;
            while keys.contains(&key) {
                n += 1;
                key = format!("{name}_{n}");
            }
            keys.push(key);
        }
        let keys = keys
            .iter()
            .map(|k| serde_json::Value::String(k.clone()).to_string())
            .collect();
        Self { keys, out }
    }
}

impl<W: Write> RowSink for JsonLines<'_, W> {
    fn row(&mut self, values: &[ValueRef<'_>]) -> io::Result<()> {
        let mut line = String::from("{");
        for (i, (key, value)) in self.keys.iter().zip(values).enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(key);
            line.push(':');
            line.push_str(&json_value(*value).to_string());
        }
        line.push_str("}\n");
        self.out.write_all(line.as_bytes())
    }

    fn finish(&mut self, _rows: u64) -> io::Result<()> {
        self.out.flush()
    }
}

/// A SQLite value as JSON: integers and finite reals as numbers, NULL as null, text as a
/// string, BLOBs as lowercase hex strings.
pub(super) fn json_value(value: ValueRef<'_>) -> serde_json::Value {
    match value {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
        ValueRef::Blob(b) => hex::encode(b).into(),
    }
}
