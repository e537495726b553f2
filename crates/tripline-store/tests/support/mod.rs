//! Builders shared by the integration tests and the write benchmark.
#![allow(dead_code)]

use std::collections::BTreeMap;

use tripline_event::{Alert, Event, RuleRef, Value};

/// A Codex `codex.tool_result` event of roughly 1 KB, like the normalizer produces.
pub fn codex_event(n: u64) -> Event {
    let mut e = Event::new();
    e.insert(
        "id",
        format!("{n:016x}{:016x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
    );
    e.insert(
        "time",
        format!(
            "2026-11-20T10:{:02}:{:02}.{:09}Z",
            (n / 60) % 60,
            n % 60,
            n % 1_000_000_000
        ),
    );
    e.insert("observed_time", "2026-11-20T10:00:00.000000000Z");
    e.insert("received_time", "2026-11-20T10:00:01.000000000Z");
    e.insert("signal", "log");
    e.insert("agent", "codex");
    e.insert("event_name", "codex.tool_result");
    e.insert(
        "otlp_event_name",
        "codex_otel::otel_event_manager: codex-rs/otel/src/otel_event_manager.rs:409",
    );
    e.insert("scope_name", "codex_otel::otel_event_manager");
    e.insert("severity", "INFO");
    e.insert("severity_number", 9i64);
    e.insert(
        "conversation_id",
        format!("0199a0b1-{:04x}-7c3e-9f1a-5b6c7d8e9f00", n % 17),
    );
    e.insert("host_name", format!("dev-laptop-{}", n % 5));
    e.insert("user_email", format!("dev{}@example.com", n % 3));
    e.insert("user_account_id", "acct_redacted_hmac_6f1e2d");
    e.insert("service_name", "codex_cli_rs");
    e.insert("service_version", "0.169.0");
    e.insert("originator", "codex_cli_rs");
    e.insert("app_version", "0.169.0");
    e.insert("auth_mode", "ApiKey");
    e.insert("model", "gpt-5-codex");
    e.insert("slug", "gpt-5-codex");
    e.insert("terminal_type", "xterm-256color");
    e.insert(
        "tool_name",
        if n.is_multiple_of(2) {
            "shell"
        } else {
            "apply_patch"
        },
    );
    e.insert("call_id", format!("call_{n:024}"));
    e.insert("arguments", "{\"command\":[\"bash\",\"-lc\",\"cargo test -p tripline-store\"],\"workdir\":\"/home/dev/src/tripline\",\"timeout_ms\":120000}");
    e.insert("duration_ms", (n % 5000) as i64);
    e.insert("success", "true");
    e.insert("output", "[REDACTED:tool_output sha256=3f5a...] running 14 tests\ntest schema::creates ... ok\ntest write::idempotent ... ok\ntest result: ok. 14 passed; 0 failed; 0 ignored; finished in 0.42s");
    e.insert(
        "redactions",
        Value::Object(BTreeMap::from([("tool_output".to_owned(), Value::Int(1))])),
    );
    e
}

/// An alert with the given identity.
pub fn alert(id: &str, revision: u32, count: u64) -> Alert {
    Alert {
        id: id.to_owned(),
        revision,
        time: "2026-11-20T10:05:00Z".to_owned(),
        rule: RuleRef {
            id: "codex-sandbox-weakened".to_owned(),
            name: "codex_sandbox_weakened".to_owned(),
            title: "Codex sandbox or approval policy weakened".to_owned(),
            level: "high".to_owned(),
            tags: vec!["attack.defense_evasion".to_owned()],
        },
        agent: "codex".to_owned(),
        group: BTreeMap::from([
            ("conversation_id".to_owned(), Value::from("conv-1")),
            ("host_name".to_owned(), Value::from("dev-laptop-1")),
            ("user_email".to_owned(), Value::from("dev1@example.com")),
        ]),
        count,
        first_time: "2026-11-20T10:00:00Z".to_owned(),
        last_time: "2026-11-20T10:05:00Z".to_owned(),
        events: vec![codex_event(1)],
        event_ids: vec![codex_event(1).id().unwrap_or_default().to_owned()],
        summary: format!("sandbox weakened {count} time(s)"),
        triage: None,
    }
}

/// `n` distinct Codex events starting at `start`.
pub fn codex_events(start: u64, n: u64) -> Vec<Event> {
    (start..start + n).map(codex_event).collect()
}
