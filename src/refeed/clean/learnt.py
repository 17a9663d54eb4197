"""What refeed learns from a source's other pages, which no single-page extractor can know.

- *Template blocks*: a block of the story that recurs, word for word, on several pages
  of one source (a disclaimer, a newsletter line, an author's standing bio) is the
  site's template, not the story. Each page's blocks are kept as fingerprints in the
  store; a fingerprint seen on :data:`MIN_PAGES` pages or more is removed.
- *Other items' titles*: a block whose text is the title of another item of the same
  feed is a teaser for that item.
"""

from __future__ import annotations

import hashlib

from lxml.html import HtmlElement

from refeed.clean.shape import BLOCKS, MAX_HEADLINE_CHARS, is_leaf_block, text_key
from refeed.clean.trace import Trace
from refeed.dom import text_of

MIN_PAGES = 3  # a block on this many pages of a source is template
MAX_BLOCK_CHARS = 1000  # longer blocks are the story's own
MIN_TITLE_KEY = 12  # shorter titles ("Video", "Live") say too little to match on


def fingerprint(text: str) -> str:
    """A short, stable hash of a block's normalised text."""
    return hashlib.blake2b(text_key(text).encode(), digest_size=8).hexdigest()


def _leaf_blocks(content: HtmlElement) -> list[tuple[HtmlElement, str]]:
    found = []
    for el in content.iter(*BLOCKS):
        if el is content or not is_leaf_block(el):
            continue
        text = text_of(el)
        if text and len(text) <= MAX_BLOCK_CHARS:
            found.append((el, text))
    return found


def fingerprints(content: HtmlElement) -> tuple[str, ...]:
    """The fingerprints of the story's blocks, to learn from."""
    return tuple(sorted({fingerprint(text) for _, text in _leaf_blocks(content)}))


def remove_learnt(
    content: HtmlElement,
    trace: Trace,
    *,
    template: frozenset[str] = frozenset(),
    other_titles: frozenset[str] = frozenset(),
) -> None:
    """Remove template blocks and blocks that are another item's title."""
    if not template and not other_titles:
        return
    titles = {key for key in map(text_key, other_titles) if len(key) >= MIN_TITLE_KEY}
    for el, text in _leaf_blocks(content):
        if el.getparent() is None:
            continue
        if fingerprint(text) in template:
            trace.drop(el, "template", f"recurs on {MIN_PAGES}+ pages of this source", text)
        elif len(text) <= MAX_HEADLINE_CHARS + 40 and _names_other_item(text_key(text), titles):
            trace.drop(el, "teaser", "the title of another item of this feed", text)


def _names_other_item(key: str, titles: set[str]) -> bool:
    return key in titles or any(key.startswith(title) for title in titles)
