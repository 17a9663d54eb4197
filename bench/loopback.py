"""The two processes of the cycle benchmarks: a loopback news network, and refeed in a daemon.

``python bench/loopback.py serve --sources S --items I --latency-ms L [--pages DIR]``
serves S sources, each on its own loopback address (127.0.0.2, 127.0.0.3, ...; Linux
routes all of 127/8 to lo) and one port, printed on the first line of stdout. Source k
has ``/feed.xml``, an RSS feed of I items linking to ``/a/<j>.html``, which are saved
pages of the devset, in turn. Every answer waits L ms first; an ``If-None-Match`` that
matches gets a 304. ``/__stats`` (not counted, no latency) answers JSON: requests sent,
statuses, and the most requests in flight and connections open to one host at once;
``/__reset`` zeroes them.

``python bench/loopback.py run CONFIG --cycles N [--stats URL]`` runs N cycles of the
config in one process, as ``refeed daemon`` does (one fetcher, one extraction pool for
all cycles), and prints one JSON line per cycle: wall and CPU seconds of the process
tree, requests, extractions, RSS of the tree at the end of the cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import ipaddress
import json
import logging
import os
import socket
import sys
import time
import urllib.request
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

FIRST_HOST = ipaddress.IPv4Address("127.0.0.2")
DEFAULT_PAGES = Path("../shared/devset/pages")


def host_of(k: int) -> str:
    return str(FIRST_HOST + k)


def load_bodies(directory: Path) -> list[bytes]:
    bodies = [p.read_bytes() for p in sorted(directory.rglob("*.html"))]
    if not bodies:
        raise SystemExit(f"no .html files under {directory}")
    return bodies


def rss(k: int, port: int, items: int, version: int = 0) -> bytes:
    base = f"http://{host_of(k)}:{port}"
    entries = "".join(
        f"<item><title>Story {j} of source {k}</title><link>{base}/a/{j}.html</link>"
        f"<guid>{base}/a/{j}.html</guid><description>Teaser of story {j}.</description>"
        f"<pubDate>{_date(j)}</pubDate></item>"
        for j in range(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Source {k}</title><link>{base}/</link><description>v{version}</description>"
        f"{entries}</channel></rss>"
    ).encode()


def _date(j: int) -> str:
    day, hour = divmod(10_000 - j, 24)
    return f"{time.strftime('%a, %d %b %Y', time.gmtime(day * 86400))} {hour:02d}:00:00 +0000"


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'


class Network:
    """Routes, latency, and the counters that check politeness."""

    def __init__(self, sources: int, items: int, latency: float, bodies: list[bytes]) -> None:
        self.sources, self.items, self.latency = sources, items, latency
        self.bodies = bodies
        self.etags = [_etag(b) for b in bodies]
        self.port = 0
        self.version = 0  # bumped by /__touch: every feed changes, its items do not
        self.feeds: dict[int, tuple[bytes, str]] = {}
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.statuses: Counter[int] = Counter()
        self.inflight: Counter[str] = Counter()
        self.connections: Counter[str] = Counter()
        self.max_inflight = 0
        self.max_connections = 0

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "max_inflight_per_host": self.max_inflight,
            "max_connections_per_host": self.max_connections,
        }

    def route(self, host: str, path: str) -> tuple[bytes, str, str] | None:
        k = int(ipaddress.IPv4Address(host)) - int(FIRST_HOST)
        if not 0 <= k < self.sources:
            return None
        if path == "/feed.xml":
            if k not in self.feeds:
                body = rss(k, self.port, self.items, self.version)
                self.feeds[k] = (body, _etag(body))
            body, etag = self.feeds[k]
            return body, etag, "application/rss+xml"
        if path.startswith("/a/") and path.endswith(".html"):
            j = int(path[3:-5])
            n = (k * self.items + j) % len(self.bodies)
            return self.bodies[n], self.etags[n], "text/html"
        return None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        self.connections[host] += 1
        self.max_connections = max(self.max_connections, self.connections[host])
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1].split("?")[0]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                if path.startswith("/__"):
                    self._control(path)
                    await _answer(writer, 200, json.dumps(self.stats()).encode(), {})
                    continue
                self.requests += 1
                self.inflight[host] += 1
                self.max_inflight = max(self.max_inflight, self.inflight[host])
                try:
                    await asyncio.sleep(self.latency)
                    found = self.route(host, path)
                    if found is None:
                        status, body, extra = 404, b"not found", {}
                    else:
                        body, etag, content_type = found
                        extra = {"ETag": etag, "Content-Type": content_type}
                        status = 304 if headers.get("if-none-match") == etag else 200
                    self.statuses[status] += 1
                    await _answer(writer, status, b"" if status == 304 else body, extra)
                finally:
                    self.inflight[host] -= 1
        except ConnectionError:
            return
        finally:
            self.connections[host] -= 1
            writer.close()

    def _control(self, path: str) -> None:
        if path == "/__reset":
            self.reset()
        elif path == "/__touch":
            self.version += 1
            self.feeds.clear()


async def _answer(
    writer: asyncio.StreamWriter, status: int, body: bytes, headers: dict[str, str]
) -> None:
    reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


async def serve(args: argparse.Namespace) -> None:
    network = Network(args.sources, args.items, args.latency_ms / 1000, load_bodies(args.pages))
    probe = socket.socket()
    probe.bind((host_of(0), 0))
    network.port = probe.getsockname()[1]
    probe.close()
    servers = [
        await asyncio.start_server(network.handle, host_of(k), network.port, backlog=64)
        for k in range(args.sources)
    ]
    print(network.port, flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        data: dict[str, Any] = json.loads(response.read())
    return data


def tree_cpu_and_rss() -> tuple[float, float]:
    """CPU seconds (the living tree plus its reaped children) and RSS in MB of this tree."""
    import psutil

    me = psutil.Process()
    cpu, rss_bytes = 0.0, 0
    for proc in [me, *me.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            cpu += t.user + t.system + t.children_user + t.children_system
            rss_bytes += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return cpu, rss_bytes / 2**20


def psutil_rss() -> int:
    """RSS of this process alone, in bytes."""
    import psutil

    return int(psutil.Process().memory_info().rss)


def main_cpu() -> float:
    """CPU seconds of this process alone (the event loop and its threads)."""
    t = os.times()
    return t.user + t.system


async def run(args: argparse.Namespace) -> None:
    from refeed.config import load_config
    from refeed.cycle import fetch_settings, run_cycle
    from refeed.fetch import Fetcher

    try:
        from refeed.workers import Extractor
    except ImportError:  # a refeed from before the extraction pool, for a baseline
        Extractor = None

    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")  # dateutil warns about odd time zone names
    config = load_config(args.config)
    pool = Extractor(args.workers) if Extractor is not None else None
    kwargs = {"extractor": pool} if pool is not None else {}
    async with Fetcher(fetch_settings(config)) as fetcher:
        for cycle in range(args.cycles):
            if args.stats:
                get_json(args.stats + "/__reset")
            cpu0, _ = tree_cpu_and_rss()
            main0 = main_cpu()
            extractions = pool.extractions if pool is not None else 0
            start = time.perf_counter()
            results = await run_cycle(config, fetcher=fetcher, **kwargs)
            wall = time.perf_counter() - start
            cpu1, rss_mb = tree_cpu_and_rss()
            line: dict[str, Any] = {
                "cycle": cycle,
                "wall_s": round(wall, 3),
                "cpu_s": round(cpu1 - cpu0, 3),
                "main_cpu_s": round(main_cpu() - main0, 3),
                "extractions": pool.extractions - extractions if pool is not None else None,
                "failed_sources": sum(not r.ok for r in results),
                "new": sum(r.new for r in results),
                "kept": sum(r.kept for r in results),
                "failed_pages": sum(r.failed_pages for r in results),
                "rss_mb": round(rss_mb, 1),
                "main_rss_mb": round(psutil_rss() / 2**20, 1),
            }
            if args.stats:
                line["server"] = get_json(args.stats + "/__stats")
            print(json.dumps(line), flush=True)
    if pool is not None:
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--sources", type=int, required=True)
    s.add_argument("--items", type=int, required=True)
    s.add_argument("--latency-ms", type=float, default=50.0)
    s.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    r = sub.add_parser("run")
    r.add_argument("config", type=Path)
    r.add_argument("--cycles", type=int, default=2)
    r.add_argument("--stats", help="base URL of the server's /__stats")
    r.add_argument("--workers", type=int, help="extraction processes (0: a thread, as before)")
    args = parser.parse_args()
    asyncio.run(serve(args) if args.command == "serve" else run(args))


if __name__ == "__main__":
    sys.exit(main())
