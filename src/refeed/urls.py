"""URL helpers shared by the stages that look at links.

:func:`web_url` is the one scheme check every URL passes before it leaves refeed (a
feed's links, an item's image, the index page): it reads the URL as a browser would
and lets through only absolute ``http`` and ``https`` URLs, so that no spelling of
``javascript:``, ``data:`` or ``vbscript:`` (mixed case, leading controls, tabs and
newlines inside the scheme, entities) reaches a reader.

A source's URL may carry credentials: ``user:pass@`` in its authority, a secret in its
query (``?api_key=``, ``&token=``), or a value the config took from the environment
(``${FEED_TOKEN}``, see :func:`declare_secret`). :func:`redact` (and :func:`redact_text`
for a message holding URLs) masks them wherever a URL is *shown* (errors, logs,
``refeed status``, the index page, ``/healthz``); :func:`public_url` drops them from a
URL that is *published* as a link (a feed's site link, an item's link and id).
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import (
    parse_qsl,
    unquote_plus,
    urldefrag,
    urlencode,
    urljoin,
    urlsplit,
    urlunsplit,
)

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


# a query parameter is secret when one of the words of its name is one of these, or ends
# like one ("apikey", "accesstoken"): api_key, apiKey, X-Auth-Token, access_token, sig, ...
_SECRET_WORDS: Final = frozenset(
    [
        "key",
        "token",
        "secret",
        "password",
        "passwd",
        "pass",
        "pwd",
        "auth",
        "authorization",
        "sig",
        "signature",
        "session",
        "sessionid",
        "sid",
        "credential",
        "credentials",
        "jwt",
        "bearer",
        "hmac",
        "otp",
    ]
)
_SECRET_ENDINGS: Final = ("key", "token", "secret", "password", "passwd", "auth")
_NAME_WORDS: Final = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_SHOWN_URL: Final = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>\"']+")
MASK: Final = "***"
_declared: set[str] = set()
_MIN_SECRET: Final = 4  # shorter values would mask ordinary words


def declare_secret(value: str) -> None:
    """A value taken from the environment by the config: masked wherever it is shown."""
    if len(value) >= _MIN_SECRET:
        _declared.add(value)


def is_secret_name(name: str) -> bool:
    """Whether a query parameter (or header) called *name* holds a credential."""
    words = [w.lower() for w in _NAME_WORDS.findall(name)]
    return any(w in _SECRET_WORDS or w.endswith(_SECRET_ENDINGS) for w in words)


def _mask_declared(text: str) -> str:
    for secret in sorted(_declared, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def redact(url: str) -> str:
    """*url* fit to be shown: user info and secret query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _mask_declared(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        query = "&".join(
            f"{name}={MASK}"
            if sep and is_secret_name(unquote_plus(name))
            else f"{name}{sep}{value}"
            for name, sep, value in (pair.partition("=") for pair in query.split("&"))
        )
    return _mask_declared(urlunsplit(parts._replace(netloc=netloc, query=query)))


def redact_text(text: str) -> str:
    """A message with every URL in it :func:`redact`-ed (and declared secrets masked)."""
    return _mask_declared(_SHOWN_URL.sub(lambda m: redact(m.group(0)), text))


def public_url(url: str) -> str:
    """*url* fit to be published as a link: no user info, no secret query parameter.

    A URL that still holds a declared secret (in its path, say) becomes its site's root.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_name(name) for name, _ in pairs):
            query = urlencode([(n, v) for n, v in pairs if not is_secret_name(n)])
    public = urlunsplit(parts._replace(netloc=netloc, query=query))
    if _mask_declared(public) != public:
        return urlunsplit((parts.scheme, netloc, "/", "", ""))
    return public


def public_link(url: str | None) -> str | None:
    """*url* as refeed publishes a link: an http(s) URL (:func:`web_url`) without its
    credentials (:func:`public_url`); None for anything else."""
    checked = web_url(url)
    return public_url(checked) if checked else None


def absolute_web_url(base: str, link: str | None) -> str | None:
    """*link* resolved against *base*, if that is an http(s) URL (:func:`web_url`); else None."""
    if not link:
        return None
    try:
        return web_url(urljoin(base, link.strip(_C0_OR_SPACE)))
    except ValueError:  # urljoin on a broken host ("http://[x")
        return None


# query parameters that say where a reader came from, not what the page is
_TRACKING: Final = re.compile(
    r"^(?:utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid|"
    r"_ga|_gl|ref_src|ref_url|cmpid|mkt_tok|oly_anon_id|oly_enc_id|vero_id|__twitter_impression)$",
    re.IGNORECASE,
)


def canonical_url(url: str) -> str:
    """The URL an item is known by: no fragment, no tracking parameters (``utm_*``,
    ``fbclid``, ...), scheme and host in lower case."""
    url, _ = urldefrag(url)
    parts = urlsplit(url)
    query = parts.query
    if query and ("utm_" in query or "clid" in query or "=" in query):
        kept = [p for p in query.split("&") if p and not _TRACKING.match(p.partition("=")[0])]
        query = "&".join(kept)
    return parts._replace(
        scheme=parts.scheme.lower(), netloc=parts.netloc.lower(), query=query
    ).geturl()


def site_of(url: str) -> str:
    """The host a link points to, without ``www.``; "" for a relative link (the same site)."""
    if not url.startswith(("http:", "https:")):
        return ""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")
