"""The article path, one page's bytes to a clean :class:`~refeed.models.Article`.

decode -> parse -> metadata -> :func:`refeed.clean.prepare` -> choose the story
(:mod:`refeed.extract`) -> :func:`refeed.clean.clean_content` -> sanitise. The cycle
and ``refeed extract`` both call :func:`process`, so what a user sees is what a feed gets.
Plain text (``text/plain``) becomes paragraphs and goes through the same cleaner.
"""

from __future__ import annotations

import copy
import hashlib
import html as htmllib
import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from refeed import clean, extract
from refeed.clean import learnt
from refeed.clean.lines import byline_author
from refeed.clean.shape import has_story, text_key
from refeed.decode import decode
from refeed.dom import (
    LINK_ATTRIBUTES,
    drop_broken_links,
    drop_code,
    flatten_math,
    make_links_absolute,
    page_base,
    parse_fragment,
    parse_html,
    text_of,
)
from refeed.errors import ParseError
from refeed.extract import siterule
from refeed.extract.pagination import NO_PAGES, find_pages
from refeed.models import Article
from refeed.sanitize import sanitize
from refeed.siterules import SiteConfig
from refeed.urls import web_url

_BLOCK_TAGS = frozenset(
    (
        "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr",
        "table", "ul", "ol", "figure", "figcaption", "section", "article", "dt", "dd", "br",
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rules:
    """How to extract one source's pages: its config rules and what was learnt of it."""

    content: str | None = None  # CSS selector of the story container
    strip: tuple[str, ...] = ()  # CSS selectors always removed
    site: SiteConfig | None = None  # the page's site rules (refeed.siterules), if any
    # learnt from the source's other pages (refeed.clean.learnt)
    template: frozenset[str] = frozenset()  # fingerprints of the site's recurring blocks
    other_titles: frozenset[str] = frozenset()  # titles of the feed's other items

    def key(self) -> str:
        """What a page's story depends on besides the page and refeed: the config's
        selectors and the site rules (not what is learnt of the site, which changes every
        cycle). An item extracted with another key is extracted again."""
        raw = repr((self.content, self.strip, self.site))
        return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def process(
    body: bytes, *, url: str = "", content_type: str | None = None, rules: Rules = Rules()
) -> Article:
    """Extract and clean the story of one page (or plain text)."""
    decoded = decode(body, content_type)
    if content_type and content_type.split(";")[0].strip().lower() == "text/plain":
        return process_text(decoded.text, url=url, rules=rules)
    text = decoded.text
    if rules.site is not None and rules.site.replace:
        text = siterule.replace_strings(text, rules.site)
    return process_tree(parse_html(text), url=url, rules=rules, again=lambda: parse_html(text))


def process_tree(
    root: HtmlElement,
    *,
    url: str = "",
    rules: Rules = Rules(),
    again: Callable[[], HtmlElement] | None = None,
) -> Article:
    """:func:`process` of a parsed page (:func:`refeed.dom.parse_html`); changes the tree.

    *again* gives the same page's tree afresh: when the cleaning leaves nothing of the
    story it chose, the last resort (:func:`_last_resort`) looks on that tree once more.
    """
    if urlsplit(url).scheme not in ("http", "https"):
        # no usable address given (a saved page): the page's canonical one resolves links
        url = extract.page_url(root) or url
    pages = find_pages(root, url, rules.site) if url else NO_PAGES  # before the pager goes
    article = _story(root, url, rules)
    if not article.text and article.chosen_by is None and again is not None:
        article = _last_resort(again(), url, rules) or article
    if pages is NO_PAGES:
        return article
    return replace(article, single_page=pages.single_page, next_page=pages.next_page)


def join_pages(articles: Sequence[Article]) -> Article:
    """The pages of one story as one article: the first page's metadata, each page's
    story in order, and no block a page before it already had (a lead, a pager, a
    headline that every page repeats)."""
    first = articles[0]
    if len(articles) == 1:
        return first
    seen: set[str] = set()
    parts: list[str] = []
    for article in articles:
        content = parse_fragment(article.html)
        for el in list(content.iter(*_BLOCK_TAGS)):
            key = text_key(text_of(el))
            if el is content or not key or el.getparent() is None:
                continue
            if key in seen and el.find(".//img") is None:
                el.drop_tree()
        seen.update(text_key(text_of(el)) for el in content.iter(*_BLOCK_TAGS) if el is not content)
        parts.append(lxml.html.tostring(content, encoding="unicode"))
    html = sanitize("".join(parts))
    return replace(
        first,
        html=html,
        text=html_to_text(html),
        removals=tuple(r for a in articles for r in a.removals),
        fingerprints=tuple(f for a in articles for f in a.fingerprints),
        single_page=None,
        next_page=None,
    )


def _story(root: HtmlElement, url: str, rules: Rules) -> Article:
    site = rules.site
    trace = clean.Trace()
    meta, base = _ready(root, url, rules, trace)
    if rules.content:
        selected = extract.selected_content(root, url, rules.content, base=base)
        if selected is not None:  # chrome inside it still goes; teasers and lines in _finish
            trace.chosen_by = f"the content selector {rules.content!r}"
            clean.prepare_selected(selected, trace)
            return _finish(selected, url, trace, meta, rules)
    if site is not None and site.body:
        chosen = siterule.body(root, site)
        if chosen is not None:  # refeed's own cleaning still runs inside it
            story, rule = chosen
            trace.chosen_by = f"site rule {rule.at} body: {rule.value}"
            if base:
                make_links_absolute(story, base)
            if site.prune:
                clean.prepare_selected(story, trace)
            return _finish(story, url, trace, meta, rules)
        if not site.autodetect_on_failure:
            raise ParseError(
                f"site rules {site.origin}: no body XPath matched and the rules say "
                "autodetect_on_failure: no",
                url=url or None,
            )
    candidate = clean.prepare(root, url, trace)
    if candidate is not None and root not in candidate.iterancestors():
        candidate = None  # the teaser cleaner took it out: a list of other stories
    content = extract.main_content(root, url, fallback=candidate, base=base)
    structured = extract.structured_body(content, meta.body)
    if structured is not None:
        content = structured
    if candidate is None:
        return _finish(content, url, trace, meta, rules)
    # the densest container (as chrome removal left it) is the second candidate: tried
    # when the first, once clean, holds less than half of its text; the longer one wins
    article = _finish(content, url, trace.copy(), meta, rules)
    if len(article.text) >= _SECOND_WINS * len(text_of(candidate)):
        return article
    other = _finish(_copy_into_div(candidate, base), url, trace, meta, rules)
    return other if len(other.text) > len(article.text) else article


_SECOND_WINS = 0.5  # the first candidate, clean, holds less than this share of the second


def _ready(
    root: HtmlElement, url: str, rules: Rules, trace: clean.Trace
) -> tuple[extract.Metadata, str]:
    """What every way of finding the story starts with: the page's metadata; the site
    rules' and the source's removals done, lazy pictures made real, scripts and broken
    links gone; and the address the story's links resolve against."""
    site = rules.site
    meta = extract.metadata(root, url, json_ld=site is None or not site.skip_json_ld)
    if site is not None:
        siterule.prepare(root, site, trace)
        meta = siterule.metadata(root, site, meta)
    clean.strip_selectors(root, rules.strip, trace)
    extract.fix_lazy_images(root)
    drop_code(root)
    drop_broken_links(root)
    return meta, page_base(root, url) if url else ""


def _last_resort(root: HtmlElement, url: str, rules: Rules) -> Article | None:
    """The story of a page whose cleaning left nothing, or None.

    That happens when the page's markup puts its story inside what is page chrome on
    other pages: a menu, a ``<nav>`` or a ``<header>`` the template (or a cut-off
    download) never closed. Here readability chooses on the page as it came, chrome and
    all, and its choice is cleaned as any story is. It is taken only when it reads as a
    story (:func:`refeed.clean.shape.has_story`): never a menu's leftovers or a notice.
    """
    trace = clean.Trace()
    meta, base = _ready(root, url, rules, trace)
    try:
        content = extract.main_content(root, url, base=base)
    except ParseError:
        return None
    trace.chosen_by = "the last resort: readability on the page with its chrome"
    article = _finish(content, url, trace, meta, rules)
    return article if has_story(content) else None


def _copy_into_div(el: HtmlElement, base: str) -> HtmlElement:
    wrapper = lxml.html.Element("div")
    wrapper.append(copy.deepcopy(el))
    wrapper[0].tail = None
    if base:
        make_links_absolute(wrapper, base)
    return wrapper


def process_html_fragment(fragment: str, *, url: str = "", rules: Rules = Rules()) -> Article:
    """Clean HTML a feed already carries (content:encoded and the like)."""
    content = parse_fragment(fragment)
    drop_code(content)
    drop_broken_links(content)
    _absolute_links(content, url)
    return _finish(content, url, clean.Trace(), extract.Metadata(), rules)


def own_html(fragment: str, *, url: str = "") -> str:
    """HTML a feed carries, as it is (not cleaned), made safe to publish: sanitised, with
    absolute links (those that cannot be made absolute dropped)."""
    content = parse_fragment(fragment)
    drop_code(content)
    _absolute_links(content, url)
    return sanitize(lxml.html.tostring(content, encoding="unicode"))


def _absolute_links(content: HtmlElement, url: str) -> None:
    """Every link absolute: against *url*, and a link that cannot be resolved (no address
    to resolve it against) is dropped, since a feed reader could not follow it either."""
    if url:
        make_links_absolute(content, url)
    for el in content.iter():
        if not isinstance(el, HtmlElement):
            continue
        for name in LINK_ATTRIBUTES:
            value = el.get(name)
            if value is not None and not _ABSOLUTE.match(value.strip()):
                del el.attrib[name]
        srcset = el.get("srcset")
        if srcset and not all(_ABSOLUTE.match(c.strip()) for c in srcset.split(",") if c.strip()):
            del el.attrib["srcset"]


_ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|#)")


def process_text(text: str, *, url: str = "", rules: Rules = Rules()) -> Article:
    """Plain text: a paragraph per line, then the same cleaner as HTML."""
    text = text.replace("\x00", "")
    blocks = [line for line in text.splitlines() if line.strip()]
    markup = "".join(f"<p>{htmllib.escape(' '.join(b.split()))}</p>" for b in blocks)
    return process_html_fragment(markup, url=url, rules=rules)


def _finish(
    content: HtmlElement, url: str, trace: clean.Trace, meta: extract.Metadata, rules: Rules
) -> Article:
    flatten_math(content)
    clean.clean_content(content, url, trace, titles=meta.titles)
    fingerprints = learnt.fingerprints(content)  # before what was learnt is applied
    learnt.remove_learnt(content, trace, template=rules.template, other_titles=rules.other_titles)
    _paragraph_of_bare_text(content)
    safe = sanitize(lxml.html.tostring(content, encoding="unicode"))
    article = Article(
        url=url,
        html=safe,
        text=html_to_text(safe),
        title=meta.title,
        author=meta.author or _author_from_byline(trace),
        published=meta.published,
        image=meta.image or _first_picture(content),
        language=meta.language,
        removed=dict(trace.counts),
        removals=tuple(trace.removals),
        fingerprints=fingerprints,
        chosen_by=trace.chosen_by,
    )
    kept = KEPT.get()
    if kept is not None:  # refeed.explain: which of the page's elements the story holds
        kept.append((article, content))
    return article


def _paragraph_of_bare_text(content: HtmlElement) -> None:
    """A story that is a bare run of text (no block in it) becomes one paragraph: a feed
    reader styles ``<p>``, and a reader of the HTML sees a paragraph, not a loose line."""
    if not text_of(content) or any(el.tag in _BLOCK_TAGS for el in content.iterdescendants()):
        return
    paragraph = lxml.html.Element("p")
    paragraph.text, content.text = content.text, None
    for child in list(content):
        paragraph.append(child)  # its tail goes with it
    content.append(paragraph)


# refeed.explain collects here each article made and the tree it was made of
KEPT: ContextVar[list[tuple[Article, HtmlElement]] | None] = ContextVar("refeed_kept", default=None)


def _first_picture(content: HtmlElement) -> str | None:
    """The story's first picture: the item's picture when the page names none (og:image)."""
    for img in content.iter("img"):
        src = web_url(img.get("src"))
        if src:
            return src
    return None


def _author_from_byline(trace: clean.Trace) -> str | None:
    """The page named no author but the cleaner took out a byline: the name in it."""
    for removal in trace.removals:
        if removal.kind == "byline":
            name = byline_author(removal.text)
            if name:
                return name
    return None


def html_to_text(markup: str) -> str:
    """Plain text with a blank line between blocks."""
    if not markup.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    parts: list[str] = []

    def walk(el: HtmlElement) -> None:
        block = el.tag in _BLOCK_TAGS
        if block:
            parts.append("\n\n")
        elif el.tag in ("td", "th"):
            parts.append(" ")
        if el.text:
            parts.append(el.text)
        for child in el:
            if isinstance(child, HtmlElement):
                walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n\n")

    walk(root)
    paragraphs = (" ".join(p.split()) for p in "".join(parts).split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)
