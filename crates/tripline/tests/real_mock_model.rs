//! The scripted Responses API mock (`tests/support/mock_model.py`) that the Codex tests put
//! behind the real CLI: its answers follow MODEL-PROTOCOL (SSE event order, function and
//! custom tool calls, HTTP errors, `/v1/models`, 404 elsewhere), steps are consumed one per
//! request, routes pick their own step list, and every request is logged.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{json, Value};
use support::mock_model::MockModel;
use support::tools::{self, Tool};

/// One HTTP/1.1 exchange with `Connection: close`: (status, lower-cased head, body).
fn http(
    base_url: &str,
    method: &str,
    path: &str,
    extra_headers: &[(&str, &str)],
    body: &Value,
) -> (u16, String, String) {
    let addr = base_url
        .trim_start_matches("http://")
        .trim_end_matches("/v1");
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let payload = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        payload.len()
    );
    for (k, v) in extra_headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&payload);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {raw:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_string())
}

/// The `data:` payloads of an SSE body, checking each `event:` line matches its `type`.
fn sse_events(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter(|chunk| !chunk.trim().is_empty())
        .map(|chunk| {
            let kind = chunk
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .expect("event: line");
            let data: Value = serde_json::from_str(
                chunk
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("data: line"),
            )
            .expect("data is JSON");
            assert_eq!(
                data["type"], kind,
                "the data repeats the event type: {chunk}"
            );
            data
        })
        .collect()
}

fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or(""))
        .collect()
}

fn responses(mock: &MockModel, headers: &[(&str, &str)]) -> (u16, String, String) {
    let request = json!({"model": "gpt-5.5", "stream": true, "input": [],
                         "tools": [{"type": "function", "name": "exec_command"}]});
    http(&mock.base_url(), "POST", "/v1/responses", headers, &request)
}

#[test]
fn mock_model_plays_its_script() {
    let Some(found) = tools::require("mock_model_plays_its_script", &[Tool::Python3]) else {
        return;
    };
    let script = json!({
        "steps": [
            {"type": "error", "status": 500},
            {"type": "tool", "command": "ls -la"},
            {"type": "custom_tool_call", "name": "apply_patch", "input": "*** Begin Patch\n*** End Patch\n"},
            {"type": "text", "text": "All done."},
        ],
        "routes": [{"header": "x-openai-subagent", "value": "guardian",
                    "steps": [{"type": "text", "text": "guardian says ok"}]}],
    });
    let mock = MockModel::start(found.path(Tool::Python3), &script);
    let base = mock.base_url();

    let (status, _, body) = http(&base, "GET", "/v1/models", &[], &Value::Null);
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["object"],
        "list"
    );
    let (status, _, _) = http(
        &base,
        "POST",
        "/v1/analytics/codex/turn-costs",
        &[],
        &json!({}),
    );
    assert_eq!(status, 404);

    // Step 1: an HTTP error with a JSON error body.
    let (status, _, body) = responses(&mock, &[]);
    assert_eq!(status, 500);
    assert!(
        serde_json::from_str::<Value>(&body).unwrap()["error"]["message"].is_string(),
        "{body}"
    );

    // A routed request takes its own step list and leaves the main one alone.
    let (status, _, body) = responses(&mock, &[("x-openai-subagent", "guardian")]);
    assert_eq!(status, 200);
    assert!(body.contains("guardian says ok"), "{body}");

    // Step 2: a function call to the advertised shell tool.
    let (status, head, body) = responses(&mock, &[]);
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    let events = sse_events(&body);
    assert_eq!(
        types(&events),
        [
            "response.created",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let item = &events[4]["item"];
    assert_eq!(item["type"], "function_call");
    assert_eq!(item["name"], "exec_command");
    let args: Value = serde_json::from_str(item["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"cmd": "ls -la"}));
    assert_eq!(
        events[5]["response"]["output"][0]["call_id"],
        item["call_id"]
    );
    assert!(events[5]["response"]["usage"]["total_tokens"].is_number());

    // Step 3: a freeform custom tool call.
    let events = sse_events(&responses(&mock, &[]).2);
    assert_eq!(events[2]["item"]["type"], "custom_tool_call");
    assert_eq!(events[2]["item"]["name"], "apply_patch");
    assert_eq!(
        events[2]["item"]["input"],
        "*** Begin Patch\n*** End Patch\n"
    );

    // Step 4: a text answer.
    let events = sse_events(&responses(&mock, &[]).2);
    assert_eq!(
        types(&events),
        [
            "response.created",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(events[5]["item"]["content"][0]["text"], "All done.");

    // Used up: still a text turn, flagged in the log.
    let (status, _, _) = responses(&mock, &[]);
    assert_eq!(status, 200);
    let log = mock.requests();
    let summary: Vec<(String, String, bool)> = log
        .iter()
        .map(|r| {
            let step = r["step"]["type"].as_str().unwrap_or("-").to_string();
            (
                r["path"].as_str().unwrap_or("").to_string(),
                step,
                r["exhausted"] == true,
            )
        })
        .collect();
    let expect = |p: &str, s: &str, e: bool| (p.to_string(), s.to_string(), e);
    assert_eq!(
        summary,
        [
            expect("/v1/models", "-", false),
            expect("/v1/analytics/codex/turn-costs", "-", false),
            expect("/v1/responses", "error", false),
            expect("/v1/responses", "text", false),
            expect("/v1/responses", "tool", false),
            expect("/v1/responses", "custom_tool_call", false),
            expect("/v1/responses", "text", false),
            expect("/v1/responses", "-", true),
        ]
    );
    assert_eq!(
        log[2]["body"]["model"], "gpt-5.5",
        "request bodies are logged as JSON"
    );
    assert_eq!(
        log[3]["headers"]["x-openai-subagent"], "guardian",
        "headers are logged"
    );
}
