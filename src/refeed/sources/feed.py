"""Read a feed: RSS and Atom with feedparser, JSON Feed with :mod:`refeed.sources.jsonfeed`.

The bytes are decoded first by refeed's own decoder (:mod:`refeed.decode`: BOM, the HTTP
charset, the XML declaration, then detection), so that an undeclared windows-1251 feed is
read as such and not as feedparser's guess; feedparser then gets UTF-8. It gets them as a
file object: it treats a bare string or bytes as a file name (and a ``str`` as a URL to
fetch) before it treats it as a document, so a body that is a path would be read from
this machine's disk. It is not told where the feed came from, so the ids the feed writes
are kept as it writes them (resolving a relative id against the source's URL would give
every item a new id when the source moves); links are made absolute here.
"""

from __future__ import annotations

import io
import re
from typing import Any

import feedparser

from refeed.decode import decode
from refeed.errors import ParseError
from refeed.models import Enclosure, Entry, Listing, Response
from refeed.sources import dates
from refeed.sources.discover import feed_links, looks_like_html, page_title
from refeed.sources.jsonfeed import looks_like_json, parse_json_feed
from refeed.sources.text import from_struct, language_tag, number, paragraphs, person, plain, words
from refeed.urls import absolute_web_url, canonical_url

dates.register()

_XML_ENCODING = re.compile(r"""^(\s*<\?xml\s[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")
_IMAGE_TYPES = ("image/",)


def parse_feed(response: Response, limit: int | None = None) -> Listing:
    """Read an RSS, Atom or JSON feed.

    A feed that is broken but readable (feedparser's ``bozo``) is accepted, and so is an
    empty one (an RSS or Atom document without entries yet); a document feedparser cannot
    tell the kind of, with no channel title and no entries, is a :class:`ParseError`. At most *limit* entries are kept,
    and feedparser is given only the first few times that many (:func:`first_entries`).
    An HTML page is a :class:`ParseError` that names the feed the page links, if any.
    """
    decoded = decode(response.body, response.content_type)
    if looks_like_json(response.body) or "json" in (response.content_type or "").lower():
        return parse_json_feed(decoded.text, response.url, limit)
    if looks_like_html(decoded.text, response.content_type):
        raise ParseError(_page_not_feed(decoded.text, response.url), url=response.url)
    text = _XML_ENCODING.sub(r"\1\2utf-8\2", decoded.text, count=1)
    body = text.encode("utf-8")
    if limit is not None:
        body = first_entries(body, 4 * limit + 50)
    try:
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers={"content-type": "application/xml; charset=utf-8"},
            sanitize_html=False,  # refeed sanitises; relative links resolve by xml:base only
        )
    except Exception as exc:  # feedparser's loose parser can trip on hostile bytes
        raise ParseError(f"not a feed: {type(exc).__name__}: {exc}", url=response.url) from exc
    channel = parsed.get("feed", {})
    if not parsed.entries and not channel.get("title") and not parsed.get("version"):
        cause = parsed.get("bozo_exception")
        reason = f": {cause}" if cause else ""
        raise ParseError(f"not a feed{reason}", url=response.url)
    entries: list[Entry] = []
    dropped = 0
    for raw in parsed.entries:
        if limit is not None and len(entries) >= limit:
            break
        entry = _entry(raw, response.url)
        if entry is None:
            dropped += 1
        else:
            entries.append(entry)
    image = channel.get("image")
    return Listing(
        title=plain(channel.get("title"), markup=_is_html(channel.get("title_detail"))),
        link=absolute_web_url(response.url, channel.get("link")),
        entries=tuple(entries),
        language=language_tag(channel.get("language")),
        image=absolute_web_url(
            response.url,
            (image.get("href") if isinstance(image, dict) else None)
            or channel.get("logo")
            or channel.get("icon"),
        ),
        dropped=dropped,
    )


def _page_not_feed(text: str, url: str) -> str:
    """What to do about a ``feed:`` URL that answers with an HTML page: the feed it links,
    if it links one."""
    links = feed_links(text, url)
    if links:
        return f"an HTML page, not a feed; its feed is {links[0]}: use that as feed:"
    title = page_title(text)  # an error or login page says so there
    return (
        f"an HTML page{f' ({title!r})' if title else ''}, not a feed, and it links no feed:"
        " give the feed's own URL as feed:, or use page: to take the article links on it"
    )


def _is_html(detail: Any) -> bool:
    """Whether feedparser says a text construct is HTML (RSS titles are, Atom's by type)."""
    kind = detail.get("type") if isinstance(detail, dict) else None
    return kind is None or "html" in str(kind)


def _entry(raw: Any, base: str) -> Entry | None:
    """One entry, or None when it has neither a link nor content of its own."""
    guid = str(raw.get("id") or "").strip()
    link = absolute_web_url(base, raw.get("link") or _first_alternate(raw))
    if link is None and guid:
        link = absolute_web_url(base, guid) if guid.startswith(("http:", "https:")) else None
    content = None
    if raw.get("content"):
        content = max((c.get("value") or "" for c in raw.content), key=len) or None
    full_text = raw.get("yandex_full-text")  # Yandex News feeds: the story as plain text
    if isinstance(full_text, str) and len(full_text) > len(content or ""):
        content = paragraphs(full_text)
    summary = raw.get("summary") or None
    if link is None and not (content or summary):
        return None
    # the author as the feed wrote it: feedparser's own split of an RSS "jo@x.org (Jo
    # Smith)" can go wrong ("ple (Jo Smith"); its name of an Atom author is right
    detail = raw.get("author_detail")
    written = raw.get("author")
    name = detail.get("name") if isinstance(detail, dict) else None
    author = person(name) if name and written and "@" not in written else person(written)
    return Entry(
        url=canonical_url(link) if link else "",
        guid=guid,
        title=plain(raw.get("title"), markup=_is_html(raw.get("title_detail"))),
        summary=summary,
        content=content,
        author=author,
        published=from_struct(dict.get(raw, "published_parsed")),
        updated=from_struct(dict.get(raw, "updated_parsed")),
        enclosures=_enclosures(raw, base),
        categories=words([t.get("label") or t.get("term") for t in raw.get("tags") or []]),
        comments=absolute_web_url(base, raw.get("comments")),
        image=_image(raw, base),
    )


def _first_alternate(raw: Any) -> str | None:
    for link in raw.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def _enclosures(raw: Any, base: str) -> tuple[Enclosure, ...]:
    """Enclosures and media:content that is not a picture (a podcast's audio, a video)."""
    found: dict[str, Enclosure] = {}
    candidates = [
        (e.get("href") or e.get("url"), e.get("type"), e.get("length"))
        for e in raw.get("enclosures") or []
    ] + [
        (m.get("url"), m.get("type"), m.get("filesize") or m.get("fileSize"))
        for m in raw.get("media_content") or []
        if m.get("medium") in ("audio", "video")
        or str(m.get("type", "")).startswith(("audio/", "video/"))
    ]
    for href, kind, length in candidates:
        url = absolute_web_url(base, href)
        if url and url not in found:
            found[url] = Enclosure(url=url, type=kind or None, length=number(length) or None)
    return tuple(found.values())


def _image(raw: Any, base: str) -> str | None:
    """The entry's picture: media:thumbnail, an image media:content, an image enclosure,
    itunes:image."""
    candidates = [t.get("url") for t in raw.get("media_thumbnail") or []]
    candidates += [
        m.get("url")
        for m in raw.get("media_content") or []
        if m.get("medium") == "image" or str(m.get("type", "")).startswith(_IMAGE_TYPES)
    ]
    candidates += [
        e.get("href")
        for e in raw.get("enclosures") or []
        if str(e.get("type", "")).startswith(_IMAGE_TYPES)
    ]
    image = raw.get("image")
    if isinstance(image, dict):
        candidates.append(image.get("href"))
    for candidate in candidates:
        url = absolute_web_url(base, candidate)
        if url:
            return url
    return None


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
