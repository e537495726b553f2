"""Compare the bench pack's results from tripline, rsigma and DuckDB on one input.

    python compare.py tripline.json rsigma.jsonl duckdb.json

Detections: matching events. Correlations and first-seen: distinct groups that fired
(rsigma alerts on every event while a condition holds, tripline once each time it starts to
hold, so alert counts differ by design). Prints a Markdown table.
"""

import json
import sys
from collections import Counter, defaultdict


def main():
    trip = json.load(open(sys.argv[1]))["rules"]
    duck = json.load(open(sys.argv[3]))["rules"]
    rs_count, rs_groups, names = Counter(), defaultdict(set), {}
    for line in open(sys.argv[2], encoding="utf-8"):
        if not line.strip():
            continue
        r = json.loads(line)
        rid = r["rule_id"]
        if "group_key" in r:
            rs_groups[rid].add(json.dumps(r["group_key"]))
        else:
            rs_count[rid] += 1
        names[rid] = r.get("rule_title", rid)
    print("| rule | tripline | rsigma | DuckDB |")
    print("|---|---|---|---|")
    by_suffix = {rid[-4:]: rid for rid in names}
    suffix = {
        "bench_denied": "0001", "bench_destructive": "0002", "bench_aws_key_output": "0003",
        "bench_injection": "0004", "bench_danger_sandbox": "0005", "bench_api_5xx": "0006",
        "bench_shadow_keyword": "0007", "bench_denied_burst": "0101",
        "bench_tool_variety": "0102", "bench_injection_then_destructive": "0103",
        "bench_new_tool_on_host": "0201",
    }
    for name, sfx in suffix.items():
        t = trip.get(name, {})
        tv = t.get("groups", t.get("outputs", 0))
        rid = by_suffix.get(sfx)
        rv = "-" if sfx == "0201" else (len(rs_groups[rid]) if rid in rs_groups else rs_count.get(rid, 0))
        print("| %s | %s | %s | %s |" % (name, tv, rv, duck.get(name, "-")))


if __name__ == "__main__":
    main()
