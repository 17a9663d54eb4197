"""Rendered feeds kept in the database: several `refeed serve` processes serve them from
there, with one ETag, whatever their machine's output_dir holds (PostgreSQL)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import feedparser
import httpx

from conftest import Site, loopback_config, rss, serving, test_database
from refeed.config import SourceConfig
from refeed.cycle import run_cycle
from refeed.metrics import Metrics
from refeed.store import Store

PAGE = "<article><p>" + "A long enough story about the harbour and its boats. " * 20
PAGE += "</p></article>"


def _feed(site: Site, *titles: str) -> str:
    for n, _ in enumerate(titles):
        site.add(f"a{n}.html", PAGE.replace("harbour", f"harbour {n}"))
    items = [(f"a{n}.html", title) for n, title in enumerate(titles)]
    return site.add("feed.xml", rss(site, items), content_type="application/rss+xml")


def test_two_serve_processes_serve_the_stored_feeds_alike(site: Site, tmp_path: Path) -> None:
    config = loopback_config(
        tmp_path,
        SourceConfig(name="news", feed=_feed(site, "One")),
        database=test_database(tmp_path, "postgresql"),
    )
    assert config.stores_feeds  # the default of a PostgreSQL store
    [result] = asyncio.run(run_cycle(config))
    assert result.ok and result.new == 1
    shutil.rmtree(config.output_dir)  # another machine: no files at all
    with serving(config, Metrics()) as first, serving(config, Metrics()) as second:
        one, two = (httpx.get(s.url("/news.atom")) for s in (first, second))
        assert one.status_code == two.status_code == 200
        assert one.content == two.content and one.headers["etag"] == two.headers["etag"]
        assert [e.title for e in feedparser.parse(one.content).entries] == ["One"]
        etag = one.headers["etag"]
        again = httpx.get(second.url("/news.atom"), headers={"If-None-Match": etag})
        assert again.status_code == 304
        index = httpx.get(first.url("/index.opml"))
        assert index.status_code == 200 and b"news.atom" in index.content

        _feed(site, "One", "Two")  # a worker elsewhere publishes: both serve it at once
        asyncio.run(run_cycle(config))
        for served in (first, second):
            newer = httpx.get(served.url("/news.atom"), headers={"If-None-Match": etag})
            assert newer.status_code == 200 and newer.headers["etag"] != etag
            titles = {e.title for e in feedparser.parse(newer.content).entries}
            assert titles == {"One", "Two"}
        assert httpx.get(first.url("/nothing.atom")).status_code == 404


def test_an_sqlite_store_keeps_feeds_as_files_only_unless_asked(site: Site, tmp_path: Path) -> None:
    source = SourceConfig(name="news", feed=_feed(site, "One"))
    config = loopback_config(tmp_path, source, database=tmp_path / "a.db")
    assert not config.stores_feeds
    asyncio.run(run_cycle(config))
    with Store(config.database) as store:
        assert store.feed("news.atom") is None
    assert (config.output_dir / "news.atom").exists()

    asked = loopback_config(tmp_path / "b", source, feeds_in_database=True)
    asyncio.run(run_cycle(asked))
    with Store(asked.database) as store:
        stored = store.feed("news.rss")
    assert stored is not None and stored.body == (asked.output_dir / "news.rss").read_bytes()
