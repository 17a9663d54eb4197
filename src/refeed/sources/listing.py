"""Find article links on a listing page (a site without a feed), by CSS selector or
automatically."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html

from refeed.decode import decode
from refeed.dom import parse_html
from refeed.errors import ParseError
from refeed.models import Entry, Listing, Response
from refeed.sources.discover import feed_kind
from refeed.sources.text import language_tag, plain
from refeed.urls import absolute_web_url, canonical_url, site_of

_WORD = re.compile(r"\w+")
_NOT_ARTICLE_PATH = re.compile(
    r"/(tag|tags|category|categories|rubric|author|authors|search|login|about|contact|"
    r"privacy|terms|page|feed|rss)(/|$)",
    re.IGNORECASE,
)
_CHROME = ("nav", "header", "footer", "aside", "form")


def parse_listing(
    response: Response, links: str | None = None, limit: int | None = None
) -> Listing:
    """Find article links on a listing page, by CSS selector or automatically.

    Automatic: same-site links outside the page chrome (nav, header, footer,
    aside) whose text looks like a headline (several words) and whose path does
    not look like a section, tag or service page. At most *limit* entries are kept.
    A feed is a :class:`ParseError` saying to use ``feed:``.
    """
    decoded = decode(response.body, response.content_type)
    kind = feed_kind(decoded.text)
    if kind is not None:
        raise ParseError(
            f"a feed ({kind}), not a listing page: use feed: instead of page:", url=response.url
        )
    try:
        root = parse_html(decoded.text)
    except ParseError as exc:
        raise ParseError(exc.message, url=response.url) from exc
    base = response.url
    anchors = _selected_anchors(root, links) if links else _headline_anchors(root, base)
    entries: list[Entry] = []
    seen: set[str] = set()
    for anchor in anchors:
        if limit is not None and len(entries) >= limit:
            break
        href = anchor.get("href")
        if not href:
            continue
        absolute = absolute_web_url(base, href)
        if absolute is None:
            continue
        url = canonical_url(absolute)
        if url in seen or url == base:
            continue
        seen.add(url)
        entries.append(Entry(url=url, guid=url, title=plain(anchor.text_content(), markup=False)))
    title = root.findtext(".//title")
    return Listing(
        title=plain(title, markup=False),
        link=base,
        entries=tuple(entries),
        language=language_tag(root.get("lang")),
    )


def _selected_anchors(root: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    found = []
    for element in root.cssselect(selector):
        if element.tag == "a":
            found.append(element)
        else:
            found.extend(list(element.iter("a"))[:1])
    return found


def _headline_anchors(root: lxml.html.HtmlElement, base: str) -> list[lxml.html.HtmlElement]:
    site = site_of(base)
    found = []
    for anchor in root.iter("a"):
        href = anchor.get("href")
        url = absolute_web_url(base, href) if href and not href.startswith("#") else None
        if url is None:
            continue
        parts = urlsplit(url)
        if site_of(url) != site or parts.path in ("", "/") or _NOT_ARTICLE_PATH.search(parts.path):
            continue
        if any(a.tag in _CHROME for a in anchor.iterancestors()):
            continue
        words = _WORD.findall(anchor.text_content())
        if len(words) >= 4 or sum(map(len, words)) >= 25:
            found.append(anchor)
    return found
