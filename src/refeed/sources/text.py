"""The small values of a feed, made plain: titles, names, languages, dates, lists of words."""

from __future__ import annotations

import calendar
import contextlib
import html
import re
import time
from datetime import UTC, datetime
from typing import Final

import lxml.html
from lxml import etree

# markup a title may really hold (a word in italics, a formula's superscript); anything else
# in angle brackets is text ("Using the <template> element")
_INLINE: Final = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "big",
        "br",
        "cite",
        "code",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "ins",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
        "wbr",
    ]
)
_TAG: Final = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
_ENTITY: Final = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]\w*);")


def plain(value: str | None, *, markup: bool = True) -> str | None:
    """A title or a name as one line of plain text.

    With *markup* (the source says the value is HTML, or does not say), tags of inline
    markup are dropped and entities decoded; angle brackets around any other word stay,
    as text: a title about the ``<template>`` element keeps it.
    """
    if not value:
        return None
    if markup and ("<" in value or "&" in value):
        tags = {m.group(1).lower() for m in _TAG.finditer(value)}
        if tags and tags <= _INLINE:
            with contextlib.suppress(etree.ParserError, ValueError):
                value = lxml.html.fragment_fromstring(value, create_parent="div").text_content()
        elif _ENTITY.search(value):
            value = html.unescape(value)
    value = " ".join(value.split())
    return value or None


_EMAIL_NAME: Final = re.compile(r"^\s*\S+@\S+\s*\((?P<name>[^()]+)\)\s*$")
_NAME_EMAIL: Final = re.compile(r"^\s*(?P<name>[^<>()]+?)\s*[<(]\S+@\S+[>)]\s*$")
_BARE_EMAIL: Final = re.compile(r"^\s*\S+@\S+\.\S+\s*$")


def person(name: str | None, email: str | None = None) -> str | None:
    """An author's name: "jo@x.org (Jo Smith)", "Jo Smith <jo@x.org>" and "Jo Smith
    (jo@x.org)" give "Jo Smith"; a bare e-mail address is no name (None)."""
    text = plain(name)
    if text:
        match = _EMAIL_NAME.match(text) or _NAME_EMAIL.match(text)
        if match:
            return plain(match.group("name"))
        if not _BARE_EMAIL.match(text):
            return text
    return None


_LANGUAGE: Final = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def language_tag(value: str | None) -> str | None:
    """A BCP 47 language tag: ``en_US`` and ``EN-us`` give ``en-US``; nonsense gives None."""
    if not value:
        return None
    tag = value.split(",")[0].strip().replace("_", "-")
    if not _LANGUAGE.match(tag):
        return None
    language, *rest = tag.split("-")
    parts = [language.lower()]
    for part in rest:
        if len(part) == 2:
            parts.append(part.upper())  # a region
        elif len(part) == 4 and part.isalpha():
            parts.append(part.title())  # a script
        else:
            parts.append(part.lower())
    return "-".join(parts)


def words(values: list[object], *, most: int = 20) -> tuple[str, ...]:
    """Categories or tags: plain, each once (ignoring case), at most *most*."""
    seen: dict[str, str] = {}
    for value in values:
        text = plain(value) if isinstance(value, str) else None
        if text and len(text) <= 100:
            seen.setdefault(text.casefold(), text)
    return tuple(seen.values())[:most]


def paragraphs(text: str) -> str:
    """Plain text as HTML, a paragraph per line."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)


def from_struct(value: time.struct_time | None) -> datetime | None:
    """A UTC struct_time (feedparser's dates) as an aware datetime."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def number(value: object) -> int | None:
    """A non-negative integer, from a number or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
