//! OTLP/HTTP receiver over loopback with a real HTTP client.

mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use common::{loopback, shutdown_pair, Recorder, Running};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use tripline_receive::rpc_status::RpcStatus;
use tripline_receive::{
    bind_http, Ack, Encoding, HttpConfig, IngestError, OtlpSignal, Readiness, Transport,
};

const LOGS_PB: &[u8] = include_bytes!("fixtures/codex-logs.pb");
const LOGS_JSON: &[u8] = include_bytes!("fixtures/codex-logs.json");
const PROTOBUF: &str = "application/x-protobuf";

struct Server {
    running: Running,
    base: String,
    ingest: Arc<Recorder>,
    readiness: Readiness,
    client: reqwest::Client,
}

async fn start(max_body_bytes: usize) -> Server {
    let ingest = Recorder::new();
    let cfg = HttpConfig {
        addr: loopback(),
        max_body_bytes,
        ..HttpConfig::default()
    };
    let server = bind_http(&cfg, ingest.clone()).await.expect("bind");
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0, "port 0 resolves to a real port");
    let readiness = server.readiness();
    let (stop, shutdown) = shutdown_pair();
    let task = tokio::spawn(server.serve(shutdown));
    Server {
        running: Running {
            addr,
            stop: Some(stop),
            task,
        },
        base: format!("http://{addr}"),
        ingest,
        readiness,
        client: reqwest::Client::new(),
    }
}

impl Server {
    async fn post(
        &self,
        path: &str,
        content_type: &str,
        encoding: Option<&str>,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        if let Some(enc) = encoding {
            req = req.header("content-encoding", enc);
        }
        req.send().await.expect("request completes")
    }

    /// The server still answers a good export after whatever happened before.
    async fn assert_still_serving(&self) {
        self.ingest.answer(Ok(Ack::ok()));
        let before = self.ingest.count();
        let resp = self
            .post("/v1/logs", PROTOBUF, None, LOGS_PB.to_vec())
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(self.ingest.count(), before + 1);
    }
}

async fn status_body(resp: reqwest::Response) -> RpcStatus {
    let bytes = resp.bytes().await.unwrap();
    RpcStatus::decode(bytes.as_ref()).expect("error body is a google.rpc.Status")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[tokio::test]
async fn protobuf_export_is_acknowledged_and_passed_through() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    let resp = s.post("/v1/logs", PROTOBUF, None, LOGS_PB.to_vec()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], PROTOBUF);
    let body = resp.bytes().await.unwrap();
    let decoded = ExportLogsServiceResponse::decode(body.as_ref()).unwrap();
    assert!(decoded.partial_success.is_none());

    let req = s.ingest.last();
    assert_eq!(req.signal, OtlpSignal::Logs);
    assert_eq!(req.encoding, Encoding::Protobuf);
    assert_eq!(req.transport, Transport::Http);
    assert_eq!(req.content_type, PROTOBUF);
    assert_eq!(req.content_encoding, None);
    assert_eq!(req.body.as_ref(), LOGS_PB);
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn json_export_gets_json_partial_success_with_the_request_content_type() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    s.ingest.answer(Ok(Ack {
        rejected: 3,
        message: Some("3 records too old".into()),
    }));
    let ct = "application/json; charset=utf-8";
    let resp = s.post("/v1/logs", ct, None, LOGS_JSON.to_vec()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], ct);
    let v: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(v["partialSuccess"]["rejectedLogRecords"], "3");
    assert_eq!(v["partialSuccess"]["errorMessage"], "3 records too old");
    let req = s.ingest.last();
    assert_eq!(req.encoding, Encoding::Json);
    assert_eq!(req.body.as_ref(), LOGS_JSON);
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn traces_partial_success_in_protobuf_and_empty_json_success() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    s.ingest.answer(Ok(Ack {
        rejected: 2,
        message: None,
    }));
    let resp = s.post("/v1/traces", PROTOBUF, None, Vec::new()).await;
    assert_eq!(resp.status(), 200);
    let decoded = ExportTraceServiceResponse::decode(resp.bytes().await.unwrap().as_ref()).unwrap();
    assert_eq!(decoded.partial_success.map(|p| p.rejected_spans), Some(2));
    assert_eq!(s.ingest.last().signal, OtlpSignal::Traces);

    s.ingest.answer(Ok(Ack::ok()));
    let resp = s
        .post("/v1/metrics", "application/json", None, b"{}".to_vec())
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"{}");
    assert_eq!(s.ingest.last().signal, OtlpSignal::Metrics);
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn gzip_and_zstd_bodies_arrive_decompressed() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    let resp = s
        .post("/v1/logs", PROTOBUF, Some("gzip"), gzip(LOGS_PB))
        .await;
    assert_eq!(resp.status(), 200);
    let req = s.ingest.last();
    assert_eq!(req.body.as_ref(), LOGS_PB);
    assert_eq!(req.content_encoding.as_deref(), Some("gzip"));

    let resp = s
        .post(
            "/v1/logs",
            PROTOBUF,
            Some("zstd"),
            zstd::encode_all(LOGS_PB, 3).unwrap(),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(s.ingest.last().body.as_ref(), LOGS_PB);
    assert_eq!(s.ingest.count(), 2);
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn invalid_payload_is_400_with_status_message() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    s.ingest
        .answer(Err(IngestError::Invalid("field 1 has wire type 7".into())));
    let resp = s
        .post("/v1/logs", PROTOBUF, None, b"\xff\xff".to_vec())
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["content-type"], PROTOBUF);
    let status = status_body(resp).await;
    assert_eq!(status.code, tonic::Code::InvalidArgument as i32);
    assert!(
        status.message.contains("field 1 has wire type 7"),
        "{}",
        status.message
    );
    s.assert_still_serving().await;
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn corrupt_gzip_is_400_and_never_reaches_ingest() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    let resp = s
        .post(
            "/v1/logs",
            "application/json",
            Some("gzip"),
            b"plainly not gzip".to_vec(),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let v: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert!(v["message"].as_str().unwrap().contains("gzip"), "{v}");
    assert_eq!(s.ingest.count(), 0);
    s.assert_still_serving().await;
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_path_is_404_with_status_body() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    let resp = s
        .post("/v1/profiles", PROTOBUF, None, LOGS_PB.to_vec())
        .await;
    assert_eq!(resp.status(), 404);
    let status = status_body(resp).await;
    assert!(
        status.message.contains("/v1/profiles"),
        "{}",
        status.message
    );
    assert_eq!(s.ingest.count(), 0);
    s.assert_still_serving().await;
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    let resp = s
        .client
        .get(format!("{}/v1/logs", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
    let status = status_body(resp).await;
    assert!(status.message.contains("GET"), "{}", status.message);
    assert_eq!(s.ingest.count(), 0);
    s.assert_still_serving().await;
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn oversize_body_is_413_before_ingest() {
    let limit = 64 * 1024;
    let s = start(limit).await;
    let resp = s
        .post("/v1/logs", PROTOBUF, None, vec![0u8; limit + 1])
        .await;
    assert_eq!(resp.status(), 413);
    let status = status_body(resp).await;
    assert_eq!(status.code, tonic::Code::ResourceExhausted as i32);
    assert!(
        status.message.contains(&limit.to_string()),
        "{}",
        status.message
    );
    assert_eq!(s.ingest.count(), 0);

    // Exactly at the limit is fine.
    let resp = s.post("/v1/logs", PROTOBUF, None, vec![0u8; limit]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(s.ingest.last().body.len(), limit);
    s.assert_still_serving().await;
    s.running.shutdown().await.unwrap();
}

/// A single-member gzip stream of `mib` MiB of zeros, built without compressing (or holding)
/// all of it: one MiB of zeros is deflated once and ends on a byte boundary (sync flush), and
/// that block run is repeated — every back-reference points at zeros, so each copy decodes
/// to the same MiB. The CRC trailer is combined arithmetically, so the stream is valid.
fn gzip_bomb(mib: u32) -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&zeros).unwrap();
    enc.flush().unwrap();
    let chunk = enc.get_ref().clone();
    let mut chunk_crc = flate2::Crc::new();
    chunk_crc.update(&zeros);

    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut crc = flate2::Crc::new();
    for _ in 0..mib {
        out.extend_from_slice(&chunk);
        crc.combine(&chunk_crc);
    }
    out.extend_from_slice(&[0x03, 0x00]); // empty final fixed-Huffman block
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    out
}

#[test]
fn gzip_bomb_builder_makes_valid_gzip() {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gzip_bomb(3)[..])
        .read_to_end(&mut out)
        .expect("valid gzip, CRC checked");
    assert_eq!(out.len(), 3 << 20);
    assert!(out.iter().all(|b| *b == 0));
}

#[tokio::test]
async fn gzip_bomb_is_stopped_at_the_limit_with_413() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    let bomb = gzip_bomb(1024); // 1 GiB inflated
    assert!(
        bomb.len() < 2 << 20,
        "bomb is small on the wire: {} bytes",
        bomb.len()
    );
    let resp = s.post("/v1/logs", PROTOBUF, Some("gzip"), bomb).await;
    assert_eq!(resp.status(), 413);
    let status = status_body(resp).await;
    assert!(
        status.message.contains("decompressed"),
        "{}",
        status.message
    );
    assert_eq!(s.ingest.count(), 0, "the ingest never sees the bomb");
    s.assert_still_serving().await;
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn unsupported_media_type_or_encoding_is_415() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    let resp = s
        .post("/v1/logs", "text/plain", None, LOGS_PB.to_vec())
        .await;
    assert_eq!(resp.status(), 415);
    assert!(status_body(resp).await.message.contains("text/plain"));

    let resp = s
        .post("/v1/logs", PROTOBUF, Some("br"), LOGS_PB.to_vec())
        .await;
    assert_eq!(resp.status(), 415);
    assert!(status_body(resp).await.message.contains("br"));
    assert_eq!(s.ingest.count(), 0);
    s.assert_still_serving().await;
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn overload_is_429_and_unavailable_is_503_with_retry_after() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    s.ingest.answer(Err(IngestError::Overloaded {
        retry_after: Duration::from_secs(3),
    }));
    let resp = s.post("/v1/logs", PROTOBUF, None, LOGS_PB.to_vec()).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "3");
    let status = status_body(resp).await;
    assert_eq!(
        status.retry_info().and_then(|r| r.delay()),
        Some(Duration::from_secs(3))
    );
    s.assert_still_serving().await;

    s.ingest.answer(Err(IngestError::Unavailable {
        retry_after: Duration::from_millis(1500),
        reason: "store busy".into(),
    }));
    let resp = s
        .post("/v1/logs", "application/json", None, LOGS_JSON.to_vec())
        .await;
    assert_eq!(resp.status(), 503);
    assert_eq!(
        resp.headers()["retry-after"],
        "2",
        "rounded up to whole seconds"
    );
    let v: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert!(v["message"].as_str().unwrap().contains("store busy"), "{v}");

    s.ingest.answer(Err(IngestError::Internal("bug".into())));
    let resp = s.post("/v1/logs", PROTOBUF, None, LOGS_PB.to_vec()).await;
    assert_eq!(resp.status(), 500);
    assert!(resp.headers().get("retry-after").is_none());
    s.assert_still_serving().await;
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn health_and_readiness() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    let get = |p: &str| s.client.get(format!("{}{p}", s.base)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(get("/readyz").await.unwrap().status(), 503);
    s.readiness.set_ready(true);
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    s.readiness.set_ready(false);
    assert_eq!(get("/readyz").await.unwrap().status(), 503);
    s.running.shutdown().await.unwrap();
}

#[tokio::test]
async fn custom_paths_are_served() {
    let ingest = Recorder::new();
    let mut cfg = HttpConfig {
        addr: loopback(),
        ..HttpConfig::default()
    };
    cfg.paths.logs = "/otlp/v1/logs".into();
    let server = bind_http(&cfg, ingest.clone()).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    let (stop, shutdown) = shutdown_pair();
    let task = tokio::spawn(server.serve(shutdown));
    let client = reqwest::Client::new();
    let post = |p: &str| {
        client
            .post(format!("{base}{p}"))
            .header("content-type", PROTOBUF)
            .body(LOGS_PB)
            .send()
    };
    assert_eq!(post("/otlp/v1/logs").await.unwrap().status(), 200);
    assert_eq!(post("/v1/logs").await.unwrap().status(), 404);
    assert_eq!(ingest.count(), 1);
    Running {
        addr: cfg.addr,
        stop: Some(stop),
        task,
    }
    .shutdown()
    .await
    .unwrap();
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests() {
    let s = start(tripline_receive::DEFAULT_MAX_BODY_BYTES).await;
    s.ingest.delay(Duration::from_millis(400));
    let client = s.client.clone();
    let url = format!("{}/v1/logs", s.base);
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .header("content-type", PROTOBUF)
            .body(LOGS_PB)
            .send()
            .await
            .map(|r| r.status())
    });
    // Wait until the request reached the ingest, then ask the server to stop.
    while s.ingest.count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stopped = s.running.shutdown();
    let status = in_flight
        .await
        .unwrap()
        .expect("in-flight request is answered");
    assert_eq!(status, 200);
    stopped.await.unwrap();
}

#[tokio::test]
async fn chunked_body_without_length_is_cut_at_the_limit() {
    let limit = 64 * 1024;
    let s = start(limit).await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..10).map(|_| Ok(vec![1u8; 16 * 1024])).collect();
    let resp = s
        .client
        .post(format!("{}/v1/logs", s.base))
        .header("content-type", PROTOBUF)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .expect("answered, not reset");
    assert_eq!(resp.status(), 413);
    assert_eq!(s.ingest.count(), 0);
    s.assert_still_serving().await;
    s.running.shutdown().await.unwrap();
}
