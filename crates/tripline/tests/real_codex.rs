//! The real Codex CLI (npm `@openai/codex` 0.171.0) exporting to a running `tripline serve`
//! over OTLP/HTTP protobuf, OTLP/HTTP JSON and OTLP/gRPC, and with the README's `[otel]`
//! snippet. Codex talks to the scripted mock model (`tests/support/mock_model.py`): the model
//! runs one shell command, then answers. The tests assert on the normalized events that
//! `tripline query` returns.
//!
//! Needs the tools from `bash scripts/install-test-tools.sh` (see `support::tools` for the
//! policy when they are missing).

mod support;

use serde_json::{json, Value};
use support::codex::{self, CodexEnv, Transport};
use support::mock_model::MockModel;
use support::process::Finished;
use support::query::{self, at_least, show, str_col, Row};
use support::serve::Serve;
use support::tools::{self, Tool};

/// What the model asks Codex to run; the marker proves the command really ran.
const MARKER: &str = "tripline-codex-probe";
const COMMAND: &str = "echo tripline-codex-probe > probe.txt && cat probe.txt";
const PROMPT: &str = "write the probe file please";
const ANSWER: &str = "Wrote probe.txt.";

/// A finished Codex run and the servers it talked to.
struct CodexRun {
    serve: Serve,
    mock: MockModel,
    env: CodexEnv,
    out: Finished,
}

impl CodexRun {
    /// Everything useful when an assertion fails.
    fn context(&self) -> String {
        format!(
            "--- codex stdout ---\n{}\n--- codex stderr ---\n{}\n--- config.toml ---\n{}\n{}\n{}",
            self.out.stdout,
            self.out.stderr,
            self.env.config_text(),
            self.mock.log_text(),
            self.serve.log_text()
        )
    }
}

/// The model runs [`COMMAND`] through `exec_command`, then answers [`ANSWER`].
fn exec_script() -> Value {
    json!({"steps": [
        {"type": "tool", "command": COMMAND},
        {"type": "text", "text": ANSWER},
    ]})
}

/// Starts tripline and the mock model (playing `script`, a list of steps), runs
/// `codex exec --sandbox workspace-write` with the `[otel]` table `otel(&serve)`, and checks
/// that Codex exited 0, printed the last scripted answer and asked the model exactly once
/// per scripted step. `None` when the tools are missing (and the policy allows skipping).
fn run_codex(test: &str, script: Value, otel: impl FnOnce(&Serve) -> String) -> Option<CodexRun> {
    let found = tools::require(test, &[Tool::Codex, Tool::Python3, Tool::Git])?;
    let steps = script["steps"].as_array().map_or(0, Vec::len);
    let answer = script["steps"][steps.saturating_sub(1)]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let serve = Serve::start();
    let mock = MockModel::start(found.path(Tool::Python3), &script);
    let env = CodexEnv::new(found.path(Tool::Git), &mock.base_url(), &otel(&serve));
    let out = env.exec(
        found.path(Tool::Codex),
        &["--sandbox", "workspace-write"],
        PROMPT,
    );
    let run = CodexRun {
        serve,
        mock,
        env,
        out,
    };

    assert!(
        run.out.status.success(),
        "codex exec failed with {}\n{}",
        run.out.status,
        run.context()
    );
    assert!(
        run.out.stdout.contains(&answer),
        "codex did not print the model's answer\n{}",
        run.context()
    );
    let turns = run.mock.responses_requests();
    assert_eq!(
        turns.len(),
        steps,
        "Codex should ask the model once per scripted step\n{}",
        run.context()
    );
    assert!(
        turns.iter().all(|t| t["exhausted"] == false),
        "Codex asked the model more often than scripted\n{}",
        run.context()
    );
    Some(run)
}

/// The scripted command really ran in the work dir.
fn assert_probe_file(run: &CodexRun) {
    let probe = std::fs::read_to_string(run.env.work().join("probe.txt")).unwrap_or_default();
    assert_eq!(
        probe.trim(),
        MARKER,
        "the scripted command did not run in the work dir\n{}",
        run.context()
    );
}

/// The events one `codex exec` run must leave in the store, whatever the transport.
fn assert_codex_events(run: &CodexRun) {
    let serve = &run.serve;
    let ctx = || run.context();

    // Every record of the run is attributed to Codex, and all four signals arrived.
    let signals = serve.wait_rows(
        "logs, metric points, spans and span events from Codex",
        "SELECT DISTINCT signal FROM events ORDER BY signal",
        |rows| {
            let got: Vec<&str> = rows.iter().map(|r| str_col(r, "signal")).collect();
            let want = ["log", "metric", "span", "span_event"];
            if want.iter().all(|s| got.contains(s)) {
                Ok(())
            } else {
                Err(format!("signals {got:?}"))
            }
        },
    );
    assert_eq!(
        signals.len(),
        4,
        "unexpected signal values: {}\n{}",
        show(&signals),
        ctx()
    );
    let agents = serve.query("SELECT DISTINCT agent, service_name FROM events");
    assert_eq!(
        agents.len(),
        1,
        "every event of a codex exec run should have agent=codex, service_name=codex_exec: {}",
        show(&agents)
    );
    assert_eq!(str_col(&agents[0], "agent"), "codex");
    assert_eq!(str_col(&agents[0], "service_name"), "codex_exec");

    // codex.conversation_starts: exactly one log record, with the session's policies.
    let starts = serve.wait_rows(
        "the codex.conversation_starts log record",
        "SELECT conversation_id, host_name, originator, \
                json_extract(event, '$.approval_policy') AS approval_policy, \
                json_extract(event, '$.sandbox_policy') AS sandbox_policy \
         FROM events WHERE signal = 'log' AND event_name = 'codex.conversation_starts'",
        at_least(1),
    );
    assert_eq!(
        starts.len(),
        1,
        "one conversation_starts log record: {}\n{}",
        show(&starts),
        ctx()
    );
    let start = &starts[0];
    assert_eq!(
        str_col(start, "approval_policy"),
        "never",
        "codex exec forces approval never"
    );
    assert_eq!(str_col(start, "sandbox_policy"), "workspace-write");
    assert_eq!(str_col(start, "originator"), "codex_exec");
    assert!(
        !str_col(start, "host_name").is_empty(),
        "host_name from the resource: {}",
        show(&starts)
    );
    let conversation = str_col(start, "conversation_id").to_string();
    assert!(
        !conversation.is_empty(),
        "conversation_id: {}",
        show(&starts)
    );

    // codex.user_prompt: one record, same conversation, prompt not logged (log_user_prompt = false).
    let prompts = serve.wait_rows(
        "the codex.user_prompt log record",
        "SELECT conversation_id, json_extract(event, '$.prompt') AS prompt \
         FROM events WHERE signal = 'log' AND event_name = 'codex.user_prompt'",
        at_least(1),
    );
    assert_eq!(prompts.len(), 1, "{}", show(&prompts));
    assert_eq!(str_col(&prompts[0], "conversation_id"), conversation);
    assert_ne!(
        prompts[0].get("prompt"),
        Some(&json!(PROMPT)),
        "the prompt must not be stored verbatim"
    );

    // codex.tool_result: the command line in `arguments`, numbers and booleans coerced.
    let results = serve.wait_rows(
        "the codex.tool_result log record",
        "SELECT conversation_id, json_extract(event, '$.tool_name') AS tool_name, \
                json_extract(event, '$.arguments') AS arguments, \
                json_type(event, '$.duration_ms') AS duration_type, \
                json_type(event, '$.success') AS success_type \
         FROM events WHERE signal = 'log' AND event_name = 'codex.tool_result'",
        at_least(1),
    );
    assert_eq!(results.len(), 1, "{}", show(&results));
    let result = &results[0];
    assert_eq!(str_col(result, "conversation_id"), conversation);
    assert_eq!(str_col(result, "tool_name"), "exec_command");
    let arguments: Value = serde_json::from_str(str_col(result, "arguments")).unwrap_or_else(|e| {
        panic!(
            "arguments is not the JSON Codex sent ({e}): {}",
            show(&results)
        )
    });
    assert_eq!(arguments["cmd"], COMMAND, "arguments: {arguments}");
    let duration_type = str_col(result, "duration_type");
    assert!(
        duration_type == "integer" || duration_type == "real",
        "duration_ms (sent as a string) should be stored as a number, is {duration_type}"
    );
    assert_eq!(
        str_col(result, "success_type"),
        "true",
        "success (sent as \"true\") should be the boolean true"
    );

    // codex.api_request: one log record per model request, all answered 200.
    let turns = run.mock.responses_requests().len();
    let api = serve.wait_rows(
        "the codex.api_request log records",
        "SELECT json_extract(event, '$.http_response_status_code') AS status \
         FROM events WHERE signal = 'log' AND event_name = 'codex.api_request'",
        at_least(turns),
    );
    assert_eq!(
        api.len(),
        turns,
        "one codex.api_request per model request: {}",
        show(&api)
    );
    assert!(
        api.iter().all(|r| r["status"] == json!(200)),
        "statuses: {}",
        show(&api)
    );

    // Metric points: named, kinded, valued; the counters count what happened.
    let points = serve.wait_rows(
        "the codex.api_request and codex.tool.call metric points",
        "SELECT event_name, json_extract(event, '$.metric_name') AS metric_name, \
                json_extract(event, '$.metric_kind') AS metric_kind, \
                json_extract(event, '$.value') AS value, json_extract(event, '$.tool') AS tool \
         FROM events WHERE signal = 'metric' AND event_name IN ('codex.api_request', 'codex.tool.call')",
        |rows| {
            let names: Vec<&str> = rows.iter().map(|r| str_col(r, "event_name")).collect();
            if names.contains(&"codex.api_request") && names.contains(&"codex.tool.call") {
                Ok(())
            } else {
                Err(format!("metric names {names:?}"))
            }
        },
    );
    for point in &points {
        assert_eq!(
            point["metric_name"],
            point["event_name"],
            "metric_name: {}",
            show(&points)
        );
        assert!(
            point["metric_kind"].as_str().is_some_and(|k| !k.is_empty()),
            "metric_kind: {}",
            show(&points)
        );
    }
    let total = |name: &str| -> f64 {
        points
            .iter()
            .filter(|p| p["event_name"] == name)
            .map(|p| p["value"].as_f64().unwrap_or(f64::NAN))
            .sum()
    };
    assert_eq!(
        total("codex.api_request"),
        turns as f64,
        "codex.api_request counter: {}",
        show(&points)
    );
    assert_eq!(
        total("codex.tool.call"),
        1.0,
        "codex.tool.call counter: {}",
        show(&points)
    );
    assert!(
        points
            .iter()
            .any(|p| p["event_name"] == "codex.tool.call" && p["tool"] == "exec_command"),
        "codex.tool.call carries tool=exec_command: {}",
        show(&points)
    );

    // Spans: named by span name, with trace and span ids; the tool ran inside one.
    let spans = serve.wait_rows(
        "Codex spans",
        "SELECT event_name, json_extract(event, '$.trace_id') AS trace_id, \
                json_extract(event, '$.span_id') AS span_id \
         FROM events WHERE signal = 'span'",
        |rows| {
            let named = |n: &str| rows.iter().any(|r| r["event_name"] == n);
            if named("session_init") && named("exec_command") {
                Ok(())
            } else {
                Err("spans session_init and exec_command not both stored".into())
            }
        },
    );
    for span in &spans {
        let trace = span["trace_id"].as_str().unwrap_or("");
        let id = span["span_id"].as_str().unwrap_or("");
        assert!(
            trace.len() == 32
                && id.len() == 16
                && (trace.to_owned() + id)
                    .chars()
                    .all(|c| c.is_ascii_hexdigit()),
            "trace_id/span_id should be hex (32/16 digits): {}",
            query::show(std::slice::from_ref(span))
        );
    }

    // Span events: the codex.* events again, named by their event.name attribute.
    let span_events = serve.wait_rows(
        "codex.* span events",
        "SELECT event_name, conversation_id FROM events \
         WHERE signal = 'span_event' AND event_name IN ('codex.conversation_starts', 'codex.tool_result')",
        |rows| {
            let named = |n: &str| rows.iter().any(|r| r["event_name"] == n);
            if named("codex.conversation_starts") && named("codex.tool_result") {
                Ok(())
            } else {
                Err("span events codex.conversation_starts and codex.tool_result not both stored".into())
            }
        },
    );
    assert!(
        span_events
            .iter()
            .all(|r| r["conversation_id"] == json!(conversation)),
        "span events belong to the same conversation: {}",
        show(&span_events)
    );
}

#[test]
fn codex_over_otlp_http_protobuf() {
    let Some(run) = run_codex("codex_over_otlp_http_protobuf", exec_script(), |s| {
        codex::otel_section(Transport::HttpBinary, s.http_addr(), s.grpc_addr())
    }) else {
        return;
    };
    assert_probe_file(&run);
    assert_codex_events(&run);
}

#[test]
fn codex_over_otlp_http_json() {
    let Some(run) = run_codex("codex_over_otlp_http_json", exec_script(), |s| {
        codex::otel_section(Transport::HttpJson, s.http_addr(), s.grpc_addr())
    }) else {
        return;
    };
    assert_probe_file(&run);
    assert_codex_events(&run);
}

#[test]
fn codex_over_otlp_grpc() {
    let Some(run) = run_codex("codex_over_otlp_grpc", exec_script(), |s| {
        codex::otel_section(Transport::Grpc, s.http_addr(), s.grpc_addr())
    }) else {
        return;
    };
    assert_probe_file(&run);
    assert_codex_events(&run);
}

/// The `[otel]` snippet between the README markers, exactly as a user would paste it.
fn readme_snippet() -> String {
    support::docs::toml_snippet("README.md", "codex-otel-config")
}

#[test]
fn codex_with_readme_otel_snippet() {
    let snippet = readme_snippet();
    assert!(
        snippet.trim_start().starts_with("[otel]"),
        "README snippet should be the [otel] table:\n{snippet}"
    );
    assert_eq!(
        snippet.matches("127.0.0.1:4318").count(),
        3,
        "README snippet should send logs, traces and metrics to 127.0.0.1:4318:\n{snippet}"
    );
    let Some(run) = run_codex("codex_with_readme_otel_snippet", exec_script(), |s| {
        snippet.replace("127.0.0.1:4318", s.http_addr())
    }) else {
        return;
    };
    assert_probe_file(&run);
    let serve = &run.serve;
    serve.wait_rows(
        "the codex.conversation_starts log record (README config)",
        "SELECT agent FROM events WHERE signal = 'log' AND event_name = 'codex.conversation_starts' \
         AND agent = 'codex'",
        at_least(1),
    );
    let by_signal = serve.wait_rows(
        "logs, metrics and traces (README config)",
        "SELECT signal, count(*) AS n FROM events GROUP BY signal ORDER BY signal",
        |rows: &[Row]| {
            let has = |s: &str| {
                rows.iter()
                    .any(|r| r["signal"] == s && r["n"].as_u64().unwrap_or(0) > 0)
            };
            if has("log") && has("metric") && has("span") {
                Ok(())
            } else {
                Err("not every signal arrived".into())
            }
        },
    );
    assert!(!by_signal.is_empty(), "{}", run.context());
}

/// A 500 from the model API (retried), then a freeform `apply_patch` edit, then an answer:
/// the failed attempt and the patch show up as normalized events.
#[test]
fn codex_api_error_and_apply_patch() {
    let patch = "*** Begin Patch\n*** Add File: hello.py\n+print('hello')\n*** End Patch\n";
    let script = json!({"steps": [
        {"type": "error", "status": 500},
        {"type": "custom_tool_call", "name": "apply_patch", "input": patch},
        {"type": "text", "text": "Added hello.py."},
    ]});
    let Some(run) = run_codex("codex_api_error_and_apply_patch", script, |s| {
        codex::otel_section(Transport::HttpBinary, s.http_addr(), s.grpc_addr())
    }) else {
        return;
    };
    let hello = std::fs::read_to_string(run.env.work().join("hello.py")).unwrap_or_default();
    assert_eq!(
        hello.trim(),
        "print('hello')",
        "apply_patch did not create hello.py\n{}",
        run.context()
    );
    let serve = &run.serve;

    let api = serve.wait_rows(
        "codex.api_request log records for the failed and the successful attempts",
        "SELECT json_extract(event, '$.http_response_status_code') AS status, \
                json_extract(event, '$.attempt') AS attempt \
         FROM events WHERE signal = 'log' AND event_name = 'codex.api_request'",
        at_least(3),
    );
    let statuses: Vec<&Value> = api.iter().map(|r| &r["status"]).collect();
    assert_eq!(
        statuses.iter().filter(|s| ***s == json!(500)).count(),
        1,
        "one failed attempt with http.response.status_code 500: {}\n{}",
        show(&api),
        run.context()
    );
    assert_eq!(
        statuses.iter().filter(|s| ***s == json!(200)).count(),
        2,
        "two successful requests: {}",
        show(&api)
    );

    let results = serve.wait_rows(
        "the codex.tool_result log record for apply_patch",
        "SELECT json_extract(event, '$.tool_name') AS tool_name, json_extract(event, '$.arguments') AS arguments, \
                json_type(event, '$.success') AS success_type \
         FROM events WHERE signal = 'log' AND event_name = 'codex.tool_result'",
        at_least(1),
    );
    assert_eq!(results.len(), 1, "{}", show(&results));
    assert_eq!(
        str_col(&results[0], "tool_name"),
        "apply_patch",
        "{}",
        show(&results)
    );
    assert!(
        str_col(&results[0], "arguments").contains("*** Add File: hello.py"),
        "{}",
        show(&results)
    );
    assert_eq!(
        str_col(&results[0], "success_type"),
        "true",
        "{}",
        show(&results)
    );
}
