//! The cost of TLS on OTLP/HTTP: one Codex log export (`tests/fixtures/codex-logs.pb`,
//! 7 KB) to a listener whose `Ingest` acknowledges at once, so the transport is all that is
//! measured. Plaintext is the baseline in every group:
//!
//! * `export_reused_connection`: keep-alive HTTP/1.1, so TLS adds only record encryption;
//! * `export_new_connection`: a fresh TCP connection per export, so TLS adds a full
//!   handshake (and mTLS the client certificate's verification).
//!
//! cargo bench -p tripline-receive --bench tls
// `criterion_group!` defines a public function this bench cannot document.
#![allow(missing_docs)]

#[path = "../tests/common/certs.rs"]
mod certs;

use std::net::SocketAddr;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use futures::future::BoxFuture;
use tokio::runtime::Runtime;
use tripline_receive::{bind_http, Ack, HttpConfig, Ingest, IngestError, Request, TlsConfig};

const BODY: &[u8] = include_bytes!("../tests/fixtures/codex-logs.pb");

/// Acknowledges everything at once.
struct Accept;

impl Ingest for Accept {
    fn ingest(&self, _req: Request) -> BoxFuture<'static, Result<Ack, IngestError>> {
        Box::pin(async { Ok(Ack::ok()) })
    }
}

/// Starts a listener (serving until the runtime is dropped) and returns its URL.
fn start(rt: &Runtime, tls: Option<TlsConfig>) -> String {
    let cfg = HttpConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        tls: tls.clone(),
        ..HttpConfig::default()
    };
    let server = rt
        .block_on(bind_http(&cfg, Arc::new(Accept)))
        .expect("bind");
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!(
        "{scheme}://127.0.0.1:{}/v1/logs",
        server.local_addr().port()
    );
    rt.spawn(server.serve(std::future::pending()));
    url
}

/// An HTTP/1.1 client trusting `ca`, presenting `identity`; `reuse` = keep-alive.
fn client(ca: &[u8], identity: Option<&certs::Pair>, reuse: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .http1_only()
        .add_root_certificate(reqwest::Certificate::from_pem(ca).unwrap());
    if let Some(pair) = identity {
        b = b.identity(reqwest::Identity::from_pem(&pair.identity_pem()).unwrap());
    }
    if !reuse {
        b = b.pool_max_idle_per_host(0);
    }
    b.build().unwrap()
}

fn export(rt: &Runtime, client: &reqwest::Client, url: &str) {
    let status = rt
        .block_on(
            client
                .post(url)
                .header("content-type", "application/x-protobuf")
                .body(BODY)
                .send(),
        )
        .expect("export")
        .status();
    assert_eq!(status, 200);
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pki = certs::Pki::new(dir.path(), "bench");
    let server = pki.server();
    let client_pair = pki.client("bench-client");
    let ca = std::fs::read(pki.ca_pem()).unwrap();
    let tls = TlsConfig::new(&server.cert, &server.key);
    let mtls = tls.clone().with_client_ca(pki.ca_pem(), true);
    let plain_url = start(&rt, None);
    let tls_url = start(&rt, Some(tls));
    let mtls_url = start(&rt, Some(mtls));

    for (group, reuse) in [
        ("export_reused_connection", true),
        ("export_new_connection", false),
    ] {
        let mut g = c.benchmark_group(group);
        g.sample_size(30);
        let plain = client(&ca, None, reuse);
        g.bench_function("plaintext", |b| b.iter(|| export(&rt, &plain, &plain_url)));
        let tls_client = client(&ca, None, reuse);
        g.bench_function("tls", |b| b.iter(|| export(&rt, &tls_client, &tls_url)));
        let mtls_client = client(&ca, Some(&client_pair), reuse);
        g.bench_function("mtls", |b| b.iter(|| export(&rt, &mtls_client, &mtls_url)));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
