"""refeed at scale: N sources with 50 stored items each, for N from 100 to 1,000.

For each N: the store is filled with N x 50 items (clean articles of the devset, as a
cycle stores them; the time of that is "store"), every source's feeds are published
("publish": Atom, RSS and JSON of 50 items each), the database is measured, and one
cycle runs against a loopback network (``bench/loopback.py``) whose feeds list exactly
the stored items: a feed of 50 known items per source, no page to fetch, every feed
rendered again ("cycle"). Growth is per source: linear or better means the seconds
per source do not rise with N. Usage::

    python bench/scale.py [--sources N ...] [--items I] [--latency-ms L] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cycle import run_refeed, start_server, versions, write_config  # noqa: E402
from loopback import DEFAULT_PAGES, host_of, load_bodies  # noqa: E402

from refeed.article import process  # noqa: E402
from refeed.models import FeedInfo, Item  # noqa: E402
from refeed.publish import publish  # noqa: E402
from refeed.store import Store  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def articles(pages: Path, count: int) -> list[str]:
    """Clean HTML of the first ``count`` devset pages that give a story."""
    out = []
    for body in load_bodies(pages):
        try:
            article = process(body, content_type="text/html")
        except Exception:
            continue
        if len(article.text) > 1000:
            out.append(article.html)
        if len(out) == count:
            break
    return out


def fill(store: Store, sources: int, items: int, port: int, bodies: list[str]) -> None:
    for k in range(sources):
        base = f"http://{host_of(k)}:{port}"
        store.save_items(
            Item(
                source=f"s{k:04d}",
                url=f"{base}/a/{j}.html",
                guid=f"{base}/a/{j}.html",
                title=f"Story {j} of source {k}",
                content_html=bodies[(k * items + j) % len(bodies)],
                first_seen=T0 + timedelta(minutes=j),
                summary=f"Teaser of story {j}.",
                full_text=True,
            )
            for j in range(items)
        )


def one_size(n: int, args: argparse.Namespace, bodies: list[str]) -> dict[str, Any]:
    server, port = start_server(n, args.items, args.latency_ms, args.pages)
    try:
        with tempfile.TemporaryDirectory(prefix="refeed-scale-") as tmp:
            directory = Path(tmp)
            config = write_config(directory, n, port, args.items, {})
            start = time.perf_counter()
            with Store(directory / "refeed.db") as store:
                fill(store, n, args.items, port, bodies)
                store_s = time.perf_counter() - start
                start = time.perf_counter()
                for k in range(n):
                    name = f"s{k:04d}"
                    info = FeedInfo(name=name, title=name, link="", description=name)
                    publish(info, store.items(name, args.items), directory / "feeds")
                publish_s = time.perf_counter() - start
            db = directory / "refeed.db"
            db_mb = sum(p.stat().st_size for p in directory.glob("refeed.db*")) / 2**20
            feeds_mb = sum(p.stat().st_size for p in (directory / "feeds").iterdir()) / 2**20
            lines, peak = run_refeed(config, 1, f"http://{host_of(0)}:{port}")
            assert db.exists()
    finally:
        server.terminate()
        server.wait()
    cycle = lines[0]
    return {
        "sources": n,
        "items": n * args.items,
        "store_s": round(store_s, 2),
        "publish_s": round(publish_s, 2),
        "db_mb": round(db_mb, 1),
        "feeds_mb": round(feeds_mb, 1),
        "cycle_s": cycle["wall_s"],
        "cycle_cpu_s": cycle["cpu_s"],
        "cycle_requests": cycle["server"]["requests"],
        "cycle_extractions": cycle["extractions"],
        "cycle_kept": cycle["kept"],
        "peak_rss_mb": round(peak, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    command = shlex.join(["python", "bench/scale.py", *(argv or sys.argv[1:])])
    load = os.getloadavg()
    print(f"$ {command}")
    bodies = articles(args.pages, 40)
    rows = []
    for n in args.sources:
        row = one_size(n, args, bodies)
        rows.append(row)
        print(
            f"  {n:5d} sources x {args.items}: store {row['store_s']:6.2f} s,"
            f" publish {row['publish_s']:6.2f} s, DB {row['db_mb']:6.1f} MB,"
            f" cycle {row['cycle_s']:6.2f} s ({row['cycle_cpu_s']:.1f} s CPU,"
            f" {row['cycle_requests']} requests, {row['cycle_extractions']} extractions),"
            f" peak RSS {row['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    first, last = rows[0], rows[-1]
    factor = last["sources"] / first["sources"]
    growth = {
        key: round(last[key] / first[key], 2) if first[key] else None
        for key in ("store_s", "publish_s", "db_mb", "cycle_s")
    }
    print(f"  growth from {first['sources']} to {last['sources']} sources (x{factor:g}):")
    for key, value in growth.items():
        verdict = "linear or better" if value is not None and value <= factor * 1.1 else "WORSE"
        print(f"    {key:<10} x{value}  ({verdict})")
    result = {
        "command": command,
        "rows": rows,
        "growth": growth,
        "sources_factor": factor,
        "machine": {**versions(), "load_before": [round(x, 2) for x in load]},
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
