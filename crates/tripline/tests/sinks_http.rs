//! The HTTP sinks with real consumers and through `tripline serve`:
//!
//! - the `otlp` sink forwards into a second `tripline serve` (a real OTLP/HTTP receiver),
//!   which stores what it got and answers to `tripline query`;
//! - the `webhook` sink verifies a real HTTPS server against `tls.ca_file`;
//! - `[[sinks]]` of type webhook, splunk_hec and elasticsearch in a serve config, each
//!   pointed at a recording server that is down at first (503, or connections dropped),
//!   then answers one 500 and one 429: every stored event and alert revision ends
//!   delivered, nothing else arrives, and no planted secret is in any request.

mod support;

#[path = "../../tripline-sinks/tests/support/recorder.rs"]
// Shared test support: this test uses part of it.
#[allow(dead_code)]
mod recorder;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use recorder::{Recorder, Reply, Request};
use serde_json::json;
use support::planted::{capture, leaks, needles, planted};
use support::query::{at_least, show};
use support::serve::Serve;
use support::wait;
use tripline_sinks::{registry, BuildContext, Outcome, Record, RecordKind};

fn otlp_sink(endpoint: &str) -> Box<dyn tripline_sinks::Sink> {
    let ctx = BuildContext {
        name: "forward".into(),
        data_dir: std::env::temp_dir(),
    };
    let table: toml::Table = toml::from_str(&format!(
        "endpoint = \"{endpoint}\"\nservice_name = \"tripline-edge\""
    ))
    .unwrap();
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
            fields: Default::default(),
        })
        .collect();
    batch.push(Record {
        kind: RecordKind::Alert,
        id: "al-fwd".into(),
        revision: 2,
        time_ms: now,
        agent: "codex".into(),
        body: json!({"id": "al-fwd", "revision": 2, "rule": {"title": "Forwarded alert", "level": "high"}, "count": 3}),
        fields: Default::default(),
    });
    assert_eq!(
        sink.send(&batch)
            .unwrap_or_else(|e| panic!("{e}\n{}", downstream.log_text())),
        Outcome::all_delivered()
    );

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
        assert_eq!(
            row["agent"], "codex",
            "the agent is inferred from the event name"
        );
        assert_eq!(row["kind"], "event");
        assert_eq!(row["tool"], "exec_command");
        assert_eq!(row["ms"], 10 + i as i64, "integers stay integers");
    }
}

/// Kills the child when dropped, so a failed assertion leaves no server behind.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        support::process::terminate(&mut self.0, Duration::from_secs(5));
    }
}

#[test]
fn tls_server_is_verified_against_the_configured_ca() {
    let Some(found) = support::tools::require(
        "tls_server_is_verified_against_the_configured_ca",
        &[support::tools::Tool::Python3],
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = support::certs::Pki::new(dir.path(), "webhook");
    let server_pair = pki.server();
    let (ca, cert, key) = (pki.ca_pem(), server_pair.cert, server_pair.key);
    let port_file = dir.path().join("port");
    let server = std::process::Command::new(found.path(support::tools::Tool::Python3))
        .arg(support::tools::support_script("tls_server.py"))
        .args([&cert, &key, &port_file])
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("start tls_server.py");
    let mut server = KillOnDrop(server);
    let port = support::wait::poll(
        "tls_server.py to listen",
        std::time::Duration::from_secs(20),
        || {
            if let Ok(Some(status)) = server.0.try_wait() {
                panic!("tls_server.py exited with {status}");
            }
            std::fs::read_to_string(&port_file)
                .map_err(|e| e.to_string())?
                .trim()
                .parse::<u16>()
                .map_err(|e| e.to_string())
        },
    );
    let url = format!("https://127.0.0.1:{port}/hook");
    let build = |tls: &str| {
        let ctx = BuildContext {
            name: "tls".into(),
            data_dir: dir.path().into(),
        };
        let table: toml::Table =
            toml::from_str(&format!("url = \"{url}\"\ntls = {{ {tls} }}")).unwrap();
        registry::build("webhook", &ctx, &table).unwrap_or_else(|e| panic!("{e}"))
    };
    let batch = [Record {
        kind: RecordKind::Event,
        id: "e".into(),
        revision: 1,
        time_ms: 0,
        agent: "codex".into(),
        body: json!({}),
        fields: Default::default(),
    }];

    // The built-in roots do not know this certificate: refused, and retryable.
    let e = build("").send(&batch).unwrap_err();
    assert!(e.is_retryable(), "{e}");
    // Trusting the CA file: delivered over TLS.
    let ca = format!("ca_file = \"{}\"", ca.display());
    assert_eq!(build(&ca).send(&batch).unwrap(), Outcome::all_delivered());
    // Skipping verification: delivered too.
    assert_eq!(
        build("insecure_skip_verify = true").send(&batch).unwrap(),
        Outcome::all_delivered()
    );
    let answered = std::fs::read_to_string(dir.path().join("port.count")).unwrap_or_default();
    assert_eq!(
        answered.trim(),
        "2",
        "the server answered exactly the two trusted requests"
    );
}

// ------------------------------------------------------------ end to end through serve

/// How long delivery may take to catch up after the destinations are restored (backoff is
/// capped at 1 s in the test config; the rest is a loaded machine's slack).
const CATCH_UP: Duration = Duration::from_secs(120);

/// `(id, revision)` of every record in one request of the given sink type.
fn delivered(kind: &str, r: &Request) -> Vec<(String, u64)> {
    let text = r.text();
    match kind {
        "webhook" => serde_json::from_str::<Vec<serde_json::Value>>(&text)
            .unwrap_or_else(|e| panic!("webhook body is a JSON array ({e}): {text}"))
            .iter()
            .map(|i| {
                (
                    i["id"].as_str().unwrap().to_owned(),
                    i["revision"].as_u64().unwrap(),
                )
            })
            .collect(),
        "splunk_hec" => serde_json::Deserializer::from_str(&text)
            .into_iter::<serde_json::Value>()
            .map(|e| {
                let e = e.unwrap();
                let f = &e["fields"];
                (
                    f["tripline_id"].as_str().unwrap().to_owned(),
                    f["tripline_revision"].as_str().unwrap().parse().unwrap(),
                )
            })
            .collect(),
        "elasticsearch" => text
            .lines()
            .step_by(2)
            .map(|action| {
                let a: serde_json::Value = serde_json::from_str(action).unwrap();
                let id = a["create"]["_id"].as_str().unwrap();
                let (id, rev) = id.rsplit_once('.').unwrap();
                (id.to_owned(), rev.parse().unwrap())
            })
            .collect(),
        other => unreachable!("{other}"),
    }
}

/// The answer of a healthy destination of each type.
fn healthy(r: &Request) -> Reply {
    match r.path() {
        "/_bulk" => {
            let n = r.text().lines().count() / 2;
            let items: Vec<serde_json::Value> =
                (0..n).map(|_| json!({"create": {"status": 201}})).collect();
            Reply::status(
                200,
                &json!({"took": 1, "errors": false, "items": items}).to_string(),
            )
        }
        "/services/collector/event" => Reply::status(200, r#"{"text":"Success","code":0}"#),
        _ => Reply::ok(),
    }
}

#[test]
fn serve_delivers_every_record_through_errors_and_an_outage_without_secrets() {
    let secrets = planted();
    let needles = needles(&secrets);
    // One destination per sink type, each down from the start: 503 for two, connections
    // dropped without an answer for the third. After the outage each still answers one
    // 500 and one 429 (Retry-After: 1) before it is healthy.
    let sinks: Vec<(&str, Recorder)> = ["webhook", "splunk_hec", "elasticsearch"]
        .into_iter()
        .map(|kind| {
            let rec = Recorder::with_fallback(healthy);
            rec.push(Reply::status(
                500,
                "{\"text\":\"Internal server error\",\"code\":8}",
            ));
            rec.push(Reply::retry_after(429, 1));
            rec.outage(if kind == "splunk_hec" {
                Reply::Drop
            } else {
                Reply::status(503, "{}")
            });
            (kind, rec)
        })
        .collect();

    let scratch = tempfile::tempdir().unwrap();
    let config = scratch.path().join("tripline.toml");
    let common = "receive = [\"alerts\", \"events\"]\nbatch_size = 20\nmax_attempts = 100\nbackoff_initial = \"100ms\"\nbackoff_max = \"1s\"\n";
    std::fs::write(
        &config,
        format!(
            "[redaction]\nidentifier = \"pseudonymize\"\nkey_file = \"{key}\"\n\n\
             [[sinks]]\nname = \"hook\"\ntype = \"webhook\"\n{common}url = \"{hook}/hook\"\nsecret = \"s3cret\"\n\n\
             [[sinks]]\nname = \"splunk\"\ntype = \"splunk_hec\"\nformat = \"ocsf\"\n{common}url = \"{hec}\"\ntoken = \"t\"\n\n\
             [[sinks]]\nname = \"elastic\"\ntype = \"elasticsearch\"\nformat = \"ecs\"\n{common}url = \"{es}\"\n",
            key = scratch.path().join("hmac.key").display(),
            hook = sinks[0].1.url(),
            hec = sinks[1].1.url(),
            es = sinks[2].1.url(),
        ),
    )
    .unwrap();
    let serve = Serve::start_with(&["--config", config.to_str().unwrap()]);
    let status = support::http::post(
        serve.http_addr(),
        "/v1/logs",
        &[("Content-Type", "application/x-protobuf")],
        &capture(&secrets),
    )
    .status;
    assert_eq!(status, 200, "{}", serve.log_text());

    // What the sinks owe: every stored event, and every stored alert at its revision.
    let events = serve.wait_rows(
        "the capture's events",
        "SELECT id FROM events",
        at_least(secrets.len()),
    );
    let alerts = serve.query("SELECT id, revision FROM alerts");
    assert!(
        !alerts.is_empty(),
        "the planted secrets raise alerts\n{}",
        serve.log_text()
    );
    let want_events: BTreeSet<String> = events
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let want_alerts: BTreeMap<String, u64> = alerts
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["revision"].as_u64().unwrap(),
            )
        })
        .collect();

    // During the outage every sink keeps retrying.
    for (kind, rec) in &sinks {
        wait::poll(
            &format!("{kind} retrying during the outage"),
            CATCH_UP,
            || {
                let n = rec.requests().len();
                if n >= 3 {
                    Ok(())
                } else {
                    Err(format!("{n} attempts"))
                }
            },
        );
    }
    for (_, rec) in &sinks {
        rec.restore();
    }

    for (kind, rec) in &sinks {
        let got = wait::poll(&format!("{kind} to deliver every record"), CATCH_UP, || {
            let mut got: BTreeMap<(String, u64), usize> = BTreeMap::new();
            // Only requests the destination accepted count as delivered.
            for r in rec.requests().iter().filter(|r| r.answer == Some(200)) {
                for key in delivered(kind, r) {
                    *got.entry(key).or_default() += 1;
                }
            }
            let ids: BTreeSet<&String> = got.keys().map(|(id, _)| id).collect();
            let missing_events = want_events.iter().filter(|id| !ids.contains(id)).count();
            let missing_alerts = want_alerts
                .iter()
                .filter(|(id, rev)| !got.contains_key(&((*id).clone(), **rev)))
                .count();
            if missing_events == 0 && missing_alerts == 0 {
                Ok(got)
            } else {
                Err(format!(
                    "{missing_events} events and {missing_alerts} alerts not delivered yet\n{}",
                    serve.log_text()
                ))
            }
        });
        // Nothing but owed records arrived, and dedup on (id, revision) leaves one of each.
        let unknown: Vec<_> = got
            .keys()
            .filter(|(id, _)| !want_events.contains(id) && !want_alerts.contains_key(id))
            .collect();
        assert!(
            unknown.is_empty(),
            "{kind} got records the store does not hold: {unknown:?}"
        );
        let copies: usize = got.values().sum();
        eprintln!(
            "{kind}: {} records delivered, {copies} copies before dedup on (id, revision)",
            got.len()
        );
        for (id, rev) in &want_alerts {
            assert!(
                got.keys().filter(|(i, _)| i == id).all(|(_, r)| r <= rev),
                "{kind}: alert {id} revisions beyond {rev}"
            );
        }
        // The first attempts met the outage, then one 500 and one 429; each was retried.
        let answers: Vec<Option<u16>> = rec.requests().iter().map(|r| r.answer).collect();
        let outage = if *kind == "splunk_hec" {
            None
        } else {
            Some(503)
        };
        let first_ok = answers
            .iter()
            .position(|a| *a == Some(200))
            .expect("a success");
        assert!(first_ok >= 5, "{kind}: {answers:?}");
        assert!(
            answers[..first_ok - 2].iter().all(|a| *a == outage),
            "{kind}: {answers:?}"
        );
        assert_eq!(
            &answers[first_ok - 2..first_ok],
            &[Some(500), Some(429)],
            "{kind}: {answers:?}"
        );
        // No planted secret in any request: target, headers or body.
        for r in rec.requests() {
            let mut bytes = r.target.clone().into_bytes();
            for (k, v) in &r.headers {
                bytes.extend_from_slice(format!("{k}: {v}\n").as_bytes());
            }
            bytes.extend_from_slice(&r.body);
            let found = leaks(&bytes, &needles);
            assert!(
                found.is_empty(),
                "{kind}: {} {} leaks {found:?}",
                r.method,
                r.target
            );
        }
    }
}
