//! `tripline serve` with `[[inputs]]`: network and process telemetry tailed from JSON Lines
//! files joins the Codex telemetry received over OTLP.
//!
//! 1. A full-access Codex session arrives over OTLP/HTTP (JSON) from host H.
//! 2. Zeek dns.log lines from H's address are appended to a tailed file: with H's address in
//!    `host_ips.yml`, `codex_network_session_unusual_egress` fires for H.
//! 3. An osquery `process_events` line with `codex --yolo` is appended to another tailed
//!    file: `codex_cli_bypass_flag` fires.
//!    A broken line is logged with its file and line number and skipped.
//! 4. The server is stopped, a line is appended while it is down, and it is restarted on the
//!    same data dir: the new line is stored once, nothing earlier is read again (the server
//!    reports where it resumed, and the event and alert counts grow by exactly that line).

mod support;

use std::io::Write;
use std::path::Path;

use serde_json::json;
use support::query::{self, Row};
use support::serve::Serve;

const HOST: &str = "dev-laptop-7.corp.example";
const HOST_IP: &str = "10.20.30.40";
/// 2026-11-23T10:01:00Z
const T0: f64 = 1_795_428_060.0;

fn append(path: &Path, lines: &[serde_json::Value]) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open input file");
    for l in lines {
        writeln!(f, "{l}").expect("append");
    }
}

fn codex_session_otlp_json() -> Vec<u8> {
    let attr = |k: &str, v: &str| json!({"key": k, "value": {"stringValue": v}});
    json!({"resourceLogs": [{
        "resource": {"attributes": [attr("service.name", "codex_cli_rs"), attr("host.name", HOST), attr("env", "dev")]},
        "scopeLogs": [{"scope": {"name": "codex_otel.log_only"}, "logRecords": [{
            "timeUnixNano": "0",
            "attributes": [
                attr("event.name", "codex.conversation_starts"),
                attr("event.timestamp", "2026-11-23T10:00:00.000Z"),
                attr("conversation.id", "019a-intake-test"),
                attr("originator", "codex-tui"),
                attr("approval_policy", "never"),
                attr("sandbox_policy", "danger-full-access")
            ]
        }]}]
    }]})
    .to_string()
    .into_bytes()
}

fn zeek_dns(i: usize, query: &str) -> serde_json::Value {
    json!({
        "ts": T0 + i as f64, "uid": format!("Cz{i}"), "id.orig_h": HOST_IP, "id.orig_p": 40000 + i,
        "id.resp_h": "10.20.0.2", "id.resp_p": 53, "proto": "udp", "trans_id": 100 + i,
        "query": query, "qclass": 1, "qclass_name": "C_INTERNET", "qtype": 1, "qtype_name": "A",
        "rcode": 0, "rcode_name": "NOERROR", "answers": ["203.0.113.80"], "rejected": false
    })
}

fn osquery_exec(i: usize, cmdline: &str) -> serde_json::Value {
    json!({
        "name": "pack_process_events", "hostIdentifier": HOST, "calendarTime": "Mon Nov 23 10:02:00 2026 UTC",
        "unixTime": T0 as i64 + 60 + i as i64, "epoch": 0, "counter": i, "numerics": false, "action": "added",
        "columns": {"pid": (4000 + i).to_string(), "parent": "3999", "path": "/usr/local/bin/codex",
                    "cmdline": cmdline, "uid": "1000", "cwd": "/home/dev/app"}
    })
}

fn count(serve: &Serve, sql: &str) -> u64 {
    let rows = serve.query(sql);
    rows.first()
        .and_then(|r| r.get("n"))
        .and_then(|v| v.as_u64())
        .unwrap_or_else(|| panic!("{sql}: {}", query::show(&rows)))
}

fn has_rule(name: &'static str) -> impl Fn(&[Row]) -> Result<(), String> {
    move |rows| {
        if rows
            .iter()
            .any(|r| r.get("rule_name").and_then(|v| v.as_str()) == Some(name))
        {
            Ok(())
        } else {
            Err(format!("no {name} alert yet"))
        }
    }
}

#[test]
fn tailed_network_and_process_lines_join_otlp_sessions_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (zeek_dir, lists) = (dir.path().join("zeek"), dir.path().join("lists"));
    std::fs::create_dir_all(&zeek_dir).unwrap();
    std::fs::create_dir_all(&lists).unwrap();
    let dns = zeek_dir.join("dns.log");
    let osq = dir.path().join("osqueryd.results.log");
    std::fs::write(&dns, "").unwrap();
    std::fs::write(&osq, "").unwrap();
    std::fs::write(
        lists.join("host_ips.yml"),
        format!("version: 1\nhosts:\n  {HOST}: [{HOST_IP}]\n"),
    )
    .unwrap();
    let config = dir.path().join("tripline.toml");
    std::fs::write(
        &config,
        format!(
            "[[inputs]]\npath = \"{}/*.log\"\nformat = \"zeek\"\npoll_interval = \"200ms\"\n\n\
             [[inputs]]\npath = \"{}\"\nformat = \"osquery\"\npoll_interval = \"200ms\"\n",
            zeek_dir.display(),
            osq.display()
        ),
    )
    .unwrap();
    let (cfg, lists_arg) = (config.display().to_string(), lists.display().to_string());
    let args = ["--config", cfg.as_str(), "--lists", lists_arg.as_str()];

    // The data dir outlives the first server (its own scratch dir goes with it).
    let data = dir.path().join("data");
    let serve = Serve::start_in(Some(&data), &args);
    let reply = support::http::post(
        serve.http_addr(),
        "/v1/logs",
        &[("Content-Type", "application/json")],
        &codex_session_otlp_json(),
    );
    assert_eq!(
        reply.status,
        200,
        "OTLP export refused: {}\n{}",
        reply.text(),
        serve.log_text()
    );

    append(
        &dns,
        &[
            zeek_dns(0, "github.com"),
            zeek_dns(1, "paste.evil-exfil.example"),
        ],
    );
    // A broken line is reported with its file and line, and skipped.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&dns)
        .unwrap()
        .write_all(b"{\"ts\": 1795428070, \"query\": \n")
        .unwrap();
    let alerts = serve.wait_rows(
        "the egress alert",
        "SELECT rule_name, host_name FROM alerts",
        has_rule("codex_network_session_unusual_egress"),
    );
    support::wait::poll(
        "the broken line to be reported",
        query::ARRIVAL_TIMEOUT,
        || {
            let log = serve.log_text();
            if log.contains("dns.log line 3: ") {
                Ok(())
            } else {
                Err(format!("no report naming dns.log line 3:\n{log}"))
            }
        },
    );
    let egress = alerts
        .iter()
        .find(|r| r["rule_name"] == "codex_network_session_unusual_egress")
        .unwrap();
    assert_eq!(
        egress["host_name"],
        HOST,
        "grouped by the host the address maps to: {}",
        query::show(&alerts)
    );

    append(
        &osq,
        &[
            osquery_exec(
                0,
                "node /usr/local/lib/node_modules/@openai/codex/bin/codex.js",
            ),
            osquery_exec(1, "codex --yolo exec 'clean up the repo'"),
        ],
    );
    serve.wait_rows(
        "the bypass-flag alert",
        "SELECT rule_name FROM alerts",
        has_rule("codex_cli_bypass_flag"),
    );
    // The tailed records are stored with the host the enrichment gave them.
    let zeek_rows = serve.wait_rows(
        "the Zeek events",
        "SELECT host_name FROM events WHERE event LIKE '%evil-exfil%'",
        query::at_least(1),
    );
    assert_eq!(zeek_rows[0]["host_name"], HOST);

    let total = "SELECT count(*) AS n FROM events";
    let alerts_total = "SELECT count(*) AS n FROM alerts";
    // Each line read becomes one event, once.
    serve.wait_rows("all five events", total, move |rows| {
        let n = rows
            .first()
            .and_then(|r| r.get("n"))
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        if n == 5 {
            Ok(())
        } else {
            Err(format!("{n} events, want 1 OTLP + 2 Zeek + 2 osquery"))
        }
    });
    let before_alerts = count(&serve, alerts_total);
    let status = serve.stop();
    assert!(status.success(), "serve exited with {status}");

    // Appended while the server is down: read after the restart, exactly once.
    append(&osq, &[osquery_exec(2, "ls -la /home/dev/app")]);
    let serve = Serve::start_in(Some(&data), &args);
    serve.wait_rows(
        "the line appended during the restart",
        "SELECT id FROM events WHERE event LIKE '%ls -la /home/dev/app%'",
        query::at_least(1),
    );
    // Both files report where they resumed: after their two lines read before the restart.
    support::wait::poll("both inputs to resume", query::ARRIVAL_TIMEOUT, || {
        let log = serve.log_text();
        let ok = log.contains("osqueryd.results.log: resuming at line 3")
            && log.contains("dns.log: resuming at line 4");
        if ok {
            Ok(())
        } else {
            Err(format!("no resume positions reported yet:\n{log}"))
        }
    });
    assert_eq!(
        count(&serve, total),
        6,
        "restart re-stored or skipped lines\n{}",
        serve.log_text()
    );
    assert_eq!(
        count(&serve, alerts_total),
        before_alerts,
        "restart raised alerts again\n{}",
        serve.log_text()
    );
    assert!(
        !serve.log_text().contains("reading it from the first line"),
        "{}",
        serve.log_text()
    );
}

#[test]
fn a_bad_input_config_names_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tripline.toml");
    std::fs::write(
        &config,
        "[[inputs]]\npath = \"/var/log/x.log\"\nformat = \"syslog\"\n",
    )
    .unwrap();
    let mut cmd = support::tools::tripline_command();
    cmd.args([
        "serve",
        "--http",
        "127.0.0.1:0",
        "--grpc",
        "127.0.0.1:0",
        "--config",
    ])
    .arg(&config)
    .arg("--data")
    .arg(dir.path().join("data"));
    let out = support::process::run(
        "tripline serve",
        &mut cmd,
        std::time::Duration::from_secs(60),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "bad config must exit 2: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("tripline.toml")
            && out.stderr.contains("syslog")
            && out.stderr.contains("line 3"),
        "{}",
        out.stderr
    );

    std::fs::write(
        &config,
        "[[inputs]]\npath = \"/var/log/[x.log\"\nformat = \"zeek\"\n",
    )
    .unwrap();
    let out = support::process::run(
        "tripline serve",
        &mut cmd,
        std::time::Duration::from_secs(60),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "bad glob must exit 2: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("inputs[0]") && out.stderr.contains("glob"),
        "{}",
        out.stderr
    );
}
