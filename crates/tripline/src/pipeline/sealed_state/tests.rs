//! The pipeline's state entries: a schema-v1 data dir (one sealed snapshot) is migrated and
//! continues exactly; a failed commit rolls the analyzer back to the committed entries.

use std::path::Path;

use tripline_event::{Alert, Event};
use tripline_loadgen::GenSpec;
use tripline_redact::{RedactionPolicy, Redactor, SecretScanner};
use tripline_store::{Store, StoreError, StoreOptions, WriteBatch};

use super::{tagged, LEGACY_ENRICH_NAME, LEGACY_KEY, TAG_ENRICH, TAG_ENRICH_WHOLE};
use crate::pipeline::analyze::{Analyzer, RuleSet};
use crate::pipeline::seal::Sealer;
use crate::pipeline::{Pipeline, PipelineOptions};

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
const NOW_MS: i64 = 1_767_226_000_000;

fn analyzer() -> Analyzer {
    let set = RuleSet {
        builtin: true,
        ..RuleSet::default()
    };
    Analyzer::load(
        &set,
        crate::pipeline::setup::engine_options(
            &crate::config::Config::default(),
            &Default::default(),
        ),
    )
    .expect("built-in rules load")
}

fn pipeline(dir: Option<&Path>, store: StoreOptions) -> Pipeline {
    Pipeline::open(PipelineOptions {
        analyzer: analyzer(),
        data_dir: dir.map(Path::to_path_buf),
        store,
        redactor: Redactor::new(
            RedactionPolicy::default(),
            SecretScanner::shared_builtin(),
            KEY,
        ),
        sealer: Sealer::new(KEY),
    })
    .expect("pipeline opens")
}

/// Load-generator batches (tool calls in bursts, inside the built-in correlation windows).
fn batches(n: u64) -> Vec<Vec<Event>> {
    let spec = GenSpec {
        seed: 7,
        records: n * 100,
        batch_size: 100,
        ..GenSpec::default()
    };
    (0..spec.batches())
        .map(|b| {
            let body = spec.batch_body(b);
            tripline_otlp::decode(
                tripline_otlp::OtlpSignal::Logs,
                tripline_otlp::Encoding::Protobuf,
                &body,
                &tripline_otlp::Limits::default(),
            )
            .expect("generated batches decode")
            .events
        })
        .collect()
}

fn ids(alerts: &[Alert]) -> Vec<(String, u32, u64)> {
    alerts
        .iter()
        .map(|a| (a.id.clone(), a.revision, a.count))
        .collect()
}

fn snapshot(p: &Pipeline) -> Vec<u8> {
    p.shared.stages.lock().unwrap().analyzer.snapshot()
}

/// The uninterrupted reference (no store: same analyzer, same redaction) over `all`, and
/// the alerts of the batches from `split` on.
fn uninterrupted(all: &[Vec<Event>], split: usize) -> (Pipeline, Vec<Alert>) {
    let reference = pipeline(None, StoreOptions::default());
    let mut expected = Vec::new();
    for (i, b) in all.iter().enumerate() {
        let out = reference.process_events(b.clone(), NOW_MS).unwrap();
        if i >= split {
            expected.extend(out.alerts);
        }
    }
    (reference, expected)
}

#[test]
fn a_legacy_snapshot_data_dir_is_migrated_and_continues_exactly() {
    let all = batches(12);
    let split = 6;
    let (reference, expected) = uninterrupted(&all, split);
    assert!(
        !expected.is_empty(),
        "the second half fires nothing; the test would prove little"
    );

    // A data dir as tripline wrote it before entries: events plus one sealed snapshot
    // under `engine` in `state`, schema version 1.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    {
        let mut old = analyzer();
        let mut store = Store::open(&dir, &StoreOptions::default()).unwrap();
        let sealer = Sealer::new(KEY);
        for b in &all[..split] {
            let mut events = b.clone();
            for ev in &mut events {
                ev.insert_if_absent(
                    tripline_event::names::RECEIVED_TIME,
                    tripline_time::format_ms(NOW_MS),
                );
            }
            old.enrich(&mut events);
            old.run(&events);
            old.advance_watermark();
            let sealed = sealer.seal(&old.snapshot()).unwrap();
            store
                .write_batch(&WriteBatch {
                    events: &events,
                    state: &[(LEGACY_KEY, &sealed)],
                    ingest_time_ms: NOW_MS,
                    ..WriteBatch::default()
                })
                .unwrap();
        }
        store
            .connection()
            .execute_batch(
                "DROP TABLE engine_state; DROP TABLE outbox; DROP TABLE sink_cursor;
                 DROP TABLE console_users; DROP TABLE alert_triage; DROP TABLE alert_audit;
                 DROP INDEX alerts_conversation_id; DROP INDEX alerts_rule_stats;
                 DROP INDEX alerts_agent_time; DROP INDEX alerts_host_name;
                 DROP INDEX alerts_user_email; DROP INDEX events_ingest_signal_agent;
                 DROP INDEX events_conversation_time;
                 CREATE INDEX events_ingest_time ON events(ingest_time);
                 CREATE INDEX events_conversation_id ON events(conversation_id);
                 PRAGMA user_version = 1;",
            )
            .unwrap();
    }

    let migrated = pipeline(Some(&dir), StoreOptions::default());
    {
        let store = migrated.writer.as_ref().unwrap().store();
        assert_eq!(
            store.load_state(LEGACY_KEY).unwrap(),
            None,
            "the legacy snapshot is deleted"
        );
        assert!(
            store.count_state_entries().unwrap() > 10,
            "the state is stored as entries"
        );
        let version: i64 = store
            .connection()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, tripline_store::SCHEMA_VERSION);
    }
    let mut got = Vec::new();
    for b in &all[split..] {
        got.extend(migrated.process_events(b.clone(), NOW_MS).unwrap().alerts);
    }
    assert_eq!(ids(&got), ids(&expected));
    assert_eq!(
        snapshot(&migrated),
        snapshot(&reference),
        "same state as never stopped"
    );
    drop(migrated);

    // And a restart from the entries alone gives the same state again.
    let reopened = pipeline(Some(&dir), StoreOptions::default());
    assert_eq!(snapshot(&reopened), snapshot(&reference));
}

#[test]
fn a_failed_commit_rolls_the_detector_back_to_the_committed_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let opts = StoreOptions {
        max_db_bytes: Some(1024 * 1024),
        ..StoreOptions::default()
    };
    let p = pipeline(Some(&dir), opts);
    let mut committed = None;
    let mut failed = false;
    for b in batches(40) {
        match p.process_events(b, NOW_MS) {
            Ok(_) => committed = Some(snapshot(&p)),
            Err(StoreError::DiskFull(_)) => {
                failed = true;
                break;
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert!(
        failed,
        "the size cap must be hit for this test to mean anything"
    );
    let committed = committed.expect("some batches fit");
    assert!(
        snapshot(&p) == committed,
        "rolled back to the last committed state"
    );
    drop(p);
    let reopened = pipeline(Some(&dir), StoreOptions::default());
    assert!(
        snapshot(&reopened) == committed,
        "the store holds exactly that state"
    );
}

#[test]
fn a_data_dir_with_the_whole_enrichment_entry_continues_exactly_and_is_rewritten() {
    let all = batches(8);
    let split = 4;
    let (reference, expected) = uninterrupted(&all, split);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let sealer = Sealer::new(KEY);
    {
        let p = pipeline(Some(&dir), StoreOptions::default());
        for b in &all[..split] {
            p.process_events(b.clone(), NOW_MS).unwrap();
        }
        // Rewrite the enrichment entries as the earlier format's one whole entry.
        let stages = p.shared.stages.lock().unwrap();
        let whole = serde_json::to_vec(&stages.analyzer.enricher().snapshot()).unwrap();
        let store = p.writer.as_ref().unwrap().store();
        let conn = store.connection();
        let rows: Vec<(String, Vec<u8>)> = conn
            .prepare("SELECT key, value FROM engine_state")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut removed = 0;
        for (key, value) in rows {
            if sealer.open(&value).unwrap().first() == Some(&TAG_ENRICH) {
                conn.execute("DELETE FROM engine_state WHERE key = ?1", [key])
                    .unwrap();
                removed += 1;
            }
        }
        assert!(removed > 2, "the enrichment state was stored as entries");
        conn.execute(
            "INSERT INTO engine_state (key, value, updated_ms) VALUES (?1, ?2, 0)",
            (
                sealer.entry_id(LEGACY_ENRICH_NAME),
                sealer.seal(&tagged(TAG_ENRICH_WHOLE, &whole)).unwrap(),
            ),
        )
        .unwrap();
    }
    let reopened = pipeline(Some(&dir), StoreOptions::default());
    let mut got = Vec::new();
    for b in &all[split..] {
        got.extend(reopened.process_events(b.clone(), NOW_MS).unwrap().alerts);
    }
    assert_eq!(ids(&got), ids(&expected));
    assert_eq!(snapshot(&reopened), snapshot(&reference));
    {
        let store = reopened.writer.as_ref().unwrap().store();
        let conn = store.connection();
        let whole_left: i64 = conn
            .query_row(
                "SELECT count(*) FROM engine_state WHERE key = ?1",
                [sealer.entry_id(LEGACY_ENRICH_NAME)],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(whole_left, 0, "the whole entry is replaced by entries");
    }
    drop(reopened);
    let again = pipeline(Some(&dir), StoreOptions::default());
    assert_eq!(snapshot(&again), snapshot(&reference));
}
