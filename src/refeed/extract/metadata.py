"""The story's metadata from the whole page: JSON-LD, OpenGraph and other meta tags,
``<time>``, ``<title>`` and ``<html lang>``, best source first; and the page's own address."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from refeed.dom import text_of
from refeed.sources.dates import iso_date
from refeed.urls import absolute_web_url


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    image: str | None = None
    language: str | None = None
    description: str | None = None
    body: str | None = None  # JSON-LD articleBody: the publisher's own plain text of the story
    # what the page's head says its title is (JSON-LD headline, og:title, twitter:title,
    # <title> and its part before " | Site"): a heading equal to one is the title again
    titles: tuple[str, ...] = ()


def metadata(root: HtmlElement, url: str, *, json_ld: bool = True) -> Metadata:
    """Title, author, date, lead image and language, best source first (the page's
    JSON-LD not read when *json_ld* is false: a site's rules may say it lies)."""
    ld = _json_ld(root) if json_ld else {}
    meta = _meta_tags(root)
    head_title = _first_text(root, "//title")
    declared = [
        t for t in (_str(ld.get("headline")), meta.get("og:title"), meta.get("twitter:title")) if t
    ]
    title = (declared[0] if declared else None) or _first_text(root, "//h1") or head_title
    titles = [*declared]
    if head_title:
        titles.append(head_title)
        titles.extend(part for part in _TITLE_SEPARATOR.split(head_title) if len(part) >= 12)
    author = _author(ld.get("author")) or meta.get("author") or meta.get("article:author")
    if author and author.startswith(("http://", "https://")):
        author = None
    published = _date(
        _str(ld.get("datePublished"))
        or meta.get("article:published_time")
        or meta.get("datepublished")
        or meta.get("pubdate")
        or meta.get("date")
        or meta.get("dc.date")
        or meta.get("dc.date.issued")
        or _first_attr(root, "//time[@datetime]", "datetime")
    )
    image = _image(ld.get("image")) or meta.get("og:image") or meta.get("twitter:image")
    language = root.get("lang") or meta.get("og:locale") or meta.get("content-language")
    if language:
        language = language.replace("_", "-").split(",")[0].strip() or None
    return Metadata(
        title=title,
        author=author,
        published=published,
        image=absolute_web_url(url, image),
        language=language,
        description=meta.get("og:description") or meta.get("description"),
        body=_str(ld.get("articleBody")),
        titles=tuple(dict.fromkeys(titles)),
    )


_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—:•·»]+\s+")


def page_url(root: HtmlElement) -> str | None:
    """The page's own address: its canonical link, else ``og:url`` (absolute http(s) only)."""
    candidates: list[str | None] = [
        *(
            str(el.get("href") or "")
            for el in root.iter("link")
            if "canonical" in (el.get("rel") or "")
        ),
        _meta_tags(root).get("og:url"),
    ]
    for candidate in candidates:
        if candidate and urlsplit(candidate.strip()).scheme in ("http", "https"):
            return candidate.strip()
    return None


def _meta_tags(root: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in root.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        value = el.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _json_ld(root: HtmlElement) -> dict[str, Any]:
    """The first JSON-LD object that looks like an article."""
    for script in root.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for obj in _walk_ld(data):
            kind = obj.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(
                isinstance(k, str) and k.endswith(("Article", "Posting", "Report")) for k in kinds
            ):
                return obj
    return {}


def _walk_ld(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [obj for item in data for obj in _walk_ld(item)]
    if isinstance(data, dict):
        return [data, *_walk_ld(data.get("@graph", []))]
    return []


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _author(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_author(v) for v in value) if n]
        return ", ".join(names) or None
    if isinstance(value, dict):
        return _str(value.get("name"))
    return _str(value)


def _image(value: Any) -> str | None:
    if isinstance(value, list):
        return _image(value[0]) if value else None
    if isinstance(value, dict):
        return _str(value.get("url"))
    return _str(value)


def _date(value: str | None) -> datetime | None:
    """A page's date, named time zones (EET, MSK, ...) included, as an aware datetime."""
    return iso_date(value)


def _first_text(root: HtmlElement, xpath: str) -> str | None:
    for el in root.xpath(xpath):
        text = text_of(el)
        if text:
            return text
    return None


def _first_attr(root: HtmlElement, xpath: str, attr: str) -> str | None:
    for el in root.xpath(xpath):
        value = el.get(attr)
        if value:
            return str(value)
    return None
