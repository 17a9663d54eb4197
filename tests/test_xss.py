"""XSS vectors go through the whole pipeline; none survives into Atom, RSS or JSON Feed."""

from __future__ import annotations

import asyncio
import html
import json
import re
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from conftest import Site
from refeed.config import Config, SourceConfig
from refeed.cycle import run_cycle
from refeed.sanitize import ATTRIBUTES, TAGS, sanitize
from xss_vectors import VECTORS

STORY = (
    "The harbour board met on Tuesday evening to discuss the new ferry timetable, "
    "which moves the first crossing half an hour earlier and adds a late boat on Fridays. "
) * 4
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_IGNORED = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")  # a browser's scheme, as in the URL standard
URL_ATTRS = {"href", "src", "cite"}


def test_there_are_enough_vectors() -> None:
    assert len(VECTORS) >= 50 and len(set(VECTORS)) == len(VECTORS)


def _assert_inert(markup: str, where: str) -> None:
    """The HTML has only allow-listed elements and attributes and no active URL."""
    assert "<script" not in markup.lower(), where
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag == "div" or element.tag in TAGS, f"{where}: <{element.tag}>"
        allowed = ATTRIBUTES.get(element.tag, set()) | ATTRIBUTES["*"] | {"rel"}
        for name, value in element.attrib.items():
            assert name in allowed, f"{where}: <{element.tag} {name}={value!r}>"
            urls = [value] if name in URL_ATTRS else []
            if name == "srcset":
                urls = [c.split()[0] for c in value.split(", ") if c.split()]
            for url in urls:
                scheme = _SCHEME.match(_IGNORED.sub("", html.unescape(url)).lower())
                assert scheme is None or scheme.group(1) in ("http", "https", "mailto"), (
                    f"{where}: {name}={value!r}"
                )
    assert sanitize(markup) == markup, f"{where}: sanitising again changed it"


def _page(n: int, vector: str) -> str:
    return (
        f"<html><head><title>Story {n}</title>{vector}</head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>Story {n}</h1>"
        f"<p>{STORY}</p>{vector}<p>{STORY}</p><div>{vector}</div></article></body></html>"
    )


def _feed(site: Site, with_content: bool) -> str:
    items = []
    for n, vector in enumerate(VECTORS):
        link = site.url(f"x/{n}.html")
        body = f"<content:encoded>{html.escape(f'<p>{STORY}</p>{vector}<p>{STORY}</p>')}</content:encoded>"
        items.append(
            f"<item><title>{html.escape(f'Story {n} {vector}')}</title><link>{link}</link>"
            f"<guid>{link}</guid><description>{html.escape(f'Teaser {n} {vector}')}</description>"
            f"{body if with_content else ''}"
            f"<pubDate>Mon, 09 Nov 2026 10:{n % 60:02d}:00 +0000</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>XSS</title><link>{site.base}</link><description>d</description>"
        f"{''.join(items)}</channel></rss>"
    )


def _html_fields(feeds: Path, name: str) -> list[tuple[str, str]]:
    """(where, HTML) of every HTML-bearing field of the three files of feed ``name``."""
    out: list[tuple[str, str]] = []
    atom = etree.fromstring((feeds / f"{name}.atom").read_bytes())
    for entry in atom.iter(f"{ATOM}entry"):
        for tag in ("content", "summary"):
            node = entry.find(f"{ATOM}{tag}")
            if node is not None and node.text:
                assert node.get("type") in ("html", "text", None)
                if node.get("type") == "html":  # text is shown as text by readers
                    out.append((f"{name}.atom {tag}", node.text))
        title = entry.find(f"{ATOM}title")
        assert title is not None and title.get("type") in ("text", None)
    rss = etree.fromstring((feeds / f"{name}.rss").read_bytes())
    for item in rss.iter("item"):
        for tag in ("description", CONTENT):
            node = item.find(tag)
            if node is not None and node.text:
                out.append((f"{name}.rss {tag}", node.text))
    feed = json.loads((feeds / f"{name}.json").read_bytes())
    for item in feed["items"]:
        if item.get("content_html"):
            out.append((f"{name}.json content_html", item["content_html"]))
        assert "<script" not in item.get("title", "").lower() or "&lt;" not in item["title"]
    return out


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import threading
    from http.server import ThreadingHTTPServer

    from conftest import _handler

    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}/"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for n, vector in enumerate(VECTORS):
            site.add(f"x/{n}.html", _page(n, vector))
        site.add("pages.xml", _feed(site, False), content_type="application/rss+xml")
        site.add("inline.xml", _feed(site, True), content_type="application/rss+xml")
        tmp = tmp_path_factory.mktemp("xss")
        config = Config(
            output_dir=tmp / "feeds",
            database=tmp / "refeed.db",
            allow_private_networks=True,
            max_items=len(VECTORS),
            sources=(
                SourceConfig(name="pages", feed=site.url("pages.xml")),
                SourceConfig(name="inline", feed=site.url("inline.xml"), fetch_pages=False),
            ),
        )
        results = asyncio.run(run_cycle(config))
    finally:
        server.shutdown()
        server.server_close()
    assert all(r.ok for r in results), [r.error for r in results]
    assert all(r.new == len(VECTORS) for r in results)
    return tmp / "feeds"


@pytest.mark.parametrize("name", ["pages", "inline"])
def test_no_vector_survives_into_any_format(published: Path, name: str) -> None:
    fields = _html_fields(published, name)
    assert len(fields) >= 4 * len(VECTORS)
    for where, markup in fields:
        _assert_inert(markup, where)
    # the story itself came through: this is a cleaned feed, not an empty one
    assert sum("harbour board" in markup for _, markup in fields) >= 2 * len(VECTORS)


@pytest.mark.parametrize("vector", VECTORS)
def test_sanitize_alone_neutralises_each_vector_and_is_stable(vector: str) -> None:
    once = sanitize(f"<p>{STORY}</p>{vector}")
    _assert_inert(once, vector)
    assert sanitize(once) == once
