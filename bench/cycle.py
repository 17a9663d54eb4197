"""A whole refeed cycle over S sources x I items on a loopback network with latency.

A server process (``bench/loopback.py serve``) plays S sites, each on its own loopback
address, so refeed's per-host limits act as they would on the internet; every answer
waits ``--latency-ms``. refeed runs in a second process as its daemon does (one fetcher,
one extraction pool): a cold cycle (empty database), then ``--warm-cycles`` cycles
where nothing changed (every feed answers 304). Reported:

* the cold cycle's wall time next to its ideal bound, the largest of
  requests x latency / concurrency allowed (min(max_connections, S x max_per_host)),
  one source's chain of round trips (1 + ceil(I / max_per_host)) x latency, and
  the CPU seconds the refeed process tree spent / cores;
* the warm cycle (the first one) as a fraction of the cold one, and its extractions;
* requests the server saw, and the most requests and connections one host had at once;
* peak RSS of refeed's whole process tree (sampled every 20 ms), and its RSS after each
  cycle (flat across warm cycles, or memory grows with cycles).

Usage::

    python bench/cycle.py [--sources S] [--items I] [--latency-ms L] [--json OUT]
                          [--warm-cycles N] [--pages DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from loopback import DEFAULT_PAGES, host_of  # noqa: E402


def start_server(sources: int, items: int, latency_ms: float, pages: Path) -> tuple[Any, int]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "loopback.py"), "serve", "--sources", str(sources),
         "--items", str(items), "--latency-ms", str(latency_ms), "--pages", str(pages)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    port = int(server.stdout.readline())
    return server, port


def write_config(
    directory: Path, sources: int, port: int, items: int, extra: dict[str, Any]
) -> Path:
    config = {
        "output_dir": str(directory / "feeds"),
        "database": str(directory / "refeed.db"),
        "allow_private_networks": True,  # the sources are on loopback
        "max_items": items,
        **extra,
        "sources": [
            {"name": f"s{k:04d}", "feed": f"http://{host_of(k)}:{port}/feed.xml"}
            for k in range(sources)
        ],
    }
    path = directory / "config.yaml"
    path.write_text(json.dumps(config, indent=1), encoding="utf-8")  # JSON is YAML
    return path


class TreeSampler(threading.Thread):
    """Peak summed RSS of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_mb = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.peak_mb = max(self.peak_mb, total / 2**20)
            time.sleep(self.interval)


def run_refeed(
    config: Path, cycles: int, stats: str, workers: int | None = None
) -> tuple[list[dict[str, Any]], float]:
    """Run ``cycles`` cycles in one refeed process; per-cycle lines and peak tree RSS."""
    # REFEED_SRC runs another checkout's src/ (a baseline) with this benchmark
    env = {**os.environ, "PYTHONPATH": os.environ.get("REFEED_SRC", str(HERE.parent / "src"))}
    child = subprocess.Popen(
        [sys.executable, str(HERE / "loopback.py"), "run", str(config),
         "--cycles", str(cycles), "--stats", stats,
         *(["--workers", str(workers)] if workers is not None else [])],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    sampler = TreeSampler(child.pid)
    sampler.start()
    assert child.stdout is not None
    lines = []
    for raw in child.stdout:
        line = json.loads(raw)
        lines.append(line)
        print(
            f"  cycle {line['cycle']:2d}: {line['wall_s']:7.2f} s wall, {line['cpu_s']:7.2f} s CPU"
            f" ({line['main_cpu_s']:.2f} s in the fetching process),"
            f" {line['server']['requests']:5d} requests, {line['extractions']} extractions,"
            f" RSS {line['rss_mb']:.0f} MB",
            flush=True,
        )
    child.wait()
    sampler.done.set()
    sampler.join()
    if child.returncode != 0 or len(lines) != cycles:
        raise SystemExit(f"refeed's process failed (exit status {child.returncode})")
    return lines, sampler.peak_mb


def versions() -> dict[str, Any]:
    from importlib.metadata import version

    names = ("refeed", "httpx", "lxml", "readability-lxml", "feedgen")
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        **{n: version(n) for n in names},
    }


def main(argv: list[str] | None = None) -> int:
    from refeed import defaults

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--warm-cycles", type=int, default=1, help="cycles after the cold one")
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES, help="article pages")
    parser.add_argument("--max-connections", type=int, default=defaults.MAX_CONNECTIONS)
    parser.add_argument("--max-per-host", type=int, default=defaults.MAX_PER_HOST)
    parser.add_argument(
        "--workers",
        type=int,
        help="extraction processes (default: cores; 0: a thread, as before the pool)",
    )
    args = parser.parse_args(argv)
    command = shlex.join(["python", "bench/cycle.py", *(argv or sys.argv[1:])])
    cores = os.cpu_count() or 1
    load_before = os.getloadavg()

    server, port = start_server(args.sources, args.items, args.latency_ms, args.pages)
    try:
        with tempfile.TemporaryDirectory(prefix="refeed-bench-") as tmp:
            limits = {"max_connections": args.max_connections, "max_per_host": args.max_per_host}
            config = write_config(Path(tmp), args.sources, port, args.items, limits)
            print(f"$ {command}")
            lines, peak_mb = run_refeed(
                config, 1 + args.warm_cycles, f"http://{host_of(0)}:{port}", args.workers
            )
            db_mb = (Path(tmp) / "refeed.db").stat().st_size / 2**20
    finally:
        server.terminate()
        server.wait()

    cold, warm = lines[0], lines[1] if len(lines) > 1 else None
    latency = args.latency_ms / 1000
    concurrency = min(args.max_connections, args.sources * args.max_per_host)
    bounds = {
        "latency": cold["server"]["requests"] * latency / concurrency,
        "chain": (1 + math.ceil(args.items / args.max_per_host)) * latency,
        "cpu": cold["cpu_s"] / cores,
    }
    ideal = max(bounds.values())
    result: dict[str, Any] = {
        "command": command,
        "sources": args.sources,
        "items": args.items,
        "latency_ms": args.latency_ms,
        "concurrency": concurrency,
        "cold_s": cold["wall_s"],
        "ideal_s": round(ideal, 3),
        "cold_over_ideal": round(cold["wall_s"] / ideal, 3),
        "bounds_s": {k: round(v, 3) for k, v in bounds.items()},
        "cold_cpu_s": cold["cpu_s"],
        "requests": cold["server"]["requests"],
        "cold_extractions": cold["extractions"],
        "cold_failed_pages": cold["failed_pages"],
        "warm_s": warm["wall_s"] if warm else None,
        "warm_fraction": round(warm["wall_s"] / cold["wall_s"], 4) if warm else None,
        "warm_requests": warm["server"]["requests"] if warm else None,
        "warm_extractions": warm["extractions"] if warm else None,
        "peak_rss_mb": round(peak_mb, 1),
        "rss_after_each_cycle_mb": [line["rss_mb"] for line in lines],
        "max_inflight_per_host": max(x["server"]["max_inflight_per_host"] for x in lines),
        "max_connections_per_host": max(x["server"]["max_connections_per_host"] for x in lines),
        "limits": {"max_connections": args.max_connections, "max_per_host": args.max_per_host},
        "db_mb": round(db_mb, 1),
        "failed_sources": max(x["failed_sources"] for x in lines),
        "cycles": lines,
        "machine": {**versions(), "load_before": [round(x, 2) for x in load_before]},
    }
    print(
        f"{args.sources} sources x {args.items} items, {args.latency_ms:g} ms latency,"
        f" concurrency {concurrency} ({args.max_per_host} per host), {cores} cores,"
        f" load {load_before[0]:.2f}"
    )
    print(
        f"  cold cycle   {result['cold_s']:7.2f} s   ideal {ideal:.2f} s"
        f" (latency {bounds['latency']:.2f}, chain {bounds['chain']:.2f},"
        f" CPU {cold['cpu_s']:.1f} s / {cores} cores = {bounds['cpu']:.2f})"
        f"   ratio {result['cold_over_ideal']:.2f}x"
    )
    if warm:
        print(
            f"  warm cycle   {warm['wall_s']:7.2f} s   = {100 * result['warm_fraction']:.1f}%"
            f" of cold, {warm['extractions']} extractions, {warm['server']['requests']} requests"
        )
    print(f"  requests     {result['requests']} (cold)")
    print(
        f"  peak RSS     {peak_mb:.0f} MB (refeed's process tree); after each cycle:"
        f" {', '.join(f'{x:.0f}' for x in result['rss_after_each_cycle_mb'])} MB"
    )
    print(
        f"  politeness   at most {result['max_inflight_per_host']} requests and"
        f" {result['max_connections_per_host']} connections to one host at once"
        f" (limit {args.max_per_host})"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
