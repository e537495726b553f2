//! Every OTLP request body of the repo's copy of the reference corpus (`tests/corpus/`:
//! Codex CLI 0.169.0 over OTLP/HTTP protobuf, OTLP/HTTP JSON and OTLP/gRPC, Claude Code
//! 2.1.328, Gemini CLI 0.61.0) decodes without a rejection into events with an id, a signal
//! and a known agent.

use std::path::PathBuf;

use tripline_otlp::files::{self, InputKind, ReadOptions};

#[test]
fn every_corpus_body_decodes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    let opts = ReadOptions::default();
    let plan = files::plan(std::slice::from_ref(&root), &opts).expect("plan tests/corpus");
    let bodies: Vec<_> = plan
        .iter()
        .filter(|f| !matches!(f.kind, InputKind::Skip(_)))
        .collect();
    for agent in ["codex-0.169.0", "claude-code-2.1.328", "gemini-cli-0.61.0"] {
        assert!(
            bodies.iter().any(|f| f.path.starts_with(root.join(agent))),
            "no bodies of {agent}"
        );
    }
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
