//! The sink outbox: written in the batch's transaction only when enabled, one row per new
//! event and per new alert revision (never for duplicates or stale revisions); cursors,
//! registration of sinks, pruning.

mod support;

use tripline_store::{Outbox, Store, StoreOptions, WriteBatch};

fn count(store: &Store) -> i64 {
    store
        .connection()
        .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn rows_follow_what_the_store_newly_keeps() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
    let events = support::codex_events(0, 10);
    store
        .write_batch(&WriteBatch {
            events: &events,
            ingest_time_ms: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(count(&store), 0, "off unless enabled");

    store.set_outbox(true);
    let more = support::codex_events(5, 10);
    let alerts = [support::alert("a1", 1, 1), support::alert("a1", 2, 2)];
    store
        .write_batch(&WriteBatch {
            events: &more,
            alerts: &alerts,
            ingest_time_ms: 2,
            ..Default::default()
        })
        .unwrap();
    // Events 10..15 are new (5..10 were stored before); both alert revisions are new.
    assert_eq!(count(&store), 5 + 2);
    store
        .write_batch(&WriteBatch {
            events: &more,
            alerts: &[support::alert("a1", 1, 1)],
            ingest_time_ms: 3,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(count(&store), 7, "retries and stale revisions add nothing");

    let outbox = Outbox::open(tmp.path(), &StoreOptions::default()).unwrap();
    let rows = outbox.read(0, 100).unwrap();
    let kinds: Vec<(&str, i64)> = rows.iter().map(|r| (r.kind.as_str(), r.revision)).collect();
    assert_eq!(kinds.iter().filter(|(k, _)| *k == "event").count(), 5);
    assert!(kinds.contains(&("alert", 1)) && kinds.contains(&("alert", 2)));
    let ev: tripline_event::Event = serde_json::from_str(&rows[0].body).unwrap();
    assert_eq!(
        ev.id(),
        Some(rows[0].id.as_str()),
        "the body is the stored event"
    );
    assert!(rows.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(outbox.end().unwrap(), rows.last().unwrap().seq);
}

#[test]
fn cursors_register_advance_and_prune() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path(), &StoreOptions::default()).unwrap();
    store.set_outbox(true);
    let events = support::codex_events(0, 6);
    store
        .write_batch(&WriteBatch {
            events: &events[..3],
            ingest_time_ms: 1,
            ..Default::default()
        })
        .unwrap();
    let mut outbox = Outbox::open(tmp.path(), &StoreOptions::default()).unwrap();
    outbox.register(&["a", "b"], 0, 10).unwrap();
    assert_eq!(
        outbox.cursor("a").unwrap(),
        Some((3, 0)),
        "a new sink starts at the end"
    );
    assert_eq!(
        count(&store),
        0,
        "rows no sink needs are pruned on registration"
    );
    store
        .write_batch(&WriteBatch {
            events: &events[3..],
            ingest_time_ms: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(outbox.stats(3).unwrap().pending, 3);
    assert_eq!(outbox.stats(3).unwrap().oldest_ingest_ms, Some(2));
    outbox.advance("a", 6, 0, 11).unwrap();
    assert_eq!(outbox.prune().unwrap(), 0, "b still needs them");
    outbox.advance("b", 5, 0, 11).unwrap();
    assert_eq!(
        outbox.prune().unwrap(),
        2,
        "rows at or below both cursors go"
    );
    outbox.advance("a", 4, 0, 12).unwrap();
    assert_eq!(
        outbox.cursor("a").unwrap(),
        Some((6, 0)),
        "cursors never go back"
    );
    outbox.register(&["a"], 0, 13).unwrap();
    assert_eq!(
        outbox.cursor("b").unwrap(),
        None,
        "a removed sink's cursor is dropped"
    );
    assert_eq!(count(&store), 0, "and its rows are pruned");
    outbox.register(&[], 0, 14).unwrap();
    assert!(outbox.cursors().unwrap().is_empty());
}
