"""The whole network path on loopback: feed -> pages -> clean feeds, and what a second cycle does."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import feedparser
import pytest

from conftest import DATA, SITE, Site, rss
from refeed.article import html_to_text
from refeed.config import Config, SourceConfig
from refeed.cycle import run_cycle
from refeed.store import Store

SEED_STORY = [
    "Президент Казахстана Нурсултан Назарбаев сообщил о договоренности",
    "По его словам, реализация этих планов намечается на 2022 год.",
    "заявил президент",
]
SEED_TEASERS = ["/news/2021/04/20/10", "...", "Поделиться"]
DEMO_PAGES = [
    "harbour-bridge.html",
    "council-budget.html",
    "night-train.html",
    "library-sundays.html",
]


def _config(tmp_path: Path, *sources: SourceConfig) -> Config:
    return Config(
        output_dir=tmp_path / "feeds",
        database=tmp_path / "refeed.db",
        allow_private_networks=True,
        sources=sources,
    )


def _serve_demo_pages(site: Site) -> str:
    pages = [("news/" + name, name.removesuffix(".html").replace("-", " ")) for name in DEMO_PAGES]
    for path, _title in pages:
        site.add(path, (SITE / "news" / Path(path).name).read_bytes())
    site.add(
        "news/baikonur.html",
        (DATA / "ru-seed-page-cp1251.html").read_bytes(),
        content_type="text/html",
    )
    pages.append(("news/baikonur.html", "Назарбаев"))
    return site.add("rss.xml", rss(site, pages), content_type="application/rss+xml")


def test_teaser_feed_becomes_full_text_in_every_format(site: Site, tmp_path: Path) -> None:
    feed_url = _serve_demo_pages(site)
    config = _config(tmp_path, SourceConfig(name="news", feed=feed_url))
    [result] = asyncio.run(run_cycle(config))
    assert result.ok and result.new == 5
    out = tmp_path / "feeds"
    atom = feedparser.parse((out / "news.atom").read_bytes())
    rss_feed = feedparser.parse((out / "news.rss").read_bytes())
    assert atom.bozo == 0 and rss_feed.bozo == 0
    assert len(atom.entries) == len(rss_feed.entries) == 5
    for entry in atom.entries:
        text = html_to_text(entry.content[0].value)
        assert len(text) > 500, entry.title  # full text, not the one-line teaser
        assert "Teaser of" not in text
    json_feed = json.loads((out / "news.json").read_text("utf-8"))
    assert len(json_feed["items"]) == 5
    assert all(len(item["content_html"]) > 500 for item in json_feed["items"])
    assert (out / "index.opml").exists()


def test_cp1251_seed_article_is_clean_cyrillic(site: Site, tmp_path: Path) -> None:
    feed_url = _serve_demo_pages(site)
    asyncio.run(run_cycle(_config(tmp_path, SourceConfig(name="news", feed=feed_url))))
    items = json.loads((tmp_path / "feeds" / "news.json").read_text("utf-8"))["items"]
    [seed] = [i for i in items if i["url"].endswith("baikonur.html")]
    text = html_to_text(seed["content_html"])
    for sentence in SEED_STORY:
        assert sentence in text
    assert len(text.split("\n\n")) == 6  # the six story paragraphs, nothing else
    for teaser in SEED_TEASERS:
        assert teaser not in seed["content_html"]


def test_second_cycle_sends_conditional_requests_and_extracts_nothing(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_url = _serve_demo_pages(site)
    config = _config(tmp_path, SourceConfig(name="news", feed=feed_url))
    asyncio.run(run_cycle(config))
    before = {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (tmp_path / "feeds").iterdir()
    }
    site.hits.clear()
    calls: list[str] = []
    import refeed.cycle

    real = refeed.cycle.process
    monkeypatch.setattr(refeed.cycle, "process", lambda *a, **k: calls.append("x") or real(*a, **k))
    [result] = asyncio.run(run_cycle(config))
    assert result.ok
    assert calls == []
    assert [h.status for h in site.hits] == [304]
    assert "if-none-match" in site.hits[0].headers
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (tmp_path / "feeds").iterdir()}
    assert after == before


def test_new_item_fetches_only_its_page(site: Site, tmp_path: Path) -> None:
    pages = [("news/" + n, n) for n in DEMO_PAGES[:2]]
    for path, _ in pages:
        site.add(path, (SITE / "news" / Path(path).name).read_bytes())
    feed_url = site.add("rss.xml", rss(site, pages), content_type="application/rss+xml")
    config = _config(tmp_path, SourceConfig(name="news", feed=feed_url))
    asyncio.run(run_cycle(config))
    site.hits.clear()
    pages.append(("news/" + DEMO_PAGES[2], DEMO_PAGES[2]))
    site.add(pages[-1][0], (SITE / "news" / DEMO_PAGES[2]).read_bytes())
    site.add("rss.xml", rss(site, pages), content_type="application/rss+xml")
    [result] = asyncio.run(run_cycle(config))
    assert (result.new, result.kept) == (1, 2)
    assert sorted(h.path for h in site.hits) == ["/news/" + DEMO_PAGES[2], "/rss.xml"]


def test_dead_source_keeps_its_feed_while_others_publish(site: Site, tmp_path: Path) -> None:
    feed_url = _serve_demo_pages(site)
    dead_url = site.add(
        "dead.xml", rss(site, [("news/" + DEMO_PAGES[0], "a")]), content_type="application/rss+xml"
    )
    config = _config(
        tmp_path,
        SourceConfig(name="alive", feed=feed_url),
        SourceConfig(name="dead", feed=dead_url),
    )
    asyncio.run(run_cycle(config))
    dead_files = {p: p.read_bytes() for p in (tmp_path / "feeds").glob("dead.*")}
    assert len(dead_files) == 3
    site.add("dead.xml", "gone", status=500, content_type="text/plain")
    site.add(
        "rss.xml",
        rss(site, [("news/" + DEMO_PAGES[1], "only one")]),
        content_type="application/rss+xml",
    )
    results = {r.name: r for r in asyncio.run(run_cycle(config))}
    assert results["alive"].ok
    assert not results["dead"].ok and "HTTP 500" in (results["dead"].error or "")
    assert {p: p.read_bytes() for p in dead_files} == dead_files
    with Store(tmp_path / "refeed.db") as store:
        assert store.state("dead").failures == 1
        assert "500" in (store.state("dead").last_error or "")


def test_failed_page_is_published_with_summary_then_retried(site: Site, tmp_path: Path) -> None:
    site.add("news/a.html", "boom", status=503, content_type="text/plain")
    feed_url = site.add(
        "rss.xml", rss(site, [("news/a.html", "Story A")]), content_type="application/rss+xml"
    )
    config = _config(tmp_path, SourceConfig(name="news", feed=feed_url))
    [result] = asyncio.run(run_cycle(config))
    assert result.ok and result.failed_pages == 1
    items = json.loads((tmp_path / "feeds" / "news.json").read_text("utf-8"))["items"]
    assert "Teaser of Story A" in items[0]["content_html"]
    site.add("news/a.html", (SITE / "news" / DEMO_PAGES[0]).read_bytes())
    [result] = asyncio.run(run_cycle(config))
    assert result.updated == 1 and result.failed_pages == 0
    assert site.hits[-2].status == 304  # the feed did not change; only the page was retried
    assert (
        feedparser.parse((tmp_path / "feeds" / "news.atom").read_bytes()).feed.title == "Test feed"
    )
    items = json.loads((tmp_path / "feeds" / "news.json").read_text("utf-8"))["items"]
    assert len(html_to_text(items[0]["content_html"])) > 500


def test_listing_page_source_with_and_without_selector(site: Site, tmp_path: Path) -> None:
    for name in DEMO_PAGES:
        site.add("news/" + name, (SITE / "news" / name).read_bytes())
    site.add(
        "news/baikonur.html",
        (DATA / "ru-seed-page-cp1251.html").read_bytes(),
        content_type="text/html",
    )
    front = site.add("index.html", (SITE / "index.html").read_bytes())
    config = _config(
        tmp_path,
        SourceConfig(name="auto", page=front),
        SourceConfig(name="picked", page=front, links="h2.headline a"),
    )
    results = asyncio.run(run_cycle(config))
    assert [r.new for r in results] == [5, 5]
    for name in ("auto", "picked"):
        items = json.loads((tmp_path / "feeds" / f"{name}.json").read_text("utf-8"))["items"]
        assert {i["url"].rsplit("/", 1)[1] for i in items} == {*DEMO_PAGES, "baikonur.html"}
