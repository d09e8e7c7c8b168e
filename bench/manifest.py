#!/usr/bin/env python3
"""Writes a CSV manifest of N rows over F file systems: bench/manifest.py N OUT [F] [REGIONS]"""
import sys

n = int(sys.argv[1])
out = sys.argv[2]
fs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
regions = (sys.argv[4] if len(sys.argv) > 4 else "ap-guangzhou").split(",")
with open(out, "w") as f:
    f.write("FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,Region\n")
    for i in range(n):
        r = regions[i % len(regions)]
        f.write(f"cfs-{i % fs:08x},S3_COS,https://src-1251000004.cos.{r}.myqcloud.com,data/{i},/cfs/d{i:07d},AKIDbench,benchKEY,{r}\n")
