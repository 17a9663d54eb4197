"""Remove what is not the story: the source's strip rules, page chrome, teaser lists.

Runs twice in the article path: :func:`prepare` on the whole page before the
story is chosen (so that teaser lists cannot pull the choice their way), and
:func:`clean_content` on the chosen story. Each removal is counted by kind.
Sanitising for feed readers is :mod:`refeed.sanitize`.

A *teaser* is another story's headline: short, mostly a link or cut off with
"..." / "…", and in a run of blocks of the same shape, often under a heading
such as "Read also". A story's own list is kept: its items are sentences, or
few of them are links.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from lxml.html import HtmlElement

from refeed.dom import text_of
from refeed.urls import site_of

_TEASER_HEADING = re.compile(
    r"^\W*("
    r"read (also|more|next)|see also|more (news|stories|from|in|on)|related( (stories|articles|news|posts))?|"
    r"you (may|might) (also )?like|recommended( for you)?|most (popular|read|viewed)|popular|trending|"
    r"top stories|latest( news)?|other news|in other news|also on|don't miss|editor'?s picks|"
    r"читайте (также|еще|ещё)|смотрите также|см\. также|по теме|популярное|самое (читаемое|популярное)|"
    r"новости партн[её]ров|другие новости|еще новости|ещё новости|лента новостей|главное|"
    r"читайте також|дивіться також|популярне|"
    r"lesen sie (auch|mehr)|mehr zum thema|weitere artikel|das könnte sie auch interessieren|"
    r"à lire aussi|lire aussi|sur le même sujet|leer también|lea también|ver también|"
    r"leggi anche|potrebbe interessarti|leia também|czytaj (też|także)|przeczytaj też"
    r")\b",
    re.IGNORECASE,
)
_INLINE_LABEL = re.compile(
    r"^\W*(read (also|more|next)|see also|related|watch|listen|читайте (также|еще|ещё)|"
    r"смотрите также|читайте також|lesen sie auch|lire aussi|leer también|leggi anche)\s*[:\-–—]",
    re.IGNORECASE,
)
_CHROME_NAME = re.compile(
    r"(^|[\s_-])(share|sharing|social|comments?|comment-list|related|promo|newsletter|subscribe|"
    r"cookie|breadcrumbs?|sidebar|advert|ads|banner|popular|most-read|recommend(ed|ations)?|"
    r"outbrain|taboola|teasers?|news-list|more-news|read-more|author-box|tags)($|[\s_-])",
    re.IGNORECASE,
)
_CHROME_TAGS = ("nav", "aside", "footer", "form", "button", "select", "textarea", "iframe")
_SENTENCE_END = re.compile(r"[.!?;:»\"”')]\s*$")
_TRUNCATED = re.compile(r"(\.\.\.|…)\s*$")
_BLOCKS = frozenset(
    ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "dt", "dd")
)
MAX_TEASER_CHARS = 160


def link_text_ratio(el: HtmlElement, text: str | None = None) -> float:
    text = text_of(el) if text is None else text
    if not text:
        return 0.0
    linked = sum(len(text_of(a)) for a in el.iter("a"))
    return min(1.0, linked / len(text))


def drop(el: HtmlElement, removed: Counter[str], kind: str) -> None:
    if el.getparent() is not None:
        el.drop_tree()
        removed[kind] += 1


def strip_selectors(root: HtmlElement, selectors: Iterable[str], removed: Counter[str]) -> None:
    """Remove every element matching one of the source's ``strip`` selectors."""
    for selector in selectors:
        for el in root.cssselect(selector):
            drop(el, removed, "strip")


def prepare(root: HtmlElement, url: str, removed: Counter[str]) -> None:
    """Remove page chrome and teaser lists from the whole page before extraction."""
    body = root.find("body")
    if body is None:
        return
    total = max(1, len(text_of(body)))
    for el in list(body.iter(*_CHROME_TAGS)):
        if len(text_of(el)) < total * 0.4:
            drop(el, removed, "boilerplate")
    for el in list(body.iter()):
        if not isinstance(el, HtmlElement) or el.getparent() is None:
            continue
        name = f"{el.get('class', '')} {el.get('id', '')}"
        if _CHROME_NAME.search(name) and len(text_of(el)) < total * 0.4 and not _has_story(el):
            drop(el, removed, "boilerplate")
    remove_teasers(body, url, removed)


def _has_story(el: HtmlElement) -> bool:
    """At least two long unlinked paragraphs: never page chrome."""
    long_paragraphs = 0
    for p in el.iter("p"):
        text = text_of(p)
        if len(text) > 200 and link_text_ratio(p, text) < 0.3:
            long_paragraphs += 1
            if long_paragraphs >= 2:
                return True
    return False


def clean_content(content: HtmlElement, url: str, removed: Counter[str]) -> None:
    """Remove teaser lists, inline teasers and empty leftovers from the chosen story."""
    remove_teasers(content, url, removed)
    for el in list(content.iter()):
        if (
            isinstance(el, HtmlElement)
            and el is not content
            and el.tag in _BLOCKS
            and not text_of(el)
            and el.find(".//img") is None
            and el.find(".//table") is None
        ):
            drop(el, removed, "empty")


def remove_teasers(root: HtmlElement, url: str, removed: Counter[str]) -> None:
    """Remove teaser headings with their lists, runs of teaser blocks and inline teasers."""
    site = site_of(url)
    for heading in list(root.iter()):
        if isinstance(heading, HtmlElement) and heading.getparent() is not None:
            _teaser_heading(heading, site, removed)
    for parent in list(root.iter()):
        if isinstance(parent, HtmlElement) and (parent is root or parent.getparent() is not None):
            _teaser_runs(parent, site, removed)
    for p in list(root.iter("p", "div", "li")):
        if p.getparent() is None:
            continue
        text = text_of(p)
        if _INLINE_LABEL.match(text) and len(text) <= 200 and link_text_ratio(p, text) >= 0.4:
            drop(p, removed, "teaser")


def _teaser_heading(el: HtmlElement, site: str, removed: Counter[str]) -> None:
    text = text_of(el)
    if not text or len(text) > 60 or not _TEASER_HEADING.match(text):
        return
    if len(el) and any(child.tag in ("ul", "ol", "p") for child in el):
        return  # a container, not a heading: its runs are judged below
    parent = el.getparent()
    run = []
    following = el.getnext()
    while following is not None and (_teaser_block(following, site) or _headline_shaped(following)):
        run.append(following)
        following = following.getnext()
    if run:
        for block in run:
            drop(block, removed, "teaser")
        drop(el, removed, "teaser-heading")
    elif el.getnext() is None and parent is not None and parent.tag not in ("body", "html"):
        siblings = [s for s in parent if s is not el]
        if siblings and all(_teaser_block(s, site) for s in siblings):
            drop(parent, removed, "teaser")
        elif el.tag in ("h2", "h3", "h4", "h5", "h6"):
            drop(el, removed, "teaser-heading")


def _headline_shaped(el: HtmlElement) -> bool:
    """Short, one line, and not a sentence: how another story's headline looks."""
    if el.tag not in _BLOCKS or len(el) > 3:
        return False
    text = text_of(el)
    if not text or len(text) > MAX_TEASER_CHARS:
        return False
    return bool(_TRUNCATED.search(text)) or not text.endswith((".", ":", ";"))


def _teaser_block(el: HtmlElement, site: str) -> bool:
    """A list or container whose items are mostly teasers."""
    items = [c for c in el if isinstance(c, HtmlElement) and text_of(c)]
    if el.tag in ("ul", "ol") or len(items) >= 2:
        teasers = sum(_teaser_item(c, site) for c in items)
        return bool(items) and teasers >= max(1, 0.6 * len(items))
    return _teaser_item(el, site)


def _teaser_item(el: HtmlElement, site: str) -> bool:
    """One headline-shaped block: short and a link, or cut off with an ellipsis."""
    text = text_of(el)
    if not text or len(text) > MAX_TEASER_CHARS:
        return False
    if _TRUNCATED.search(text):
        return True
    links = [a for a in el.iter("a") if a.get("href")]
    if not links or link_text_ratio(el, text) < 0.6:
        return el.find(".//img") is not None and bool(links)
    if text.endswith(".") and len(text) > 60:
        return False  # a sentence, as in a story's list of sources
    return any(site_of(a.get("href", "")) in ("", site) for a in links)


def _teaser_runs(parent: HtmlElement, site: str, removed: Counter[str]) -> None:
    """Runs of three or more teaser siblings (list items, cards, paragraphs)."""
    children = [c for c in parent if isinstance(c, HtmlElement)]
    if len(children) < 3:
        return
    if parent.tag in ("ul", "ol"):
        items = [c for c in children if text_of(c)]
        if len(items) >= 3 and sum(_teaser_item(c, site) for c in items) >= 0.7 * len(items):
            heading = parent.getprevious()
            drop(parent, removed, "teaser")
            if heading is not None and _heading_like(heading):
                drop(heading, removed, "teaser-heading")
        return
    run: list[HtmlElement] = []
    for child in [*children, None]:
        if child is not None and (_teaser_item(child, site) or _headline_shaped(child)):
            run.append(child)
            continue
        teasers = sum(_teaser_item(el, site) for el in run)
        # three teasers anywhere, or two closing the container (a story ends in sentences)
        enough = teasers >= 3 or (teasers >= 2 and child is None)
        if len(run) >= 3 and enough and teasers >= 0.4 * len(run):
            heading = run[0].getprevious()
            for el in run:
                drop(el, removed, "teaser")
            if heading is not None and _heading_like(heading):
                drop(heading, removed, "teaser-heading")
        run = []


def _heading_like(el: HtmlElement) -> bool:
    text = text_of(el)
    if not text or len(text) > 60:
        return False
    if _TEASER_HEADING.match(text):
        return True
    return el.tag in ("h2", "h3", "h4", "h5", "h6") and not _SENTENCE_END.search(text)
