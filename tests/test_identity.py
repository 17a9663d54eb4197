"""Items keep one identity: an edited item is an update, never a twin; the feed's files
follow the config; a feed without items is dated by its source, not 1970."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from lxml import etree

from conftest import Site, loopback_config
from refeed.config import SourceConfig
from refeed.cycle import run_cycle


def _rss(items: list[tuple[str, str, str]], title: str = "Feed") -> str:
    body = "".join(
        f'<item><title>{t}</title><link>{link}</link><guid isPermaLink="false">{g}</guid>'
        f"<description>Text of {t}, long enough to be a story of its own.</description></item>"
        for g, link, t in items
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>https://site.example/</link><description>d</description>{body}</channel></rss>")  # fmt: skip


def _json(tmp_path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((tmp_path / "feeds" / "s.json").read_bytes())


def test_an_item_that_keeps_its_guid_and_changes_its_link_is_updated_not_doubled(
    site: Site, tmp_path: Path
) -> None:
    feed = site.add("rss.xml", _rss([("g1", "https://site.example/old", "Story")]),
                    content_type="application/rss+xml")  # fmt: skip
    config = loopback_config(tmp_path, SourceConfig(name="s", feed=feed, fetch_pages=False))
    asyncio.run(run_cycle(config))
    first = _json(tmp_path)["items"]
    site.add("rss.xml", _rss([("g1", "https://site.example/new", "Story, corrected")]),
             content_type="application/rss+xml")  # fmt: skip
    [result] = asyncio.run(run_cycle(config))
    items = _json(tmp_path)["items"]
    assert result.updated == 1 and result.new == 0
    assert len(items) == 1 and items[0]["id"] == first[0]["id"]
    assert items[0]["url"] == "https://site.example/new" and items[0]["title"] == "Story, corrected"
    rss = etree.fromstring((tmp_path / "feeds" / "s.rss").read_bytes())
    guids = [g.text for g in rss.iter("guid")]
    assert len(guids) == len(set(guids)) == 1


def test_a_config_edit_reaches_the_files_though_the_source_did_not_change(
    site: Site, tmp_path: Path
) -> None:
    feed = site.add("rss.xml", _rss([("g1", "https://site.example/a", "A")]),
                    content_type="application/rss+xml")  # fmt: skip
    source = SourceConfig(name="s", feed=feed, fetch_pages=False)
    asyncio.run(run_cycle(loopback_config(tmp_path, source)))
    assert _json(tmp_path)["title"] == "Feed"
    renamed = source.model_copy(update={"title": "My own title"})
    config = loopback_config(tmp_path, renamed, base_url="https://feeds.example.org/")
    [result] = asyncio.run(run_cycle(config))  # the source answers 304: nothing new
    doc = _json(tmp_path)
    assert result.ok and result.new == result.updated == 0
    assert doc["title"] == "My own title"
    assert doc["feed_url"] == "https://feeds.example.org/s.json"
    index = etree.fromstring((tmp_path / "feeds" / "index.opml").read_bytes())
    [outline] = index.iter("outline")
    assert outline.get("title") == "My own title"
    assert outline.get("htmlUrl") == "https://site.example/"  # the site, not the feed


def test_a_feed_without_items_is_dated_by_its_source_not_1970(site: Site, tmp_path: Path) -> None:
    feed = site.add("rss.xml", _rss([], title="Quiet"), content_type="application/rss+xml")
    config = loopback_config(tmp_path, SourceConfig(name="s", feed=feed, fetch_pages=False))
    [result] = asyncio.run(run_cycle(config))
    assert result.ok
    atom = etree.fromstring((tmp_path / "feeds" / "s.atom").read_bytes())
    updated = atom.findtext("{http://www.w3.org/2005/Atom}updated")
    assert updated is not None and not updated.startswith("1970")
    index = etree.fromstring((tmp_path / "feeds" / "index.opml").read_bytes())
    assert [o.get("title") for o in index.iter("outline")] == ["Quiet"]  # not the slug
