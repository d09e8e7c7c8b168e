#!/usr/bin/env bash
# `bulkflow plan` of a big manifest, measured:
#   bash bench/plan.sh [ROWS] [FILE_SYSTEMS]        (default 100000 rows over 100 file systems)
# 1. An unthrottled emulator and `run --rate 0` create every row's flow: a state file of ROWS
#    created rows.
# 2. A second emulator, with the real 20/s limit per action and 60-250 ms latency, starts with
#    those flows (`--preexisting`, with their ids), a few changed to give every verdict: per 100
#    rows, one flow gone (missing), one with another source (conflict), one renamed (update), one
#    unavailable, one being deleted (conflict), one recreated under another id (adopt); plus 10
#    flows per file system that no row names (unmanaged).
# 3. `plan --json` against it under GNU time: wall time against what the DescribeDataFlow limit
#    allows (pages / 20 per second), peak RSS, the summary, and the state file unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-100000}
FS=${2:-100}
cargo build --profile bench-release --quiet
B=${CARGO_TARGET_DIR:-target}/bench-release/bulkflow
W=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "work dir: $W"
EMU=
trap '[ -n "$EMU" ] && kill "$EMU" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
# The emulator checks its own fixed key (it never reads these variables); the runs sign with it.
export TENCENTCLOUD_SECRET_ID=AKIDbulkflowEMULATOR TENCENTCLOUD_SECRET_KEY=bulkflow-emulator-secret-key

emulator() {
  rm -f "$W/emu.out"
  "$B" emulator --listen 127.0.0.1:0 "$@" > "$W/emu.out" 2> "$W/emu.err" &
  EMU=$!
  for _ in $(seq 600); do [ -s "$W/emu.out" ] && break; sleep 0.1; done
  [ -s "$W/emu.out" ] || { echo "the emulator did not start: $(cat "$W/emu.err")" >&2; exit 1; }
  URL=$(head -1 "$W/emu.out" | sed 's/^listening on //')
}
stop_emulator() { kill "$EMU" 2>/dev/null || true; wait "$EMU" 2>/dev/null || true; EMU=; }

python3 - "$ROWS" "$FS" "$W/m.csv" <<'PY'
import sys
n, fs, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with open(out, "w") as f:
    f.write("FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,DataFlowName,Region\n")
    for i in range(n):
        f.write(f"cfs-{i % fs:08x},S3_COS,https://src-1251000004.cos.ap-guangzhou.myqcloud.com,data/{i},/cfs/d{i:07d},AKIDbench,benchKEY,flow_{i},ap-guangzhou\n")
PY

echo "== 1. create $ROWS flows over $FS file systems (unthrottled emulator, run --rate 0)"
emulator --rate 0
"$B" run "$W/m.csv" --endpoint "$URL" --rate 0 --progress none 2>&1 | tail -1
stop_emulator
"$B" report "$W/m.csv" > "$W/report.csv"

python3 - "$W/m.csv" "$W/report.csv" "$W/pre.csv" "$FS" <<'PY'
import csv, sys
manifest, report, out, fs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ids = {int(r["line"]): r["data_flow_id"] for r in csv.DictReader(open(report))}
with open(manifest) as m, open(out, "w", newline="") as o:
    rows = csv.DictReader(m)
    w = csv.DictWriter(o, fieldnames=rows.fieldnames + ["DataFlowId", "Status"])
    w.writeheader()
    for i, r in enumerate(rows):
        r["DataFlowId"], r["Status"] = ids[i + 2], "available"
        k = (i // fs) % 100                            # 10 of each kind per file system
        if k == 1:
            continue                                   # missing
        if k == 2:
            r["SourcePath"] = "elsewhere/"             # conflict (drift)
        if k == 3:
            r["DataFlowName"] = "renamed"              # update
        if k == 4:
            r["Status"] = "unavailable"                # unavailable
        if k == 5:
            r["Status"] = "deleting"                   # conflict: being deleted
        if k == 6:
            r["DataFlowId"] = "cfs-dataflow-again%d" % i  # adopt
        w.writerow(r)
    for f in range(fs):
        for j in range(10):                            # unmanaged
            w.writerow({"FileSystemId": f"cfs-{f:08x}", "SourceStorageType": "S3_COS",
                        "SourceStorageAddress": "https://other-1251000004.cos.ap-guangzhou.myqcloud.com",
                        "SourcePath": f"x/{j}", "TargetPath": f"/cfs/unmanaged/{j}",
                        "SecretId": "AKIDother", "SecretKey": "k", "Region": "ap-guangzhou",
                        "DataFlowId": f"cfs-dataflow-x{f}-{j}", "Status": "available"})
PY

echo "== 2. plan against the 20/s emulator (latency 60-250 ms) holding those flows, changed"
emulator --rate 20 --latency-ms 60:250 --deleting-ms 3600000 --preexisting "$W/pre.csv"
before=$(sha256sum "$W/m.csv.bulkflow.db" | cut -d' ' -f1; stat -c %Y "$W/m.csv.bulkflow.db")
set +e
/usr/bin/time -o "$W/time" -f "%e %M" "$B" plan "$W/m.csv" --endpoint "$URL" --json --progress none \
  > "$W/plan.jsonl" 2> "$W/plan.err"
code=$?
set -e
after=$(sha256sum "$W/m.csv.bulkflow.db" | cut -d' ' -f1; stat -c %Y "$W/m.csv.bulkflow.db")
tail -1 "$W/plan.err"
tail -1 "$W/plan.jsonl"
read -r wall rss < <(tail -1 "$W/time")
python3 - "$wall" "$rss" "$code" "$(wc -l < "$W/plan.jsonl")" "$ROWS" "$FS" <<'PY'
import math, sys
wall, rss, code, lines, rows, fs = float(sys.argv[1]), int(sys.argv[2]), *map(int, sys.argv[3:])
per_fs = [0] * fs
for i in range(rows):
    per_fs[i % fs] += (i // fs) % 100 != 1             # the missing ones are not listed
pages = sum(math.ceil((c + 10) / 100) for c in per_fs)
allowed = pages / 20
print(f"{lines - 1} rows judged, exit {code}; {pages} DescribeDataFlow pages, {allowed:.1f} s at 20/s; "
      f"plan took {wall:.1f} s ({100 * (wall / allowed - 1):+.1f}%); peak RSS {rss / 1024:.1f} MB")
PY
[ "$before" = "$after" ] && echo "state file unchanged (bytes and mtime)" || echo "STATE FILE CHANGED"
ls "$W" | grep -q 'bulkflow.db-wal' && echo "a -wal file was left beside the state file" || true
