//! The console's must-show flow in a real browser: Debian's chromium, driven by
//! playwright-core from npm (`tests/browser/console_flow.cjs`), against a `serve` seeded with
//! real Codex, Claude Code and Gemini CLI traffic. The script logs in, filters the queue to
//! `posture_weakened`, opens the posture alert of the Codex session that ran `rm -rf`,
//! follows it to the session timeline and sees the `rm -rf` tool result, acknowledges it
//! and closes it as a true positive, and, as an analyst, gets 403 from the raw tier. This
//! test then checks that the change is stored (store query), shown, and exported to the
//! file sink as a new revision.
//!
//! Needs chromium and playwright-core (`bash scripts/install-test-tools.sh`); with
//! `TRIPLINE_REQUIRE_TOOLS=1` their absence fails the test. Screenshots go to a temp dir, or
//! to `$TRIPLINE_CONSOLE_SHOTS` when set (how `docs/console/*.png` are made).

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::console::{self, ANALYST};
use support::query::{at_least, str_col};
use support::serve::Serve;
use support::tools::{self, Tool};

const RULE: &str = "codex_sandbox_policy_weakened";

#[test]
fn triage_flow_in_chromium_from_login_to_the_exported_revision() {
    let Some(found) = tools::require(
        "triage_flow_in_chromium_from_login_to_the_exported_revision",
        &[Tool::Node, Tool::Chromium, Tool::PlaywrightCore],
    ) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    console::add_test_users(&data);
    let config = root.path().join("tripline.toml");
    std::fs::write(
        &config,
        "[[sinks]]\nname = \"triage\"\ntype = \"file\"\nreceive = [\"alerts\"]\n",
    )
    .unwrap();
    let serve = Serve::start_in(Some(&data), &["--config", config.to_str().unwrap()]);
    console::seed(serve.http_addr());
    let rows = serve.wait_rows(
        "the posture alert of the rm -rf session",
        &format!(
            "SELECT a.id, a.revision FROM alerts a WHERE a.rule_name = '{RULE}' AND EXISTS (
               SELECT 1 FROM events e WHERE e.conversation_id = a.conversation_id
               AND e.event LIKE '%rm -rf%')"
        ),
        at_least(1),
    );
    let alert_id = str_col(&rows[0], "id").to_owned();
    let rev0 = rows[0]["revision"].as_i64().unwrap();

    let shots = match std::env::var_os("TRIPLINE_CONSOLE_SHOTS") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => root.path().join("shots"),
    };
    std::fs::create_dir_all(&shots).unwrap();
    let port = serve.http_addr().rsplit(':').next().unwrap();
    let script = tools::workspace_root().join("tests/browser/console_flow.cjs");
    let mut cmd = Command::new(found.path(Tool::Node));
    cmd.arg(&script)
        .env("PLAYWRIGHT_CORE", found.path(Tool::PlaywrightCore))
        .env("CHROMIUM", found.path(Tool::Chromium))
        // localhost: a secure context, so the Secure session cookie is kept over plain HTTP.
        .env("CONSOLE_URL", format!("http://localhost:{port}"))
        .env("SHOT_DIR", &shots)
        .env("USER_DATA_DIR", root.path().join("chromium-profile"))
        .env("ALERT_ID", &alert_id)
        .env("ANALYST_NAME", ANALYST.0)
        .env("ANALYST_PASSWORD", ANALYST.1);
    let run = support::process::run("the browser flow", &mut cmd, Duration::from_secs(180));
    run.assert_success("node tests/browser/console_flow.cjs");
    let out: Value = serde_json::from_str(run.stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("flow output is not JSON ({e}): {}", run.stdout));

    // What the browser saw.
    assert_eq!(out["login_redirect"], "/ui/login", "{out}");
    assert_eq!(out["after_login"], "/ui/alerts", "{out}");
    assert!(out["filter_url"]
        .as_str()
        .unwrap()
        .contains("pattern=posture_weakened"));
    let queue: Vec<&str> = out["queue_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(queue.contains(&RULE), "{queue:?}");
    assert!(
        !queue.iter().any(|r| r.contains("api_error")),
        "only posture_weakened rules: {queue:?}"
    );
    assert_eq!(out["detail_status"], "new");
    assert_eq!(out["timeline_rm_rf"], true, "{out}");
    assert_eq!(out["after_ack"], "acknowledged");
    assert_eq!(out["resolution_visible"], true);
    assert_eq!(out["after_close"], "closed");
    assert_eq!(out["resolution"], "true_positive");
    assert_eq!(out["audit_rows"], 2);
    assert_eq!(out["revision"].as_i64(), Some(rev0 + 2));
    assert_eq!(out["closed_in_queue"], 1);
    assert_eq!(
        out["raw_status"], 403,
        "an analyst cannot open the raw tier"
    );
    assert_eq!(out["config_status"], 403);
    assert!(out["health_svgs"].as_i64().unwrap() >= 4, "{out}");
    assert_eq!(
        out["external_requests"],
        serde_json::json!([]),
        "everything is served locally"
    );
    assert_eq!(
        out["console_errors"],
        serde_json::json!([]),
        "no script or CSP errors"
    );
    for shot in [
        "console-alerts.png",
        "console-session.png",
        "console-alert-closed.png",
    ] {
        let png = std::fs::read(shots.join(shot)).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{shot}");
    }

    // Stored, with the audit trail.
    let t = serve.query(&format!(
        "SELECT status, resolution, actor, revision FROM alert_triage WHERE alert_id = '{alert_id}'"
    ));
    assert_eq!(str_col(&t[0], "status"), "closed");
    assert_eq!(str_col(&t[0], "resolution"), "true_positive");
    assert_eq!(str_col(&t[0], "actor"), ANALYST.0);
    let audit = serve.query(&format!(
        "SELECT status, note FROM alert_audit WHERE alert_id = '{alert_id}' ORDER BY seq"
    ));
    let steps: Vec<&str> = audit.iter().map(|r| str_col(r, "status")).collect();
    assert_eq!(steps, ["acknowledged", "closed"]);
    assert!(str_col(&audit[1], "note").starts_with("confirmed"));

    // Exported to the file sink as new revisions.
    let data = serve.data_dir().to_path_buf();
    assert!(serve.stop().success());
    let exported: Vec<Value> = support::segments::records(&data.join("sinks/triage"))
        .into_iter()
        .filter(|r| r["id"] == alert_id.as_str())
        .collect();
    let revs: Vec<i64> = exported
        .iter()
        .filter_map(|r| r["revision"].as_i64())
        .collect();
    assert!(
        revs.contains(&rev0) || revs.iter().all(|r| *r > rev0),
        "{revs:?}"
    );
    let closed = exported
        .iter()
        .find(|r| r["revision"].as_i64() == Some(rev0 + 2))
        .unwrap_or_else(|| panic!("revision {} in the file sink: {revs:?}", rev0 + 2));
    assert_eq!(closed["triage"]["status"], "closed");
    assert_eq!(closed["triage"]["resolution"], "true_positive");
    assert_eq!(closed["triage"]["by"], ANALYST.0);
}
