"""Run the bench pack's DuckDB SQL over a JSON Lines file and time the whole of it.

    python duckdb_bench.py load   events.jsonl   # load into a table, then query it
    python duckdb_bench.py direct events.jsonl   # query the file directly (a view)

Prints one JSON object: mode, threads, seconds (load + every query), events/s, and the
number each rule's query returned. The clock starts before the connection opens.
"""

import json
import os
import re
import sys
import time

import duckdb


def queries(path):
    text = open(path, encoding="utf-8").read()
    parts = re.split(r"^-- rule: (\S+)\s*$", text, flags=re.M)
    return [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts), 2)]


def main():
    mode, events = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    qs = queries(os.path.join(here, "duckdb.sql"))
    src = "read_json('%s', format = 'newline_delimited')" % events.replace("'", "''")
    start = time.perf_counter()
    con = duckdb.connect()
    if mode == "load":
        con.execute("CREATE TABLE ev AS SELECT * FROM " + src)
    elif mode == "direct":
        con.execute("CREATE VIEW ev AS SELECT * FROM " + src)
    else:
        sys.exit("mode must be load or direct")
    counts = {name: con.execute(sql).fetchone()[0] for name, sql in qs}
    n = con.execute("SELECT count(*) FROM ev").fetchone()[0] if mode == "load" else None
    secs = time.perf_counter() - start
    if n is None:
        n = sum(1 for line in open(events, "rb") if line.strip())
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(json.dumps({"mode": mode, "threads": threads, "events": n, "seconds": secs,
                      "events_per_s": n / secs if secs else 0, "rules": counts}))


if __name__ == "__main__":
    main()
