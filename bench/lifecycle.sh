#!/usr/bin/env bash
# The flows' life and the resume, measured:
#   bash bench/lifecycle.sh [delete|rotate|resume|all]
# delete, rotate: 400 rows against the strict 20/s emulator with 100-300 ms latency (each action
#   has its own budget): rows/s and throttled share of the DeleteDataFlow / ModifyDataFlow calls.
# resume: 300 rows against the strict 20/s emulator, SIGKILL after 12 s, run again: how much
#   longer the resumed run takes than its remaining rows need at 19 rows/s.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --profile bench-release --quiet
B=${CARGO_TARGET_DIR:-target}/bench-release/bulkflow
W=$(mktemp -d)
EMU=
trap '[ -n "$EMU" ] && kill "$EMU" 2>/dev/null; rm -rf "$W"' EXIT
# The emulator checks its own fixed key (it never reads these variables); the runs sign with it.
export TENCENTCLOUD_SECRET_ID=AKIDbulkflowEMULATOR TENCENTCLOUD_SECRET_KEY=bulkflow-emulator-secret-key

emulator() {
  "$B" emulator --listen 127.0.0.1:0 "$@" > "$W/emu.out" 2> "$W/emu.err" &
  EMU=$!
  for _ in $(seq 100); do [ -s "$W/emu.out" ] && break; sleep 0.05; done
  URL=$(head -1 "$W/emu.out" | sed 's/^listening on //')
}
stop_emulator() { kill "$EMU" 2>/dev/null || true; wait "$EMU" 2>/dev/null || true; EMU=; }

# rate_of STATE ACTION_OUTCOMES: rows/s and throttled share of the last run's calls, from the
# attempts table (first call sent to last call ended).
figures() {
  python3 - "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
run = c.execute("SELECT max(id) FROM runs").fetchone()[0]
a = c.execute("SELECT min(sent_at_ms), max(ended_at_ms), count(*), sum(outcome = 'throttled') FROM attempts WHERE run_id = ?", (run,)).fetchone()
rows = c.execute("SELECT count(DISTINCT flow_id) FROM attempts WHERE run_id = ? AND outcome = 'success'", (run,)).fetchone()[0]
secs = (a[1] - a[0]) / 1000
print(f"{rows} rows in {secs:.1f} s: {rows / secs:.2f} rows/s; {a[2]} calls, {a[3]} throttled ({100 * a[3] / a[2]:.2f}%)")
PY
}

delete() {
  echo "== delete: 400 rows, strict 20/s per action, latency 100-300 ms"
  python3 bench/manifest.py 400 "$W/d.csv"
  emulator --rate 20 --latency-ms 100:300 --deleting-ms 500
  "$B" run "$W/d.csv" --endpoint "$URL" --progress none > /dev/null 2>&1
  "$B" delete "$W/d.csv" --endpoint "$URL" --progress none --yes 2>&1 | tail -1
  figures "$W/d.csv.bulkflow.db"
  stop_emulator
}

rotate() {
  echo "== rotate: 400 rows, strict 20/s per action, latency 100-300 ms"
  python3 bench/manifest.py 400 "$W/r.csv"
  emulator --rate 20 --latency-ms 100:300
  "$B" run "$W/r.csv" --endpoint "$URL" --progress none > /dev/null 2>&1
  "$B" run "$W/r.csv" --endpoint "$URL" --progress none --rotate-keys 2>&1 | tail -1
  figures "$W/r.csv.bulkflow.db"
  stop_emulator
}

resume() {
  for _ in 1 2 3; do resume_once; done
  resume_once --request-timeout 5
}

resume_once() { # args: extra run flags
  echo "== resume: 300 rows, strict 20/s, latency 100-300 ms, SIGKILL after 12 s, run again $*"
  rm -f "$W"/k.csv*
  python3 bench/manifest.py 300 "$W/k.csv"
  emulator --rate 20 --latency-ms 100:300
  "$B" run "$W/k.csv" --endpoint "$URL" --progress none "$@" > "$W/k1.err" 2>&1 &
  local pid=$!
  sleep 12
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  local left
  left=$(python3 -c "import sqlite3; c=sqlite3.connect('$W/k.csv.bulkflow.db'); print(300 - c.execute(\"SELECT count(*) FROM flows WHERE state = 'created'\").fetchone()[0])")
  local unknown
  unknown=$(python3 -c "import sqlite3; c=sqlite3.connect('$W/k.csv.bulkflow.db'); print(c.execute(\"SELECT count(*) FROM flows WHERE state = 'unknown'\").fetchone()[0])")
  local t0 t1
  t0=$(date +%s.%N)
  "$B" run "$W/k.csv" --endpoint "$URL" --progress none "$@" 2>&1 | tail -1
  t1=$(date +%s.%N)
  python3 - "$t0" "$t1" "$left" "$unknown" <<'PY'
import sys
t0, t1, left, unknown = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
need = left / 19
print(f"after the kill: {left} rows not created ({unknown} unknown); resumed run {t1 - t0:.1f} s, "
      f"{need:.1f} s needed at 19 rows/s: {t1 - t0 - need:+.1f} s more")
PY
  python3 - "$W/k.csv.bulkflow.db" "$URL" <<'PY'
import sqlite3, sys, json, urllib.request
c = sqlite3.connect(sys.argv[1])
ids = [r[0] for r in c.execute("SELECT data_flow_id FROM flows WHERE state = 'created'")]
print(f"created rows: {len(ids)}, distinct ids: {len(set(ids))}")
PY
  stop_emulator
}

case "${1:-all}" in
  delete) delete ;;
  rotate) rotate ;;
  resume) resume ;;
  all) delete; rotate; resume ;;
  *) echo "usage: $0 [delete|rotate|resume|all]" >&2; exit 2 ;;
esac
