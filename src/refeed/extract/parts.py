"""The parts of a story readability left beside its choice: sibling boxes of prose, a
thread's other posts, the story's distant sections, its notes, lists, quotes and tables its
own cleaning dropped; and the fallbacks when its choice holds little (the densest paragraph
container, the JSON-LD ``articleBody``)."""

from __future__ import annotations

import copy
import re

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from refeed.clean import phrases
from refeed.clean.chrome import chrome_kind
from refeed.clean.shape import link_text_ratio
from refeed.clean.teasers import announced, documents
from refeed.dom import forget_text, name_words, text_of
from refeed.extract.metadata import page_url
from refeed.urls import site_of


def squash(text: str) -> str:
    """The text without white space: to find one text inside another however it wraps."""
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


def better_container(
    root: HtmlElement,
    content: HtmlElement,
    url: str = "",
    fallback: HtmlElement | None = None,
) -> HtmlElement | None:
    """readability's choice with the story's other parts around it, when it left some out.

    readability keeps its best node and some of its siblings; a story cut into many
    boxes (a paragraph per ``<div>``, a lead in its own box) loses the rest. From the
    page elements whose text readability kept, climb a few levels and gather the
    siblings that are prose (not links, lists of headlines or buttons), keeping the
    headings right above them, and the box of the notes the story's markers point at
    (:func:`notes`). When readability kept less than half of what the page's
    densest text container holds (*fallback*, :func:`refeed.clean.story_candidate`),
    that container is taken instead.
    """
    if fallback is not None and len(text_of(content)) < _FALLBACK_SHARE * len(text_of(fallback)):
        # readability's choice lost most of the paragraphs (it dislikes link-dense
        # stories and text laid out with <br>): take the densest container instead
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
    story = squash(text_of(content))
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
            # newsletters: only boxes built like the story's own count; right after the
            # story, its own blocks too (a box of another build there is an "about us",
            # a comment thread, a grid of cards)
            blocks = el is anchor
            after.extend(_story_siblings(siblings[index + 1 :], story, like=el, blocks=blocks))
        elif anchor.get("class"):  # far above, only boxes of readability's choice's template
            before[:0] = _story_siblings(siblings[:index], story, like=anchor, exact=True)
            after.extend(_story_siblings(siblings[index + 1 :], story, like=anchor, exact=True))
        el = parent
    chosen = {id(part) for part in before + after}
    after.extend(n for n in notes(root, anchor, content, story, url) if id(n) not in chosen)
    if not before and not after:
        return content if thread else None
    extended = lxml.html.Element("div")
    for part in before:
        extended.append(copy.deepcopy(part))
    extended.extend(list(content))
    for part in after:
        extended.append(copy.deepcopy(part))
    return extended


def _own_addresses(root: HtmlElement, url: str) -> frozenset[str]:
    """The page's own addresses (its URL, its canonical one), as a link to a place on
    the page spells them before the ``#``: the empty one too."""
    own = {"", url, page_url(root) or ""}
    return frozenset(a.split("#", 1)[0].rstrip("/") for a in own)


def notes(
    root: HtmlElement,
    anchor: HtmlElement,
    content: HtmlElement,
    story: str,
    url: str = "",
) -> list[HtmlElement]:
    """The story's notes, when they sit outside what readability kept: the box holding
    every element the story's note markers (``[1]``, ``2``, ``*``: a short link to a
    place on the page, at *url* or the page's own address) point at, with the heading
    right above it."""
    marks: dict[str, set[str]] = {}  # address -> the places it is linked to
    for a in content.iter("a"):
        address, hash_, place = (a.get("href") or "").partition("#")
        if hash_ and place and _note_mark(a):
            marks.setdefault(address.rstrip("/"), set()).add(place)
    if not marks:
        return []
    ids = {el.get("id"): el for el in root.iter() if isinstance(el, HtmlElement) and el.get("id")}
    own = _own_addresses(root, url)
    wanted = {place for address, places in marks.items() if address in own for place in places}
    if not wanted:
        # a saved page may spell its own address as one no tag names: one address whose
        # many places are all on this page is the page's own
        for places in marks.values():
            if len(places) >= _MIN_UNNAMED_MARKS and all(p in ids for p in places):
                wanted |= places
    # each note is the block its place is in (the place may be the note's backlink)
    lines = [_block_of(ids[place]) for place in wanted if place in ids]
    if not lines or any(len(text_of(line)) > _MAX_NOTE_CHARS for line in lines):
        return []  # a section, a comment thread: no note
    lines = [line for line in lines if squash(text_of(line))[:60] not in story]
    if not lines:
        return []
    box = _common_box(lines)
    if box is None or box is anchor or anchor in box.iterancestors():
        return []
    if anchor in box.iterdescendants() or chrome_kind(box) is not None:
        return []
    while (
        (parent := box.getparent()) is not None and parent.tag in _NOTE_BOXES and len(parent) == 1
    ):
        box = parent  # the list's own box
    found = [box]
    previous = box.getprevious()
    while previous is not None and previous.tag in ("style", "script"):
        previous = previous.getprevious()
    if (
        previous is not None
        and previous.tag in ("h2", "h3", "h4", "h5")
        and squash(text_of(previous)) not in story
    ):
        found.insert(0, previous)
    return found


def _block_of(el: HtmlElement) -> HtmlElement:
    """The element, or the block it is in."""
    block = el
    while block.tag not in _NOTE_BOXES and (parent := block.getparent()) is not None:
        block = parent
    return block


def _common_box(blocks: list[HtmlElement]) -> HtmlElement | None:
    """The smallest box holding every one of the blocks (below ``<body>``)."""
    box: HtmlElement | None = blocks[0]
    for block in blocks[1:]:
        while box is not None and box is not block and box not in block.iterancestors():
            box = box.getparent()
    if box is None:
        return None
    box = _block_of(box)
    return None if box.tag in ("body", "html") else box


def _note_mark(a: HtmlElement) -> bool:
    """A link built as a note's marker: a short mark, raised (``<sup>``) or in brackets."""
    text = text_of(a)
    if not _NOTE_MARK.fullmatch(text):
        return False
    parent = a.getparent()
    if text[0] in "[(" or a.find("sup") is not None or (parent is not None and parent.tag == "sup"):
        return True
    previous = a.getprevious()
    before = previous.tail if previous is not None else parent.text if parent is not None else ""
    return (before or "").rstrip().endswith(("[", "(")) and (a.tail or "").startswith(("]", ")"))


_MIN_UNNAMED_MARKS = 3
_NOTE_BOXES = frozenset(("p", "li", "div", "ol", "ul", "dl", "section", "aside", "footer"))
_MAX_NOTE_CHARS = 2000
# a note's marker: a number, a letter or a sign, in brackets or not ("[1]", "[n 3]", "*")
_NOTE_MARK = re.compile(r"[\[(]?(?:[^\W_]{1,3}(?: [^\W_]{1,3})?|[*†‡§¶]{1,3})[\])]?")


_FALLBACK_SHARE = 0.5
_STORY_BLOCKS = frozenset(("p", "blockquote", "ul", "ol", "pre", "table", "figure", "dl"))
_MAX_LEVELS = 3  # levels above the story whose prose siblings may be parts of it
_FAR_LEVELS = 8  # and where boxes of its template are (a thread's posts, its sections)
_RESTORABLE = ("ul", "ol", "blockquote", "table", "pre", "dl", "figure")


def _restore_dropped(anchor: HtmlElement, content: HtmlElement, url: str = "") -> None:
    """Put back the lists, quotes and tables readability's own cleaning took out of the
    story it chose (it drops link-rich lists and embedded quotes); the cleaners judge
    them afterwards like any other block. Each goes after the paragraph it followed."""
    story = squash(text_of(content))
    kept = {text_of(p): p for p in content.iter("p", "li", "h2", "h3", "h4")}
    for block in list(anchor.iter(_RESTORABLE)):
        if any(a.tag in _RESTORABLE for a in _between(block, anchor)):
            continue  # inside a block already considered
        text = text_of(block)
        if len(text) < _MIN_PROSE_CHARS or squash(text)[:60] in story or _mostly_in(block, story):
            continue
        if chrome_kind(block) is not None:
            continue
        if (
            link_text_ratio(block, text) >= 0.5
            and not _links_elsewhere(block, url)
            and not documents(block)
            and not announced(block)
        ):
            continue  # a list of the site's own links was dropped for a reason
        anchor_point = _kept_before(block, anchor, kept)
        if anchor_point is not None:
            anchor_point.addnext(copy.deepcopy(block))
            forget_text(anchor_point.iterancestors())
            story = squash(text_of(content))


def _mostly_in(block: HtmlElement, story: str) -> bool:
    """Whether most of the block's text is in the story already, its items or terms
    aside (readability keeps a definition list's definitions and drops its terms)."""
    leaves = [text_of(el) for el in block.iter("li", "dd", "p", "td", "blockquote")]
    kept = sum(len(t) for t in leaves if len(t) >= 20 and squash(t)[:80] in story)
    return kept > 0.5 * sum(len(t) for t in leaves)


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
    blocks: bool = False,
) -> list[HtmlElement]:
    """The prose siblings not in the story yet, each with the heading right above it.

    With ``like``, only boxes alike to it; ``exact``, only boxes of its very classes;
    ``blocks``, the story's own kinds of block (paragraphs, lists, quotes) as well.
    """
    chosen: list[HtmlElement] = []
    for i, sibling in enumerate(siblings):
        if (
            like is not None
            and not (blocks and sibling.tag in _STORY_BLOCKS)
            and not (_same_classes if exact else _alike)(sibling, like)
        ):
            continue
        prose, total = _prose_mass(sibling)
        if prose < _MIN_PROSE_CHARS or prose < 0.6 * total:
            continue
        text = text_of(sibling)
        if squash(text)[:80] in story or not _story_part(sibling, text):
            continue
        if _another_entry(sibling):
            continue
        previous = siblings[i - 1] if i else None
        if (
            previous is not None
            and previous.tag in ("h2", "h3", "h4", "h5")
            and previous not in chosen
            and squash(text_of(previous)) not in story
        ):
            chosen.append(previous)
        chosen.append(sibling)
    return chosen


def _story_part(el: HtmlElement, text: str) -> bool:
    """Not the page's header (the title), chrome, a teaser box or a call to action."""
    if el.tag == "h1" or el.find(".//h1") is not None or chrome_kind(el) is not None:
        return False
    opening = text[:150]
    return not (phrases.TEASER_HEADING.match(opening) or phrases.call_to_action(opening))


def _another_entry(box: HtmlElement) -> bool:
    """A box built as an entry of its own, not a part of the story beside it: a card
    (its heading is a link to elsewhere) or a post or comment with its own date above its
    text (a ``<time>`` or a box named for the date, before its first paragraph)."""
    for el in box.iter():
        if el is box or not isinstance(el, HtmlElement):
            continue
        if el.tag in _ENTRY_HEADINGS:
            text = text_of(el)
            links = [a for a in el.iter("a") if not (a.get("href") or "#").startswith("#")]
            if text and links and link_text_ratio(el, text) >= _LINKED_HEADING:
                return True
        elif el.tag == "time" or name_words(el) & _DATE_WORDS:
            return True
        elif el.tag == "p" and len(text_of(el)) >= _MIN_PROSE_CHARS:
            return False  # the text has begun: a date further down is the story's
    return False


_ENTRY_HEADINGS = frozenset(("h2", "h3", "h4", "h5", "h6"))
_LINKED_HEADING = 0.9
_DATE_WORDS = frozenset(("date", "dateline", "timestamp", "pubdate", "posted", "postdate"))


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


_ANCHOR_BLOCKS = ("p", "li", "pre", "td")  # a table's cells: a list article's rows


def _anchor(root: HtmlElement, content: HtmlElement) -> HtmlElement | None:
    """The deepest page element holding every long paragraph readability kept, or, when
    the page has no such paragraphs (readability made them of text boxes), the page
    element that is readability's outermost box with an id."""
    wanted = {text_of(p) for p in content.iter(_ANCHOR_BLOCKS)}
    wanted = {t for t in wanted if len(t) >= _MIN_PROSE_CHARS}
    found = [el for el in root.iter(_ANCHOR_BLOCKS) if text_of(el) in wanted] if wanted else []
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
