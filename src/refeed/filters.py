"""Item filters: which of a source's items are published (its ``keep``, ``block`` and
``drop_stubs`` settings). A pure function of an item and the settings.

A filter is a regular expression (Python's syntax; ``(?i)`` for any case) or a mapping of
fields to expressions, ``{title: "...", text: "..."}``. A bare expression matches when
it is found in any field; a mapping when each of its fields holds its expression. The
fields are ``title``, ``url``, ``author``, ``category`` (any of the item's categories)
and ``text`` (the published story as plain text). An item is published when no ``block``
filter matches it and, if the source has ``keep`` filters, one of them does; with
``drop_stubs``, an item whose page gave nothing beyond the feed's own teaser (a paywall's
stub, a page refeed could not read: refeed would publish the summary) is not published.
The store keeps every item, so a filter changed in the config applies to all of them at
the next cycle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from refeed.models import Item

FIELDS = ("title", "url", "author", "category", "text")

Written = str | Mapping[str, str]  # a filter as the config file gives it


@dataclass(frozen=True, slots=True)
class Filter:
    """One compiled filter and how it was written (for the log and ``--explain``)."""

    fields: tuple[tuple[str | None, re.Pattern[str]], ...]  # None: any field
    written: str

    def matches(self, values: Callable[[str], Iterable[str]]) -> bool:
        return all(
            any(pattern.search(v) for name in ((field,) if field else FIELDS) for v in values(name))
            for field, pattern in self.fields
        )


def compile_filter(written: Written) -> Filter:
    """A filter from its config form; a bad field or expression is a ValueError naming it."""
    if isinstance(written, str):
        return Filter(((None, _pattern(written)),), repr(written))
    fields = []
    for name, expression in written.items():
        if name not in FIELDS:
            raise ValueError(f"{name!r} is no item field: use {', '.join(FIELDS)}")
        if not isinstance(expression, str):
            raise ValueError(f"{name}: give a regular expression, e.g. {name}: '(?i)sponsored'")
        fields.append((name, _pattern(expression)))
    if not fields:
        raise ValueError("an empty filter matches everything: give a field, e.g. {title: '...'}")
    shown = ", ".join(f"{name}: {expression!r}" for name, expression in written.items())
    return Filter(tuple(fields), "{" + shown + "}")


def _pattern(expression: str) -> re.Pattern[str]:
    try:
        return _compiled(expression)
    except re.error as exc:
        raise ValueError(f"{expression!r} is not a regular expression: {exc}") from None


@lru_cache(maxsize=1024)
def _compiled(expression: str) -> re.Pattern[str]:
    return re.compile(expression)


def dropped_by(
    item: Item,
    *,
    keep: Sequence[Filter] = (),
    block: Sequence[Filter] = (),
    drop_stubs: bool = False,
    text: Callable[[Item], str],
) -> str | None:
    """Why *item* is not published (None: it is). *text* gives its story as plain text
    (asked only when a filter reads it)."""
    if drop_stubs and not item.full_text:
        return "a stub: its page gave nothing beyond the feed's teaser (drop_stubs)"
    if not keep and not block:
        return None
    story: list[str] = []

    def values(name: str) -> Iterable[str]:
        if name == "text":
            if not story:
                story.append(text(item))
            return story
        if name == "category":
            return item.categories
        value = {"title": item.title, "url": item.url, "author": item.author}[name]
        return (value,) if value else ()

    for rule in block:
        if rule.matches(values):
            return f"block filter {rule.written}"
    if keep and not any(rule.matches(values) for rule in keep):
        return "no keep filter matched"
    return None
