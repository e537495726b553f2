#!/usr/bin/env bash
# Installs the external tools the test suite drives, into .tools/ (git-ignored):
#   .tools/venv   Python venv with tests/requirements.txt (OpenTelemetry Python SDK, pySigma,
#                 sigma-cli, PyYAML, duckdb)
#   .tools/node   npm project from tests/package.json + tests/package-lock.json (the Codex,
#                 Claude Code and Gemini CLIs and the OpenTelemetry JS SDK), installed with `npm ci`
#   .tools/browser  npm project from tests/browser/ (playwright-core, which drives the
#                 Debian chromium in the console's browser tests; no browser is downloaded)
#   Debian packages listed in APT_PACKAGES below, only when a command is missing.
# Idempotent: each part records a hash of its inputs and is skipped while they are unchanged,
# so a second run only checks what is there (a second or two).
# Needs: python3 (3.11+, with venv), node 20+ and npm, network access to PyPI and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS"

say() { echo "install-test-tools: $*"; }
die() { echo "install-test-tools: ERROR: $*" >&2; exit 1; }

# Hash of the given files, to decide whether an installed part is still current.
inputs_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not on PATH. $2"
}

# ---------------------------------------------------------------------------------------
# Debian packages. Format: "command:package" — the package is installed when the command is
# missing; a "command" with a slash is a file glob instead (for packages without a command,
# such as plugins).
APT_PACKAGES=(
  "rsyslogd:rsyslog"
  "/usr/lib/*/rsyslog/lmnsd_gtls.so:rsyslog-gnutls"
  "/usr/bin/chromium:chromium"   # the console's browser tests (driven by playwright-core)
)

install_apt_packages() {
  local missing=() entry cmd pkg
  for entry in "${APT_PACKAGES[@]+"${APT_PACKAGES[@]}"}"; do
    cmd="${entry%%:*}"
    pkg="${entry#*:}"
    if [[ "$cmd" == */* ]]; then
      compgen -G "$cmd" >/dev/null || missing+=("$pkg")
    else
      command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  need_cmd apt-get "Install these Debian packages by hand: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "apt-get install ${missing[*]}"
  $sudo apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed"
}

# ---------------------------------------------------------------------------------------
# Python venv.
install_python_venv() {
  local req="$ROOT/tests/requirements.txt" venv="$TOOLS/venv" stamp want
  [ -f "$req" ] || die "missing $req"
  need_cmd python3 "Install Python 3.11+ (with the venv module)."
  want="$(inputs_hash "$req")"
  stamp="$venv/.tripline-inputs"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    say "venv up to date ($venv)"
    return 0
  fi
  say "creating $venv from tests/requirements.txt"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" \
    || die "pip install -r tests/requirements.txt failed (see the pip output above)"
  echo "$want" >"$stamp"
}

# ---------------------------------------------------------------------------------------
# npm project (Codex, Claude Code and Gemini CLIs + OpenTelemetry JS SDK).
install_node_modules() {
  local dir="$TOOLS/node" pkg="$ROOT/tests/package.json" lock="$ROOT/tests/package-lock.json"
  local stamp want
  [ -f "$pkg" ] || die "missing $pkg"
  need_cmd node "Install Node.js 20+."
  need_cmd npm "Install npm (comes with Node.js)."
  mkdir -p "$dir"
  if [ -f "$lock" ]; then want="$(inputs_hash "$pkg" "$lock")"; else want="$(inputs_hash "$pkg")"; fi
  stamp="$dir/node_modules/.tripline-inputs"
  if [ -d "$dir/node_modules" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    say "node_modules up to date ($dir)"
    return 0
  fi
  cp "$pkg" "$dir/package.json"
  if [ -f "$lock" ]; then
    cp "$lock" "$dir/package-lock.json"
    say "npm ci in $dir (the agent CLIs are a few hundred MB)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed (see the npm output above)"
  else
    say "npm install in $dir (no tests/package-lock.json; commit the one written to $dir)"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error) || die "npm install failed"
  fi
  echo "$want" >"$stamp"
}

# ---------------------------------------------------------------------------------------
# playwright-core for the console's browser tests (tests/browser/). PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD:
# the tests use Debian's chromium, never a downloaded browser.
install_browser_modules() {
  local dir="$TOOLS/browser" src="$ROOT/tests/browser" stamp want
  [ -f "$src/package-lock.json" ] || die "missing $src/package-lock.json"
  mkdir -p "$dir"
  want="$(inputs_hash "$src/package.json" "$src/package-lock.json")"
  stamp="$dir/node_modules/.tripline-inputs"
  if [ -d "$dir/node_modules" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    say "browser node_modules up to date ($dir)"
    return 0
  fi
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  say "npm ci in $dir (playwright-core)"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
    || die "npm ci in $dir failed"
  echo "$want" >"$stamp"
}

# ---------------------------------------------------------------------------------------
# One line per tool with its version; fails when a tool does not run.
report_versions() {
  local py="$TOOLS/venv/bin/python" v
  v="$("$py" --version 2>&1)" || die "$py does not run"
  echo "tool python: $v ($py)"
  v="$("$py" - <<'EOF'
from importlib.metadata import version
names = ["opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http",
         "opentelemetry-exporter-otlp-proto-grpc", "pySigma", "pySigma-backend-sqlite",
         "sigma-cli", "pySigma-backend-splunk", "pySigma-backend-elasticsearch", "PyYAML",
         "duckdb"]
for n in names:
    print(f"tool {n}: {version(n)}")
EOF
)" || die "a Python package from tests/requirements.txt is missing from $TOOLS/venv"
  echo "$v"
  echo "tool node: $(node --version)"
  local codex="$TOOLS/node/node_modules/.bin/codex"
  v="$("$codex" --version </dev/null 2>&1)" || die "$codex --version failed: $v"
  echo "tool codex: $v ($codex)"
  local claude="$TOOLS/node/node_modules/.bin/claude"
  v="$(DISABLE_AUTOUPDATER=1 "$claude" --version </dev/null 2>&1)" || die "$claude --version failed: $v"
  echo "tool claude: $v ($claude)"
  local gemini="$TOOLS/node/node_modules/.bin/gemini"
  v="$(GEMINI_CLI_NO_RELAUNCH=true "$gemini" --version </dev/null 2>&1)" || die "$gemini --version failed: $v"
  echo "tool gemini: $v ($gemini)"
  v="$(cd "$TOOLS/node" && node -e '
    for (const n of ["@opentelemetry/api", "@opentelemetry/sdk-logs", "@opentelemetry/sdk-metrics",
                     "@opentelemetry/sdk-trace-base", "@opentelemetry/exporter-logs-otlp-http",
                     "@opentelemetry/exporter-metrics-otlp-http", "@opentelemetry/exporter-trace-otlp-http"]) {
      const f = `node_modules/${n}/package.json`;
      console.log(`tool ${n}: ${JSON.parse(require("fs").readFileSync(f, "utf8")).version}`);
    }')" || die "an npm package from tests/package.json is missing from $TOOLS/node"
  echo "$v"
  v="$(cd "$TOOLS/browser" && node -e 'console.log(require("playwright-core/package.json").version)')" \
    || die "playwright-core is missing from $TOOLS/browser"
  echo "tool playwright-core: $v"
  v="$(/usr/bin/chromium --version 2>&1)" || die "/usr/bin/chromium --version failed: $v"
  echo "tool chromium: $v"
  local entry cmd
  for entry in "${APT_PACKAGES[@]+"${APT_PACKAGES[@]}"}"; do
    cmd="${entry%%:*}"
    echo "tool $cmd: $(command -v "$cmd")"
  done
}

install_apt_packages
install_python_venv
install_node_modules
install_browser_modules
report_versions
