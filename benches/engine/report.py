"""Summarize the engine benchmark's runs (JSON Lines from scripts/bench-engine.sh).

Each input line: {"name", "events", "wall_s", "rss_kib", "engine_s"?}. Prints a Markdown
table: median wall time, events/s on that median, median peak RSS, and the ratio of
events/s against rsigma and against DuckDB (load then query), all from the same run.
"""

import json
import statistics
import sys
from collections import OrderedDict


def main():
    runs = OrderedDict()
    for line in open(sys.argv[1], encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            runs.setdefault(r["name"], []).append(r)
    rows = OrderedDict()
    for name, rs in runs.items():
        wall = statistics.median(r["wall_s"] for r in rs)
        rows[name] = {
            "n": len(rs),
            "events": rs[0]["events"],
            "wall": wall,
            "eps": rs[0]["events"] / wall if wall else 0.0,
            "rss": statistics.median(r["rss_kib"] for r in rs) / 1024.0,
        }
    base = {k: rows[k]["eps"] for k in ("rsigma", "duckdb load+query") if k in rows}
    cols = ["run", "median s", "events/s", "peak RSS MiB"] + ["x vs " + k for k in base]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for name, r in rows.items():
        cells = [name, "%.2f" % r["wall"], "{:,.0f}".format(r["eps"]), "%.0f" % r["rss"]]
        cells += ["%.2f" % (r["eps"] / b) if b else "-" for b in base.values()]
        print("| " + " | ".join(cells) + " |")
    print()
    print("runs per row: " + ", ".join(sorted({str(r["n"]) for r in rows.values()})))


if __name__ == "__main__":
    main()
