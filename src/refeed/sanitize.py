"""Make clean HTML safe for feed readers with nh3 (ammonia) and an allow-list.

nh3 keeps only the allow-listed tags and attributes, drops comments, and checks
the scheme of the URL attributes it knows (``href``, ``src``, ``cite``). On top of
that, :func:`_filter_attribute` checks every URL refeed lets through again,
``srcset`` candidates included (nh3 does not look inside ``srcset``): after
removing the whitespace and control characters a browser ignores, only
``http:``, ``https:`` and ``mailto:`` (or a relative URL) remain. Characters XML
forbids are dropped, so the output fits any feed format. The output is stable:
sanitising it again gives the same string.
"""

from __future__ import annotations

import re
from typing import Final

import nh3

TAGS: Final = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
        "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "picture", "pre", "q",
        "s", "samp", "small", "source", "span", "strong", "sub", "summary", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var",
    }
)  # fmt: skip
ATTRIBUTES: Final = {
    "a": {"href", "title"},
    "img": {"src", "srcset", "alt", "title", "width", "height"},
    "source": {"srcset", "type", "media"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "reversed"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite"},
    "ins": {"cite"},
    "*": {"lang", "dir"},
}
URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES: Final = frozenset({"href", "src", "cite"})

# what a browser skips inside a URL before it finds the scheme: whitespace and C0 controls
_IGNORED_IN_URL: Final = re.compile(r"[\x00-\x20\x7f]+")
# characters XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE/U+FFFF, surrogates): a
# character reference such as &#1; turns into one while parsing, so this runs on the output
_NOT_XML: Final = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SCHEME: Final = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def safe_url(value: str) -> bool:
    """A relative URL, or an absolute one with an allowed scheme."""
    match = _SCHEME.match(_IGNORED_IN_URL.sub("", value))
    return match is None or match.group(1).lower() in URL_SCHEMES


def srcset_candidates(value: str) -> list[tuple[str, str]]:
    """(URL, descriptors) pairs of a srcset, split as the HTML standard says: a URL
    runs to the next whitespace (so a ``data:`` URL with commas stays whole), and
    descriptors run to the next comma outside parentheses."""
    out: list[tuple[str, str]] = []
    pos, end = 0, len(value)
    while pos < end:
        while pos < end and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < end and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if not url:
            break
        if url.endswith(","):
            out.append((url.rstrip(","), ""))
            continue
        described, depth = pos, 0
        while pos < end and (value[pos] != "," or depth):
            depth += {"(": 1, ")": -1 if depth else 0}.get(value[pos], 0)
            pos += 1
        out.append((url, " ".join(value[described:pos].split())))
        pos += 1
    return out


def _safe_srcset(value: str) -> str | None:
    """Keep the srcset candidates whose URL is safe; None when none is left."""
    kept = [f"{url} {d}".strip() for url, d in srcset_candidates(value) if safe_url(url)]
    return ", ".join(kept) or None


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute in URL_ATTRIBUTES:
        return value if safe_url(value) else None
    if attribute == "srcset":
        return _safe_srcset(value)
    return value


# refeed.explain's marks on a page shown in a preview: its own classes (the page's are
# dropped before), the kind and the rule of a removed block
MARKED_ATTRIBUTES: Final = {**ATTRIBUTES, "*": {"lang", "dir", "class", "data-kind", "data-rule"}}


def sanitize(html: str, *, marked: bool = False) -> str:
    """Allow-listed tags and attributes only; no script, style, forms, on* or javascript:;
    no character XML forbids. Sanitising the result again changes nothing.

    *marked* also lets :data:`MARKED_ATTRIBUTES` through (a preview page, never a feed)."""
    attributes = MARKED_ATTRIBUTES if marked else ATTRIBUTES
    out = _clean_once(html, attributes)
    for _ in range(_MAX_PASSES):
        # dropping a disallowed element can leave nesting (<h1> in <h1>) that parses
        # differently the next time; a few passes reach the fixed point
        again = _clean_once(out, attributes)
        if again == out:
            break
        out = again
    return out


_MAX_PASSES: Final = 4


def _clean_once(html: str, attributes: dict[str, set[str]]) -> str:
    cleaned = nh3.clean(
        _NOT_XML.sub("", html),
        tags=set(TAGS),
        attributes={k: set(v) for k, v in attributes.items()},
        attribute_filter=_filter_attribute,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return _NOT_XML.sub("", cleaned)
