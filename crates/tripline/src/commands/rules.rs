//! `tripline rules lint|test|eval`: check, test and run Sigma rules (I/O around the
//! `tripline-sigma` engine).

mod eval;
mod lint;
mod test;

use std::process::ExitCode;

/// `tripline rules ...`
#[derive(clap::Subcommand)]
pub enum Command {
    /// Report every problem in rule files as `file:line: reason`
    ///
    /// Compile errors and style problems (missing title, unknown level). Exits 1 when any
    /// problem is found.
    #[command(after_help = "Examples:
  tripline rules lint rules/
  tripline rules lint --lists lists/ my-rules/ssh.yml")]
    Lint(lint::Args),
    /// Run the test events stored beside each rule
    ///
    /// `foo.tests.yml` next to `foo.yml` lists positive and negative events; every
    /// positive must raise the rule and no negative may. Exits 1 when a case fails.
    #[command(after_help = "Examples:
  tripline rules test rules/
  tripline rules test --lists lists/ --mapping mapping.yml my-rules/")]
    Test(test::Args),
    /// Run rules over a JSON Lines event file and print matches and alerts
    ///
    /// One JSON object per detection match and per correlation or first-seen alert, with
    /// the 0-based input line.
    #[command(after_help = "Examples:
  tripline rules eval --rules rules/ events.jsonl
  tripline replay --emit events captures/ | tripline rules eval --rules my-rules/ -")]
    Eval(eval::Args),
}

/// Dispatch a `rules` subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Lint(a) => lint::run(a),
        Command::Test(a) => test::run(a),
        Command::Eval(a) => eval::run(a),
    }
}
