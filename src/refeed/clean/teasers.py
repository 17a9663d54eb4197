"""Teasers: other stories' headlines, in lists, runs of cards, or one "Read also:" line.

A *teaser* is another story's headline: short, mostly a link or cut off with
"..." / "…", and in a run of blocks of the same shape, often under a heading
such as "Read also". A story's own list is kept: its items are sentences, or
few of them are links, or they point to other sites.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from refeed.clean.phrases import INLINE_LABEL, TEASER_HEADING
from refeed.clean.shape import (
    MAX_HEADLINE_CHARS,
    SENTENCE_END,
    TRUNCATED,
    headline_shaped,
    link_text_ratio,
)
from refeed.clean.trace import Trace
from refeed.dom import short_text, text_of
from refeed.urls import site_of

MAX_INLINE_CHARS = 250
_MAX_LINE_CHARS = max(MAX_INLINE_CHARS, MAX_HEADLINE_CHARS)  # no inline teaser is longer


def remove_teasers(root: HtmlElement, url: str, trace: Trace) -> None:
    """Remove teaser headings with their lists, runs of teaser blocks and inline teasers."""
    site = _Where(site_of(url), url, _address(url) if url else "")
    for heading in list(root.iter()):
        if isinstance(heading, HtmlElement) and heading.getparent() is not None:
            _teaser_heading(heading, site, trace)
    for parent in list(root.iter()):
        if isinstance(parent, HtmlElement) and (parent is root or parent.getparent() is not None):
            _teaser_runs(parent, site, trace)
    for p in list(root.iter("p", "div", "li", "h2", "h3", "h4", "h5", "h6")):
        if p.getparent() is None:
            continue
        text = short_text(p, _MAX_LINE_CHARS)
        if text is None:
            continue  # longer than any inline teaser or linked headline
        label = INLINE_LABEL.match(text)
        if label and len(text) <= MAX_INLINE_CHARS and _inline_teaser(p, text, label.end()):
            trace.drop(p, "teaser", f"inline {label.group(1)!r} line", text)
        elif p.tag == "p" and _linked_headline(p, text, site):
            trace.drop(p, "teaser", "a paragraph that is only a link to another story", text)
        elif p.tag == "p" and _labelled_link(p, text, site):
            trace.drop(p, "teaser", "a label and a link to another story", text)
        elif p.tag in _CARD_HEADINGS and _linked_headline(p, text, site):
            card = p.getparent()
            if card is not None and card is not root and _card(card, p):
                trace.drop(card, "teaser", "a card: another story's linked headline and summary")


_CARD_HEADINGS = frozenset(("h2", "h3", "h4", "h5", "h6"))
_MAX_CARD_SUMMARY = 400


def _card(box: HtmlElement, heading: HtmlElement) -> bool:
    """A small box: the linked headline, at most a short summary, pictures and a date."""
    rest = [c for c in box if isinstance(c, HtmlElement) and c is not heading and text_of(c)]
    if len(rest) > 2:
        return False
    return sum(len(text_of(c)) for c in rest) <= _MAX_CARD_SUMMARY


def _inline_teaser(el: HtmlElement, text: str, label_end: int) -> bool:
    """ "Read also: <headline>": the rest is a link, or a headline rather than a sentence."""
    if link_text_ratio(el, text) >= 0.4:
        return True
    rest = text[label_end:].strip()
    return bool(rest) and len(rest) <= MAX_HEADLINE_CHARS and not rest.endswith(".")


def _teaser_heading(el: HtmlElement, site: _Where, trace: Trace) -> None:
    if len(el) > 3:
        return  # a heading holds a few inline elements at most
    text = short_text(el, _MAX_HEADING_CHARS)
    if not text or not TEASER_HEADING.match(text):
        return
    if len(el) and any(child.tag in ("ul", "ol", "p") for child in el):
        return  # a container, not a heading: its runs are judged below
    parent = el.getparent()
    run = []
    following = el.getnext()
    rest = False  # anything with text after the heading
    while following is not None:
        if _empty(following):
            following = following.getnext()
            continue
        rest = True
        if not (_teaser_block(following, site) or headline_shaped(following)):
            break
        run.append(following)
        following = following.getnext()
    if run:
        for block in run:
            trace.drop(block, "teaser", f"under the heading {text!r}")
        trace.drop(el, "teaser-heading", "heading of a teaser list", text)
    elif not rest and parent is not None and parent.tag not in ("body", "html"):
        siblings = [s for s in parent if s is not el]
        if siblings and all(_teaser_block(s, site) for s in siblings):
            trace.drop(parent, "teaser", f"a box of teasers headed {text!r}")
        elif el.tag in ("h2", "h3", "h4", "h5", "h6"):
            trace.drop(el, "teaser-heading", "teaser heading with nothing under it", text)


_MAX_HEADING_CHARS = 60


def _empty(el: HtmlElement) -> bool:
    return not text_of(el) and el.find(".//img") is None


class _Where(NamedTuple):
    """The page the teasers are looked for on: its site's host and its own address."""

    host: str
    url: str  # the page's URL; "" when unknown
    page: str  # its _address


def _on_this_page(href: str, where: _Where) -> bool:
    """A link to a place on the page itself: ``#notes``, or the page's address with one (a
    bare ``#``, a script's toggle, names no place)."""
    if href.startswith("#"):
        return len(href.strip()) > 1
    if "#" not in href or not where.url:
        return False
    return _address(urljoin(where.url, href.split("#", 1)[0])) == where.page


def _address(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc.lower().removeprefix('www.')}{parts.path.rstrip('/')}"


def _linked_headline(el: HtmlElement, text: str, site: _Where) -> bool:
    """A block that is nothing but one link to another story of the same site."""
    if len(text) > MAX_HEADLINE_CHARS or text.endswith(".") or link_text_ratio(el, text) < 0.9:
        return False
    links = [a for a in el.iter("a") if a.get("href")]
    if len(links) != 1:
        return False
    href = links[0].get("href", "")
    path = urlsplit(href).path
    return (
        site_of(href) in ("", site.host)
        and _address(urljoin(site.url, href)) != site.page  # a permalink to itself: its title
        and _ARTICLE_PATH.search(path) is not None
        and _FILE.search(path) is None
    )


def _labelled_link(el: HtmlElement, text: str, site: _Where) -> bool:
    """ "Former commander: <a>headline of another story</a>": a short label ending in a
    colon, then one link to another story of the site, which is the rest of the line."""
    links = [a for a in el.iter("a") if a.get("href")]
    if len(links) != 1 or len(text) > MAX_HEADLINE_CHARS:
        return False
    linked = text_of(links[0])
    if not linked:
        return False
    label, _, rest = text.partition(linked)
    label = label.strip()
    return (
        label.endswith(":")
        and len(label) <= _MAX_LABEL_CHARS
        and not rest.strip(" .…")
        and _linked_headline(links[0], linked, site)
    )


_MAX_LABEL_CHARS = 60


# a story's address: a long slug or an id, not a file, a tag page or the home page
_ARTICLE_PATH = re.compile(r"(/[^/]*[-_][^/]*[-_][^/]{2,}|/\d{4,}[^/]*)/?(\.html?|\.php)?$")


_FILE = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|csv|zip|jpe?g|png|gif|mp3|mp4)$", re.I)


def _teaser_block(el: HtmlElement, site: _Where) -> bool:
    """A list or container whose items are mostly teasers. A block with words between its
    children is a sentence with links in it (a paragraph of an encyclopaedia's article),
    not a box of them: it is judged whole."""
    items = [c for c in el if isinstance(c, HtmlElement) and text_of(c)]
    if el.tag in ("ul", "ol") or (len(items) >= 2 and not _running_text(el)):
        teasers = sum(_teaser_item(c, site) for c in items)
        return bool(items) and teasers >= max(1, 0.6 * len(items))
    return _teaser_item(el, site)


def _teaser_item(el: HtmlElement, site: _Where) -> bool:
    """One headline-shaped block: short and a link, or cut off with an ellipsis. A link to
    a place on the page itself (a table of contents' entry, a note) is no other story."""
    text = short_text(el, MAX_HEADLINE_CHARS)
    if not text:
        return False
    if TRUNCATED.search(text):
        return True
    links = [a for a in el.iter("a") if a.get("href")]
    if links and documents(el):
        return False  # documents (a report, the minutes), not other stories
    if links and all(_on_this_page(a.get("href", ""), site) for a in links):
        return False
    same_site = any(site_of(a.get("href", "")) in ("", site.host) for a in links)
    if not links or link_text_ratio(el, text) < 0.6:
        # a card: a thumbnail and a link to another story of the site (a feature list's
        # "learn more" links and videos go elsewhere)
        return el.find(".//img") is not None and same_site
    if text.endswith(".") and len(text) > 60:
        return False  # a sentence, as in a story's list of sources
    return same_site


def documents(box: HtmlElement) -> bool:
    """Every link in *box* is to a file (``.pdf``, ``.docx``, ...): documents, not stories."""
    hrefs = [a.get("href", "") for a in box.iter("a") if a.get("href")]
    return bool(hrefs) and all(_FILE.search(urlsplit(href).path) for href in hrefs)


def announced(box: HtmlElement) -> bool:
    """The story's own sentence announces the list ("The documents the council published:"):
    a line of a few words ending in a colon, right above it, that no teaser label opens."""
    previous = box.getprevious()
    while previous is not None and not text_of(previous):
        previous = previous.getprevious()
    if previous is None or previous.tag not in ("p", "div", "span", "strong", "b"):
        return False
    text = text_of(previous)
    return (
        text.endswith(":")
        and len(text.split()) >= _INTRODUCING_WORDS
        and len(text) <= MAX_INLINE_CHARS
        and not TEASER_HEADING.match(text)
        and not INLINE_LABEL.match(text)
    )


_INTRODUCING_WORDS = 3


def _running_text(parent: HtmlElement) -> bool:
    """Words between the children (not separators such as "|" or "·"): a sentence."""
    return any(
        _WORD.search(text or "") for text in (parent.text, *(child.tail for child in parent))
    )


_WORD = re.compile(r"[^\W\d_]{2}|[^\W\d_\u0000-\u2fff]")  # two letters, or one CJK-like one


def _teaser_runs(parent: HtmlElement, site: _Where, trace: Trace) -> None:
    """Runs of three or more teaser siblings (list items, cards, paragraphs)."""
    if len(parent) < 3:
        return  # most elements: a leaf, or a box of one or two
    # a <br> separates the blocks of a run (a column of links, one per line): it ends none
    children = [c for c in parent if isinstance(c, HtmlElement) and c.tag != "br"]
    if len(children) < 3:
        return
    if parent.tag in ("ul", "ol"):
        if announced(parent):
            return
        items = [c for c in children if text_of(c)]
        if len(items) >= 3 and sum(_teaser_item(c, site) for c in items) >= 0.7 * len(items):
            heading = parent.getprevious()
            trace.drop(parent, "teaser", f"list of {len(items)} items, most of them headlines")
            if heading is not None and _heading_like(heading):
                trace.drop(heading, "teaser-heading", "heading of a teaser list")
        return
    if _running_text(parent):
        return  # links inside a sentence ("is a complex square matrix that"), not blocks
    run: list[HtmlElement] = []
    teasers = 0
    seen: set[str] = set()  # other stories' headlines differ: one label again is no headline
    for child in [*children, None]:
        if child is not None:
            teaser = _teaser_item(child, site)
            if teaser or headline_shaped(child):
                run.append(child)
                text = text_of(child)
                teasers += teaser and text not in seen
                seen.add(text)
                continue
        # three teasers anywhere, or two closing the container (a story ends in sentences)
        enough = teasers >= 3 or (teasers >= 2 and child is None)
        if len(run) >= 3 and enough and teasers >= 0.4 * len(run):
            heading = run[0].getprevious()
            for el in run:
                trace.drop(el, "teaser", f"run of {len(run)} headline-shaped blocks")
            if heading is not None and _heading_like(heading):
                trace.drop(heading, "teaser-heading", "heading of a teaser run")
        run, teasers, seen = [], 0, set()


def _heading_like(el: HtmlElement) -> bool:
    text = text_of(el)
    if not text or len(text) > 60:
        return False
    if TEASER_HEADING.match(text):
        return True
    return el.tag in ("h2", "h3", "h4", "h5", "h6") and not SENTENCE_END.search(text)
