#!/usr/bin/env python3
"""Calls per second per action, as the service sees them, for benchmarks of pacing across passes.

  bench/call_log.py proxy UPSTREAM_URL LOG    forwards every call on a free loopback port to
                                              UPSTREAM_URL (an emulator), prints its own URL,
                                              and appends "ms action" per call to LOG
  bench/call_log.py seconds LOG SUMMARY_JSON [N]
                                              the first N seconds (default 4) of each pass of
                                              the run SUMMARY_JSON (`--summary-file`) describes,
                                              calls per action per second

A call is signed for the host it is sent to; the proxy passes the Host header on unchanged, so
the emulator checks the signature as it would have directly."""
import http.client
import http.server
import json
import sys
import threading
import time
from collections import defaultdict
from urllib.parse import urlparse


def proxy(upstream, log_path):
    up = urlparse(upstream)
    log = open(log_path, "a", buffering=1)
    lock = threading.Lock()
    local = threading.local()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            action = self.headers.get("X-TC-Action", "?")
            sent = time.time()
            with lock:
                log.write(f"{int(sent * 1000)} {action}\n")
            try:
                conn = getattr(local, "conn", None)
                if conn is None:
                    conn = local.conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
                conn.request("POST", self.path, body=body, headers=dict(self.headers))
                r = conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException):
                # The emulator dropped the call (a lost answer): so does the proxy.
                local.conn = None
                self.close_connection = True
                return
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


def seconds(log_path, summary_path, n):
    calls = []
    for line in open(log_path):
        ms, action = line.split()
        calls.append((int(ms), action))
    calls.sort()
    summary = json.load(open(summary_path))
    # The passes ran one after the other, the first from the run's first call (its first
    # listing) on: each starts where the ones before it ended, by their elapsed times.
    end = calls[-1][0]
    starts, t = [], calls[0][0]
    for p in summary["passes"]:
        starts.append((t, p["pass"]))
        t += int(p["elapsed_s"] * 1000)
    actions = sorted({a for _, a in calls})
    print("pass            second  " + "  ".join(f"{a:>18}" for a in actions))
    for i, (t0, name) in enumerate(starts):
        t1 = starts[i + 1][0] if i + 1 < len(starts) else end + 1
        per = defaultdict(lambda: defaultdict(int))
        for ms, a in calls:
            if t0 <= ms < t1 and (ms - t0) // 1000 < n:
                per[(ms - t0) // 1000][a] += 1
        for s in range(min(n, max(1, (t1 - t0 + 999) // 1000))):
            row = "  ".join(f"{per[s][a]:>18}" for a in actions)
            print(f"{name:<15} {s:>6}  {row}")


if __name__ == "__main__":
    if sys.argv[1] == "proxy":
        proxy(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "seconds":
        seconds(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 4)
    else:
        sys.exit(__doc__)
