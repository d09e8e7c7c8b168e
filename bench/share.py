#!/usr/bin/env python3
"""Several runs against one budget, from their state files: each run's calls let in per second,
the throttled share, and how evenly the runs shared the budget while they all ran.
usage: bench/share.py LIMIT STATE_FILE...   (LIMIT: the emulator's calls per second)"""
import sqlite3
import sys
from collections import defaultdict

limit = float(sys.argv[1])
runs = []
for path in sys.argv[2:]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    run = con.execute("SELECT max(id) FROM runs").fetchone()[0]
    rows = con.execute(
        "SELECT sent_at_ms, outcome FROM attempts WHERE run_id = ? ORDER BY sent_at_ms", (run,)
    ).fetchall()
    runs.append(rows)
t0 = min(r[0][0] for r in runs if r)
per = [defaultdict(int) for _ in runs]
thr = [0 for _ in runs]
for i, rows in enumerate(runs):
    for sent, outcome in rows:
        if outcome == "throttled":
            thr[i] += 1
        elif outcome == "success":
            per[i][(sent - t0) // 1000] += 1
# While they all run: from the last first call to the first last call, whole seconds.
start = max((r[0][0] - t0) // 1000 + 1 for r in runs)
end = min((r[-1][0] - t0) // 1000 for r in runs)
calls = sum(len(r) for r in runs)
print(f"{len(runs)} runs, {calls} calls, {sum(thr)} throttled ({100 * sum(thr) / calls:.2f}%);"
      f" per run: " + ", ".join(f"{len(r)} calls/{t} throttled" for r, t in zip(runs, thr)))
if end > start:
    secs = end - start
    rates = [sum(p[s] for s in range(start, end)) / secs for p in per]
    total = sum(rates)
    share = total / len(runs)
    worst = max(abs(r - share) / share for r in rates) if share else 1.0
    print(f"all running, seconds {start}-{end}: together {total:.1f} calls/s let in"
          f" ({100 * total / limit:.0f}% of {limit:g}); each: "
          + ", ".join(f"{r:.1f}" for r in rates)
          + f"; farthest from an equal share: {100 * worst:.0f}%")
    # Five-second means, to show convergence rather than per-second noise.
    print("  5 s means while all run: " + " | ".join(
        " ".join(f"{sum(p[s] for s in range(a, min(a + 5, end))) / (min(a + 5, end) - a):4.1f}"
                 for p in per)
        for a in range(start, end, 5)))
last = max(max(p) for p in per if p)
print("second  " + "  ".join(f"run{i + 1:<2}" for i in range(len(runs))) + "  throttled")
thr_per = defaultdict(int)
for rows in runs:
    for sent, outcome in rows:
        if outcome == "throttled":
            thr_per[(sent - t0) // 1000] += 1
for s in range(0, last + 1):
    print(f"{s:6d}  " + "  ".join(f"{p[s]:5d}" for p in per) + f"  {thr_per[s]:9d}")
