"""A database that fails, is not refeed's or is newer: one line naming the file, never a
traceback; a cycle or a server that meets one says so and keeps what was published."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from conftest import Site, loopback_config, rss, run_refeed, serving
from refeed.config import SourceConfig, parse_config
from refeed.cycle import run_cycle
from refeed.errors import ConfigError, StoreError
from refeed.metrics import Metrics
from refeed.models import Item
from refeed.store import MIGRATIONS, Store

STORY = "<article><p>" + "The ferry timetable changes next month, the board said. " * 8


def _item(n: int) -> Item:
    return Item(
        source="news", url=f"https://x.example/{n}", guid=f"g{n}", title=f"T{n}",
        content_html="<p>" + "text " * 2000 + "</p>", first_seen=datetime.now(UTC),
    )  # fmt: skip


def test_a_database_from_a_newer_refeed_is_refused_by_name_and_version(tmp_path: Path) -> None:
    path = tmp_path / "refeed.db"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 3}")
    with pytest.raises(StoreError) as caught:
        Store(path)
    message = str(caught.value)
    assert str(path) in message and f"schema version {len(MIGRATIONS) + 3}" in message
    assert "newer refeed" in message and f"knows up to {len(MIGRATIONS)}" in message
    with sqlite3.connect(path) as db:  # and it was left as it was
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) + 3


@pytest.mark.parametrize("kind", ["another program's tables", "another application id"])
def test_a_database_that_is_not_refeeds_is_refused_untouched(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        if kind == "another program's tables":
            db.execute("CREATE TABLE invoices (id INTEGER)")
        else:
            db.execute("PRAGMA application_id = 1234")
    with pytest.raises(StoreError, match="not a refeed database"):
        Store(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'items'").fetchone() is None


def test_a_new_database_is_marked_as_refeeds(tmp_path: Path) -> None:
    path = tmp_path / "refeed.db"
    Store(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x72666564
    Store(path).close()  # and opens again


def test_a_full_database_is_one_store_error_with_what_to_do(tmp_path: Path) -> None:
    with Store(tmp_path / "refeed.db") as store:
        store._db.rows("PRAGMA max_page_count = 12")  # a disk that is full, for sqlite
        with pytest.raises(StoreError) as caught:
            store.save_items(_item(n) for n in range(50))
    assert "is full" in str(caught.value) and "free some disk space" in str(caught.value)
    assert str(tmp_path / "refeed.db") in str(caught.value)
    assert isinstance(caught.value.__cause__, sqlite3.Error)


def test_a_broken_database_file_ends_refeed_run_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "refeed.db").write_bytes(b"this is not an SQLite file at all" * 100)
    config = tmp_path / "config.yaml"
    config.write_text("sources:\n  - name: a\n    feed: https://x.example/rss\n", "utf-8")
    for command in ("run", "status"):
        result = run_refeed(command, "-c", str(config))
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "not a database" in lines[0] and "refeed.db" in lines[0]


def test_healthz_says_503_with_the_reason_when_the_database_fails(tmp_path: Path) -> None:
    config = loopback_config(
        tmp_path, SourceConfig(name="a", feed="https://x.example/rss"), database=tmp_path / "r.db"
    )
    with serving(config, Metrics()) as served:
        assert httpx.get(served.url("/healthz")).status_code == 200
        config.database.write_bytes(b"garbage, no longer a database" * 200)
        for path in ("/healthz", "/", "/metrics"):
            response = httpx.get(served.url(path))
            assert response.status_code == 503, path
            assert "not a database" in response.text and "Traceback" not in response.text


def test_a_database_inside_output_dir_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            "output_dir: public\ndatabase: public/news.atom\nsources: []\n",
            tmp_path / "config.yaml",
        )
    assert str(caught.value).startswith(f"{tmp_path / 'config.yaml'}:2: database:")
    assert "inside output_dir" in str(caught.value)
    with pytest.raises(ConfigError, match="inside output_dir"):
        parse_config("output_dir: .\nsources: []\n", tmp_path / "config.yaml")
    parse_config("output_dir: feeds\ndatabase: state/refeed.db\n", tmp_path / "config.yaml")


def test_a_cycle_stops_at_its_deadline_and_the_slow_feed_keeps_its_files(
    site: Site, tmp_path: Path
) -> None:
    site.add("a.html", STORY)
    fast = site.add("fast.xml", rss(site, [("a.html", "A")]), content_type="application/rss+xml")
    site.add("b.html", STORY)
    slow = site.add("slow.xml", rss(site, [("b.html", "B")]), content_type="application/rss+xml")
    sources = (SourceConfig(name="fast", feed=fast), SourceConfig(name="slow", feed=slow))
    config = loopback_config(tmp_path, *sources)
    assert all(r.ok for r in asyncio.run(run_cycle(config)))
    before = (tmp_path / "feeds" / "slow.atom").read_bytes()
    site.add("c.html", STORY, delay=3.0)  # a new item whose page is slow
    site.add("slow.xml", rss(site, [("c.html", "C"), ("b.html", "B")]),
             content_type="application/rss+xml")  # fmt: skip
    config = loopback_config(tmp_path, *sources, cycle_timeout=1.0)
    results = {r.name: r for r in asyncio.run(run_cycle(config))}
    assert results["fast"].ok
    assert results["slow"].error is not None
    assert "reached its 1 s deadline (cycle_timeout)" in results["slow"].error
    assert (tmp_path / "feeds" / "slow.atom").read_bytes() == before
