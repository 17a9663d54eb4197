"""SIGKILL during cycles, 50 times: feed files stay complete, the database sound, no item lost.

A child process (forked from this one, so it starts in milliseconds with refeed
already imported) runs `refeed run` in a loop against a loopback site whose feed
gains a new item every few milliseconds, so every cycle fetches, extracts, writes
the database and replaces feed files. It is SIGKILLed after a random delay. After
each kill: every feed file parses, the database passes ``PRAGMA integrity_check``,
no item that was ever published is missing, none appears twice, and the next
cycle (run here) finishes.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing.forkserver
import os
import random
import signal
import sqlite3
import threading
import time
import warnings
from pathlib import Path

from lxml import etree

from conftest import Site, rss
from refeed.cli import main
from refeed.config import load_config
from refeed.cycle import run_cycle

KILLS = 50
PAGE = "<html><body><article><h1>Story {n}</h1><p>{text}</p></article></body></html>"
TEXT = "The harbour board met again on a windy evening to discuss the new ferry timetable. " * 40


def _child(config: Path) -> None:  # pragma: no cover - runs in the forked child
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        # the parent's forkserver (its workers parse and extract) is not this process's
        # child: start one of its own, as a `refeed run` process would
        server = multiprocessing.forkserver._forkserver  # type: ignore[attr-defined]
        server._forkserver_pid = server._forkserver_address = server._forkserver_alive_fd = None
        while True:
            main(["-q", "run", "-c", str(config), "--wait", "30"])
    finally:
        os._exit(0)


def _fork(config: Path) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover
        _child(config)
    return pid


def _guids(feeds: Path) -> dict[str, list[str]]:
    """Each feed file's item ids, after checking that the file is complete and valid."""
    out: dict[str, list[str]] = {}
    atom = feeds / "news.atom"
    if atom.exists():
        root = etree.fromstring(atom.read_bytes())
        ns = {"a": "http://www.w3.org/2005/Atom"}
        out["atom"] = [str(e.findtext("a:id", namespaces=ns)) for e in root.iterfind("a:entry", ns)]
    rss_file = feeds / "news.rss"
    if rss_file.exists():
        root = etree.fromstring(rss_file.read_bytes())
        out["rss"] = [str(i.findtext("link")) for i in root.iter("item")]
    json_file = feeds / "news.json"
    if json_file.exists():
        out["json"] = [str(i["url"]) for i in json.loads(json_file.read_bytes())["items"]]
    index = feeds / "index.opml"
    if index.exists():
        etree.fromstring(index.read_bytes())
    return out


def _integrity(database: Path) -> None:
    db = sqlite3.connect(database)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        urls = [row[0] for row in db.execute("SELECT url FROM items WHERE source = 'news'")]
        assert len(urls) == len(set(urls))
    finally:
        db.close()


def _check(feeds: Path, database: Path, seen: dict[str, set[str]]) -> None:
    """Files complete, no duplicate, nothing once published missing; then remember them."""
    for fmt, ids in _guids(feeds).items():
        assert len(ids) == len(set(ids)), f"duplicate items in {fmt}"
        assert seen[fmt] <= set(ids), f"published items lost from {fmt}"
        seen[fmt] |= set(ids)
    if database.exists():
        _integrity(database)


def test_sigkill_at_random_moments_loses_nothing(site: Site, tmp_path: Path) -> None:
    items: list[tuple[str, str]] = []
    lock = threading.Lock()

    def add_item() -> None:
        with lock:
            n = len(items)
            site.add(f"n/{n}.html", PAGE.format(n=n, text=TEXT))
            items.append((f"n/{n}.html", f"Story {n}"))
            window = items[-8:][::-1]
            site.add("rss.xml", rss(site, window), content_type="application/rss+xml")

    stop = threading.Event()

    def grow() -> None:
        while not stop.wait(0.1):
            add_item()

    add_item()
    config = tmp_path / "config.yaml"
    config.write_text(
        "allow_private_networks: true\nmax_items: 5000\n"
        f"sources:\n  - name: news\n    feed: {site.url('rss.xml')}\n",
        encoding="utf-8",
    )
    parsed = load_config(config)
    feeds, database = tmp_path / "feeds", tmp_path / "refeed.db"
    seen: dict[str, set[str]] = {"atom": set(), "rss": set(), "json": set()}
    rng = random.Random(4)
    grower = threading.Thread(target=grow, daemon=True)
    grower.start()
    mid_cycle = 0
    try:
        for _ in range(KILLS):
            pid = _fork(config)
            time.sleep(rng.uniform(0.0, 0.35))
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
            # the child writes its pid into the lock file for the length of a run
            lock_file = tmp_path / "refeed.db.lock"
            mid_cycle += int(lock_file.exists() and bool(lock_file.read_bytes().strip()))
            _check(feeds, database, seen)
            # the next cycle finishes and keeps everything (the site keeps growing meanwhile)
            [result] = asyncio.run(run_cycle(parsed))
            assert result.ok, result.error
            _check(feeds, database, seen)
    finally:
        stop.set()
        grower.join()

    # the next cycle finishes, and every item ever published is still there, once
    [result] = asyncio.run(run_cycle(parsed))
    assert result.ok, result.error
    _check(feeds, database, seen)
    final = _guids(feeds)
    listed = {site.url(path) for path, _ in items[-8:]}
    assert listed <= set(final["json"])
    assert len(seen["atom"]) > 20  # the children really did publish between kills
    print(f"{KILLS} kills, {mid_cycle} of them inside a run, {len(items)} items served")
    assert mid_cycle >= KILLS // 4
