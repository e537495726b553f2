#!/usr/bin/env bash
# The engine benchmark (issue 3): 1,000,000 seeded Codex-shaped events as JSON Lines
# through tripline (1 thread and all threads; projected, whole-line and pre-parsed),
# rsigma 0.23 and DuckDB, in one go. Not part of CI. Method: docs/benchmarks.md.
#
#   scripts/bench-engine.sh                 # 1M events, 3 runs each
#   EVENTS=200000 RUNS=1 scripts/bench-engine.sh
#
# Needs: a Rust toolchain; rsigma 0.23 (cargo install rsigma --version 0.23.0 --locked
# --root "$RSIGMA_ROOT", or on PATH, or $RSIGMA); Python with duckdb ($PYTHON, default the test venv);
# GNU time (/usr/bin/time, Debian package `time`) for wall time and peak RSS.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
EVENTS=${EVENTS:-1000000}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
CHECK_EVENTS=${CHECK_EVENTS:-20000}
OUT=${OUT:-$ROOT/target/bench-engine}
RSIGMA=${RSIGMA:-${RSIGMA_ROOT:+$RSIGMA_ROOT/bin/rsigma}}
RSIGMA=${RSIGMA:-$(command -v rsigma || echo rsigma)}
PYTHON=${PYTHON:-${TRIPLINE_TOOLS:-$ROOT/.tools}/venv/bin/python}
THREADS=${THREADS:-$(nproc)}
PACK=$ROOT/benches/engine/pack

for tool in /usr/bin/time "$RSIGMA" "$PYTHON"; do
  [[ -x $tool ]] || { echo "bench-engine: missing $tool (see the header of $0)" >&2; exit 2; }
done
"$PYTHON" -c 'import duckdb' || { echo "bench-engine: $PYTHON has no duckdb" >&2; exit 2; }

mkdir -p "$OUT"
cargo build --release -q -p tripline-enginebench --manifest-path "$ROOT/Cargo.toml"
BENCH=${CARGO_TARGET_DIR:-$ROOT/target}/release/tripline-enginebench

events=$OUT/events-$EVENTS-seed$SEED.jsonl
small=$OUT/events-$CHECK_EVENTS-seed$SEED.jsonl
[[ -s $events ]] || "$BENCH" gen --seed "$SEED" --events "$EVENTS" > "$events"
[[ -s $small ]] || "$BENCH" gen --seed "$SEED" --events "$CHECK_EVENTS" > "$small"
echo "events: $events ($(du -m "$events" | cut -f1) MiB), threads: $THREADS"

# One command under GNU time: its stdout to $OUT/last.out, one result line to $RESULTS.
RESULTS=$OUT/runs.jsonl
: > "$RESULTS"
measure() { # name events command...
  local name=$1 n=$2; shift 2
  /usr/bin/time -f '%e %M' -o "$OUT/last.time" "$@" > "$OUT/last.out"
  read -r wall rss < "$OUT/last.time"
  printf '{"name": "%s", "events": %s, "wall_s": %s, "rss_kib": %s}\n' "$name" "$n" "$wall" "$rss" >> "$RESULTS"
  printf '  %-34s %8.2f s  %7d KiB\n' "$name" "$wall" "$rss"
}
# pre-parsed: the engine's own clock (parsing is off the clock), RSS from GNU time
measure_preparsed() { # name threads
  /usr/bin/time -f '%M' -o "$OUT/last.time" "${TRIPLINE[@]}" --mode preparsed --threads "$2" "$events" > "$OUT/last.out"
  "$PYTHON" - "$1" "$OUT/last.out" "$(cat "$OUT/last.time")" >> "$RESULTS" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
print(json.dumps({"name": sys.argv[1], "events": r["events"], "wall_s": r["seconds"], "rss_kib": int(sys.argv[3])}))
PY
  tail -n1 "$RESULTS"
}

TRIPLINE=("$BENCH" run --rules "$PACK/sigma" --rules "$PACK/tripline")
RSIGMA_EVAL=("$RSIGMA" engine eval -q -r "$PACK/sigma" -e)
DUCKDB=("$PYTHON" "$ROOT/benches/engine/duckdb_bench.py")

echo "== agreement on $CHECK_EVENTS events (counts per rule) =="
"${TRIPLINE[@]}" --mode projected --threads 1 "$small" > "$OUT/check-tripline.json"
"${RSIGMA_EVAL[@]}" "@$small" > "$OUT/check-rsigma.jsonl"
"${DUCKDB[@]}" load "$small" > "$OUT/check-duckdb.json"
"$PYTHON" "$ROOT/benches/engine/compare.py" "$OUT/check-tripline.json" "$OUT/check-rsigma.jsonl" "$OUT/check-duckdb.json" | tee "$OUT/agreement.md"

echo "== $EVENTS events, $RUNS runs each =="
for run in $(seq "$RUNS"); do
  echo "run $run"
  measure "tripline projected, 1 thread" "$EVENTS" "${TRIPLINE[@]}" --mode projected --threads 1 "$events"
  measure "tripline projected, $THREADS threads" "$EVENTS" "${TRIPLINE[@]}" --mode projected --threads "$THREADS" "$events"
  measure "tripline whole lines, 1 thread" "$EVENTS" "${TRIPLINE[@]}" --mode full --threads 1 "$events"
  measure "tripline whole lines, $THREADS threads" "$EVENTS" "${TRIPLINE[@]}" --mode full --threads "$THREADS" "$events"
  measure_preparsed "tripline pre-parsed, 1 thread" 1
  measure_preparsed "tripline pre-parsed, $THREADS threads" "$THREADS"
  measure "rsigma" "$EVENTS" "${RSIGMA_EVAL[@]}" "@$events"
  measure "duckdb load+query" "$EVENTS" "${DUCKDB[@]}" load "$events"
  measure "duckdb query file" "$EVENTS" "${DUCKDB[@]}" direct "$events"
done
echo
"$PYTHON" "$ROOT/benches/engine/report.py" "$RESULTS" | tee "$OUT/report.md"
