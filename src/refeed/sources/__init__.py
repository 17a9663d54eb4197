"""Find a source's items: entries of a feed, or article links on a listing page.

Input is a :class:`~refeed.models.Response` (bytes and where they came from); output is a
:class:`~refeed.models.Listing`. No network here, so every parser is tested on bytes:
:mod:`~refeed.sources.feed` (RSS and Atom by feedparser), :mod:`~refeed.sources.jsonfeed`
(JSON Feed), :mod:`~refeed.sources.listing` (a page without a feed); the small values are
made plain by :mod:`~refeed.sources.text` and :mod:`~refeed.sources.dates`;
:mod:`~refeed.sources.discover` tells a feed from a page and finds the feeds a page links.
"""

from refeed.sources.feed import first_entries, parse_feed
from refeed.sources.listing import parse_listing

__all__ = ["first_entries", "parse_feed", "parse_listing"]
