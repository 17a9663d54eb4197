"""The article path in worker processes gives what it gives in this process."""

from __future__ import annotations

import asyncio

import pytest

from conftest import SITE
from refeed import defaults
from refeed.article import Rules, process
from refeed.errors import ParseError
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
