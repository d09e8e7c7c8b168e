#!/usr/bin/env bash
# Benchmarks that anyone can rerun:
#   bash bench/run.sh [pacing|shared|ceiling|rerun|regions|cpu|memory|rerun100k|sdk|all]
#   bash bench/run.sh [selfshare [N] [STAGGER_S]|regions10|million]   (issue 14; not in `all`)
#   [DELETE=1] bash bench/run.sh [adopt-interleaved|adopt-grouped] [N]   (issue 22; not in `all`)
#   bash bench/run.sh tails [SEED [ROWS...]]   (issue 22: delete, update, rotate under faults; not in `all`)
#   bash bench/run.sh passes   (issue 22: one budget across passes; a 1,200-row create run; not in `all`)
# Builds the benchmarks' binary (profile bench-release: release, with line tables), starts `bulkflow emulator` on loopback, and prints the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
# BULKFLOW_BIN=path/to/bulkflow measures that binary instead (a build of another branch, for a
# figure side by side); otherwise this tree is built.
if [ -n "${BULKFLOW_BIN:-}" ]; then B=$BULKFLOW_BIN; else
  cargo build --profile bench-release --quiet
  B=${CARGO_TARGET_DIR:-target}/bench-release/bulkflow
fi
W=$(mktemp -d)
EMUS=()
# KEEP=1 keeps the work directory (state files, logs) and says where it is.
trap 'kill "${EMUS[@]}" 2>/dev/null || true; if [ -n "${KEEP:-}" ]; then echo "work dir: $W" >&2; else rm -rf "$W"; fi' EXIT
# The emulator checks its own fixed key (it never reads these variables); the runs sign with it.
export TENCENTCLOUD_SECRET_ID=AKIDbulkflowEMULATOR TENCENTCLOUD_SECRET_KEY=bulkflow-emulator-secret-key

start_emulator() { # args: LISTEN emulator-flags; sets URL, appends the pid to EMUS
  local n=${#EMUS[@]}
  rm -f "$W/emu$n.out" # an earlier emulator's: its address is not this one's
  "$B" emulator --listen "$@" > "$W/emu$n.out" 2> "$W/emu$n.err" &
  EMUS+=($!)
  for _ in $(seq 1200); do [ -s "$W/emu$n.out" ] && break; sleep 0.05; done # --preexisting: seconds
  [ -s "$W/emu$n.out" ] || { echo "the emulator did not start: $(cat "$W/emu$n.err")" >&2; exit 1; }
  URL=$(head -1 "$W/emu$n.out" | sed 's/^listening on //')
}
emulator() { start_emulator 127.0.0.1:0 "$@"; } # args: emulator flags; sets URL
stop_emulator() { kill "${EMUS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; EMUS=(); }

# timed FILE CMD...: runs CMD under GNU time, its figures into FILE as "wall user sys maxrss_kb"
timed() { local f=$1; shift; /usr/bin/time -o "$f" -f "%e %U %S %M" "$@"; }
pacing() {
  echo "== pacing: 400 rows, emulator strict 20/s window, latency 100-300 ms, default flags"
  python3 bench/manifest.py 400 "$W/p.csv"
  emulator --rate 20 --latency-ms 100:300
  "$B" run "$W/p.csv" --endpoint "$URL" --progress none 2>&1 | tail -1
  stop_emulator
  echo "the first seconds (a cold start on an idle account):"
  python3 bench/per_second.py "$W/p.csv.bulkflow.db" 2>/dev/null | head -6
}

shared() {
  echo "== shared budget: 400 rows, emulator 20/s with --background-load 8 (12/s left)"
  python3 bench/manifest.py 400 "$W/s.csv"
  emulator --rate 20 --background-load 8 --latency-ms 100:300
  "$B" run "$W/s.csv" --endpoint "$URL" --progress none 2>&1 | tail -1
  stop_emulator
  python3 bench/per_second.py "$W/s.csv.bulkflow.db"
}

selfshare() { # N runs, each its own manifest, one strict 20/s emulator; started STAGGER s apart
  # Run i has (1200 + (N - i) * STAGGER * 20) / N rows: about a minute while all N run.
  local n=${1:-2} stagger=${2:-0} pids=() states=() rows
  echo "== sharing with itself: $n runs, one emulator at 20/s (latency 100-300 ms), started ${stagger}s apart"
  emulator --rate 20 --latency-ms 100:300
  for i in $(seq "$n"); do
    rows=$(( (1200 + (n - i) * stagger * 20) / n ))
    python3 bench/manifest.py "$rows" "$W/p$i.csv" 20
    sed -i "s/cfs-0000/cfs-${i}000/" "$W/p$i.csv" # file systems of their own
  done
  for i in $(seq "$n"); do
    "$B" run "$W/p$i.csv" --endpoint "$URL" --progress none > "$W/p$i.log" 2>&1 &
    pids+=($!); states+=("$W/p$i.csv.bulkflow.db")
    [ "$i" -lt "$n" ] && sleep "$stagger"
  done
  wait "${pids[@]}" || true
  stop_emulator
  for i in $(seq "$n"); do tail -1 "$W/p$i.log"; done
  python3 bench/share.py 20 "${states[@]}"
}

regions10() {
  echo "== regions: 4000 rows over 10 regions, 10 emulators at 20/s each (latency 100-300 ms), default flags; and 400 rows on one"
  # 127.0.0.0x1 .. 127.0.0.0xa are 127.0.0.1 .. 127.0.0.10 (see "Regions" in BENCHMARKS.md).
  python3 bench/manifest.py 4000 "$W/g.csv" 20 x1,x2,x3,x4,x5,x6,x7,x8,x9,xa
  emulator --rate 20 --latency-ms 100:300
  local port=${URL##*:}
  for i in $(seq 2 10); do start_emulator "127.0.0.$i:$port" --rate 20 --latency-ms 100:300; done
  timed "$W/g.time" "$B" run "$W/g.csv" --endpoint "http://127.0.0.0{region}:$port" --progress none 2>&1 | tail -1
  stop_emulator
  read -r wall user sys rss < "$W/g.time"
  echo "10 regions: wall ${wall}s, user ${user}s, sys ${sys}s, max RSS ${rss} KB"
  python3 - "$W/g.csv.bulkflow.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for region, calls, thr in c.execute("SELECT f.region, count(*), sum(a.outcome = 'throttled') FROM attempts a JOIN flows f ON f.id = a.flow_id GROUP BY 1 ORDER BY 1"):
    print(f"  {region}: {calls} calls, {thr} throttled")
PY
  python3 bench/manifest.py 400 "$W/g1.csv" 20 x1
  emulator --rate 20 --latency-ms 100:300
  port=${URL##*:}
  "$B" run "$W/g1.csv" --endpoint "http://127.0.0.0{region}:$port" --progress none 2>&1 | tail -1
  stop_emulator
}

tails() { # issue 22 item 2: delete, update and rotate under lost answers and internal errors
  local seed=${1:-1}; [ $# -gt 0 ] && shift
  local sizes=("$@")
  [ ${#sizes[@]} -gt 0 ] || sizes=(190 1200)
  for n in "${sizes[@]}"; do
    echo "== tails: $n rows, emulator --rate 20 --lost-response 0.03 --internal-error 0.02 --seed $seed; goal: each command within calls/20 + 3 s"
    python3 bench/manifest.py "$n" "$W/t.csv"
    # The same rows with a name (for --update), then with new keys (for --rotate-keys).
    python3 - "$W/t.csv" "$W/t1.csv" "$W/t2.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as a, open(sys.argv[3], "w", newline="") as b:
    wa, wb = csv.writer(a), csv.writer(b)
    wa.writerow(rows[0] + ["DataFlowName"]); wb.writerow(rows[0] + ["DataFlowName"])
    k = rows[0].index("SecretKey")
    for i, r in enumerate(rows[1:]):
        wa.writerow(r + [f"bench-{i}"])
        r[k] = "benchKEY2"
        wb.writerow(r + [f"bench-{i}"])
PY
    emulator --rate 20 --lost-response 0.03 --internal-error 0.02 --seed "$seed"
    local st="$W/t.db"
    rm -f "$st"*
    "$B" run "$W/t.csv" --state "$st" --endpoint "$URL" --progress none > "$W/t0.log" 2>&1 || true
    echo "create (setup): $(grep -o '[0-9]* calls in [0-9.]*s' "$W/t0.log")"
    local what args
    for what in update rotate delete; do
      case $what in
        # (Each manifest is the same rows as the last one's: --adopt-state says the state is meant.)
        update) args=(run "$W/t1.csv" --update --adopt-state) ;;
        rotate) args=(run "$W/t2.csv" --rotate-keys --adopt-state) ;;
        delete) args=(delete "$W/t2.csv" --yes) ;;
      esac
      local t0 before; t0=$(date +%s%3N)
      before=$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT max(id) FROM runs').fetchone()[0])" "$st")
      timed "$W/t.time" "$B" "${args[@]}" --state "$st" --endpoint "$URL" --progress none > "$W/t.log" 2>&1 || true
      read -r wall _ _ _ < <(tail -1 "$W/t.time")
      grep -q "^Command exited" "$W/t.time" && echo "($what: $(tail -1 "$W/t.log"))"
      python3 - "$st" "$what" "$wall" "$W/t.log" "$t0" "$before" <<'PY'
import sqlite3, sys
st, what, wall, log = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
c = sqlite3.connect(st)
run = c.execute("SELECT max(id) FROM runs").fetchone()[0]
if run == int(sys.argv[6]):
    sys.exit(f"{what}: FAILED, the command recorded no run (its last line is above)")
calls, lost, internal, throttled, first, last_end = c.execute(
    "SELECT count(*), sum(outcome = 'unknown'), sum(error_code = 'InternalError'), "
    "sum(outcome = 'throttled'), min(sent_at_ms), max(ended_at_ms) FROM attempts WHERE run_id = ?",
    (run,)).fetchone()
# The tail: from the last call that was a row's first of the run to the last answer.
last_first = c.execute(
    "SELECT max(sent_at_ms) FROM attempts a WHERE run_id = ?1 AND NOT EXISTS "
    "(SELECT 1 FROM attempts b WHERE b.flow_id = a.flow_id AND b.run_id = ?1 AND b.attempt < a.attempt)",
    (run,)).fetchone()[0]
states = dict(c.execute("SELECT state, count(*) FROM flows GROUP BY 1"))
goal = calls / 20 + 3
tail = (last_end - last_first) / 1000 if last_first and last_end else 0
print(f"{what}: {calls} calls ({lost or 0} lost, {internal or 0} internal errors, {throttled or 0} throttled), "
      f"goal {goal:.1f} s (calls/20 + 3), measured {wall:.1f} s: {'met' if wall <= goal else 'MISS'}; "
      f"first call {(first - int(sys.argv[5])) / 1000:.1f} s in, tail after the last first attempt {tail:.1f} s; rows {states}")
PY
    done
    stop_emulator
  done
}

passes() { # issue 22 item 3: one pacer per host and action for the whole command
  echo "== one budget across passes: run --wait --update of 1,200 rows over 600 file systems, emulator strict 20/s, latency 100-300 ms"
  python3 bench/manifest.py 1200 "$W/w.csv" 600
  emulator --rate 20 --latency-ms 100:300
  # The calls as the service sees them: a proxy in front of the emulator logs each one's action.
  rm -f "$W/w.calls" "$W/proxy.out"
  python3 bench/call_log.py proxy "$URL" "$W/w.calls" > "$W/proxy.out" 2>&1 &
  EMUS+=($!)
  for _ in $(seq 100); do [ -s "$W/proxy.out" ] && break; sleep 0.05; done
  local proxy; proxy=$(head -1 "$W/proxy.out" | sed 's/^listening on //')
  "$B" run "$W/w.csv" --endpoint "$proxy" --wait --update --progress none --summary-file "$W/w.json" 2>&1 | tail -1
  stop_emulator
  echo "the first seconds of each pass, calls per action (a cautious start is about 12 in the first second, the full rate 20):"
  python3 bench/call_log.py seconds "$W/w.calls" "$W/w.json" 3
  echo "== a 1,200-row create run, emulator strict 20/s, latency 100-300 ms, default flags"
  python3 bench/manifest.py 1200 "$W/c12.csv"
  emulator --rate 20 --latency-ms 100:300
  timed "$W/c12.time" "$B" run "$W/c12.csv" --endpoint "$URL" --progress none 2>&1 | tail -1
  stop_emulator
  local wall; read -r wall _ _ _ < <(tail -1 "$W/c12.time")
  echo "1,200 rows in ${wall}s of wall time: $(python3 -c "print(f'{1200 / $wall:.2f}')") rows/s end to end (goal >= 19.3)"
  python3 bench/per_second.py "$W/c12.csv.bulkflow.db" | head -5
}

million() { # issue 14 item 3: a million rows, limit lifted
  echo "== a million rows (1,000 file systems), limit lifted: first call, memory, state file, re-run, status"
  python3 bench/manifest.py 1000000 "$W/k.csv" 1000
  emulator --rate 0
  local t0 pid tpid
  t0=$(date +%s%3N)
  /usr/bin/time -o "$W/k.time" -f "%e %U %S %M" \
    "$B" run "$W/k.csv" --endpoint "$URL" --rate 0 --progress none > "$W/k.log" 2>&1 &
  tpid=$!; pid=""
  for _ in $(seq 100); do pid=$(pgrep -P "$tpid" || true); [ -n "$pid" ] && break; sleep 0.01; done
  : > "$W/k.rss"
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
    echo "$(( $(date +%s%3N) - t0 )) $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)" >> "$W/k.rss"; sleep 0.25
  done
  wait "$tpid" || true
  tail -1 "$W/k.log"
  read -r wall user sys rss < "$W/k.time"
  python3 - "$W/k.csv.bulkflow.db" "$t0" <<'PY'
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
first = c.execute("SELECT min(sent_at_ms) FROM attempts").fetchone()[0]
print(f"first CreateDataFlow call {first - int(sys.argv[2])} ms after the start")
size = os.path.getsize(sys.argv[1])
rows = c.execute("SELECT count(*) FROM flows").fetchone()[0]
print(f"state file {size / 1e6:.1f} MB: {size / rows:.0f} bytes per row")
for name, mb in c.execute("SELECT name, sum(pgsize) / 1e6 FROM dbstat GROUP BY 1 ORDER BY 2 DESC LIMIT 6"):
    print(f"  {name}: {mb:.1f} MB ({mb * 1e6 / rows:.0f} bytes per row)")
PY
  echo "full run: wall ${wall}s, user ${user}s, sys ${sys}s, max RSS ${rss} KB"
  # (Only the start of a long list; `|| true`: awk may be cut off by head, which under pipefail
  # would end the script before the re-runs.)
  awk '{printf "%s%ds:%.1fMB", (NR>1?" ":"RSS over the run: "), $1/1000, $2/1024} NR%12==0 {print ""; printf "  "} END {print ""}' "$W/k.rss" | head -c 1500 || true; echo
  sort -n -k2 "$W/k.rss" | tail -1 | awk '{printf "RSS sampled at most %.1f MB (at %d s)\n", $2/1024, $1/1000}'
  for i in 1 2 3; do
    timed "$W/r$i.time" "$B" run "$W/k.csv" --endpoint "$URL" --rate 0 --progress none > "$W/r$i.log" 2>&1 || true
    read -r wall user sys rss < "$W/r$i.time"
    echo "re-run $i: wall ${wall}s, user ${user}s, sys ${sys}s, max RSS ${rss} KB; $(grep -o '[0-9]* calls in' "$W/r$i.log")"
  done
  stop_emulator
  "$B" status --state "$W/k.csv.bulkflow.db" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print('status rows', d['rows'], d['counts'])"
  rm -f "$W/k.csv" "$W/k.csv.bulkflow.db"*
}

adopt() { # issue 22 item 1: ORDER N; memory of plan and run when every flow already exists
  local order=${1:-interleaved} n=${2:-200000}
  echo "== adopting $n rows, $order over 1,000 file systems, every flow already there (emulator --rate 0 --preexisting the manifest), limit lifted"
  echo "load before: $(uptime)"
  python3 bench/manifest.py "$n" "$W/a.csv" 1000 ap-guangzhou "$order"
  emulator --rate 0 --preexisting "$W/a.csv"
  timed "$W/ap.time" "$B" plan "$W/a.csv" --endpoint "$URL" --rate 0 --progress none --json > "$W/ap.json" 2> "$W/ap.err" || true
  read -r wall user sys rss < "$W/ap.time"
  echo "plan: wall ${wall}s, user ${user}s, sys ${sys}s, max RSS ${rss} KB; $(tail -1 "$W/ap.json")"
  timed "$W/a.time" "$B" run "$W/a.csv" --endpoint "$URL" --rate 0 --progress none > "$W/a.log" 2>&1 || true
  read -r wall user sys rss < "$W/a.time"
  echo "run: wall ${wall}s, user ${user}s, sys ${sys}s, max RSS ${rss} KB; $(tail -1 "$W/a.log")"
  if [ -n "${DELETE:-}" ]; then # DELETE=1: then delete every row's flow (the run's state file)
    timed "$W/ad.time" "$B" delete "$W/a.csv" --yes --endpoint "$URL" --rate 0 --progress none > "$W/ad.log" 2>&1 || true
    read -r wall user sys rss < "$W/ad.time"
    echo "delete: wall ${wall}s, user ${user}s, sys ${sys}s, max RSS ${rss} KB; $(tail -1 "$W/ad.log")"
  fi
  stop_emulator
  echo "load after: $(uptime)"
  rm -f "$W/a.csv" "$W/a.csv.bulkflow.db"* "$W/ap.json"
}

ceiling() {
  echo "== runner ceiling: 20,000 rows, limit lifted (emulator --rate 0, run --rate 0), durable state"
  python3 bench/manifest.py 20000 "$W/c.csv"
  emulator --rate 0
  /usr/bin/time -f "wall %es, user %Us, sys %Ss, max RSS %M KB" "$B" run "$W/c.csv" --endpoint "$URL" --rate 0 --progress none 2>&1 | tail -2
  stop_emulator
}

rerun() {
  echo "== re-running a finished 10,000-row state (must make no call)"
  python3 bench/manifest.py 10000 "$W/r.csv"
  emulator --rate 0
  "$B" run "$W/r.csv" --endpoint "$URL" --rate 0 --progress none > /dev/null 2>&1
  /usr/bin/time -f "wall %es, max RSS %M KB" "$B" run "$W/r.csv" --endpoint "$URL" --rate 0 --progress none 2>&1 | tail -2
  stop_emulator
}

regions() {
  echo "== regions: 800 rows over two regions, two emulators at 20/s each (latency 100-300 ms), default flags"
  # Region names are lower-case letters, digits and '-', so the two loopback hosts are reached
  # through the hex form of the address's last byte: 127.0.0.0x1 is 127.0.0.1, 127.0.0.0x2 is 127.0.0.2.
  python3 bench/manifest.py 800 "$W/g.csv" 20 x1,x2
  emulator --rate 20 --latency-ms 100:300
  local port=${URL##*:}
  start_emulator "127.0.0.2:$port" --rate 20 --latency-ms 100:300
  "$B" run "$W/g.csv" --endpoint "http://127.0.0.0{region}:$port" --progress none 2>&1 | tail -1
  stop_emulator
}

cpu() {
  echo "== CPU per row: the runner's user+sys over 400 rows at 20/s (pacing run), and over 20,000 rows limit lifted"
  python3 bench/manifest.py 400 "$W/u.csv"
  emulator --rate 20 --latency-ms 100:300
  timed "$W/u.time" "$B" run "$W/u.csv" --endpoint "$URL" --progress none 2>&1 | tail -1
  stop_emulator
  read -r wall user sys rss < "$W/u.time"
  echo "400 rows at 20/s: wall ${wall}s, user ${user}s, sys ${sys}s, max RSS ${rss} KB; CPU per row $(python3 -c "print(f'{($user+$sys)/400*1000:.2f} ms')")"
  python3 bench/manifest.py 20000 "$W/v.csv"
  emulator --rate 0
  timed "$W/v.time" "$B" run "$W/v.csv" --endpoint "$URL" --rate 0 --progress none 2>&1 | tail -1
  stop_emulator
  read -r wall user sys rss < "$W/v.time"
  echo "20,000 rows limit lifted: wall ${wall}s, user ${user}s, sys ${sys}s, max RSS ${rss} KB; CPU per row $(python3 -c "print(f'{($user+$sys)/20000*1000:.3f} ms')")"
}

memory() {
  echo "== memory: max RSS of a full run, limit lifted (emulator --rate 0, run --rate 0), 10,000 vs 1,000,000 rows"
  for n in 10000 1000000; do
    python3 bench/manifest.py "$n" "$W/m$n.csv" 1000
    emulator --rate 0
    /usr/bin/time -o "$W/m$n.time" -f "%e %U %S %M" \
      "$B" run "$W/m$n.csv" --endpoint "$URL" --rate 0 --progress none > "$W/m$n.log" 2>&1 &
    local tpid=$! pid="" # GNU time's pid; bulkflow is its child
    for _ in $(seq 100); do pid=$(pgrep -P "$tpid" || true); [ -n "$pid" ] && break; sleep 0.01; done
    : > "$W/m$n.rss" # the RSS every 50 ms, to tell the validation peak from the steady state
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
      awk '/^VmRSS/ {print $2}' "/proc/$pid/status" >> "$W/m$n.rss" 2>/dev/null || true; sleep 0.05
    done
    wait "$tpid"
    tail -1 "$W/m$n.log"
    stop_emulator
    read -r wall user sys rss < "$W/m$n.time"
    echo "$n rows: wall ${wall}s, user ${user}s, sys ${sys}s, max RSS ${rss} KB; manifest $(du -k "$W/m$n.csv" | cut -f1) KB;" \
      "state file $(ls -l "$W/m$n.csv.bulkflow.db" | awk '{printf "%.1f MB", $5/1e6}')"
    sort -n "$W/m$n.rss" | awk '{a[NR]=$1} END {if (NR) printf "  RSS samples every 50 ms: %d, median %d KB, max %d KB\n", NR, a[int((NR+1)/2)], a[NR]}'
    rm -f "$W/m$n.csv" "$W/m$n.csv.bulkflow.db"*
  done
}

rerun100k() {
  echo "== re-running a finished 100,000-row state (must make no call)"
  python3 bench/manifest.py 100000 "$W/h.csv" 1000
  emulator --rate 0
  timed "$W/h1.time" "$B" run "$W/h.csv" --endpoint "$URL" --rate 0 --progress none 2>&1 | tail -1
  read -r wall _ _ _ < "$W/h1.time"; echo "(first run: ${wall}s)"
  timed "$W/h2.time" "$B" run "$W/h.csv" --endpoint "$URL" --rate 0 --progress none 2>&1 | tail -1
  stop_emulator
  read -r wall user sys rss < "$W/h2.time"
  echo "re-run: wall ${wall}s, user ${user}s, sys ${sys}s, max RSS ${rss} KB"
}

sdk() {
  echo "== side by side: 400 rows, a fresh emulator at 20/s (latency 100-300 ms) for each contender"
  python3 -m venv "$W/venv"
  "$W/venv/bin/pip" install --quiet tencentcloud-sdk-python-common tencentcloud-sdk-python-cfs
  "$W/venv/bin/pip" list 2>/dev/null | grep -i '^tencentcloud-sdk-python' | tr -s ' ' | tr '\n' ' '; echo
  python3 bench/manifest.py 400 "$W/b.csv"
  for threads in 4 16; do
    emulator --rate 20 --latency-ms 100:300
    "$W/venv/bin/python" bench/sdk_baseline.py "$W/b.csv" "${URL#http://}" "$threads"
    stop_emulator
  done
  emulator --rate 20 --latency-ms 100:300
  "$B" run "$W/b.csv" --endpoint "$URL" --progress none 2>&1 | tail -1
  stop_emulator
}

case "${1:-all}" in
  pacing) pacing ;; shared) shared ;; ceiling) ceiling ;; rerun) rerun ;;
  regions) regions ;; cpu) cpu ;; memory) memory ;; rerun100k) rerun100k ;; sdk) sdk ;;
  selfshare) selfshare "${2:-2}" "${3:-0}" ;; regions10) regions10 ;; million) million ;;
  adopt-interleaved) adopt interleaved "${2:-200000}" ;; adopt-grouped) adopt grouped "${2:-200000}" ;;
  tails) shift; tails "$@" ;; passes) passes ;;
  all) pacing; shared; ceiling; rerun; regions; cpu; memory; rerun100k; sdk ;;
  *) echo "usage: bench/run.sh [pacing|shared|ceiling|rerun|regions|cpu|memory|rerun100k|sdk|all|selfshare [N] [STAGGER_S]|regions10|million|adopt-interleaved [N]|adopt-grouped [N]|tails [SEED [ROWS...]]|passes]" >&2; exit 2 ;;
esac
