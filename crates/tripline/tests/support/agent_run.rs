//! What the real-CLI tests for Claude Code and Gemini CLI share: a finished run with its
//! servers, the stored events of one agent, and the alerts by pattern tag.
//! Used by `real_claude_code.rs` and `real_gemini_cli.rs`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::mock_model::MockModel;
use super::process::Finished;
use super::query::{show, str_col};
use super::scratch_repo::ScratchRepo;
use super::serve::Serve;

/// The tag prefix of the pattern taxonomy on every alerting built-in rule.
pub const PATTERN_TAG: &str = "tripline.pattern.";

/// A finished CLI run and the servers it talked to.
pub struct AgentRun {
    pub serve: Serve,
    pub mock: MockModel,
    pub repo: ScratchRepo,
    pub out: Finished,
    /// What was configured, for failure messages (environment or settings.json).
    pub config: String,
}

impl AgentRun {
    /// Everything useful when an assertion fails.
    pub fn context(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}\n--- config ---\n{}\n{}\n{}",
            self.out.stdout,
            self.out.stderr,
            self.config,
            self.mock.log_text(),
            self.serve.log_text()
        )
    }

    /// Panics unless the CLI exited 0, printed `answer` and asked the mock for exactly
    /// `steps` scripted turns.
    pub fn assert_ran(&self, answer: &str, steps: usize) {
        assert!(
            self.out.status.success(),
            "the CLI failed with {}\n{}",
            self.out.status,
            self.context()
        );
        assert!(
            self.out.stdout.contains(answer),
            "the CLI did not print the model's answer {answer:?}\n{}",
            self.context()
        );
        let turns: Vec<Value> = self
            .mock
            .requests()
            .into_iter()
            .filter(|r| !r["step"].is_null())
            .collect();
        let served: BTreeSet<u64> = turns.iter().filter_map(|r| r["step"].as_u64()).collect();
        assert_eq!(
            served,
            (0..steps as u64).collect(),
            "the CLI should ask for each scripted step\n{}",
            self.context()
        );
        assert!(
            turns.iter().all(|t| t["exhausted"] == false),
            "the CLI asked the model more often than scripted\n{}",
            self.context()
        );
    }

    /// Waits until the store holds events of `agent` named each of `names`; returns every
    /// event of that agent (the stored JSON, parsed).
    pub fn wait_events(&self, agent: &str, names: &[&str]) -> Vec<Value> {
        let sql =
            format!("SELECT event_name, event FROM events WHERE agent = '{agent}' ORDER BY time");
        let rows = self
            .serve
            .wait_rows(&format!("{agent} events {names:?}"), &sql, |rows| {
                let got: BTreeSet<&str> = rows
                    .iter()
                    .filter_map(|r| r.get("event_name").and_then(Value::as_str))
                    .collect();
                let missing: Vec<&&str> = names.iter().filter(|n| !got.contains(**n)).collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!("missing {missing:?}, have {got:?}"))
                }
            });
        rows.iter()
            .map(|r| serde_json::from_str(str_col(r, "event")).expect("stored event is JSON"))
            .collect()
    }

    /// The one event named `name` (the first when several), or a panic.
    pub fn event<'a>(&self, events: &'a [Value], name: &str) -> &'a Value {
        events
            .iter()
            .find(|e| e["event_name"] == name)
            .unwrap_or_else(|| panic!("no {name} event\n{}", self.context()))
    }

    /// The pattern tags (`tripline.pattern.<p>`, as `<p>`) of every stored alert.
    pub fn patterns(&self) -> BTreeSet<String> {
        alert_patterns(&self.serve.query("SELECT alert FROM alerts"))
    }

    /// Panics unless an alert carries each of `want` (pattern names without the prefix).
    /// The alerts come from the same batch transaction as the events, so once the events
    /// are stored they are too.
    pub fn assert_patterns(&self, want: &[&str]) {
        let got = self.patterns();
        let missing: Vec<&&str> = want.iter().filter(|p| !got.contains(**p)).collect();
        assert!(
            missing.is_empty(),
            "patterns {missing:?} did not fire; fired: {got:?}\nalerts: {}\n{}",
            show(&self.serve.query("SELECT rule_id, summary FROM alerts")),
            self.context()
        );
    }

    /// Panics if any file under the data dir holds a plaintext copy of a planted secret.
    pub fn assert_no_plaintext(&self, secrets: &[(String, String, String)]) {
        let needles = super::planted::needles(secrets);
        let mut files = Vec::new();
        super::planted::files_under(self.serve.data_dir(), &mut files);
        assert!(!files.is_empty(), "the data dir has files");
        for f in &files {
            let found = super::planted::leaks(&std::fs::read(f).unwrap(), &needles);
            assert!(
                found.is_empty(),
                "{} holds plaintext secrets {found:?}",
                f.display()
            );
        }
    }

    /// Panics if an alert carries any of `quiet`.
    pub fn assert_quiet(&self, quiet: &[&str]) {
        let got = self.patterns();
        let fired: Vec<&&str> = quiet.iter().filter(|p| got.contains(**p)).collect();
        assert!(
            fired.is_empty(),
            "the safe mode fired {fired:?}\nalerts: {}\n{}",
            show(&self.serve.query("SELECT rule_id, summary FROM alerts")),
            self.context()
        );
    }
}

/// A prompt carrying every planted secret's text (see [`super::planted::planted`]).
pub fn planted_prompt(secrets: &[(String, String, String)]) -> String {
    let texts: Vec<&str> = secrets.iter().map(|(_, text, _)| text.as_str()).collect();
    format!("Keep these safe: {}", texts.join(" ; "))
}

/// Writes `dir/tripline.toml` (identifiers pseudonymized, the key file in `dir`, outside
/// the data dir) and returns its path.
pub fn pseudonymizing_config(dir: &std::path::Path) -> std::path::PathBuf {
    let config = dir.join("tripline.toml");
    std::fs::write(
        &config,
        format!(
            "[redaction]\nidentifier = \"pseudonymize\"\nkey_file = \"{}\"\n",
            dir.join("hmac.key").display()
        ),
    )
    .expect("write tripline.toml");
    config
}

/// The pattern names in the `rule.tags` of the alert rows.
pub fn alert_patterns(rows: &[super::query::Row]) -> BTreeSet<String> {
    rows.iter()
        .filter_map(|r| r.get("alert").and_then(Value::as_str))
        .filter_map(|text| serde_json::from_str::<Value>(text).ok())
        .flat_map(|alert| {
            alert["rule"]["tags"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
        })
        .filter_map(|tag| {
            tag.as_str()
                .and_then(|t| t.strip_prefix(PATTERN_TAG))
                .map(String::from)
        })
        .collect()
}
