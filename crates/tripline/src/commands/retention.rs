//! `tripline retention` (not built yet).

use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Not built yet.
    Todo,
}

pub fn run(_cmd: Command) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`tripline retention` is not built yet")
}
