#!/usr/bin/env bash
# The live-path benchmark: real Codex traffic (tests/corpus/codex-0.169.0, copied with fresh
# ids by tripline-loadgen --corpus) sent over OTLP/HTTP protobuf to a fresh `tripline serve`
# (built-in pack, synchronous=FULL) per run, for each binary given and each client count,
# runs interleaved so every binary sees the same machine. Prints one row per run and the
# medians: acknowledged events/s, client ack p50/p99, server CPU seconds per 1,000 events,
# and a plain SQLite insert of the same rows measured in the same go.
#
#   bash scripts/bench-live.sh [--events N] [--runs R] [--clients "1 8 32"] BIN [BIN ...]
#   bash scripts/bench-live.sh target/release/tripline /tmp/tripline-main
#
# Needs target/release/tripline-loadgen (cargo build --release -p tripline-loadgen).
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=200000
RUNS=3
CLIENTS="1 8 32"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { echo "bench-live.sh: name at least one tripline binary" >&2; exit 2; }
LOADGEN="${LOADGEN:-target/release/tripline-loadgen}"
[[ -x "$LOADGEN" ]] || { echo "bench-live.sh: $LOADGEN missing (cargo build --release -p tripline-loadgen)" >&2; exit 2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
RESULTS="$WORK/results.jsonl"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

one_run() { # bin clients run
  local bin="$1" clients="$2" run="$3" data="$WORK/data" http grpc pid cpu0 cpu1 out
  rm -rf "$data"
  http="127.0.0.1:$(free_port)"; grpc="127.0.0.1:$(free_port)"
  TRIPLINE_STORE_SYNCHRONOUS=full "$bin" serve --http "$http" --grpc "$grpc" --data "$data" \
    --ready-file "$WORK/ready.json" >"$WORK/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [[ -s "$WORK/ready.json" ]] && break; sleep 0.1; done
  rm -f "$WORK/ready.json"
  cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  out=$("$LOADGEN" --target "$http" --corpus tests/corpus/codex-0.169.0 --events "$EVENTS" \
    --concurrency "$clients" | tail -1)
  cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  kill "$pid"; wait "$pid" || true
  # The stored rows, once: the plain-SQLite baseline inserts the same rows.
  [[ -s "$WORK/rows.jsonl" ]] || python3 - "$data/tripline.db" "$WORK/rows.jsonl" <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
with open(sys.argv[2], "w") as out:
    for id_, event in db.execute("SELECT id, event FROM events"):
        out.write(json.dumps([id_, event]) + "\n")
EOF
  python3 - "$bin" "$clients" "$run" "$cpu0" "$cpu1" "$out" >>"$RESULTS" <<'EOF'
import json, os, sys
bin, clients, run, cpu0, cpu1, out = sys.argv[1:]
d = json.loads(out)
tick = os.sysconf("SC_CLK_TCK")
cpu = (float(cpu1) - float(cpu0)) / tick
row = {"bin": bin, "clients": int(clients), "run": int(run), "events": d["records_acked"],
       "events_per_s": d["records_per_s"], "ack_p50_ms": d["ack_p50_ms"],
       "ack_p99_ms": d["ack_p99_ms"], "cpu_s_per_1k": 1000 * cpu / max(d["records_acked"], 1),
       "outcomes": d["outcomes"]}
print(json.dumps(row))
print(json.dumps(row), file=sys.stderr)
EOF
}

# A plain SQLite insert of the same rows: WAL, synchronous=FULL, 5,000-row transactions.
plain_insert() {
  python3 - "$WORK/rows.jsonl" "$WORK/plain.db" <<'EOF'
import json, os, sqlite3, sys, time
rows = [json.loads(l) for l in open(sys.argv[1])]
for suffix in ("", "-wal", "-shm"):
    try:
        os.remove(sys.argv[2] + suffix)
    except FileNotFoundError:
        pass
db = sqlite3.connect(sys.argv[2], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE events (id TEXT PRIMARY KEY, event TEXT NOT NULL)")
t = time.perf_counter()
for i in range(0, len(rows), 5000):
    db.execute("BEGIN")
    db.executemany("INSERT INTO events VALUES (?, ?)", rows[i:i + 5000])
    db.execute("COMMIT")
print(json.dumps({"rows": len(rows), "rows_per_s": len(rows) / (time.perf_counter() - t)}))
EOF
}

for run in $(seq "$RUNS"); do
  for clients in $CLIENTS; do
    for bin in "$@"; do one_run "$bin" "$clients" "$run"; done
  done
  plain_insert | tee -a "$WORK/plain.jsonl" >&2
done

python3 - "$RESULTS" "$WORK/plain.jsonl" "$@" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
plain = statistics.median(json.loads(l)["rows_per_s"] for l in open(sys.argv[2]))
bins = sys.argv[3:]
med = lambda xs: statistics.median(xs)
print(f"\nplain SQLite insert of the same rows (WAL, synchronous=FULL, 5,000-row transactions): {plain:,.0f} rows/s (median)")
print("\n| binary | clients | events/s (median) | ack p50 ms | ack p99 ms | server CPU s per 1k events | events/s vs first binary | vs plain insert |")
print("|---|---|---|---|---|---|---|---|")
for clients in sorted({r["clients"] for r in rows}):
    base = None
    for b in bins:
        rs = [r for r in rows if r["bin"] == b and r["clients"] == clients]
        eps = med([r["events_per_s"] for r in rs])
        base = base or eps
        print(f"| {b} | {clients} | {eps:,.0f} | {med([r['ack_p50_ms'] for r in rs]):.0f} | "
              f"{med([r['ack_p99_ms'] for r in rs]):.0f} | {med([r['cpu_s_per_1k'] for r in rs]):.3f} | {eps / base:.2f} | {eps / plain:.2f} |")
EOF
