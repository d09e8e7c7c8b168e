#!/usr/bin/env python3
"""The script a user would otherwise write: Tencent's Python SDK with its StandardRetryer, calling
CreateDataFlow for every row of a manifest from a thread pool.

    bench/sdk_baseline.py MANIFEST HOST:PORT THREADS

Credentials come from TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY. Prints one line of figures:
rows the script reported created or failed, rows/s, the CreateDataFlow calls it sent and how many
of them were throttled, and, after listing every file system's flows with DescribeDataFlow, the
flows that exist and the rows reported failed although their flow exists.

Observation only: the client subclass counts each attempt and each error answer, then lets the SDK
do exactly what it does without it.
"""
import collections
import csv
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tencentcloud.cfs.v20190719 import cfs_client, models
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.retry import StandardRetryer

FIELDS = ("FileSystemId", "SourceStorageType", "SourceStorageAddress", "SourcePath", "TargetPath",
          "SecretId", "SecretKey", "DataFlowName", "AutoRefresh", "UserKafkaTopic", "ServerAddr",
          "UserName", "Password")

lock = threading.Lock()
answers = collections.Counter()  # per action: "attempts", "throttled", error codes


class CountingClient(cfs_client.CfsClient):
    """One per thread, so the action of the answer being checked is the last one sent."""

    def _call(self, action, params, options=None, headers=None):
        self._action = action
        with lock:
            answers[(action, "attempts")] += 1
        return super()._call(action, params, options, headers)

    def _check_error(self, resp):
        try:
            super()._check_error(resp)
        except TencentCloudSDKException as e:
            with lock:
                answers[(self._action, e.get_code())] += 1
            raise


def client(endpoint, region, attempts=3):
    cred = credential.Credential(os.environ["TENCENTCLOUD_SECRET_ID"], os.environ["TENCENTCLOUD_SECRET_KEY"])
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, protocol="http"),
                            retryer=StandardRetryer(max_attempts=attempts))
    return CountingClient(cred, region, profile)


def main():
    manifest, endpoint, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(manifest, newline="") as f:
        rows = list(csv.DictReader(f))
    local = threading.local()
    outcome = {}

    def create(i):
        row = rows[i]
        if not hasattr(local, "clients"):
            local.clients = {}
        region = row.get("Region") or "ap-guangzhou"
        if region not in local.clients:
            local.clients[region] = client(endpoint, region)
        req = models.CreateDataFlowRequest()
        for k in FIELDS:
            if row.get(k):
                setattr(req, k, int(row[k]) if k == "AutoRefresh" else row[k])
        try:
            resp = local.clients[region].CreateDataFlow(req)
            outcome[i] = ("created", resp.DataFlowId)
        except TencentCloudSDKException as e:
            outcome[i] = ("failed", e.get_code())

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(create, range(len(rows))))
    elapsed = time.monotonic() - started
    create_codes = {code: n for (action, code), n in answers.items() if action == "CreateDataFlow"}
    create_calls = create_codes.pop("attempts", 0)

    # What exists now: every file system's flows, one caller, with more attempts than the default.
    existing = set()
    for (fs, region) in sorted({(r["FileSystemId"], r.get("Region") or "ap-guangzhou") for r in rows}):
        c, offset = client(endpoint, region, attempts=8), 0
        while True:
            req = models.DescribeDataFlowRequest()
            req.FileSystemId, req.Limit, req.Offset = fs, 100, offset
            resp = c.DescribeDataFlow(req)
            for flow in resp.DataFlows or []:
                existing.add((fs, flow.TargetPath.rstrip("/")))
            offset += len(resp.DataFlows or [])
            if not resp.DataFlows or offset >= resp.TotalCount:
                break

    reported_ok = sum(1 for s, _ in outcome.values() if s == "created")
    failed = [i for i, (s, _) in outcome.items() if s == "failed"]
    failed_codes = collections.Counter(outcome[i][1] for i in failed)
    false_failures = sum(1 for i in failed if (rows[i]["FileSystemId"], rows[i]["TargetPath"].rstrip("/")) in existing)
    throttled = sum(n for code, n in create_codes.items() if code.startswith("RequestLimitExceeded"))
    print(f"sdk {threads} threads: {len(rows)} rows in {elapsed:.1f}s ({reported_ok / elapsed:.1f} rows/s reported created); "
          f"{reported_ok} reported created, {len(failed)} reported failed {dict(failed_codes)}; "
          f"{create_calls} CreateDataFlow calls, {throttled} throttled, error answers {dict(create_codes)}; "
          f"{len(existing)} flows exist; {false_failures} rows reported failed although their flow exists")


if __name__ == "__main__":
    main()
