"""Find the main story of a page and its metadata.

readability-lxml chooses the story container (or the source's ``content``
selector does); metadata comes from the whole page: JSON-LD, OpenGraph and other
meta tags, ``<time>`` and ``<html lang>``. Lazy images are made real before the
choice so that the story keeps its pictures, and every link is made absolute.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from dateutil import parser as dateparser
from lxml import etree
from readability import Document
from readability.readability import Unparseable

from refeed.clean import phrases
from refeed.clean.chrome import chrome_kind
from refeed.clean.shape import TRUNCATED, link_text_ratio
from refeed.dom import forget_text, name_words, remembering_text, text_of
from refeed.errors import ParseError
from refeed.urls import site_of

log = logging.getLogger(__name__)
logging.getLogger("readability.readability").setLevel(logging.CRITICAL)

from lxml.html import HtmlElement  # noqa: E402

_LAZY_SRC = ("data-src", "data-original", "data-lazy-src", "data-url", "data-orig-src")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset")
_PLACEHOLDER = re.compile(
    r"^(data:|about:blank)|(blank|spacer|pixel|placeholder|lazy)\.(gif|png|svg)"
)


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    image: str | None = None
    language: str | None = None
    description: str | None = None
    body: str | None = None  # JSON-LD articleBody: the publisher's own plain text of the story


def metadata(root: HtmlElement, url: str) -> Metadata:
    """Title, author, date, lead image and language, best source first."""
    ld = _json_ld(root)
    meta = _meta_tags(root)
    title = (
        _str(ld.get("headline"))
        or meta.get("og:title")
        or meta.get("twitter:title")
        or _first_text(root, "//h1")
        or _first_text(root, "//title")
    )
    author = _author(ld.get("author")) or meta.get("author") or meta.get("article:author")
    if author and author.startswith(("http://", "https://")):
        author = None
    published = _date(
        _str(ld.get("datePublished"))
        or meta.get("article:published_time")
        or meta.get("datepublished")
        or meta.get("pubdate")
        or meta.get("date")
        or meta.get("dc.date")
        or meta.get("dc.date.issued")
        or _first_attr(root, "//time[@datetime]", "datetime")
    )
    image = _image(ld.get("image")) or meta.get("og:image") or meta.get("twitter:image")
    language = root.get("lang") or meta.get("og:locale") or meta.get("content-language")
    if language:
        language = language.replace("_", "-").split(",")[0].strip() or None
    return Metadata(
        title=title,
        author=author,
        published=published,
        image=lxml.html.urljoin(url, image) if image else None,
        language=language,
        description=meta.get("og:description") or meta.get("description"),
        body=_str(ld.get("articleBody")),
    )


def page_url(root: HtmlElement) -> str | None:
    """The page's own address: its canonical link, else ``og:url`` (absolute http(s) only)."""
    candidates: list[str | None] = [
        *(
            str(el.get("href") or "")
            for el in root.iter("link")
            if "canonical" in (el.get("rel") or "")
        ),
        _meta_tags(root).get("og:url"),
    ]
    for candidate in candidates:
        if candidate and urlsplit(candidate.strip()).scheme in ("http", "https"):
            return candidate.strip()
    return None


def _meta_tags(root: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in root.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        value = el.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _json_ld(root: HtmlElement) -> dict[str, Any]:
    """The first JSON-LD object that looks like an article."""
    for script in root.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for obj in _walk_ld(data):
            kind = obj.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(
                isinstance(k, str) and k.endswith(("Article", "Posting", "Report")) for k in kinds
            ):
                return obj
    return {}


def _walk_ld(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [obj for item in data for obj in _walk_ld(item)]
    if isinstance(data, dict):
        return [data, *_walk_ld(data.get("@graph", []))]
    return []


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _author(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_author(v) for v in value) if n]
        return ", ".join(names) or None
    if isinstance(value, dict):
        return _str(value.get("name"))
    return _str(value)


def _image(value: Any) -> str | None:
    if isinstance(value, list):
        return _image(value[0]) if value else None
    if isinstance(value, dict):
        return _str(value.get("url"))
    return _str(value)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = dateparser.parse(value)
    except (ValueError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _first_text(root: HtmlElement, xpath: str) -> str | None:
    for el in root.xpath(xpath):
        text = text_of(el)
        if text:
            return text
    return None


def _first_attr(root: HtmlElement, xpath: str, attr: str) -> str | None:
    for el in root.xpath(xpath):
        value = el.get(attr)
        if value:
            return str(value)
    return None


def fix_lazy_images(root: HtmlElement) -> None:
    """Give lazy images a real ``src``, and unwrap ``<noscript>`` copies of images."""
    for noscript in list(root.iter("noscript")):
        images = [img for img in noscript.iter("img") if img is not noscript]
        if not images and "<img" in (noscript.text or "").lower():
            try:
                parsed = lxml.html.fragment_fromstring(noscript.text or "", create_parent="div")
            except (etree.ParserError, ValueError):
                continue
            images = list(parsed.iter("img"))
        parent = noscript.getparent()
        if not images or parent is None:
            continue
        previous = noscript.getprevious()
        if previous is not None and previous.tag == "img" and _is_placeholder(previous):
            previous.drop_tree()
        index = parent.index(noscript)
        for offset, image in enumerate(images):
            image.tail = None
            parent.insert(index + offset, image)
        noscript.drop_tree()
    for img in root.iter("img"):
        for attr in _LAZY_SRC:
            value = img.get(attr)
            if value and not value.startswith("data:") and _is_placeholder(img):
                img.set("src", value.strip())
                break
        for attr in _LAZY_SRCSET:
            value = img.get(attr)
            if value:
                img.set("srcset", value)
        if _is_placeholder(img) and img.get("srcset"):
            img.set("src", img.get("srcset", "").split(",")[-1].strip().split(" ")[0])


def _is_placeholder(img: HtmlElement) -> bool:
    src = (img.get("src") or "").strip()
    return not src or bool(_PLACEHOLDER.search(src))


def main_content(root: HtmlElement, url: str, selector: str | None = None) -> HtmlElement:
    """The story container: the ``selector`` match, else readability's choice.

    Returns a ``<div>`` holding the story, with absolute links.
    """
    if selector:
        matches = root.cssselect(selector)
        if matches:
            wrapper = lxml.html.Element("div")
            for match in matches:
                wrapper.append(match)
            wrapper.make_links_absolute(url, handle_failures="discard")
            return wrapper
        log.info(
            "content selector %r matched nothing on %s; using automatic extraction", selector, url
        )
    # readability gets the parsed tree (no serialising round trip) and copies it; links
    # are made absolute once, below, not by readability as well
    document = _Readability(root)
    try:
        summary = document.summary(html_partial=True)
    except Unparseable as exc:
        raise ParseError(f"no story found: {exc}", url=url or None) from exc
    content = lxml.html.fragment_fromstring(summary or "<div></div>", create_parent="div")
    with remembering_text():  # nothing below changes the page's tree
        better = _better_container(root, content, url)
        if better is not None:
            content = better
        lead = _lead(root, content)
    if lead is not None:
        content.insert(0, lead)
    if url:
        content.make_links_absolute(url, handle_failures="discard")
    return content


class _Readability(Document):  # type: ignore[misc]
    """readability-lxml, handed a tree :func:`refeed.dom.parse_html` and
    :func:`refeed.clean.prepare` have already cleaned.

    Its own ``_parse`` would copy the tree through lxml's ``Cleaner`` to drop scripts,
    styles and comments (gone already) and hidden elements (judged already by
    :mod:`refeed.clean.chrome`, which keeps the hidden rest of a list and a hidden box
    holding the story). A plain copy is enough, and keeps the caller's tree untouched.
    """

    def _parse(self, input: HtmlElement) -> HtmlElement:
        self.encoding = "utf-8"
        return copy.deepcopy(input)


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


def _lead(root: HtmlElement, content: HtmlElement) -> HtmlElement | None:
    """The story's lead paragraph when readability left it out, as a copy to prepend.

    A lead sits between the title and the story: a block named like a lead, or a
    paragraph or subheading right after the ``<h1>``. It must read as prose (not links)
    and must not be in the story already.
    """
    body = root.find("body")
    if body is None:
        return None
    story = _squash(text_of(content))
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
        named = bool(name_words(el) & _LEAD_WORDS)
        if not named and el not in title_siblings:
            continue
        text = text_of(el)
        if not _LEAD_CHARS[0] <= len(text) <= _LEAD_CHARS[1] or not _prose(el, text):
            continue
        key = _squash(text)
        if key[:80] in story:
            return None  # the story already has its lead
        if story[:80] in key:
            return None  # this is the story's container, not a lead
        lead = lxml.html.Element("p")
        lead.text = text
        return lead
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


def _squash(text: str) -> str:
    return "".join(text.split())


_PROSE_BLOCKS = ("p", "li", "pre", "dd", "td", "blockquote", "div", "span", "section")
_MIN_PROSE_CHARS = 60


def _prose_mass(el: HtmlElement) -> tuple[int, int]:
    """(characters in prose blocks, characters in all) of an element.

    A prose block is a paragraph-like leaf of 60 characters or more, mostly unlinked;
    text inside a counted paragraph or list item is not counted twice.
    """
    prose = 0
    for block in el.iter(_PROSE_BLOCKS):
        if block.tag in _CONTAINERS and any(
            child.tag in _PROSE_BLOCKS or child.tag in ("ul", "ol", "table") for child in block
        ):
            continue  # a container: its children are counted
        if any(a.tag in _LEAVES for a in _between(block, el)):
            continue  # inside a paragraph already counted
        text = text_of(block)
        if len(text) >= _MIN_PROSE_CHARS and link_text_ratio(block, text) < 0.35:
            prose += len(text)
    return prose, len(text_of(el))


_LEAVES = frozenset(("p", "li", "blockquote", "pre", "dd"))
_CONTAINERS = frozenset(("div", "span", "section", "td"))


def _between(block: HtmlElement, top: HtmlElement) -> list[HtmlElement]:
    """The ancestors of ``block`` below ``top``."""
    found = []
    for ancestor in block.iterancestors():
        if ancestor is top:
            break
        found.append(ancestor)
    return found


def _better_container(root: HtmlElement, content: HtmlElement, url: str = "") -> HtmlElement | None:
    """readability's choice with the story's other parts around it, when it left some out.

    readability keeps its best node and some of its siblings; a story cut into many
    boxes (a paragraph per ``<div>``, a lead in its own box) loses the rest. From the
    page elements whose text readability kept, climb a few levels and gather the
    siblings that are prose (not links, lists of headlines or buttons), keeping the
    headings right above them. When readability kept almost nothing, the page's
    densest paragraph container is taken instead.
    """
    fallback = _paragraph_container(root)
    if fallback is not None and len(text_of(content)) < 0.5 * len(text_of(fallback)):
        # readability's choice lost most of the paragraphs (it dislikes link-dense
        # stories): take the element that holds the most paragraph text instead
        wrapper = lxml.html.Element("div")
        wrapper.append(copy.deepcopy(fallback))
        return wrapper
    anchor = _anchor(root, content)
    if anchor is None:
        return None
    thread = _thread(anchor)
    if thread:
        # every post is the story; its parent is where the climb for more parts starts
        content = lxml.html.Element("div")
        content.extend(copy.deepcopy(post) for post in thread)
        anchor = thread[0].getparent()
    else:
        _restore_dropped(anchor, content, url)
    story = _squash(text_of(content))
    before: list[HtmlElement] = []
    after: list[HtmlElement] = []
    el = anchor
    for level in range(_FAR_LEVELS):
        parent = el.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        siblings = [c for c in parent if isinstance(c, HtmlElement)]
        index = siblings.index(el)
        if level < _MAX_LEVELS:
            before[:0] = _story_siblings(siblings[:index], story)
            # past the first level, what follows a story is comments, "further reading",
            # newsletters: only boxes built like the story's own count
            like = None if el is anchor else el
            after.extend(_story_siblings(siblings[index + 1 :], story, like=like))
        elif anchor.get("class"):  # far above, only boxes of readability's choice's template
            before[:0] = _story_siblings(siblings[:index], story, like=anchor, exact=True)
            after.extend(_story_siblings(siblings[index + 1 :], story, like=anchor, exact=True))
        el = parent
    if not before and not after:
        return content if thread else None
    extended = lxml.html.Element("div")
    for part in before:
        extended.append(copy.deepcopy(part))
    extended.extend(list(content))
    for part in after:
        extended.append(copy.deepcopy(part))
    return extended


_MAX_LEVELS = 3  # levels above the story whose prose siblings may be parts of it
_FAR_LEVELS = 8  # and where boxes of its template are (a thread's posts, its sections)
_RESTORABLE = ("ul", "ol", "blockquote", "table", "pre", "dl", "figure")


def _restore_dropped(anchor: HtmlElement, content: HtmlElement, url: str = "") -> None:
    """Put back the lists, quotes and tables readability's own cleaning took out of the
    story it chose (it drops link-rich lists and embedded quotes); the cleaners judge
    them afterwards like any other block. Each goes after the paragraph it followed."""
    story = _squash(text_of(content))
    kept = {text_of(p): p for p in content.iter("p", "li", "h2", "h3", "h4")}
    for block in list(anchor.iter(_RESTORABLE)):
        if any(a.tag in _RESTORABLE for a in _between(block, anchor)):
            continue  # inside a block already considered
        text = text_of(block)
        if len(text) < _MIN_PROSE_CHARS or _squash(text)[:60] in story:
            continue
        if chrome_kind(block) is not None:
            continue
        if link_text_ratio(block, text) >= 0.5 and not _links_elsewhere(block, url):
            continue  # a list of the site's own links was dropped for a reason
        anchor_point = _kept_before(block, anchor, kept)
        if anchor_point is not None:
            anchor_point.addnext(copy.deepcopy(block))
            forget_text(anchor_point.iterancestors())
            story = _squash(text_of(content))


def _links_elsewhere(block: HtmlElement, url: str) -> bool:
    """Every link goes to another site: a story's list of sources, not its site's teasers."""
    site = site_of(url)
    hrefs = [a.get("href", "") for a in block.iter("a")]
    return bool(site) and bool(hrefs) and all(site_of(h) not in ("", site) for h in hrefs)


def _kept_before(
    block: HtmlElement, top: HtmlElement, kept: dict[str, HtmlElement]
) -> HtmlElement | None:
    """The story's copy of the last kept paragraph before ``block`` (below ``top``)."""
    node: HtmlElement | None = block
    while node is not None and node is not top:
        for previous in node.itersiblings(preceding=True):
            candidates = [previous, *previous.iter("p", "li", "h2", "h3", "h4")]
            for candidate in reversed(candidates):
                found = kept.get(text_of(candidate))
                if found is not None and found.getparent() is not None:
                    return found
        node = node.getparent()
    return None


def _story_siblings(
    siblings: list[HtmlElement],
    story: str,
    *,
    like: HtmlElement | None = None,
    exact: bool = False,
) -> list[HtmlElement]:
    """The prose siblings not in the story yet, each with the heading right above it.

    With ``like``, only boxes alike to it; ``exact``, only boxes of its very classes.
    """
    chosen: list[HtmlElement] = []
    for i, sibling in enumerate(siblings):
        if like is not None and not (_same_classes if exact else _alike)(sibling, like):
            continue
        prose, total = _prose_mass(sibling)
        if prose < _MIN_PROSE_CHARS or prose < 0.6 * total:
            continue
        text = text_of(sibling)
        if _squash(text)[:80] in story or not _story_part(sibling, text):
            continue
        previous = siblings[i - 1] if i else None
        if (
            previous is not None
            and previous.tag in ("h2", "h3", "h4", "h5")
            and previous not in chosen
            and _squash(text_of(previous)) not in story
        ):
            chosen.append(previous)
        chosen.append(sibling)
    return chosen


def _story_part(el: HtmlElement, text: str) -> bool:
    """Not the page's header (the title), chrome, a teaser box or a call to action."""
    if el.tag == "h1" or el.find(".//h1") is not None or chrome_kind(el) is not None:
        return False
    opening = text[:150]
    return not (phrases.TEASER_HEADING.match(opening) or phrases.CALL_TO_ACTION.search(opening))


def _alike(a: HtmlElement, b: HtmlElement) -> bool:
    """Same tag and a class word in common: two boxes of one template.

    Words of a page's grid ("row", "col", "container", utility classes) say nothing of
    what a box holds, so they do not count.
    """
    return a.tag == b.tag and bool((name_words(a) & name_words(b)) - _LAYOUT_WORDS)


_LAYOUT_WORDS = frozenset(
    (
        "row", "col", "cols", "column", "columns", "container", "wrapper", "wrap", "inner",
        "outer", "clearfix", "clear", "cf", "grid", "flex", "block", "box", "section",
        "layout", "region", "zone", "area", "panel", "module", "widget", "component",
        "full", "width", "w", "h", "p", "m", "px", "py", "mx", "my", "pt", "pb", "mt", "mb",
        "xs", "sm", "md", "lg", "xl", "left", "right", "center", "top", "bottom", "first",
        "last", "odd", "even", "active", "hidden", "visible", "show", "js", "is", "has",
        "u", "l", "c", "o", "g", "span", "pull", "push", "offset", "fluid", "d", "items",
        "justify", "gap", "relative", "absolute", "text", "bg", "border", "rounded",
    )
)  # fmt: skip


def _same_classes(a: HtmlElement, b: HtmlElement) -> bool:
    """Same tag and the very same classes."""
    return a.tag == b.tag and _classes(a) == _classes(b)


def _classes(el: HtmlElement) -> frozenset[str]:
    return frozenset((el.get("class") or "").split())


def _thread(anchor: HtmlElement) -> list[HtmlElement] | None:
    """The posts of a thread when readability chose one of them.

    A forum thread or a page of answers is a run of boxes of one template, each with
    prose of its own; readability keeps the best one. When the story sits in such a
    box, every box of the run is the story.
    """
    el = anchor
    for _ in range(_FAR_LEVELS):
        parent = el.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        alike = [c for c in parent if isinstance(c, HtmlElement) and _alike(c, el)]
        if len(alike) >= _THREAD_POSTS:
            posts = [c for c in alike if _post(c)]
            if len(posts) >= _THREAD_POSTS:
                return posts
        el = parent
    return None


_THREAD_POSTS = 3


def _post(el: HtmlElement) -> bool:
    """A box with prose of its own, not chrome, a teaser box or a call to action."""
    return _prose_mass(el)[0] >= _MIN_PROSE_CHARS and _story_part(el, text_of(el))


def _anchor(root: HtmlElement, content: HtmlElement) -> HtmlElement | None:
    """The deepest page element holding every long paragraph readability kept, or, when
    the page has no such paragraphs (readability made them of text boxes), the page
    element that is readability's outermost box with an id."""
    wanted = {text_of(p) for p in content.iter("p", "li", "pre")}
    wanted = {t for t in wanted if len(t) >= _MIN_PROSE_CHARS}
    found = [el for el in root.iter("p", "li", "pre") if text_of(el) in wanted] if wanted else []
    if not found:
        ids = (el.get("id") for el in content.iter() if el.get("id"))
        boxes = (root.xpath("//*[@id=$id]", id=box_id) for box_id in ids)
        return next((box[0] for box in boxes if len(box) == 1), None)
    common = list(found[0].iterancestors())
    for el in found[1:]:
        ancestors = set(el.iterancestors())
        common = [a for a in common if a in ancestors]
    return common[0] if common and common[0].tag not in ("body", "html") else None


def structured_body(content: HtmlElement, body: str | None) -> HtmlElement | None:
    """The JSON-LD ``articleBody`` as paragraphs, when the page's own choice lost most of it.

    The structured text has no links or pictures, so it only wins on evidence: it is
    long, and the extracted story holds less than half of its text.
    """
    if not body or len(body) < _MIN_STRUCTURED_CHARS:
        return None
    text = " ".join(body.split())
    if len(text_of(content)) >= 0.5 * len(text):
        return None
    story = lxml.html.Element("div")
    for line in body.splitlines():
        if line.strip():
            paragraph = etree.SubElement(story, "p")
            paragraph.text = " ".join(line.split())
    return story


_MIN_STRUCTURED_CHARS = 400


def _paragraph_container(root: HtmlElement) -> HtmlElement | None:
    """The element whose child paragraphs hold the most unlinked text."""
    scores: dict[HtmlElement, int] = {}
    for p in root.iter("p"):
        parent = p.getparent()
        if parent is None:
            continue
        text = len(text_of(p))
        linked = sum(len(text_of(a)) for a in p.iter("a"))
        scores[parent] = scores.get(parent, 0) + max(0, text - linked)
    if not scores:
        return None
    best = max(scores, key=lambda el: scores[el])
    return best if scores[best] > 0 else None
