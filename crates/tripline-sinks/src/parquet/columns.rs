//! The Parquet schema of the data lake and the row-group writer.
//!
//! Inside each file (the partition keys `kind`, `agent`, `date` and `hour` are in the path
//! only, as Hive, Spark and Athena expect):
//!
//! | column | Parquet type | read by DuckDB as |
//! |---|---|---|
//! | `id` | required BYTE_ARRAY (STRING) | VARCHAR |
//! | `revision` | required INT64 | BIGINT |
//! | `time` | required INT64 (TIMESTAMP(MILLIS, UTC)) | TIMESTAMP WITH TIME ZONE |
//! | `event_name` .. `user_email` | optional BYTE_ARRAY (STRING) | VARCHAR |
//! | `record` | required BYTE_ARRAY (JSON) | JSON |

use std::io::Write;
use std::sync::Arc;

use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::Type;

use crate::record_fields::RecordFields;
use crate::sink::Record;

/// The message type of every file; column order is part of the format.
const SCHEMA: &str = "
message tripline_record {
  required binary id (STRING);
  required int64 revision;
  required int64 time (TIMESTAMP(MILLIS,true));
  optional binary event_name (STRING);
  optional binary rule_name (STRING);
  optional binary rule_level (STRING);
  optional binary conversation_id (STRING);
  optional binary host_name (STRING);
  optional binary user_email (STRING);
  required binary record (JSON);
}";

/// The file schema.
pub fn schema() -> Arc<Type> {
    Arc::new(parse_message_type(SCHEMA).expect("the built-in Parquet schema parses"))
}

/// One row, before it is written.
#[derive(Debug)]
pub struct Row {
    id: String,
    revision: i64,
    time_ms: i64,
    optional: [Option<String>; 6],
    record: String,
}

impl Row {
    /// The row of one record.
    pub fn new(record: &Record) -> Row {
        let f = RecordFields::of(record);
        Row {
            id: record.id.clone(),
            revision: i64::try_from(record.revision).unwrap_or(i64::MAX),
            time_ms: record.time_ms,
            optional: [
                f.event_name,
                f.rule_name,
                f.rule_level,
                f.conversation_id,
                f.host_name,
                f.user_email,
            ],
            record: record.body.to_string(),
        }
    }

    /// Roughly how many bytes the row takes before encoding.
    pub fn weight(&self) -> usize {
        self.id.len()
            + self.record.len()
            + self
                .optional
                .iter()
                .flatten()
                .map(String::len)
                .sum::<usize>()
            + 16
    }
}

fn bytes(s: &str) -> ByteArray {
    ByteArray::from(s.as_bytes().to_vec())
}

/// Writes `rows` as one row group.
pub fn write_row_group<W: Write + Send>(
    writer: &mut SerializedFileWriter<W>,
    rows: &[Row],
) -> Result<(), ParquetError> {
    let mut group = writer.next_row_group()?;
    let mut index = 0usize;
    while let Some(mut column) = group.next_column()? {
        match index {
            0 => {
                let values: Vec<ByteArray> = rows.iter().map(|r| bytes(&r.id)).collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, None, None)?;
            }
            1 | 2 => {
                let values: Vec<i64> = rows
                    .iter()
                    .map(|r| if index == 1 { r.revision } else { r.time_ms })
                    .collect();
                column
                    .typed::<Int64Type>()
                    .write_batch(&values, None, None)?;
            }
            3..=8 => {
                let slot = index - 3;
                let values: Vec<ByteArray> = rows
                    .iter()
                    .filter_map(|r| r.optional[slot].as_deref())
                    .map(bytes)
                    .collect();
                let defs: Vec<i16> = rows
                    .iter()
                    .map(|r| i16::from(r.optional[slot].is_some()))
                    .collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defs), None)?;
            }
            9 => {
                let values: Vec<ByteArray> = rows.iter().map(|r| bytes(&r.record)).collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, None, None)?;
            }
            _ => return Err(ParquetError::General(format!("unexpected column {index}"))),
        }
        column.close()?;
        index += 1;
    }
    group.close()?;
    Ok(())
}
