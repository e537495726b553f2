//! Where the external test tools live, and the tool-missing policy.
//!
//! `scripts/install-test-tools.sh` installs them under `$TRIPLINE_TOOLS` (default
//! `<workspace root>/.tools`). When a tool a test needs is absent:
//! - with `TRIPLINE_REQUIRE_TOOLS=1` (set by `scripts/test.sh`, so in CI) the test fails,
//!   naming what is missing and how to install it;
//! - otherwise it prints `skipped: <why>` and returns early.

use std::collections::BTreeMap;
use std::env;
use std::path::{Path, PathBuf};

/// The command that installs every tool below.
pub const INSTALL_HINT: &str = "bash scripts/install-test-tools.sh";

/// An external tool an integration test drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    /// The Codex CLI from npm (`.tools/node/node_modules/.bin/codex`).
    Codex,
    /// The Claude Code CLI from npm (`.tools/node/node_modules/.bin/claude`).
    ClaudeCode,
    /// The Gemini CLI from npm (`.tools/node/node_modules/.bin/gemini`).
    GeminiCli,
    /// `node` on PATH.
    Node,
    /// `.tools/node/node_modules` with the OpenTelemetry JS SDK.
    NodeModules,
    /// The venv python with the OpenTelemetry Python SDK (`.tools/venv/bin/python`).
    VenvPython,
    /// Any `python3` on PATH (the mock model server needs only the standard library).
    Python3,
    /// `git` on PATH (Codex runs in a fresh git repository).
    Git,
    /// `rsyslogd` (Debian package `rsyslog`), on PATH or in /usr/sbin.
    Rsyslogd,
    /// rsyslog's GnuTLS network stream driver (Debian package `rsyslog-gnutls`).
    RsyslogGnutls,
    /// The venv python with the `duckdb` module (`tests/requirements.txt`).
    Duckdb,
    /// sigma-cli in the venv (`.tools/venv/bin/sigma`) with the Splunk and Elasticsearch
    /// backends.
    SigmaCli,
    /// Debian's `chromium` (`/usr/bin/chromium`): the console's browser tests.
    Chromium,
    /// `playwright-core` from npm in `.tools/browser` (`tests/browser/package.json`).
    PlaywrightCore,
}

impl Tool {
    fn describe(self) -> String {
        let tools = tools_dir();
        match self {
            Tool::Codex => format!("the Codex CLI ({})", codex_path(&tools).display()),
            Tool::ClaudeCode => format!(
                "the Claude Code CLI ({})",
                npm_bin_path(&tools, "claude").display()
            ),
            Tool::GeminiCli => format!(
                "the Gemini CLI ({})",
                npm_bin_path(&tools, "gemini").display()
            ),
            Tool::Node => "node (Node.js 20+) on PATH".into(),
            Tool::NodeModules => format!(
                "the OpenTelemetry JS SDK ({})",
                node_modules_path(&tools)
                    .join("@opentelemetry/sdk-logs")
                    .display()
            ),
            Tool::VenvPython => format!(
                "the Python venv with the OpenTelemetry SDK ({})",
                venv_python_path(&tools).display()
            ),
            Tool::Python3 => "python3 on PATH".into(),
            Tool::Git => "git on PATH".into(),
            Tool::Rsyslogd => "rsyslogd (Debian package rsyslog)".into(),
            Tool::RsyslogGnutls => "rsyslog's lmnsd_gtls.so (Debian package rsyslog-gnutls)".into(),
            Tool::Duckdb => format!(
                "the duckdb module in the venv ({})",
                venv_python_path(&tools).display()
            ),
            Tool::SigmaCli => format!(
                "sigma-cli with pySigma-backend-splunk and -elasticsearch ({})",
                sigma_cli_path(&tools).display()
            ),
            Tool::Chromium => format!("chromium (Debian package chromium, {CHROMIUM})"),
            Tool::PlaywrightCore => format!(
                "playwright-core from npm ({})",
                playwright_core_path(&tools).display()
            ),
        }
    }

    fn locate(self) -> Option<PathBuf> {
        let tools = tools_dir();
        match self {
            Tool::Codex => Some(codex_path(&tools)).filter(|p| p.is_file()),
            Tool::ClaudeCode => Some(npm_bin_path(&tools, "claude")).filter(|p| p.is_file()),
            Tool::GeminiCli => Some(npm_bin_path(&tools, "gemini")).filter(|p| p.is_file()),
            Tool::Node => on_path("node"),
            Tool::NodeModules => {
                let dir = node_modules_path(&tools);
                let needed = [
                    "@opentelemetry/sdk-logs",
                    "@opentelemetry/sdk-metrics",
                    "@opentelemetry/sdk-trace-base",
                    "@opentelemetry/exporter-logs-otlp-http",
                    "@opentelemetry/exporter-metrics-otlp-http",
                    "@opentelemetry/exporter-trace-otlp-http",
                ];
                needed.iter().all(|p| dir.join(p).is_dir()).then_some(dir)
            }
            Tool::VenvPython => Some(venv_python_path(&tools)).filter(|p| p.is_file()),
            Tool::Python3 => on_path("python3"),
            Tool::Git => on_path("git"),
            Tool::Rsyslogd => on_path("rsyslogd")
                .or_else(|| Some(PathBuf::from("/usr/sbin/rsyslogd")).filter(|p| p.is_file())),
            Tool::RsyslogGnutls => rsyslog_module("lmnsd_gtls.so"),
            Tool::Duckdb => {
                let python = venv_python_path(&tools);
                let lib = tools.join("venv/lib");
                let has_module = std::fs::read_dir(&lib)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|dir| dir.path().join("site-packages/duckdb").is_dir());
                (python.is_file() && has_module).then_some(python)
            }
            Tool::SigmaCli => {
                let backends = ["splunk", "elasticsearch"];
                let site = venv_site_packages(&tools)?;
                let ok = backends
                    .iter()
                    .all(|b| site.join("sigma/backends").join(b).is_dir());
                Some(sigma_cli_path(&tools)).filter(|p| ok && p.is_file())
            }
            Tool::Chromium => Some(PathBuf::from(CHROMIUM)).filter(|p| p.is_file()),
            Tool::PlaywrightCore => {
                Some(playwright_core_path(&tools)).filter(|p| p.join("package.json").is_file())
            }
        }
    }
}

/// The tools one test found, by kind.
pub struct Found(BTreeMap<Tool, PathBuf>);

impl Found {
    /// The path of a tool that was passed to [`require`].
    pub fn path(&self, tool: Tool) -> &Path {
        self.0
            .get(&tool)
            .unwrap_or_else(|| panic!("test bug: {tool:?} was not passed to tools::require"))
    }
}

/// Locates every tool in `needed`. All present: `Some`. Otherwise applies the policy: panics
/// under `TRIPLINE_REQUIRE_TOOLS=1`, else prints `skipped: ...` and returns `None` (the test
/// should return).
pub fn require(test: &str, needed: &[Tool]) -> Option<Found> {
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    for &tool in needed {
        match tool.locate() {
            Some(path) => {
                found.insert(tool, path);
            }
            None => missing.push(tool.describe()),
        }
    }
    if missing.is_empty() {
        return Some(Found(found));
    }
    let what = missing.join(", ");
    if env::var("TRIPLINE_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!(
            "{test}: missing test tools: {what}. Install them with `{INSTALL_HINT}` \
             (TRIPLINE_REQUIRE_TOOLS=1 turns a missing tool into a failure)"
        );
    }
    eprintln!("skipped: {test}: missing {what} (install with `{INSTALL_HINT}`)");
    None
}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// `$TRIPLINE_TOOLS`, default `<workspace root>/.tools`.
pub fn tools_dir() -> PathBuf {
    match env::var_os("TRIPLINE_TOOLS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join(".tools"),
    }
}

/// A file under `tests/support/` (mock model server, SDK emitter scripts).
pub fn support_script(name: &str) -> PathBuf {
    let path = workspace_root().join("tests/support").join(name);
    assert!(path.is_file(), "missing support script {}", path.display());
    path
}

/// The `tripline` binary under test.
pub fn tripline_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tripline"))
}

/// A command running the `tripline` binary under test, without the caller's `TRIPLINE_*`
/// variables (they are config overrides for tripline, and the test runner's
/// `TRIPLINE_TOOLS`/`TRIPLINE_REQUIRE_TOOLS` are none of its business).
pub fn tripline_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(tripline_bin());
    for (key, _) in env::vars_os() {
        if key.to_string_lossy().starts_with("TRIPLINE_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn codex_path(tools: &Path) -> PathBuf {
    npm_bin_path(tools, "codex")
}

/// A command the npm project in `.tools/node` installs.
fn npm_bin_path(tools: &Path, name: &str) -> PathBuf {
    tools.join("node/node_modules/.bin").join(name)
}

fn node_modules_path(tools: &Path) -> PathBuf {
    tools.join("node/node_modules")
}

fn venv_python_path(tools: &Path) -> PathBuf {
    tools.join("venv/bin/python")
}

/// An rsyslog loadable module in one of the library directories Debian and others use.
fn rsyslog_module(name: &str) -> Option<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("/usr/lib/rsyslog"),
        PathBuf::from("/usr/lib64/rsyslog"),
    ];
    for entry in std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
    {
        dirs.push(entry.path().join("rsyslog"));
    }
    dirs.into_iter()
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Where Debian's chromium package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";

/// `.tools/browser/node_modules/playwright-core`.
pub fn playwright_core_path(tools: &Path) -> PathBuf {
    tools.join("browser/node_modules/playwright-core")
}

fn sigma_cli_path(tools: &Path) -> PathBuf {
    tools.join("venv/bin/sigma")
}

/// `venv/lib/python3.*/site-packages`.
fn venv_site_packages(tools: &Path) -> Option<PathBuf> {
    std::fs::read_dir(tools.join("venv/lib"))
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("site-packages"))
        .find(|p| p.is_dir())
}

/// The first executable file called `name` in a PATH directory.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}
