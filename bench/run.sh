#!/usr/bin/env bash
# Benchmarks that anyone can rerun: bash bench/run.sh [pacing|shared|ceiling|rerun|all]
# Builds the release binary, starts `bulkflow emulator` on loopback, and prints the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
B=${CARGO_TARGET_DIR:-target}/release/bulkflow
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT
export TENCENTCLOUD_SECRET_ID=AKIDbench TENCENTCLOUD_SECRET_KEY=benchkey

emulator() { # args: emulator flags; sets URL
  rm -f "$W/emu.out"
  "$B" emulator --listen 127.0.0.1:0 "$@" > "$W/emu.out" 2> "$W/emu.err" &
  for _ in $(seq 100); do [ -s "$W/emu.out" ] && break; sleep 0.05; done
  [ -s "$W/emu.out" ] || { echo "the emulator did not start: $(cat "$W/emu.err")" >&2; exit 1; }
  URL=$(head -1 "$W/emu.out" | sed 's/^listening on //')
}
stop_emulator() { kill %1 2>/dev/null || true; wait 2>/dev/null || true; }

pacing() {
  echo "== pacing: 400 rows, emulator strict 20/s window, latency 100-300 ms, default flags"
  python3 bench/manifest.py 400 "$W/p.csv"
  emulator --rate 20 --latency-ms 100:300
  "$B" run "$W/p.csv" --endpoint "$URL" --progress none 2>&1 | tail -1
  stop_emulator
}

shared() {
  echo "== shared budget: 400 rows, emulator 20/s with --background-load 8 (12/s left)"
  python3 bench/manifest.py 400 "$W/s.csv"
  emulator --rate 20 --background-load 8 --latency-ms 100:300
  "$B" run "$W/s.csv" --endpoint "$URL" --progress none 2>&1 | tail -1
  stop_emulator
  python3 bench/per_second.py "$W/s.csv.bulkflow.db"
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

case "${1:-all}" in
  pacing) pacing ;; shared) shared ;; ceiling) ceiling ;; rerun) rerun ;;
  all) pacing; shared; ceiling; rerun ;;
  *) echo "usage: bench/run.sh [pacing|shared|ceiling|rerun|all]" >&2; exit 2 ;;
esac
