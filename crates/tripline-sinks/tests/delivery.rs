//! The delivery worker against a scripted test sink and a real SQLite store: retries with
//! backoff, `retry_after`, dead-letter after `max_attempts`, fatal and per-item failures,
//! the queue bound, the cursor across restarts, stop during backoff, filters and the
//! sink's stricter redaction.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tripline_event::{Alert, Event, RuleRef, Value};
use tripline_redact::{RedactionPolicy, Redactor, SecretScanner};
use tripline_sinks::delivery::{Preparer, SinkStats, Step, Worker, WorkerConfig};
use tripline_sinks::{Outcome, Record, SendError, Sink, SinkSpec};
use tripline_store::{Store, StoreOptions, WriteBatch};

/// What the scripted sink answers to each send, in order; `Ok` with no failures once the
/// script is used up.
type Answer = Result<Vec<(usize, SendError)>, SendError>;

#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    /// Every batch the sink was given, in order.
    sends: Arc<Mutex<Vec<Vec<Record>>>>,
    /// Records accepted.
    delivered: Arc<Mutex<Vec<Record>>>,
}

struct ScriptedSink(Script);

impl Sink for ScriptedSink {
    fn kind(&self) -> &'static str {
        "test"
    }
    fn send(&mut self, batch: &[Record]) -> Result<Outcome, SendError> {
        self.0.sends.lock().unwrap().push(batch.to_vec());
        let answer = self
            .0
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Ok(Vec::new()));
        let failed = answer?;
        let mut delivered = self.0.delivered.lock().unwrap();
        for (i, r) in batch.iter().enumerate() {
            if !failed.iter().any(|(j, _)| *j == i) {
                delivered.push(r.clone());
            }
        }
        Ok(Outcome { failed })
    }
}

fn event(i: u32, agent: &str, name: &str) -> Event {
    let mut e = Event::new();
    e.insert("id", format!("ev-{i:04}"));
    e.insert(
        "time",
        format!("2026-11-20T10:{:02}:{:02}.000Z", i / 60 % 60, i % 60),
    );
    e.insert("agent", agent);
    e.insert("event_name", name);
    e.insert("user_email", "someone@corp.example");
    e
}

fn alert(id: &str, revision: u32, level: &str) -> Alert {
    Alert {
        id: id.into(),
        revision,
        time: "2026-11-20T10:00:02Z".into(),
        rule: RuleRef {
            id: "r1".into(),
            name: "rule_x".into(),
            title: "X".into(),
            level: level.into(),
            tags: vec![],
        },
        agent: "codex".into(),
        group: BTreeMap::from([(
            "user_email".to_owned(),
            Value::Str("someone@corp.example".into()),
        )]),
        count: 1,
        first_time: "2026-11-20T10:00:00Z".into(),
        last_time: "2026-11-20T10:00:02Z".into(),
        events: vec![],
        event_ids: vec![],
        summary: "s".into(),
        triage: None,
    }
}

struct Env {
    dir: tempfile::TempDir,
    store: Store,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
        store.set_outbox(true);
        Env { dir, store }
    }

    fn data(&self) -> &Path {
        self.dir.path()
    }

    fn write(&mut self, events: &[Event], alerts: &[Alert]) {
        self.store
            .write_batch(&WriteBatch {
                events,
                alerts,
                ingest_time_ms: chrono::Utc::now().timestamp_millis(),
                ..WriteBatch::default()
            })
            .unwrap();
    }

    fn events(&mut self, range: std::ops::Range<u32>) {
        let evs: Vec<Event> = range
            .map(|i| event(i, "codex", "codex.tool_result"))
            .collect();
        self.write(&evs, &[]);
    }

    fn worker(&self, spec: &str, script: &Script) -> (Worker, Arc<SinkStats>) {
        self.worker_with(spec, script, None)
    }

    fn worker_with(
        &self,
        spec: &str,
        script: &Script,
        redactor: Option<Redactor>,
    ) -> (Worker, Arc<SinkStats>) {
        let spec = SinkSpec::parse(0, &toml::from_str(spec).unwrap()).unwrap();
        let stats = Arc::new(SinkStats::new(&spec.name, &spec.kind));
        let cfg = WorkerConfig {
            poll: Duration::from_millis(10),
            idle_flush: Duration::from_millis(10),
            drain_grace: Duration::from_secs(1),
        };
        let w = Worker::new(
            Preparer::new(spec, redactor),
            Box::new(ScriptedSink(script.clone())),
            self.data(),
            None,
            Arc::clone(&stats),
            cfg,
        )
        .unwrap();
        (w, stats)
    }

    fn dead_letters(&self, sink: &str) -> Vec<serde_json::Value> {
        let path = tripline_sinks::delivery::deadletter::path(self.data(), sink);
        match std::fs::read_to_string(path) {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

const FAST: &str = "name = \"t\"\ntype = \"file\"\nreceive = [\"alerts\", \"events\"]\nbackoff_initial = \"1ms\"\nbackoff_max = \"4ms\"\n";

fn spec(extra: &str) -> String {
    format!("{FAST}{extra}\n")
}

/// Step until idle; returns the steps taken.
fn drain(w: &mut Worker) -> usize {
    let stop = AtomicBool::new(false);
    let mut n = 0;
    while w.step(&stop).unwrap() == Step::Worked {
        n += 1;
        assert!(n < 10_000, "the worker never goes idle");
    }
    n
}

fn ids(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| format!("{}:{}", r.id, r.revision))
        .collect()
}

#[test]
fn retries_until_the_sink_recovers() {
    let mut env = Env::new();
    env.events(0..10);
    let script = Script::default();
    script
        .answers
        .lock()
        .unwrap()
        .extend((0..3).map(|_| Err(SendError::retry("connection refused"))));
    let (mut w, stats) = env.worker(&spec("max_attempts = 5"), &script);
    drain(&mut w);
    assert_eq!(
        script.sends.lock().unwrap().len(),
        4,
        "three failures, then success"
    );
    assert_eq!(script.delivered.lock().unwrap().len(), 10);
    assert_eq!(stats.sent(), 10);
    assert_eq!(stats.failed_by_reason().get("retry"), Some(&30));
    assert!(env.dead_letters("t").is_empty());
    assert_eq!(stats.queued.load(Ordering::Relaxed), 0);
}

#[test]
fn dead_letter_after_max_attempts_then_moves_on() {
    let mut env = Env::new();
    env.events(0..4);
    let script = Script::default();
    script
        .answers
        .lock()
        .unwrap()
        .extend((0..3).map(|_| Err(SendError::retry("HTTP 503"))));
    let (mut w, stats) = env.worker(&spec("max_attempts = 3"), &script);
    drain(&mut w);
    assert_eq!(
        script.sends.lock().unwrap().len(),
        3,
        "exactly max_attempts sends"
    );
    assert!(script.delivered.lock().unwrap().is_empty());
    let dead = env.dead_letters("t");
    assert_eq!(dead.len(), 4);
    assert!(
        dead.iter()
            .all(|d| d["reason"] == "max_attempts"
                && d["error"].as_str().unwrap().contains("HTTP 503")),
        "{dead:?}"
    );
    assert_eq!(
        dead[0]["record"]["id"], "ev-0000",
        "the letter carries the record"
    );
    assert_eq!(
        stats.dead_lettered_by_reason().get("max_attempts"),
        Some(&4)
    );
    // The cursor moved past them: new records flow.
    env.events(4..6);
    drain(&mut w);
    assert_eq!(
        ids(&script.delivered.lock().unwrap()),
        vec!["ev-0004:1", "ev-0005:1"]
    );
}

#[test]
fn fatal_errors_dead_letter_at_once() {
    let mut env = Env::new();
    env.events(0..3);
    let script = Script::default();
    script
        .answers
        .lock()
        .unwrap()
        .push_back(Err(SendError::fatal("HTTP 400 mapping error")));
    let (mut w, stats) = env.worker(&spec("max_attempts = 10"), &script);
    drain(&mut w);
    assert_eq!(script.sends.lock().unwrap().len(), 1);
    let dead = env.dead_letters("t");
    assert_eq!(dead.len(), 3);
    assert!(dead.iter().all(|d| d["reason"] == "fatal"));
    assert_eq!(stats.failed_by_reason().get("fatal"), Some(&3));
}

#[test]
fn per_item_failures_dead_letter_refused_and_retry_the_rest() {
    let mut env = Env::new();
    env.events(0..5);
    let script = Script::default();
    script.answers.lock().unwrap().push_back(Ok(vec![
        (1, SendError::fatal("mapper_parsing_exception")),
        (3, SendError::retry("es_rejected_execution_exception")),
    ]));
    let (mut w, stats) = env.worker(&spec(""), &script);
    drain(&mut w);
    let sends = script.sends.lock().unwrap().clone();
    assert_eq!(sends.len(), 2);
    assert_eq!(
        ids(&sends[1]),
        vec!["ev-0003:1"],
        "only the retryable item is sent again"
    );
    let mut delivered = ids(&script.delivered.lock().unwrap());
    delivered.sort();
    assert_eq!(
        delivered,
        vec!["ev-0000:1", "ev-0002:1", "ev-0003:1", "ev-0004:1"]
    );
    let dead = env.dead_letters("t");
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0]["reason"].as_str(), dead[0]["id"].as_str()),
        (Some("rejected"), Some("ev-0001"))
    );
    assert!(dead[0]["error"]
        .as_str()
        .unwrap()
        .contains("mapper_parsing_exception"));
    assert_eq!(stats.sent(), 4);
}

#[test]
fn retry_after_is_honored_and_backoff_grows() {
    let mut env = Env::new();
    env.events(0..1);
    let script = Script::default();
    script
        .answers
        .lock()
        .unwrap()
        .push_back(Err(SendError::Retry {
            message: "429".into(),
            retry_after: Some(Duration::from_millis(300)),
        }));
    let (mut w, _) = env.worker(&spec(""), &script);
    let t0 = Instant::now();
    drain(&mut w);
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "waited at least the destination's retry_after"
    );
    assert_eq!(script.delivered.lock().unwrap().len(), 1);
}

#[test]
fn queue_bound_dead_letters_the_oldest() {
    let mut env = Env::new();
    env.events(0..12);
    let script = Script::default();
    let (mut w, stats) = env.worker(&spec("max_queue_records = 5"), &script);
    drain(&mut w);
    let dead = env.dead_letters("t");
    let dead_ids: Vec<&str> = dead.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(
        dead_ids,
        (0..7)
            .map(|i| format!("ev-{i:04}"))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    assert!(dead.iter().all(|d| d["reason"] == "queue_full"));
    assert_eq!(
        ids(&script.delivered.lock().unwrap()),
        (7..12).map(|i| format!("ev-{i:04}:1")).collect::<Vec<_>>()
    );
    assert_eq!(stats.dead_lettered_by_reason().get("queue_full"), Some(&7));
}

#[test]
fn the_cursor_survives_a_restart_and_the_outbox_is_pruned() {
    let mut env = Env::new();
    env.events(0..3);
    let script = Script::default();
    let (mut w, _) = env.worker(&spec(""), &script);
    drain(&mut w);
    drop(w);
    env.events(3..5);
    let script2 = Script::default();
    let (mut w2, _) = env.worker(&spec(""), &script2);
    drain(&mut w2);
    assert_eq!(
        ids(&script2.delivered.lock().unwrap()),
        vec!["ev-0003:1", "ev-0004:1"],
        "only what the first worker had not delivered"
    );
    let left: i64 = env
        .store
        .connection()
        .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0, "delivered rows are deleted");
}

#[test]
fn stop_during_backoff_keeps_the_batch_queued() {
    let mut env = Env::new();
    env.events(0..2);
    let script = Script::default();
    script
        .answers
        .lock()
        .unwrap()
        .extend((0..100).map(|_| Err(SendError::retry("down"))));
    let slow = "name = \"t\"\ntype = \"file\"\nreceive = [\"events\"]\nbackoff_initial = \"10s\"\nbackoff_max = \"10s\"\n";
    let (w, _) = env.worker(slow, &script);
    let stop = Arc::new(AtomicBool::new(false));
    let handle = tripline_sinks::delivery::spawn(w, Arc::clone(&stop)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while script.sends.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the worker never sent");
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    handle.join().unwrap();
    assert!(
        env.dead_letters("t").is_empty(),
        "nothing is dead-lettered on shutdown"
    );
    let (seq, _) = tripline_store::Outbox::open(env.data(), &StoreOptions::default())
        .unwrap()
        .cursor("t")
        .unwrap()
        .unwrap_or((0, 0));
    assert_eq!(
        seq, 0,
        "the cursor did not move: the batch is delivered after the restart"
    );
    let script2 = Script::default();
    let (mut w2, _) = env.worker(&spec(""), &script2);
    drain(&mut w2);
    assert_eq!(script2.delivered.lock().unwrap().len(), 2);
}

#[test]
fn filters_and_the_sinks_stricter_redaction_apply() {
    let mut env = Env::new();
    let events = vec![
        event(0, "codex", "codex.tool_result"),
        event(1, "codex", "codex.user_prompt"),
        event(2, "claude_code", "codex.tool_result"),
    ];
    env.write(
        &events,
        &[
            alert("a-low", 1, "low"),
            alert("a-high", 1, "high"),
            alert("a-high", 2, "high"),
        ],
    );
    let script = Script::default();
    let policy: RedactionPolicy = toml::from_str("identifier = \"drop\"").unwrap();
    let redactor = Redactor::new(
        policy,
        SecretScanner::shared_builtin(),
        b"test key of at least 32 bytes....",
    );
    let (mut w, _) = env.worker_with(
        &spec("min_level = \"high\"\nagents = [\"codex\"]\nevent_names = [\"codex.tool_result\"]\nformat = \"ecs\""),
        &script,
        Some(redactor),
    );
    drain(&mut w);
    let delivered = script.delivered.lock().unwrap().clone();
    let mut got = ids(&delivered);
    got.sort();
    assert_eq!(got, vec!["a-high:1", "a-high:2", "ev-0000:1"]);
    for r in &delivered {
        let text = r.body.to_string();
        assert!(
            !text.contains("someone@corp.example"),
            "identifier dropped by the sink's policy: {text}"
        );
        assert!(
            r.body["@timestamp"].is_string() && r.body["event"]["kind"].is_string(),
            "ECS: {text}"
        );
    }
}
