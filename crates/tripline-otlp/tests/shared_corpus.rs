//! Extra check against the full reference corpus when it is present on this machine
//! (`/work/shared/corpus`); skipped otherwise. The project's other tests do not need it.

use std::path::Path;

use tripline_otlp::files::{self, InputKind, ReadOptions};

#[test]
fn every_corpus_body_decodes() {
    let root = Path::new("/work/shared/corpus");
    if !root.exists() {
        println!("skipped: /work/shared absent");
        return;
    }
    let opts = ReadOptions::default();
    let plan = files::plan(&[root.to_path_buf()], &opts).expect("plan corpus");
    let bodies: Vec<_> = plan
        .iter()
        .filter(|f| !matches!(f.kind, InputKind::Skip(_)))
        .filter(|f| f.path.components().any(|c| c.as_os_str() == "otlp"))
        .collect();
    assert!(bodies.len() >= 40, "found {} bodies", bodies.len());
    let mut total = 0;
    for f in bodies {
        let mut n = 0u64;
        let tally = files::read_file(f, &opts, &mut |e| {
            assert!(e.id().is_some() && e.signal().is_some());
            assert_ne!(
                e.agent(),
                tripline_event::Agent::Unknown,
                "{}",
                f.path.display()
            );
            n += 1;
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tally.rejected, 0, "{}", f.path.display());
        assert!(n > 0, "{}: no events", f.path.display());
        total += n;
    }
    // 12 Codex scenarios (~600 events each) plus the Claude and Gemini captures.
    assert!(total > 5_000, "only {total} events");
}
