#!/usr/bin/env python3
"""Writes a CSV manifest of N rows over F file systems: bench/manifest.py N OUT [F] [REGIONS] [ORDER]

ORDER `interleaved` (the default) puts row i on file system i % F, so that the file systems take
turns row by row; `grouped` gives each file system its rows in one run (first the rows i with
i % F == 0, and so on). The rows are the same either way, only their order differs."""
import sys

n = int(sys.argv[1])
out = sys.argv[2]
fs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
regions = (sys.argv[4] if len(sys.argv) > 4 else "ap-guangzhou").split(",")
order = sys.argv[5] if len(sys.argv) > 5 else "interleaved"
if order not in ("interleaved", "grouped"):
    sys.exit(f"ORDER is interleaved or grouped, not {order}")
with open(out, "w") as f:
    f.write("FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,Region\n")
    # i: the row's number in the interleaved order, so that both orders hold the same rows.
    numbers = range(n) if order == "interleaved" else (i for k in range(fs) for i in range(k, n, fs))
    for i in numbers:
        r = regions[i % len(regions)]
        f.write(f"cfs-{i % fs:08x},S3_COS,https://src-1251000004.cos.{r}.myqcloud.com,data/{i},/cfs/d{i:07d},AKIDbench,benchKEY,{r}\n")
