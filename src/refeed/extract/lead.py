"""The story's lead paragraph (standfirst, deck) when readability left it out."""

from __future__ import annotations

import copy
import re

import lxml.html
from lxml.html import HtmlElement

from refeed.clean.shape import TRUNCATED, link_text_ratio
from refeed.dom import name_words, text_of
from refeed.extract.parts import squash

# class/id words of a story's lead paragraph (standfirst, dek, chapô, bajada, perex, ...)
_LEAD_WORDS = frozenset(
    (
        "lead", "lede", "intro", "introduction", "standfirst", "chapo", "chapeau", "deck",
        "dek", "subtitle", "subheadline", "subhead", "summary", "perex", "bajada", "sumario",
        "excerpt", "abstract", "teaser", "entradilla", "sottotitolo", "catenaccio", "ingress",
        "strapline", "leadtext", "introtext", "teasertext", "articlelead", "articleintro",
    )
)  # fmt: skip
_LEAD_CHARS = (40, 1500)
_LEAD_WINDOW = 200  # elements after the title where a lead may sit
_DECK_WINDOW = 15  # elements after the title where an unnamed deck may sit


def lead_paragraph(root: HtmlElement, content: HtmlElement) -> HtmlElement | None:
    """The story's lead paragraph when readability left it out, as a copy to prepend.

    A lead sits between the title and the story: a block named like a lead, or a
    paragraph or subheading right after the ``<h1>``. It must read as prose (not links)
    and must not be in the story already.
    """
    body = root.find("body")
    if body is None:
        return None
    story = squash(text_of(content))
    if not story:
        return None
    elements = [el for el in body.iter() if isinstance(el, HtmlElement)]
    h1 = next((i for i, el in enumerate(elements) if el.tag == "h1"), None)
    # a lead may also sit just above the title (kicker, lead, then h1)
    start = 0 if h1 is None else max(0, h1 - _LEAD_WINDOW // 4)
    end = _LEAD_WINDOW if h1 is None else h1 + _LEAD_WINDOW
    # a lead comes before the story: never after its first paragraph (a summary there
    # belongs to another story's card)
    opening = _first_paragraph(content)
    story_start = next(
        (i for i, el in enumerate(elements) if el.tag == "p" and text_of(el) == opening), None
    )
    if story_start is not None:
        end = min(end, story_start)
    title_siblings = set() if h1 is None else _following(elements[h1])
    if h1 is not None:  # a deck (a paragraph or subheading) just below the headline
        title_siblings.update(
            el for el in elements[h1 + 1 : h1 + 1 + _DECK_WINDOW] if el.tag in ("p", "h2")
        )
    for el in elements[start:end]:
        if el.tag in ("figure", "figcaption"):
            continue  # a picture's box ("lead-image") is no lead paragraph: see lead_picture
        named = bool(name_words(el) & _LEAD_WORDS)
        if not named and el not in title_siblings:
            continue
        text = text_of(el)
        if not _LEAD_CHARS[0] <= len(text) <= _LEAD_CHARS[1] or not _prose(el, text):
            continue
        key = squash(text)
        if key[:80] in story:
            return None  # the story already has its lead
        if story[:80] in key:
            return None  # this is the story's container, not a lead
        lead = lxml.html.Element("p")
        lead.text = text
        return lead
    return None


def lead_picture(root: HtmlElement, content: HtmlElement) -> HtmlElement | None:
    """The picture between the title and the story (its lead image, lazy ones made real
    already), as a copy to prepend, when the story has no picture of its own.

    The picture comes alone: its caption and credits are no part of the story (a long
    caption would open it).
    """
    body = root.find("body")
    opening = _first_paragraph(content)
    if body is None or opening is None or content.find(".//img") is not None:
        return None
    seen_title = body.find(".//h1") is None
    for el in body.iter():
        if not isinstance(el, HtmlElement):
            continue
        if el.tag == "h1":
            seen_title = True
        elif el.tag == "p" and text_of(el) == opening:
            return None  # the story began: no picture above it
        elif seen_title and el.tag == "figure":
            img = el.find(".//img")
            src = img.get("src", "") if img is not None else ""
            if img is not None and src and not src.startswith("data:"):
                picture = lxml.html.Element("figure")
                picture.append(copy.deepcopy(img))
                picture[0].tail = None
                return picture
    return None


def _first_paragraph(content: HtmlElement) -> str | None:
    """The story's first real paragraph (longer than a caption)."""
    for p in content.iter("p"):
        text = text_of(p)
        if len(text) >= _MIN_OPENING_CHARS:
            return text
    return None


_MIN_OPENING_CHARS = 120


def _prose(el: HtmlElement, text: str) -> bool:
    """Sentences, not links, a caption, a date line or a list of names."""
    if link_text_ratio(el, text) > 0.3 or TRUNCATED.search(text):
        return False
    if any(a.tag in ("figure", "figcaption") for a in el.iterancestors()):
        return False
    return bool(_PROSE_END.search(text)) or len(text.split()) >= 25


_PROSE_END = re.compile(r"[.!?。！？»\"”]\s*$")


def _following(h1: HtmlElement) -> set[HtmlElement]:
    """The first blocks after the title: its next siblings, or its header's."""
    found: set[HtmlElement] = set()
    anchor: HtmlElement | None = h1
    for _ in range(2):  # the h1 itself, then its header/hgroup wrapper
        if anchor is None:
            break
        sibling = anchor.getnext()
        for _ in range(3):
            if sibling is None:
                break
            if sibling.tag in ("p", "h2", "div", "span"):
                found.add(sibling)
            sibling = sibling.getnext()
        anchor = anchor.getparent()
    return found
