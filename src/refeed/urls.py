"""URL helpers shared by the stages that look at links."""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit


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
