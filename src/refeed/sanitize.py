"""Make clean HTML safe for feed readers with nh3 (ammonia) and an allow-list."""

from __future__ import annotations

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
    "*": {"lang", "dir"},
}
URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})


def sanitize(html: str) -> str:
    """Allow-listed tags and attributes only; no script, style, forms, on* or javascript:."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
