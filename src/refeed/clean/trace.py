"""What the cleaners took out, and why: counts by kind and one record per block."""

from __future__ import annotations

from collections import Counter

from lxml.html import HtmlElement

from refeed.dom import forget_text, text_of
from refeed.models import Removal

EXCERPT_CHARS = 100


class Trace:
    """Collects every removal; ``refeed extract --explain`` prints :attr:`removals`."""

    __slots__ = ("counts", "removals")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.removals: list[Removal] = []

    def copy(self) -> Trace:
        """A trace holding what this one holds, to go on separately."""
        other = Trace()
        other.counts = self.counts.copy()
        other.removals = list(self.removals)
        return other

    def drop(self, el: HtmlElement, kind: str, rule: str, text: str | None = None) -> None:
        """Remove ``el`` with everything in it (its tail text stays) and record why."""
        if el.getparent() is None:
            return
        excerpt = text_of(el) if text is None else text
        forget_text(el.iterancestors())
        el.drop_tree()
        self._record(kind, rule, excerpt)

    def drop_text(self, el: HtmlElement, kind: str, rule: str) -> None:
        """Remove the text inside ``el`` but keep its elements (the picture a caption
        sits beside), and record why."""
        excerpt = text_of(el)
        el.text = None
        for inner in el.iterdescendants():
            inner.text = inner.tail = None
        forget_text([el, *el.iterancestors()])
        self._record(kind, rule, excerpt)

    def _record(self, kind: str, rule: str, excerpt: str) -> None:
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[: EXCERPT_CHARS - 1] + "…"
        self.counts[kind] += 1
        self.removals.append(Removal(kind=kind, rule=rule, text=excerpt))
