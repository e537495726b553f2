//! The HTTP sinks with real consumers: the `otlp` sink forwards into a second
//! `tripline serve` (a real OTLP/HTTP receiver), which stores what it got and answers to
//! `tripline query`.

mod support;

#[path = "../../tripline-sinks/tests/support/recorder.rs"]
#[allow(dead_code)]
mod recorder;

use serde_json::json;
use support::query::{at_least, show};
use support::serve::Serve;
use tripline_sinks::{registry, BuildContext, Outcome, Record, RecordKind};

fn otlp_sink(endpoint: &str) -> Box<dyn tripline_sinks::Sink> {
    let ctx = BuildContext { name: "forward".into(), data_dir: std::env::temp_dir() };
    let table: toml::Table = toml::from_str(&format!("endpoint = \"{endpoint}\"\nservice_name = \"tripline-edge\"")).unwrap();
    registry::build("otlp", &ctx, &table).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn otlp_forward_is_accepted_and_stored_by_a_second_tripline() {
    let downstream = Serve::start();
    let mut sink = otlp_sink(&downstream.http_url());
    let now = chrono::Utc::now().timestamp_millis();
    let mut batch: Vec<Record> = (0..3)
        .map(|i| Record {
            kind: RecordKind::Event,
            id: format!("ev-{i}"),
            revision: 1,
            time_ms: now - 1000 + i,
            agent: "codex".into(),
            body: json!({
                "id": format!("ev-{i}"), "event_name": "codex.tool_result", "agent": "codex",
                "conversation_id": "conv-fwd-1", "tool_name": "exec_command", "duration_ms": 10 + i,
                "success": true,
            }),
        })
        .collect();
    batch.push(Record {
        kind: RecordKind::Alert,
        id: "al-fwd".into(),
        revision: 2,
        time_ms: now,
        agent: "codex".into(),
        body: json!({"id": "al-fwd", "revision": 2, "rule": {"title": "Forwarded alert", "level": "high"}, "count": 3}),
    });
    assert_eq!(sink.send(&batch).unwrap_or_else(|e| panic!("{e}\n{}", downstream.log_text())), Outcome::all_delivered());

    let rows = downstream.wait_rows(
        "the forwarded records in the second tripline",
        "SELECT event_name, agent, service_name, \
                json_extract(event, '$.tripline_id') AS tid, \
                json_extract(event, '$.tripline_revision') AS rev, \
                json_extract(event, '$.tripline_kind') AS kind, \
                json_extract(event, '$.tool_name') AS tool, \
                json_extract(event, '$.duration_ms') AS ms, \
                json_extract(event, '$.rule_title') AS title, \
                json_extract(event, '$.severity') AS severity \
         FROM events WHERE json_extract(event, '$.tripline_id') IS NOT NULL ORDER BY tid",
        at_least(4),
    );
    assert_eq!(rows.len(), 4, "{}", show(&rows));
    let alert = &rows[0];
    assert_eq!(alert["tid"], "al-fwd", "{}", show(&rows));
    assert_eq!(alert["event_name"], "tripline.alert");
    assert_eq!(alert["rev"], 2);
    assert_eq!(alert["kind"], "alert");
    assert_eq!(alert["title"], "Forwarded alert");
    assert_eq!(alert["severity"], "high");
    assert_eq!(alert["service_name"], "tripline-edge");
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row["tid"], format!("ev-{i}"), "{}", show(&rows));
        assert_eq!(row["event_name"], "codex.tool_result");
        assert_eq!(row["agent"], "codex", "the agent is inferred from the event name");
        assert_eq!(row["kind"], "event");
        assert_eq!(row["tool"], "exec_command");
        assert_eq!(row["ms"], 10 + i as i64, "integers stay integers");
    }
}

/// A self-signed certificate for 127.0.0.1 made by the `openssl` command, or `None` (with
/// the tool-missing policy applied) when there is no `openssl`.
fn self_signed(dir: &std::path::Path) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let mut cmd = std::process::Command::new("openssl");
    cmd.args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert);
    match cmd.output() {
        Ok(out) if out.status.success() => Some((cert, key)),
        Ok(out) => panic!("openssl req failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            assert!(
                std::env::var("TRIPLINE_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "the openssl command is needed to make a test certificate: {e}"
            );
            eprintln!("skipped: no openssl command ({e})");
            None
        }
    }
}

#[test]
fn tls_server_is_verified_against_the_configured_ca() {
    let Some(found) = support::tools::require("tls_server_is_verified_against_the_configured_ca", &[support::tools::Tool::Python3])
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some((cert, key)) = self_signed(dir.path()) else { return };
    let port_file = dir.path().join("port");
    let mut server = std::process::Command::new(found.path(support::tools::Tool::Python3))
        .arg(support::tools::support_script("tls_server.py"))
        .args([&cert, &key, &port_file])
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("start tls_server.py");
    let port = support::wait::poll("tls_server.py to listen", std::time::Duration::from_secs(20), || {
        if let Ok(Some(status)) = server.try_wait() {
            panic!("tls_server.py exited with {status}");
        }
        std::fs::read_to_string(&port_file).map_err(|e| e.to_string())?.trim().parse::<u16>().map_err(|e| e.to_string())
    });
    let url = format!("https://127.0.0.1:{port}/hook");
    let build = |tls: &str| {
        let ctx = BuildContext { name: "tls".into(), data_dir: dir.path().into() };
        let table: toml::Table = toml::from_str(&format!("url = \"{url}\"\ntls = {{ {tls} }}")).unwrap();
        registry::build("webhook", &ctx, &table).unwrap_or_else(|e| panic!("{e}"))
    };
    let batch = [Record { kind: RecordKind::Event, id: "e".into(), revision: 1, time_ms: 0, agent: "codex".into(), body: json!({}) }];

    // The built-in roots do not know this certificate: refused, and retryable.
    let e = build("").send(&batch).unwrap_err();
    assert!(e.is_retryable(), "{e}");
    // Trusting the CA file: delivered over TLS.
    let ca = format!("ca_file = \"{}\"", cert.display());
    assert_eq!(build(&ca).send(&batch).unwrap(), Outcome::all_delivered());
    // Skipping verification: delivered too.
    assert_eq!(build("insecure_skip_verify = true").send(&batch).unwrap(), Outcome::all_delivered());
    let answered = std::fs::read_to_string(dir.path().join("port.count")).unwrap_or_default();
    assert_eq!(answered.trim(), "2", "the server answered exactly the two trusted requests");
    support::process::terminate(&mut server, std::time::Duration::from_secs(5));
}
