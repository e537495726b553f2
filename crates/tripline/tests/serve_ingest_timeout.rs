//! `[pipeline] ingest_timeout`: a request that is not stored in time is answered 503 (the
//! exporter retries), its work goes on and commits, and the retry stores nothing twice.

mod support;

use std::time::Duration;

use support::http::post;
use support::serve::Serve;

const BODY: &[u8] =
    include_bytes!("../../tripline-otlp/tests/fixtures/codex/a-baseline/0003-logs.pb");

#[test]
fn a_request_over_the_ingest_timeout_gets_503_and_is_still_stored_once() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("tripline.toml");
    // A zero timeout: no request is answered before it is waited on.
    std::fs::write(&config, "[pipeline]\ningest_timeout = \"0\"\n").unwrap();
    let serve = Serve::start_with(&["--config", config.to_str().unwrap()]);
    let headers = [("content-type", "application/x-protobuf")];
    let first = post(serve.http_addr(), "/v1/logs", &headers, BODY);
    assert_eq!(first.status, 503, "{}", first.text());
    assert!(first.text().contains("ingest timeout"), "{}", first.text());

    // The work went on: the events arrive in the store.
    let rows = serve.wait_rows(
        "the timed-out request's events",
        "SELECT count(*) AS n FROM events",
        |rows| match rows[0]["n"].as_u64() {
            Some(n) if n > 0 => Ok(()),
            other => Err(format!("{other:?} events")),
        },
    );
    let stored = rows[0]["n"].as_u64().unwrap();

    // The exporter's retry stores nothing twice (it may be quick enough, having nothing
    // new to store, to be answered 200 even with a zero timeout).
    let retry = post(serve.http_addr(), "/v1/logs", &headers, BODY);
    assert!(matches!(retry.status, 200 | 503), "{}", retry.text());
    std::thread::sleep(Duration::from_millis(500));
    let again = serve.query("SELECT count(*) AS n FROM events");
    assert_eq!(again[0]["n"].as_u64(), Some(stored));
}
