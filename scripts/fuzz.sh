#!/usr/bin/env bash
# Build and run every cargo-fuzz target in fuzz/ for at most SECONDS each (default 20).
# Exits non-zero when a target crashes, fails to build, or runs no input at all.
#
#   bash scripts/fuzz.sh            # 20 s per target (scripts/test.sh runs this)
#   bash scripts/fuzz.sh 3600       # an hour per target
#   FUZZ_TARGETS="redact otlp_json" bash scripts/fuzz.sh 60
#   FUZZ_JOBS=2 bash scripts/fuzz.sh 600   # parallel libFuzzer workers per target
#
# Works on the stable toolchain: targets are built with `--sanitizer none` (coverage
# instrumentation only; Rust code is memory-safe, so ASan adds little). Set
# FUZZ_SANITIZER=address to use ASan (needs nightly, or RUSTC_BOOTSTRAP=1 on stable).
#
# cargo-fuzz is installed once into FUZZ_TOOLS_DIR (default .tools/cargo, git-ignored),
# so a fresh machine needs nothing but cargo. The fuzz build goes to FUZZ_TARGET_DIR
# (default <target dir>/fuzz), a fixed place, so a second run only relinks.
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
TOOLS_DIR="${FUZZ_TOOLS_DIR:-$ROOT/.tools/cargo}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/fuzz}"
export PATH="$TOOLS_DIR/bin:$PATH"

t0=$SECONDS
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION into $TOOLS_DIR" >&2
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$TOOLS_DIR"
fi
t_install=$((SECONDS - t0))

if [[ "$SANITIZER" != "none" && -z "${RUSTC_BOOTSTRAP:-}" ]] && ! rustc --version | grep -q nightly; then
    export RUSTC_BOOTSTRAP=1
fi

cd "$ROOT/fuzz"
TARGETS="${FUZZ_TARGETS:-$(cargo fuzz list)}"
t0=$SECONDS
# Build before running (the targets share every dependency): all at once unless
# FUZZ_TARGETS names some.
build_targets=("")
[[ -n "${FUZZ_TARGETS:-}" ]] && read -r -a build_targets <<<"$FUZZ_TARGETS"
for b in "${build_targets[@]}"; do
    # shellcheck disable=SC2086
    if ! cargo fuzz build --sanitizer "$SANITIZER" $b; then
        echo "fuzz: the targets did not build" >&2
        exit 1
    fi
done
t_build=$((SECONDS - t0))

status=0
summary=()
t0=$SECONDS
for t in $TARGETS; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "=== fuzzing $t for ${SECONDS_PER_TARGET}s ===" >&2
    log="$(mktemp)"
    set +e
    cargo fuzz run --sanitizer "$SANITIZER" --jobs "$JOBS" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
    code=$?
    set -e
    grep -E "^#[0-9]+.*(INITED|DONE)|panicked|ERROR|SUMMARY|stat::number_of_executed_units" "$log" >&2 || true
    execs="$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{s+=$2} END {print s+0}')"
    if [[ $code -ne 0 ]] || grep -qE "panicked|ERROR: libFuzzer|SUMMARY: libFuzzer|deadly signal|Test unit written" "$log"; then
        status=1
        summary+=("$t: FAILED (exit $code; see fuzz/artifacts/$t/ and the output above), $execs executions")
        tail -n 40 "$log" >&2
    elif [[ "$execs" -eq 0 ]]; then
        status=1
        summary+=("$t: FAILED: no input was executed")
        tail -n 40 "$log" >&2
    else
        summary+=("$t: ok, $execs executions in ${SECONDS_PER_TARGET}s")
    fi
    rm -f "$log"
done
t_run=$((SECONDS - t0))
printf '%s\n' "${summary[@]}"
echo "fuzz timing: install ${t_install}s, build ${t_build}s, runs ${t_run}s"
exit "$status"
