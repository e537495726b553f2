//! Events per second through the Parquet sink, against writing the same records as plain
//! JSON Lines (buffered writes, one fsync per flush) in the same run.
//!
//! `cargo bench -p tripline-sinks --bench parquet_sink` (release). Two cadences:
//! * `per-batch`: a flush after every 500-record batch, as delivery does (one file per
//!   batch per partition);
//! * `at-end`: one flush after all records (the sink's ceiling).
//!
//! Each measurement is repeated 3 times; the median is reported, and the ratio of the
//! Parquet median to the JSONL median.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use tripline_sinks::{registry, BuildContext, Record, RecordKind};

const RECORDS: usize = 100_000;
const BATCH: usize = 500;
const ROUNDS: usize = 3;

/// Codex-shaped native events: two agents, six hours, a tool result with some output.
fn records() -> Vec<Record> {
    let start = 1_795_168_800_000i64;
    (0..RECORDS)
        .map(|n| {
            let agent = if n % 4 == 0 { "claude_code" } else { "codex" };
            let time_ms = start + (n as i64) * 200;
            Record {
                kind: RecordKind::Event,
                id: format!("{:032x}", n as u128 * 0x9e37_79b9_7f4a_7c15),
                revision: 1,
                time_ms,
                agent: agent.into(),
                body: json!({
                    "id": format!("{:032x}", n as u128 * 0x9e37_79b9_7f4a_7c15),
                    "time": time_ms,
                    "agent": agent,
                    "signal": "log",
                    "event_name": "codex.tool_result",
                    "conversation_id": format!("0199aaaa-bbbb-7ccc-8ddd-{:012x}", n / 50),
                    "host_name": "dev-laptop-7",
                    "user_email": "anon:5f2c9a",
                    "service_name": "codex_exec",
                    "service_version": "0.169.0",
                    "tool_name": "exec_command",
                    "call_id": format!("call_{n}"),
                    "arguments": "{\"cmd\":\"cargo test -p tripline-sinks\"}",
                    "output": format!("test result: ok. {} passed; 0 failed; finished in 0.{:02}s", n % 97, n % 100),
                    "success": true,
                    "duration_ms": n % 5000,
                }),
                fields: Default::default(),
            }
        })
        .collect()
}

fn parquet(dir: &Path, records: &[Record], per_batch: bool) -> Duration {
    let ctx = BuildContext {
        name: "bench".into(),
        data_dir: dir.to_path_buf(),
    };
    let options: toml::Table = format!("dir = \"{}\"", dir.join("lake").display())
        .parse()
        .unwrap();
    let mut sink = registry::build("parquet", &ctx, &options).expect("parquet sink");
    let started = Instant::now();
    for batch in records.chunks(BATCH) {
        sink.send(batch).expect("send");
        if per_batch {
            sink.flush().expect("flush");
        }
    }
    sink.flush().expect("flush");
    started.elapsed()
}

fn jsonl(dir: &Path, records: &[Record], per_batch: bool) -> Duration {
    let started = Instant::now();
    let file = File::create(dir.join("records.jsonl")).unwrap();
    let mut out = BufWriter::new(file);
    for batch in records.chunks(BATCH) {
        for r in batch {
            serde_json::to_writer(&mut out, &r.body).unwrap();
            out.write_all(b"\n").unwrap();
        }
        if per_batch {
            out.flush().unwrap();
            out.get_ref().sync_all().unwrap();
        }
    }
    out.flush().unwrap();
    out.get_ref().sync_all().unwrap();
    started.elapsed()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let records = records();
    for (label, per_batch) in [("per-batch", true), ("at-end", false)] {
        let mut p = Vec::new();
        let mut j = Vec::new();
        for _ in 0..ROUNDS {
            let dir = tempfile::tempdir().unwrap();
            p.push(parquet(dir.path(), &records, per_batch));
            let dir = tempfile::tempdir().unwrap();
            j.push(jsonl(dir.path(), &records, per_batch));
        }
        let (p, j) = (median(p), median(j));
        let rate = |d: Duration| RECORDS as f64 / d.as_secs_f64();
        println!(
            "{label:>9}: parquet {:>9.0} events/s ({:.3} s), jsonl {:>9.0} events/s ({:.3} s); parquet/jsonl time ratio {:.2} (median of {ROUNDS}, {RECORDS} events, batches of {BATCH})",
            rate(p),
            p.as_secs_f64(),
            rate(j),
            j.as_secs_f64(),
            p.as_secs_f64() / j.as_secs_f64()
        );
    }
}
