//! The HTTP sinks with real consumers: the `otlp` sink forwards into a second
//! `tripline serve` (a real OTLP/HTTP receiver), which stores what it got and answers to
//! `tripline query`.

mod support;

#[path = "../../tripline-sinks/tests/support/recorder.rs"]
#[allow(dead_code)]
mod recorder;

use serde_json::json;
use support::query::{at_least, show};
use support::serve::Serve;
use tripline_sinks::{registry, BuildContext, Outcome, Record, RecordKind};

fn otlp_sink(endpoint: &str) -> Box<dyn tripline_sinks::Sink> {
    let ctx = BuildContext { name: "forward".into(), data_dir: std::env::temp_dir() };
    let table: toml::Table = toml::from_str(&format!("endpoint = \"{endpoint}\"\nservice_name = \"tripline-edge\"")).unwrap();
    registry::build("otlp", &ctx, &table).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn otlp_forward_is_accepted_and_stored_by_a_second_tripline() {
    let downstream = Serve::start();
    let mut sink = otlp_sink(&downstream.http_url());
    let now = chrono::Utc::now().timestamp_millis();
    let mut batch: Vec<Record> = (0..3)
        .map(|i| Record {
            kind: RecordKind::Event,
            id: format!("ev-{i}"),
            revision: 1,
            time_ms: now - 1000 + i,
            agent: "codex".into(),
            body: json!({
                "id": format!("ev-{i}"), "event_name": "codex.tool_result", "agent": "codex",
                "conversation_id": "conv-fwd-1", "tool_name": "exec_command", "duration_ms": 10 + i,
                "success": true,
            }),
        })
        .collect();
    batch.push(Record {
        kind: RecordKind::Alert,
        id: "al-fwd".into(),
        revision: 2,
        time_ms: now,
        agent: "codex".into(),
        body: json!({"id": "al-fwd", "revision": 2, "rule": {"title": "Forwarded alert", "level": "high"}, "count": 3}),
    });
    assert_eq!(sink.send(&batch).unwrap_or_else(|e| panic!("{e}\n{}", downstream.log_text())), Outcome::all_delivered());

    let rows = downstream.wait_rows(
        "the forwarded records in the second tripline",
        "SELECT event_name, agent, service_name, \
                json_extract(event, '$.tripline_id') AS tid, \
                json_extract(event, '$.tripline_revision') AS rev, \
                json_extract(event, '$.tripline_kind') AS kind, \
                json_extract(event, '$.tool_name') AS tool, \
                json_extract(event, '$.duration_ms') AS ms, \
                json_extract(event, '$.rule_title') AS title, \
                json_extract(event, '$.severity') AS severity \
         FROM events WHERE json_extract(event, '$.tripline_id') IS NOT NULL ORDER BY tid",
        at_least(4),
    );
    assert_eq!(rows.len(), 4, "{}", show(&rows));
    let alert = &rows[0];
    assert_eq!(alert["tid"], "al-fwd", "{}", show(&rows));
    assert_eq!(alert["event_name"], "tripline.alert");
    assert_eq!(alert["rev"], 2);
    assert_eq!(alert["kind"], "alert");
    assert_eq!(alert["title"], "Forwarded alert");
    assert_eq!(alert["severity"], "high");
    assert_eq!(alert["service_name"], "tripline-edge");
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row["tid"], format!("ev-{i}"), "{}", show(&rows));
        assert_eq!(row["event_name"], "codex.tool_result");
        assert_eq!(row["agent"], "codex", "the agent is inferred from the event name");
        assert_eq!(row["kind"], "event");
        assert_eq!(row["tool"], "exec_command");
        assert_eq!(row["ms"], 10 + i as i64, "integers stay integers");
    }
}
