"""No data loss: a published item stays until it ages out of max_items, whatever the source does."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import tempfile
from pathlib import Path

import feedparser
import pytest

from conftest import Site, loopback_config, rss
from refeed.config import Config, SourceConfig
from refeed.cycle import run_cycle

STORY = "The harbour board met on Tuesday to discuss the new ferry timetable for the winter. "
LONG = "<html><body><article>" + f"<p>{STORY * 8}</p>" * 6 + "</article></body></html>"
SOFT_404 = (
    "<html><body><article><p>Sorry, the page you are looking for is not available right now. "
    "It may have been moved, renamed or deleted, or it may be temporarily out of service. "
    "Please check the address, go back to the front page, or use the search box above to "
    "find what you were looking for. Our newsroom apologises for any inconvenience.</p>"
    "</article></body></html>"
)


def _config(tmp_path: Path, max_items: int = 50, name: str = "news", feed: str = "") -> Config:
    return loopback_config(tmp_path, SourceConfig(name=name, feed=feed), max_items=max_items)


def _published(tmp_path: Path, name: str = "news") -> dict[str, list[str]]:
    feeds = tmp_path / "feeds"
    atom = feedparser.parse((feeds / f"{name}.atom").read_bytes())
    rss_ = feedparser.parse((feeds / f"{name}.rss").read_bytes())
    doc = json.loads((feeds / f"{name}.json").read_bytes())
    assert atom.bozo == 0 and rss_.bozo == 0
    return {
        "atom": [e.link for e in atom.entries],
        "rss": [e.link for e in rss_.entries],
        "json": [i["url"] for i in doc["items"]],
    }


def _first_cycle(site: Site, tmp_path: Path, max_items: int = 50) -> Config:
    for n in (1, 2):
        site.add(f"a{n}.html", LONG.replace("harbour", f"harbour {n}"))
    feed = site.add(
        "rss.xml", rss(site, [("a2.html", "Two"), ("a1.html", "One")]),
        content_type="application/rss+xml",
    )  # fmt: skip
    config = _config(tmp_path, max_items, feed=feed)
    [result] = asyncio.run(run_cycle(config))
    assert result.ok and result.new == 2
    return config


@pytest.mark.parametrize(
    "change",
    ["drops the items", "fails", "returns an empty feed", "returns an empty body",
     "returns an error page with status 200", "redirects to a login page"],
)  # fmt: skip
def test_published_items_stay_whatever_the_source_does(
    site: Site, tmp_path: Path, change: str
) -> None:
    config = _first_cycle(site, tmp_path)
    before = _published(tmp_path)
    old = {site.url("a1.html"), site.url("a2.html")}
    assert all(set(urls) == old for urls in before.values())
    files = {p.name: p.read_bytes() for p in (tmp_path / "feeds").iterdir()}

    if change == "drops the items":
        site.add("a3.html", LONG.replace("harbour", "harbour 3"))
        site.add("rss.xml", rss(site, [("a3.html", "Three")]), content_type="application/rss+xml")
    elif change == "fails":
        site.add("rss.xml", "Internal Server Error", status=500, content_type="text/plain")
    elif change == "returns an empty feed":
        site.add("rss.xml", rss(site, []), content_type="application/rss+xml")
    elif change == "returns an empty body":
        site.add("rss.xml", b"", content_type="application/rss+xml")
    elif change == "returns an error page with status 200":
        site.add("rss.xml", SOFT_404, content_type="text/html")
    else:
        site.add("login", SOFT_404)
        site.add("rss.xml", "", status=302, headers={"Location": site.url("login")}, etag=False)
    asyncio.run(run_cycle(config))

    after = _published(tmp_path)
    for fmt, urls in after.items():
        assert old <= set(urls), f"{fmt} lost items after the source {change}"
        assert len(urls) == len(set(urls))
    if change == "drops the items":
        assert all(site.url("a3.html") in urls for urls in after.values())
    else:  # nothing new: the files were not even rewritten
        assert {p.name: p.read_bytes() for p in (tmp_path / "feeds").iterdir()} == files


def test_items_age_out_only_past_max_items(site: Site, tmp_path: Path) -> None:
    config = _first_cycle(site, tmp_path, max_items=2)
    site.add("a3.html", LONG.replace("harbour", "harbour 3"))
    feed = rss(site, [("a3.html", "Three")]).replace("Mon, 10 Nov", "Mon, 20 Nov")
    site.add("rss.xml", feed, content_type="application/rss+xml")
    asyncio.run(run_cycle(config))
    for urls in _published(tmp_path).values():
        # the newest two: the oldest (a2, 10 Nov) aged out
        assert set(urls) == {site.url("a3.html"), site.url("a1.html")}


def _atom(site: Site, updated: str) -> str:
    link = site.url("story.html")
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>T</title><id>urn:t</id><updated>{updated}</updated><link href='{site.base}'/>"
        f"<entry><title>Story</title><id>urn:story</id><link href='{link}'/>"
        f"<updated>{updated}</updated><summary>Teaser</summary></entry></feed>"
    )


def test_a_shrunken_re_extraction_keeps_the_stored_article(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site.add("story.html", LONG)
    feed = site.add(
        "atom.xml", _atom(site, "2026-11-10T10:00:00Z"), content_type="application/atom+xml"
    )
    config = _config(tmp_path, feed=feed)
    asyncio.run(run_cycle(config))
    first = json.loads((tmp_path / "feeds" / "news.json").read_bytes())["items"][0]["content_html"]
    assert first.count("harbour board") == 48

    # the entry is updated, and its page is now an error page served with status 200
    site.add("story.html", SOFT_404)
    site.add("atom.xml", _atom(site, "2026-11-11T10:00:00Z"), content_type="application/atom+xml")
    with caplog.at_level(logging.WARNING, logger="refeed.cycle"):
        [result] = asyncio.run(run_cycle(config))
    assert result.ok and "/story.html" in [h.path for h in site.hits][-1]
    assert "much shorter; keeping the stored one" in caplog.text
    now = json.loads((tmp_path / "feeds" / "news.json").read_bytes())["items"][0]["content_html"]
    assert now == first

    # a real update of similar length is taken
    site.add("story.html", LONG.replace("Tuesday", "Wednesday"))
    site.add("atom.xml", _atom(site, "2026-11-12T10:00:00Z"), content_type="application/atom+xml")
    asyncio.run(run_cycle(config))
    now = json.loads((tmp_path / "feeds" / "news.json").read_bytes())["items"][0]["content_html"]
    assert "Wednesday" in now and "Tuesday" not in now


def test_repeated_guids_make_a_feed_known_by_links_each_link_once(
    site: Site, tmp_path: Path
) -> None:
    site.add("a.html", LONG)
    site.add("b.html", LONG.replace("harbour", "station"))
    site.add("c.html", LONG.replace("harbour", "airport"))
    a, b = site.url("a.html"), site.url("b.html")

    def item(link: str, guid: str) -> str:
        return f"<item><title>t</title><link>{link}</link><guid>{guid}</guid></item>"

    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>http://x/</link>'
        "<description>d</description>"
        + item(a, "g1") + item(a, "g1") + item(a + "#comments", "g2") + item(a, "g3")
        + item(b, "g4") + item(b, "g5") + item(site.url("c.html"), "g1")
        + "</channel></rss>"
    )  # fmt: skip
    config = _config(tmp_path, feed=site.add("rss.xml", body, content_type="application/rss+xml"))
    [result] = asyncio.run(run_cycle(config))
    # g1 is given to two links: the guids are unsound, so the links say what is what
    assert result.ok and result.new == 3
    for urls in _published(tmp_path).values():
        assert sorted(urls) == sorted([a, b, site.url("c.html")])


@pytest.mark.parametrize(
    ("what", "code"),
    [
        ("full disk", errno.ENOSPC),
        ("read-only feeds/", errno.EROFS),
        ("no permission", errno.EACCES),
    ],
)
def test_a_feed_file_that_cannot_be_written_is_a_clear_error_and_the_old_one_stays(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str, code: int
) -> None:
    config = _first_cycle(site, tmp_path)
    files = {p.name: p.read_bytes() for p in (tmp_path / "feeds").iterdir()}
    site.add("a3.html", LONG.replace("harbour", "harbour 3"))
    site.add("rss.xml", rss(site, [("a3.html", "Three")]), content_type="application/rss+xml")

    real = tempfile.NamedTemporaryFile

    def refuse(*args: object, **kwargs: object) -> object:
        if code == errno.ENOSPC:  # the file is created, the disk fills while writing
            handle = real(*args, **kwargs)  # type: ignore[call-overload]
            monkeypatch.setattr(os, "fsync", _raise(code))
            return handle
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    [result] = asyncio.run(run_cycle(config))
    assert not result.ok
    assert f"[Errno {code}]" in str(result.error) and "news." in str(result.error)
    assert {p.name: p.read_bytes() for p in (tmp_path / "feeds").iterdir()} == files
    monkeypatch.undo()

    # space again: the next cycle publishes the item that could not be written
    [result] = asyncio.run(run_cycle(config))
    assert result.ok
    for urls in _published(tmp_path).values():
        assert site.url("a3.html") in urls and len(urls) == 3


def _raise(code: int) -> object:
    def fail(*_args: object) -> None:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_really_read_only_feeds_dir_keeps_the_old_files(site: Site, tmp_path: Path) -> None:
    config = _first_cycle(site, tmp_path)
    feeds = tmp_path / "feeds"
    files = {p.name: p.read_bytes() for p in feeds.iterdir()}
    site.add("a3.html", LONG.replace("harbour", "harbour 3"))
    site.add("rss.xml", rss(site, [("a3.html", "Three")]), content_type="application/rss+xml")
    feeds.chmod(0o555)
    try:
        [result] = asyncio.run(run_cycle(config))
    finally:
        feeds.chmod(0o755)
    assert not result.ok and "cannot write" in str(result.error)
    assert {p.name: p.read_bytes() for p in feeds.iterdir()} == files
