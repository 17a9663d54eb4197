"""The article path in worker processes gives what it gives in this process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SITE, Site, loopback_config, rss
from refeed import defaults
from refeed.article import Rules, process
from refeed.config import SourceConfig
from refeed.cycle import SourceResult, run_cycle
from refeed.errors import ParseError
from refeed.models import Response
from refeed.workers import Extractor

PAGE = (SITE / "news" / "harbour-bridge.html").read_bytes()
URL = "https://news.example.org/news/harbour-bridge.html"


async def _both(extractor: Extractor, bodies: list[bytes]) -> list[object]:
    async with extractor:
        jobs = (
            extractor.process(b, url=URL, content_type="text/html", rules=Rules(strip=(".x",)))
            for b in bodies
        )
        return await asyncio.gather(*jobs, return_exceptions=True)


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_workers_return_the_same_article_as_in_process(workers: int) -> None:
    expected = process(PAGE, url=URL, content_type="text/html", rules=Rules(strip=(".x",)))
    extractor = Extractor(workers)
    results = asyncio.run(_both(extractor, [PAGE, PAGE, PAGE]))
    assert results == [expected] * 3
    assert extractor.extractions == 3
    assert len(expected.text) > 500


def test_a_page_error_in_a_worker_arrives_as_the_same_parse_error() -> None:
    with pytest.raises(ParseError) as local:
        process(b"   ", url=URL)
    [error, article] = asyncio.run(_both(Extractor(2), [b"   ", PAGE]))
    assert isinstance(error, ParseError)
    assert (str(error), error.url, error.source) == (str(local.value), local.value.url, None)
    assert "empty page" in str(error)
    assert not isinstance(article, BaseException)  # the other page is not affected


def test_a_worn_pool_is_replaced_between_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(defaults, "WORKER_MAX_TASKS", 1)
    extractor = Extractor(2)

    async def one_by_one() -> list[object]:
        pools: list[object] = []
        async with extractor:
            for _ in range(5):
                await extractor.process(PAGE, url=URL, content_type="text/html", rules=Rules())
                pools.append(extractor._pool)  # kept alive: no id is reused
        return pools

    pools = asyncio.run(one_by_one())
    assert extractor.extractions == 5
    # one page per worker, two workers: a fresh pool every second page
    assert pools[0] is pools[1] and pools[2] is pools[3]
    assert len({id(p) for p in pools}) == 3


def test_a_worn_pool_busy_with_pages_is_replaced_once_they_are_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(defaults, "WORKER_MAX_TASKS", 1)
    extractor = Extractor(2)
    pools: list[object] = []

    async def one() -> None:
        await extractor.process(PAGE, url=URL, content_type="text/html", rules=Rules())
        pools.append(extractor._pool)

    async def many() -> None:
        async with extractor:
            await asyncio.gather(*(one() for _ in range(7)))

    asyncio.run(many())
    assert extractor.extractions == 7 and len(pools) == 7
    assert len({id(p) for p in pools}) >= 3  # 2 pages per pool (1 per worker x 2 workers)


def test_a_page_past_its_deadline_fails_alone_and_the_page_behind_it_is_done() -> None:
    paragraph = "<p>The harbour authority confirmed on Tuesday that the quay will be rebuilt.</p>"
    slow = f"<html><body><article>{paragraph * 30_000}</article></body></html>".encode()
    expected = process(PAGE, url=URL, content_type="text/html", rules=Rules(strip=(".x",)))
    # one worker: the page behind the slow one waits in the pool the alarm breaks
    [error, article] = asyncio.run(_both(Extractor(1, deadline=1.0), [slow, PAGE]))
    assert isinstance(error, ParseError)
    assert "spent over 1 s" in str(error) and error.url == URL
    assert article == expected


def test_the_page_past_its_deadline_is_not_extracted_a_second_time() -> None:
    paragraph = "<p>The harbour authority confirmed on Tuesday that the quay will be rebuilt.</p>"
    slow = f"<html><body><article>{paragraph * 30_000}</article></body></html>".encode()
    extractor = Extractor(1, deadline=1.0)

    async def timed() -> float:
        started = time.monotonic()
        with pytest.raises(ParseError, match="spent over 1 s"):
            async with extractor:
                await extractor.process(slow, url=URL, content_type="text/html", rules=Rules())
        return time.monotonic() - started

    # once: about one deadline, not two (a second run alone would take another second)
    assert asyncio.run(timed()) < 1.8


def test_feeds_are_parsed_in_a_worker_under_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    items = "".join(
        f"<item><title>T{i}</title><link>https://x.example/{i}</link></item>" for i in range(300)
    )
    body = f'<rss version="2.0"><channel><title>C</title>{items}</channel></rss>'.encode()
    response = Response(url="https://x.example/rss", status=200, body=body, content_type=None)

    async def parse() -> tuple[int, int]:
        async with Extractor(1) as extractor:
            listing = await extractor.parse_feed(response, limit=7)
            assert extractor._pool is not None  # it ran in the pool, not in this process
            return len(listing.entries), os.getpid()

    count, _ = asyncio.run(parse())
    assert count == 7  # cut in the worker: 300 entries never travel back


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has died; only its entry waits to be reaped


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_die_with_a_killed_refeed_run(site: Site, tmp_path: Path) -> None:
    site.add("a.html", PAGE)
    site.add("b.html", PAGE, delay=30)  # keeps the run busy once the pool has started
    feed = site.add("rss.xml", rss(site, [("a.html", "A"), ("b.html", "B")]),
                    content_type="application/rss+xml")  # fmt: skip
    config = tmp_path / "config.yaml"
    config.write_text(
        f"allow_private_networks: true\nsources:\n  - name: s\n    feed: {feed}\n",
        encoding="utf-8",
    )
    run = subprocess.Popen(
        [sys.executable, "-m", "refeed", "run", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        workers: set[int] = set()
        while time.monotonic() < deadline:
            # refeed -> forkserver -> workers: wait for the grandchildren
            workers = {p for c in _descendants(run.pid) for p in _descendants(c)}
            if workers:
                break
            time.sleep(0.05)
        assert workers, "the worker pool never started"
        family = _descendants(run.pid)
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(_alive, family)):
        time.sleep(0.05)
    assert not [pid for pid in family if _alive(pid)], "processes outlived refeed run"


def test_a_feed_that_takes_long_to_parse_fails_alone_and_never_blocks_the_cycle(
    site: Site, tmp_path: Path
) -> None:
    """Feed parsing runs in the worker pool under the deadline: a feed of 30,000 items that
    are never closed (nothing to cut it short by; feedparser needs seconds for it) fails at
    the deadline, the other source is done."""
    items = "".join(f"<item><title>{i}</title><link>/{i}</link>" for i in range(30_000))
    heavy = site.add(
        "heavy.xml",
        f'<rss version="2.0"><channel><title>C</title>{items}</channel></rss>',
        content_type="application/rss+xml",
    )
    site.add("a.html", PAGE)
    good = site.add("good.xml", rss(site, [("a.html", "A")]), content_type="application/rss+xml")
    config = loopback_config(
        tmp_path, SourceConfig(name="heavy", feed=heavy), SourceConfig(name="good", feed=good)
    )

    async def cycle() -> list[SourceResult]:
        async with Extractor(2, deadline=0.5) as extractor:
            return await run_cycle(config, extractor=extractor)

    results = {r.name: r for r in asyncio.run(cycle())}
    assert results["good"].ok and results["good"].new == 1
    assert results["heavy"].error is not None
    assert "died on this feed (or spent over 0.5 s on it)" in results["heavy"].error
