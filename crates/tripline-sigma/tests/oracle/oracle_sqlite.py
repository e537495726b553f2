#!/usr/bin/env python3
"""Differential-test oracle for tripline-sigma.

usage: oracle_sqlite.py CASES_DIR

CASES_DIR holds `rules.json` (a JSON list of {"id": ..., "yaml": ...}) and `events.jsonl`
(one flat JSON object per line). Each rule is converted with pySigma + the SQLite backend
and run against an in-memory table holding the events; the answer is written to stdout as
{"results": {id: [0-based event indices]}, "unsupported": {id: reason}}.

Storage model (what the Rust engine is compared against):
  * one TEXT COLLATE NOCASE column per field; strings as-is, numbers as JSON text,
    booleans as 'true'/'false', JSON null as NULL;
  * `_keys` holds the field names present (so |exists means "key present");
  * lt/lte/gt/gte compare numbers only (tl_num: JSON numbers and numeric strings);
  * REGEXP is Python's re.search (unanchored).
"""
import json
import pathlib
import re
import sqlite3
import sys
import warnings

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection

NUMERIC = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def tl_num(cell):
    if cell is None:
        return None
    if isinstance(cell, (int, float)):
        return cell
    text = str(cell).strip()
    return float(text) if NUMERIC.fullmatch(text) else None


def tl_regexp(pattern, cell):
    if pattern is None or cell is None:
        return None
    return 1 if re.search(pattern, str(cell)) else 0


def tl_has_key(keys, name):
    return 1 if keys is not None and name in keys.split("\x1f") else 0


def sql_text(s):
    return "'" + s.replace("'", "''") + "'"


class Backend(sqliteBackend):
    compare_op_expression = "tl_num({field}) {operator} {value}"

    def convert_condition_field_exists(self, cond, state):
        return f"tl_has_key(_keys, {sql_text(cond.field)})"

    def convert_condition_field_not_exists(self, cond, state):
        return f"NOT tl_has_key(_keys, {sql_text(cond.field)})"


def cell(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False)


def load_table(events):
    con = sqlite3.connect(":memory:")
    con.create_function("tl_num", 1, tl_num, deterministic=True)
    con.create_function("regexp", 2, tl_regexp, deterministic=True)
    con.create_function("tl_has_key", 2, tl_has_key, deterministic=True)
    columns = list(dict.fromkeys(k for e in events for k in e))
    quoted = ", ".join(f'"{c}" TEXT COLLATE NOCASE' for c in columns)
    con.execute(f"CREATE TABLE logs (idx INTEGER, {quoted}, _keys TEXT)")
    for i, e in enumerate(events):
        names = list(e)
        cols = ", ".join(["idx"] + [f'"{c}"' for c in names] + ["_keys"])
        marks = ", ".join("?" * (len(names) + 2))
        con.execute(f"INSERT INTO logs ({cols}) VALUES ({marks})", [i] + [cell(e[c]) for c in names] + ["\x1f".join(names)])
    return con


def main():
    root = pathlib.Path(sys.argv[1])
    rules = json.loads((root / "rules.json").read_text(encoding="utf-8"))
    events = [json.loads(l) for l in (root / "events.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    con = load_table(events)
    backend = Backend()
    results, unsupported = {}, {}
    for r in rules:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rule = SigmaCollection.from_yaml(r["yaml"]).rules[0]
                queries = backend.convert_rule(rule)
            hits = set()
            for q in queries:
                where = q.split(" WHERE ", 1)[1]
                hits.update(row[0] for row in con.execute(f"SELECT idx FROM logs WHERE {where}"))
            results[r["id"]] = sorted(hits)
        except Exception as e:  # noqa: BLE001 - every failure is reported, not fatal
            unsupported[r["id"]] = f"{type(e).__name__}: {e}".splitlines()[0][:300]
    json.dump({"results": results, "unsupported": unsupported}, sys.stdout)


if __name__ == "__main__":
    main()
