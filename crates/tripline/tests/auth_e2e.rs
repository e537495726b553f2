//! Ingest tokens end to end against the built `tripline serve`: requests with a missing or a
//! wrong token, over OTLP/HTTP and OTLP/gRPC, are refused (401 / UNAUTHENTICATED), counted in
//! `/metrics`, and nothing they carried reaches the store; the valid tokens' records are
//! stored under their emitter names. Also the startup refusal of a non-loopback listener
//! without authentication, and its `--insecure` override.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use serde_json::json;
use support::query::{at_least, show};
use support::serve::Serve;
use support::{http, process, tools};

/// Two senders, each with its own token.
const LAPTOP_TOKEN: &str = "tok-laptop-3b9f2c71d4";
const CI_TOKEN: &str = "tok-ci-8e41a0c5f2";

fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("tripline.toml");
    std::fs::write(
        &path,
        format!("[auth]\ntokens = [\"laptop={LAPTOP_TOKEN}\", \"ci={CI_TOKEN}\"]\n"),
    )
    .unwrap();
    path
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// One log record carrying `marker` as its body and as the `probe.marker` attribute.
fn logs_json(marker: &str) -> Vec<u8> {
    json!({"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "auth-e2e"}}]},
        "scopeLogs": [{"scope": {"name": "auth-e2e"}, "logRecords": [{
            "timeUnixNano": now_nanos().to_string(),
            "body": {"stringValue": marker},
            "attributes": [{"key": "probe.marker", "value": {"stringValue": marker}}]
        }]}]
    }]})
    .to_string()
    .into_bytes()
}

fn logs_proto(marker: &str) -> ExportLogsServiceRequest {
    let text = |s: &str| {
        Some(AnyValue {
            value: Some(any_value::Value::StringValue(s.to_string())),
        })
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(opentelemetry_proto::tonic::resource::v1::Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: text("auth-e2e"),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    time_unix_nano: now_nanos(),
                    body: text(marker),
                    attributes: vec![KeyValue {
                        key: "probe.marker".into(),
                        value: text(marker),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn post_http(serve: &Serve, marker: &str, authorization: Option<&str>) -> http::Reply {
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(value) = authorization {
        headers.push(("Authorization", value));
    }
    http::post(serve.http_addr(), "/v1/logs", &headers, &logs_json(marker))
}

/// One gRPC export; the status code it ended with.
fn export_grpc(serve: &Serve, marker: &str, authorization: Option<&str>) -> tonic::Code {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let channel = tonic::transport::Channel::from_shared(serve.grpc_url())
            .unwrap()
            .timeout(Duration::from_secs(60))
            .connect()
            .await
            .unwrap_or_else(|e| {
                panic!("connect to {}: {e}\n{}", serve.grpc_url(), serve.log_text())
            });
        let mut request = tonic::Request::new(logs_proto(marker));
        if let Some(value) = authorization {
            request
                .metadata_mut()
                .insert("authorization", value.parse().unwrap());
        }
        match LogsServiceClient::new(channel).export(request).await {
            Ok(_) => tonic::Code::Ok,
            Err(status) => status.code(),
        }
    })
}

/// The value of an unlabelled counter on the `/metrics` page.
fn metric(serve: &Serve, name: &str) -> Option<u64> {
    let page = http::get(serve.http_addr(), "/metrics");
    assert_eq!(page.status, 200, "{}", page.text());
    page.text().lines().find_map(|line| {
        line.strip_prefix(name)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[test]
fn missing_and_wrong_tokens_are_refused_counted_and_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let serve = Serve::start_with(&["--config", config.to_str().unwrap()]);
    let wrong = "Bearer tok-laptop-3b9f2c71d5";

    let refused = [
        (
            "refused-http-missing",
            post_http(&serve, "refused-http-missing", None),
        ),
        (
            "refused-http-wrong",
            post_http(&serve, "refused-http-wrong", Some(wrong)),
        ),
        // A valid secret without the Bearer scheme is no token either.
        (
            "refused-http-scheme",
            post_http(&serve, "refused-http-scheme", Some(LAPTOP_TOKEN)),
        ),
    ];
    for (marker, reply) in &refused {
        assert_eq!(reply.status, 401, "{marker}: {}", reply.text());
    }
    assert_eq!(
        export_grpc(&serve, "refused-grpc-missing", None),
        tonic::Code::Unauthenticated
    );
    assert_eq!(
        export_grpc(&serve, "refused-grpc-wrong", Some(wrong)),
        tonic::Code::Unauthenticated
    );
    assert_eq!(
        metric(&serve, "tripline_auth_failures_total"),
        Some(5),
        "three HTTP and two gRPC refusals, one counter"
    );

    let laptop = format!("Bearer {LAPTOP_TOKEN}");
    let reply = post_http(&serve, "accepted-http-laptop", Some(&laptop));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let ci = format!("Bearer {CI_TOKEN}");
    assert_eq!(
        export_grpc(&serve, "accepted-grpc-ci", Some(&ci)),
        tonic::Code::Ok
    );

    // Acknowledged means stored, and the refused requests came first: the store is final.
    let stored = serve.wait_rows(
        "the authenticated records",
        "SELECT json_extract(event, '$.probe_marker') AS marker, emitter, \
                json_extract(event, '$.emitter') AS event_emitter \
         FROM events ORDER BY marker",
        at_least(2),
    );
    assert_eq!(
        stored.len(),
        2,
        "only the two authenticated records are stored: {}",
        show(&stored)
    );
    assert_eq!(stored[0]["marker"], "accepted-grpc-ci", "{}", show(&stored));
    assert_eq!(stored[0]["emitter"], "ci", "{}", show(&stored));
    assert_eq!(stored[0]["event_emitter"], "ci", "{}", show(&stored));
    assert_eq!(
        stored[1]["marker"],
        "accepted-http-laptop",
        "{}",
        show(&stored)
    );
    assert_eq!(stored[1]["emitter"], "laptop", "{}", show(&stored));
    let leaked = serve.query("SELECT count(*) AS n FROM events WHERE event LIKE '%refused-%'");
    assert_eq!(leaked[0]["n"], 0, "refused content in the store");
    let alerts = serve.query("SELECT count(*) AS n FROM alerts WHERE alert LIKE '%refused-%'");
    assert_eq!(alerts[0]["n"], 0, "refused content in alerts");
    assert_eq!(
        metric(&serve, "tripline_auth_failures_total"),
        Some(5),
        "accepted requests are not failures"
    );
    let status = serve.stop();
    assert!(status.success(), "serve exits 0 on SIGTERM: {status}");
}

#[test]
fn non_loopback_without_authentication_is_refused_unless_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut cmd = tools::tripline_command();
    cmd.args([
        "serve",
        "--http",
        "0.0.0.0:0",
        "--grpc",
        "127.0.0.1:0",
        "--data",
    ])
    .arg(&data);
    let out = process::run(
        "tripline serve on 0.0.0.0",
        &mut cmd,
        Duration::from_secs(60),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "refused as a configuration error\n{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("refusing to listen on 0.0.0.0:0 without authentication")
            && out.stderr.contains("--insecure")
            && out.stderr.contains("mTLS"),
        "the message says why and what to do: {}",
        out.stderr
    );
    assert!(!data.exists(), "nothing is created before the refusal");

    // --insecure is the explicit override.
    let serve = Serve::start_listening("0.0.0.0:0", "127.0.0.1:0", &["--insecure"]);
    let port = serve.http_addr().rsplit(':').next().unwrap().to_string();
    let health = http::get(&format!("127.0.0.1:{port}"), "/healthz");
    assert_eq!(health.status, 200, "{}", serve.log_text());
    assert!(serve.stop().success());

    // So are tokens.
    let config = write_config(dir.path());
    let serve = Serve::start_listening(
        "0.0.0.0:0",
        "0.0.0.0:0",
        &["--config", config.to_str().unwrap()],
    );
    assert!(serve.stop().success());
}
