"""Parsing HTML text into a tree every stage can walk: elements only, no comments."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from itertools import pairwise
from typing import cast
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from refeed.errors import ParseError
from refeed.sanitize import srcset_candidates
from refeed.urls import absolute_web_url

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_NAME_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
# characters XML 1.0 forbids: lxml keeps them in parsed text but refuses them in every
# setter (drop_tree, make_links_absolute, .text = ...), so they never enter a tree
# (named one by one rather than as the complement of XML's ranges: searched for a fifth
# sooner over a whole page)
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

__all__ = [
    "LINK_ATTRIBUTES",
    "HtmlElement",
    "drop_broken_links",
    "drop_code",
    "drop_comments",
    "forget_text",
    "has_text",
    "make_links_absolute",
    "name_words",
    "page_base",
    "parse_fragment",
    "parse_html",
    "remembering_text",
    "short_text",
    "text_of",
]


def parse_html(text: str) -> HtmlElement:
    """Parse a whole page; an empty or unparseable page is a :class:`ParseError`."""
    text = _XML_DECLARATION.sub("", _NOT_XML.sub("", text), count=1)
    # "<?php ...>" is a comment to the first ">" in HTML; libxml2 takes quadratic time on
    # one left open, so such pieces go before it sees them
    if "<?" in text:
        text = _PROCESSING_INSTRUCTION.sub("", text)
    text = _raw_noscripts(text)
    text = _close_headings(text)
    text = _close_title(text)
    text = _fold_space(text)
    if not text.strip():
        raise ParseError("empty page")
    try:
        root = lxml.html.document_fromstring(text, parser=_parser())
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"not an HTML page: {exc}") from exc
    if root.find("body") is None:  # a frameset, or a page that is all head: an empty body
        etree.SubElement(root, "body")
    drop_comments(root)
    if _refers_to_forbidden(text):
        _scrub(root)
    return root


# tags are looked for with a bounded run of attributes: an unbounded ``[^>]*`` rescans
# the rest of the page from every "<h1" of a page that never closes one (quadratic)
_MAX_TAG = 4096


def _fold_space(text: str) -> str:
    """Each run of white space one space, as a browser shows it, up to the first element
    that keeps its own (``<pre>``, ``<textarea>``) and outside scripts and styles.

    Nothing a reader sees changes; every measure of text length downstream (refeed's and
    readability's, which folds space with regular expressions every time it measures an
    element) reads a fifth of the characters on an indented page. Where a ``<pre>`` ends
    depends on how the parser mends the markup inside it, so nothing after one is folded.
    """
    keeps = _KEEPS_SPACE.search(text)
    cut = keeps.start() if keeps else len(text)
    parts: list[str] = []
    done = 0
    while (start := _RAW_START.search(text, done, cut)) is not None:
        parts.append(_folded(text[done : start.start()]))
        end = _RAW_END[start[1].lower()].search(text, start.end())
        if end is None:  # left open: the rest is its own
            parts.append(text[start.start() :])
            return "".join(parts)
        parts.append(text[start.start() : end.end()])
        done = end.end()
    if done < cut:
        parts.append(_folded(text[done:cut]))
        done = cut
    parts.append(text[done:])
    return "".join(parts)


def _folded(text: str) -> str:
    # str.replace and a pattern that opens with a literal: a third of one regular
    # expression's time over a whole page
    for space in "\n\t\r\f":
        text = text.replace(space, " ")
    return _SPACES.sub(" ", text)


_KEEPS_SPACE = re.compile(r"<(pre|textarea|xmp|listing|plaintext)(?=[\s/>])", re.IGNORECASE)
_RAW_START = re.compile(r"<(script|style)(?=[\s/>])", re.IGNORECASE)  # raw to their end tag
_RAW_END = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in ("script", "style")}
_SPACES = re.compile(r"  +")  # not " {2,}", which is searched for three times slower


def _parser() -> lxml.html.HTMLParser:
    """This thread's HTML parser (a parser is not to be shared between threads).

    It makes every element an :class:`HtmlElement` by a lookup written in C, where
    lxml.html's own parser asks a Python method for each element it hands out (a form
    field's special classes, which refeed never uses): a sixteenth of the article path.
    """
    parser: lxml.html.HTMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = lxml.html.HTMLParser()
        parser.set_element_class_lookup(
            etree.ElementDefaultClassLookup(
                element=HtmlElement,
                comment=lxml.html.HtmlComment,
                pi=lxml.html.HtmlProcessingInstruction,
                entity=lxml.html.HtmlEntity,
            )
        )
    return parser


_PARSERS = threading.local()
_PROCESSING_INSTRUCTION = re.compile(r"<\?[^>]*>?")
_TITLE_OPEN = re.compile(r"<title(?=[\s>])[^>]{0,4096}>", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.IGNORECASE)
_TAG_START = re.compile(r"<[a-zA-Z!/]|\n")
_MAX_TITLE = 300


def _close_title(text: str) -> str:
    """Close a ``<title>`` left open where its text plainly ends.

    A title is raw text to its end tag; left open, it swallows the whole page (a
    browser shows an empty one, lxml returns a document without a body). It ends at
    the first tag or line break after it, or after 300 characters.
    """
    opening = _TITLE_OPEN.search(text)
    if opening is None or _TITLE_CLOSE.search(text, opening.end()):
        return text
    start = opening.end()
    stop = _TAG_START.search(text, start, start + _MAX_TITLE)
    end = stop.start() if stop else min(len(text), start + _MAX_TITLE)
    return f"{text[:end]}</title>{text[end:]}"


_HEADING_TAG = re.compile(rf"<(/?)h([1-6])(?=[\s/>])[^>]{{0,{_MAX_TAG}}}>", re.IGNORECASE)


def _close_headings(text: str) -> str:
    """Make ``<h2>...</h3>`` close its heading, as browsers do.

    libxml2 ignores an end tag that names another heading level, and the heading then
    swallows the page after it (the story inside a subtitle). Only mismatched end tags
    are rewritten, so a well-formed page comes back as it was.
    """
    fixes: list[tuple[int, int, str]] = []
    open_level: str | None = None
    for match in _HEADING_TAG.finditer(text):
        closing, level = match.groups()
        if not closing:
            open_level = level
        elif open_level is not None:
            if level != open_level:
                fixes.append((match.start(), match.end(), f"</h{open_level}>"))
            open_level = None
    if not fixes:
        return text
    parts: list[str] = []
    last = 0
    for start, end, replacement in fixes:
        parts += [text[last:start], replacement]
        last = end
    parts.append(text[last:])
    return "".join(parts)


_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}))")


def _refers_to_forbidden(text: str) -> bool:
    """A numeric character reference to a character XML forbids (``&#1;``, ``&#xFFFE;``)."""
    for match in _CHAR_REF.finditer(text):
        hexadecimal, decimal = match.groups()
        point = int(hexadecimal, 16) if hexadecimal else int(decimal)
        if point > 0x10FFFF or _NOT_XML.match(chr(point)):
            return True
    return False


def parse_fragment(text: str) -> HtmlElement:
    """Parse a piece of HTML (a feed's content) into one ``<div>``, as forgiving as a page.

    An empty piece gives an empty ``<div>``; stray doctypes, titles and control
    characters are dealt with as :func:`parse_html` deals with them.
    """
    wrapper = lxml.html.Element("div")
    if not _NOT_XML.sub("", text or "").strip():
        return wrapper
    try:
        body = parse_html(f"<html><body>{text}</body></html>").find("body")
    except ParseError:
        return wrapper
    if body is not None:
        wrapper.text = body.text
        wrapper.extend(list(body))
    return wrapper


_NOSCRIPT_START = re.compile(rf"<noscript\b[^>]{{0,{_MAX_TAG}}}>", re.IGNORECASE)
_NOSCRIPT_END = re.compile(r"</noscript\s*>", re.IGNORECASE)
_IMG_TAG = re.compile(rf"<img\b[^>]{{0,{_MAX_TAG}}}>", re.IGNORECASE)


def _raw_noscripts(text: str) -> str:
    """Each ``<noscript>`` as a browser running scripts reads it: raw text up to the first
    ``</noscript>``, so that markup in it (an unclosed ``<div>``) cannot swallow the rest of
    the page. Only its images are kept (lazy-loading fallbacks matter to a reader).

    One pass from left to right: a page of unclosed ``<noscript>`` tags stays linear.
    """
    parts: list[str] = []
    done = 0
    while (start := _NOSCRIPT_START.search(text, done)) is not None:
        end = _NOSCRIPT_END.search(text, start.end())
        if end is None:
            break  # no end after this one: none after the later ones either
        parts.append(text[done : start.start()])
        images = _IMG_TAG.findall(text, start.end(), end.start())
        if images:
            parts.append(f"<noscript>{''.join(images)}</noscript>")
        done = end.end()
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def _scrub(root: HtmlElement) -> None:
    """Drop forbidden characters that character references (``&#xFFFE;``) put back."""
    for el in root.iter():
        if el.text and _NOT_XML.search(el.text):
            el.text = _NOT_XML.sub("", el.text)
        if el.tail and _NOT_XML.search(el.tail):
            el.tail = _NOT_XML.sub("", el.tail)
        for name, value in el.attrib.items():
            if _NOT_XML.search(value):
                el.set(name, _NOT_XML.sub("", value))


def drop_comments(root: HtmlElement) -> None:
    """Comments and processing instructions carry no story; the cleaners see elements only."""
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)


def drop_code(root: HtmlElement) -> None:
    """Scripts, styles and ``<noscript>`` leftovers: code, never text for a reader."""
    etree.strip_elements(root, "script", "style", "noscript", "template", with_tail=False)


def flatten_math(root: HtmlElement) -> None:
    """MathML as its text (``a ≠ 0``) in a ``<span>``: no feed sanitiser lets ``<math>``
    through (nor should it: foreign content is where mutation XSS lives), and dropping it
    would leave holes in the sentences that hold a formula. TeX annotations are left out."""
    for math in list(root.iter("math", "{http://www.w3.org/1998/Math/MathML}math")):
        parent = math.getparent()
        if parent is None:
            continue
        etree.strip_elements(math, "annotation", "annotation-xml", with_tail=False)
        span = lxml.html.Element("span")
        span.text = " ".join(part.strip() for part in math.itertext() if part.strip())
        span.tail = math.tail
        parent.replace(math, span)


def has_text(el: HtmlElement) -> bool:
    """Whether the element holds any text but white space (read only up to the first)."""
    return any(not piece.isspace() for piece in el.itertext() if piece)


def text_of(el: HtmlElement) -> str:
    """The element's text with runs of white space folded to one space.

    Inside :func:`remembering_text` the answer is remembered per element until the tree
    changes (the cleaners ask for the same blocks' text many times).
    """
    memo = _TEXT_MEMO.get()
    if memo is None:
        return " ".join(el.text_content().split())
    text = memo.get(el)
    if text is None:
        text = memo[el] = " ".join(el.text_content().split())
    return text


def short_text(el: HtmlElement, limit: int) -> str | None:
    """:func:`text_of` the element if it is at most *limit* characters long, else None.

    A long element's text is not folded to its end: more than ``(limit + 1) // 2`` words
    already take more than *limit* characters (a page-wide wrapper asked whether it is a
    heading is told no at the cost of reading its first words).
    """
    memo = _TEXT_MEMO.get()
    known = memo.get(el) if memo is not None else None
    if known is None:
        most = (limit + 1) // 2
        words = el.text_content().split(None, most)
        if len(words) > most:
            return None
        known = " ".join(words)
        if memo is not None:
            memo[el] = known
    return known if len(known) <= limit else None


_TEXT_MEMO: ContextVar[dict[HtmlElement, str] | None] = ContextVar("text_memo", default=None)


@contextmanager
def remembering_text() -> Iterator[None]:
    """Remember :func:`text_of` answers within this block; :func:`forget_text` after a change."""
    token = _TEXT_MEMO.set({})
    try:
        yield
    finally:
        _TEXT_MEMO.reset(token)


def forget_text(changed: Iterable[HtmlElement]) -> None:
    """These elements' text changed (the ancestors of a removed element): forget it."""
    memo = _TEXT_MEMO.get()
    if memo:
        for el in changed:
            memo.pop(el, None)


def name_words(el: HtmlElement) -> frozenset[str]:
    """The words of an element's class and id, with neighbours joined.

    ``"article__share-bar mostRead"`` gives article, share, bar, most, read, sharebar,
    articleshare, mostread, ...: so that both ``most-read`` and ``mostRead`` say "most read".
    """
    classes, identifier = el.get("class"), el.get("id")
    if not classes and not identifier:
        return _NO_WORDS
    return _words(f"{classes or ''} {identifier or ''}")


_NO_WORDS: frozenset[str] = frozenset()


def name_tokens_of(raw: str) -> tuple[tuple[str, ...], ...]:
    """Each class name (or id) in *raw*, as its lower-case parts
    (``"entry-author-jane"`` gives ``("entry", "author", "jane")``); atomic CSS
    utilities (``D(n)``, ``Mx(a)--modalCentered``, ``md:hidden``) style a box and name no
    role, so they are left out."""
    return tuple(
        tuple(part.lower() for part in _NAME_SPLIT.split(token) if part)
        for token in raw.split()
        if not _ATOMIC.search(token)
    )


_ATOMIC = re.compile(r"[()\[\]:!#%$@=]")


@lru_cache(maxsize=4096)
def _words(raw: str) -> frozenset[str]:
    tokens = " ".join(token for token in raw.split() if not _ATOMIC.search(token))
    words = [w.lower() for w in _NAME_SPLIT.split(tokens) if w]
    return frozenset(words) | {a + b for a, b in pairwise(words)}


_LINKED = etree.XPath("descendant-or-self::*[@href or @src or @cite or @poster or @srcset]")
LINK_ATTRIBUTES = ("href", "src", "cite", "poster")  # the attributes that hold one link


def make_links_absolute(el: HtmlElement, base: str) -> None:
    """Resolve every link in *el* against *base*: ``href``, ``src``, ``cite``, ``poster``
    and each address of a ``srcset`` (which lxml's own leaves relative). A link that cannot
    be resolved (an unbalanced ``[`` in its host) is dropped."""
    for node in cast("list[HtmlElement]", _LINKED(el)):
        attrib = node.attrib
        for name in LINK_ATTRIBUTES:
            value = attrib.get(name)
            if value is None:
                continue
            try:
                attrib[name] = urljoin(base, value.strip())
            except ValueError:
                del attrib[name]
        srcset = attrib.get("srcset")
        if srcset is not None:
            resolved = []
            for url, descriptors in srcset_candidates(srcset):
                try:
                    resolved.append(f"{urljoin(base, url)} {descriptors}".strip())
                except ValueError:
                    continue
            if resolved:
                attrib["srcset"] = ", ".join(resolved)
            else:
                del attrib["srcset"]


def drop_broken_links(el: HtmlElement) -> None:
    """Drop each link or picture address no URL parser can read (an unbalanced ``[`` in
    its host): the cleaners split links without guarding against it."""
    for node in el.iter("a", "img"):
        name = "href" if node.tag == "a" else "src"
        value = node.get(name)
        if value is None or ("[" not in value and "]" not in value):
            continue
        try:
            urlsplit(value.strip())
        except ValueError:
            del node.attrib[name]


def page_base(root: HtmlElement, url: str) -> str:
    """The address the page's links are relative to: its first ``<base href>`` (itself
    relative to *url*) when that is a web address, else *url*."""
    for base in root.iter("base"):
        href = base.get("href")
        if href:
            return absolute_web_url(url, href) or url
    return url
