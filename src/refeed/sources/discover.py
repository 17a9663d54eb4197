"""What a document is, and where a site's feed is: feed autodiscovery, on text only.

A browser (and a feed reader given a site's address) finds a site's feeds by the
``<link rel="alternate" type="application/rss+xml" href="...">`` elements of its pages;
sites that have a feed but do not say so mostly keep it at one of a few paths (``/feed``,
``/rss``, ``/atom.xml``, ...) or link it in the page ("RSS" in the footer).
:func:`feed_links` reads the first, :func:`guessed_feed_urls` and :func:`feed_anchors`
list the others; ``refeed add`` tries them through :mod:`refeed.fetch`.
:func:`feed_kind` and :func:`looks_like_html` tell a feed from a page by its root element,
so that a ``feed:`` source answering with a page, or a ``page:`` source answering with a
feed, is told so by name (:mod:`refeed.sources.feed`, :mod:`refeed.sources.listing`).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from refeed.dom import page_base, parse_html
from refeed.errors import ParseError
from refeed.urls import absolute_web_url, canonical_url

# the media types of <link rel="alternate"> that name a feed
FEED_TYPES = frozenset(
    [
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/x-rss+xml",
        "application/x-atom+xml",
        "application/rdf+xml",  # RSS 1.0; other RDF is told apart when it is fetched
    ]
)
# where sites keep a feed they do not link, tried in this order
COMMON_PATHS = ("feed", "rss", "feed.xml", "atom.xml", "index.xml", "rss.xml", "feed.json")
_BESIDE = COMMON_PATHS[:3]  # tried beside a page below the site's root, before the root's

_SCAN = 8192  # characters looked at for the root element (after a declaration, comments)
_PROLOG = re.compile(
    r"\A\ufeff?\s*(?:(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)\s*)*",
    re.DOTALL | re.IGNORECASE,
)
_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_DOCTYPE_HTML = re.compile(r"<!DOCTYPE\s+html", re.IGNORECASE)
_FEED_ROOTS = {"rss": "RSS", "feed": "Atom", "rdf": "RSS 1.0"}
_HTML_ROOTS = frozenset(
    ["html", "head", "body", "meta", "title", "link", "script", "style", "div", "p", "table"]
)


def _root(text: str) -> tuple[str | None, str]:
    """The local name of the document's first element (lower case), and its prolog."""
    head = text[:_SCAN]
    prolog = _PROLOG.match(head)
    rest = head[prolog.end() :] if prolog else head
    match = _ROOT.match(rest)
    name = match.group(1).rpartition(":")[2].lower() if match else None
    return name, prolog.group(0) if prolog else ""


def feed_kind(text: str) -> str | None:
    """``"RSS"``, ``"Atom"``, ``"RSS 1.0"`` or ``"JSON Feed"`` when *text* is a feed
    document (by its root element, or a JSON Feed ``version``); else None."""
    stripped = text[:_SCAN].lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return "JSON Feed" if "jsonfeed.org/version/" in stripped else None
    name, _prolog = _root(text)
    return _FEED_ROOTS.get(name or "")


def looks_like_html(text: str, content_type: str | None = None) -> bool:
    """Whether *text* is an HTML page: an HTML doctype or root element, or served as
    ``text/html`` without a feed's root element."""
    if feed_kind(text) is not None:
        return False
    name, prolog = _root(text)
    if _DOCTYPE_HTML.search(prolog) or name in _HTML_ROOTS:
        return True
    media = (content_type or "").partition(";")[0].strip().lower()
    return media in ("text/html", "application/xhtml+xml") and name is not None


def feed_links(text: str, url: str) -> list[str]:
    """The feeds a page at *url* names with ``<link rel="alternate">``, absolute (against
    its ``<base href>`` if it has one), in the page's order, comment feeds last."""
    try:
        root = parse_html(text)
    except ParseError:
        return []
    base = page_base(root, url)
    found: list[tuple[bool, str]] = []
    seen: set[str] = set()
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        media = (link.get("type") or "").partition(";")[0].strip().lower()
        title = (link.get("title") or "").lower()
        href = absolute_web_url(base, link.get("href"))
        if "alternate" not in rel or "stylesheet" in rel or href is None:
            continue
        json_feed = media == "application/json" and ("feed" in title or href.endswith(".json"))
        if media not in FEED_TYPES and not json_feed:
            continue
        key = canonical_url(href)
        if key in seen:
            continue
        seen.add(key)
        found.append(("comment" in title or "comments" in href.lower(), href))
    return [href for _comments, href in sorted(found, key=lambda f: f[0])]


_FEED_HREF = re.compile(r"(?:^|[/._-])(?:rss|atom|feeds?)(?:[/._-]|$)|\.(?:rss|atom|rdf)$", re.I)
_FEED_TEXT = re.compile(r"^\W*(?:rss|atom|feed|rss[ -]feed|atom[ -]feed|web feed)\W*$", re.I)
_MAX_ANCHORS = 5


def feed_anchors(text: str, url: str) -> list[str]:
    """Same-site links of a page that look like its feed, for a site that links its
    feed only in the page (an "RSS" link in the footer): by their text (``RSS``,
    ``Atom``, ``Feed``) or their path (``/rss/``, ``/feed.xml``, ``news.rss``), at most
    five, in the page's order. Each is a guess, to be fetched and checked."""
    try:
        root = parse_html(text)
    except ParseError:
        return []
    site = urlsplit(url).hostname
    found: list[str] = []
    for anchor in root.iter("a"):
        href = absolute_web_url(url, anchor.get("href"))
        if href is None or urlsplit(href).hostname != site or href in found:
            continue
        path = urlsplit(href).path
        label = " ".join(anchor.text_content().split())
        if _FEED_TEXT.match(label) or _FEED_HREF.search(path):
            found.append(href)
            if len(found) == _MAX_ANCHORS:
                break
    return found


def page_title(text: str, limit: int = 80) -> str | None:
    """The ``<title>`` of a page, on one line and at most *limit* characters long."""
    try:
        title = parse_html(text).findtext(".//title")
    except ParseError:
        return None
    title = " ".join((title or "").split())
    if len(title) > limit:
        title = title[: limit - 3].rstrip() + "..."
    return title or None


def guessed_feed_urls(url: str) -> list[str]:
    """Where a site's unlinked feed may be: :data:`COMMON_PATHS` beside the page (for a
    page below the site's root, ``/news/`` gives ``/news/feed`` first), then at the root."""
    parts = urlsplit(url)
    folder = parts.path if parts.path.endswith("/") else parts.path.rpartition("/")[0] + "/"
    page = parts._replace(path=folder, query="", fragment="").geturl()
    root = parts._replace(path="/", query="", fragment="").geturl()
    tries = [(page, _BESIDE), (root, COMMON_PATHS)] if folder not in ("", "/") else []
    tries = tries or [(root, COMMON_PATHS)]
    found: list[str] = []
    for base, paths in tries:
        for path in paths:
            candidate = urljoin(base, path)
            if candidate not in found and candidate != url:
                found.append(candidate)
    return found
