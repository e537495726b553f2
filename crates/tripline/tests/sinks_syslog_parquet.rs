//! The syslog and Parquet sinks against their real consumers: an rsyslogd started by the
//! test (UDP, TCP, TLS with and without a client certificate; JSON and CEF payloads) must
//! parse every header field and structured-data parameter; DuckDB must read the Parquet
//! lake back with the right rows, schema and Hive partition columns. And end to end: OTLP
//! into `tripline serve` with both sinks configured, planted secrets absent from both.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use support::planted;
use support::rsyslog::Rsyslog;
use support::serve::Serve;
use support::tools::{self, Tool};
use tripline_sinks::record_fields::RecordFields;
use tripline_sinks::{registry, BuildContext, Record, RecordKind, Sink};

const TEN: i64 = 1_795_168_802_123; // 2026-11-20T10:00:02.123Z

fn build(kind: &str, data_dir: &Path, options: &str) -> Box<dyn Sink> {
    let ctx = BuildContext {
        name: format!("test-{kind}"),
        data_dir: data_dir.to_path_buf(),
    };
    let table: toml::Table = options.parse().expect("options TOML");
    registry::build(kind, &ctx, &table).unwrap_or_else(|e| panic!("build {kind}: {e}"))
}

fn alert(id: &str, agent: &str, time_ms: i64, level: &str) -> Record {
    Record {
        kind: RecordKind::Alert,
        id: id.into(),
        revision: 2,
        time_ms,
        agent: agent.into(),
        body: json!({
            "id": id,
            "revision": 2,
            "rule": {"id": "r-7", "name": "codex_rule\"with]odd\\chars", "title": "Odd | title", "level": level},
            "agent": agent,
            "group": {"conversation_id": "conv-1", "host_name": "dev-laptop-7", "user_email": "anon:5f2c"},
            "summary": "sandbox off = risky\nsecond line",
        }),
        fields: RecordFields {
            rule_id: Some("r-7".into()),
            rule_name: Some("codex_rule\"with]odd\\chars".into()),
            rule_title: Some("Odd | title".into()),
            rule_level: Some(level.into()),
            conversation_id: Some("conv-1".into()),
            host_name: Some("dev-laptop-7".into()),
            user_email: Some("anon:5f2c".into()),
            summary: Some("sandbox off = risky\nsecond line".into()),
            ..Default::default()
        },
    }
}

fn event(id: &str, agent: &str, time_ms: i64) -> Record {
    Record {
        kind: RecordKind::Event,
        id: id.into(),
        revision: 1,
        time_ms,
        agent: agent.into(),
        body: json!({"id": id, "event_name": "codex.tool_result", "agent": agent, "conversation_id": "conv-2", "output": "ok"}),
        fields: RecordFields {
            event_name: Some("codex.tool_result".into()),
            conversation_id: Some("conv-2".into()),
            ..Default::default()
        },
    }
}

/// Splits a CEF line into its 7 header fields and its extension map, undoing the escapes.
fn parse_cef(line: &str) -> (Vec<String>, BTreeMap<String, String>) {
    let chars: Vec<char> = line.chars().collect();
    let mut header = Vec::new();
    let mut field = String::new();
    let mut i = 0;
    while i < chars.len() && header.len() < 7 {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                field.push(chars[i + 1]);
                i += 1;
            }
            '|' => header.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
        i += 1;
    }
    let ext: Vec<char> = chars[i..].to_vec();
    // Unescaped `=` signs mark keys: the key is the word before it.
    let mut equals = Vec::new();
    let mut j = 0;
    while j < ext.len() {
        match ext[j] {
            '\\' => j += 1,
            '=' => equals.push(j),
            _ => {}
        }
        j += 1;
    }
    let key_start = |eq: usize| {
        ext[..eq]
            .iter()
            .rposition(|c| *c == ' ')
            .map_or(0, |p| p + 1)
    };
    let mut map = BTreeMap::new();
    for (k, &eq) in equals.iter().enumerate() {
        let key: String = ext[key_start(eq)..eq].iter().collect();
        let end = equals
            .get(k + 1)
            .map_or(ext.len(), |&next| key_start(next).saturating_sub(1));
        let mut value = String::new();
        let mut m = eq + 1;
        while m < end {
            match (ext[m], ext.get(m + 1)) {
                ('\\', Some('n')) => {
                    value.push('\n');
                    m += 1;
                }
                ('\\', Some('r')) => {
                    value.push('\r');
                    m += 1;
                }
                ('\\', Some(c)) => {
                    value.push(*c);
                    m += 1;
                }
                (c, _) => value.push(c),
            }
            m += 1;
        }
        map.insert(key, value);
    }
    (header, map)
}

/// What rsyslog parsed must be what was sent.
fn check_message(got: &Value, record: &Record, payload: &str) {
    let alert = record.kind == RecordKind::Alert;
    let severity = if alert { 3 } else { 6 }; // high → Error; events → Informational
    let facility = 20; // local4
    assert_eq!(got["facility"], facility.to_string(), "{got}");
    assert_eq!(got["severity"], severity.to_string(), "{got}");
    assert_eq!(got["pri"], (facility * 8 + severity).to_string(), "{got}");
    assert_eq!(got["timestamp"], "2026-11-20T10:00:02.123Z", "{got}");
    assert_eq!(got["hostname"], "collector-test-host", "{got}");
    assert_eq!(got["app_name"], "tripline", "{got}");
    assert_eq!(got["procid"], std::process::id().to_string(), "{got}");
    assert_eq!(got["msgid"], record.kind.as_str(), "{got}");
    let sd: Value = serde_json::from_str(got["sd"].as_str().expect("sd text"))
        .unwrap_or_else(|e| panic!("mmpstrucdata output ({e}): {got}"));
    let params = &sd["tripline@32473"];
    assert_eq!(params["id"], record.id, "{got}");
    assert_eq!(params["revision"], record.revision.to_string(), "{got}");
    assert_eq!(params["agent"], record.agent, "{got}");
    if alert {
        assert_eq!(
            params["rule"], "codex_rule\"with]odd\\chars",
            "escaped SD value round-trips: {got}"
        );
        assert_eq!(params["level"], "high", "{got}");
        assert_eq!(params["conversation"], "conv-1", "{got}");
    } else {
        assert_eq!(params["event"], "codex.tool_result", "{got}");
    }
    let msg = got["msg"].as_str().expect("msg");
    if payload == "json" {
        let body: Value =
            serde_json::from_str(msg).unwrap_or_else(|e| panic!("MSG is not JSON ({e}): {msg}"));
        assert_eq!(body, record.body);
        return;
    }
    let (header, ext) = parse_cef(msg);
    assert_eq!(&header[..3], ["CEF:0", "tripline", "tripline"], "{msg}");
    assert_eq!(ext["rt"], record.time_ms.to_string(), "{msg}");
    assert_eq!(ext["externalId"], record.id, "{msg}");
    assert_eq!(ext["cs1Label"], "agent");
    assert_eq!(ext["cs1"], record.agent);
    if alert {
        assert_eq!(header[4], "codex_rule\"with]odd\\chars", "{msg}");
        assert_eq!(header[5], "Odd | title", "{msg}");
        assert_eq!(header[6], "8", "high → 8: {msg}");
        assert_eq!(ext["cs2"], "codex_rule\"with]odd\\chars");
        assert_eq!(ext["dhost"], "dev-laptop-7");
        assert_eq!(ext["suser"], "anon:5f2c");
        assert_eq!(ext["msg"], "sandbox off = risky\nsecond line");
        assert_eq!(ext["cn1"], "2");
    } else {
        assert_eq!(header[4], "codex.tool_result", "{msg}");
        assert_eq!(header[6], "1", "{msg}");
        assert_eq!(ext["cs5"], "codex.tool_result");
        assert_eq!(ext["cs4"], "conv-2");
    }
}

#[test]
fn syslog_messages_parse_in_rsyslog_over_udp_tcp_and_tls() {
    let Some(found) = tools::require(
        "syslog_messages_parse_in_rsyslog",
        &[Tool::Rsyslogd, Tool::RsyslogGnutls],
    ) else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let pki = support::certs::Pki::new(scratch.path(), "rsyslog");
    let (ca, server) = (pki.ca_pem(), pki.server());
    let client_pair = pki.client("tripline-client");
    let rsyslog = Rsyslog::start(found.path(Tool::Rsyslogd), Some((&ca, &server)));
    let ports = &rsyslog.ports;
    let common = "facility = \"local4\"\nhostname = \"collector-test-host\"\n";
    let tls = format!(
        "transport = \"tls\"\nca_file = \"{}\"\nserver_name = \"localhost\"\n",
        ca.display()
    );
    let client = format!(
        "client_cert_file = \"{}\"\nclient_key_file = \"{}\"\n",
        client_pair.cert.display(),
        client_pair.key.display()
    );
    let cases = [
        (
            "udp",
            "json",
            format!(
                "address = \"127.0.0.1:{}\"\ntransport = \"udp\"\n",
                ports.udp
            ),
        ),
        (
            "tcp",
            "json",
            format!(
                "address = \"127.0.0.1:{}\"\ntransport = \"tcp\"\n",
                ports.tcp
            ),
        ),
        (
            "tls",
            "cef",
            format!(
                "address = \"127.0.0.1:{}\"\n{tls}payload = \"cef\"\n",
                ports.tls.unwrap()
            ),
        ),
        (
            "tls_client_auth",
            "json",
            format!(
                "address = \"127.0.0.1:{}\"\n{tls}{client}",
                ports.tls_client_auth.unwrap()
            ),
        ),
    ];
    let records = [
        alert("al-1", "codex", TEN, "high"),
        event("ev-1", "codex", TEN),
        event("ev-2", "gemini_cli", TEN),
    ];
    for (input, payload, options) in &cases {
        let mut sink = build("syslog", scratch.path(), &format!("{common}{options}"));
        sink.send(&records)
            .unwrap_or_else(|e| panic!("{input}: {e}\n{}", rsyslog.log_text()));
        sink.flush().unwrap();
        let got = rsyslog.wait_messages(input, records.len());
        assert_eq!(got.len(), records.len(), "{input}: {got:#?}");
        for record in &records {
            let message = got
                .iter()
                .find(|m| {
                    m["structured_data"]
                        .as_str()
                        .is_some_and(|sd| sd.contains(&format!("id=\"{}\"", record.id)))
                })
                .unwrap_or_else(|| panic!("{input}: no message for {}: {got:#?}", record.id));
            check_message(message, record, payload);
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    planted::files_under(dir, &mut out);
    out
}

#[test]
fn parquet_lake_reads_back_in_duckdb() {
    let Some(found) = tools::require("parquet_lake_reads_back_in_duckdb", &[Tool::Duckdb]) else {
        return;
    };
    let python = found.path(Tool::Duckdb);
    let scratch = tempfile::tempdir().unwrap();
    let lake = scratch.path().join("lake");
    let mut sink = build(
        "parquet",
        scratch.path(),
        &format!("dir = \"{}\"", lake.display()),
    );
    let eleven = TEN + 3_600_000;
    let next_day = TEN + 24 * 3_600_000;
    let mut batch = Vec::new();
    for n in 0..40 {
        batch.push(event(&format!("ev-{n}"), "codex", TEN));
    }
    for n in 0..15 {
        batch.push(event(&format!("ev-c-{n}"), "claude_code", eleven));
    }
    for n in 0..5 {
        batch.push(alert(&format!("al-{n}"), "codex", next_day, "high"));
    }
    // Two batches, two flushes: two files in the codex hour-10 partition.
    sink.send(&batch[..20]).unwrap();
    sink.flush().unwrap();
    sink.send(&batch[20..]).unwrap();
    sink.flush().unwrap();
    drop(sink);

    let files = files_under(&lake);
    assert!(
        files
            .iter()
            .all(|f| f.extension().is_some_and(|e| e == "parquet")
                && !f.file_name().unwrap().to_string_lossy().starts_with('.')),
        "only published files: {files:?}"
    );
    let source = format!(
        "read_parquet('{}/**/*.parquet', hive_partitioning = true)",
        lake.display()
    );

    let groups = support::duckdb::query(
        python,
        &format!("SELECT kind, agent, CAST(date AS VARCHAR) AS date, hour, count(*) AS n, count(DISTINCT id) AS ids FROM {source} GROUP BY ALL ORDER BY ALL"),
    );
    let expected = [
        json!({"kind": "alert", "agent": "codex", "date": "2026-11-21", "hour": 10, "n": 5, "ids": 5}),
        json!({"kind": "event", "agent": "claude_code", "date": "2026-11-20", "hour": 11, "n": 15, "ids": 15}),
        json!({"kind": "event", "agent": "codex", "date": "2026-11-20", "hour": 10, "n": 40, "ids": 40}),
    ];
    assert_eq!(groups, expected);

    let columns = support::duckdb::query(
        python,
        &format!("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})"),
    );
    let columns: Vec<(String, String)> = columns
        .iter()
        .map(|c| {
            (
                c["column_name"].as_str().unwrap().to_owned(),
                c["column_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("id", "VARCHAR"),
        ("revision", "BIGINT"),
        ("time", "TIMESTAMP WITH TIME ZONE"),
        ("event_name", "VARCHAR"),
        ("rule_name", "VARCHAR"),
        ("rule_level", "VARCHAR"),
        ("conversation_id", "VARCHAR"),
        ("host_name", "VARCHAR"),
        ("user_email", "VARCHAR"),
        ("record", "JSON"),
        ("agent", "VARCHAR"),
        ("date", "DATE"),
        ("hour", "BIGINT"),
        ("kind", "VARCHAR"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(columns, expected);

    let alerts = support::duckdb::query(
        python,
        &format!(
            "SELECT id, revision, epoch_ms(time) AS ms, rule_name, rule_level, host_name, user_email, event_name, \
             json_extract_string(record, '$.summary') AS summary FROM {source} WHERE kind = 'alert' ORDER BY id LIMIT 1"
        ),
    );
    assert_eq!(
        alerts,
        [json!({
            "id": "al-0", "revision": 2, "ms": next_day, "rule_name": "codex_rule\"with]odd\\chars", "rule_level": "high",
            "host_name": "dev-laptop-7", "user_email": "anon:5f2c", "event_name": null, "summary": "sandbox off = risky\nsecond line",
        })]
    );
    let files_per_partition = support::duckdb::query(
        python,
        &format!("SELECT count(DISTINCT filename) AS files FROM read_parquet('{}/kind=event/agent=codex/**/*.parquet', filename = true)", lake.display()),
    );
    assert_eq!(
        files_per_partition,
        [json!({"files": 2})],
        "one file per flush"
    );
}

/// End to end: real OTLP (a Codex-shaped capture with planted secrets) into `tripline serve`
/// with a syslog sink (TCP, JSON) to rsyslog and a Parquet sink read by DuckDB. Every stored
/// event and alert reaches both, with its fields intact, and no planted secret does.
#[test]
fn serve_routes_alerts_and_events_to_rsyslog_and_the_lake_without_secrets() {
    let Some(found) = tools::require(
        "serve_routes_to_rsyslog_and_the_lake",
        &[Tool::Rsyslogd, Tool::Duckdb],
    ) else {
        return;
    };
    let python = found.path(Tool::Duckdb);
    let rsyslog = Rsyslog::start(found.path(Tool::Rsyslogd), None);
    let scratch = tempfile::tempdir().unwrap();
    let lake = scratch.path().join("lake");
    let config = scratch.path().join("tripline.toml");
    std::fs::write(
        &config,
        format!(
            "[redaction]\nidentifier = \"pseudonymize\"\nkey_file = \"{key}\"\n\n\
             [[sinks]]\nname = \"siem\"\ntype = \"syslog\"\nreceive = [\"alerts\", \"events\"]\n\
             address = \"127.0.0.1:{port}\"\ntransport = \"tcp\"\nhostname = \"collector-test-host\"\nfacility = \"local4\"\n\n\
             [[sinks]]\nname = \"lake\"\ntype = \"parquet\"\nreceive = [\"alerts\", \"events\"]\ndir = \"{lake}\"\ncompression = \"none\"\n",
            key = scratch.path().join("hmac.key").display(),
            port = rsyslog.ports.tcp,
            lake = lake.display(),
        ),
    )
    .unwrap();
    let secrets = planted::planted();
    let serve = Serve::start_with(&["--config", config.to_str().unwrap()]);
    let status = support::http::post(
        serve.http_addr(),
        "/v1/logs",
        &[("Content-Type", "application/x-protobuf")],
        &planted::capture(&secrets),
    )
    .status;
    assert_eq!(status, 200, "{}", serve.log_text());

    let stored = serve.query(
        "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM alerts) AS alerts",
    );
    let events = stored[0]["events"].as_u64().unwrap() as usize;
    let alerts = stored[0]["alerts"].as_u64().unwrap() as usize;
    assert!(
        events > secrets.len() && alerts >= 2,
        "stored {events} events, {alerts} alerts"
    );

    // syslog: every stored record, parsed by rsyslog (at least once: deduplicate on id and
    // revision; an alert id may come in several revisions).
    let distinct = |messages: &[Value], msgid: &str| -> usize {
        let mut keys: Vec<(String, String)> = messages
            .iter()
            .filter(|m| m["msgid"] == msgid)
            .map(|m| {
                let sd: Value =
                    serde_json::from_str(m["sd"].as_str().unwrap_or("{}")).unwrap_or(Value::Null);
                let p = &sd["tripline@32473"];
                (
                    p["id"].as_str().unwrap_or("").to_owned(),
                    if msgid == "alert" {
                        String::new()
                    } else {
                        p["revision"].to_string()
                    },
                )
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys.len()
    };
    let messages = support::wait::poll(
        "rsyslog to receive every stored record",
        std::time::Duration::from_secs(60),
        || {
            let got = rsyslog.messages("tcp");
            if distinct(&got, "event") == events && distinct(&got, "alert") == alerts {
                Ok(got)
            } else {
                Err(format!(
                    "{} events, {} alerts so far\n{}",
                    distinct(&got, "event"),
                    distinct(&got, "alert"),
                    serve.log_text()
                ))
            }
        },
    );
    let mut rules = Vec::new();
    for m in &messages {
        assert_eq!(m["app_name"], "tripline", "{m}");
        assert_eq!(m["hostname"], "collector-test-host", "{m}");
        let body: Value = serde_json::from_str(m["msg"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("MSG is not JSON ({e}): {m}"));
        let sd: Value = serde_json::from_str(m["sd"].as_str().unwrap()).unwrap();
        assert_eq!(sd["tripline@32473"]["id"], body["id"], "{m}");
        if m["msgid"] == "alert" {
            rules.push(body["rule"]["name"].as_str().unwrap().to_owned());
            assert_eq!(sd["tripline@32473"]["rule"], body["rule"]["name"], "{m}");
        } else {
            assert_eq!(m["msgid"], "event", "{m}");
            assert_eq!(m["severity"], "6", "{m}");
        }
    }
    assert!(
        rules
            .iter()
            .any(|r| r == "codex_sensitive_tool_output_exported"),
        "{rules:?}"
    );

    // Parquet: the same records, read back by DuckDB with partitions.
    let source = format!(
        "read_parquet('{}/**/*.parquet', hive_partitioning = true)",
        lake.display()
    );
    let expected = json!([
        {"kind": "alert", "agent": "codex", "date": "2026-11-20", "n": alerts},
        {"kind": "event", "agent": "codex", "date": "2026-11-20", "n": events},
    ]);
    support::wait::poll(
        "the lake to hold every stored record",
        std::time::Duration::from_secs(60),
        || {
            if !lake.is_dir() {
                return Err("no lake yet".into());
            }
            let got = support::duckdb::query(
            python,
            &format!("SELECT kind, agent, CAST(date AS VARCHAR) AS date, count(DISTINCT id) AS n FROM {source} GROUP BY ALL ORDER BY ALL"),
        );
            if Value::Array(got.clone()) == expected {
                Ok(())
            } else {
                Err(format!("{got:?}"))
            }
        },
    );

    // No planted secret in rsyslog's output or in the lake's files (written uncompressed, so
    // the bytes searched are the values stored).
    let needles = planted::needles(&secrets);
    let found = planted::leaks(&rsyslog.output_bytes(), &needles);
    assert!(found.is_empty(), "rsyslog received plaintext: {found:?}");
    for file in files_under(&lake) {
        let found = planted::leaks(&std::fs::read(&file).unwrap(), &needles);
        assert!(
            found.is_empty(),
            "{} holds plaintext: {found:?}",
            file.display()
        );
    }
    assert!(serve.stop().success());
}
