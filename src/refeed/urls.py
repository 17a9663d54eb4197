"""URL helpers shared by the stages that look at links.

:func:`web_url` is the one scheme check every URL passes before it leaves refeed (a
feed's links, an item's image, the index page): it reads the URL as a browser would
and lets through only absolute ``http`` and ``https`` URLs, so that no spelling of
``javascript:``, ``data:`` or ``vbscript:`` (mixed case, leading controls, tabs and
newlines inside the scheme, entities) reaches a reader.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urldefrag, urljoin, urlsplit

WEB_SCHEMES: Final = ("http", "https")
# what a browser's URL parser strips first: C0 controls and space at both ends, then
# every tab and newline anywhere (so "java\tscript:" is "javascript:")
_C0_OR_SPACE: Final = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE: Final = re.compile("[\t\n\r]")


def web_url(value: str | None) -> str | None:
    """*value* as a browser reads it, if that is an absolute http(s) URL with a host; else None.

    The URL returned is the normalised one, so what is published is what was checked.
    """
    if not value:
        return None
    url = _TAB_OR_NEWLINE.sub("", value.strip(_C0_OR_SPACE))
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced "[" in the host, say
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    return url


def absolute_web_url(base: str, link: str | None) -> str | None:
    """*link* resolved against *base*, if that is an http(s) URL (:func:`web_url`); else None."""
    if not link:
        return None
    try:
        return web_url(urljoin(base, link.strip(_C0_OR_SPACE)))
    except ValueError:  # urljoin on a broken host ("http://[x")
        return None


def canonical_url(url: str) -> str:
    """The URL an item is keyed by: no fragment, scheme and host in lower case."""
    url, _ = urldefrag(url)
    parts = urlsplit(url)
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


def site_of(url: str) -> str:
    """The host a link points to, without ``www.``; "" for a relative link (the same site)."""
    if not url.startswith(("http:", "https:")):
        return ""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")
