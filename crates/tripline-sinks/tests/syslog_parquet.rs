//! The syslog and Parquet sinks against in-process peers: a TCP listener, a UDP socket and a
//! rustls server that requires a client certificate (syslog); the `parquet` crate's own
//! reader (Parquet). The real consumers, rsyslog and DuckDB, are driven by
//! `crates/tripline/tests/sinks_syslog_parquet.rs`.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::RowAccessor;
use serde_json::json;
use support::certs::{Pair, Pki};
use tripline_sinks::record_fields::RecordFields;
use tripline_sinks::{registry, BuildContext, Record, RecordKind, Sink};

const WAIT: Duration = Duration::from_secs(30);

fn ctx(dir: &Path) -> BuildContext {
    BuildContext {
        name: "lake".into(),
        data_dir: dir.to_path_buf(),
    }
}

fn options(text: &str) -> toml::Table {
    text.parse().expect("options TOML")
}

fn build(kind: &str, dir: &Path, text: &str) -> Box<dyn Sink> {
    registry::build(kind, &ctx(dir), &options(text)).unwrap_or_else(|e| panic!("build {kind}: {e}"))
}

fn build_err(kind: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    match registry::build(kind, &ctx(dir.path()), &options(text)) {
        Ok(_) => panic!("{kind} {text:?} should not build"),
        Err(e) => e.to_string(),
    }
}

fn alert(n: u32, time_ms: i64, agent: &str) -> Record {
    Record {
        kind: RecordKind::Alert,
        id: format!("alert-{n}"),
        revision: 1 + u64::from(n % 2),
        time_ms,
        agent: agent.into(),
        body: json!({
            "id": format!("alert-{n}"),
            "rule": {"id": "r-1", "name": "codex_sandbox_disabled", "title": "Sandbox | disabled", "level": "high"},
            "group": {"conversation_id": format!("conv-{n}"), "host_name": "dev-1", "user_email": "anon:abc"},
            "summary": "sandbox off = risky\nsecond line",
        }),
        fields: RecordFields {
            rule_id: Some("r-1".into()),
            rule_name: Some("codex_sandbox_disabled".into()),
            rule_title: Some("Sandbox | disabled".into()),
            rule_level: Some("high".into()),
            conversation_id: Some(format!("conv-{n}")),
            host_name: Some("dev-1".into()),
            user_email: Some("anon:abc".into()),
            summary: Some("sandbox off = risky\nsecond line".into()),
            ..Default::default()
        },
    }
}

fn event(n: u32, time_ms: i64, agent: &str) -> Record {
    Record {
        kind: RecordKind::Event,
        id: format!("event-{n}"),
        revision: 1,
        time_ms,
        agent: agent.into(),
        body: json!({"id": format!("event-{n}"), "event_name": "codex.tool_result", "conversation_id": "conv-e", "output": "x".repeat(200)}),
        fields: RecordFields {
            event_name: Some("codex.tool_result".into()),
            conversation_id: Some("conv-e".into()),
            ..Default::default()
        },
    }
}

/// Reads octet-counted frames (`LEN SP MSG`) until EOF.
fn read_frames(stream: impl Read) -> Vec<String> {
    let mut reader = BufReader::new(stream);
    let mut out = Vec::new();
    loop {
        let mut len = Vec::new();
        match reader.read_until(b' ', &mut len) {
            Ok(0) | Err(_) => return out,
            Ok(_) => {}
        }
        let Ok(n) = String::from_utf8_lossy(&len).trim().parse::<usize>() else {
            return out;
        };
        let mut msg = vec![0u8; n];
        if reader.read_exact(&mut msg).is_err() {
            return out;
        }
        out.push(String::from_utf8(msg).expect("UTF-8 message"));
    }
}

/// The structured-data element's params, parsed per RFC 5424 (escapes undone).
fn sd_params(message: &str) -> Vec<(String, String)> {
    let start = message
        .find("[tripline@32473")
        .expect("tripline SD element");
    let mut rest = message[start + "[tripline@32473".len()..]
        .chars()
        .peekable();
    let mut out = Vec::new();
    loop {
        match rest.next() {
            Some(']') | None => return out,
            Some(' ') => {}
            Some(c) => {
                let mut name = String::from(c);
                for c in rest.by_ref() {
                    if c == '=' {
                        break;
                    }
                    name.push(c);
                }
                assert_eq!(rest.next(), Some('"'));
                let mut value = String::new();
                while let Some(c) = rest.next() {
                    match c {
                        '\\' => value.push(rest.next().unwrap()),
                        '"' => break,
                        c => value.push(c),
                    }
                }
                out.push((name, value));
            }
        }
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn tcp_frames_and_reconnects_after_the_collector_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    let server = std::thread::spawn(move || {
        // First connection: read two frames, then close it. Second: read to EOF.
        for round in 0..2 {
            let (stream, _) = listener.accept().unwrap();
            let frames = if round == 0 {
                let mut reader = BufReader::new(stream);
                let mut got = Vec::new();
                while got.len() < 2 {
                    let mut len = Vec::new();
                    reader.read_until(b' ', &mut len).unwrap();
                    let n: usize = String::from_utf8_lossy(&len).trim().parse().unwrap();
                    let mut msg = vec![0u8; n];
                    reader.read_exact(&mut msg).unwrap();
                    got.push(String::from_utf8(msg).unwrap());
                }
                got
            } else {
                read_frames(stream)
            };
            tx.send(frames).unwrap();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut sink = build(
        "syslog",
        dir.path(),
        &format!("address = \"{addr}\"\ntransport = \"tcp\"\nhostname = \"h1\""),
    );
    let t = 1_795_168_802_000;
    sink.send(&[alert(1, t, "codex"), event(2, t, "codex")])
        .expect("first batch");
    let first = rx.recv_timeout(WAIT).expect("first connection's frames");
    // The collector closed the first connection; the next batch must not vanish into it.
    sink.send(&[alert(3, t, "codex"), event(4, t, "codex")])
        .expect("second batch after a reconnect");
    sink.flush().unwrap();
    drop(sink);
    let second = rx.recv_timeout(WAIT).expect("second connection's frames");
    server.join().unwrap();
    let all: Vec<String> = first.into_iter().chain(second).collect();
    assert_eq!(all.len(), 4, "{all:#?}");
    for (message, id) in all.iter().zip(["alert-1", "event-2", "alert-3", "event-4"]) {
        let params = sd_params(message);
        assert_eq!(param(&params, "id"), Some(id), "{message}");
        assert!(message.contains(" h1 tripline "), "{message}");
        let body: serde_json::Value =
            serde_json::from_str(&message[message.find("] ").unwrap() + 2..])
                .expect("MSG is the JSON body");
        assert_eq!(body["id"], id);
    }
    assert!(
        all[0].starts_with("<131>1 2026-11-20T10:00:02.000Z "),
        "local0 + high = 131: {}",
        all[0]
    );
    assert!(
        all[1].starts_with("<134>1 "),
        "events are informational: {}",
        all[1]
    );
}

#[test]
fn tcp_collector_down_is_a_retry() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let mut sink = build(
        "syslog",
        dir.path(),
        &format!("address = \"127.0.0.1:{port}\"\ntransport = \"tcp\"\ntimeout = \"2s\""),
    );
    let err = sink
        .send(&[alert(1, 0, "codex")])
        .expect_err("nobody listens");
    assert!(err.is_retryable(), "{err}");
    assert!(
        err.to_string().contains(&port.to_string()),
        "the error names the address: {err}"
    );
}

#[test]
fn udp_one_datagram_per_message_truncated_safely() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    let addr = socket.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut sink = build(
        "syslog",
        dir.path(),
        &format!(
            "address = \"{addr}\"\nmax_message_bytes = 600\npayload = \"cef\"\nfacility = \"auth\""
        ),
    );
    let mut big = alert(7, 0, "codex");
    big.body["summary"] = json!("é\\=".repeat(400));
    big.fields.summary = Some("é\\=".repeat(400));
    sink.send(&[alert(1, 0, "codex"), big]).unwrap();
    let mut buf = vec![0u8; 70_000];
    let n = socket.recv(&mut buf).unwrap();
    let small = String::from_utf8(buf[..n].to_vec()).unwrap();
    assert!(small.starts_with("<35>1 "), "auth (4) * 8 + 3: {small}");
    assert!(small.contains("] CEF:0|tripline|tripline|"), "{small}");
    assert!(
        small.contains("|codex_sandbox_disabled|Sandbox \\| disabled|8|"),
        "{small}"
    );
    assert!(
        small.contains("msg=sandbox off \\= risky\\nsecond line"),
        "{small}"
    );
    assert!(!small.contains("truncated"), "{small}");
    let n = socket.recv(&mut buf).unwrap();
    assert!(n <= 600, "datagram of {n} bytes");
    let cut = String::from_utf8(buf[..n].to_vec()).expect("cut at a character boundary");
    assert_eq!(param(&sd_params(&cut), "truncated"), Some("1"), "{cut}");
    let tail = cut.rsplit("msg=").next().unwrap();
    assert!(
        tail.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 0,
        "no dangling escape: {tail}"
    );
}

/// A rustls server that requires a client certificate signed by the test CA; it reads
/// frames from each connection until EOF and reports them.
fn tls_server(
    ca: &Path,
    server: &Pair,
) -> (
    std::net::SocketAddr,
    mpsc::Receiver<Result<Vec<String>, String>>,
) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(ca).unwrap())
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_file(&server.cert).unwrap()],
            PrivateKeyDer::from_pem_file(&server.key).unwrap(),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut tcp) = stream else { return };
            let mut conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut handshake = Ok(());
            while conn.is_handshaking() {
                if let Err(e) = conn.complete_io(&mut tcp) {
                    handshake = Err(e.to_string());
                    break;
                }
            }
            let result = handshake.map(|()| read_frames(rustls::StreamOwned::new(conn, tcp)));
            if tx.send(result).is_err() {
                return;
            }
        }
    });
    (addr, rx)
}

#[test]
fn tls_with_a_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "syslog");
    let client = pki.client("tripline-client");
    let (addr, rx) = tls_server(&pki.ca_pem(), &pki.server());
    let base = format!(
        "address = \"127.0.0.1:{}\"\ntransport = \"tls\"\nca_file = \"{}\"\nserver_name = \"localhost\"\n",
        addr.port(),
        pki.ca_pem().display()
    );
    let mut sink = build(
        "syslog",
        dir.path(),
        &format!(
            "{base}client_cert_file = \"{}\"\nclient_key_file = \"{}\"",
            client.cert.display(),
            client.key.display()
        ),
    );
    sink.send(&[alert(1, 0, "codex"), event(2, 0, "gemini_cli")])
        .expect("TLS send");
    sink.send(&[event(3, 0, "codex")])
        .expect("second batch on the same connection");
    sink.flush().unwrap();
    drop(sink);
    let frames = rx
        .recv_timeout(WAIT)
        .unwrap()
        .expect("handshake with a client certificate");
    let ids: Vec<String> = frames
        .iter()
        .map(|m| param(&sd_params(m), "id").unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["alert-1", "event-2", "event-3"]);
    assert_eq!(param(&sd_params(&frames[1]), "agent"), Some("gemini_cli"));

    // Without the client certificate the server refuses the handshake: nothing reaches it,
    // and the sink reports a retryable error (at once, or, if the refusal arrived late, on
    // the next send, when it notices the connection is dead).
    let mut anonymous = build("syslog", dir.path(), &base);
    let err = (0..20)
        .find_map(|_| anonymous.send(&[alert(1, 0, "codex")]).err())
        .expect("a refused client certificate is an error");
    assert!(err.is_retryable(), "{err}");
    assert!(
        rx.recv_timeout(WAIT).unwrap().is_err(),
        "server refused the handshake"
    );

    // A CA that did not sign the server's certificate: refused by the client.
    let other = tempfile::tempdir().unwrap();
    let other_pki = Pki::new(other.path(), "other");
    let mut wrong_ca = build(
        "syslog",
        dir.path(),
        &base.replace(
            &pki.ca_pem().display().to_string(),
            &other_pki.ca_pem().display().to_string(),
        ),
    );
    let err = wrong_ca
        .send(&[alert(1, 0, "codex")])
        .expect_err("unknown issuer");
    assert!(err.to_string().contains("certificate"), "{err}");
}

#[test]
fn config_errors_name_the_field() {
    let e = build_err("syslog", "address = \"x:1\"\ntransport = \"tls\"");
    assert!(e.contains("ca_file"), "{e}");
    let e = build_err("syslog", "address = \"x:1\"\nfacility = \"local9\"");
    assert!(e.contains("facility") && e.contains("local0"), "{e}");
    let e = build_err("syslog", "address = \"x:1\"\nmax_message_bytes = 100");
    assert!(e.contains("max_message_bytes"), "{e}");
    let e = build_err("syslog", "address = \"x:1\"\nca_file = \"/tmp/ca.pem\"");
    assert!(
        e.contains("ca_file is only used with transport = \"tls\""),
        "{e}"
    );
    let e = build_err("syslog", "address = \"x:1\"\nbogus = 1");
    assert!(e.contains("bogus"), "{e}");
    let e = build_err(
        "syslog",
        "address = \"x:1\"\ntransport = \"tls\"\nca_file = \"/nonexistent/ca.pem\"",
    );
    assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    let e = build_err("parquet", "compression = \"lzo\"");
    assert!(e.contains("compression"), "{e}");
    let e = build_err("parquet", "roll_interval = \"soon\"");
    assert!(e.contains("roll_interval"), "{e}");
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn parquet_rows(path: &Path) -> Vec<parquet::record::Row> {
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    reader
        .get_row_iter(None)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn parquet_partitions_schema_and_atomic_files() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    // A temp file a crashed writer left behind is removed at start.
    let stale = lake.join("kind=event/agent=codex/date=2026-11-20/hour=09/.part-dead.parquet.tmp");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, b"partial").unwrap();
    let mut sink = build(
        "parquet",
        dir.path(),
        &format!("dir = \"{}\"", lake.display()),
    );
    assert!(!stale.exists(), "stale temp file removed");

    let ten = 1_795_168_802_000; // 2026-11-20T10:00:02Z
    let eleven = ten + 3_600_000;
    let batch: Vec<Record> = (0..30)
        .map(|n| match n % 3 {
            0 => alert(n, ten, "codex"),
            1 => event(n, ten, "codex"),
            _ => event(n, eleven, "claude_code"),
        })
        .collect();
    sink.send(&batch).unwrap();
    assert!(
        files_under(&lake).is_empty(),
        "nothing is visible before flush"
    );
    sink.flush().unwrap();
    let files = files_under(&lake);
    let rel: Vec<String> = files
        .iter()
        .map(|f| {
            f.strip_prefix(&lake)
                .unwrap()
                .parent()
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        rel,
        [
            "kind=alert/agent=codex/date=2026-11-20/hour=10",
            "kind=event/agent=claude_code/date=2026-11-20/hour=11",
            "kind=event/agent=codex/date=2026-11-20/hour=10",
        ]
    );
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(
            name.starts_with("part-") && name.ends_with(".parquet"),
            "{name}"
        );
        assert_eq!(parquet_rows(f).len(), 10, "{}", f.display());
    }

    let reader = SerializedFileReader::new(std::fs::File::open(&files[0]).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr();
    let names: Vec<&str> = schema.columns().iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        [
            "id",
            "revision",
            "time",
            "event_name",
            "rule_name",
            "rule_level",
            "conversation_id",
            "host_name",
            "user_email",
            "record"
        ]
    );
    let time = schema.column(2);
    assert!(
        matches!(time.logical_type_ref(), Some(parquet::basic::LogicalType::Timestamp(t)) if t.is_adjusted_to_u_t_c && format!("{:?}", t.unit).contains("MILLIS")),
        "{:?}",
        time.logical_type_ref()
    );
    let alert_rows = parquet_rows(&files[0]);
    let first = &alert_rows[0];
    assert_eq!(first.get_string(0).unwrap(), "alert-0");
    assert_eq!(first.get_timestamp_millis(2).unwrap(), ten);
    assert_eq!(first.get_string(4).unwrap(), "codex_sandbox_disabled");
    assert_eq!(first.get_string(5).unwrap(), "high");
    assert_eq!(first.get_string(7).unwrap(), "dev-1");
    assert!(first.get_string(3).is_err(), "alerts have no event_name");
    let record: serde_json::Value = serde_json::from_str(first.get_string(9).unwrap()).unwrap();
    assert_eq!(record, batch[0].body);

    // Rolling by size: small files, every row kept exactly once.
    let small = dir.path().join("small");
    let mut sink = build(
        "parquet",
        dir.path(),
        &format!(
            "dir = \"{}\"\nmax_file_bytes = 4096\ncompression = \"snappy\"",
            small.display()
        ),
    );
    let events: Vec<Record> = (0..100).map(|n| event(n, ten, "codex")).collect();
    sink.send(&events).unwrap();
    sink.flush().unwrap();
    let files = files_under(&small);
    assert!(
        files.len() >= 5,
        "rolled by size into several files: {}",
        files.len()
    );
    let mut ids: Vec<String> = files
        .iter()
        .flat_map(|f| parquet_rows(f))
        .map(|r| r.get_string(0).unwrap().clone())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 100);
    assert!(
        files
            .iter()
            .all(|f| !f.file_name().unwrap().to_string_lossy().starts_with('.')),
        "no temp file left"
    );
}

#[test]
fn parquet_rolls_by_time_on_send() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = build("parquet", dir.path(), "roll_interval = \"1ms\"");
    let t = 1_795_168_802_000;
    sink.send(&[event(1, t, "codex")]).unwrap();
    std::thread::sleep(Duration::from_millis(5)); // let the 1 ms interval pass; not a correctness wait
    sink.send(&[event(2, t, "codex")]).unwrap();
    // The first file was due and published by the second send, before any flush.
    let lake = dir.path().join("sinks/lake/lake");
    let files = files_under(&lake);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(parquet_rows(&files[0]).len(), 1);
    sink.flush().unwrap();
    assert_eq!(files_under(&lake).len(), 2);
}
