"""`refeed migrate --to postgresql://...`: an SQLite store copied into PostgreSQL, whole,
and the sources going on from there as if nothing happened."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from conftest import Site, loopback_config, rss, run_refeed, test_database
from refeed.config import SourceConfig
from refeed.cycle import run_cycle
from refeed.models import CycleRecord
from refeed.store import Store

PAGE = "<article><p>" + "The council voted on the new bridge late on Tuesday night. " * 12
PAGE += "</p></article>"


def _ids(path: Path) -> list[str]:
    return [e.id for e in feedparser.parse(path.read_bytes()).entries]


def test_a_migrated_store_goes_on_with_its_items_ids_and_history(
    site: Site, tmp_path: Path
) -> None:
    for n in (1, 2, 3):
        site.add(f"{n}.html", PAGE.replace("bridge", f"bridge {n}"))
    feed = site.add(
        "feed.xml", rss(site, [(f"{n}.html", f"Story {n}") for n in (1, 2, 3)]),
        content_type="application/rss+xml",
    )  # fmt: skip
    source = SourceConfig(name="news", feed=feed)
    local = loopback_config(tmp_path, source, database=tmp_path / "refeed.db")
    asyncio.run(run_cycle(local))
    asyncio.run(run_cycle(local))
    before = _ids(local.output_dir / "news.atom")
    with Store(local.database) as store:
        history = store.history("news")
        pages = store.kept_pages("news")
    assert len(before) == 3 and len(history) == 1 and len(pages) == 3

    url = test_database(tmp_path / "pg", "postgresql")
    (tmp_path / "config.yaml").write_text(
        f"database: refeed.db\nsources:\n  - name: news\n    feed: {feed}\n", "utf-8"
    )
    result = run_refeed("migrate", "-c", str(tmp_path / "config.yaml"), "--to", str(url))
    assert result.returncode == 0, result.stderr
    assert "3 items" in result.stdout and "postgres@" not in result.stdout  # user masked

    with Store(url) as store:
        assert store.history("news") == history
        assert store.kept_pages("news") == pages
        assert [i.title for i in store.items("news", 10)] == ["Story 3", "Story 2", "Story 1"]
        store.record_cycle("news", CycleRecord(listed=3), broken=(), at=datetime.now(UTC))
        assert len(store.history("news")) == 2  # new cycle ids follow the copied ones

    scaled = loopback_config(tmp_path / "out", source, database=url)
    [again] = asyncio.run(run_cycle(scaled))
    assert again.ok and again.new == 0  # every item known, none fetched as new
    assert _ids(scaled.output_dir / "news.atom") == before

    refused = run_refeed("migrate", "-c", str(tmp_path / "config.yaml"), "--to", str(url))
    assert refused.returncode == 1
    assert "already holds refeed's data" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
