"""Render feeds as Atom, RSS, JSON Feed and OPML, and write them to disk atomically.

This is the only module that writes feed files. Rendering is deterministic: the
dates in a feed come from its items, never from the clock, so the same channel and
items always give the same bytes. :func:`write_atomic` then leaves unchanged files
alone, keeping their mtime, so readers polling with If-Modified-Since see no change.

Every string goes through :func:`_clean` before it reaches feedgen, lxml or json:
characters XML 1.0 forbids (NUL and other control characters, U+FFFE/U+FFFF, lone
surrogates) are dropped, so hostile content can never make rendering fail. Every URL
goes through :func:`_link` (:func:`refeed.urls.web_url`): only http(s) URLs are
published, whatever the store holds.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from feedgen.feed import FeedGenerator
from lxml import etree
from lxml import html as lxml_html

from refeed import __version__, opml
from refeed.errors import PublishError
from refeed.files import fsync_dir, replace_file
from refeed.identity import published_id
from refeed.models import FeedInfo, Item
from refeed.sanitize import sanitize
from refeed.sources.text import language_tag
from refeed.urls import public_link, web_url

FORMATS: Final = ("atom", "rss", "json")  # also the file suffixes: <name>.atom, ...
INDEX_NAME: Final = "index.opml"
INDEX_TITLE: Final = "refeed feeds"
JSON_FEED_VERSION: Final = "https://jsonfeed.org/version/1.1"
FILE_MODE: Final = 0o644

_HOME: Final = "https://github.com/refeed/refeed"
_MEDIA_TYPES: Final = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}
_ATOM_NS: Final = "http://www.w3.org/2005/Atom"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)  # the date of a feed without items
_NOT_XML: Final = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LOOKS_LIKE_HTML: Final = re.compile(r"<[a-zA-Z/!?]|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]\w*);")
_SPACES: Final = re.compile(r"\s+")


# -- text and dates -----------------------------------------------------------------


def _clean(text: str | None) -> str:
    """Return *text* without the characters XML 1.0 forbids; None gives ""."""
    return _NOT_XML.sub("", text) if text else ""


def _link(url: str | None) -> str | None:
    """*url* if it is an http(s) URL, else None: no javascript:, data: or vbscript: link;
    without the credentials a source's URL may carry (:func:`refeed.urls.public_url`)."""
    return public_link(_clean(url))


def _plain(text: str | None) -> str:
    """Return *text* as one line of plain text: tags dropped, entities decoded."""
    text = _clean(text)
    if _LOOKS_LIKE_HTML.search(text):
        try:
            root = lxml_html.fragment_fromstring(text, create_parent="div")
        except (etree.ParserError, ValueError):
            pass  # not parseable as HTML: keep the text as it is
        else:
            etree.strip_elements(root, "script", "style", with_tail=False)
            text = _clean(root.text_content())
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=256)
def _html(text: str | None) -> str:
    """HTML fit for a feed: sanitised again here, whatever the store holds (idempotent).

    Cached: each item's HTML goes into three formats, and into every cycle's feeds
    while it stays in them; sanitising is most of the time publishing takes.
    """
    text = _clean(text)
    return sanitize(text) if text else ""


def _is_html(text: str) -> bool:
    """Tell whether *text* (a summary, say) contains markup or entities."""
    return _LOOKS_LIKE_HTML.search(text) is not None


def _aware(when: datetime) -> datetime:
    """Return *when* with a time zone, reading a naive datetime as UTC."""
    return when.replace(tzinfo=UTC) if when.utcoffset() is None else when


def _published(item: Item) -> datetime:
    """The item's publication date: published, else first seen."""
    return _aware(item.published or item.first_seen)


def _updated(item: Item) -> datetime:
    """The item's last change: updated, else published, else first seen."""
    return _aware(item.updated or item.published or item.first_seen)


def _feed_updated(feed: FeedInfo, items: Sequence[Item]) -> datetime:
    """The feed's last change: the latest change of its items (never now()); a feed without
    items, the day refeed first read its source."""
    return max((_updated(item) for item in items), default=_aware(feed.since or _EPOCH))


def _feed_published(feed: FeedInfo, items: Sequence[Item]) -> datetime:
    """The feed's publication date: the latest publication date of its items."""
    return max((_published(item) for item in items), default=_aware(feed.since or _EPOCH))


def _distinct_updates(items: Sequence[Item]) -> list[datetime]:
    """Each item's last change; items of one instant set a microsecond apart, in order,
    since two Atom entries with one ``<updated>`` look like one entry twice."""
    seen: set[datetime] = set()
    out = []
    for item in items:
        when = _updated(item)
        while when in seen:
            when -= timedelta(microseconds=1)
        seen.add(when)
        out.append(when)
    return out


def render_key(feed: FeedInfo, formats: Sequence[str], choice: object = ()) -> str:
    """What a feed's files are rendered with besides its items: when it changes (a title
    or base_url edited in the config, its item filters (*choice*), a new refeed), the
    files are rendered again."""
    raw = repr((__version__, feed, tuple(formats), choice))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# -- names and URLs -----------------------------------------------------------------


def _file_name(feed: FeedInfo | str, fmt: str) -> str:
    """The file name of one format of *feed* (or of the feed so named), e.g. ``news.atom``."""
    return f"{feed if isinstance(feed, str) else feed.name}.{fmt}"


def _feed_url(feed: FeedInfo, fmt: str) -> str | None:
    """The public URL of one format of *feed*, or None when ``self_base`` is not set."""
    if not feed.self_base:
        return None
    base = _clean(feed.self_base)
    if not base.endswith("/"):
        base += "/"
    return base + quote(_clean(_file_name(feed, fmt)))


def _atom_id(feed: FeedInfo) -> str:
    """A permanent id for *feed*: its Atom URL, else a tag: URI from its name."""
    return _feed_url(feed, "atom") or f"tag:refeed,2024:{quote(_clean(feed.name), safe='')}"


def _line(text: str | None) -> str:
    """A stored plain value (a title, a name, a category) as one clean line: never parsed
    as markup, so a title about the ``<template>`` element keeps it."""
    return _SPACES.sub(" ", _clean(text)).strip()


def _feed_title(feed: FeedInfo) -> str:
    return _line(feed.title) or _clean(feed.name) or "refeed"


def _item_title(item: Item) -> str:
    return _line(item.title) or _clean(item.url) or "untitled"


def _item_id(item: Item) -> str:
    """The item's id in every format: its guid when that is a URI (a URL one without
    credentials), else a urn:uuid of its source and key (:mod:`refeed.identity`)."""
    guid = _clean(item.guid)
    if web_url(guid) is not None:
        guid = _link(guid) or ""
    return published_id(_clean(item.source), _clean(item.identity), guid)


def _language(value: str | None) -> str | None:
    return language_tag(_clean(value))


def _text_content(item: Item) -> str:
    """What an item says when it carries no HTML at all: its summary, else its title."""
    return _plain(item.summary) or _item_title(item)


def _check_formats(formats: Sequence[str]) -> None:
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise ValueError(f"unknown feed format(s) {unknown}; known: {', '.join(FORMATS)}")


# -- Atom and RSS (feedgen) ---------------------------------------------------------


def _generator(feed: FeedInfo, items: Sequence[Item], fmt: str) -> Any:
    """A FeedGenerator with the channel of *feed* set up for *fmt* ("atom" or "rss")."""
    fg = FeedGenerator()
    fg.generator("refeed", version=__version__, uri=_HOME)
    fg.id(_atom_id(feed))
    fg.title(_feed_title(feed))
    # feedgen's RSS channel <link> is the last link added: self first, alternate last.
    self_url = _feed_url(feed, fmt)
    if self_url:
        fg.link(href=self_url, rel="self", type=_MEDIA_TYPES[fmt])
    hub = _link(feed.hub)
    if hub and fmt == "atom":
        fg.link(href=hub, rel="hub")
    fg.link(href=_link(feed.link) or self_url or _atom_id(feed), rel="alternate")
    description = _plain(feed.description)
    if description:
        fg.description(description)
    elif fmt == "rss":  # required in RSS
        fg.description(_feed_title(feed))
    language = _language(feed.language)
    if language:
        fg.language(language)
    fg.updated(_feed_updated(feed, items))
    fg.lastBuildDate(_feed_updated(feed, items))
    image = _link(feed.image)
    if fmt == "atom":
        if any(not _line(item.author) for item in items):
            fg.author(name=_feed_title(feed))  # what an entry without its own author has
        if image:
            fg.logo(image)
    else:
        fg.pubDate(_feed_published(feed, items))
        fg.load_extension("dc", atom=False, rss=True)
        if image:
            fg.image(url=image, title=_feed_title(feed), link=_link(feed.link) or self_url)
    if any(_link(item.image) for item in items):
        fg.load_extension("media", atom=True, rss=True)
    return fg


def _media(entry: Any, item: Item) -> None:
    """The item's picture as media:thumbnail and media:content."""
    image = _link(item.image)
    if image:  # outside any media:group (a group wants several media:content)
        entry.media.thumbnail(url=image, group=None)
        entry.media.content(url=image, medium="image", group=None)


def _render(feed: FeedInfo, fmt: str, build: Callable[[], bytes]) -> bytes:
    """Run *build*, turning feedgen's ValueError into a PublishError."""
    try:
        return build()
    except ValueError as exc:
        raise PublishError(f"cannot render {_file_name(feed, fmt)}: {exc}") from exc


def render_atom(feed: FeedInfo, items: Sequence[Item]) -> bytes:
    """Render *feed* and its *items* (newest first, kept in that order) as Atom 1.0."""

    def build() -> bytes:
        fg = _generator(feed, items, "atom")
        # links besides the alternate one are added after feedgen, which writes an entry's
        # links without their rel, type and length (feedgen 1.0)
        extra_links: dict[str, list[dict[str, str]]] = {}
        for item, updated in zip(items, _distinct_updates(items), strict=True):
            entry = fg.add_entry(order="append")
            entry.id(_item_id(item))
            entry.title(_item_title(item))
            url = _link(item.url)
            if url:
                entry.link(href=url, rel="alternate")
            links = extra_links.setdefault(_item_id(item), [])
            for enclosure in item.enclosures:
                href = _link(enclosure.url)
                if href:
                    link = {"rel": "enclosure", "href": href}
                    if enclosure.type:
                        link["type"] = _clean(enclosure.type)
                    if enclosure.length:
                        link["length"] = str(enclosure.length)
                    links.append(link)
            comments = _link(item.comments)
            if comments:
                links.append({"rel": "replies", "type": "text/html", "href": comments})
            entry.published(_published(item))
            entry.updated(updated)
            author = _line(item.author)
            if author:
                entry.author(name=author)
            for category in item.categories:
                if _line(category):
                    entry.category(term=_line(category))
            content = _html(item.content_html)
            if content:
                entry.content(content, type="html")
            else:  # an entry without a link must say something
                entry.content(_text_content(item), type="text")
            summary = _clean(item.summary)
            if summary:  # as HTML always ("a &b" in a text summary looks like markup)
                entry.summary(
                    _html(summary) if _is_html(summary) else html.escape(summary, quote=False),
                    type="html",
                )
            if _link(item.image):
                _media(entry, item)
        data: bytes = fg.atom_str(pretty=True)
        return _with_links(data, extra_links) if any(extra_links.values()) else data

    return _render(feed, "atom", build)


def render_rss(feed: FeedInfo, items: Sequence[Item]) -> bytes:
    """Render *feed* and its *items* (newest first, kept in that order) as RSS 2.0.

    The full HTML goes both in ``content:encoded`` and in ``description``, since
    several readers only read the latter; the author goes in ``dc:creator``, as
    RSS's own ``author`` must be an e-mail address.
    """

    def build() -> bytes:
        fg = _generator(feed, items, "rss")
        for item in items:
            entry = fg.add_entry(order="append")
            guid, url = _item_id(item), _link(item.url)
            entry.guid(guid, permalink=guid == url)
            entry.title(_item_title(item))
            if url:
                entry.link(href=url, rel="alternate")
            # RSS has room for one enclosure, whose length it requires
            first = next((e for e in item.enclosures if _link(e.url)), None)
            if first is not None:
                entry.enclosure(
                    url=_link(first.url),
                    length=str(first.length or 0),
                    type=_clean(first.type) or "application/octet-stream",
                )
            entry.published(_published(item))
            entry.updated(_updated(item))
            author = _line(item.author)
            if author:
                entry.dc.dc_creator(author)
            for category in item.categories:
                if _line(category):
                    entry.category(term=_line(category))
            comments = _link(item.comments)
            if comments:
                entry.comments(comments)
            if _link(item.image):
                _media(entry, item)
            content = _html(item.content_html) or _html(item.summary)
            if content:
                entry.description(content)
                entry.content(content)
            else:
                entry.description(html.escape(_text_content(item), quote=False))
        data: bytes = _hex_references(fg.rss_str(pretty=True))
        hub = _link(feed.hub)
        return _with_rss_hub(data, hub) if hub else data

    return _render(feed, "rss", build)


_PLAIN_RSS = re.compile(rb"<(title|dc:creator|category)>([^<]*)</\1>")


def _hex_references(data: bytes) -> bytes:
    """``&`` and ``<`` in RSS's plain-text elements as hexadecimal references, as the RSS
    Best Practices Profile asks (some readers read a title as HTML: ``&lt;`` would be a tag
    to them, ``&#x3C;`` is not)."""

    def hexed(match: re.Match[bytes]) -> bytes:
        text = match.group(2).replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")
        return b"<%s>%s</%s>" % (match.group(1), text, match.group(1))

    return _PLAIN_RSS.sub(hexed, data)


def _with_links(data: bytes, extra: Mapping[str, list[dict[str, str]]]) -> bytes:
    """Add each entry's other links (its enclosures; its comments as ``rel="replies"``,
    RFC 4685) after the links it has, by entry id."""
    root = etree.fromstring(data)
    for entry in root.iter(f"{{{_ATOM_NS}}}entry"):
        after = (entry.findall(f"{{{_ATOM_NS}}}link") or [entry[0]])[-1]
        for attributes in extra.get(entry.findtext(f"{{{_ATOM_NS}}}id") or "", []):
            link = etree.Element(f"{{{_ATOM_NS}}}link", attributes)
            after.addnext(link)
            after = link
    etree.indent(root)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def _with_rss_hub(data: bytes, hub: str) -> bytes:
    """Add ``<atom:link rel="hub">`` to an RSS channel (feedgen writes only rel="self")."""
    root = etree.fromstring(data)
    channel = root.find("channel")
    assert channel is not None
    link = etree.Element(f"{{{_ATOM_NS}}}link", href=hub, rel="hub")
    channel.insert(0, link)
    etree.indent(root)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


# -- JSON Feed ----------------------------------------------------------------------


def _json_item(item: Item) -> dict[str, Any]:
    """One JSON Feed 1.1 item."""
    out: dict[str, Any] = {"id": _item_id(item)}
    url = _link(item.url)
    if url:
        out["url"] = url
    out["title"] = _item_title(item)
    content = _html(item.content_html)
    if content:
        out["content_html"] = content
    else:  # an item must have content_html or content_text
        out["content_text"] = _text_content(item)
    summary = _plain(item.summary)
    if summary:
        out["summary"] = summary
    image = _link(item.image)
    if image:
        out["image"] = image
    out["date_published"] = _published(item).isoformat()
    out["date_modified"] = _updated(item).isoformat()
    author = _line(item.author)
    if author:
        out["authors"] = [{"name": author}]
    tags = [t for t in (_line(c) for c in item.categories) if t]
    if tags:
        out["tags"] = tags
    language = _language(item.language)
    if language:
        out["language"] = language
    attachments = [
        {
            "url": href,
            "mime_type": _clean(e.type) or "application/octet-stream",
            **({"size_in_bytes": e.length} if e.length else {}),
        }
        for e in item.enclosures
        if (href := _link(e.url))
    ]
    if attachments:
        out["attachments"] = attachments
    comments = _link(item.comments)
    if comments:  # JSON Feed has no comments field: an extension, as the spec allows
        out["_refeed"] = {"comments_url": comments}
    return out


def render_json(feed: FeedInfo, items: Sequence[Item]) -> bytes:
    """Render *feed* and its *items* (newest first, kept in that order) as JSON Feed 1.1."""
    doc: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": _feed_title(feed),
    }
    home = _link(feed.site)  # the source's own site: never a feed's address
    if home:
        doc["home_page_url"] = home
    icon = _link(feed.image)
    if icon:
        doc["icon"] = icon
    feed_url = _feed_url(feed, "json")
    if feed_url:
        doc["feed_url"] = feed_url
    description = _plain(feed.description)
    if description:
        doc["description"] = description
    language = _language(feed.language)
    if language:
        doc["language"] = language
    hub = _link(feed.hub)
    if hub:
        doc["hubs"] = [{"type": "WebSub", "url": hub}]
    doc["items"] = [_json_item(item) for item in items]
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# -- OPML ---------------------------------------------------------------------------


def _index_format(formats: Sequence[str]) -> str:
    """The format the index links to: atom if published, else rss, else json."""
    _check_formats(formats)
    for fmt in FORMATS:
        if fmt in formats:
            return fmt
    raise ValueError("no feed format to list in the index")


def render_opml(feeds: Sequence[FeedInfo], formats: Sequence[str] = FORMATS) -> bytes:
    """Render an OPML 2.0 list of *feeds*, sorted by name.

    Each outline's ``xmlUrl`` is the public URL of the feed's preferred format
    (atom, else rss, else json), or its file name when ``self_base`` is not set.
    """
    fmt = _index_format(formats)

    def outline(feed: FeedInfo) -> dict[str, str]:
        title = _feed_title(feed)
        attributes = {"type": "rss", "text": title, "title": title}
        attributes["xmlUrl"] = _feed_url(feed, fmt) or quote(_clean(_file_name(feed, fmt)))
        home = _link(feed.site)  # the source's own site, never the feed's address
        if home:
            attributes["htmlUrl"] = home
        return attributes

    return opml.document(INDEX_TITLE, (outline(f) for f in sorted(feeds, key=lambda f: f.name)))


# -- files --------------------------------------------------------------------------


def _same_bytes(path: Path, data: bytes) -> bool:
    """Tell whether *path* is a file holding exactly *data*."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _describe(exc: OSError) -> str:
    """The cause of an OSError without the temporary file's name."""
    if exc.errno is not None and exc.strerror:
        return f"[Errno {exc.errno}] {exc.strerror}"
    return str(exc)


def write_atomic(path: Path, data: bytes) -> bool:
    """Write *data* to *path* atomically, creating its directory if missing.

    Returns False, writing nothing, when the file already holds exactly *data*.
    The bytes go to a temporary file in the same directory, which replaces *path*
    once flushed to disk, so readers see the old file or the new one, never half
    of one. On failure the temporary file is removed, the old file is left as it
    was, and :class:`PublishError` says which path failed and why.
    """
    if _same_bytes(path, data):
        return False
    try:
        replace_file(path, data, FILE_MODE)
    except OSError as exc:
        raise PublishError(f"cannot write {path}: {_describe(exc)}") from exc
    return True


def _check_name(feed: FeedInfo) -> None:
    """Refuse feed names that would write outside the output directory."""
    name = feed.name
    if not name or name in {".", ".."} or "/" in name or "\\" in name or "\0" in name:
        raise PublishError(f"cannot publish feed {name!r}: not a valid file name")


_RENDERERS: Final[dict[str, Callable[[FeedInfo, Sequence[Item]], bytes]]] = {
    "atom": render_atom,
    "rss": render_rss,
    "json": render_json,
}


def publish(
    feed: FeedInfo,
    items: Sequence[Item],
    output_dir: Path,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Write *feed* in each of *formats* to ``output_dir/<name>.<format>``.

    *items* come newest first, already cut to the feed's size. Returns the paths
    actually (re)written; files whose bytes did not change are left alone.
    """
    return write_all(render(feed, items, output_dir, formats))


def render(
    feed: FeedInfo,
    items: Sequence[Item],
    output_dir: Path,
    formats: Sequence[str] = FORMATS,
) -> dict[Path, bytes]:
    """The bytes of each of *feed*'s files, by path (CPU work: lxml and nh3)."""
    _check_formats(formats)
    _check_name(feed)
    return {
        output_dir / _file_name(feed, fmt): _RENDERERS[fmt](feed, items)
        for fmt in dict.fromkeys(formats)
    }


def write_all(files: Mapping[Path, bytes]) -> list[Path]:
    """Write each file atomically (I/O only, safe in a thread); the paths that changed."""
    return [path for path, data in files.items() if write_atomic(path, data)]


def retire(name: str, output_dir: Path) -> list[Path]:
    """Remove the feed files of *name*, a source no longer in the config; the paths removed."""
    removed = []
    for fmt in FORMATS:
        path = output_dir / _file_name(name, fmt)
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise PublishError(f"cannot remove {path}: {_describe(exc)}") from exc
        removed.append(path)
    if removed:
        fsync_dir(output_dir)
    return removed


def publish_index(
    feeds: Sequence[FeedInfo], output_dir: Path, formats: Sequence[str] = FORMATS
) -> bool:
    """Write the OPML list of *feeds* to ``output_dir/index.opml``; False if unchanged."""
    return write_atomic(output_dir / INDEX_NAME, render_opml(feeds, formats))
