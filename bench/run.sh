#!/usr/bin/env bash
# Benchmarks that anyone can rerun:
#   bash bench/run.sh [pacing|shared|ceiling|rerun|regions|cpu|memory|rerun100k|sdk|all]
#   bash bench/run.sh [selfshare [N] [STAGGER_S]|regions10|million]   (issue 14; not in `all`)
#   [DELETE=1] bash bench/run.sh [adopt-interleaved|adopt-grouped] [N]   (issue 22; not in `all`)
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
trap 'kill "${EMUS[@]}" 2>/dev/null || true; rm -rf "$W"' EXIT
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
  all) pacing; shared; ceiling; rerun; regions; cpu; memory; rerun100k; sdk ;;
  *) echo "usage: bench/run.sh [pacing|shared|ceiling|rerun|regions|cpu|memory|rerun100k|sdk|all|selfshare [N] [STAGGER_S]|regions10|million|adopt-interleaved [N]|adopt-grouped [N]]" >&2; exit 2 ;;
esac
