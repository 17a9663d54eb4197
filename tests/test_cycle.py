"""The whole network path on loopback: feed -> pages -> clean feeds, and what a second cycle does."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import feedparser

from conftest import DATA, SITE, Site, loopback_config, rss
from refeed.article import html_to_text
from refeed.config import Config, SourceConfig
from refeed.cycle import run_cycle
from refeed.store import Store
from refeed.workers import Extractor

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
    return loopback_config(tmp_path, *sources)


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
    site: Site, tmp_path: Path
) -> None:
    feed_url = _serve_demo_pages(site)
    config = _config(tmp_path, SourceConfig(name="news", feed=feed_url))
    asyncio.run(run_cycle(config))
    before = {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (tmp_path / "feeds").iterdir()
    }
    site.hits.clear()
    extractor = Extractor()
    [result] = asyncio.run(run_cycle(config, extractor=extractor))
    assert result.ok
    assert extractor.extractions == 0
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
    with Store(config.database) as store:
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


STORY = (
    "The harbour authority confirmed on Tuesday that the northern quay will be rebuilt over "
    "the next three years, at a cost that officials put at roughly forty million euros. "
)
TEMPLATE_LINE = "Our journalism is paid for by readers like you; thank you for reading the Paper."


def _story_page(number: int, extra: str = "") -> str:
    paragraphs = "".join(f"<p>{STORY}Story {number}, part {part}.</p>" for part in range(4))
    return (
        f"<html><head><title>Story {number}</title></head><body><article><h1>Story {number}</h1>"
        f"{paragraphs}{extra}<p>{TEMPLATE_LINE}</p></article></body></html>"
    )


def test_a_sources_template_is_learnt_across_pages_and_removed(site: Site, tmp_path: Path) -> None:
    items = []
    for number in range(1, 7):
        site.add(f"s/{number}.html", _story_page(number))
        items.append((f"s/{number}.html", f"Story number {number} of the quay series"))
    site.add("rss.xml", rss(site, items[:4]), content_type="application/rss+xml")
    config = _config(tmp_path, SourceConfig(name="paper", feed=site.url("rss.xml")))
    asyncio.run(run_cycle(config))
    with Store(config.database) as store:
        first = store.item("paper", site.url("s/1.html"))
    assert first is not None and TEMPLATE_LINE in html_to_text(first.content_html)

    site.add("rss.xml", rss(site, items), content_type="application/rss+xml")
    asyncio.run(run_cycle(config))
    with Store(config.database) as store:
        new = store.item("paper", site.url("s/6.html"))
    assert new is not None and new.full_text
    text = html_to_text(new.content_html)
    assert "Story 6, part 3." in text and TEMPLATE_LINE not in text


def test_another_items_title_on_a_page_is_removed_in_a_cycle(site: Site, tmp_path: Path) -> None:
    other_title = "Mayor opens the new cycle bridge over the canal"
    site.add("s/1.html", _story_page(1, extra=f"<p><strong>{other_title}</strong></p>"))
    site.add("s/2.html", _story_page(2))
    feed = rss(site, [("s/1.html", "Quay to be rebuilt"), ("s/2.html", other_title)])
    site.add("rss.xml", feed, content_type="application/rss+xml")
    config = _config(tmp_path, SourceConfig(name="paper", feed=site.url("rss.xml")))
    asyncio.run(run_cycle(config))
    with Store(config.database) as store:
        item = store.item("paper", site.url("s/1.html"))
    assert item is not None and other_title not in html_to_text(item.content_html)
    assert "Story 1, part 3." in html_to_text(item.content_html)


def test_full_text_feed_republished_clean_without_fetching_pages(
    site: Site, tmp_path: Path
) -> None:
    story = ["Первый абзац новости о ремонте причала.", "Второй абзац: работы начнутся в марте."]
    teasers = ["Читайте также:", "Мэр открыл новый мост через канал...", "В городе выпал снег..."]
    full_text = "\n".join(story + teasers)
    feed = (
        '<?xml version="1.0" encoding="windows-1251"?>'
        '<rss version="2.0" xmlns:yandex="http://news.yandex.ru"><channel><title>Лента</title>'
        f"<link>{site.base}</link><description>d</description><item><title>Причал</title>"
        f"<link>{site.url('never-fetched.html')}</link><description>Коротко.</description>"
        f"<yandex:full-text>{full_text}</yandex:full-text></item></channel></rss>"
    ).encode("windows-1251")
    site.add("rss.xml", feed, content_type="application/rss+xml")
    source = SourceConfig(name="ru", feed=site.url("rss.xml"), fetch_pages=False)
    config = _config(tmp_path, source)
    [result] = asyncio.run(run_cycle(config))
    assert result.ok
    assert [hit.path for hit in site.hits] == ["/rss.xml"]
    entry = feedparser.parse((tmp_path / "feeds" / "ru.atom").read_bytes()).entries[0]
    text = html_to_text(entry.content[0].value)
    assert text.split("\n\n") == story


def test_unchanged_page_that_gave_no_story_is_not_extracted_again(
    site: Site, tmp_path: Path
) -> None:
    site.add("news/a.html", "<html><body><p>Short.</p></body></html>")
    feed_url = site.add(
        "rss.xml", rss(site, [("news/a.html", "Story A")]), content_type="application/rss+xml"
    )
    config = _config(tmp_path, SourceConfig(name="news", feed=feed_url))
    [result] = asyncio.run(run_cycle(config))
    assert result.failed_pages == 1  # published with its summary, retried next cycle
    site.hits.clear()
    extractor = Extractor(1)
    [result] = asyncio.run(run_cycle(config, extractor=extractor))
    assert result.ok and extractor.extractions == 0
    assert [(h.path, h.status) for h in site.hits] == [("/rss.xml", 304), ("/news/a.html", 304)]
    assert "if-none-match" in site.hits[1].headers
