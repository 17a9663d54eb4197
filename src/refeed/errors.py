"""refeed's exceptions.

Every error refeed raises on purpose derives from :class:`RefeedError`::

    RefeedError
    ├── ConfigError          the config file is missing, unreadable or invalid (exit 2)
    ├── SourceError          one source failed; carries the source name and URL
    │   ├── FetchError       the network or the server failed us
    │   │   ├── TooLargeError    the body went past the size cap
    │   │   └── BlockedError     the destination is not allowed (SSRF guard, scheme)
    │   └── ParseError       the bytes are not a feed / page we can read
    ├── PublishError         a feed file could not be written
    ├── StoreError           the database failed (full disk, read-only, not refeed's, newer)
    └── LockedError          another refeed run or daemon holds the database

Low-level exceptions are wrapped with ``raise ... from exc`` so that the one-line
message says which source and why, and the traceback keeps the cause.
"""

from __future__ import annotations

from refeed.urls import redact, redact_text


class RefeedError(Exception):
    """Base class of refeed's own errors."""


class ConfigError(RefeedError):
    """The configuration cannot be used; the message names the file, key and fix."""


class SourceError(RefeedError):
    """A problem with one source (or one of its pages)."""

    def __init__(self, message: str, *, url: str | None = None, source: str | None = None):
        super().__init__(message)
        self.message = message
        self.url = url
        self.source = source

    def __str__(self) -> str:
        """``source <url>: message``, with any credential in a URL masked (refeed.urls)."""
        url = self.url and f"<{redact(self.url)}>"
        where = " ".join(part for part in (self.source, url) if part)
        message = redact_text(self.message)
        return f"{where}: {message}" if where else message


class FetchError(SourceError):
    """The request failed: connection, timeout, HTTP error status."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        source: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, url=url, source=source)
        self.status = status
        self.retry_after = retry_after


class TooLargeError(FetchError):
    """The response body is larger than the configured cap."""


class BlockedError(FetchError):
    """The destination is refused: a non-public address not allowed by the config, or a
    scheme other than http and https. Never retried."""


class ParseError(SourceError):
    """The response is not something refeed can read (not a feed, not HTML)."""


class PublishError(RefeedError):
    """A feed file could not be written; the previous file is left in place."""


class StoreError(RefeedError):
    """The database cannot be used: the message names the file, the cause and the fix."""


class LockedError(RefeedError):
    """Another ``refeed run`` or ``refeed daemon`` holds the run lock of the database."""
