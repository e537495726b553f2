#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the test tools (Debian, npm and pip
# packages, into git-ignored folders), builds once in release, runs every test, then
# fuzzes each cargo-fuzz target for about FUZZ_SECONDS (default 20) seconds. Before the
# tests, a lint gate: `cargo fmt --check` and `cargo clippy -D warnings` (which also turns
# the workspace lints, `missing_docs` on the library crates, into errors).
#
# Every step always runs; the script fails when any fails. FUZZ_SECONDS=0 skips fuzzing.
# Arguments are passed to `cargo nextest run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-tools.sh
# Tests that need an installed tool fail loudly instead of skipping when this is set.
export TRIPLINE_REQUIRE_TOOLS=1
export TRIPLINE_TOOLS="$PWD/.tools"

lint=0
cargo fmt --all -- --check || { lint=$?; echo "test.sh: cargo fmt --check failed; run cargo fmt --all" >&2; }
cargo clippy --workspace --all-targets --release -- -D warnings || lint=$?

tests=0
cargo nextest run --workspace --release --no-fail-fast "$@" || tests=$?

fuzz=0
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
if [[ "$FUZZ_SECONDS" != 0 ]]; then
    bash scripts/fuzz.sh "$FUZZ_SECONDS" || fuzz=$?
fi

if [[ $lint -ne 0 || $tests -ne 0 || $fuzz -ne 0 ]]; then
    echo "test.sh: FAILED (lint exit $lint, nextest exit $tests, fuzz exit $fuzz)" >&2
    exit 1
fi
echo "test.sh: lint, all tests and fuzz runs passed"
