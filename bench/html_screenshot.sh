#!/usr/bin/env bash
# Regenerates docs/report-1280.png and docs/report-700.png, screenshots of `bulkflow report
# --format html` in a real browser, 1280 and 700 px wide:
#   bash bench/html_screenshot.sh [OUT_DIR]
# A rehearsal of 600 rows on five file systems in two regions against the emulator, with
# throttling (another client takes 4 of the 20 calls per second), some internal errors and lost
# answers, and one file system that does not exist (its 120 rows fail). The first run stops after
# 15 s (exit 4), the second finishes (exit 1). Then the report, rendered by headless Chromium.
# Needs Chromium (Debian: apt-get install chromium); without it this says so and exits 0.
# Set CHROMIUM to the browser's path to use another one. Keeps the page in $KEEP_HTML if set.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-docs}

BROWSER=${CHROMIUM:-}
if [ -z "$BROWSER" ]; then
  for b in chromium chromium-browser google-chrome; do
    if command -v "$b" > /dev/null 2>&1; then BROWSER=$b; break; fi
  done
fi
if [ -z "$BROWSER" ]; then
  echo "html_screenshot: skipped: no chromium, chromium-browser or google-chrome on PATH" \
       "(Debian: apt-get install chromium; or set CHROMIUM=/path/to/browser)" >&2
  exit 0
fi

cargo build --quiet
B=$(realpath "${CARGO_TARGET_DIR:-target}/debug/bulkflow")
W=$(mktemp -d)
EMU=
trap '[ -n "$EMU" ] && kill "$EMU" 2> /dev/null; rm -rf "$W"' EXIT
# The emulator checks its own fixed key (it never reads these variables); the runs sign with it.
export TENCENTCLOUD_SECRET_ID=AKIDbulkflowEMULATOR TENCENTCLOUD_SECRET_KEY=bulkflow-emulator-secret-key

python3 bench/manifest.py 600 "$W/flows.csv" 5 ap-guangzhou,ap-shanghai
"$B" emulator --listen 127.0.0.1:0 --rate 20 --background-load 4 --latency-ms 80:250 \
  --internal-error 0.03 --lost-response 0.01 --seed 7 \
  --file-systems cfs-00000000,cfs-00000001,cfs-00000002,cfs-00000003 \
  > "$W/emu.out" 2> "$W/emu.err" &
EMU=$!
for _ in $(seq 100); do [ -s "$W/emu.out" ] && break; sleep 0.05; done
[ -s "$W/emu.out" ] || { echo "the emulator did not start: $(cat "$W/emu.err")" >&2; exit 1; }
URL=$(head -1 "$W/emu.out" | sed 's/^listening on //')

# From the work directory, so that the page names the manifest `flows.csv`, not a temporary path.
run() { (cd "$W" && "$B" run flows.csv --endpoint "$URL" --progress none -q "$@") || echo "exit $?"; }
run --max-runtime 15s
run
"$B" report "$W/flows.csv" --format html --output "$W/run.html"
[ -n "${KEEP_HTML:-}" ] && cp "$W/run.html" "$KEEP_HTML"

# The page's own height decides nothing here: a tall window, then the PNG as it is.
# The page's own height decides nothing here: a tall window, then the PNG as it is. A wide
# window (1280 px) and a narrow one (700 px: a laptop's half screen, a tablet).
mkdir -p "$OUT"
for size in 1280,1700 700,2600; do
  width=${size%,*}
  "$BROWSER" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --screenshot="$W/shot.png" --window-size="$size" "file://$W/run.html" 2> "$W/browser.err" \
    || { echo "html_screenshot: $BROWSER failed:" >&2; cat "$W/browser.err" >&2; exit 1; }
  cp "$W/shot.png" "$OUT/report-$width.png"
  echo "html_screenshot: wrote $OUT/report-$width.png ($(wc -c < "$OUT/report-$width.png") bytes)"
done
