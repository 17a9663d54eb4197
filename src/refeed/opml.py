"""OPML subscription lists: read one (``refeed import``), write the sources' (``refeed export``).

Every feed reader exports its subscriptions as OPML: ``<outline>`` elements with an
``xmlUrl``, nested in outlines without one (categories, to any depth). :func:`read_opml`
finds them all, and says of each outline it cannot take why. :func:`sources_opml` is the
other way: the *source* feeds of a config (``index.opml`` of :mod:`refeed.publish` lists
refeed's own), a ``page:`` source as an outline of ``type="link"``, which
:func:`read_opml` reads back as a ``page:`` source. Pure code on bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from refeed.urls import redact, web_url

# the reasons an outline is skipped, as the summary of `refeed import` counts them
NO_FEED = "no feed URL"
NOT_WEB = "not an http(s) URL"


@dataclass(frozen=True, slots=True)
class Subscription:
    """One feed (or, from refeed's own export, listing page) of an OPML file."""

    kind: Literal["feed", "page"]
    url: str
    title: str | None = None
    category: str | None = None  # "News / World" for an outline inside two others


@dataclass(frozen=True, slots=True)
class Skipped:
    """An outline (or a subscription) not taken: what it was, and why."""

    what: str
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.what}: {self.detail or self.reason}"


class OpmlError(ValueError):
    """The file is not an OPML document; the message says where and why."""


def read_opml(data: bytes, name: str = "OPML") -> tuple[list[Subscription], list[Skipped]]:
    """The subscriptions of an OPML document, in its order, and the outlines skipped.

    *name* (the file's) begins the error messages. Entities are not expanded and nothing
    is fetched (no DTD, no network).
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = f":{exc.lineno}" if exc.lineno else ""
        raise OpmlError(f"{name}{line}: not well-formed XML: {exc.msg}") from None
    if not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        raise OpmlError(f"{name}: not an OPML file (its root element is not <opml>)")
    body = next((el for el in root if _local(el) == "body"), None)
    found: list[Subscription] = []
    skipped: list[Skipped] = []
    if body is not None:
        _walk(body, (), found, skipped)
    return found, skipped


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""


def _walk(
    parent: etree._Element,
    path: tuple[str, ...],
    found: list[Subscription],
    skipped: list[Skipped],
) -> None:
    for outline in parent:
        if _local(outline) != "outline":
            continue
        attrs = {str(k).lower(): str(v).strip() for k, v in outline.attrib.items()}
        title = attrs.get("title") or attrs.get("text") or None
        category = " / ".join(path) or None
        feed = attrs.get("xmlurl")
        link = attrs.get("url") if attrs.get("type", "").lower() == "link" else None
        children = [child for child in outline if _local(child) == "outline"]
        if feed or link:
            kind: Literal["feed", "page"] = "feed" if feed else "page"
            raw = feed or link or ""
            url = web_url(from_feed_scheme(raw))
            if url is None:
                skipped.append(Skipped(title or raw, NOT_WEB, f"{NOT_WEB}: {raw}"))
            else:
                found.append(Subscription(kind, url, title, category))
        elif not children:
            skipped.append(Skipped(title or "(an outline without text)", NO_FEED))
        if children:
            _walk(outline, (*path, title or "-"), found, skipped)


def from_feed_scheme(url: str) -> str:
    """``feed://host/rss`` and ``feed:https://host/rss`` (the feed: URI scheme some
    readers write) as the http(s) URL they stand for."""
    lower = url.lower()
    if lower.startswith(("feed:http:", "feed:https:")):
        return url[5:]
    if lower.startswith("feed://"):
        return "http://" + url[7:]
    return url


@dataclass(frozen=True, slots=True)
class Outline:
    """One source as :func:`sources_opml` writes it."""

    kind: Literal["feed", "page"]
    url: str
    title: str


def sources_opml(sources: Iterable[Outline], title: str = "refeed sources") -> bytes:
    """An OPML 2.0 document of *sources*, in their order: a feed as ``type="rss"`` with its
    ``xmlUrl``, a listing page as ``type="link"`` with its ``url``. Credentials in a URL
    are masked, as wherever refeed shows one (:func:`refeed.urls.redact`)."""
    return document(
        title,
        (
            {"text": s.title, "title": s.title, "type": "rss", "xmlUrl": redact(s.url)}
            if s.kind == "feed"
            else {"text": s.title, "title": s.title, "type": "link", "url": redact(s.url)}
            for s in sources
        ),
    )


def document(title: str, outlines: Iterable[Mapping[str, str]]) -> bytes:
    """An OPML 2.0 document titled *title*: one ``<outline>`` per mapping of attributes,
    in order (the sources' export here, ``index.opml`` of :mod:`refeed.publish`)."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    for attributes in outlines:
        outline = etree.SubElement(body, "outline")
        for name, value in attributes.items():
            outline.set(name, value)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
