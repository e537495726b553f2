//! `tripline replay` (not built yet).

use std::process::ExitCode;

/// Not built yet.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`tripline replay` is not built yet")
}
