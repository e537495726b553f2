//! `tripline rules lint|test|eval`: check, test and run Sigma rules (I/O around the
//! `tripline-sigma` engine).

mod eval;
mod lint;
mod test;

use std::process::ExitCode;

/// `tripline rules ...`
#[derive(clap::Subcommand)]
pub enum Command {
    /// Report every problem in rule files as `file:line: reason`; exit 1 when any.
    Lint(lint::Args),
    /// Run the test events stored beside each rule (`foo.tests.yml` next to `foo.yml`).
    Test(test::Args),
    /// Run rules over a JSON Lines event file and print matches and alerts as JSON Lines.
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
