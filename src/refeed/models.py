"""The plain data that flows between the stages.

Each stage takes and returns these frozen dataclasses; none of them holds a
connection, a file or a parsed tree, so every stage can be tested on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

_EMPTY: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP validators of one URL, sent back as If-None-Match / If-Modified-Since."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Response:
    """What :mod:`refeed.fetch` got for one URL.

    ``status`` is 200-299 with a body, or 304 (not modified) with an empty body.
    ``url`` is the final URL after redirects: relative links resolve against it.
    """

    url: str
    status: int
    body: bytes
    content_type: str | None
    validators: Validators = Validators()

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Enclosure:
    """A file an item carries: a podcast's audio, a video, a document."""

    url: str
    type: str | None = None  # media type, e.g. audio/mpeg
    length: int | None = None  # bytes, when the source says


@dataclass(frozen=True, slots=True)
class Entry:
    """One item found by :mod:`refeed.sources` on a feed or a listing page.

    ``guid`` is the source's own id of the item, as the source wrote it ("" when it gave
    none); ``url`` the link to its page ("" when it gave none and its content is all
    there is). Which of them identifies the item is decided per source
    (:func:`refeed.identity.item_key`).
    """

    url: str
    guid: str
    title: str | None = None
    summary: str | None = None  # HTML the source gave as a teaser
    content: str | None = None  # HTML the source gave as full text, if any
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    enclosures: tuple[Enclosure, ...] = ()
    categories: tuple[str, ...] = ()
    comments: str | None = None  # the URL of its comments page
    image: str | None = None  # its picture (media:thumbnail, media:content, JSON image)


@dataclass(frozen=True, slots=True)
class Listing:
    """What a source currently lists: its own title and link, and its entries, newest first."""

    title: str | None
    link: str | None
    entries: tuple[Entry, ...]
    language: str | None = None  # BCP 47 (en-US)
    image: str | None = None  # the channel's logo or icon
    dropped: int = 0  # entries with neither a link nor content of their own: left out


@dataclass(frozen=True, slots=True)
class Article:
    """The clean main story of one page, from :mod:`refeed.extract` and :mod:`refeed.clean`.

    ``html`` is sanitised, with absolute links; ``text`` is the same story as plain
    text with blank lines between blocks; ``removed`` counts the blocks taken out,
    by kind (``teaser``, ``strip``, ``boilerplate``, ...), and ``removals`` lists each
    one with the rule that removed it (``refeed extract --explain``).
    """

    url: str
    html: str
    text: str
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    image: str | None = None
    language: str | None = None
    removed: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    removals: tuple[Removal, ...] = ()
    fingerprints: tuple[str, ...] = ()  # of the story's blocks, for learning a source's template
    chosen_by: str | None = None  # the rule that chose the story (a site rule, a selector)
    # where the rest of a story split over pages is (refeed.extract.pagination)
    single_page: str | None = None  # its single-page version
    next_page: str | None = None  # its next page


@dataclass(frozen=True, slots=True)
class Removal:
    """One block the cleaner took out: what kind, by which rule, and its opening text."""

    kind: str  # teaser, boilerplate, caption, byline, ad, cta, comments, strip, empty, ...
    rule: str  # the rule that decided, e.g. "heading 'Read also' and the list under it"
    text: str
    at: str | None = None  # where it was on the page (refeed.explain's mark); None: not asked


@dataclass(frozen=True, slots=True)
class Page:
    """An item's article page as it was fetched, kept by :mod:`refeed.store` (compressed)
    so that it can be extracted again without the network (the preview pages)."""

    url: str  # the final URL, after redirects: relative links resolve against it
    body: bytes
    content_type: str | None
    fetched: datetime


@dataclass(frozen=True, slots=True)
class Item:
    """One item of a published feed, as :mod:`refeed.store` keeps it."""

    source: str
    url: str
    guid: str
    title: str
    content_html: str  # the clean article, or the source's own summary while the page fails
    first_seen: datetime
    summary: str | None = None
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    image: str | None = None
    language: str | None = None
    full_text: bool = False  # True once the article page has been extracted
    key: str = ""  # what identifies it in its source (refeed.identity); "" means its url
    enclosures: tuple[Enclosure, ...] = ()
    categories: tuple[str, ...] = ()
    comments: str | None = None
    position: int = 0  # its place in the source's listing when first seen (0 = first)
    rules: str = ""  # the key of the rules its page was extracted with ("": none known)

    @property
    def identity(self) -> str:
        return self.key or self.url

    @property
    def date(self) -> datetime:
        """The date the item sorts by: published, else first seen."""
        return self.published or self.first_seen


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """The channel of one published feed."""

    name: str
    title: str
    link: str  # the site the feed is about
    description: str
    language: str | None = None
    self_base: str | None = None  # public base URL where the feed files are served
    hub: str | None = None  # a WebSub hub, announced with <link rel="hub">
    image: str | None = None  # the source's logo or icon
    site: str | None = None  # the source's own web site, when it names one
    since: datetime | None = None  # when refeed first read the source (a feed without items)


@dataclass(frozen=True, slots=True)
class Extracted:
    """What one article extraction of a cycle gave: its text's length, and whether the item
    fell back to the feed's own summary (the page gave no story)."""

    chars: int
    fell_back: bool = False


@dataclass(frozen=True, slots=True)
class CycleRecord:
    """One cycle of one source, as :mod:`refeed.breaks` judges it: the items its listing
    held (None when the listing was not read again: a 304), the new ones among them, what
    each extraction gave, and whether the cycle was judged broken."""

    listed: int | None
    new: int = 0
    extracted: tuple[Extracted, ...] = ()
    broken: bool = False
