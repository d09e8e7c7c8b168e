#!/usr/bin/env python3
"""Calls sent and throttled per second of a run, from a state file's attempts table.
usage: bench/per_second.py STATE_FILE [RUN_ID]   (default: the last run)"""
import sqlite3
import sys
from collections import defaultdict

con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
run = int(sys.argv[2]) if len(sys.argv) > 2 else con.execute("SELECT max(id) FROM runs").fetchone()[0]
rows = con.execute(
    "SELECT sent_at_ms, outcome FROM attempts WHERE run_id = ? ORDER BY sent_at_ms", (run,)
).fetchall()
if not rows:
    sys.exit("no calls in that run")
t0 = rows[0][0]
per = defaultdict(lambda: [0, 0])
for sent, outcome in rows:
    per[(sent - t0) // 1000][0] += 1
    per[(sent - t0) // 1000][1] += outcome == "throttled"
print("second  calls  throttled")
for s in sorted(per):
    calls, thr = per[s]
    print(f"{s:6d}  {calls:5d}  {thr:9d}  {'#' * (calls - thr)}{'x' * thr}")
