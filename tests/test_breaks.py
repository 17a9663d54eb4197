"""The judgement of a source's output against its own history (refeed.breaks): plain data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from refeed import defaults
from refeed.breaks import judge
from refeed.models import CycleRecord, Extracted


def cycle(
    *chars: int, fell_back: int = 0, listed: int | None = None, broken: bool = False
) -> CycleRecord:
    """A cycle that extracted items of these lengths, its last *fell_back* ones to the summary."""
    extracted = tuple(
        Extracted(n, fell_back=i >= len(chars) - fell_back) for i, n in enumerate(chars)
    )
    return CycleRecord(
        listed=len(chars) if listed is None else listed,
        new=len(chars),
        extracted=extracted,
        broken=broken,
    )


USUAL = [cycle(2400, 2300, 2500, 2450) for _ in range(4)]  # 16 items


def kinds(history: list[CycleRecord]) -> list[str]:
    return [b.kind for b in judge(history)]


def test_steady_output_is_no_break() -> None:
    assert judge([*USUAL, cycle(2600, 2200, 2350)]) == []
    assert judge([*USUAL, cycle(listed=10)]) == []  # nothing new: the items before still fine


def test_short_items_are_a_break_named_with_the_usual() -> None:
    # the last 5: the last of USUAL and these 4; the usual: the 15 before them
    [reason] = judge([*USUAL, cycle(180, 200, 190, 2400)])
    assert reason.kind == "short"
    assert str(reason) == (
        "item text 190 chars, under a third of the usual 2,400 (median of the last 15);"
        " 3 of the last 5 items as short"
    )


def test_one_odd_item_is_no_break_but_several_are() -> None:
    assert judge([*USUAL, cycle(180)]) == []
    assert judge([*USUAL, cycle(180, 2400), cycle(170, 2400)]) == []  # 2 of the last 5
    assert kinds([*USUAL, cycle(180, 2400), cycle(170, 160)]) == ["short"]  # 3 of the last 5


def test_the_threshold_is_a_third_of_the_median() -> None:
    usual = [cycle(3000, 3000, 3000, 3000) for _ in range(3)]
    assert judge([*usual, cycle(1000, 1000, 1000, 1000, 1000)]) == []  # a third exactly
    assert kinds([*usual, cycle(999, 999, 999, 999, 999)]) == ["short"]


def test_many_items_of_one_cycle_are_judged_together() -> None:
    [reason] = judge([*USUAL, cycle(*[2400] * 2, *[150] * 8, fell_back=8)])
    assert str(reason) == "8 of the last 10 items fell back to the feed's summary"
    assert judge([*USUAL, cycle(*[2400] * 5, *[150] * 5, fell_back=5)]) == []  # half is not most


def test_falling_back_to_the_summary_is_a_break_of_its_own() -> None:
    [reason] = judge([*USUAL, cycle(2400, 2400, 120, 90, 60, fell_back=3)])
    assert reason.kind == "summary"
    assert reason.text == "3 of the last 5 items fell back to the feed's summary"


def test_a_source_that_always_falls_back_is_not_broken() -> None:
    usual = [cycle(120, 130, 140, 150, fell_back=4) for _ in range(4)]
    assert judge([*usual, cycle(110, 120, 130, fell_back=3)]) == []


def test_no_judgement_without_enough_history() -> None:
    assert defaults.BREAK_MIN_HISTORY == 10
    # 9 items before the last 5: a new source raises no alarm, however its items look
    young = [cycle(2400, 2400, 2400), cycle(2400, 2400, 2400), cycle(2400, 2400, 2400)]
    assert judge([*young, cycle(100, 100, 100, 100, 100)]) == []
    assert kinds([*young, cycle(2400), cycle(100, 100, 100, 100, 100)]) == ["short"]
    assert judge([cycle(100, 100, 100, 100, 100)]) == []
    assert judge([]) == []


def test_an_empty_listing_where_there_used_to_be_items() -> None:
    history = [cycle(listed=12), cycle(listed=11), cycle(listed=13)]
    [reason] = judge([*history, cycle(listed=0)])
    assert (reason.kind, reason.text) == ("empty", "0 items this cycle, 12 on average before")
    assert judge([*history[:2], cycle(listed=0)]) == []  # two cycles are too few to know
    assert judge([*history, cycle(listed=1)]) == []
    # a source that is mostly empty anyway
    assert judge([cycle(listed=0), cycle(listed=0), cycle(listed=3), cycle(listed=0)]) == []
    # a cycle that did not read its listing (a 304) is not empty
    assert judge([*history, CycleRecord(listed=None)]) == []


def test_a_lasting_break_does_not_become_the_usual() -> None:
    history = list(USUAL)
    for _ in range(20):  # 100 short items, in cycles judged broken
        history.append(cycle(150, 160, 170, 180, 190))
        assert kinds(history) == ["short"]
        history[-1] = cycle(150, 160, 170, 180, 190, broken=True)
    # and an empty listing stays a break while it lasts
    empty = [cycle(listed=12), cycle(listed=12), cycle(listed=12)]
    assert kinds([*empty, cycle(listed=0, broken=True), cycle(listed=0)]) == ["empty"]


def test_the_break_clears_when_the_output_recovers() -> None:
    broken = [*USUAL, cycle(150, 160, 170, 180, broken=True)]
    assert kinds([*broken, cycle(listed=4)]) == ["short"]  # nothing new: it stands
    assert judge([*broken, cycle(2400, 2500, 2300, 2450)]) == []
    assert judge([*USUAL, cycle(listed=0, broken=True), cycle(listed=12)]) == []


def test_a_site_rules_test_contains_miss_is_a_reason() -> None:
    [reason] = judge(USUAL, missed_tests=[("https://news.example/a", "Breaking")])
    assert reason.kind == "test_contains"
    assert reason.text == (
        "the site rule's test_contains 'Breaking' no longer matches https://news.example/a"
    )


steady_cycle = st.lists(st.integers(1200, 3600), min_size=0, max_size=8).map(
    lambda lengths: cycle(*lengths, listed=max(len(lengths), 1))
)


@given(st.lists(steady_cycle, min_size=1, max_size=40))
def test_output_within_its_usual_range_is_never_a_break(history: list[CycleRecord]) -> None:
    for end in range(1, len(history) + 1):
        assert judge(history[:end]) == []


@given(
    st.lists(st.integers(1, 400), min_size=1, max_size=4 * defaults.BREAK_MIN_HISTORY),
    st.lists(st.integers(0, 200), min_size=defaults.BREAK_RECENT_ITEMS, max_size=20),
)
def test_too_little_history_is_never_a_break(before: list[int], last: list[int]) -> None:
    """Fewer than BREAK_MIN_HISTORY items before the judged ones: nothing is judged."""
    young = before[: defaults.BREAK_MIN_HISTORY - 1]
    assert judge([cycle(*young), cycle(*last, fell_back=len(last))]) == []


@given(st.integers(2000, 5000), st.integers(0, 10), st.integers(0, 10))
def test_short_items_break_only_when_they_are_most(usual: int, short: int, fine: int) -> None:
    history = [cycle(*[usual] * 4) for _ in range(4)]
    reasons = kinds([*history, cycle(*[usual], *[usual // 4] * short, *[usual] * fine)])
    window = max(short + fine + 1, defaults.BREAK_RECENT_ITEMS)
    expected = short >= defaults.BREAK_MIN_ITEMS and 2 * short > window
    assert reasons == (["short"] if expected else [])
