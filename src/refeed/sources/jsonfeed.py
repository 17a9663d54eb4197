"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read into a Listing.

feedparser 6 reads RSS and Atom only, so JSON feeds are read here, field by field as the
specification names them, 1.0's ``author`` and 1.1's ``authors`` alike. A document that is
not a JSON object with a JSON Feed ``version`` is a :class:`~refeed.errors.ParseError`.
"""

from __future__ import annotations

import json
from typing import Any

from refeed.errors import ParseError
from refeed.models import Enclosure, Entry, Listing
from refeed.sources.dates import iso_date
from refeed.sources.text import language_tag, number, paragraphs, person, plain, words
from refeed.urls import absolute_web_url, canonical_url

VERSION_PREFIX = "https://jsonfeed.org/version/"


def looks_like_json(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def parse_json_feed(text: str, url: str, limit: int | None = None) -> Listing:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"not a JSON feed: {exc}", url=url) from None
    except RecursionError:  # [[[[...]]]] nested deeper than Python's stack
        raise ParseError("not a JSON feed: nested too deeply", url=url) from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(VERSION_PREFIX):
        raise ParseError("not a JSON feed: no JSON Feed version", url=url)
    entries: list[Entry] = []
    dropped = 0
    items = doc.get("items")
    for raw in items if isinstance(items, list) else []:
        if limit is not None and len(entries) >= limit:
            break
        entry = _entry(raw, url, _authors(doc)) if isinstance(raw, dict) else None
        if entry is None:
            dropped += 1
        else:
            entries.append(entry)
    return Listing(
        title=plain(_str(doc.get("title")), markup=False),
        link=absolute_web_url(url, _str(doc.get("home_page_url"))),
        entries=tuple(entries),
        language=language_tag(_str(doc.get("language"))),
        image=absolute_web_url(url, _str(doc.get("icon")) or _str(doc.get("favicon"))),
        dropped=dropped,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _authors(doc: dict[str, Any]) -> str | None:
    authors = doc.get("authors")
    if not isinstance(authors, list):
        authors = [doc.get("author")]
    names = [person(_str(a.get("name"))) for a in authors if isinstance(a, dict)]
    return ", ".join(n for n in names if n) or None


def _entry(raw: dict[str, Any], base: str, feed_author: str | None) -> Entry | None:
    guid = raw.get("id")
    guid = str(guid).strip() if isinstance(guid, (str, int)) and str(guid).strip() else ""
    link = absolute_web_url(base, _str(raw.get("url")) or _str(raw.get("external_url")))
    content = _str(raw.get("content_html"))
    if content is None and _str(raw.get("content_text")):
        content = paragraphs(raw["content_text"])
    summary = _str(raw.get("summary"))
    if link is None and guid and absolute_web_url(base, guid) == guid:
        link = guid
    if link is None and not (content or summary):
        return None
    attachments = raw.get("attachments")
    enclosures = tuple(
        Enclosure(url=href, type=_str(a.get("mime_type")), length=number(a.get("size_in_bytes")))
        for a in (attachments if isinstance(attachments, list) else [])
        if isinstance(a, dict) and (href := absolute_web_url(base, _str(a.get("url"))))
    )
    tags = raw.get("tags")
    return Entry(
        url=canonical_url(link) if link else "",
        guid=guid,
        title=plain(_str(raw.get("title")), markup=False),
        summary=summary,
        content=content,
        author=_authors(raw) or feed_author,
        published=iso_date(raw.get("date_published")),
        updated=iso_date(raw.get("date_modified")),
        enclosures=enclosures,
        categories=words(tags if isinstance(tags, list) else []),
        image=absolute_web_url(base, _str(raw.get("image")) or _str(raw.get("banner_image"))),
    )
