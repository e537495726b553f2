//! What a new user tries first, with the real Codex CLI corpus
//! (`tests/corpus/codex-0.169.0/b-bypass-approvals-and-sandbox`):
//!
//! - `tripline serve` with no flags writes `./tripline-data`, and every command that reads
//!   the store then finds it without `--data`, in the same directory or through
//!   `TRIPLINE_DATA`;
//! - serve's log on a file carries no ANSI escapes, and `--log-format json` (or
//!   `TRIPLINE_LOG_FORMAT=json`) writes one JSON object per line;
//! - the stored alert summary names the values the rule's `fields:` list.

mod support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::{http, process, tools, wait};

const SCENARIO: &str = "tests/corpus/codex-0.169.0/b-bypass-approvals-and-sandbox";
const TIMEOUT: Duration = Duration::from_secs(30);

/// A `tripline serve` started with no `--data`, in its own working directory.
struct Server {
    child: Child,
    log: PathBuf,
    http: String,
}

impl Server {
    /// `tripline serve --http 127.0.0.1:0 --grpc 127.0.0.1:0 --ready-file ready.json EXTRA`
    /// in `cwd`, with `env` set and stdout and stderr going to `cwd/serve.log`.
    fn start(cwd: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let log = cwd.join("serve.log");
        let file = File::create(&log).expect("create serve.log");
        let mut cmd = tools::tripline_command();
        cmd.current_dir(cwd)
            .args(["serve", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0"])
            .args(["--ready-file", "ready.json"])
            .args(extra)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("clone log handle"))
            .stderr(file);
        let child = cmd.spawn().expect("start tripline serve");
        let mut server = Server {
            child,
            log,
            http: String::new(),
        };
        let ready = cwd.join("ready.json");
        server.http = wait::poll("serve's ready file", TIMEOUT, || {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("serve exited with {status}:\n{}", server.log_text());
            }
            let text = std::fs::read_to_string(&ready).map_err(|e| e.to_string())?;
            let json: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            Ok(json["http"].as_str().expect("http address").to_owned())
        });
        server
    }

    /// POST every request body of the scenario to its OTLP/HTTP path.
    fn send_scenario(&self) {
        let dir = tools::workspace_root().join(SCENARIO);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "pb"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no request bodies in {}", dir.display());
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let signal = ["logs", "metrics", "traces"]
                .into_iter()
                .find(|s| name.contains(s))
                .unwrap_or_else(|| panic!("no signal in the name {name}"));
            let body = std::fs::read(&file).expect("read request body");
            let reply = http::post(
                &self.http,
                &format!("/v1/{signal}"),
                &[("content-type", "application/x-protobuf")],
                &body,
            );
            assert_eq!(reply.status, 200, "{name}: {}", reply.text());
        }
    }

    fn log_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.log).unwrap_or_default()
    }

    fn log_text(&self) -> String {
        String::from_utf8_lossy(&self.log_bytes()).into_owned()
    }

    /// SIGTERM; the server must exit 0.
    fn stop(mut self) -> Vec<u8> {
        let status = process::terminate(&mut self.child, Duration::from_secs(10));
        assert!(
            status.is_some_and(|s| s.success()),
            "serve did not stop cleanly ({status:?}):\n{}",
            self.log_text()
        );
        self.log_bytes()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        process::terminate(&mut self.child, Duration::from_secs(10));
    }
}

/// `tripline ARGS` in `cwd` with `env`; must exit 0; stdout.
fn tripline(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = tools::tripline_command();
    cmd.current_dir(cwd).args(args).envs(env.iter().copied());
    let what = format!("tripline {}", args.join(" "));
    let out = process::run(&what, &mut cmd, TIMEOUT);
    out.assert_success(&what);
    out.stdout
}

/// One JSON Lines row of `tripline query` output.
fn rows(jsonl: &str) -> Vec<Value> {
    jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn count_events(cwd: &Path, env: &[(&str, &str)]) -> i64 {
    let out = tripline(cwd, &["query", "select count(*) as n from events"], env);
    rows(&out)[0]["n"].as_i64().expect("a count")
}

#[test]
fn commands_find_the_store_serve_wrote_without_data_flags() {
    let cwd = tempfile::tempdir().expect("temp dir");
    let server = Server::start(cwd.path(), &[], &[]);
    server.send_scenario();
    assert!(
        cwd.path().join("tripline-data/tripline.db").is_file(),
        "serve did not write ./tripline-data"
    );

    let n = count_events(cwd.path(), &[]);
    assert!(n > 0, "no events found through ./tripline-data");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let data = cwd.path().join("tripline-data");
    let data = data.to_str().expect("utf-8 path");
    assert_eq!(
        count_events(elsewhere.path(), &[("TRIPLINE_DATA", data)]),
        n,
        "TRIPLINE_DATA names the same store"
    );
    let config = elsewhere.path().join("tripline.toml");
    std::fs::write(&config, format!("[store]\ndata_dir = {data:?}\n")).unwrap();
    assert_eq!(
        count_events(
            elsewhere.path(),
            &[("TRIPLINE_CONFIG", config.to_str().unwrap())]
        ),
        n,
        "[store] data_dir of the config names the same store"
    );

    let summary = tripline(
        cwd.path(),
        &[
            "query",
            "select summary from alerts where rule_name = 'codex_sandbox_policy_weakened'",
        ],
        &[],
    );
    let summaries: Vec<String> = rows(&summary)
        .iter()
        .map(|r| r["summary"].as_str().expect("summary").to_owned())
        .collect();
    assert!(
        summaries.iter().any(|s| s.contains("approval_policy=never")
            && s.contains("sandbox_policy=danger-full-access")
            && s.contains("originator=codex_exec")
            && s.contains("host_name=vm")),
        "the summary names the matched values: {summaries:?}"
    );

    let log = server.stop();
    assert!(!log.is_empty(), "serve wrote no log");
    assert!(
        !log.contains(&0x1b),
        "ANSI escapes in a log that is a file:\n{}",
        String::from_utf8_lossy(&log)
    );
    let text = String::from_utf8_lossy(&log);
    assert!(text.contains("tripline listening"), "{text}");

    // With serve stopped, the maintenance commands find the store the same way.
    let wal = tripline(cwd.path(), &["wal", "check"], &[]);
    assert!(wal.contains("tripline-data") && wal.contains("ok"), "{wal}");
    let baseline = tripline(cwd.path(), &["baseline", "--json"], &[]);
    assert!(
        rows(&baseline).iter().all(|r| r["rule"].is_string()),
        "{baseline}"
    );
    let retention = tripline(cwd.path(), &["retention", "run"], &[]);
    assert!(retention.contains("retention:"), "{retention}");
    assert_eq!(
        count_events(cwd.path(), &[]),
        n,
        "retention kept recent events"
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let by_flag: (&[&str], &[(&str, &str)]) = (&["--log-format", "json"], &[]);
    let by_env: (&[&str], &[(&str, &str)]) = (&[], &[("TRIPLINE_LOG_FORMAT", "json")]);
    for (how, (extra, env)) in [("flag", by_flag), ("env", by_env)] {
        let cwd = tempfile::tempdir().expect("temp dir");
        let server = Server::start(cwd.path(), extra, env);
        server.send_scenario();
        let log = server.stop();
        let text = String::from_utf8(log).expect("utf-8 log");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() >= 2, "{how}: too few log lines:\n{text}");
        let mut messages = Vec::new();
        for line in lines {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{how}: a log line is not JSON ({e}): {line}"));
            assert!(
                v["level"].is_string() && v["timestamp"].is_string(),
                "{how}: {line}"
            );
            messages.push(v["message"].as_str().unwrap_or_default().to_owned());
        }
        assert!(
            messages.iter().any(|m| m.starts_with("tripline listening")),
            "{how}: {messages:?}"
        );
        assert!(!text.contains('\u{1b}'), "{how}: ANSI escapes in JSON logs");
    }
}

#[test]
fn alert_summaries_name_matched_values_redacted_by_their_field_class() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("tripline.toml");
    std::fs::write(
        &config,
        "[redaction]\nidentifier = \"pseudonymize\"\ntool_content = \"drop\"\n\
         [redaction.fields]\nidentifier = [\"host_name\", \"originator\"]\n\
         tool_content = [\"arguments\", \"output\", \"env\"]\n",
    )
    .unwrap();
    let scenario = tools::workspace_root().join(SCENARIO);
    let summaries = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["replay"];
        args.extend_from_slice(extra);
        args.push(scenario.to_str().expect("utf-8 path"));
        rows(&tripline(dir.path(), &args, &[]))
            .into_iter()
            .filter(|a| a["rule"]["name"] == "codex_sandbox_policy_weakened")
            .map(|a| a["summary"].as_str().expect("summary").to_owned())
            .collect()
    };

    let plain = summaries(&[]);
    assert_eq!(plain.len(), 1, "{plain:?}");
    for pair in [
        "approval_policy=never",
        "sandbox_policy=danger-full-access",
        "originator=codex_exec",
        "env=corpus",
        "host_name=vm",
    ] {
        assert!(plain[0].contains(pair), "{pair} missing: {}", plain[0]);
    }

    let redacted = summaries(&["--config", config.to_str().unwrap()]);
    assert_eq!(redacted.len(), 1, "{redacted:?}");
    let s = &redacted[0];
    assert!(
        s.contains("approval_policy=never") && s.contains("sandbox_policy=danger-full-access"),
        "values of unredacted fields stay: {s}"
    );
    assert!(
        s.contains("originator=anon:") && !s.contains("originator=codex_exec"),
        "{s}"
    );
    assert!(
        s.contains("host_name=anon:") && !s.contains("host_name=vm"),
        "{s}"
    );
    assert!(s.contains("[env removed]") && !s.contains("corpus"), "{s}");
}
