"""Hypothesis fuzzes the extract and clean stages with hostile markup and bytes.

They return an article or raise one of refeed's own errors, nothing else; the
article's HTML and text hold only characters XML allows, its HTML is stable under
sanitising again, and it renders into an Atom feed that parses.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from refeed import clean
from refeed.article import Rules, process, process_html_fragment, process_text
from refeed.clean.trace import Trace
from refeed.dom import parse_html
from refeed.errors import RefeedError
from refeed.models import Article, FeedInfo, Item
from refeed.publish import render_atom
from refeed.sanitize import sanitize

NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
URL = "https://paper.example/news/1.html"
FUZZ = settings(
    max_examples=int(os.environ.get("REFEED_FUZZ_EXAMPLES", "120")),  # more for a campaign
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TAG_NAMES = [
    "p", "div", "span", "a", "img", "article", "main", "section", "h1", "h2", "ul", "li",
    "table", "tr", "td", "script", "style", "svg", "math", "iframe", "object", "noscript",
    "template", "title", "meta", "base", "form", "textarea", "select", "xmp", "plaintext",
    "frameset", "nav", "footer", "aside", "picture", "source", "br", "hr", "pre", "body",
    "html", "head", "x-custom", "o:p", "blink", "h3", "blockquote", "figure", "figcaption",
]  # fmt: skip
ATTR_NAMES = [
    "href", "src", "srcset", "onerror", "onclick", "style", "class", "id", "data-src",
    "xlink:href", "formaction", "srcdoc", "lang", "dir", "content", "http-equiv", "cite",
    "itemprop", "property", "name", "datetime", "width",
]  # fmt: skip
ODD_TEXT = st.sampled_from(
    [
        "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\ufeff", "\ufffe",
        "\uffff", "\u2028", "\u202e", "&", "&amp;", "&#0;", "&#xD800;", "&#x110000;",
        "&#65535;", "&nbsp;", "&lol;", "<", ">", "]]>", "<!--", "-->", "<![CDATA[",
        "<?xml version='1.0'?>", "<!DOCTYPE html>", "</p>", "</div></div></div>",
        "javascript:alert(1)", "Ъ", "日本語", "😀", " ", "<?", "</h3>", "<h2 class=deck>",
        "Contact:", "press@paper.example", "Read also: ", "1", "Same line",
        '<a href="/2026/11/quay-to-be-rebuilt.html">',
    ]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=80), ODD_TEXT)
ATTR = st.tuples(st.sampled_from(ATTR_NAMES), st.one_of(st.text(max_size=30), ODD_TEXT))


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def build(tag: str, attrs: list[tuple[str, str]], inner: list[str], close: bool) -> str:
        rendered = "".join(f' {k}="{v}"' for k, v in attrs)
        return f"<{tag}{rendered}>{''.join(inner)}{f'</{tag}>' if close else ''}"

    return st.builds(
        build,
        st.sampled_from(TAG_NAMES),
        st.lists(ATTR, max_size=3),
        st.lists(children, max_size=5),
        st.booleans(),
    )


MARKUP = st.recursive(TEXT, _element, max_leaves=40)
DOCUMENT = st.lists(MARKUP, min_size=0, max_size=8).map("".join)
ENCODINGS = st.sampled_from(["utf-8", "windows-1251", "koi8-r", "utf-16", "latin-1", "shift_jis"])
CONTENT_TYPES = st.sampled_from(
    [None, "text/html", "text/html; charset=utf-8", "text/html; charset=windows-1251",
     "application/xhtml+xml", "text/plain", "text/html; charset=bogus", "image/png"]
)  # fmt: skip


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


def _check(article: Article) -> None:
    for field in (article.html, article.text, article.title or "", article.author or ""):
        assert NOT_XML.search(field) is None, repr(field[:200])
    assert sanitize(article.html) == article.html
    item = Item(
        source="fuzz",
        url=URL,
        guid=URL,
        title=article.title or "t",
        content_html=article.html,
        first_seen=datetime(2026, 1, 1, tzinfo=UTC),
        author=article.author,
    )
    feed = FeedInfo(name="fuzz", title="Fuzz", link="https://paper.example/", description="d")
    etree.fromstring(render_atom(feed, [item]))


def _run(call: object) -> None:
    try:
        article = call()  # type: ignore[operator]
    except RefeedError:
        return
    _check(article)


@FUZZ
@given(doc=DOCUMENT, encoding=ENCODINGS, content_type=CONTENT_TYPES)
def test_process_markup(doc: str, encoding: str, content_type: str | None) -> None:
    body = _encode(f"<html><body><article>{doc}</article></body></html>", encoding)
    _run(lambda: process(body, url=URL, content_type=content_type))


@FUZZ
@given(doc=DOCUMENT, strip=st.lists(st.sampled_from(["p", "div > a", ".x", "script"]), max_size=2))
def test_process_with_rules(doc: str, strip: list[str]) -> None:
    rules = Rules(content="article", strip=tuple(strip))
    body = f"<html><body><article>{doc}</article><p>{doc}</p></body></html>".encode()
    _run(lambda: process(body, url=URL, content_type="text/html", rules=rules))


@FUZZ
@given(doc=DOCUMENT)
def test_process_fragment_and_text(doc: str) -> None:
    _run(lambda: process_html_fragment(doc, url=URL))
    _run(lambda: process_text(doc, url=URL))


@FUZZ
@given(doc=DOCUMENT)
def test_clean_stage(doc: str) -> None:
    try:
        root = parse_html(f"<html><body>{doc}</body></html>")
    except RefeedError:
        return
    trace = Trace()
    clean.prepare(root, URL, trace)
    clean.clean_content(root, URL, trace, titles=(doc[:40],))
    assert all(count >= 0 for count in trace.counts.values())


@pytest.mark.parametrize("fragment", ["\x08", "<!DOCTYPE", "<!DOCTYPE><TITLE", "</body><body>"])
def test_fragment_with_control_characters_gives_an_article(fragment: str) -> None:
    _run(lambda: process_html_fragment(fragment, url=URL))


@pytest.mark.parametrize("body", [b"\x01\x02\x03", b"%PDF-1.4\n" + bytes(range(256))])
def test_bare_control_characters_give_a_refeed_error(body: bytes) -> None:
    _run(lambda: process(body, url=URL, content_type="text/html"))


@pytest.mark.parametrize(
    "head",
    [
        "<title>Bad\x08 title</title>",
        '<meta name="author" content="Ann\x01 Author"><title>t</title>',
        '<meta name="author" content="Ann&#xFFFE; Author"><title>t&#1;</title>',
    ],
)
def test_metadata_is_xml_safe(head: str) -> None:
    story = "<p>" + "A quiet story about the harbour and its ferries. " * 10 + "</p>"
    body = f"<html><head>{head}</head><body><article>{story}</article></body></html>".encode()
    article = process(body, url=URL, content_type="text/html")
    assert article.title and "harbour" in article.text
    for field in (article.title or "", article.author or ""):
        assert NOT_XML.search(field) is None, repr(field)


_LABELS = ["Read also", "Читайте также", "À lire aussi", "lire aussi", "İlginizi çekebilir",
           "関連記事", "Related stories", "More news", "Other news", "Noticias relacionadas"]  # fmt: skip


@given(
    st.sampled_from(_LABELS),
    st.text(alphabet=" \t—«»:-|*#.…", max_size=3),
    st.text(max_size=20),
    st.booleans(),
)
def test_phrases_by_first_letter_match_as_one_pattern(
    label: str, lead: str, rest: str, upper: bool
) -> None:
    """:class:`refeed.clean.phrases.Opening` tries only the phrases of the text's first
    letter: it must give the very match one alternation of all the phrases gives."""
    from refeed.clean import phrases

    text = lead + (label.upper() if upper else label) + rest
    one = re.compile(r"^[\W_]*(" + "|".join(phrases._TEASER_PHRASES) + r")(?!\w)", phrases._FLAGS)
    for candidate in (text, rest, lead + rest):
        ours, theirs = phrases.TEASER_HEADING.match(candidate), one.match(candidate)
        assert (ours and ours.group(0, 1)) == (theirs and theirs.group(0, 1))


_PIECES = st.lists(
    st.sampled_from(
        ["<p>", "</p>", "<pre>", "</pre>", "<PRE class=x>", "<textarea>", "</textarea>",
         "<div>", "</div>", "<script>", "</script>", " ", "  ", "\n", "\t", "\r\n", "\xa0",
         "word", "<b>", "</b>"]
    ),
    max_size=40,
).map("".join)  # fmt: skip


@FUZZ
@given(doc=_PIECES)
def test_space_folding_changes_nothing_a_reader_sees(doc: str) -> None:
    """Runs of white space fold to one outside <pre> and <textarea>: the text of every
    element, space-folded, is as lxml reads the page unfolded, and a <pre> keeps its own."""
    import lxml.html

    page = f"<html><body>{doc}</body></html>"
    folded = parse_html(page)
    plain = lxml.html.document_fromstring(page)

    def texts(root: lxml.html.HtmlElement, tag: str) -> list[str]:
        return [el.text_content() for el in root.iter(tag)]

    assert " ".join(folded.text_content().split()) == " ".join(plain.text_content().split())
    assert texts(folded, "pre") == texts(plain, "pre")
    assert texts(folded, "textarea") == texts(plain, "textarea")


_WORDS = st.lists(
    st.sampled_from(["word", "a", "Ъ", "日本語", " ", "  ", "\n", "\xa0", "\u2003", "<b>", "</b>",
                     "<p>", "</p>", "<span>", "</span>"]),
    max_size=60,
).map("".join)  # fmt: skip


@FUZZ
@given(doc=_WORDS, limit=st.integers(min_value=0, max_value=40), remembered=st.booleans())
def test_short_text_is_the_text_when_short_and_none_when_long(
    doc: str, limit: int, remembered: bool
) -> None:
    """:func:`refeed.dom.short_text` stops reading a long element early: it must still
    give exactly :func:`refeed.dom.text_of` for every element at most *limit* long."""
    from contextlib import nullcontext

    from refeed.dom import remembering_text, short_text, text_of

    root = parse_html(f"<html><body><div>{doc}</div></body></html>")
    with remembering_text() if remembered else nullcontext():
        for el in root.iter():
            first = short_text(el, limit)  # before text_of has remembered anything
            text = text_of(el)
            expected = text if len(text) <= limit else None
            assert first == expected
            assert short_text(el, limit) == expected  # and again, now remembered


_SPACED = st.lists(
    st.one_of(
        st.sampled_from([" ", "  ", "\n", "\t", "\r", "\xa0", "\u2003", "\x0b", "word", "Ъ"]),
        st.builds(lambda c, n: c * n, st.sampled_from([" ", "\xa0", " \xa0", "\t"]),
                  st.integers(min_value=100, max_value=300)),
    ),
    max_size=12,
).map("".join)  # fmt: skip


@FUZZ
@given(text=_SPACED)
@example(text="a" + "\xa0" * 300 + "b")  # a long run of no-break spaces: 255 spaces, then one
@example(text="a" + " \xa0" * 130 + "b")
@example(text=" a  \u2003 b ")
def test_readability_measures_every_text_as_its_own_clean_would(text: str) -> None:
    """refeed answers readability's ``clean`` sooner (refeed.extract.story): always with
    the library's own answer."""
    from refeed.extract import story

    assert story._clean(text) == story._library_clean(text)


def _library_readability(root: object) -> object:
    """refeed's readability with the library's own scoring, div test and unlikely-box test
    (refeed.extract.story answers them sooner)."""
    from readability import Document

    from refeed.extract import story

    class Library(story._Readability):  # type: ignore[misc]
        score_paragraphs = Document.score_paragraphs
        get_link_density = Document.get_link_density
        remove_unlikely_candidates = Document.remove_unlikely_candidates
        transform_misused_divs_into_paragraphs = Document.transform_misused_divs_into_paragraphs
        get_preserved_elements = Document.get_preserved_elements
        is_quote_lead = Document.is_quote_lead

    return Library(root)


@FUZZ
@given(doc=DOCUMENT)
@example(doc="<div><span>a <!-- <div> --></span> b</div><div><p>x</p></div>")
@example(doc='<div class="sidebar comment"><p>' + "word " * 60 + "</p></div>")
@example(
    doc="<div><div><p>"
    + "He said it plainly, " * 3
    + "and then:</p></div><div><blockquote>"
    + "A quote of some length, " * 4
    + "</blockquote></div><p>"
    + "More text. " * 20
    + "</p></div>"
)
def test_readability_chooses_as_its_own_methods_would(doc: str) -> None:
    """refeed's faster link density, div test and unlikely-box test (comments kept in the
    tree, which refeed's own parse drops) give readability's own choice."""
    import lxml.html

    from refeed.extract import story

    try:
        root = lxml.html.document_fromstring(f"<html><body>{doc}</body></html>")
    except (etree.ParserError, ValueError):
        return

    def summary(document: object) -> str:
        try:
            return str(document.summary(html_partial=True))  # type: ignore[attr-defined]
        except Exception as exc:  # the library's own failure, which both must share
            return f"{type(exc).__name__}"

    assert summary(story._Readability(root)) == summary(_library_readability(root))


def test_the_parsers_forbidden_characters_are_those_xml_forbids() -> None:
    """refeed.dom names the characters XML 1.0 forbids one by one, for speed: every code
    point is forbidden there exactly when it falls outside XML's allowed ranges."""
    from refeed import dom

    text = "".join(map(chr, range(0x110000)))
    assert dom._NOT_XML.sub("", text) == NOT_XML.sub("", text)
