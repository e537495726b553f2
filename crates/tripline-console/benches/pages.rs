//! Server time of each console page on a large store: 1M events (20,000 conversations of 50
//! events, 3 agents, 200 hosts, 500 users, over 7 days) and 10,000 alerts (12 rules, 2,000 of
//! them triaged), written straight through `tripline-store`. Each page is requested through
//! the console's router in-process (no network), after a login, 5 times to warm up and then
//! `TRIPLINE_BENCH_ROUNDS` (default 50) times; prints p50 and p95 per page.
//!
//! Run: `cargo bench -p tripline-console --bench pages`. `TRIPLINE_BENCH_DIR` puts the
//! store on a given disk (default: the system temp dir). Figures: docs/benchmarks.md.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;
use tripline_console::{Console, ConsoleOptions, RuleDoc};
use tripline_event::{names, Alert, Event, RuleRef, Triage, TriageStatus, Value};
use tripline_store::{ConsoleUser, Store, StoreOptions, Synchronous, WriteBatch};

const EVENTS: u64 = 1_000_000;
const PER_CONVERSATION: u64 = 50;
const ALERTS: u64 = 10_000;
const TRIAGED: u64 = 2_000;
const SPAN_MS: i64 = 7 * 24 * 3600 * 1000;
const AGENTS: [&str; 3] = ["codex", "claude_code", "gemini_cli"];
const SIGNALS: [&str; 3] = ["logs", "metrics", "traces"];
const EVENT_NAMES: [&str; 5] = [
    "codex.conversation_starts",
    "codex.tool_decision",
    "codex.tool_result",
    "codex.api_request",
    "codex.user_prompt",
];
const RULES: [(&str, &str, &str); 12] = [
    ("codex_sandbox_policy_weakened", "posture_weakened", "high"),
    (
        "claude_code_permission_mode_weakened",
        "posture_weakened",
        "high",
    ),
    (
        "gemini_cli_approval_mode_weakened",
        "posture_weakened",
        "medium",
    ),
    (
        "codex_prompt_content_exported",
        "content_exported",
        "medium",
    ),
    (
        "codex_sensitive_tool_output_exported",
        "content_exported",
        "high",
    ),
    (
        "codex_destructive_tool_auto_approved",
        "destructive_auto_approved",
        "high",
    ),
    ("codex_api_error_burst", "api_errors", "low"),
    ("codex_tool_failure_burst", "tool_failures", "low"),
    ("codex_tool_call_rate_spike", "rate_spike", "medium"),
    ("codex_command_fanout", "fanout", "medium"),
    ("codex_sensitive_file_access", "sensitive_access", "high"),
    ("codex_new_surface", "new_surface", "informational"),
];

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn event(i: u64, now: i64) -> Event {
    let conv = i / PER_CONVERSATION;
    let ms = now - SPAN_MS + (i as i64 * SPAN_MS / EVENTS as i64);
    let mut e = Event::new();
    e.insert(names::ID, format!("ev-{i:08}"));
    e.insert(names::TIME, time(ms));
    e.insert(names::SIGNAL, SIGNALS[(i % 3) as usize]);
    e.insert(names::AGENT, AGENTS[(conv % 3) as usize]);
    e.insert(names::EVENT_NAME, EVENT_NAMES[(i % 5) as usize]);
    e.insert(names::CONVERSATION_ID, format!("conv-{conv:06}"));
    e.insert(names::HOST_NAME, format!("host-{}", conv % 200));
    e.insert(
        names::USER_EMAIL,
        format!("user-{}@example.com", conv % 500),
    );
    e.insert(names::SERVICE_NAME, "codex_exec");
    e.insert(names::SERVICE_VERSION, format!("0.{}.0", 160 + conv % 10));
    e.insert(names::ORIGINATOR, "codex_exec");
    e.insert("tool_name", "shell");
    e.insert(
        "arguments",
        format!("[REDACTED:tool_arguments sha256={:016x}]", i * 7919),
    );
    e
}

fn alert(i: u64, now: i64) -> Alert {
    let conv = (i * 7) % (EVENTS / PER_CONVERSATION);
    let (rule, pattern, level) = RULES[(i % RULES.len() as u64) as usize];
    let ms = now - SPAN_MS + (i as i64 * SPAN_MS / ALERTS as i64);
    let mut group = std::collections::BTreeMap::new();
    group.insert(
        names::CONVERSATION_ID.to_owned(),
        Value::from(format!("conv-{conv:06}")),
    );
    group.insert(
        names::HOST_NAME.to_owned(),
        Value::from(format!("host-{}", conv % 200)),
    );
    group.insert(
        names::USER_EMAIL.to_owned(),
        Value::from(format!("user-{}@example.com", conv % 500)),
    );
    let evidence = event(conv * PER_CONVERSATION, now);
    Alert {
        id: format!("al-{i:06}"),
        revision: 1,
        time: time(ms),
        rule: RuleRef {
            id: format!("rule-{rule}"),
            name: rule.to_owned(),
            title: format!("{rule} title"),
            level: level.to_owned(),
            tags: vec![format!("tripline.pattern.{pattern}")],
        },
        agent: AGENTS[(conv % 3) as usize].to_owned(),
        group,
        count: 1 + i % 4,
        first_time: time(ms - 1000),
        last_time: time(ms),
        events: vec![evidence],
        event_ids: vec![format!("ev-{:08}", conv * PER_CONVERSATION)],
        summary: format!("{rule} in conv-{conv:06}"),
        triage: None,
    }
}

fn build(dir: &Path, now: i64) {
    let opts = StoreOptions {
        synchronous: Synchronous::Off,
        ..Default::default()
    };
    let mut store = Store::open(dir, &opts).expect("open store");
    let t = Instant::now();
    let batch = 20_000;
    for start in (0..EVENTS).step_by(batch as usize) {
        let events: Vec<Event> = (start..start + batch).map(|i| event(i, now)).collect();
        let ingest = now - SPAN_MS + (start as i64 * SPAN_MS / EVENTS as i64);
        store
            .write_batch(&WriteBatch {
                events: &events,
                ingest_time_ms: ingest,
                ..Default::default()
            })
            .expect("write events");
    }
    let alerts: Vec<Alert> = (0..ALERTS).map(|i| alert(i, now)).collect();
    store
        .write_batch(&WriteBatch {
            alerts: &alerts,
            ingest_time_ms: now,
            ..Default::default()
        })
        .expect("write alerts");
    for a in alerts.iter().take(TRIAGED as usize) {
        let mut a = a.clone();
        a.revision += 1;
        let closed = a.id.ends_with('0');
        a.triage = Some(Triage {
            status: if closed {
                TriageStatus::Closed
            } else {
                TriageStatus::Acknowledged
            },
            resolution: closed.then_some(tripline_event::Resolution::FalsePositive),
            note: "bench".into(),
            by: "bench".into(),
            time: time(now),
        });
        store.record_triage(&a, now).expect("triage");
    }
    store
        .put_console_user(
            &ConsoleUser {
                name: "bench".into(),
                role: "admin".into(),
                password_hash: tripline_console::hash_password("bench-password-1").unwrap(),
            },
            now,
        )
        .unwrap();
    store.connection().execute_batch("ANALYZE").unwrap();
    eprintln!(
        "store: {} events, {} alerts, built in {:.1?}",
        store.count_events().unwrap(),
        store.count_alerts().unwrap(),
        t.elapsed()
    );
}

fn rule_docs() -> Vec<RuleDoc> {
    RULES
        .iter()
        .map(|(name, pattern, level)| RuleDoc {
            name: (*name).to_owned(),
            title: format!("{name} title"),
            level: (*level).to_owned(),
            tags: vec![format!("tripline.pattern.{pattern}")],
            source: format!("title: {name}\nname: {name}\n"),
            ..Default::default()
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let base = std::env::var_os("TRIPLINE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::tempdir_in(base).expect("temp dir");
    let now = chrono::Utc::now().timestamp_millis();
    build(tmp.path(), now);
    let db = std::fs::metadata(tmp.path().join("tripline.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    eprintln!("database: {:.0} MiB", db as f64 / 1048576.0);
    let rounds: usize = std::env::var("TRIPLINE_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let console = Console::new(ConsoleOptions {
            data_dir: tmp.path().to_owned(),
            sinks: false,
            rules: rule_docs(),
            metrics: None,
            config_text: String::new(),
            retention: vec![],
            tls: false,
        });
        let app = tripline_console::router(Arc::clone(&console));
        let login = app
            .clone()
            .oneshot(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(
                        "name=bench&password=bench-password-1&next=/ui/alerts",
                    ))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(login.status(), StatusCode::SEE_OTHER);
        let cookie = login.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let pages = [
            "/alerts",
            "/alerts?pattern=posture_weakened&status=new",
            "/alerts?host=host-17&level=high",
            "/alerts/al-004321",
            "/sessions",
            "/sessions?host=host-17",
            "/sessions/conv-012345",
            "/inventory",
            "/rules",
            "/health",
            "/health?minutes=1440",
        ];
        println!("| page | p50 ms | p95 ms | max ms | page bytes |");
        println!("|---|---:|---:|---:|---:|");
        for path in pages {
            let mut times = Vec::with_capacity(rounds);
            let mut bytes = 0;
            for round in 0..rounds + 5 {
                let req = Request::get(path)
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap();
                let t = Instant::now();
                let res = app.clone().oneshot(req).await.unwrap();
                let status = res.status();
                let body = axum::body::to_bytes(res.into_body(), usize::MAX)
                    .await
                    .unwrap();
                let spent = t.elapsed();
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "{path}: {}",
                    String::from_utf8_lossy(&body)
                );
                if round >= 5 {
                    times.push(spent);
                }
                bytes = body.len();
            }
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "| `/ui{path}` | {:.1} | {:.1} | {:.1} | {bytes} |",
                ms(percentile(&times, 0.5)),
                ms(percentile(&times, 0.95)),
                ms(*times.last().unwrap())
            );
        }
    });
}
