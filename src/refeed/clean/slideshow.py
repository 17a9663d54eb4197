"""Slideshows: a gallery's slides, each counted "3/50", beside the story.

A slideshow's captions are the captions of its photos (or the headlines and summaries
of other stories, "Business news in pictures"), read one at a time beside the story; as
a block of text they bury it. Told by structure, in any language: three or more slides
each counted by an element of its own, ``k/N`` (one N, k going up by one from slide to
slide; a list of dates, "10/11", "9/11", goes down and repeats). A page whose story *is* the
slideshow (a photo story) keeps it: the slideshow goes only where the story candidate
holds a story without it.
"""

from __future__ import annotations

import re
from collections import defaultdict

from lxml.html import HtmlElement

from refeed.clean.shape import has_story
from refeed.clean.trace import Trace

_COUNTER = re.compile(r"\s*(\d{1,3})\s*/\s*(\d{1,3})\s*")
_MIN_SLIDES = 3


def remove_slideshows(body: HtmlElement, trace: Trace, story: HtmlElement | None) -> None:
    """Remove each slideshow of *body* that lies beside a story (see the module)."""
    for box in _slideshows(body):
        if box.getparent() is None or box is story or _holds(box, story):
            continue
        if story is not None and not _story_without(story, box):
            continue  # the slides are the story
        trace.drop(box, "caption", "a slideshow's captions (slides counted k/N)")


def _slideshows(body: HtmlElement) -> list[HtmlElement]:
    """The boxes holding three or more slides counted k/N (see the module)."""
    counters: dict[int, list[tuple[int, HtmlElement]]] = defaultdict(list)
    for el in body.iter():
        if not isinstance(el, HtmlElement) or len(el) or not el.text or "/" not in el.text:
            continue
        match = _COUNTER.fullmatch(el.text)
        if match is not None and 1 <= int(match[1]) <= int(match[2]):
            counters[int(match[2])].append((int(match[1]), el))
    boxes = []
    for slides in counters.values():
        numbers = [k for k, _ in slides]
        if len(slides) >= _MIN_SLIDES and numbers == list(range(numbers[0], numbers[-1] + 1)):
            boxes.append(_common_ancestor([el for _, el in slides]))
    return boxes


def _common_ancestor(elements: list[HtmlElement]) -> HtmlElement:
    first, *rest = elements
    chain = [first, *first.iterancestors()]
    deepest = 0
    for el in rest:
        above = {id(a) for a in (el, *el.iterancestors())}
        deepest = max(deepest, next(i for i, a in enumerate(chain) if id(a) in above))
    return chain[deepest]


def _holds(box: HtmlElement, story: HtmlElement | None) -> bool:
    """Whether *box* holds the story (the slideshow's box would then be the page)."""
    return story is not None and any(parent is box for parent in story.iterancestors())


def _story_without(story: HtmlElement, box: HtmlElement) -> bool:
    """Whether *story* holds a story of its own once *box* is out of it."""
    if not any(parent is story for parent in box.iterancestors()):
        return has_story(story)
    parent = box.getparent()
    assert parent is not None
    index = parent.index(box)
    tail, box.tail = box.tail, None
    parent.remove(box)
    try:
        return has_story(story)
    finally:
        parent.insert(index, box)
        box.tail = tail
