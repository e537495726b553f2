#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the test tools (Debian, npm and pip
# packages, into git-ignored folders), builds once in release, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-tools.sh
# Tests that need an installed tool fail loudly instead of skipping when this is set.
export TRIPLINE_REQUIRE_TOOLS=1
export TRIPLINE_TOOLS="$PWD/.tools"
cargo nextest run --workspace --release --no-fail-fast "$@"
