"""Find a source's items: entries of a feed, or article links on a listing page.

Input is a :class:`~refeed.models.Response` (bytes and where they came from);
output is a :class:`~refeed.models.Listing`. No network here, so every parser
is tested on bytes.
"""

from __future__ import annotations

import calendar
import contextlib
import html
import io
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
from lxml import etree

from refeed.decode import decode
from refeed.dom import parse_html
from refeed.errors import ParseError
from refeed.models import Entry, Listing, Response
from refeed.urls import absolute_web_url, canonical_url, site_of

_WORD = re.compile(r"\w+")
_NOT_ARTICLE_PATH = re.compile(
    r"/(tag|tags|category|categories|rubric|author|authors|search|login|about|contact|"
    r"privacy|terms|page|feed|rss)(/|$)",
    re.IGNORECASE,
)
_CHROME = ("nav", "header", "footer", "aside", "form")


def parse_feed(response: Response, limit: int | None = None) -> Listing:
    """Read an RSS, Atom or JSON feed with feedparser.

    A feed that is broken but readable (feedparser's ``bozo``) is accepted; one
    that yields no channel and no entries is a :class:`ParseError`. The bytes go in
    as a file object: feedparser treats a bare string or bytes as a file name (and a
    ``str`` as a URL to fetch) before it treats it as a document, so a body that is
    a path would be read from this machine's disk. At most *limit* entries are kept,
    and feedparser is given only the first few times that many (:func:`first_entries`).
    """
    headers = {"content-location": response.url}
    if response.content_type:
        headers["content-type"] = response.content_type
    body = response.body if limit is None else first_entries(response.body, 4 * limit + 50)
    try:
        parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False)
    except Exception as exc:  # feedparser's loose parser can trip on hostile bytes
        raise ParseError(f"not a feed: {type(exc).__name__}: {exc}", url=response.url) from exc
    channel = parsed.get("feed", {})
    if not parsed.entries and not channel.get("title"):
        cause = parsed.get("bozo_exception")
        reason = f": {cause}" if cause else ""
        raise ParseError(f"not a feed{reason}", url=response.url)
    entries: list[Entry] = []
    seen: set[str] = set()
    for raw in parsed.entries:
        if limit is not None and len(entries) >= limit:
            break
        entry = _feed_entry(raw, response.url)
        if entry is None or entry.url in seen or entry.guid in seen:
            continue
        seen.update((entry.url, entry.guid))
        entries.append(entry)
    link = channel.get("link")
    return Listing(
        title=_text(channel.get("title")),
        link=absolute_web_url(response.url, link),
        entries=tuple(entries),
        language=channel.get("language") or None,
    )


_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")
_XML_ROOT = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF))[\s>]")
_ROOT_SCAN = 4096  # bytes looked at for the root element, after a declaration and comments


def first_entries(body: bytes, keep: int) -> bytes:
    """An XML feed cut after its first *keep* entries, its open elements closed again.

    Only the first entries of a feed are taken (``max_items``), but feedparser builds them
    all: 162,000 tiny items took it 9 s and 180 MB. A feed refeed cannot cut safely (not
    RSS or Atom in an ASCII-compatible encoding, or with fewer entries) comes back whole.
    """
    root = _XML_ROOT.search(body, 0, _ROOT_SCAN)
    if root is None:
        return body
    end = None
    for count, match in enumerate(_ENTRY_END.finditer(body, root.end()), start=1):
        if count == keep:
            end = match.end()
            break
    if end is None or end >= len(body) - 64:
        return body
    name, kind = root.group(1), root.group(2)
    closing = b"</channel>" if kind == b"rss" else b""  # RSS 2.0 items sit in the channel
    return body[:end] + closing + b"</" + name + b">"


def _feed_entry(raw: Any, base: str) -> Entry | None:
    link = raw.get("link") or _first_alternate(raw)
    if not link:
        return None
    absolute = absolute_web_url(base, link)
    if absolute is None:
        return None
    url = canonical_url(absolute)
    content = None
    if raw.get("content"):
        content = max((c.get("value") or "" for c in raw.content), key=len) or None
    full_text = raw.get("yandex_full-text")  # Yandex News feeds: the story as plain text
    if isinstance(full_text, str) and len(full_text) > len(content or ""):
        content = _paragraphs(full_text)
    return Entry(
        url=url,
        guid=(raw.get("id") or url).strip(),
        title=_text(raw.get("title")),
        summary=raw.get("summary") or None,
        content=content,
        author=_text(raw.get("author")),
        published=_date(dict.get(raw, "published_parsed")),
        updated=_date(dict.get(raw, "updated_parsed")),
    )


def _paragraphs(text: str) -> str:
    """Plain text as HTML, a paragraph per line."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)


def _first_alternate(raw: Any) -> str | None:
    for link in raw.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def _date(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _text(value: str | None) -> str | None:
    if not value:
        return None
    if "<" in value or "&" in value:
        with contextlib.suppress(etree.ParserError, ValueError):
            value = lxml.html.fragment_fromstring(value, create_parent="div").text_content()
    value = " ".join(value.split())
    return value or None


def parse_listing(
    response: Response, links: str | None = None, limit: int | None = None
) -> Listing:
    """Find article links on a listing page, by CSS selector or automatically.

    Automatic: same-site links outside the page chrome (nav, header, footer,
    aside) whose text looks like a headline (several words) and whose path does
    not look like a section, tag or service page. At most *limit* entries are kept.
    """
    decoded = decode(response.body, response.content_type)
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
        entries.append(Entry(url=url, guid=url, title=_text(anchor.text_content())))
    title = root.findtext(".//title")
    return Listing(
        title=_text(title),
        link=base,
        entries=tuple(entries),
        language=root.get("lang") or None,
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
