//! TLS and mTLS on both listeners, with certificates made at test time: trusting clients are
//! served, plaintext and untrusting clients are not, client certificates are required and
//! checked when configured, and a good one names the emitter.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::certs::{Pair, Pki};
use common::{loopback, Recorder, Running};
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use prost::Message;
use tempfile::TempDir;
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tripline_receive::{
    bind_grpc, bind_http, bind_http_with_metrics, Auth, BindError, GrpcConfig, HttpConfig,
    MetricsSource, TlsConfig, TlsError, Token,
};

const LOGS_PB: &[u8] = include_bytes!("fixtures/codex-logs.pb");

/// A CA, a server certificate, a client certificate from that CA (CN `build-agent-7`), and
/// one from a CA the server does not trust.
struct Certs {
    _dir: TempDir,
    pki: Pki,
    server: Pair,
    client: Pair,
    stranger: Pair,
}

fn certs() -> Certs {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path(), "trusted");
    let server = pki.server();
    let client = pki.client("build-agent-7");
    let stranger = Pki::new(dir.path(), "other").client("build-agent-7");
    Certs {
        _dir: dir,
        pki,
        server,
        client,
        stranger,
    }
}

fn tls(c: &Certs) -> TlsConfig {
    TlsConfig::new(&c.server.cert, &c.server.key)
}

fn mtls(c: &Certs, required: bool) -> TlsConfig {
    tls(c).with_client_ca(c.pki.ca_pem(), required)
}

async fn start_http(tls: TlsConfig, auth: Auth) -> (Running, Arc<Recorder>) {
    let ingest = Recorder::new();
    let cfg = HttpConfig {
        addr: loopback(),
        auth,
        tls: Some(tls),
        ..HttpConfig::default()
    };
    let server = bind_http(&cfg, ingest.clone()).await.expect("bind");
    let running = Running::spawn(server.local_addr(), |stop| server.serve(stop));
    (running, ingest)
}

async fn start_grpc(tls: TlsConfig, auth: Auth) -> (Running, Arc<Recorder>) {
    let ingest = Recorder::new();
    let cfg = GrpcConfig {
        addr: loopback(),
        auth,
        tls: Some(tls),
        ..GrpcConfig::default()
    };
    let server = bind_grpc(&cfg, ingest.clone()).await.expect("bind");
    let running = Running::spawn(server.local_addr(), |stop| server.serve(stop));
    (running, ingest)
}

/// An HTTPS client trusting `ca` (none: trusts nothing), presenting `identity` if given.
fn https_client(ca: Option<&Path>, identity: Option<&Pair>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(30));
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).unwrap();
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap());
    }
    if let Some(pair) = identity {
        builder = builder.identity(reqwest::Identity::from_pem(&pair.identity_pem()).unwrap());
    }
    builder.build().unwrap()
}

async fn post_logs(
    client: &reqwest::Client,
    url: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    client
        .post(format!("{url}/v1/logs"))
        .header("content-type", "application/x-protobuf")
        .body(LOGS_PB)
        .send()
        .await
}

/// One gRPC log export over TLS (trusting `ca`, presenting `identity`), with an optional
/// bearer token. Connection and call failures both come back as `Err`.
async fn grpc_export(
    addr: std::net::SocketAddr,
    ca: &Path,
    identity: Option<&Pair>,
    token: Option<&'static str>,
) -> Result<(), String> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(std::fs::read(ca).unwrap()))
        .domain_name("localhost");
    if let Some(pair) = identity {
        tls = tls.identity(Identity::from_pem(
            std::fs::read(&pair.cert).unwrap(),
            std::fs::read(&pair.key).unwrap(),
        ));
    }
    let channel = Channel::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)
        .map_err(|e| format!("tls config: {e}"))?
        .connect()
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    let mut request = tonic::Request::new(ExportLogsServiceRequest::decode(LOGS_PB).unwrap());
    if let Some(token) = token {
        request
            .metadata_mut()
            .insert("authorization", MetadataValue::from_static(token));
    }
    LogsServiceClient::new(channel)
        .export(request)
        .await
        .map(drop)
        .map_err(|status| format!("export: {status:?}"))
}

/// Handshake failures are counted in the handshake's own task; wait for the count.
async fn wait_failures(tls: &TlsConfig, at_least: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tls.handshake_failures() < at_least {
        assert!(
            tokio::time::Instant::now() < deadline,
            "expected {at_least} failed handshakes, counted {}",
            tls.handshake_failures()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn https_serves_trusting_clients_only() {
    let c = certs();
    let cfg = tls(&c);
    let (running, ingest) = start_http(cfg.clone(), Auth::default()).await;
    let port = running.addr.port();

    let trusting = https_client(Some(&c.pki.ca_pem()), None);
    let resp = post_logs(&trusting, &format!("https://127.0.0.1:{port}"))
        .await
        .expect("HTTPS export");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.version(),
        reqwest::Version::HTTP_2,
        "h2 negotiated by ALPN"
    );
    assert_eq!(ingest.count(), 1);
    assert_eq!(ingest.last().body.as_ref(), LOGS_PB);
    assert_eq!(
        ingest.last().emitter,
        None,
        "no client certificate, no name"
    );
    // The server certificate also names localhost.
    let resp = post_logs(&trusting, &format!("https://localhost:{port}"))
        .await
        .expect("HTTPS via localhost");
    assert_eq!(resp.status(), 200);
    assert_eq!(cfg.handshake_failures(), 0);

    let plaintext = reqwest::Client::new();
    let result = post_logs(&plaintext, &format!("http://127.0.0.1:{port}")).await;
    assert!(
        result.as_ref().map_or(true, |r| !r.status().is_success()),
        "plaintext HTTP to the TLS port must not be served: {result:?}"
    );
    let untrusting = https_client(None, None);
    let err = post_logs(&untrusting, &format!("https://127.0.0.1:{port}"))
        .await
        .expect_err("a client that does not trust the CA refuses the server");
    assert!(err.is_connect(), "{err:?}");
    wait_failures(&cfg, 2).await;
    assert_eq!(ingest.count(), 2, "nothing from the failed connections");
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn grpc_over_tls_serves_trusting_clients_only() {
    let c = certs();
    let cfg = tls(&c);
    let (running, ingest) = start_grpc(cfg.clone(), Auth::default()).await;
    grpc_export(running.addr, &c.pki.ca_pem(), None, None)
        .await
        .expect("gRPC over TLS");
    assert_eq!(ingest.count(), 1);
    assert_eq!(ingest.last().emitter, None);

    let plaintext = async {
        let channel = Channel::from_shared(format!("http://{}", running.addr))
            .unwrap()
            .connect()
            .await
            .map_err(|e| e.to_string())?;
        LogsServiceClient::new(channel)
            .export(ExportLogsServiceRequest::decode(LOGS_PB).unwrap())
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    };
    assert!(
        plaintext.await.is_err(),
        "plaintext gRPC to the TLS port must fail"
    );
    wait_failures(&cfg, 1).await;
    assert_eq!(ingest.count(), 1);
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn https_mtls_requires_a_trusted_client_certificate_and_names_the_emitter() {
    let c = certs();
    let cfg = mtls(&c, true);
    let (running, ingest) = start_http(cfg.clone(), Auth::default()).await;
    let url = format!("https://127.0.0.1:{}", running.addr.port());
    let ca = c.pki.ca_pem();

    let no_cert = post_logs(&https_client(Some(&ca), None), &url).await;
    assert!(no_cert.is_err(), "no client certificate: {no_cert:?}");
    let stranger = post_logs(&https_client(Some(&ca), Some(&c.stranger)), &url).await;
    assert!(
        stranger.is_err(),
        "certificate from an untrusted CA: {stranger:?}"
    );
    wait_failures(&cfg, 2).await;
    assert_eq!(ingest.count(), 0, "nothing from refused clients");

    let resp = post_logs(&https_client(Some(&ca), Some(&c.client)), &url)
        .await
        .expect("mTLS export");
    assert_eq!(resp.status(), 200);
    assert_eq!(ingest.count(), 1);
    assert_eq!(ingest.last().emitter.as_deref(), Some("build-agent-7"));
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn grpc_mtls_requires_a_trusted_client_certificate_and_names_the_emitter() {
    let c = certs();
    let cfg = mtls(&c, true);
    let (running, ingest) = start_grpc(cfg.clone(), Auth::default()).await;
    let ca = c.pki.ca_pem();

    let no_cert = grpc_export(running.addr, &ca, None, None).await;
    assert!(no_cert.is_err(), "no client certificate");
    let stranger = grpc_export(running.addr, &ca, Some(&c.stranger), None).await;
    assert!(stranger.is_err(), "certificate from an untrusted CA");
    wait_failures(&cfg, 2).await;
    assert_eq!(ingest.count(), 0, "nothing from refused clients");

    grpc_export(running.addr, &ca, Some(&c.client), None)
        .await
        .expect("mTLS export");
    assert_eq!(ingest.count(), 1);
    assert_eq!(ingest.last().emitter.as_deref(), Some("build-agent-7"));
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn optional_client_certificates_name_only_those_who_send_one() {
    let c = certs();
    let (running, ingest) = start_http(mtls(&c, false), Auth::default()).await;
    let url = format!("https://127.0.0.1:{}", running.addr.port());
    let ca = c.pki.ca_pem();

    let resp = post_logs(&https_client(Some(&ca), None), &url)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(ingest.last().emitter, None);
    let resp = post_logs(&https_client(Some(&ca), Some(&c.client)), &url)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(ingest.last().emitter.as_deref(), Some("build-agent-7"));
    // A certificate that is sent must still be valid.
    let stranger = post_logs(&https_client(Some(&ca), Some(&c.stranger)), &url).await;
    assert!(stranger.is_err(), "{stranger:?}");
    assert_eq!(ingest.count(), 2);
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn with_tokens_and_mtls_both_are_required_and_the_token_names_the_emitter() {
    let c = certs();
    let auth = Auth::bearer(vec![Token {
        emitter: "ci-token".into(),
        secret: "tok-0123456789".into(),
    }]);
    let (running, ingest) = start_grpc(mtls(&c, true), auth.clone()).await;
    let ca = c.pki.ca_pem();

    let err = grpc_export(running.addr, &ca, Some(&c.client), None)
        .await
        .unwrap_err();
    assert!(err.contains("Unauthenticated"), "{err}");
    assert_eq!(auth.failures(), 1);
    assert!(
        grpc_export(running.addr, &ca, None, Some("Bearer tok-0123456789"))
            .await
            .is_err()
    );
    assert_eq!(ingest.count(), 0);

    grpc_export(
        running.addr,
        &ca,
        Some(&c.client),
        Some("Bearer tok-0123456789"),
    )
    .await
    .expect("certificate and token");
    assert_eq!(ingest.last().emitter.as_deref(), Some("ci-token"));
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn unusable_tls_files_fail_the_bind_naming_the_file() {
    let c = certs();
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "this is not PEM\n").unwrap();
    let other_key = Pki::new(dir.path(), "third").server().key;
    let missing = dir.path().join("missing.pem");

    let bind = |tls: TlsConfig| async move {
        let cfg = HttpConfig {
            addr: loopback(),
            tls: Some(tls),
            ..HttpConfig::default()
        };
        match bind_http(&cfg, Recorder::new()).await {
            Ok(_) => panic!("bind should fail"),
            Err(BindError::Tls(e)) => e,
            Err(e) => panic!("expected a TLS error, got {e}"),
        }
    };
    let shown = |e: &TlsError| e.to_string();

    let e = bind(TlsConfig::new(&missing, &c.server.key)).await;
    let text = shown(&e);
    assert!(
        text.contains("certificate file") && text.contains(&missing.display().to_string()),
        "{text}"
    );
    let e = bind(TlsConfig::new(&garbage, &c.server.key)).await;
    assert!(
        shown(&e).contains(&garbage.display().to_string())
            && shown(&e).contains("no PEM certificate"),
        "{e}"
    );
    let e = bind(TlsConfig::new(&c.server.cert, &garbage)).await;
    assert!(
        shown(&e).contains("private key file") && shown(&e).contains("no PEM private key"),
        "{e}"
    );
    let e = bind(TlsConfig::new(&c.server.cert, &other_key)).await;
    assert!(
        matches!(e, TlsError::Setup { .. })
            && shown(&e).contains(&c.server.cert.display().to_string())
            && shown(&e).contains(&other_key.display().to_string()),
        "a key that does not match the certificate: {e}"
    );
    let e = bind(tls(&c).with_client_ca(&missing, true)).await;
    assert!(shown(&e).contains("client CA file"), "{e}");

    // The gRPC listener checks the same way.
    let cfg = GrpcConfig {
        addr: loopback(),
        tls: Some(TlsConfig::new(&missing, &c.server.key)),
        ..GrpcConfig::default()
    };
    assert!(matches!(
        bind_grpc(&cfg, Recorder::new()).await,
        Err(BindError::Tls(_))
    ));
}

/// The caller's part of the metrics page.
struct Page;

impl MetricsSource for Page {
    fn render(&self) -> String {
        "tripline_events_received_total 0\n".into()
    }
}

#[tokio::test]
async fn failed_handshakes_of_both_listeners_are_on_the_metrics_page() {
    let c = certs();
    let shared = mtls(&c, true);
    let http_cfg = HttpConfig {
        addr: loopback(),
        tls: Some(shared.clone()),
        ..HttpConfig::default()
    };
    let http = bind_http_with_metrics(&http_cfg, Recorder::new(), Some(Arc::new(Page)))
        .await
        .unwrap();
    let url = format!("https://127.0.0.1:{}", http.local_addr().port());
    let http = Running::spawn(http.local_addr(), |stop| http.serve(stop));
    let (grpc, _) = start_grpc(shared.clone(), Auth::default()).await;
    let ca = c.pki.ca_pem();

    assert!(grpc_export(grpc.addr, &ca, None, None).await.is_err());
    assert!(post_logs(&https_client(Some(&ca), None), &url)
        .await
        .is_err());
    wait_failures(&shared, 2).await;
    let page = https_client(Some(&ca), Some(&c.client))
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.starts_with("tripline_events_received_total 0\n"),
        "{page}"
    );
    // Exactly 2 unless a client library retried a refused connection: compare with the
    // shared counter itself.
    let shown: u64 = page
        .lines()
        .find_map(|l| l.strip_prefix("tripline_tls_handshake_failures_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no handshake failure counter: {page}"));
    assert!(
        page.contains("# TYPE tripline_tls_handshake_failures_total counter\n"),
        "{page}"
    );
    assert!(shown >= 2, "failures of both listeners: {page}");
    assert_eq!(
        shown,
        shared.handshake_failures(),
        "one counter for both listeners"
    );
    http.shutdown().await.unwrap();
    grpc.shutdown().await.unwrap();
}
