//! Exit codes scripts can rely on.

use std::process::ExitCode;

/// The command ran and found nothing wrong.
#[allow(dead_code)]
pub fn ok() -> ExitCode {
    ExitCode::SUCCESS
}

/// The command ran and found problems (failed rule tests, lint findings, ...).
#[allow(dead_code)]
pub fn findings() -> ExitCode {
    ExitCode::from(1)
}

/// Bad usage, configuration or input: nothing useful was done.
pub fn usage() -> ExitCode {
    ExitCode::from(2)
}
