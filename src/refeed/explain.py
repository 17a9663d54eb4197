"""The ``--explain`` data as a picture: a page with every removed block in its place.

:func:`explain` numbers each element of the parsed page (:data:`~refeed.clean.trace.MARK`,
an attribute the sanitiser drops, so that the article is the one a cycle publishes),
keeps a copy of the page as parsed, and runs the article path on it
(:func:`refeed.article.process_tree`): each removal then names the element it took out.
The copy becomes the page's text as refeed saw it: each removed block marked in place
with its kind and rule, the blocks of the story as they are, the rest (what the story's
choice left out) greyed. All of it is sanitised (:func:`refeed.sanitize.sanitize`:
scripts and their text gone, no ``on*``, no ``javascript:``), the page's own classes
dropped, pictures shown as their alt text: a preview page loads nothing. The preview
pages of ``refeed serve`` (:mod:`refeed.preview`) call it in a worker process, on the
page the store kept (:meth:`refeed.store.Store.page`).
"""

from __future__ import annotations

import copy
import html as htmllib
from dataclasses import dataclass
from typing import Final

import lxml.html
from lxml.html import HtmlElement

from refeed.article import KEPT, Rules, process_text, process_tree
from refeed.clean.trace import MARK
from refeed.decode import decode
from refeed.dom import drop_code, make_links_absolute, parse_fragment, parse_html
from refeed.models import Article, Removal
from refeed.sanitize import TAGS, sanitize

# what refeed.preview styles: a removed block, its label, the page outside the story
CUT, LABEL, OUTSIDE, PICTURE = "rf-cut", "rf-label", "rf-out", "rf-pic"
_OURS: Final = ("class", "data-kind", "data-rule")
_VOID: Final = frozenset(("img", "br", "hr", "input", "wbr", "area", "source", "embed", "col"))
_ROWS: Final = frozenset(("tr", "thead", "tbody", "tfoot"))
# tags the sanitiser drops (keeping what is in them) that hold blocks: shown as a <div>
_BLOCKISH: Final = frozenset(
    ("header", "footer", "nav", "aside", "section", "article", "main", "form", "center",
     "fieldset", "address", "hgroup", "menu", "dialog", "search", "body")
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Explained:
    """One page as a preview shows it (every field but *article* is sanitised HTML)."""

    article: Article  # what refeed makes of the page, as a cycle would
    page: str  # the page's text, each removed block marked in place
    published: str  # the article's HTML, pictures as their alt text
    unplaced: tuple[Removal, ...]  # removals that were no element of the page's own markup


def explain(
    body: bytes, *, url: str = "", content_type: str | None = None, rules: Rules | None = None
) -> Explained:
    """The article of *body* (as :func:`refeed.article.process` makes it) and the page
    with each block that was removed shown where it was."""
    rules = rules or Rules()
    decoded = decode(body, content_type)
    if content_type and content_type.split(";")[0].strip().lower() == "text/plain":
        article = process_text(decoded.text, url=url, rules=rules)
        lines = (line for line in decoded.text.splitlines() if line.strip())
        page = "".join(f"<p>{htmllib.escape(' '.join(line.split()))}</p>" for line in lines)
        return Explained(article, sanitize(page), published_view(article.html), article.removals)
    root = parse_html(decoded.text)
    for number, el in enumerate(root.iter()):
        if isinstance(el, HtmlElement):
            el.set(MARK, str(number))
    original = copy.deepcopy(root)
    made: list[tuple[Article, HtmlElement]] = []
    token = KEPT.set(made)
    try:
        article = process_tree(root, url=url, rules=rules, again=lambda: copy.deepcopy(original))
    finally:
        KEPT.reset(token)
    story = next((tree for made_one, tree in made if made_one is article), None)
    kept = frozenset(
        mark
        for el in (story.iter() if story is not None else ())
        if isinstance(el, HtmlElement) and (mark := el.get(MARK)) is not None
    )
    page, unplaced = _marked_page(original, article, kept)
    return Explained(article, page, published_view(article.html), unplaced)


def _marked_page(
    root: HtmlElement, article: Article, kept: frozenset[str]
) -> tuple[str, tuple[Removal, ...]]:
    drop_code(root)
    body = root.find("body")
    if body is None:
        body = root
    elements = {
        mark: el
        for el in body.iter()
        if isinstance(el, HtmlElement) and (mark := el.get(MARK)) is not None
    }
    for el in elements.values():  # the page's own classes go: the only ones shown are ours
        for name in _OURS:
            el.attrib.pop(name, None)
    placed: dict[str, list[Removal]] = {}
    unplaced: list[Removal] = []
    for removal in article.removals:
        if removal.at is not None and removal.at in elements:
            placed.setdefault(removal.at, []).append(removal)
        else:
            unplaced.append(removal)
    _grey(body, kept)
    for mark, removals in placed.items():
        _mark(elements[mark], removals)
    if article.url:
        make_links_absolute(body, article.url)
    _pictures(body)
    return sanitize(lxml.html.tostring(body, encoding="unicode"), marked=True), tuple(unplaced)


def _grey(el: HtmlElement, kept: frozenset[str]) -> bool:
    """Grey each largest block holding nothing of the story; whether *el* holds some."""
    if el.get(MARK) in kept:
        return True
    children = [child for child in el if isinstance(child, HtmlElement)]
    holds = [_grey(child, kept) for child in children]
    if any(holds):
        for child, held in zip(children, holds, strict=True):
            if not held:
                _shown(child)
                child.set("class", OUTSIDE)
        return True
    return False


def _mark(el: HtmlElement, removals: list[Removal]) -> None:
    """Mark *el* as removed: its kind and rule as attributes and as a label in it."""
    first = removals[0]
    label = lxml.html.Element("span")
    label.set("class", LABEL)
    label.text = " · ".join(f"{r.kind}: {r.rule}" for r in removals)
    if el.tag in _VOID or el.tag == "table":  # nothing can go in it (or only rows): wrapped
        box = lxml.html.Element("div")
        el.addprevious(box)
        box.tail, el.tail = el.tail, None
        box.append(label)
        box.append(el)
        el = box
    _shown(el)
    host = el
    if el.tag in _ROWS:  # a label in a row goes in its first cell, else out of the table
        host = next(iter(el.iterdescendants("td", "th")), el)
    if label.getparent() is None:
        label.tail, host.text = host.text, None
        host.insert(0, label)
    el.set("class", CUT)
    el.set("data-kind", first.kind)
    el.set("data-rule", first.rule)


def _shown(el: HtmlElement) -> None:
    """A tag the sanitiser would drop (with our class), as a <div> or a <span>."""
    if el.tag not in TAGS:
        el.tag = "div" if el.tag in _BLOCKISH else "span"


def _pictures(tree: HtmlElement) -> None:
    """Each picture as a label with its alt text: the preview loads nothing."""
    for img in list(tree.iter("img")):
        label = lxml.html.Element("span")
        label.set("class", PICTURE)
        alt = " ".join((img.get("alt") or "").split())
        label.text = f"picture: {alt}" if alt else "picture"
        label.tail = img.tail
        parent = img.getparent()
        if parent is not None:
            parent.replace(img, label)


def published_view(markup: str) -> str:
    """An article's HTML as a preview shows it: sanitised (again), pictures as labels."""
    if not markup.strip():
        return ""
    content = parse_fragment(markup)
    _pictures(content)
    return sanitize(lxml.html.tostring(content, encoding="unicode"), marked=True)
