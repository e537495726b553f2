//! One result for every path: the real Codex traffic (the CLI's captured request bodies,
//! several copies with fresh ids) gives the same alerts (ids, final revisions, counts,
//! evidence ids) from `tripline replay` and from `tripline serve` fed by one exporter.
//! Eight exporters at once (requests grouped by group commit) store every event exactly
//! once; their alerts can differ, because requests then arrive in another order and
//! correlations see matches in arrival order (ordering by event time is still to come).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tripline_loadgen::{run, Corpus, RunConfig, Serve, ServeSpec, Target};

const BIN: &str = env!("CARGO_BIN_EXE_tripline");
/// Copies of the corpus sent: each copy is a new set of sessions.
const COPIES: u64 = 3;

/// (alert id) → (final revision, count, evidence event ids)
type Alerts = BTreeMap<String, (u64, u64, Vec<String>)>;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/codex-0.169.0")
}

fn evidence_ids(alert: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = alert["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

/// Keep the newest revision of each alert.
fn collect(alerts: impl IntoIterator<Item = serde_json::Value>) -> Alerts {
    let mut out = Alerts::new();
    for a in alerts {
        let id = a["id"].as_str().expect("alert id").to_owned();
        let rev = a["revision"].as_u64().expect("alert revision");
        let entry = (rev, a["count"].as_u64().unwrap_or(0), evidence_ids(&a));
        match out.get(&id) {
            Some((r, _, _)) if *r >= rev => {}
            _ => {
                out.insert(id, entry);
            }
        }
    }
    out
}

fn replay(dir: &Path) -> Alerts {
    let out = Command::new(BIN)
        .args(["replay", "--emit", "alerts"])
        .arg(dir)
        .output()
        .expect("running tripline replay");
    assert!(
        out.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    collect(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).expect("an alert per line")),
    )
}

fn serve(
    scratch: &Path,
    clients: usize,
    requests: &[tripline_loadgen::corpus::CorpusRequest],
) -> Alerts {
    let _ = std::fs::remove_dir_all(scratch);
    let spec = ServeSpec::new(
        Path::new(BIN),
        scratch.join("data"),
        scratch.join("scratch"),
    );
    let serve = Serve::start(spec).expect("serve starts");
    let mut cfg = RunConfig::new(Default::default(), Target::fixed(serve.http_addr()));
    cfg.corpus = Some(std::sync::Arc::new(requests.to_vec()));
    cfg.concurrency = clients;
    cfg.deadline = Duration::from_secs(300);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let report = rt.block_on(run(cfg));
    let sent: u64 = requests.iter().map(|r| r.events).sum();
    assert_eq!(report.records_acked, sent, "{}", report.summary_json());
    let stored = serve.query("SELECT count(*) AS n FROM events").unwrap();
    assert_eq!(
        stored[0]["n"].as_u64(),
        Some(sent),
        "every event stored once"
    );
    let rows = serve.query("SELECT alert FROM alerts").unwrap();
    collect(rows.iter().map(|r| {
        serde_json::from_str(r["alert"].as_str().expect("alert column")).expect("alert JSON")
    }))
}

#[test]
fn serve_with_one_exporter_and_replay_give_the_same_alerts() {
    let corpus = Corpus::load(&corpus_dir()).expect("the Codex corpus");
    let n = corpus.len() as u64;
    let requests: Vec<_> = (0..COPIES * n).map(|k| corpus.request(k)).collect();

    let tmp = tempfile::tempdir().unwrap();
    let captures = tmp.path().join("captures");
    std::fs::create_dir_all(&captures).unwrap();
    for (k, r) in requests.iter().enumerate() {
        let name = format!("{k:06}-{}.pb", r.signal.path().trim_start_matches("/v1/"));
        std::fs::write(captures.join(name), &r.body).unwrap();
    }

    let replayed = replay(&captures);
    assert!(
        replayed.len() >= 5 && replayed.values().any(|(rev, _, _)| *rev > 0),
        "the built-in pack fires, and updates alerts, on the real scenarios: {replayed:?}"
    );
    let one = serve(&tmp.path().join("one"), 1, &requests);
    assert_eq!(one, replayed, "serve with one exporter == replay");
    let eight = serve(&tmp.path().join("eight"), 8, &requests);
    assert!(!eight.is_empty(), "eight exporters: the pack fires too");
}
