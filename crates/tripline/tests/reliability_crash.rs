//! Crash consistency: `kill -9` the server at seeded points while a load generator sends
//! with exporter-style retries, restart it on the same data dir, and check that every
//! acknowledged record is stored exactly once (and nothing that was not sent), and that a
//! correlation rule gives the same alerts as an uninterrupted run of the same input.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tripline_loadgen::gen::mix;
use tripline_loadgen::{
    run, BatchFate, GenSpec, Report, RetryPolicy, RunConfig, Serve, ServeSpec, Target,
};

const BIN: &str = env!("CARGO_BIN_EXE_tripline");
/// Upper bound on one load run (it normally takes seconds).
const RUN_DEADLINE: Duration = Duration::from_secs(600);

/// A detection rule and an `event_count` correlation over `codex.tool_result` per
/// conversation, so correlation state spans batches (and kills).
const RULES: &str = r#"title: Reliability - cargo test run by the agent
id: 7d0c3f4e-2b1a-4c55-9a51-0f2f3c1d9e01
name: reliability_cargo_test
status: test
logsource:
  product: codex
  service: otel
detection:
  selection:
    event_name: codex.tool_result
    arguments|contains: 'cargo test'
  condition: selection
level: low
---
title: Reliability - tool result (helper)
id: 7d0c3f4e-2b1a-4c55-9a51-0f2f3c1d9e02
name: reliability_tool_result
status: test
logsource:
  product: codex
  service: otel
detection:
  selection:
    event_name: codex.tool_result
  condition: selection
level: informational
---
title: Reliability - many tool results in one conversation
id: 7d0c3f4e-2b1a-4c55-9a51-0f2f3c1d9e03
name: reliability_tool_burst
status: test
correlation:
  type: event_count
  rules: [reliability_tool_result]
  group-by: [conversation_id]
  timespan: 1m
  condition:
    gte: 7
level: medium
"#;

fn rules_dir(root: &Path) -> PathBuf {
    let dir = root.join("rules");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("reliability.yml"), RULES).unwrap();
    dir
}

fn spec(root: &Path, name: &str, rules: &Path) -> ServeSpec {
    let mut s = ServeSpec::new(
        BIN,
        root.join(name).join("data"),
        root.join(name).join("scratch"),
    );
    s.args = vec!["--rules".into(), rules.display().to_string()];
    // The smallest Retry-After the server can say (whole seconds, at least 1).
    s.env
        .push(("TRIPLINE_PIPELINE_RETRY_AFTER".into(), "1s".into()));
    s
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(500),
        multiplier: 2.0,
        max_retry_after: Duration::from_secs(2),
        max_elapsed: Duration::from_secs(120),
    }
}

/// Run the load while a killer thread `kill -9`s the server each time the number of
/// acknowledged batches reaches one of `kill_at` (plus a seeded delay of 0-15 ms, so the
/// kill lands at varied points inside the next requests), restarting it each time.
fn run_with_kills(serve: &mut Serve, cfg: RunConfig, kill_at: &[u64], seed: u64) -> (Report, u32) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let target = cfg.target.clone();
    let progress = cfg.progress.clone();
    let handle = rt.spawn(run(cfg));
    let mut kills = 0;
    for (k, &at) in kill_at.iter().enumerate() {
        let until = Instant::now() + RUN_DEADLINE;
        while progress.load(Ordering::Relaxed) < at {
            assert!(
                !handle.is_finished(),
                "the load finished before kill point {at}"
            );
            assert!(
                Instant::now() < until,
                "no progress to {at} acked batches\n{}",
                serve.log_text()
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(mix(seed, k as u64) % 16));
        target.set(None);
        let status = serve.kill9().expect("kill -9");
        assert!(
            !status.success(),
            "server exited cleanly instead of being killed: {status}"
        );
        kills += 1;
        serve.restart().unwrap_or_else(|e| {
            panic!("restart after kill -9 #{kills}: {e}\n{}", serve.log_text())
        });
        target.set(Some(serve.http_addr().to_string()));
    }
    let report = rt.block_on(handle).expect("load generator");
    (report, kills)
}

fn u64_of(row: &serde_json::Map<String, serde_json::Value>, k: &str) -> u64 {
    row.get(k)
        .and_then(|v| v.as_u64())
        .unwrap_or_else(|| panic!("column {k} missing or not an integer: {row:?}"))
}

/// Every acknowledged record stored exactly once, nothing stored that was not sent.
fn check_exactly_once(serve: &Serve, gen: &GenSpec, report: &Report) {
    let rows = serve
        .query("SELECT count(*) AS n, count(DISTINCT id) AS ids, count(json_extract(event, '$.loadgen_seq')) AS with_seq, count(DISTINCT json_extract(event, '$.loadgen_seq')) AS seqs FROM events")
        .unwrap();
    let (n, ids, with_seq, seqs) = (
        u64_of(&rows[0], "n"),
        u64_of(&rows[0], "ids"),
        u64_of(&rows[0], "with_seq"),
        u64_of(&rows[0], "seqs"),
    );
    assert_eq!(n, ids, "duplicate event ids");
    assert_eq!(n, with_seq, "events without loadgen_seq were stored");
    assert_eq!(
        n, seqs,
        "a record was stored more than once (under different ids)"
    );
    let stored: BTreeSet<u64> = serve
        .query("SELECT json_extract(event, '$.loadgen_seq') AS s FROM events")
        .unwrap()
        .iter()
        .map(|r| u64_of(r, "s"))
        .collect();
    let acked: BTreeSet<u64> = report
        .acked_batches()
        .into_iter()
        .flat_map(|b| gen.batch_range(b))
        .collect();
    let missing: Vec<u64> = acked.difference(&stored).copied().take(10).collect();
    assert!(
        missing.is_empty(),
        "acknowledged records missing from the store (first 10): {missing:?}"
    );
    let unsent: Vec<u64> = stored
        .iter()
        .filter(|&&s| s >= gen.records)
        .copied()
        .take(10)
        .collect();
    assert!(
        unsent.is_empty(),
        "stored records that were never sent: {unsent:?}"
    );
}

fn alert_counts(serve: &Serve) -> Vec<(String, u64, u64)> {
    serve
        .query("SELECT rule_name, count(*) AS n, sum(count) AS c FROM alerts GROUP BY rule_name ORDER BY rule_name")
        .unwrap()
        .iter()
        .map(|r| (r["rule_name"].as_str().unwrap_or_default().to_string(), u64_of(r, "n"), u64_of(r, "c")))
        .collect()
}

fn integrity_ok(serve: &Serve) {
    // Read the whole of both tables back (a torn page would fail the query).
    let rows = serve
        .query("SELECT count(*) AS n, sum(length(event)) AS bytes FROM events")
        .unwrap();
    assert!(u64_of(&rows[0], "bytes") > 0);
    serve
        .query("SELECT count(*) AS n, sum(length(alert)) AS bytes FROM alerts")
        .unwrap();
}

#[test]
fn kill9_during_concurrent_load_loses_and_duplicates_nothing() {
    let root = tempfile::Builder::new()
        .prefix("tripline-crash-")
        .tempdir()
        .unwrap();
    let rules = rules_dir(root.path());
    let mut serve = Serve::start(spec(root.path(), "a", &rules)).unwrap();
    let gen = GenSpec {
        seed: 42,
        records: 10_000,
        batch_size: 100,
        ..GenSpec::default()
    };
    let mut cfg = RunConfig::new(gen.clone(), Target::fixed(serve.http_addr()));
    cfg.concurrency = 4;
    cfg.retry = fast_retries();
    cfg.deadline = RUN_DEADLINE;
    // 4 kills at seeded points between 5% and 90% of the batches.
    let batches = gen.batches();
    let mut kill_at: Vec<u64> = (0..4)
        .map(|k| batches / 20 + mix(4242, k) % (batches * 85 / 100))
        .collect();
    kill_at.sort();
    let (report, kills) = run_with_kills(&mut serve, cfg, &kill_at, 4242);
    eprintln!(
        "kill points (acked batches): {kill_at:?}; report: {}",
        report.summary_json()
    );
    assert_eq!(kills, 4);
    assert_eq!(
        report.count(BatchFate::Rejected),
        0,
        "{}",
        report.summary_json()
    );
    assert_eq!(
        report.count(BatchFate::Acked),
        batches,
        "not every batch was acknowledged: {}",
        report.summary_json()
    );
    assert!(
        report.retries > 0,
        "the kills caused no retry: {}",
        report.summary_json()
    );
    check_exactly_once(&serve, &gen, &report);
    integrity_ok(&serve);
    let rows = serve.query("SELECT count(*) AS n FROM events").unwrap();
    assert_eq!(u64_of(&rows[0], "n"), gen.records);
    serve.terminate(Duration::from_secs(30)).unwrap();
}

#[test]
fn kill9_gives_the_same_alerts_as_an_uninterrupted_run() {
    let root = tempfile::Builder::new()
        .prefix("tripline-crash-alerts-")
        .tempdir()
        .unwrap();
    let rules = rules_dir(root.path());
    // One client, so batches arrive in the same order in both runs (correlation windows
    // depend on arrival order through the watermark).
    let gen = GenSpec {
        seed: 7,
        records: 6_000,
        batch_size: 100,
        ..GenSpec::default()
    };
    let mk = |serve: &Serve| {
        let mut cfg = RunConfig::new(gen.clone(), Target::fixed(serve.http_addr()));
        cfg.retry = fast_retries();
        cfg.deadline = RUN_DEADLINE;
        cfg
    };

    let mut clean = Serve::start(spec(root.path(), "clean", &rules)).unwrap();
    let cfg = mk(&clean);
    let (clean_report, _) = run_with_kills(&mut clean, cfg, &[], 0);
    assert_eq!(
        clean_report.count(BatchFate::Acked),
        gen.batches(),
        "{}",
        clean_report.summary_json()
    );
    check_exactly_once(&clean, &gen, &clean_report);
    let expected = alert_counts(&clean);
    clean.terminate(Duration::from_secs(30)).unwrap();

    let mut crashed = Serve::start(spec(root.path(), "crashed", &rules)).unwrap();
    let kill_at = [7, 19, 33, 48];
    let cfg = mk(&crashed);
    let (report, kills) = run_with_kills(&mut crashed, cfg, &kill_at, 99);
    eprintln!("report with kills: {}", report.summary_json());
    assert_eq!(kills, 4);
    assert_eq!(
        report.count(BatchFate::Acked),
        gen.batches(),
        "{}",
        report.summary_json()
    );
    check_exactly_once(&crashed, &gen, &report);
    let got = alert_counts(&crashed);

    for rule in ["reliability_cargo_test", "reliability_tool_burst"] {
        assert!(
            expected.iter().any(|(r, n, _)| r == rule && *n > 0),
            "rule {rule} never fired in the uninterrupted run: {expected:?}"
        );
    }
    assert_eq!(got, expected, "alerts (rule, rows, sum(count)) differ between the run with kill -9 and the uninterrupted run");
    crashed.terminate(Duration::from_secs(30)).unwrap();
}
