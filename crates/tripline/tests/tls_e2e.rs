//! TLS and mTLS end to end with a real exporter: the OpenTelemetry Python SDK
//! (`tests/support/otel_emit.py`) sends to `tripline serve` over HTTPS and over gRPC with
//! TLS, trusting a CA made at test time through `OTEL_EXPORTER_OTLP_CERTIFICATE`; with mTLS
//! it presents `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` / `OTEL_EXPORTER_OTLP_CLIENT_KEY`, and
//! the stored events carry the certificate's name as their emitter.
//!
//! Needs the tools from `bash scripts/install-test-tools.sh` (see `support::tools` for the
//! policy when they are missing).

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::certs::{Pair, Pki};
use support::otel_sdk::{emit, python_emitter};
use support::query::{show, Row};
use support::serve::Serve;
use support::tools::{self, Found, Tool};

/// `[tls]` with the server pair and, for mTLS, the client CA.
fn tls_config(dir: &Path, server: &Pair, client_ca: Option<&Path>) -> PathBuf {
    let mut text = format!(
        "[tls]\ncert = {:?}\nkey = {:?}\n",
        server.cert.display().to_string(),
        server.key.display().to_string()
    );
    if let Some(ca) = client_ca {
        text.push_str(&format!(
            "client_ca = {:?}\nrequire_client_cert = true\n",
            ca.display().to_string()
        ));
    }
    let path = dir.join("tripline.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The port of a `127.0.0.1:PORT` address.
fn port(addr: &str) -> &str {
    addr.rsplit(':').next().unwrap()
}

/// Runs the Python emitter over `protocol` to `endpoint` with the TLS environment `envs`.
fn python_sends(
    found: &Found,
    protocol: &str,
    endpoint: &str,
    run_id: &str,
    envs: &[(&str, &Path)],
) {
    emit(
        &format!("otel_emit.py ({protocol}, TLS)"),
        &mut python_emitter(found, protocol, endpoint, run_id),
        envs,
    );
}

/// Waits for the run's log record, span and metric points; returns every stored row of the
/// run as (signal, emitter).
fn stored_run(serve: &Serve, run_id: &str) -> Vec<Row> {
    serve.wait_rows(
        &format!("the events of {run_id}"),
        &format!(
            "SELECT signal, emitter FROM events \
             WHERE json_extract(event, '$.probe_run_id') = '{run_id}' ORDER BY signal"
        ),
        |rows: &[Row]| {
            let has = |s: &str| rows.iter().any(|r| r["signal"] == s);
            if has("log") && has("span") && has("metric") {
                Ok(())
            } else {
                Err("log, span and metric not all stored".into())
            }
        },
    )
}

fn assert_emitter(rows: &[Row], expected: Value, what: &str) {
    let logs = rows.iter().filter(|r| r["signal"] == "log").count();
    assert_eq!(logs, 1, "{what}: one log record: {}", show(rows));
    assert!(
        rows.iter().all(|r| r["emitter"] == expected),
        "{what}: every event's emitter is {expected}: {}",
        show(rows)
    );
}

#[test]
fn python_sdk_over_https_and_grpc_with_tls() {
    let Some(found) = tools::require(
        "python_sdk_over_https_and_grpc_with_tls",
        &[Tool::VenvPython],
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "tripline");
    let config = tls_config(dir.path(), &pki.server(), None);
    let serve = Serve::start_with(&["--config", config.to_str().unwrap()]);
    let ca = pki.ca_pem();
    let trust = [("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.as_path())];

    let http_run = format!("tls-https-{}", std::process::id());
    let endpoint = format!("https://127.0.0.1:{}", port(serve.http_addr()));
    python_sends(&found, "http/protobuf", &endpoint, &http_run, &trust);
    let grpc_run = format!("tls-grpc-{}", std::process::id());
    let endpoint = format!("https://127.0.0.1:{}", port(serve.grpc_addr()));
    python_sends(&found, "grpc", &endpoint, &grpc_run, &trust);

    assert_emitter(&stored_run(&serve, &http_run), Value::Null, "HTTPS");
    assert_emitter(&stored_run(&serve, &grpc_run), Value::Null, "gRPC over TLS");
    assert!(serve.stop().success());
}

#[test]
fn python_sdk_with_mtls_is_named_by_its_client_certificate() {
    let Some(found) = tools::require(
        "python_sdk_with_mtls_is_named_by_its_client_certificate",
        &[Tool::VenvPython],
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "tripline");
    let config = tls_config(dir.path(), &pki.server(), Some(&pki.ca_pem()));
    let serve = Serve::start_with(&["--config", config.to_str().unwrap()]);
    let ca = pki.ca_pem();
    let client = pki.client("codex-laptop-17");
    let envs = [
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.as_path()),
        (
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            client.cert.as_path(),
        ),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", client.key.as_path()),
    ];

    let http_run = format!("mtls-https-{}", std::process::id());
    let endpoint = format!("https://127.0.0.1:{}", port(serve.http_addr()));
    python_sends(&found, "http/protobuf", &endpoint, &http_run, &envs);
    let grpc_run = format!("mtls-grpc-{}", std::process::id());
    let endpoint = format!("https://127.0.0.1:{}", port(serve.grpc_addr()));
    python_sends(&found, "grpc", &endpoint, &grpc_run, &envs);

    let name = Value::from("codex-laptop-17");
    assert_emitter(
        &stored_run(&serve, &http_run),
        name.clone(),
        "HTTPS with mTLS",
    );
    assert_emitter(&stored_run(&serve, &grpc_run), name, "gRPC with mTLS");
    assert!(serve.stop().success());
}
