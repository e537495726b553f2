#!/usr/bin/env bash
# Engine-state persistence benchmark: the same load-generator workload (built-in rules,
# tool-call bursts inside the correlation windows) against one or more tripline binaries,
# interleaved, each run on a fresh data dir. Prints one line per run and the medians per
# binary: acknowledged records/s, ack p50, bytes the server wrote to disk
# (/proc/PID/io write_bytes) per batch, the final database size, and the size of the
# stored engine state at the end (legacy `state` snapshot plus `engine_state` entries), and
# (binaries with the metric) sealed state bytes committed per batch, from /metrics.
#
#   scripts/bench-state.sh [--records N] [--batch N] [--runs N] LOADGEN BIN [BIN...]
set -euo pipefail

records=6000 batch=500 runs=3
while [[ $# -gt 0 && $1 == --* ]]; do
    case $1 in
        --records) records=$2; shift 2 ;;
        --batch) batch=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $# -ge 2 ]] || { sed -n 2,9p "$0"; exit 2; }
loadgen=$1; shift
root=$(mktemp -d /tmp/tripline-bench-state.XXXXXX)
trap 'rm -rf "$root"' EXIT
batches=$(( (records + batch - 1) / batch ))

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

one_run() { # BIN RUN -> "rps p50_ms write_bytes_per_batch db_bytes state_bytes state_bytes_per_batch"
    local bin=$1 r=$2 dir="$root/$r-$RANDOM"
    mkdir -p "$dir/scratch"
    local http grpc; http=$(free_port); grpc=$(free_port)
    HOME="$dir/scratch" XDG_CONFIG_HOME="$dir/scratch/config" "$bin" serve \
        --http "127.0.0.1:$http" --grpc "127.0.0.1:$grpc" --data "$dir/data" \
        --ready-file "$dir/ready" >"$dir/log" 2>&1 &
    local pid=$!
    for _ in $(seq 600); do [[ -s $dir/ready ]] && break; sleep 0.1; done
    [[ -s $dir/ready ]] || { echo "serve did not become ready: $(cat "$dir/log")" >&2; exit 1; }
    local w0; w0=$(awk '/^write_bytes/ {print $2}' "/proc/$pid/io")
    local json; json=$("$loadgen" --target "127.0.0.1:$http" --records "$records" --batch "$batch" --seed $((1000 + r)))
    local w1; w1=$(awk '/^write_bytes/ {print $2}' "/proc/$pid/io")
    local metrics; metrics=$(curl -s "http://127.0.0.1:$http/metrics" || true)
    local sb; sb=$(awk '/^tripline_engine_state_bytes_written_total/ {print $2}' <<<"$metrics")
    kill -TERM "$pid"; wait "$pid" || true
    local db; db=$(du -cb "$dir/data"/tripline.db* | tail -1 | cut -f1)
    python3 - "$json" "$w0" "$w1" "$batches" "$db" "$records" "${sb:--1}" "$dir/data/tripline.db" <<'PY'
import json, sqlite3, sys
j = json.loads(sys.argv[1]); w0, w1, n, db, records, sb = map(int, sys.argv[2:8])
assert j["records_acked"] == records, j
con = sqlite3.connect(sys.argv[8])
tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
state = sum(con.execute(f"SELECT coalesce(sum(length(value)), 0) FROM {t}").fetchone()[0]
            for t in ("state", "engine_state") if t in tables)
print(f'{j["records_per_s"]:.1f} {j["ack_p50_ms"]:.1f} {(w1 - w0) / n:.0f} {db} {state} {sb / n if sb >= 0 else -1:.0f}')
PY
    rm -rf "$dir"
}

declare -A results
for r in $(seq "$runs"); do
    for bin in "$@"; do
        line=$(one_run "$bin" "$r")
        echo "run $r $bin: records/s ack_p50_ms write_bytes/batch db_bytes state_bytes state_bytes/batch = $line"
        results[$bin]+="$line"$'\n'
    done
done
echo "# medians of $runs runs, $records records in batches of $batch, 1 client"
for bin in "$@"; do
    printf '%s' "${results[$bin]}" | python3 -c '
import sys, statistics as st
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
m = [st.median(c) for c in zip(*rows)]
print(f"{sys.argv[1]}: records/s {m[0]:.1f} | ack p50 ms {m[1]:.1f} | disk write bytes/batch {m[2]:.0f} | db bytes {m[3]:.0f} | stored state bytes {m[4]:.0f} | state bytes/batch {m[5]:.0f}")' "$bin"
done
