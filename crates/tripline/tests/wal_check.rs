//! `tripline wal check` on stores written by the real server: a store left by `kill -9` is
//! clean; a torn tail appended to its `-wal` (half a frame, or garbage) is reported, and
//! `--repair` removes it keeping every committed row; a damaged page is reported as an
//! integrity error; `--repair` refuses a store the server has open.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use support::{process, query, tools};
use tripline_loadgen::{prom, run, BatchFate, GenSpec, RunConfig, Serve, ServeSpec, Target};

const BIN: &str = env!("CARGO_BIN_EXE_tripline");
const RECORDS: u64 = 600;
const TIMEOUT: Duration = Duration::from_secs(120);

/// `tripline wal check --data DIR ARGS... --json`: exit code and the JSON it printed (for
/// exit 2, which prints an error instead, `{"stderr": ...}`).
fn wal_check(data: &Path, args: &[&str]) -> (i32, Value) {
    let mut cmd = tools::tripline_command();
    cmd.args(["wal", "check", "--json", "--data"])
        .arg(data)
        .args(args);
    let out = process::run("tripline wal check", &mut cmd, TIMEOUT);
    let code = out.status.code().unwrap_or(-1);
    if code == 2 {
        return (code, serde_json::json!({ "stderr": out.stderr }));
    }
    let json = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "wal check printed no JSON ({e}), exit {code}\nstdout: {}\nstderr: {}",
            out.stdout, out.stderr
        )
    });
    (code, json)
}

fn count_events(data: &Path) -> u64 {
    let rows = query::run(data, "SELECT count(*) AS n FROM events").unwrap();
    rows[0]["n"].as_u64().unwrap()
}

fn main_db(report: &Value) -> &Value {
    &report["databases"][0]
}

/// A data dir written by `tripline serve` and left by `kill -9` after every batch was
/// acknowledged, so its `-wal` holds committed frames that were never checkpointed.
fn crashed_store(root: &Path) -> PathBuf {
    let mut spec = ServeSpec::new(BIN, root.join("data"), root.join("scratch"));
    // Rules play no part here; without the pack the run is quicker on a loaded machine.
    spec.env
        .push(("TRIPLINE_RULES_BUILTIN".into(), "false".into()));
    let mut serve = Serve::start(spec).unwrap();
    let gen = GenSpec {
        seed: 3,
        records: RECORDS,
        batch_size: 50,
        ..GenSpec::default()
    };
    let mut cfg = RunConfig::new(gen.clone(), Target::fixed(serve.http_addr()));
    cfg.deadline = TIMEOUT;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = rt.block_on(run(cfg));
    assert_eq!(
        report.count(BatchFate::Acked),
        gen.batches(),
        "{}\n{}",
        report.summary_json(),
        serve.log_text()
    );
    // Every acknowledged batch was timed from receipt to commit.
    let page = rt.block_on(prom::fetch(serve.http_addr())).unwrap();
    let latency = prom::Histogram::parse(&page, "tripline_ingest_latency_seconds").unwrap();
    assert_eq!(latency.count(), gen.batches(), "{page}");

    // The server holds the store open: a repair must refuse to touch it.
    let (code, out) = wal_check(serve.data(), &["--repair"]);
    assert_eq!(code, 2, "repair of a store in use: {out}");
    assert!(
        out["stderr"]
            .as_str()
            .unwrap()
            .contains("stop `tripline serve`"),
        "{out}"
    );
    let (code, out) = wal_check(serve.data(), &[]);
    assert_eq!(code, 0, "a live store checks clean: {out}");
    assert_eq!(
        main_db(&out)["open_by"].as_u64(),
        Some(u64::from(serve.pid())),
        "{out}"
    );

    serve.kill9().unwrap();
    serve.data().to_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

/// Check → torn tail of `appended` bytes reported (exit 1); repair → ok (exit 0), the WAL
/// emptied, every event still there; check again → ok.
fn torn_then_repaired(data: &Path, appended: u64, committed_frames: u64) {
    let (code, out) = wal_check(data, &[]);
    assert_eq!(code, 1, "a torn tail is a problem: {out}");
    let wal = &main_db(&out)["wal"];
    assert_eq!(
        wal["committed_frames"].as_u64(),
        Some(committed_frames),
        "{wal}"
    );
    assert_eq!(wal["partial_bytes"].as_u64(), Some(appended), "{wal}");
    assert!(out["problems"].to_string().contains("torn tail"), "{out}");
    assert_eq!(
        count_events(data),
        RECORDS,
        "the committed rows are readable despite the tail"
    );

    let (code, out) = wal_check(data, &["--repair"]);
    assert_eq!(code, 0, "repair of a torn tail: {out}");
    assert_eq!(out["possible_loss"], false, "{out}");
    assert!(
        out["actions"].to_string().contains("truncated the WAL"),
        "{out}"
    );
    let after = main_db(&out["after"]);
    assert!(
        after["wal"].is_null() || after["wal"]["file_bytes"] == 0,
        "WAL left: {after}"
    );

    let (code, out) = wal_check(data, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        count_events(data),
        RECORDS,
        "every committed row survives the repair"
    );
}

#[test]
fn torn_wal_tails_are_reported_and_repaired_without_loss() {
    let root = tempfile::Builder::new()
        .prefix("tripline-wal-")
        .tempdir()
        .unwrap();
    let crashed = crashed_store(root.path());

    // (a) The store as kill -9 left it: committed frames, nothing torn.
    let (code, out) = wal_check(&crashed, &[]);
    assert_eq!(
        code, 0,
        "a store left by kill -9 after its last commit is clean: {out}"
    );
    let wal = &main_db(&out)["wal"];
    let committed = wal["committed_frames"].as_u64().unwrap();
    let page_size = wal["page_size"].as_u64().unwrap();
    assert!(
        committed > 0,
        "the crash left no committed frames in the WAL: {out}"
    );
    assert_eq!(main_db(&out)["integrity"]["status"], "ok", "{out}");
    let committed_end = wal["committed_end"].as_u64().unwrap() as usize;

    // (b1) A write cut short: the first half of a copy of the last frame (the header's
    // salts, a page cut in the middle).
    let half = root.path().join("half");
    copy_dir(&crashed, &half);
    let wal_file = half.join("tripline.db-wal");
    let bytes = std::fs::read(&wal_file).unwrap();
    let frame = 24 + page_size as usize;
    let last = &bytes[committed_end - frame..committed_end];
    append(&wal_file, &last[..frame / 2]);
    torn_then_repaired(&half, (frame / 2) as u64, committed);

    // (b2) Garbage after the log.
    let garbage = root.path().join("garbage");
    copy_dir(&crashed, &garbage);
    let junk: Vec<u8> = (0..1000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    append(&garbage.join("tripline.db-wal"), &junk);
    torn_then_repaired(&garbage, 1000, committed);
}

#[test]
fn a_damaged_page_is_an_integrity_error() {
    let root = tempfile::Builder::new()
        .prefix("tripline-wal-page-")
        .tempdir()
        .unwrap();
    let data = crashed_store(root.path());
    // Checkpoint first, so the damage is in the database file itself.
    let (code, out) = wal_check(&data, &["--repair"]);
    assert_eq!(code, 0, "{out}");

    let root_page = query::run(
        &data,
        "SELECT rootpage FROM sqlite_master WHERE name = 'events'",
    )
    .unwrap()[0]["rootpage"]
        .as_u64()
        .unwrap();
    let db = data.join("tripline.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        n => n as usize,
    };
    let at = (root_page as usize - 1) * page_size;
    bytes[at..at + 64].fill(0xff);
    std::fs::write(&db, &bytes).unwrap();

    let (code, out) = wal_check(&data, &[]);
    assert_eq!(code, 1, "damage must fail the check: {out}");
    assert_eq!(main_db(&out)["integrity"]["status"], "errors", "{out}");
    assert!(
        out["problems"].to_string().contains("integrity_check"),
        "{out}"
    );

    let (code, out) = wal_check(&data, &["--quick"]);
    assert_eq!(
        code, 1,
        "quick_check finds a damaged b-tree page too: {out}"
    );

    let (code, out) = wal_check(&data, &["--repair"]);
    assert_eq!(code, 1, "integrity errors are not repaired in place: {out}");
    assert!(out["actions"].to_string().contains("left alone"), "{out}");
}

#[test]
fn orphans_and_missing_stores() {
    let root = tempfile::Builder::new()
        .prefix("tripline-wal-orphan-")
        .tempdir()
        .unwrap();
    // No store at all: exit 2, naming the file.
    let mut cmd = tools::tripline_command();
    cmd.args(["wal", "check", "--data"])
        .arg(root.path().join("nothing"));
    let out = process::run("tripline wal check", &mut cmd, TIMEOUT);
    assert_eq!(out.status.code(), Some(2), "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("tripline.db"), "{}", out.stderr);

    let data = crashed_store(root.path());
    std::fs::write(data.join("old.db-shm"), b"x").unwrap();
    std::fs::write(data.join("old.db-wal"), b"y").unwrap();
    let (code, out) = wal_check(&data, &[]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out["orphans"].as_array().unwrap().len(), 2, "{out}");

    // Repair deletes the orphaned index but leaves the WAL, which may hold data.
    let (code, out) = wal_check(&data, &["--repair"]);
    assert_eq!(code, 1, "{out}");
    assert!(!data.join("old.db-shm").exists() && data.join("old.db-wal").exists());
    assert_eq!(count_events(&data), RECORDS);
}
