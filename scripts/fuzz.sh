#!/usr/bin/env bash
# Build and run every cargo-fuzz target in fuzz/ for at most SECONDS each (default 20).
#
#   bash scripts/fuzz.sh            # 20 s per target
#   bash scripts/fuzz.sh 3600       # an hour per target
#   FUZZ_TARGETS="redact otlp_json" bash scripts/fuzz.sh 60
#   FUZZ_JOBS=2 bash scripts/fuzz.sh 600   # parallel libFuzzer workers per target
#
# Works on the stable toolchain: targets are built with `--sanitizer none` (coverage
# instrumentation only; Rust code is memory-safe, so ASan adds little). Set
# FUZZ_SANITIZER=address to use ASan (needs nightly, or RUSTC_BOOTSTRAP=1 on stable).
#
# The working corpus grows in fuzz/corpus/<target>/ (git-ignored), starting from the
# committed seeds in fuzz/seeds/<target>/; crashes land in fuzz/artifacts/<target>/.
# A crash input worth keeping goes into fuzz/seeds/<target>/ (then
# crates/tripline/tests/reliability_fuzz_seeds.rs runs it on every test run).
set -euo pipefail

SECONDS_PER_TARGET="${1:-20}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_FUZZ_VERSION="0.13.2"
SANITIZER="${FUZZ_SANITIZER:-none}"
JOBS="${FUZZ_JOBS:-1}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$ROOT/fuzz/target}"

# cargo-fuzz, installed once (cached in ~/.cargo/bin).
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

if [[ "$SANITIZER" != "none" && -z "${RUSTC_BOOTSTRAP:-}" ]] && ! rustc --version | grep -q nightly; then
    export RUSTC_BOOTSTRAP=1
fi

cd "$ROOT/fuzz"
TARGETS="${FUZZ_TARGETS:-$(cargo fuzz list)}"
status=0
summary=()
for t in $TARGETS; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "=== fuzzing $t for ${SECONDS_PER_TARGET}s ===" >&2
    log="$(mktemp)"
    if cargo fuzz run --sanitizer "$SANITIZER" --jobs "$JOBS" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 2>&1 | tee "$log" | grep -E "^#[0-9]+.*(INITED|DONE|NEW|pulse)|panicked|ERROR|SUMMARY|stat::number_of_executed_units" >&2; then
        :
    fi
    if grep -qE "panicked|ERROR: libFuzzer|SUMMARY: libFuzzer|deadly signal|Test unit written" "$log"; then
        status=1
        summary+=("$t: CRASH (see fuzz/artifacts/$t/)")
    else
        execs="$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{s+=$2} END {print s+0}')"
        summary+=("$t: ok, $execs executions")
    fi
    rm -f "$log"
done
printf '%s\n' "${summary[@]}"
exit "$status"
