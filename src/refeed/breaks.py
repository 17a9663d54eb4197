"""Knowing when a source breaks: each cycle's output, judged against the source's own history.

Sites change their templates, and a source's output quietly degrades: the story moves
into markup the extractor cannot find, or the page shrinks to a teaser. After each
source's run :mod:`refeed.cycle` hands :func:`judge` the source's recent cycles
(:class:`~refeed.models.CycleRecord`, kept by :mod:`refeed.store`), the new one last,
and gets back why that cycle looks broken:

- ``summary``: most of the last extractions fell back to the feed's summary (the page
  gave no story);
- ``short``: most of them are under a third of the usual text length (the median of
  the full-text extractions before them);
- ``empty``: the listing holds no item, where the cycles before mostly held some;
- ``test_contains``: a site rule's ``test_contains`` text no longer matches its page
  (the hook for site rules, which are not built yet: their caller passes the misses).

The last extractions are those of the new cycle, or when it has fewer than
:data:`~refeed.defaults.BREAK_RECENT_ITEMS`, that many across the last cycles: one odd
item is never a break. The usual is taken only from cycles that were not judged broken
themselves, so that a lasting break does not become the usual (until the store's bounded
history, :data:`~refeed.defaults.HISTORY_CYCLES` cycles, holds nothing else). Without
enough history (:data:`~refeed.defaults.BREAK_MIN_HISTORY` extractions,
:data:`~refeed.defaults.BREAK_MIN_CYCLES` cycles) nothing is judged: a new source raises
no alarm. A break clears itself when a cycle looks as usual again.

Plain data in, reasons out: nothing here reads the database or logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean, median
from typing import Literal

from refeed import defaults
from refeed.models import CycleRecord, Extracted

Kind = Literal["summary", "short", "empty", "test_contains"]

_SHARES = {1 / 2: "half", 1 / 3: "a third", 1 / 4: "a quarter", 1 / 5: "a fifth"}


@dataclass(frozen=True, slots=True)
class Break:
    """One reason why a source's output looks broken."""

    kind: Kind
    text: str  # one line, e.g. "8 of the last 10 items fell back to the feed's summary"

    def __str__(self) -> str:
        return self.text


def judge(
    history: Sequence[CycleRecord], *, missed_tests: Sequence[tuple[str, str]] = ()
) -> list[Break]:
    """Why the last cycle of *history* (oldest first) looks broken; [] when it looks as usual.

    *missed_tests* are the (page URL, expected text) of each site rule whose
    ``test_contains`` no longer matches; each is a reason of its own."""
    reasons: list[Break] = []
    if history:
        reasons += _empty(history)
        reasons += _items(history)
    reasons += [
        Break("test_contains", f"the site rule's test_contains {text!r} no longer matches {url}")
        for url, text in missed_tests
    ]
    return reasons


def _empty(history: Sequence[CycleRecord]) -> list[Break]:
    """The listing held no item, where most of the (unbroken) cycles before held some."""
    *before, current = history
    if current.listed != 0:
        return []
    counts = [c.listed for c in before if c.listed is not None and not c.broken]
    counts = counts[-defaults.BREAK_USUAL_ITEMS :]
    if len(counts) < defaults.BREAK_MIN_CYCLES or median(counts) == 0:
        return []
    return [Break("empty", f"0 items this cycle, {mean(counts):,.0f} on average before")]


def _items(history: Sequence[CycleRecord]) -> list[Break]:
    """Most of the last extractions fell back to the summary, or are far shorter than usual."""
    *before, current = history
    recent = list(current.extracted)
    earlier = [(c, x) for c in before for x in c.extracted]
    if len(recent) < defaults.BREAK_RECENT_ITEMS:  # too few alone: with the ones before
        take = min(defaults.BREAK_RECENT_ITEMS - len(recent), len(earlier))
        recent = [x for _c, x in earlier[len(earlier) - take :]] + recent
        earlier = earlier[: len(earlier) - take]
    usual_pool = [x for c, x in earlier if not c.broken][-defaults.BREAK_USUAL_ITEMS :]
    if not recent or len(usual_pool) < defaults.BREAK_MIN_HISTORY:
        return []
    full = [x.chars for x in usual_pool if not x.fell_back]
    if 2 * len(full) <= len(usual_pool):  # the source mostly falls back: that is its usual
        return []
    fell_back = sum(x.fell_back for x in recent)
    if _most(fell_back, recent):
        return [
            Break(
                "summary",
                f"{fell_back} of the last {len(recent)} items fell back to the feed's summary",
            )
        ]
    usual = round(median(full))
    short = [x for x in recent if x.chars < usual * defaults.BREAK_SHORT_RATIO]
    if not _most(len(short), recent):
        return []
    share = _SHARES.get(defaults.BREAK_SHORT_RATIO, f"{defaults.BREAK_SHORT_RATIO:.0%}")
    return [
        Break(
            "short",
            f"item text {short[-1].chars:,} chars, under {share} of the usual {usual:,}"
            f" (median of the last {len(full)}); {len(short)} of the last {len(recent)}"
            " items as short",
        )
    ]


def _most(count: int, of: Sequence[Extracted]) -> bool:
    """Several items, and more than half of them: never one odd item."""
    return count >= defaults.BREAK_MIN_ITEMS and 2 * count > len(of)
