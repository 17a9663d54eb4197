"""How a block looks: its links, its length, whether it reads like a sentence or a headline."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from refeed.dom import short_text, text_of

BLOCKS = frozenset(
    (
        "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "dt", "dd",
        "blockquote", "figure", "figcaption", "header", "center", "table", "ul", "ol", "dl",
    )
)  # fmt: skip
# blocks that can be one headline of a run (a list or table is never one headline)
LINE_BLOCKS = frozenset(
    ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "dt", "dd")
)
HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
MAX_HEADLINE_CHARS = 160
SENTENCE_END = re.compile(r"[.!?;:»\"”')]\s*$")
_NOT_ALNUM = re.compile(r"[\W_]+")
TRUNCATED = re.compile(r"(\.\.\.|…)\s*$")


def link_text_ratio(el: HtmlElement, text: str | None = None) -> float:
    """Share of the block's text inside links (0 to 1)."""
    text = text_of(el) if text is None else text
    if not text:
        return 0.0
    linked = sum(len(text_of(a)) for a in el.iter("a"))
    return min(1.0, linked / len(text))


def is_leaf_block(el: HtmlElement) -> bool:
    """A block with no block inside it: one paragraph, line or caption."""
    return not any(
        isinstance(child, HtmlElement) and child.tag in BLOCKS for child in el.iterdescendants()
    )


def headline_shaped(el: HtmlElement) -> bool:
    """Short, one line, and not a sentence: how another story's headline looks."""
    if el.tag not in LINE_BLOCKS or len(el) > 3:
        return False
    text = short_text(el, MAX_HEADLINE_CHARS)
    if not text:
        return False
    return bool(TRUNCATED.search(text)) or not text.endswith((".", ":", ";"))


def has_story(el: HtmlElement) -> bool:
    """Two long or three fair unlinked paragraphs: a story, never page chrome."""
    long_paragraphs = fair_paragraphs = 0
    for p in el.iter("p"):
        text = text_of(p)
        if len(text) < 100 or link_text_ratio(p, text) >= 0.3:
            continue
        fair_paragraphs += 1
        long_paragraphs += len(text) > 200
        if long_paragraphs >= 2 or fair_paragraphs >= 3:
            return True
    return False


def text_key(text: str) -> str:
    """Letters and digits only, case-folded: two texts that say the same thing match."""
    return _NOT_ALNUM.sub("", text.casefold())
