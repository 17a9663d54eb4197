"""Tests of refeed.publish: rendering Atom, RSS, JSON Feed and OPML, and atomic writes."""

from __future__ import annotations

import errno
import json
import os
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from refeed import publish
from refeed.errors import PublishError
from refeed.models import FeedInfo, Item
from refeed.publish import (
    FORMATS,
    publish_index,
    render_atom,
    render_json,
    render_opml,
    render_rss,
    write_atomic,
)

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
BASE = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

FEED = FeedInfo(
    name="news",
    title="Новости примера",
    link="https://example.com/",
    description="Полные тексты новостей",
    language="ru",
    self_base="https://feeds.example.org/",
    site="https://example.com/",
)


def make_items(count: int = 5) -> list[Item]:
    """*count* items, newest first; odd ones have guid == url (a permalink)."""
    items = []
    for i in range(count):
        url = f"https://example.com/news/{i}"
        items.append(
            Item(
                source="example",
                url=url,
                guid=url if i % 2 else f"urn:example:{i}",
                title=f"Заголовок {i}",
                content_html=f"<p>Полный текст статьи {i}, ёжик.</p><p>Second paragraph {i}.</p>",
                first_seen=BASE - timedelta(hours=i),
                summary=f"Кратко {i}" if i == 0 else None,
                author="Иван Петров" if i == 1 else None,
                published=BASE - timedelta(hours=i) if i != 4 else None,
                updated=BASE + timedelta(minutes=30) if i == 2 else None,
                image="https://example.com/img/2.jpg" if i == 2 else None,
                language="ru",
            )
        )
    return items


def parse(data: bytes) -> Any:
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def channel(rss: bytes) -> Any:
    root = etree.fromstring(rss)
    found = root.find("channel")
    assert found is not None
    return found


# -- Atom ----------------------------------------------------------------------------


def test_atom_parses_with_entries_newest_first_and_full_content() -> None:
    items = make_items()
    parsed = parse(render_atom(FEED, items))

    assert parsed.version == "atom10"
    assert parsed.feed.title == FEED.title
    assert parsed.feed.id == "https://feeds.example.org/news.atom"
    assert parsed.feed.link == FEED.link
    assert parsed.feed.subtitle == FEED.description
    # the feed's date is the latest change of its items, not the clock
    assert parsed.feed.updated == "2024-05-01T12:30:00+00:00"
    assert [e.id for e in parsed.entries] == [item.guid for item in items]
    for entry, item in zip(parsed.entries, items, strict=True):
        assert entry.title == item.title
        assert entry.link == item.url
        assert entry.content[0].type == "text/html"
        assert entry.content[0].value == item.content_html
    assert parsed.entries[0].summary == "Кратко 0"
    assert parsed.entries[1].author == "Иван Петров"
    assert parsed.entries[2].updated == "2024-05-01T12:30:00+00:00"
    # no published date: first_seen stands in
    assert parsed.entries[4].published == "2024-05-01T08:00:00+00:00"


def test_atom_self_link_and_tag_id_without_self_base() -> None:
    with_base = parse(render_atom(FEED, make_items(1)))
    assert {(ln.rel, ln.href) for ln in with_base.feed.links} == {
        ("self", "https://feeds.example.org/news.atom"),
        ("alternate", FEED.link),
    }

    no_base = FeedInfo(name="news", title="T", link="https://example.com/", description="")
    parsed = parse(render_atom(no_base, make_items(1)))
    assert parsed.feed.id.startswith("tag:")
    assert "news" in parsed.feed.id
    assert [ln.rel for ln in parsed.feed.links] == ["alternate"]


def test_self_base_without_trailing_slash() -> None:
    feed = FeedInfo(
        name="news", title="T", link="https://e.com/", description="d", self_base="https://f.org"
    )
    assert parse(render_atom(feed, [])).feed.id == "https://f.org/news.atom"
    assert json.loads(render_json(feed, []))["feed_url"] == "https://f.org/news.json"


# -- RSS -----------------------------------------------------------------------------


def test_rss_parses_with_items_newest_first_and_full_content() -> None:
    items = make_items()
    data = render_rss(FEED, items)
    parsed = parse(data)

    assert parsed.version == "rss20"
    assert [e.id for e in parsed.entries] == [item.guid for item in items]
    for entry, item in zip(parsed.entries, items, strict=True):
        assert entry.title == item.title
        assert entry.link == item.url
        assert entry.content[0].value == item.content_html
    assert parsed.entries[1].author == "Иван Петров"

    xml_items = channel(data).findall("item")
    assert len(xml_items) == 5
    for xml_item, item in zip(xml_items, items, strict=True):
        assert xml_item.findtext(f"{{{CONTENT_NS}}}encoded") == item.content_html
        assert xml_item.findtext("description") == item.content_html
        assert xml_item.findtext("{http://purl.org/dc/elements/1.1/}creator") == item.author
        assert xml_item.find("author") is None  # RSS author wants an e-mail address
        assert xml_item.findtext("pubDate") is not None


def test_rss_channel_link_is_the_site_not_the_self_link() -> None:
    data = render_rss(FEED, make_items())
    assert parse(data).feed.link == FEED.link
    chan = channel(data)
    assert chan.findtext("link") == FEED.link
    self_links = chan.findall(f"{{{ATOM_NS}}}link")
    assert [(ln.get("rel"), ln.get("href")) for ln in self_links] == [
        ("self", "https://feeds.example.org/news.rss")
    ]
    assert chan.findtext("description") == FEED.description
    assert chan.findtext("language") == "ru"
    assert chan.findtext("lastBuildDate") == "Wed, 01 May 2024 12:30:00 +0000"
    assert chan.findtext("pubDate") == "Wed, 01 May 2024 12:00:00 +0000"


def test_rss_guid_is_permalink_only_when_it_is_the_url() -> None:
    items = make_items()
    guids = channel(render_rss(FEED, items)).findall("item/guid")
    assert [g.text for g in guids] == [item.guid for item in items]
    assert [g.get("isPermaLink") for g in guids] == ["false", "true", "false", "true", "false"]


def test_rss_needs_a_description_even_when_the_feed_has_none() -> None:
    feed = FeedInfo(name="x", title="Title", link="https://e.com/", description="")
    assert channel(render_rss(feed, make_items(1))).findtext("description") == "Title"


# -- JSON Feed -----------------------------------------------------------------------


def test_json_feed_fields() -> None:
    items = make_items()
    doc = json.loads(render_json(FEED, items).decode("utf-8"))

    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"] == FEED.title
    assert doc["home_page_url"] == FEED.link
    assert doc["feed_url"] == "https://feeds.example.org/news.json"
    assert doc["description"] == FEED.description
    assert doc["language"] == "ru"
    assert [it["id"] for it in doc["items"]] == [item.guid for item in items]
    first, second, third = doc["items"][:3]
    assert first["url"] == items[0].url
    assert first["title"] == items[0].title
    assert first["content_html"] == items[0].content_html
    assert first["summary"] == "Кратко 0"
    assert "summary" not in second
    assert second["authors"] == [{"name": "Иван Петров"}]
    assert third["image"] == "https://example.com/img/2.jpg"
    assert third["date_published"] == "2024-05-01T10:00:00+00:00"
    assert third["date_modified"] == "2024-05-01T12:30:00+00:00"
    assert doc["items"][4]["date_published"] == "2024-05-01T08:00:00+00:00"
    assert first["language"] == "ru"


def test_json_feed_without_self_base_has_no_feed_url() -> None:
    feed = FeedInfo(name="x", title="T", link="https://e.com/", description="")
    doc = json.loads(render_json(feed, []))
    assert "feed_url" not in doc
    assert "description" not in doc
    assert doc["items"] == []


# -- all formats ---------------------------------------------------------------------


def test_cyrillic_survives_as_utf8_in_every_format() -> None:
    items = make_items()
    for data in (render_atom(FEED, items), render_rss(FEED, items), render_json(FEED, items)):
        text = data.decode("utf-8")
        assert "Новости примера" in text
        assert "Полный текст статьи 0, ёжик." in text
        assert "&#1" not in text  # not written as character references


def test_guids_are_stable_across_renders_and_formats() -> None:
    items = make_items()
    guids = [item.guid for item in items]
    for _ in range(2):
        assert [e.id for e in parse(render_atom(FEED, items)).entries] == guids
        assert [e.id for e in parse(render_rss(FEED, items)).entries] == guids
        assert [it["id"] for it in json.loads(render_json(FEED, items))["items"]] == guids


@pytest.mark.parametrize("render", [render_atom, render_rss, render_json])
def test_rendering_twice_gives_identical_bytes(render: Any) -> None:
    items = make_items()
    assert render(FEED, items) == render(FEED, items)
    assert render(FEED, []) == render(FEED, [])  # no items: still no clock


def test_naive_datetimes_are_read_as_utc() -> None:
    naive = Item(
        source="s",
        url="https://e.com/1",
        guid="g1",
        title="t",
        content_html="<p>x</p>",
        first_seen=datetime(2024, 1, 2, 3, 4, 5),
    )
    assert parse(render_atom(FEED, [naive])).entries[0].published == "2024-01-02T03:04:05+00:00"
    assert channel(render_rss(FEED, [naive])).findtext("item/pubDate") == (
        "Tue, 02 Jan 2024 03:04:05 +0000"
    )
    assert json.loads(render_json(FEED, [naive]))["items"][0]["date_published"] == (
        "2024-01-02T03:04:05+00:00"
    )


def test_other_time_zones_are_kept() -> None:
    plus3 = timezone(timedelta(hours=3))
    item = Item(
        source="s",
        url="https://e.com/1",
        guid="g1",
        title="t",
        content_html="<p>x</p>",
        first_seen=datetime(2024, 1, 2, 3, 4, 5, tzinfo=plus3),
    )
    assert parse(render_atom(FEED, [item])).entries[0].published == "2024-01-02T03:04:05+03:00"


def test_titles_are_plain_text_and_angle_brackets_in_them_stay() -> None:
    """Titles are stored plain (refeed.sources made them so): a title about an element
    keeps it, in every format, escaped, never parsed."""
    item = Item(
        source="s",
        url="https://e.com/1",
        guid="g1",
        title="Using the <template> element & <slot>",
        content_html="<p>x</p>",
        first_seen=BASE,
    )
    feed = FeedInfo(name="x", title="Site <News>", link="https://e.com/", description="")
    title = "Using the <template> element & <slot>"
    assert channel(render_rss(feed, [item])).findtext("item/title") == title
    atom = etree.fromstring(render_atom(feed, [item]))
    assert (
        atom.findtext("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title")
        == title
    )
    assert channel(render_rss(feed, [item])).findtext("title") == "Site <News>"
    assert json.loads(render_json(feed, [item]))["items"][0]["title"] == title


HOSTILE = "A\x00B\x01C\x08\x0b\x0c\x1f\ufffe\uffff\ud800D\x7f\t\n\rE"


def test_control_characters_do_not_break_any_format() -> None:
    item = Item(
        source="s",
        url="https://e.com/\x00x",
        guid="g\x00\x01",
        title=f"Title {HOSTILE}",
        content_html=f"<p>{HOSTILE}</p>",
        first_seen=BASE,
        summary=f"sum {HOSTILE}",
        author="Au\x00thor\x1b",
    )
    feed = FeedInfo(name="x", title=f"F{HOSTILE}", link="https://e.com/", description=f"D{HOSTILE}")
    atom = parse(render_atom(feed, [item]))
    rss = parse(render_rss(feed, [item]))
    doc = json.loads(render_json(feed, [item]).decode("utf-8"))

    assert atom.entries[0].title == rss.entries[0].title == "Title ABCD\x7f E"
    assert atom.entries[0].id == rss.entries[0].id == doc["items"][0]["id"]
    assert doc["items"][0]["id"].startswith("urn:uuid:")  # "g" is no URI
    assert atom.entries[0].author == "Author"
    assert "\x00" not in atom.entries[0].content[0].value
    assert "ABCD" in rss.entries[0].content[0].value
    # HTML is sanitised again on the way out, and an HTML parser reads CR as LF
    assert doc["items"][0]["content_html"] == "<p>ABCD\x7f\t\n\nE</p>"
    assert render_opml([feed])  # lxml accepts it too


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.text(max_size=40),
    content=st.text(max_size=80),
    summary=st.none() | st.text(max_size=40),
    author=st.none() | st.text(max_size=20),
)
def test_arbitrary_text_never_breaks_rendering(
    title: str, content: str, summary: str | None, author: str | None
) -> None:
    item = Item(
        source="s",
        url="https://e.com/1",
        guid="g1",
        title=title,
        content_html=content,
        first_seen=BASE,
        summary=summary,
        author=author,
    )
    feed = FeedInfo(name="x", title=title, link="https://e.com/", description=title)
    etree.fromstring(render_atom(feed, [item]))
    etree.fromstring(render_rss(feed, [item]))
    assert json.loads(render_json(feed, [item]).decode("utf-8"))["items"][0]["id"].startswith(
        "urn:uuid:"
    )
    etree.fromstring(render_opml([feed]))


# -- OPML ----------------------------------------------------------------------------


def outlines(data: bytes) -> list[dict[str, str]]:
    root = etree.fromstring(data)
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "refeed feeds"
    return [{str(k): str(v) for k, v in el.attrib.items()} for el in root.findall("body/outline")]


def test_opml_lists_feeds_sorted_by_name_with_their_urls() -> None:
    feeds = [
        FeedInfo(
            name="zeta",
            title="Зета",
            link="https://z.example/",
            description="",
            site="https://z.example/",
        ),
        FeedInfo(
            name="alpha",
            title="Alpha",
            link="https://a.example/",
            description="",
            self_base="https://feeds.example.org/",
            site="https://a.example/",
        ),
    ]
    assert outlines(render_opml(feeds)) == [
        {
            "type": "rss",
            "text": "Alpha",
            "title": "Alpha",
            "xmlUrl": "https://feeds.example.org/alpha.atom",
            "htmlUrl": "https://a.example/",
        },
        {
            "type": "rss",
            "text": "Зета",
            "title": "Зета",
            "xmlUrl": "zeta.atom",
            "htmlUrl": "https://z.example/",
        },
    ]


@pytest.mark.parametrize(
    ("formats", "suffix"), [(("json", "rss"), "rss"), (("json",), "json"), (FORMATS, "atom")]
)
def test_opml_prefers_atom_then_rss_then_json(formats: tuple[str, ...], suffix: str) -> None:
    (outline,) = outlines(render_opml([FEED], formats))
    assert outline["xmlUrl"] == f"https://feeds.example.org/news.{suffix}"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown feed format"):
        render_opml([FEED], ("atom", "html"))


# -- writing files -------------------------------------------------------------------


def temp_files(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_write_atomic_creates_the_directory_and_skips_identical_data(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "x.atom"
    assert write_atomic(path, b"one") is True
    assert path.read_bytes() == b"one"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644

    old = 1_000_000_000
    os.utime(path, (old, old))
    assert write_atomic(path, b"one") is False
    assert path.stat().st_mtime == old

    assert write_atomic(path, b"two") is True
    assert path.read_bytes() == b"two"
    assert path.stat().st_mtime != old
    assert temp_files(path.parent) == []


def test_write_failure_raises_publish_error_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.atom"
    path.write_bytes(b"old feed")

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(PublishError) as caught:
        write_atomic(path, b"new feed")

    message = str(caught.value)
    assert message.startswith(f"cannot write {path}: ")
    assert "[Errno 28]" in message
    assert isinstance(caught.value.__cause__, OSError)
    assert path.read_bytes() == b"old feed"
    assert temp_files(tmp_path) == []


def test_output_dir_under_a_regular_file_raises_publish_error(tmp_path: Path) -> None:
    blocker = tmp_path / "feeds"
    blocker.write_bytes(b"not a directory")
    with pytest.raises(PublishError, match="cannot write"):
        publish.publish(FEED, make_items(), blocker / "sub")
    assert blocker.read_bytes() == b"not a directory"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write read-only dirs"
)
def test_read_only_directory_raises_publish_error(tmp_path: Path) -> None:
    path = tmp_path / "x.rss"
    path.write_bytes(b"old")
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PublishError, match=r"x\.rss"):
            write_atomic(path, b"new")
    finally:
        tmp_path.chmod(0o755)
    assert path.read_bytes() == b"old"


def test_publish_writes_each_format_once_then_nothing(tmp_path: Path) -> None:
    items = make_items()
    out = tmp_path / "feeds"
    written = publish.publish(FEED, items, out)
    assert written == [out / "news.atom", out / "news.rss", out / "news.json"]
    assert (out / "news.atom").read_bytes() == render_atom(FEED, items)
    assert (out / "news.rss").read_bytes() == render_rss(FEED, items)
    assert (out / "news.json").read_bytes() == render_json(FEED, items)

    assert publish.publish(FEED, items, out) == []
    assert publish.publish(FEED, items[:4], out) == written  # one item dropped
    assert publish.publish(FEED, items, out, ("rss",)) == [out / "news.rss"]
    assert sorted(p.name for p in out.iterdir()) == ["news.atom", "news.json", "news.rss"]


def test_publish_refuses_names_that_leave_the_output_dir(tmp_path: Path) -> None:
    bad = FeedInfo(name="../evil", title="T", link="https://e.com/", description="")
    with pytest.raises(PublishError, match="evil"):
        publish.publish(bad, [], tmp_path / "feeds")
    assert not (tmp_path / "evil.atom").exists()


def test_publish_index_writes_index_opml(tmp_path: Path) -> None:
    feeds = [FEED, FeedInfo(name="b", title="B", link="https://b/", description="")]
    assert publish_index(feeds, tmp_path) is True
    assert [o["xmlUrl"] for o in outlines((tmp_path / "index.opml").read_bytes())] == [
        "b.atom",
        "https://feeds.example.org/news.atom",
    ]
    assert publish_index(list(reversed(feeds)), tmp_path) is False


def test_each_items_html_is_sanitised_once_for_all_formats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = publish.sanitize
    monkeypatch.setattr(publish, "sanitize", lambda html: calls.append(html) or real(html))
    items = [
        Item(
            source="news",
            url=f"https://example.org/once/{n}",
            guid=f"once-{n}",
            title=f"Once {n}",
            content_html=f"<p>Sanitised once, item {n}<script>x()</script></p>",
            first_seen=datetime(2026, 1, 1, tzinfo=UTC),
        )
        for n in range(3)
    ]
    written = publish.publish(FEED, items, tmp_path)
    assert len(written) == 3
    assert sorted(calls) == sorted(item.content_html for item in items)
    for path in written:
        assert b"x()" not in path.read_bytes() and b"Sanitised once, item 2" in path.read_bytes()
