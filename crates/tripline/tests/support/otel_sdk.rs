//! Running the OpenTelemetry SDK emitter scripts (`tests/support/otel_emit.{py,js}`) as real
//! exporters.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::process;
use super::tools::{self, Found, Tool};

/// How long one emitter run may take.
pub const EMIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs an emitter to completion with a clean environment (no stray `OTEL_*`): PATH plus
/// `envs`.
pub fn emit(what: &str, cmd: &mut Command, envs: &[(&str, &Path)]) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (key, value) in envs {
        cmd.env(key, value);
    }
    process::run(what, cmd, EMIT_TIMEOUT).assert_success(what);
}

/// `otel_emit.py --protocol PROTOCOL --endpoint ENDPOINT --run-id RUN_ID` in the test venv.
pub fn python_emitter(found: &Found, protocol: &str, endpoint: &str, run_id: &str) -> Command {
    let mut cmd = Command::new(found.path(Tool::VenvPython));
    cmd.arg(tools::support_script("otel_emit.py")).args([
        "--protocol",
        protocol,
        "--endpoint",
        endpoint,
        "--run-id",
        run_id,
    ]);
    cmd
}
