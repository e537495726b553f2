//! `replay` applies the config's `[limits]` as `serve` does, so a backtest refuses what
//! production refuses.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tripline");

fn replay_events(config: Option<&Path>) -> (usize, String) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tripline-otlp/tests/fixtures/codex/a-baseline/0003-logs.pb");
    let mut cmd = Command::new(BIN);
    cmd.args(["replay", "--emit", "events"]).arg(&fixture);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let out = cmd.output().expect("running tripline replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = String::from_utf8(out.stdout).unwrap().lines().count();
    (events, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn replay_refuses_records_over_the_configured_limits() {
    let (all, stderr) = replay_events(None);
    assert!(all > 5, "the fixture has log records: {all}");
    assert!(!stderr.contains("warning"), "{stderr}");

    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("tripline.toml");
    std::fs::write(&config, "[limits]\nmax_attributes = 3\n").unwrap();
    let (kept, stderr) = replay_events(Some(&config));
    assert!(
        kept < all,
        "records over 3 attributes are refused: {kept} of {all}"
    );
    assert!(
        stderr.contains("warning"),
        "the refusal is reported: {stderr}"
    );
}
