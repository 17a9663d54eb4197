"""What the cleaners took out, and why: counts by kind and one record per block.

Every removal has a rule key, its kind and its rule with the particulars left out
(:func:`rule_key`: ``"teaser: list of N items, most of them headlines"``). A rule can be
switched off by its key for a while (:func:`without`): its removals are then not made, so
that ``refeed extract --without KEY`` and ``bench/quality.py --ablate`` show what a rule
is worth.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from lxml.html import HtmlElement

from refeed.dom import forget_text, text_of
from refeed.models import Removal

EXCERPT_CHARS = 100
# the number refeed.explain gives each element of a page, to show a removal in its place
MARK = "data-refeed-at"
_PARTICULARS = re.compile(r"'[^']*'|\"[^\"]*\"|\d+")
_OFF: ContextVar[frozenset[str]] = ContextVar("refeed_rules_off", default=frozenset())


def rule_key(kind: str, rule: str) -> str:
    """The key of a rule: its kind and its rule without quoted words or numbers."""
    return f"{kind}: {_PARTICULARS.sub('N', rule)}"


@contextmanager
def without(keys: Iterable[str]) -> Iterator[None]:
    """Within this block, the rules of these keys (:func:`rule_key`) remove nothing."""
    token = _OFF.set(_OFF.get() | frozenset(keys))
    try:
        yield
    finally:
        _OFF.reset(token)


def _off(kind: str, rule: str) -> bool:
    off = _OFF.get()
    return bool(off) and rule_key(kind, rule) in off


class Trace:
    """Collects every removal; ``refeed extract --explain`` prints :attr:`removals`."""

    __slots__ = ("chosen_by", "counts", "removals")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.removals: list[Removal] = []
        self.chosen_by: str | None = None  # the rule that chose the story, when one did

    def copy(self) -> Trace:
        """A trace holding what this one holds, to go on separately."""
        other = Trace()
        other.counts = self.counts.copy()
        other.removals = list(self.removals)
        other.chosen_by = self.chosen_by
        return other

    def drop(self, el: HtmlElement, kind: str, rule: str, text: str | None = None) -> None:
        """Remove ``el`` with everything in it (its tail text stays) and record why."""
        if el.getparent() is None or _off(kind, rule):
            return
        excerpt = text_of(el) if text is None else text
        forget_text(el.iterancestors())
        el.drop_tree()
        self._record(kind, rule, excerpt, el.get(MARK))

    def _record(self, kind: str, rule: str, excerpt: str, at: str | None) -> None:
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[: EXCERPT_CHARS - 1] + "…"
        self.counts[kind] += 1
        self.removals.append(Removal(kind=kind, rule=rule, text=excerpt, at=at))
