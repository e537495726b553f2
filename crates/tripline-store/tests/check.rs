//! `check::check` and `check::repair` against WAL files written by SQLite itself: the scan
//! must end the committed log exactly where SQLite's recovery ends it (the repair compares
//! the two and reports a possible loss when they differ), including a WAL reused after a
//! checkpoint, whose tail holds frames of the earlier generation.

use std::path::Path;

use rusqlite::Connection;
use tripline_store::check::{check, repair, CheckOptions, Integrity};

const PAGE: usize = 4096;

/// A WAL-mode database `dir/tripline.db` written without checkpoints; the connection is
/// returned open so the WAL stays (closing the last connection would checkpoint it).
fn writer(dir: &Path) -> Connection {
    let conn = Connection::open(dir.join("tripline.db")).unwrap();
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .unwrap();
    conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
        .unwrap();
    conn
}

fn insert(conn: &Connection, from: i64, n: i64) {
    for i in from..from + n {
        conn.execute("INSERT INTO t VALUES (?1, zeroblob(3000))", [i])
            .unwrap();
    }
}

/// Copy the files as a crash would leave them (the writer is idle between transactions).
fn snapshot(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in ["tripline.db", "tripline.db-wal"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
}

fn rows(dir: &Path) -> i64 {
    let conn = Connection::open(dir.join("tripline.db")).unwrap();
    conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn scan_agrees_with_sqlite_recovery_on_a_reused_wal() {
    let tmp = tempfile::tempdir().unwrap();
    let live = tmp.path().join("live");
    std::fs::create_dir_all(&live).unwrap();
    let conn = writer(&live);
    insert(&conn, 0, 40);
    // Copy everything into the database and start the WAL over: the next transactions
    // overwrite its beginning and leave the older frames behind them.
    let (busy, _, _): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(busy, 0);
    insert(&conn, 40, 5);
    let copy = tmp.path().join("copy");
    snapshot(&live, &copy);

    let report = check(&copy, &CheckOptions::default()).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems());
    let db = &report.databases[0];
    assert_eq!(db.integrity, Integrity::Ok);
    let wal = db.wal.as_ref().unwrap();
    assert_eq!(wal.transactions, 5, "{wal:?}");
    assert!(
        wal.stale_frames > 0,
        "the earlier generation's frames follow: {wal:?}"
    );
    assert_eq!(
        wal.file_bytes,
        32 + (wal.committed_frames + wal.stale_frames) * (24 + PAGE as u64)
    );

    // A torn write at the end of the current generation: half of a frame carrying the
    // current salts, after which the stale frames no longer matter.
    let wal_path = copy.join("tripline.db-wal");
    let mut bytes = std::fs::read(&wal_path).unwrap();
    let end = wal.committed_end as usize;
    let frame = 24 + PAGE;
    let torn = bytes[end - frame..end - frame / 2].to_vec();
    bytes.truncate(end);
    bytes.extend_from_slice(&torn);
    std::fs::write(&wal_path, &bytes).unwrap();
    let report = check(&copy, &CheckOptions::default()).unwrap();
    let scanned = report.databases[0].wal.clone().unwrap();
    assert!(
        scanned.torn_tail() && scanned.partial_bytes == torn.len() as u64,
        "{scanned:?}"
    );

    let fixed = repair(&copy, &CheckOptions::default()).unwrap();
    assert!(
        fixed.is_ok(),
        "SQLite kept a different number of frames than the scan: {:?}",
        fixed.actions
    );
    assert!(
        fixed.actions.iter().any(|a| a.contains(&format!(
            "kept {} committed frames",
            scanned.committed_frames
        ))),
        "{:?}",
        fixed.actions
    );
    assert_eq!(rows(&copy), 45, "every committed row survives");
    drop(conn);
}

#[test]
fn an_unfinished_transaction_is_dropped_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let live = tmp.path().join("live");
    std::fs::create_dir_all(&live).unwrap();
    let conn = writer(&live);
    insert(&conn, 0, 10);
    let copy = tmp.path().join("copy");
    snapshot(&live, &copy);
    // Remove the commit marker of the last transaction (and fix nothing else): its
    // frames now look like a transaction cut short before its commit frame was written.
    let wal_path = copy.join("tripline.db-wal");
    let before = check(&copy, &CheckOptions::default()).unwrap().databases[0]
        .wal
        .clone()
        .unwrap();
    let mut bytes = std::fs::read(&wal_path).unwrap();
    bytes.truncate(bytes.len() - (24 + PAGE));
    std::fs::write(&wal_path, &bytes).unwrap();
    let after = check(&copy, &CheckOptions::default()).unwrap();
    let wal = after.databases[0].wal.clone().unwrap();
    assert_eq!(wal.transactions, before.transactions - 1, "{wal:?}");
    assert!(wal.uncommitted_frames > 0 && wal.torn_tail(), "{wal:?}");
    let fixed = repair(&copy, &CheckOptions::default()).unwrap();
    assert!(fixed.is_ok(), "{:?}", fixed.actions);
    assert_eq!(rows(&copy), 9);
    drop(conn);
}
