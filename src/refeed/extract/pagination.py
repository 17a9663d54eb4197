"""A story split over several pages: where its single-page version or its next page is.

First the site's rules: its ``single_page_link``, else its ``next_page_link`` (each only
where its ``if_page_contains`` XPaths find something). Without rules, a ``rel="next"``
link or a pager's link ("2", "Next", "»") counts only when its address is this page's
with the page number one higher (``/story/2/``, ``?page=3``, ``story-2.html``): a site's
link to its next *article* never passes that test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml.html import HtmlElement

from refeed.clean.chrome import chrome_kind
from refeed.dom import short_text
from refeed.extract import siterule
from refeed.siterules import Link, SiteConfig
from refeed.urls import web_url


@dataclass(frozen=True, slots=True)
class Pages:
    """Where the rest of the story is (absolute http(s) URLs; None: nowhere)."""

    single_page: str | None = None
    next_page: str | None = None


NO_PAGES = Pages()
_NEXT_WORDS = frozenset(
    ("next", "next page", "›", "»", ">", "weiter", "nächste seite", "suivant", "page suivante",
     "siguiente", "próxima", "successiva", "avanti", "следующая", "далее", "dalej", "następna",
     "volgende", "nästa", "næste", "seuraava", "次へ", "下一页")
)  # fmt: skip
_QUERY_KEYS = frozenset(("page", "p", "pg", "paged", "pagina", "seite", "strona"))
_PATH_NUMBER = re.compile(r"(?:/|[-_]|/page/|/seite/)(\d{1,3})(?:/|\.[a-z]{2,5})?$")
_MAX_PAGE = 200


def find_pages(root: HtmlElement, url: str, site: SiteConfig | None) -> Pages:
    """The single-page version or the next page of the story on *root* (the page at *url*,
    before cleaning)."""
    if site is not None:
        single = _first_link(root, url, site.single_page_link)
        if single is not None:
            return Pages(single_page=single)
        following = _first_link(root, url, site.next_page_link)
        if following is not None:
            return Pages(next_page=following)
    return Pages(next_page=_next_by_number(root, url))


def _first_link(root: HtmlElement, url: str, links: tuple[Link, ...]) -> str | None:
    for link in links:
        if link.if_page_contains and not siterule.contains(root, link.if_page_contains):
            continue
        for found in siterule.select(root, link.xpath):
            href = found.get("href") if isinstance(found, HtmlElement) else str(found)
            target = web_url(urljoin(url, href.strip())) if href and href.strip() else None
            if target is not None and _without_fragment(target) != _without_fragment(url):
                return target
    return None


def _next_by_number(root: HtmlElement, url: str) -> str | None:
    """A ``rel="next"`` link or a pager link to this page's address, one page on."""
    current = page_number(url) or (first_page_key(url), 1)
    labels = _NEXT_WORDS | {str(current[1] + 1)}
    longest = max(map(len, labels))  # lower-casing never shortens a text
    candidates = [
        el.get("href")
        for el in root.iter("link", "a")
        if ("next" in _rel(el) or (el.tag == "a" and _label(el, longest) in labels))
        and not _in_comments(el)  # a comment section's own pager pages its comments
    ]
    for href in candidates:
        if not href or not href.strip():
            continue
        target = web_url(urljoin(url, href.strip()))
        if target is None:
            continue
        numbered = page_number(target)
        if numbered is not None and numbered[1] == current[1] + 1 and numbered[0] == current[0]:
            return target
    return None


def _label(el: HtmlElement, longest: int) -> str:
    text = short_text(el, longest)
    return "" if text is None else text.lower()


def _in_comments(el: HtmlElement) -> bool:
    return any((chrome_kind(a) or ("", ""))[0] == "comments" for a in el.iterancestors())


def _rel(el: HtmlElement) -> set[str]:
    return set((el.get("rel") or "").lower().split())


def page_number(url: str) -> tuple[str, int] | None:
    """(the address without its page number, the number), when the address carries one:
    in the query (``page=2``) or at the end of the path (``/2/``, ``-2.html``); a bare
    first page carries none."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    for i, (key, value) in enumerate(query):
        if key.lower() in _QUERY_KEYS and value.isdigit() and 0 < int(value) <= _MAX_PAGE:
            rest = [pair for j, pair in enumerate(query) if j != i]
            return _key(parts.netloc, parts.path.rstrip("/"), rest), int(value)
    match = _PATH_NUMBER.search(parts.path)
    if match and 0 < int(match[1]) <= _MAX_PAGE:
        return _key(parts.netloc, parts.path[: match.start()], query), int(match[1])
    return None


def first_page_key(url: str) -> str:
    """The key :func:`page_number` gives the pages after the first of *url*'s story."""
    parts = urlsplit(url)
    path = re.sub(r"\.[a-z]{2,5}$", "", parts.path.rstrip("/"))
    return _key(parts.netloc, path, parse_qsl(parts.query, keep_blank_values=True))


def _key(host: str, path: str, query: list[tuple[str, str]]) -> str:
    """What the pages of one story share: host, path without the page number, the rest
    of the query in any order."""
    return f"{host}{path}?{sorted(query)}"


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]
