"""Source feeds through the whole pipeline, on loopback, read back in every format.

Each ``tests/data/feeds/<case>.<ext>`` has a ``<case>.expect.json`` saying what the output
must hold (titles in order, dates, ids, authors, links, enclosures, categories, comments,
pictures, language, ...). Adding a case means adding two files. Every case is also run
twice (the second cycle must leave every file byte for byte as it was) and from another
URL (every id must stay)."""

from __future__ import annotations

import asyncio
import calendar
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from conftest import DATA, Site, loopback_config
from refeed.config import SourceConfig
from refeed.cycle import SourceResult, run_cycle

CASES = DATA / "feeds"
NAMES = sorted(p.name.removesuffix(".expect.json") for p in CASES.glob("*.expect.json"))
ATOM = "{http://www.w3.org/2005/Atom}"


def _source_file(name: str) -> Path:
    [path] = [p for p in CASES.glob(f"{name}.*") if not p.name.endswith(".expect.json")]
    return path


def _cycle(site: Site, tmp_path: Path, name: str, path: str) -> tuple[SourceResult, Path]:
    expect = json.loads((CASES / f"{name}.expect.json").read_text(encoding="utf-8"))
    url = site.add(path, _source_file(name).read_bytes(),
                   content_type=expect.get("content_type", "application/xml"))  # fmt: skip
    config = loopback_config(
        tmp_path,
        SourceConfig(name="case", feed=url, fetch_pages=False),
        base_url="https://feeds.example.org/",
    )
    [result] = asyncio.run(run_cycle(config))
    return result, tmp_path / "feeds"


def _iso(struct: Any) -> str | None:
    if not struct:
        return None
    return datetime.fromtimestamp(calendar.timegm(struct), UTC).isoformat()


class Read:
    """The three files of the case's feed, read as a reader would."""

    def __init__(self, feeds: Path) -> None:
        self.json = json.loads((feeds / "case.json").read_bytes())
        self.atom = feedparser.parse((feeds / "case.atom").read_bytes())
        self.atom_xml = etree.fromstring((feeds / "case.atom").read_bytes())
        self.rss = feedparser.parse((feeds / "case.rss").read_bytes())
        self.rss_xml = etree.fromstring((feeds / "case.rss").read_bytes())

    @property
    def items(self) -> list[dict[str, Any]]:
        return self.json["items"]


def _titles(want: Any, read: Read) -> None:
    assert [i["title"] for i in read.items] == want
    assert [e.title for e in read.atom.entries] == want
    assert [t.text for item in read.rss_xml.iter("item") for t in item.iter("title")] == want


def _ids(want: Any, read: Read) -> None:
    assert [i["id"] for i in read.items] == want


def _ids_are_urns(want: Any, read: Read) -> None:
    assert all(i["id"].startswith("urn:uuid:") for i in read.items) == want


def _published(want: Any, read: Read) -> None:
    assert [datetime.fromisoformat(i["date_published"]).astimezone(UTC).isoformat()
            for i in read.items] == want  # fmt: skip
    assert [_iso(e.published_parsed) for e in read.atom.entries] == want
    assert [_iso(e.published_parsed) for e in read.rss.entries] == want


def _authors(want: Any, read: Read) -> None:
    assert [(i.get("authors") or [{}])[0].get("name") for i in read.items] == want
    fallback = read.atom.feed.get("author")  # Atom: the feed's author for the entry's lack
    assert [e.get("author") or fallback for e in read.atom.entries] == [a or fallback for a in want]


def _links(want: Any, read: Read) -> None:
    assert [i.get("url") for i in read.items] == want
    assert [e.get("link") for e in read.rss.entries] == want


def _enclosures(want: Any, read: Read) -> None:
    def of(entry: Any) -> list[dict[str, Any]]:
        return [{"url": e["href"], "type": e.get("type"),
                 "length": int(e["length"]) if e.get("length") else None}
                for e in entry.get("enclosures", [])]  # fmt: skip

    attachments = [[{"url": a["url"], "type": a["mime_type"], "length": a.get("size_in_bytes")}
                    for a in i.get("attachments", [])] for i in read.items]  # fmt: skip
    assert attachments == want
    assert [of(e) for e in read.atom.entries] == want
    assert [of(e)[:1] for e in read.rss.entries] == [case[:1] for case in want]  # RSS: one


def _categories(want: Any, read: Read) -> None:
    assert [i.get("tags", []) for i in read.items] == want
    for parsed in (read.atom, read.rss):
        assert [[t.term for t in e.get("tags", [])] for e in parsed.entries] == want


def _comments(want: Any, read: Read) -> None:
    assert [i.get("_refeed", {}).get("comments_url") for i in read.items] == want
    assert [e.get("comments") for e in read.rss.entries] == want
    replies = [[link.get("href") for link in entry.iter(f"{ATOM}link") if link.get("rel") == "replies"]
               for entry in read.atom_xml.iter(f"{ATOM}entry")]  # fmt: skip
    assert [r[0] if r else None for r in replies] == want


def _images(want: Any, read: Read) -> None:
    assert [i.get("image") for i in read.items] == want
    assert [(e.get("media_thumbnail") or [{}])[0].get("url") for e in read.rss.entries] == want


def _feed_image(want: Any, read: Read) -> None:
    assert read.json.get("icon") == read.atom.feed.get("logo") == want
    assert read.rss.feed.get("image", {}).get("href") == want


def _language(want: Any, read: Read) -> None:
    assert read.json.get("language") == read.rss.feed.get("language") == want
    assert read.atom_xml.get("{http://www.w3.org/XML/1998/namespace}lang") == want


def _home_page_url(want: Any, read: Read) -> None:
    assert read.json.get("home_page_url") == want


def _contains(want: Any, read: Read) -> None:
    for item, text in zip(read.items, want, strict=True):
        assert text is None or text in (item.get("content_html") or item.get("content_text"))


def _atom_feed_author(want: Any, read: Read) -> None:
    assert read.atom.feed.get("author") == want


def _feed_title(want: Any, read: Read) -> None:
    assert read.json["title"] == read.atom.feed.title == want


CHECKS = {
    "titles": _titles, "ids": _ids, "ids_are_urns": _ids_are_urns, "published": _published,
    "authors": _authors, "links": _links, "enclosures": _enclosures, "categories": _categories,
    "comments": _comments, "images": _images, "feed_image": _feed_image, "language": _language,
    "home_page_url": _home_page_url, "contains": _contains,
    "atom_feed_author": _atom_feed_author, "feed_title": _feed_title,
}  # fmt: skip
KNOWN = {*CHECKS, "note", "content_type", "dropped"}


def _check(expect: dict[str, Any], read: Read, result: SourceResult) -> None:
    assert set(expect) <= KNOWN, f"unknown expectations: {set(expect) - KNOWN}"
    ids = [i["id"] for i in read.items]
    assert ids == [e.id for e in read.atom.entries] == [e.id for e in read.rss.entries]
    for key, check in CHECKS.items():
        if key in expect:
            check(expect[key], read)
    assert result.dropped == expect.get("dropped", 0)


def _json_feed_is_complete(doc: dict[str, Any]) -> None:
    """Every field JSON Feed 1.1 requires, with the right types."""
    assert doc["version"] == "https://jsonfeed.org/version/1.1" and isinstance(doc["title"], str)
    assert isinstance(doc["items"], list)
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html") or item.get("content_text"), str)
        for key in ("url", "image", "summary", "title", "language"):
            assert key not in item or isinstance(item[key], str)
        for key in ("date_published", "date_modified"):
            assert key not in item or datetime.fromisoformat(item[key]).tzinfo is not None
        for attachment in item.get("attachments", []):
            assert isinstance(attachment["url"], str) and isinstance(attachment["mime_type"], str)


@pytest.mark.parametrize("name", NAMES)
def test_a_source_feed_comes_out_as_it_says(site: Site, tmp_path: Path, name: str) -> None:
    expect = json.loads((CASES / f"{name}.expect.json").read_text(encoding="utf-8"))
    result, feeds = _cycle(site, tmp_path, name, f"src/{_source_file(name).name}")
    assert result.ok, result.error
    read = Read(feeds)
    _check(expect, read, result)
    _json_feed_is_complete(read.json)
    first = {p.name: p.read_bytes() for p in feeds.iterdir()}
    # a second cycle changes nothing: the same bytes
    again, _ = _cycle(site, tmp_path, name, f"src/{_source_file(name).name}")
    assert again.ok and {p.name: p.read_bytes() for p in feeds.iterdir()} == first
    # the source moves: every item keeps its id
    moved, _ = _cycle(site, tmp_path, name, f"moved/elsewhere/{_source_file(name).name}")
    assert moved.ok
    assert [i["id"] for i in Read(feeds).items] == [i["id"] for i in read.items]
