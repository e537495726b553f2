//! No secret at rest: captures carrying planted secrets (the fake AWS key, a private key,
//! a token of every detector type, and an email) go through `tripline serve` and
//! `tripline replay --data`; then every byte under both data dirs, and replay's output, is
//! searched for the plaintexts. Zero hits, with identifier pseudonymization on. The alerts
//! about the exposure exist and carry fingerprints.

mod support;

use std::fs;
use std::process::Command;

use support::planted::{capture, files_under, leaks, needles, planted};
use support::serve::Serve;

fn post_logs(addr: &str, body: &[u8]) -> u16 {
    support::http::post(
        addr,
        "/v1/logs",
        &[("Content-Type", "application/x-protobuf")],
        body,
    )
    .status
}

#[test]
fn no_planted_secret_or_email_reaches_disk_or_output() {
    let secrets = planted();
    let body = capture(&secrets);
    let scratch = tempfile::tempdir().unwrap();
    // The keyed-hash key lives outside the data dirs; identifiers are pseudonymized.
    let config = scratch.path().join("tripline.toml");
    fs::write(
        &config,
        format!(
            "[redaction]\nidentifier = \"pseudonymize\"\nkey_file = \"{}\"\n",
            scratch.path().join("hmac.key").display()
        ),
    )
    .unwrap();

    let serve = Serve::start_with(&["--config", config.to_str().unwrap()]);
    assert_eq!(
        post_logs(serve.http_addr(), &body),
        200,
        "{}",
        serve.log_text()
    );
    let alerts = serve.query("SELECT rule_name, alert FROM alerts");
    let needles = needles(&secrets);
    // The server's files, read while it runs: the database, its -wal and -shm files.
    let mut serve_files = Vec::new();
    files_under(serve.data_dir(), &mut serve_files);
    assert!(
        serve_files.iter().any(|f| f.ends_with("tripline.db")),
        "the store exists: {serve_files:?}"
    );
    for f in &serve_files {
        let found = leaks(&fs::read(f).unwrap(), &needles);
        assert!(
            found.is_empty(),
            "{} holds plaintext: {found:?}",
            f.display()
        );
    }
    let serve_log = serve.log_text();
    assert!(serve.stop().success(), "serve exits 0");

    // The same capture through replay, stored in a second data dir.
    let capture_dir = scratch.path().join("capture");
    fs::create_dir_all(&capture_dir).unwrap();
    fs::write(capture_dir.join("0001-logs.pb"), &body).unwrap();
    let replay_data = scratch.path().join("replay-data");
    let replay = Command::new(env!("CARGO_BIN_EXE_tripline"))
        .args(["replay", "--config", config.to_str().unwrap(), "--data"])
        .arg(&replay_data)
        .arg(&capture_dir)
        .env_remove("TRIPLINE_CONFIG")
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&replay.stderr)
    );

    let mut files = Vec::new();
    files_under(&replay_data, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("tripline.db")),
        "the replay store exists: {files:?}"
    );
    for f in &files {
        let found = leaks(&fs::read(f).unwrap(), &needles);
        assert!(
            found.is_empty(),
            "{} holds plaintext: {found:?}",
            f.display()
        );
    }
    for (what, bytes) in [
        ("replay stdout", &replay.stdout),
        ("replay stderr", &replay.stderr),
    ] {
        let found = leaks(bytes, &needles);
        assert!(found.is_empty(), "{what} holds plaintext: {found:?}");
    }
    let found = leaks(serve_log.as_bytes(), &needles);
    assert!(found.is_empty(), "serve's log holds plaintext: {found:?}");

    // The exposures were detected, on the raw values, and the alerts carry fingerprints.
    let rules: Vec<&str> = alerts
        .iter()
        .filter_map(|r| r["rule_name"].as_str())
        .collect();
    assert!(
        rules.contains(&"codex_prompt_content_exported"),
        "prompt alert: {rules:?}"
    );
    assert!(
        rules.contains(&"codex_sensitive_tool_output_exported"),
        "tool output alert: {rules:?}"
    );
    let exposure = alerts
        .iter()
        .find(|r| r["rule_name"] == "codex_sensitive_tool_output_exported")
        .and_then(|r| r["alert"].as_str())
        .unwrap();
    assert!(
        exposure.contains("[SECRET:"),
        "evidence carries fingerprints: {exposure}"
    );
    assert!(
        exposure.contains("anon:"),
        "the email is pseudonymized in the alert: {exposure}"
    );
    let replayed = String::from_utf8_lossy(&replay.stdout);
    assert!(
        replayed.contains("codex_sensitive_tool_output_exported"),
        "replay prints the exposure alert"
    );
}

/// The raw tier, when enabled, keeps the verbatim body in its own database, readable only
/// with the admin flag; the main store stays redacted.
#[test]
fn raw_tier_is_separate_and_admin_only() {
    let secrets = planted();
    let body = capture(&secrets[..3]);
    let scratch = tempfile::tempdir().unwrap();
    let config = scratch.path().join("tripline.toml");
    fs::write(
        &config,
        format!(
            "[raw]\nenabled = true\n[redaction]\nkey_file = \"{}\"\n",
            scratch.path().join("hmac.key").display()
        ),
    )
    .unwrap();
    let serve = Serve::start_with(&["--config", config.to_str().unwrap()]);
    assert_eq!(
        post_logs(serve.http_addr(), &body),
        200,
        "{}",
        serve.log_text()
    );
    let data = serve.data_dir().to_path_buf();
    let query = |admin: bool, sql: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tripline"));
        cmd.args(["query", "--data"]).arg(&data);
        if admin {
            cmd.arg("--admin");
        }
        cmd.arg(sql).env_remove("TRIPLINE_CONFIG").output().unwrap()
    };
    let denied = query(false, "SELECT count(*) AS n FROM raw.payloads");
    assert_eq!(
        denied.status.code(),
        Some(2),
        "raw tier readable without --admin"
    );
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("admin"),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );
    let allowed = query(
        true,
        "SELECT count(*) AS n, max(length(body)) AS len FROM raw.payloads",
    );
    assert!(
        allowed.status.success(),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    let row: serde_json::Value =
        serde_json::from_slice(allowed.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(row["n"], 1);
    assert_eq!(
        row["len"].as_u64(),
        Some(body.len() as u64),
        "the body is kept verbatim"
    );
    // Only the raw tier holds the plaintext.
    let main = fs::read(data.join("tripline.db")).unwrap();
    assert!(leaks(&main, &needles(&secrets[..3])).is_empty());
    let raw_db = data.join("raw").join("raw.db");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&raw_db).unwrap().permissions());
    assert_eq!(mode & 0o077, 0, "raw.db is private to its owner");
    assert!(serve.stop().success());
}
