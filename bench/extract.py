"""Pages per second of refeed's whole article path, next to readability-lxml and trafilatura.

Every page of a directory of saved ``.html`` files goes, in one process and interleaved
page by page (the order of the three rotates), through:

* refeed: :func:`refeed.article.process` (decode, parse, metadata, strip rules, lazy images,
  prepare, readability's choice, clean, sanitise, serialise, plain text);
* readability: bare ``readability.Document(html).summary()``;
* trafilatura: ``trafilatura.extract(html)`` with its defaults.

Each gets the page's raw bytes (each decodes them its own way). The figure is pages per
second of wall time spent inside each call; interleaving spreads the machine's noise evenly,
so the ratios hold on a busy machine. Usage::

    python bench/extract.py [--pages DIR] [--json OUT] [--rounds R] [--limit N]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import platform
import shlex
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

DEFAULT_PAGES = Path("../shared/devset/pages")  # relative to the working directory

Engine = Callable[[bytes, str], object]


def engines() -> dict[str, Engine]:
    import trafilatura
    from readability import Document

    from refeed.article import process

    def refeed(body: bytes, url: str) -> object:
        return process(body, url=url, content_type="text/html")

    def readability(body: bytes, url: str) -> object:
        return Document(body).summary()

    def trafilatura_(body: bytes, url: str) -> object:
        return trafilatura.extract(body, url=url or None)

    return {"refeed": refeed, "readability": readability, "trafilatura": trafilatura_}


def load_pages(directory: Path, limit: int | None) -> list[tuple[str, bytes, str]]:
    """(name, bytes, url) of every ``*.html`` under ``directory``, in a stable order."""
    pages = []
    for path in sorted(directory.rglob("*.html")):
        url = ""
        meta = path.with_name("meta.json")
        if meta.exists():
            url = json.loads(meta.read_text(encoding="utf-8")).get("url") or ""
        pages.append((str(path.relative_to(directory)), path.read_bytes(), url))
    return pages[:limit] if limit else pages


def versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ("refeed", "readability-lxml", "trafilatura", "lxml", "nh3")
    return {"python": platform.python_version(), **{n: version(n) for n in names}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES, help="directory of .html")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the pages")
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument("--only", nargs="*", help="run only these engines")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)  # readability and trafilatura log every odd page
    warnings.simplefilter("ignore")  # dateutil warns about odd time zone names

    pages = load_pages(args.pages, args.limit)
    if not pages:
        parser.error(f"no .html files under {args.pages}")
    run = engines()
    if args.only:
        run = {k: v for k, v in run.items() if k in args.only}
    names = list(run)
    for _name, body, url in pages[:3]:  # imports and caches warm up outside the timing
        for engine in run.values():
            with contextlib.suppress(Exception):
                engine(body, url)
    spent = dict.fromkeys(names, 0.0)
    failed = dict.fromkeys(names, 0)
    gc.collect()
    for r in range(args.rounds):
        for i, (_name, body, url) in enumerate(pages):
            shift = (i + r) % len(names)
            for name in names[shift:] + names[:shift]:
                engine = run[name]
                start = time.perf_counter()
                try:
                    engine(body, url)
                except Exception:
                    failed[name] += 1
                spent[name] += time.perf_counter() - start
    calls = len(pages) * args.rounds
    rate = {name: calls / spent[name] for name in names}
    load = os.getloadavg()
    result = {
        "command": shlex.join(["python", "bench/extract.py", *(argv or sys.argv[1:])]),
        "pages": len(pages),
        "rounds": args.rounds,
        "megabytes": round(sum(len(b) for _n, b, _u in pages) / 1e6, 1),
        "pages_per_s": {n: round(v, 2) for n, v in rate.items()},
        "failures": failed,
        "machine": {"cores": os.cpu_count(), "load": [round(x, 2) for x in load], **versions()},
    }
    if "refeed" in rate:
        result["refeed_ratio"] = {
            n: round(rate["refeed"] / v, 3) for n, v in rate.items() if n != "refeed"
        }
    print(f"$ {result['command']}")
    print(
        f"{len(pages)} pages ({result['megabytes']} MB) x {args.rounds} round(s), "
        f"{os.cpu_count()} cores, load {load[0]:.2f}"
    )
    for name in names:
        extra = ""
        if name != "refeed" and "refeed" in rate:
            extra = f"   refeed/{name} = {rate['refeed'] / rate[name]:.2f}x"
        print(
            f"  {name:<12} {rate[name]:7.1f} pages/s  ({spent[name]:6.1f} s, "
            f"{failed[name]} failed){extra}"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
