//! Sinks end to end through `tripline serve` with real OTLP input (the planted-secret
//! capture and the load generator):
//!
//! - every stored event and alert revision reaches the file sinks (native/zstd,
//!   OCSF/gzip, ECS/plain), rotated into several files that all decompress, and the
//!   stdout and archive sinks; the raw archive holds the raw tier's bodies;
//! - no planted secret appears in any sink output (the privacy test's check), while the
//!   raw archive (admin-only by design) does hold them: the check is live;
//! - `kill -9` during delivery, then a restart: every record delivered at least once, and
//!   exactly once after dedup on (id, revision);
//! - `tripline sinks test` exit codes.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use support::planted::{capture, leaks, needles, planted};
use support::segments;
use tripline_loadgen::{run, GenSpec, RunConfig, Serve, ServeSpec, Target};

const BIN: &str = env!("CARGO_BIN_EXE_tripline");
/// How long delivery may take to catch up on a loaded machine.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(300);

fn send_load(addr: &str, records: u64, seed: u64) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let gen = GenSpec {
        seed,
        records,
        batch_size: 100,
        ..GenSpec::default()
    };
    let report = rt.block_on(run(RunConfig::new(gen, Target::fixed(addr))));
    assert_eq!(
        report.records_acked,
        records,
        "load not fully acknowledged: {}",
        report.summary_json()
    );
}

fn post_logs(addr: &str, body: &[u8]) -> u16 {
    support::http::post(
        addr,
        "/v1/logs",
        &[("Content-Type", "application/x-protobuf")],
        body,
    )
    .status
}

/// `tripline sinks list`: sink name → (cursor, queued).
fn sink_queues(config: &Path, data: &Path) -> Result<BTreeMap<String, (i64, i64)>, String> {
    let out = Command::new(BIN)
        .args(["sinks", "list", "--config"])
        .arg(config)
        .arg("--data")
        .arg(data)
        .env_remove("TRIPLINE_CONFIG")
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut map = BTreeMap::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let num = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| format!("not a number in {line:?}"))
        };
        map.insert(
            cols[0].to_owned(),
            (num(cols[cols.len() - 2])?, num(cols[cols.len() - 1])?),
        );
    }
    Ok(map)
}

fn wait_drained(config: &Path, data: &Path, serve: &Serve) {
    support::wait::poll("every sink to catch up", DRAIN_TIMEOUT, || {
        let q = sink_queues(config, data)?;
        if q.values().all(|(_, queued)| *queued == 0) {
            Ok(())
        } else {
            Err(format!(
                "{q:?}\n{}",
                serve
                    .log_text()
                    .lines()
                    .rev()
                    .take(5)
                    .collect::<Vec<_>>()
                    .join("\n")
            ))
        }
    })
}

fn rows(serve: &Serve, sql: &str) -> Vec<serde_json::Map<String, Value>> {
    serve
        .query(sql)
        .unwrap_or_else(|e| panic!("{e}\n{}", serve.log_text()))
}

/// (id, revision) of every stored event (revision 1) and of every stored alert's latest
/// revision.
fn stored(serve: &Serve) -> (BTreeSet<String>, BTreeMap<String, u64>) {
    let events = rows(serve, "SELECT id FROM events")
        .into_iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let alerts = rows(serve, "SELECT id, revision FROM alerts")
        .into_iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["revision"].as_u64().unwrap(),
            )
        })
        .collect();
    (events, alerts)
}

/// Native records split into event ids and alert (id, revision) pairs, with every line's key.
fn native_keys(records: &[Value]) -> (Vec<String>, Vec<(String, u64)>) {
    let mut events = Vec::new();
    let mut alerts = Vec::new();
    for r in records {
        if r.get("rule").is_some() {
            alerts.push((
                r["id"].as_str().unwrap().to_owned(),
                r["revision"].as_u64().unwrap(),
            ));
        } else {
            events.push(r["id"].as_str().expect("an event with an id").to_owned());
        }
    }
    (events, alerts)
}

/// Every alert id stored has its latest revision among `delivered`, and nothing else.
fn check_alerts(delivered: &[(String, u64)], stored: &BTreeMap<String, u64>, what: &str) {
    let ids: BTreeSet<&str> = delivered.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        stored.keys().map(String::as_str).collect(),
        "{what}: alert ids"
    );
    for (id, rev) in stored {
        assert!(
            delivered.contains(&(id.clone(), *rev)),
            "{what}: latest revision {rev} of alert {id} missing"
        );
    }
}

fn config(dir: &Path, body: &str) -> std::path::PathBuf {
    let path = dir.join("tripline.toml");
    fs::write(
        &path,
        format!(
            "[redaction]\nidentifier = \"pseudonymize\"\nkey_file = \"{}\"\n{body}",
            dir.join("hmac.key").display()
        ),
    )
    .unwrap();
    path
}

fn serve_spec(root: &Path, config: &Path) -> ServeSpec {
    let mut s = ServeSpec::new(BIN, root.join("data"), root.join("scratch"));
    s.args = vec!["--config".into(), config.display().to_string()];
    s
}

const ALL_SINKS: &str = r#"
[raw]
enabled = true

[[sinks]]
name = "lake"
type = "file"
receive = ["alerts", "events"]
max_bytes = 16384
compression = "zstd"
batch_size = 50

[[sinks]]
name = "siem"
type = "file"
receive = ["alerts", "events"]
format = "ocsf"
max_bytes = 32768
compression = "gzip"

[[sinks]]
name = "elastic"
type = "file"
receive = ["alerts", "events"]
format = "ecs"

[[sinks]]
name = "console"
type = "stdout"
receive = ["alerts", "events"]

[[sinks]]
name = "archive"
type = "archive"
receive = ["alerts", "events"]

[[sinks]]
name = "raw-archive"
type = "archive"
receive = ["raw"]
admin = true
"#;

#[test]
fn every_record_reaches_every_sink_rotated_compressed_and_redacted() {
    let root = tempfile::tempdir().unwrap();
    let config = config(root.path(), ALL_SINKS);
    let mut serve = Serve::start(serve_spec(root.path(), &config)).unwrap();
    let secrets = planted();
    let body = capture(&secrets);
    assert_eq!(
        post_logs(serve.http_addr(), &body),
        200,
        "{}",
        serve.log_text()
    );
    send_load(serve.http_addr(), 1_000, 11);
    let data = serve.data().to_path_buf();
    wait_drained(&config, &data, &serve);
    let (events, alerts) = stored(&serve);
    assert!(
        events.len() > 1_000 && !alerts.is_empty(),
        "events {} alerts {}",
        events.len(),
        alerts.len()
    );
    let status = serve.terminate(Duration::from_secs(60)).unwrap();
    assert!(
        status.success(),
        "serve exits 0 after SIGTERM: {status}\n{}",
        serve.log_text()
    );
    let log = serve.log_text();
    let sinks = data.join("sinks");

    // Native, zstd, rotated: exactly the stored events and alert revisions.
    let lake = sinks.join("lake").join("out");
    let files = segments::finished(&lake);
    assert!(files.len() > 2, "rotated into several segments: {files:?}");
    assert!(
        files
            .iter()
            .all(|f| f.to_string_lossy().ends_with(".jsonl.zst")),
        "{files:?}"
    );
    assert!(
        segments::unfinished(&sinks).is_empty(),
        "no temp segments after a clean stop: {:?}",
        segments::unfinished(&sinks)
    );
    let (lake_events, lake_alerts) = native_keys(&segments::records(&lake));
    assert_eq!(lake_events.len(), events.len(), "each event delivered once");
    assert_eq!(lake_events.iter().cloned().collect::<BTreeSet<_>>(), events);
    check_alerts(&lake_alerts, &alerts, "lake");
    assert_eq!(
        lake_alerts.len(),
        lake_alerts.iter().collect::<BTreeSet<_>>().len(),
        "each alert revision delivered once"
    );

    // OCSF, gzip.
    let siem = segments::records(&sinks.join("siem").join("out"));
    let findings: Vec<&Value> = siem.iter().filter(|r| r["class_uid"] == 2004).collect();
    let base: Vec<&Value> = siem.iter().filter(|r| r["class_uid"] == 0).collect();
    assert_eq!(base.len(), events.len(), "one OCSF Base Event per event");
    assert_eq!(
        findings.len(),
        lake_alerts.len(),
        "one Detection Finding per alert revision"
    );
    assert!(
        base.iter()
            .all(|r| r["metadata"]["uid"].is_string() && r["time"].is_i64()),
        "OCSF events carry uid and time"
    );
    let finding_ids: BTreeSet<&str> = findings
        .iter()
        .map(|r| r["finding_info"]["uid"].as_str().unwrap())
        .collect();
    assert_eq!(finding_ids, alerts.keys().map(String::as_str).collect());

    // ECS, plain.
    let ecs = segments::records(&sinks.join("elastic").join("out"));
    assert_eq!(ecs.len(), events.len() + lake_alerts.len());
    assert!(ecs.iter().all(|r| r["@timestamp"].is_string()
        && ["event", "alert"].contains(&r["event"]["kind"].as_str().unwrap())));
    assert_eq!(
        ecs.iter().filter(|r| r["event"]["kind"] == "alert").count(),
        lake_alerts.len()
    );
    assert!(ecs
        .iter()
        .filter(|r| r["event"]["kind"] == "alert")
        .all(|r| r["rule"]["name"].is_string()));

    // stdout: one JSON line per record, in the server's output.
    let stdout_records = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .filter(|l| serde_json::from_str::<Value>(l).is_ok())
        .count();
    assert_eq!(
        stdout_records,
        events.len() + lake_alerts.len(),
        "stdout sink lines"
    );

    // Archive of events and alerts: zstd under date=YYYY-MM-DD.
    let archive_dir = sinks.join("archive").join("archive");
    let archived = segments::finished(&archive_dir);
    assert!(
        !archived.is_empty()
            && archived.iter().all(|f| f
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("date=")),
        "{archived:?}"
    );
    assert_eq!(
        segments::records(&archive_dir).len(),
        events.len() + lake_alerts.len()
    );

    // No planted secret or the planted email in any redacted output.
    let needles = needles(&secrets);
    for dir in ["lake", "siem", "elastic", "archive"] {
        for f in segments::finished(&sinks.join(dir)) {
            let found = leaks(&segments::bytes(&f), &needles);
            assert!(
                found.is_empty(),
                "{} holds plaintext: {found:?}",
                f.display()
            );
        }
    }
    let found = leaks(log.as_bytes(), &needles);
    assert!(
        found.is_empty(),
        "stdout sink / serve output holds plaintext: {found:?}"
    );

    // The raw archive (admin, by design unredacted) holds the planted body verbatim: the
    // same check finds the secrets there, so it is not blind.
    let raw = segments::records(&sinks.join("raw-archive").join("archive"));
    let bodies: Vec<Vec<u8>> = raw
        .iter()
        .map(|r| {
            base64::engine::general_purpose::STANDARD
                .decode(r["body_base64"].as_str().unwrap())
                .unwrap()
        })
        .collect();
    assert!(
        bodies.contains(&body),
        "the planted request is archived verbatim"
    );
    assert!(!leaks(&body, &needles).is_empty());
    let raw_ids: BTreeSet<&str> = raw.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(raw_ids.len(), raw.len(), "raw payloads archived once each");
}

#[test]
fn kill9_during_delivery_loses_nothing() {
    let root = tempfile::tempdir().unwrap();
    // One record per send: delivery takes long enough to be interrupted.
    let config = config(
        root.path(),
        "[[sinks]]\nname = \"lake\"\ntype = \"file\"\nreceive = [\"alerts\", \"events\"]\nbatch_size = 1\nmax_bytes = 8192\ncompression = \"zstd\"\n",
    );
    let mut serve = Serve::start(serve_spec(root.path(), &config)).unwrap();
    let data = serve.data().to_path_buf();
    // The load runs while delivery (one record per send and fsync) falls behind it; the
    // kill lands as soon as some records are delivered and others still wait. The load
    // generator retries like an exporter across the restart.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let target = Target::fixed(serve.http_addr());
    let records = 3_000;
    let mut cfg = RunConfig::new(
        GenSpec {
            seed: 23,
            records,
            batch_size: 100,
            ..GenSpec::default()
        },
        target.clone(),
    );
    cfg.retry.max_elapsed = DRAIN_TIMEOUT;
    let load = rt.spawn(run(cfg));
    let at_kill = support::wait::poll("delivery to be under way", DRAIN_TIMEOUT, || {
        let q = sink_queues(&config, &data)?;
        match q.get("lake") {
            Some(&(cursor, queued)) if cursor > 0 && queued > 0 => Ok((cursor, queued)),
            other => Err(format!("{other:?}")),
        }
    });
    target.set(None);
    let status = serve.kill9().unwrap();
    assert!(!status.success());
    let queued_after_kill = sink_queues(&config, &data).unwrap()["lake"].1;
    assert!(
        queued_after_kill > 0,
        "killed mid-delivery (at {at_kill:?}, {queued_after_kill} still queued)"
    );
    serve
        .restart()
        .unwrap_or_else(|e| panic!("restart: {e}\n{}", serve.log_text()));
    target.set(Some(serve.http_addr().to_string()));
    let report = rt.block_on(load).unwrap();
    assert_eq!(
        report.records_acked,
        records,
        "every record acknowledged: {}",
        report.summary_json()
    );
    wait_drained(&config, &data, &serve);
    let (events, alerts) = stored(&serve);
    assert_eq!(events.len() as u64, records);
    assert!(
        serve.terminate(Duration::from_secs(60)).unwrap().success(),
        "{}",
        serve.log_text()
    );

    let lake = data.join("sinks").join("lake").join("out");
    let (lake_events, lake_alerts) = native_keys(&segments::records(&lake));
    assert!(lake_events.len() >= events.len(), "at least once");
    let distinct: BTreeSet<String> = lake_events.into_iter().collect();
    assert_eq!(distinct, events, "exactly once after dedup on id");
    let distinct_alerts: Vec<(String, u64)> = lake_alerts
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    check_alerts(&distinct_alerts, &alerts, "lake after kill -9");
    assert!(
        segments::unfinished(&data.join("sinks")).is_empty(),
        "the crashed segment was recovered and finished"
    );
}

#[test]
fn sinks_test_reports_delivery_and_exits_accordingly() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let config = config(
        root.path(),
        "[[sinks]]\nname = \"out\"\ntype = \"file\"\nmin_level = \"critical\"\n\n[[sinks]]\nname = \"console\"\ntype = \"stdout\"\nformat = \"ocsf\"\n",
    );
    let sinks_test = |name: &str, stdout: std::process::Stdio| {
        let start = Instant::now();
        let out = Command::new(BIN)
            .args(["sinks", "test", name, "--config"])
            .arg(&config)
            .arg("--data")
            .arg(&data)
            .env_remove("TRIPLINE_CONFIG")
            .stdout(stdout)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
            .wait_with_output()
            .unwrap();
        assert!(start.elapsed() < Duration::from_secs(120));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (code, _, err) = sinks_test("out", std::process::Stdio::piped());
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("delivered 1 synthetic alert"), "{err}");
    let written = segments::records(&data.join("sinks").join("out").join("out"));
    assert_eq!(
        written.len(),
        1,
        "the synthetic alert is in the file (filters do not apply)"
    );
    assert_eq!(written[0]["rule"]["name"], "tripline_sinks_test");
    assert_eq!(written[0]["group"]["synthetic"], true);
    let text = written[0].to_string();
    assert!(
        text.contains("[SECRET:"),
        "the planted secret is masked: {text}"
    );

    let (code, out, err) = sinks_test("console", std::process::Stdio::piped());
    assert_eq!(code, Some(0), "{err}");
    let finding: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(finding["class_uid"], 2004);

    // stdout that cannot be written: the send fails and the command says so, exit 1.
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let (code, _, err) = sinks_test("console", std::process::Stdio::from(full));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("not delivered"), "{err}");

    let (code, _, err) = sinks_test("nope", std::process::Stdio::piped());
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("no sink named \"nope\"") && err.contains("out, console"),
        "{err}"
    );
}
