//! Sender authentication on both listeners.

mod common;

use common::{loopback, shutdown_pair, Recorder, Running};
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use prost::Message;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::Code;
use tripline_receive::rpc_status::RpcStatus;
use tripline_receive::{bind_grpc, bind_http, Auth, GrpcConfig, HttpConfig, Token};

const LOGS_PB: &[u8] = include_bytes!("fixtures/codex-logs.pb");

fn tokens() -> Auth {
    Auth::bearer(vec![
        Token {
            emitter: "dev-laptop".into(),
            secret: "tok-laptop-0123456789".into(),
        },
        Token {
            emitter: "ci".into(),
            secret: "tok-ci-9876543210".into(),
        },
    ])
}

#[tokio::test]
async fn http_requires_a_known_bearer_token_and_names_the_emitter() {
    let ingest = Recorder::new();
    let auth = tokens();
    let cfg = HttpConfig {
        addr: loopback(),
        auth: auth.clone(),
        ..HttpConfig::default()
    };
    let server = bind_http(&cfg, ingest.clone()).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    let (stop, shutdown) = shutdown_pair();
    let running = Running {
        addr: server.local_addr(),
        stop: Some(stop),
        task: tokio::spawn(server.serve(shutdown)),
    };
    let client = reqwest::Client::new();
    let post = |auth: Option<&'static str>| {
        let mut req = client
            .post(format!("{base}/v1/logs"))
            .header("content-type", "application/x-protobuf")
            .body(LOGS_PB);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };

    let resp = post(None).await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let status = RpcStatus::decode(resp.bytes().await.unwrap().as_ref()).unwrap();
    assert_eq!(status.code, Code::Unauthenticated as i32);
    assert!(status.message.contains("missing"), "{}", status.message);

    let resp = post(Some("Bearer tok-laptop-0123456788")).await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(ingest.count(), 0);
    assert_eq!(auth.failures(), 2);

    assert_eq!(
        post(Some("Bearer tok-ci-9876543210"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(ingest.last().emitter.as_deref(), Some("ci"));
    assert_eq!(
        post(Some("Bearer tok-laptop-0123456789"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(ingest.last().emitter.as_deref(), Some("dev-laptop"));

    // Health endpoints stay open.
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(auth.failures(), 2);
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn grpc_requires_a_known_token_in_a_custom_header() {
    let ingest = Recorder::new();
    let mut auth = tokens();
    auth.header = "x-tripline-token".into();
    let cfg = GrpcConfig {
        addr: loopback(),
        auth: auth.clone(),
        ..GrpcConfig::default()
    };
    let server = bind_grpc(&cfg, ingest.clone()).await.unwrap();
    let addr = server.local_addr();
    let (stop, shutdown) = shutdown_pair();
    let running = Running {
        addr,
        stop: Some(stop),
        task: tokio::spawn(server.serve(shutdown)),
    };
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = LogsServiceClient::new(channel);
    let export = ExportLogsServiceRequest::decode(LOGS_PB).unwrap();

    let err = client.export(export.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    let mut req = tonic::Request::new(export.clone());
    req.metadata_mut()
        .insert("x-tripline-token", MetadataValue::from_static("wrong"));
    assert_eq!(
        client.export(req).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    assert_eq!(ingest.count(), 0);
    assert_eq!(auth.failures(), 2);

    let mut req = tonic::Request::new(export);
    req.metadata_mut().insert(
        "x-tripline-token",
        MetadataValue::from_static("tok-laptop-0123456789"),
    );
    client.export(req).await.expect("authenticated export");
    assert_eq!(ingest.last().emitter.as_deref(), Some("dev-laptop"));
    running.shutdown().await.unwrap();
}
