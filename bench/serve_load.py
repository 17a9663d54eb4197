"""Load on ``refeed serve``: concurrent clients on loopback against the demo's feeds.

Writes the offline demo's feeds to a temporary directory, starts ``refeed serve`` on a
free loopback port in a subprocess, and sends a fixed number of requests from N
concurrent clients: full GETs (half gzipped), conditional GETs (304) and HEADs, over
the feeds, the OPML list, the index page, /healthz and /metrics. Prints requests per
second, latency percentiles and every response that was not what it should be.

    python bench/serve_load.py [--clients 32] [--requests 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

FEEDS = ["demo-news.atom", "demo-news.rss", "demo-news.json", "demo-frontpage.atom", "index.opml"]
OTHER = ["", "healthz", "metrics"]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _client(
    http: httpx.AsyncClient, n: int, count: int, etags: dict[str, str], out: list[float]
) -> list[str]:
    errors = []
    for i in range(count):
        k = n * 7919 + i
        kind = k % 4
        path = FEEDS[k % len(FEEDS)] if kind != 3 or k % 3 else OTHER[k % len(OTHER)]
        headers = {"Accept-Encoding": "gzip" if k % 2 else "identity"}
        expect = 200
        if kind == 1 and path in etags:
            headers["If-None-Match"] = etags[path]
            expect = 304
        started = time.perf_counter()
        method = "HEAD" if kind == 2 else "GET"
        response = await http.request(method, "/" + path, headers=headers)
        out.append(time.perf_counter() - started)
        if response.status_code != expect:
            errors.append(f"{method} /{path}: {response.status_code}, wanted {expect}")
        elif expect == 200 and method == "GET" and path in FEEDS:
            tag = response.headers["etag"].strip('"').removesuffix("-gz")
            if hashlib.sha256(response.content).hexdigest()[:32] != tag:
                errors.append(f"GET /{path}: body does not match its ETag")
    return errors


async def _drive(base: str, clients: int, requests: int) -> tuple[float, list[float], list[str]]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        etags = {p: (await http.get("/" + p)).headers["etag"] for p in FEEDS}
        latencies: list[float] = []
        started = time.perf_counter()
        results = await asyncio.gather(
            *(_client(http, n, requests // clients, etags, latencies) for n in range(clients))
        )
        elapsed = time.perf_counter() - started
    return elapsed, latencies, [e for r in results for e in r]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=4000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="refeed-serve-bench-"))
    demo = subprocess.run(
        [sys.executable, "-m", "refeed", "-q", "demo", "--output", str(workdir)],
        capture_output=True,
        check=False,
    )
    if demo.returncode != 0:
        print(demo.stderr.decode(), file=sys.stderr)
        return 1
    port = _port()
    server = subprocess.Popen(
        [sys.executable, "-m", "refeed", "-q", "serve", "-c", str(workdir / "config.yaml"),
         "--listen", f"127.0.0.1:{port}"],
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(base + "/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        elapsed, latencies, errors = asyncio.run(_drive(base, args.clients, args.requests))
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    print(f"{len(latencies)} requests from {args.clients} clients in {elapsed:.2f} s")
    print(f"{len(latencies) / elapsed:.0f} requests/s")
    print(
        f"latency ms: p50 {q[49] * 1000:.1f}  p90 {q[89] * 1000:.1f}  "
        f"p99 {q[98] * 1000:.1f}  max {latencies[-1] * 1000:.1f}"
    )
    print(f"wrong answers: {len(errors)}")
    for error in errors[:20]:
        print("  " + error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
