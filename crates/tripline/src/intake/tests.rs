//! Tailing: appended lines, unfinished lines, rotation, truncation, saved positions.

use std::io::Write;

use super::offsets::{Offsets, Position};
use super::tail::TailFile;

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn read_all(path: &std::path::Path, pos: &mut Position) -> Vec<String> {
    let mut f = TailFile::open(path).unwrap();
    if f.must_restart(pos).unwrap().is_some() {
        *pos = Position::default();
    }
    let c = f.read_lines(pos, 100, 64).unwrap();
    pos.offset = c.end;
    pos.line += c.line_count;
    pos.head = f.head_fingerprint(pos.offset).unwrap();
    c.lines
        .into_iter()
        .map(|l| match l.bytes {
            Some(b) => format!("{}:{}", l.number, String::from_utf8(b).unwrap()),
            None => format!("{}:<long>", l.number),
        })
        .collect()
}

#[test]
fn appended_lines_are_read_once_and_unfinished_lines_wait() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.jsonl");
    append(&p, "one\ntwo\nthr");
    let mut pos = Position::default();
    assert_eq!(read_all(&p, &mut pos), ["1:one", "2:two"]);
    assert_eq!(read_all(&p, &mut pos), Vec::<String>::new());
    append(&p, "ee\r\n");
    assert_eq!(read_all(&p, &mut pos), ["3:three"]);
    append(&p, &format!("{}\nfive\n", "x".repeat(100)));
    assert_eq!(read_all(&p, &mut pos), ["4:<long>", "5:five"]);
}

#[test]
fn truncation_and_a_new_file_start_over() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.jsonl");
    append(&p, "one\ntwo\n");
    let mut pos = Position::default();
    read_all(&p, &mut pos);
    std::fs::write(&p, "x\n").unwrap(); // truncated and rewritten, shorter
    assert_eq!(read_all(&p, &mut pos), ["1:x"]);
    std::fs::write(&p, "y\nzzzz\n").unwrap(); // rewritten, longer, other first bytes
    assert_eq!(read_all(&p, &mut pos), ["1:y", "2:zzzz"]);
}

#[test]
fn rotation_keeps_the_position_with_the_inode() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dns.log");
    append(&p, "one\n");
    let key = TailFile::open(&p).unwrap().key();
    let mut pos = Position::default();
    read_all(&p, &mut pos);
    append(&p, "two\n");
    let rotated = dir.path().join("dns.log.1");
    std::fs::rename(&p, &rotated).unwrap();
    append(&p, "new\n");
    assert_eq!(TailFile::open(&rotated).unwrap().key(), key);
    assert_eq!(read_all(&rotated, &mut pos), ["2:two"]);
    assert_ne!(TailFile::open(&p).unwrap().key(), key);
    assert_eq!(read_all(&p, &mut Position::default()), ["1:new"]);
}

#[test]
fn offsets_survive_a_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let file = super::offsets_path(dir.path());
    assert_eq!(Offsets::load(&file).unwrap(), Offsets::default());
    let mut o = Offsets::default();
    o.set(
        "1:2".into(),
        Position {
            path: "x".into(),
            offset: 10,
            line: 2,
            head: "ab".into(),
        },
    );
    o.save(&file).unwrap();
    let back = Offsets::load(&file).unwrap();
    assert_eq!(back.get(&"1:2".to_owned()).unwrap().offset, 10);
    std::fs::write(&file, b"{not json").unwrap();
    assert!(Offsets::load(&file)
        .unwrap_err()
        .to_string()
        .contains("offsets.json"));
}
