"""The story container: the source's ``content`` selector, else readability's choice
with the parts it left out put back (:mod:`refeed.extract.parts`, :mod:`refeed.extract.lead`)."""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import lxml.html
import readability.readability
from lxml.html import HtmlElement
from readability import Document
from readability.readability import Unparseable

from refeed.dom import make_links_absolute, remembering_text, text_of
from refeed.errors import ParseError
from refeed.extract.lead import lead_paragraph, lead_picture
from refeed.extract.parts import better_container

log = logging.getLogger(__name__)
logging.getLogger("readability.readability").setLevel(logging.CRITICAL)

_library_clean = readability.readability.clean
_SPACES = re.compile(r"  +")
_ODD_SPACE = re.compile(r"[^\S \xa0]")  # white space but a space or a no-break space
_LONG_RUN = re.compile(r"\s{255}")
_TABS = re.compile(r"\t|[ \t]{2,}")


def _clean(text: str) -> str:
    """readability's ``clean``, which it runs on every text it measures (a tenth of the
    article path), sooner: it replaces each run of 255 or more white space characters
    with 255 spaces, folds each run of white space holding a line break into the break,
    then turns each tab, and each run of two or more spaces and tabs, into one space, and
    strips. On a page :func:`refeed.dom.parse_html` has folded, a text seldom holds a line
    break or a tab (the rest of a page after a ``<pre>``): then only runs of spaces are
    left to fold. A long run of white space other than spaces (no-break spaces, line
    breaks) goes through the library's own function."""
    if "\n" in text or "\t" in text:
        if _LONG_RUN.search(text):
            return str(_library_clean(text))
        if "\n" in text:
            # white space around each break goes, and a break on a blank line with it
            lines = text.split("\n")
            last = len(lines) - 1
            stripped = (
                line.rstrip() if i == 0 else line.lstrip() if i == last else line.strip()
                for i, line in enumerate(lines)
            )
            text = "\n".join(line for line in stripped if line)
        return (_TABS if "\t" in text else _SPACES).sub(" ", text).strip()
    if ("\xa0" in text or _ODD_SPACE.search(text)) and _LONG_RUN.search(text):
        return str(_library_clean(text))
    return _SPACES.sub(" ", text).strip()


readability.readability.clean = _clean  # the same answers (tests/test_fuzz.py), sooner


def selected_content(
    root: HtmlElement, url: str, selector: str, *, base: str | None = None
) -> HtmlElement | None:
    """A ``<div>`` holding every match of the source's ``content`` *selector* (taken out of
    *root*), with links made absolute against *base* (default: *url*); None when nothing
    matches (automatic extraction then)."""
    matches = root.cssselect(selector)
    if not matches:
        log.info(
            "content selector %r matched nothing on %s; using automatic extraction", selector, url
        )
        return None
    wrapper = lxml.html.Element("div")
    for match in matches:
        wrapper.append(match)
    base = url if base is None else base
    if base:
        make_links_absolute(wrapper, base)
    return wrapper


def main_content(
    root: HtmlElement,
    url: str,
    fallback: HtmlElement | None = None,
    *,
    base: str | None = None,
) -> HtmlElement:
    """The story container: readability's choice, else *fallback* (the densest text
    container) when readability kept little of it.

    Returns a ``<div>`` holding the story, with links made absolute against *base*
    (the page's ``<base href>``; default: *url*).
    """
    # readability gets the parsed tree (no serialising round trip) and copies it; links
    # are made absolute once, below, not by readability as well
    document = _Readability(root)
    try:
        document.summary(html_partial=True)
    except Unparseable as exc:
        raise ParseError(f"no story found: {exc}", url=url or None) from exc
    content = document.chosen
    if content is None or content.tag != "div":
        wrapper = lxml.html.Element("div")
        if content is not None:
            wrapper.append(content)
        content = wrapper
    mend_tables(content)
    restore_table_heads(root, content)
    with remembering_text():  # nothing below changes the page's tree
        better = better_container(root, content, url, fallback)
        if better is not None:
            content = better
        lead = lead_paragraph(root, content)
        picture = lead_picture(root, content)
    if lead is not None:
        content.insert(0, lead)
    if picture is not None:
        picture.tail = None
        content.insert(0, picture)
    base = url if base is None else base
    if base:
        make_links_absolute(content, base)
    return content


class _Readability(Document):  # type: ignore[misc]
    """readability-lxml, handed a tree :func:`refeed.dom.parse_html` and
    :func:`refeed.clean.prepare` have already cleaned.

    Its own ``_parse`` would copy the tree through lxml's ``Cleaner`` to drop scripts,
    styles and comments (gone already) and hidden elements (judged already by
    :mod:`refeed.clean.chrome`, which keeps the hidden rest of a list and a hidden box
    holding the story). A plain copy is enough, and keeps the caller's tree untouched.
    """

    chosen: HtmlElement | None = None  # the story as readability left it, once summarised

    def _parse(self, input: HtmlElement) -> HtmlElement:
        self.encoding = "utf-8"
        return copy.deepcopy(input)

    def score_paragraphs(self) -> Any:
        # the tree holds still while readability scores it: each link's length is
        # measured once, not once for every candidate around it
        with _remembered(_LINK_LENGTHS):
            return super().score_paragraphs()

    def get_link_density(self, elem: HtmlElement) -> float:
        lengths = _LINK_LENGTHS.get()
        if lengths is None:  # readability's sanitising, which changes the tree as it goes
            return float(super().get_link_density(elem))
        link_length = 0
        for link in elem.iter("a"):
            if link is elem:
                continue
            known = lengths.get(link)
            if known is None:
                known = lengths[link] = _text_length(link)
            link_length += known
        return link_length / max(_text_length(elem), 1)

    def remove_unlikely_candidates(self) -> None:
        # the library's test of an element's class and id, answered once per spelling
        for elem in self.html.findall(".//*"):
            names = f"{elem.get('class', '')} {elem.get('id', '')}"
            if (
                len(names) >= 2
                and _unlikely(names)
                and elem.tag not in ("html", "body")
                and not elem.xpath("ancestor-or-self::pre | ancestor-or-self::code")
                and not elem.xpath(
                    "descendant-or-self::main | descendant-or-self::article | "
                    "descendant-or-self::math"
                )
            ):
                elem.drop_tree()

    def transform_misused_divs_into_paragraphs(self) -> Any:
        # the library serialises each <div>'s children to look for a block's start tag in
        # them; whether a subtree holds one is known from its tags, once per element
        with _remembered(_BLOCKS_IN):
            return super().transform_misused_divs_into_paragraphs()

    def get_preserved_elements(self, node: HtmlElement) -> Any:
        # the tree holds still here too: whether a box leads into a quote is asked of
        # each box once, not once for every box inside it
        with _remembered(_QUOTE_LEADS):
            return super().get_preserved_elements(node)

    def is_quote_lead(self, elem: HtmlElement) -> bool:
        known = _QUOTE_LEADS.get()
        if known is None:
            return bool(super().is_quote_lead(elem))
        for lead in (elem, *elem.iterancestors()):
            answer = known.get(lead)
            if answer is None:
                answer = known[lead] = self._leads_into_quote(lead)
            if answer:
                return True
        return False

    def _leads_into_quote(self, lead: HtmlElement) -> bool:
        """A box whose text ends in a colon, followed by a box holding a quote."""
        following = lead.getnext()
        if following is None or following.find(".//blockquote") is None:
            return False
        text = _clean(lead.text_content() or "")
        return len(text) >= self.min_text_length and text.endswith(":")

    def get_clean_html(self) -> str:
        # readability's hook for subclasses: its choice is kept as a tree (the string it
        # returns, parsed again, would lose a table's rows chosen without their <table>)
        self.chosen = chosen = self._html()
        text = str(chosen.text_content())
        if len(text) >= self.retry_length:
            # readability reads the string only to retry below that length, and its HTML
            # is never shorter than its text: the same decision, without serialising
            return text
        return str(super().get_clean_html())


@contextmanager
def _remembered(memo: ContextVar[Any]) -> Iterator[None]:
    """Within this block, *memo* holds a fresh dict (the tree holds still meanwhile)."""
    token = memo.set({})
    try:
        yield
    finally:
        memo.reset(token)


_LINK_LENGTHS: ContextVar[dict[HtmlElement, int] | None] = ContextVar(
    "readability_link_lengths", default=None
)
_QUOTE_LEADS: ContextVar[dict[HtmlElement, bool] | None] = ContextVar(
    "readability_quote_leads", default=None
)
_UNLIKELY = readability.readability.REGEXES["unlikelyCandidatesRe"]
_MAYBE = readability.readability.REGEXES["okMaybeItsACandidateRe"]
_BLOCK_START = readability.readability.REGEXES["divToPElementsRe"]


def _text_length(el: HtmlElement) -> int:
    return len(_clean(el.text_content() or ""))


@lru_cache(maxsize=8192)
def _unlikely(names: str) -> bool:
    return bool(_UNLIKELY.search(names)) and not _MAYBE.search(names)


# during transform_misused_divs_into_paragraphs: per element, whether its serialised
# subtree holds a block's start tag (True), none (False), or may in a comment (None)
_BLOCKS_IN: ContextVar[dict[Any, bool | None] | None] = ContextVar(
    "readability_blocks_in", default=None
)
_library_tostring = readability.readability.tostring


@lru_cache(maxsize=1024)
def _starts_block(tag: str) -> bool:
    return _BLOCK_START.match(f"<{tag}") is not None


def _blocks_in(el: Any, known: dict[Any, bool | None]) -> bool | None:
    """Whether the subtree of *el* holds a block's start tag (None: it holds a comment,
    an instruction or a namespaced element, whose serialisation may); worked out for every
    element below it at once."""
    if el in known:
        return known[el]
    for node in reversed(list(el.iter())):  # each element after everything inside it
        if node in known:
            continue
        if not isinstance(node.tag, str) or node.tag.startswith("{"):
            known[node] = None  # serialised with a prefix of lxml's choosing
            continue
        answer: bool | None = _starts_block(node.tag)
        if not answer:
            inside = [known[child] for child in node]
            answer = True if True in inside else None if None in inside else False
        known[node] = answer
    return known[el]


def _tostring(el: Any, *args: Any, **kwargs: Any) -> Any:
    """lxml's ``tostring`` as readability's div test needs it: a block's start tag for a
    subtree that holds one, nothing for one that holds none (the test's answer is the
    same); the real serialisation otherwise."""
    known = _BLOCKS_IN.get()
    if known is not None:
        inside = _blocks_in(el, known)
        if inside is not None:
            return b"<div" if inside else b""
    return _library_tostring(el, *args, **kwargs)


readability.readability.tostring = _tostring


_TABLE_PARTS = frozenset(("tbody", "thead", "tfoot", "tr", "td", "th", "caption", "colgroup"))
_ROW_GROUPS = frozenset(("table", "tbody", "thead", "tfoot"))


def mend_tables(content: HtmlElement) -> None:
    """Put each run of a table's parts left without their table (readability chooses a
    table's ``<tbody>`` or a row as the story's box) back into a ``<table>`` (and cells
    without their row into a ``<tr>``): serialised bare, the HTML parsers drop their
    tags and run the cells' text together."""
    for el in list(content.iter(*_TABLE_PARTS)):
        parent = el.getparent()
        if parent is None:
            continue
        if el.tag in ("td", "th"):
            if parent.tag != "tr":
                _wrap(el, "tr")
        elif el.tag == "tr":
            if parent.tag not in _ROW_GROUPS:
                _wrap(el, "table")
        elif parent.tag != "table":
            _wrap(el, "table")
    for row in list(content.iter("tr")):
        parent = row.getparent()
        if parent is not None and parent.tag not in _ROW_GROUPS:
            _wrap(row, "table")


def restore_table_heads(page: HtmlElement, content: HtmlElement) -> None:
    """Give a table of the story that has lost its caption and head (readability chose
    its ``<tbody>``, the densest box of a list article) those of its table on the page:
    the columns' names and what the table is about are the story's too."""
    for table in list(content.iter("table")):  # the tables change below
        if table.find("thead") is not None or table.find("caption") is not None:
            continue
        row = next((r for r in table.iter("tr") if text_of(r)), None)
        if row is None:
            continue
        first = text_of(row)
        for page_row in page.iter("tr"):
            if text_of(page_row) != first:
                continue
            page_table = next(page_row.iterancestors("table"), None)
            parts = [] if page_table is None else page_table.findall("caption")
            parts += [] if page_table is None else page_table.findall("thead")
            for at, part in enumerate(parts):
                table.insert(at, copy.deepcopy(part))
            break


def _wrap(el: HtmlElement, tag: str) -> None:
    """Wrap *el* and the siblings of its tag right after it in a new *tag* element."""
    parent = el.getparent()
    assert parent is not None
    wrapper = lxml.html.Element(tag)
    el.addprevious(wrapper)
    kin = {"td": ("td", "th"), "th": ("td", "th")}.get(el.tag, (el.tag,))
    following = el
    while following is not None and following.tag in kin:
        after = following.getnext()
        wrapper.append(following)  # its tail goes with it
        following = after
