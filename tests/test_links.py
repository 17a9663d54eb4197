"""Every URL that leaves refeed passes one scheme check: no javascript:, data: or vbscript:
link reaches a feed, the OPML list or the index page, however it is spelled."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
import re
from pathlib import Path
from xml.sax.saxutils import escape

import httpx
import lxml.html
import pytest
from lxml import etree

from conftest import Site, loopback_config, serving
from refeed.config import SourceConfig
from refeed.cycle import run_cycle
from refeed.metrics import Metrics
from refeed.urls import absolute_web_url, web_url

# as a browser would still run them: case, controls and spaces around, tabs and newlines
# inside the scheme, entities the XML parser decodes, entities left as text
SPELLINGS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "\x01javascript:alert(1)",
    "\x1f javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "jav\rascript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript&#x3A;alert(1)",
    "&amp;#106;avascript:alert(1)",
    "javascript://%0aalert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,&lt;script&gt;alert(1)&lt;/script&gt;",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
]
STORY = "The ferry timetable changes next month, the harbour board said on Tuesday. " * 6
_C0_OR_SPACE = "".join(map(chr, range(0x21)))


def _scheme(url: str) -> str | None:
    """The scheme a browser would see in *url* (entities decoded once more, for good measure)."""
    for value in (url, html.unescape(url)):
        clean = re.sub("[\t\n\r]", "", value.strip(_C0_OR_SPACE)).lower()
        match = re.match(r"([a-z][a-z0-9+.-]*):", clean)
        if match and match.group(1) not in ("http", "https", "tag", "urn"):
            return match.group(1)
    return None


def _urls_in_xml(data: bytes) -> list[str]:
    root = etree.fromstring(data)
    urls = [v for el in root.iter() for k, v in el.attrib.items() if k in ("href", "htmlUrl")]
    urls += [el.text or "" for el in root.iter("link", "{*}link") if el.text]
    return urls


def _urls_in_json(doc: object) -> list[str]:
    if isinstance(doc, dict):
        found = [
            v for k, v in doc.items() if isinstance(v, str) and (k.endswith("url") or k == "image")
        ]
        return found + [u for v in doc.values() for u in _urls_in_json(v)]
    if isinstance(doc, list):
        return [u for v in doc for u in _urls_in_json(v)]
    return []


@pytest.mark.parametrize("spelling", SPELLINGS, ids=range(len(SPELLINGS)))
def test_the_scheme_check_refuses_every_spelling(spelling: str) -> None:
    raw = html.unescape(spelling)
    assert web_url(raw) is None and web_url(spelling) is None
    resolved = absolute_web_url("https://example.org/a/", raw)
    # refused, or (entities left as text) a harmless path under the page's own address
    assert resolved is None or resolved.startswith("https://example.org/a/")


def test_the_scheme_check_keeps_web_urls_and_gives_what_it_checked() -> None:
    assert web_url(" https://example.org/a?b#c\n") == "https://example.org/a?b#c"
    assert web_url("HTTP://EXAMPLE.ORG/") == "HTTP://EXAMPLE.ORG/"
    assert web_url("ht\ttps://example.org/") == "https://example.org/"
    assert absolute_web_url("https://example.org/a/", "b.html") == "https://example.org/a/b.html"
    for bad in ("http:no-host", "//example.org/x", "/relative", "http://[::1", "mailto:a@b"):
        assert web_url(bad) is None, bad


def test_no_active_link_reaches_any_feed_the_opml_or_the_index(site: Site, tmp_path: Path) -> None:
    sources = []
    for n, spelling in enumerate(SPELLINGS):
        page = site.add(
            f"a{n}.html",
            f'<html><head><title>Story {n}</title><meta property="og:image" '
            f'content="{spelling}"></head><body><article><p>{STORY}</p></article></body></html>',
        )
        feed = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {n}</title><link>{spelling}</link><description>d</description>"
            f"<item><title>Story {n}</title><link>{escape(page)}</link>"
            "<description>Teaser.</description></item></channel></rss>"
        )
        url = site.add(f"f{n}.xml", feed.encode("utf-8"), content_type="application/rss+xml")
        sources.append(SourceConfig(name=f"s{n}", feed=url))
    config = loopback_config(tmp_path, *sources, base_url="https://feeds.example.org/")
    results = asyncio.run(run_cycle(config))
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    feeds = tmp_path / "feeds"
    checked = 0
    for path in sorted(feeds.iterdir()):
        data = path.read_bytes()
        urls = _urls_in_json(json.loads(data)) if path.suffix == ".json" else _urls_in_xml(data)
        for url in urls:
            assert _scheme(url) is None, f"{path.name}: {url!r}"
            checked += 1
    assert checked > 3 * len(SPELLINGS)
    with serving(config, Metrics()) as served:
        page = httpx.get(served.url("/")).text
    root = lxml.html.document_fromstring(page)
    for element in root.iter():
        for name in ("href", "src", "action"):
            value = element.get(name)
            assert value is None or _scheme(value) is None, f"index: {name}={value!r}"


def test_the_index_runs_nothing_and_uses_only_its_own_stylesheet(tmp_path: Path) -> None:
    with serving(loopback_config(tmp_path), Metrics()) as served:
        response = httpx.get(served.url("/"))
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "unsafe" not in policy
    assert "script-src" not in policy  # scripts fall back to default-src 'none'
    style = re.search(r"<style>(.*?)</style>", response.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_answer_has_a_policy_that_runs_nothing(tmp_path: Path) -> None:
    with serving(loopback_config(tmp_path), Metrics()) as served:
        for path in ("/healthz", "/metrics", "/nothing.atom", "/index.opml"):
            response = httpx.get(served.url(path))
            assert "default-src 'none'" in response.headers["content-security-policy"], path


def test_no_active_link_of_a_json_feed_source_is_published(site: Site, tmp_path: Path) -> None:
    items = [
        {"id": f"i{n}", "url": spelling, "title": f"Item {n}", "image": spelling,
         "content_html": f"<p>{STORY}</p>", "attachments": [{"url": spelling, "mime_type": "audio/mpeg"}],
         "external_url": spelling}
        for n, spelling in enumerate(html.unescape(s) for s in SPELLINGS)
    ]  # fmt: skip
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "home_page_url": "javascript:alert(1)",
           "icon": "data:image/png;base64,AAAA", "items": items}  # fmt: skip
    feed = site.add("feed.json", json.dumps(doc), content_type="application/feed+json")
    config = loopback_config(tmp_path, SourceConfig(name="j", feed=feed, fetch_pages=False))
    [result] = asyncio.run(run_cycle(config))
    assert result.ok, result.error
    for path in (tmp_path / "feeds").iterdir():
        data = path.read_bytes()
        urls = _urls_in_json(json.loads(data)) if path.suffix == ".json" else _urls_in_xml(data)
        assert all(_scheme(url) is None for url in urls), (path.name, urls)


def test_a_json_feed_nested_too_deeply_is_a_clean_error(site: Site, tmp_path: Path) -> None:
    feed = site.add("deep.json", "[" * 200_000 + "]" * 200_000, content_type="application/json")
    config = loopback_config(tmp_path, SourceConfig(name="deep", feed=feed))
    [result] = asyncio.run(run_cycle(config))
    assert result.error is not None and "not a JSON feed" in result.error
    assert "internal error" not in result.error


# -- the story's links: absolute, against the page's <base href> when it has one ----------

_PROSE = (
    "<p>The harbour authority confirmed on Tuesday that the northern quay will be rebuilt "
    "over the next three years, at a cost of forty million euros, officials said.</p>"
) * 4


def _page_with(head: str, story: str) -> bytes:
    return (
        f"<html><head><title>Quay</title>{head}</head><body><article><h1>Quay</h1>"
        f"{_PROSE}{story}{_PROSE}</article></body></html>"
    ).encode()


def _story_links(body: bytes, url: str) -> list[tuple[str, str, str]]:
    from refeed.article import process

    content = lxml.html.fragment_fromstring(process(body, url=url).html, create_parent="div")
    return [
        (el.tag, name, el.get(name, ""))
        for el in content.iter("a", "img")
        for name in ("href", "src", "srcset")
        if el.get(name) is not None
    ]


def test_links_resolve_against_the_pages_base_href() -> None:
    body = _page_with(
        '<base href="/archive/2026/">',
        '<p>The <a href="report.html">full report</a> is online. '
        '<img src="quay.jpg" alt="The quay"></p>',
    )
    links = _story_links(body, "https://paper.example/news/quay.html")
    assert ("a", "href", "https://paper.example/archive/2026/report.html") in links
    assert ("img", "src", "https://paper.example/archive/2026/quay.jpg") in links


def test_every_address_of_a_srcset_is_made_absolute() -> None:
    body = _page_with(
        "",
        '<figure><img src="/img/quay.jpg" srcset="/img/quay-2x.jpg 2x, quay-3x.jpg 3x" '
        'alt="The quay"></figure>',
    )
    links = _story_links(body, "https://paper.example/news/quay.html")
    assert (
        "img",
        "srcset",
        "https://paper.example/img/quay-2x.jpg 2x, https://paper.example/news/quay-3x.jpg 3x",
    ) in links


def test_a_link_that_cannot_be_resolved_is_dropped_not_published_relative() -> None:
    body = _page_with("", '<p>See <a href="http://[broken/x.html">the broken link</a> here.</p>')
    links = _story_links(body, "https://paper.example/news/quay.html")
    assert not [link for link in links if "broken" in link[2]]


def test_a_feeds_html_with_unreadable_links_is_cleaned_not_a_crash() -> None:
    from refeed.article import process_html_fragment

    fragment = "".join(
        f'<li><a href="{href}">Another story {i}</a></li>'
        for i, href in enumerate(("http://[x/a-b-c", "//[y/d-e-f", "https://]z/g-h-i"))
    )
    article = process_html_fragment(f"<ul>{fragment}</ul><p>The story itself.</p>")
    assert "The story itself." in article.text
    assert "href" not in article.html  # no unreadable link is published
