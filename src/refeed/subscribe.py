"""Adding sources: ``refeed add URL``, ``refeed import FILE.opml`` and ``refeed export``.

``add`` takes a feed, a site's homepage or a listing page. It fetches it the way a cycle
fetches a source (:mod:`refeed.fetch`, under the network policy the config gives a
source on that host), and finds the feed: the URL itself, else a feed the page links
with ``<link rel="alternate">``, else an "RSS" link in the page, else one at a common
path (``/feed``, ``/rss``, ...);
else the page becomes a ``page:`` source with automatic links, if it has article links.
It shows the first items' clean text, then appends the source to config.yaml
(:mod:`refeed.configedit`: the rest of the file stays as it was). ``import`` appends an
OPML file's feeds, ``export`` writes the config's sources as OPML (:mod:`refeed.opml`).
"""

from __future__ import annotations

import asyncio
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit

from pydantic import ValidationError

from refeed import defaults
from refeed.config import Config, SourceConfig, load_config, parse_config
from refeed.configedit import NEW_CONFIG, append_sources, render_entries, write_config
from refeed.decode import decode
from refeed.errors import ConfigError, FetchError, ParseError, RefeedError
from refeed.fetch import ACCEPT_FEED, ACCEPT_PAGE, Fetcher, network_policy
from refeed.models import Listing, Response
from refeed.opml import (
    OpmlError,
    Outline,
    Skipped,
    read_opml,
    sources_opml,
)
from refeed.sources import parse_feed, parse_listing
from refeed.sources.discover import (
    feed_anchors,
    feed_kind,
    feed_links,
    guessed_feed_urls,
    looks_like_html,
)
from refeed.urls import canonical_url, redact

PREVIEW_ITEMS = 3  # items whose pages `refeed add` extracts before adding
_PREVIEW_CHARS = 160
_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:»·]\s+|\s*[|»·]\s*")  # "News - Home", "Blog | Site"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_MAX_NAME = 40
# titles that say nothing of a site ("Home | Harbour News"): the next part, or the host
_GENERIC = frozenset(
    ["home", "homepage", "home-page", "index", "welcome", "main", "start", "front-page",
     "untitled", "rss", "feed", "atom", "rss-feed", "atom-feed", "latest"]
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Found:
    """What ``refeed add`` found at a URL: the source to add and how it was found."""

    kind: Literal["feed", "page"]
    url: str
    listing: Listing
    how: str  # one line for the user


@dataclass(slots=True)
class Existing:
    """The config file as it is (or will be made): its text and the sources it has."""

    path: Path
    text: str
    config: Config
    exists: bool
    names: set[str] = field(default_factory=set)
    urls: dict[str, str] = field(default_factory=dict)  # _same(url) -> source name

    @classmethod
    def read(cls, path: Path) -> Existing:
        if path.exists():
            config = load_config(path)
            text = path.read_bytes().decode("utf-8")  # its line endings as they are
            exists = True
        else:
            config, text, exists = Config(), "", False
        found = cls(path, text, config, exists)
        for source in config.sources:
            found.names.add(source.name)
            found.urls[_same(source.url)] = source.name
        return found

    def refuse(self, name: str | None, url: str) -> None:
        """A :class:`RefeedError` if a source is already named *name* or at *url*."""
        if name is not None and name in self.names:
            raise RefeedError(
                f"{self.path}: a source is already named {name!r}; choose another --name"
            )
        if (known := self.named(url)) is not None:
            raise RefeedError(
                f"{self.path}: {redact(url)} is already there, as the source {known!r}"
            )

    def named(self, url: str) -> str | None:
        """The name of the source already at *url*, if one is."""
        return self.urls.get(_same(url))

    def policy_source(self, url: str) -> SourceConfig:
        """A source on *url*'s host, for the network policy the cycle would give it."""
        return SourceConfig(name="new", page=url)


def _same(url: str) -> str:
    """*url* as duplicates are told apart: canonical, without a trailing slash."""
    return canonical_url(url).rstrip("/")


# -- names --------------------------------------------------------------------------


def slug(text: str) -> str:
    """*text* as a source name: lower-case ASCII letters and digits joined by ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(words) > _MAX_NAME:
        words = words[:_MAX_NAME].rsplit("-", 1)[0] or words[:_MAX_NAME]
    return words


def host_name(url: str) -> str:
    """A source name from *url*'s host: ``news.example.org`` gives ``news-example``."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    labels = host.split(".")
    if len(labels) > 1 and not host.replace(".", "").isdigit():
        labels = labels[:-1]  # the top-level domain says little
    return slug("-".join(labels)) or "source"


def derive_name(title: str | None, url: str, taken: set[str]) -> str:
    """A name for a new source: the first part of its title that says something
    (``"BBC News - Home"`` and ``"Home | BBC News"`` give ``bbc-news``), else its host's;
    ``-2``, ``-3``, ... if taken."""
    parts = [slug(part) for part in _TITLE_SEPARATORS.split(title.strip())] if title else []
    base = next((p for p in parts if len(p) >= 2 and p not in _GENERIC), "")
    if not base:
        base = host_name(url)
    name, number = base, 2
    while name in taken:
        name = f"{base}-{number}"
        number += 1
    return name


# -- discovery ----------------------------------------------------------------------


async def _get(fetcher: Fetcher, url: str, *, feed: bool) -> Response:
    return await fetcher.get(
        url,
        accept=ACCEPT_FEED if feed else ACCEPT_PAGE,
        max_bytes=defaults.MAX_FEED_BYTES if feed else defaults.MAX_PAGE_BYTES,
    )


async def _try_feed(fetcher: Fetcher, url: str, limit: int) -> Listing | str:
    """The feed at *url*, or why there is none there (an error, a page, not a feed)."""
    try:
        response = await _get(fetcher, url, feed=True)
    except FetchError as exc:
        return exc.message
    if feed_kind(decode(response.body, response.content_type).text) is None:
        return "not a feed"
    try:
        return parse_feed(response, limit)
    except ParseError as exc:
        return exc.message


async def discover(fetcher: Fetcher, url: str, limit: int = defaults.MAX_ITEMS) -> Found:
    """The source at *url*: the feed it is, links or has at a common path, else *url*
    as a listing page with automatic links (at most *limit* items of either). A page
    without any is a :class:`RefeedError`."""
    response = await _get(fetcher, url, feed=False)
    text = decode(response.body, response.content_type).text
    kind = feed_kind(text)
    if kind is not None:
        if len(response.body) > defaults.MAX_FEED_BYTES:  # what a cycle would refuse
            raise RefeedError(
                f"{redact(url)}: a feed ({kind}) of {len(response.body)} bytes, over the"
                f" {defaults.MAX_FEED_BYTES} byte cap of a feed"
            )
        listing = parse_feed(response, limit)
        return Found("feed", url, listing, f"{redact(url)} is a feed ({kind})")
    page = looks_like_html(text, response.content_type)
    linked = feed_links(text, response.url) if page else []
    failed: list[str] = []  # the linked feeds that could not be read, and why
    for number, candidate in enumerate(linked):
        linked_feed = await _try_feed(fetcher, candidate, limit)
        if isinstance(linked_feed, Listing):
            how = f'{redact(url)} links its feed with <link rel="alternate">: {redact(candidate)}'
            others = [redact(other) for other in linked[number + 1 :]]
            if others:
                how += f" (it also links {', '.join(others)}: add one with refeed add URL)"
            return Found("feed", candidate, linked_feed, how)
        failed.append(f"{redact(candidate)}: {linked_feed}")
    tried = set(linked)
    anchors = feed_anchors(text, response.url) if page else []
    for candidate in [*anchors, *guessed_feed_urls(response.url)]:
        if candidate in tried:
            continue
        tried.add(candidate)
        guessed = await _try_feed(fetcher, candidate, limit)
        if isinstance(guessed, Listing):
            how = (
                f"{redact(url)} links its feed in the page: {redact(candidate)}"
                if candidate in anchors
                else f"{redact(url)} links no feed; there is one at {redact(candidate)}"
            )
            return Found("feed", candidate, guessed, how)
    linked_note = f" (the feed it links failed: {'; '.join(failed)})" if failed else ""
    try:
        listing = parse_listing(response, limit=limit)
    except ParseError as exc:
        raise RefeedError(f"{redact(url)}: {exc.message}{linked_note}") from None
    if not listing.entries:
        raise RefeedError(
            f"{redact(url)}: found no feed (none linked, none at /feed, /rss, /atom.xml, ...)"
            f"{linked_note} and no article links on the page; add it by hand as page: with a"
            " links: selector (refeed's README, Configuration)"
        )
    how = (
        f"{redact(url)} links no feed and none was found at /feed, /rss, /atom.xml, ..."
        f"{linked_note}: a page: source, its article links found automatically"
    )
    return Found("page", url, listing, how)


@dataclass(frozen=True, slots=True)
class Preview:
    title: str
    url: str
    text: str | None = None
    error: str | None = None


async def preview(fetcher: Fetcher, found: Found, count: int = PREVIEW_ITEMS) -> list[Preview]:
    """The clean text of the first *count* items' pages, extracted as a cycle would."""
    from refeed.article import process

    entries = [e for e in found.listing.entries if e.url][:count]

    async def one(url: str) -> Response | FetchError:
        try:
            return await _get(fetcher, url, feed=False)
        except FetchError as exc:
            return exc

    responses = await asyncio.gather(*(one(e.url) for e in entries))
    shown: list[Preview] = []
    for entry, response in zip(entries, responses, strict=True):
        title = entry.title or entry.url
        if isinstance(response, FetchError):
            shown.append(Preview(title, entry.url, error=response.message))
            continue
        try:
            article = process(response.body, url=response.url, content_type=response.content_type)
        except RefeedError as exc:
            shown.append(Preview(title, entry.url, error=str(exc)))
            continue
        shown.append(Preview(entry.title or article.title or entry.url, entry.url, article.text))
    return shown


# -- the commands -------------------------------------------------------------------


def _entry(name: str, kind: str, url: str) -> dict[str, Any]:
    """A source's entry; its URL is taken as it is, not as a ``${VARIABLE}`` template."""
    return {"name": name, kind: url.replace("${", "$${")}


def _shown(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as printed: credentials in its URL masked, as wherever refeed shows one
    (the file gets them whole)."""
    return {
        key: redact(value) if key in ("feed", "page") else value for key, value in entry.items()
    }


def _new_text(existing: Existing, entries: Sequence[dict[str, Any]]) -> str:
    """The config's text with *entries* appended, validated as ``refeed run`` would."""
    base = existing.text if existing.exists else NEW_CONFIG
    text = append_sources(base, entries, existing.path)
    try:
        parse_config(text, existing.path)
    except ConfigError as exc:  # a name or URL that the config refuses: say which
        raise RefeedError(f"the source would not be valid: {exc}") from None
    return text


def add(
    path: Path,
    url: str,
    *,
    name: str | None = None,
    dry_run: bool = False,
    out: TextIO | None = None,
) -> int:
    """``refeed add``: find the source at *url* (an http(s) URL, as the command line
    checked it), preview it and append it to *path*."""
    from refeed.cycle import fetch_settings, source_policy

    out = out or sys.stdout
    if name is not None:
        try:
            SourceConfig(name=name, page=url)
        except ValidationError:
            raise RefeedError(
                f"--name {name!r} is not a slug: use lower-case letters, digits, '.', '_' and '-'"
                " (it names the output files)"
            ) from None
    existing = Existing.read(path)
    existing.refuse(name, url)
    policy = source_policy(existing.config, existing.policy_source(url))

    async def work() -> tuple[Found, list[Preview]]:
        async with Fetcher(fetch_settings(existing.config)) as fetcher:
            with network_policy(policy):
                found = await discover(fetcher, url, existing.config.max_items)
                return found, await preview(fetcher, found)

    found, previews = asyncio.run(work())
    existing = Existing.read(path)  # as it is now: it may have been edited meanwhile
    existing.refuse(name, url)
    if (known := existing.named(found.url)) is not None:
        raise RefeedError(
            f"{path}: {redact(found.url)} (found at {redact(url)}) is already there, as the"
            f" source {known!r}"
        )
    name = name or derive_name(found.listing.title, found.url, existing.names)
    entry = _entry(name, found.kind, found.url)
    text = _new_text(existing, [entry])
    print(found.how, file=out)
    count = len(found.listing.entries)
    print(f'"{found.listing.title or "untitled"}", {_items(count)}', file=out)
    _print_previews(previews, out)
    if dry_run:
        print(f"\nWould append to {path} (--dry-run: nothing written):", file=out)
        out.write(render_entries([_shown(entry)]))
        return 0
    write_config(path, text)
    print(f"\nAdded to {path}{'' if existing.exists else ' (a new file)'}:", file=out)
    out.write(render_entries([_shown(entry)]))
    print(
        f"\nFetch it now with: refeed run -c {path} --source {name}"
        " (a running refeed daemon takes it on SIGHUP)",
        file=out,
    )
    return 0


def _items(count: int) -> str:
    return "1 item" if count == 1 else f"{count} items"


def _print_previews(previews: Sequence[Preview], out: TextIO) -> None:
    if not previews:
        print("(no items to preview yet)", file=out)
        return
    first = "The first item" if len(previews) == 1 else f"The first {len(previews)} items"
    print(f"\n{first}, as refeed extracts {'it' if len(previews) == 1 else 'them'}:", file=out)
    for item in previews:
        print(f"- {item.title}\n  {redact(item.url)}", file=out)
        if item.error is not None:
            print(f"  failed: {item.error}", file=out)
            continue
        text = " ".join((item.text or "").split())
        opening = text[:_PREVIEW_CHARS] + ("..." if len(text) > _PREVIEW_CHARS else "")
        print(f"  {len(text)} characters: {opening or '(no text)'}", file=out)


def import_opml(path: Path, opml: Path, *, dry_run: bool = False, out: TextIO | None = None) -> int:
    """``refeed import``: append the feeds of the OPML file *opml* to the config at *path*,
    skipping those it already has (and saying why of each one skipped)."""
    out = out or sys.stdout
    try:
        data = opml.read_bytes()
    except OSError as exc:
        raise RefeedError(f"cannot read {opml}: {exc.strerror or exc}") from None
    try:
        subscriptions, skipped = read_opml(data, str(opml))
    except OpmlError as exc:
        raise RefeedError(str(exc)) from None
    existing = Existing.read(path)
    entries: list[dict[str, Any]] = []
    lines: list[str] = []
    added: set[str] = set()
    for sub in subscriptions:
        known = existing.named(sub.url)
        if known is not None:
            reason = "listed twice" if known in added else f"already in {path.name}"
            skipped.append(Skipped(redact(sub.url), reason, f"{reason}, as {known!r}"))
            continue
        name = derive_name(sub.title, sub.url, existing.names)
        existing.names.add(name)
        existing.urls[_same(sub.url)] = name
        added.add(name)
        entries.append(_entry(name, sub.kind, sub.url))
        category = f"  ({sub.category})" if sub.category else ""
        lines.append(f"added    {name}  {redact(sub.url)}{category}")
    if entries:
        text = _new_text(existing, entries)  # all of them valid, or none written
        if not dry_run:
            write_config(path, text)
    for line in lines:
        print(line, file=out)
    for skip in skipped:
        print(f"skipped  {skip}", file=out)
    reasons: dict[str, int] = {}
    for skip in skipped:
        reasons[skip.reason] = reasons.get(skip.reason, 0) + 1
    why = ", ".join(f"{n} {reason}" for reason, n in reasons.items())
    target = f"would be added to {path} (--dry-run)" if dry_run else f"added to {path}"
    print(f"{len(entries)} {target}, {len(skipped)} skipped{f' ({why})' if why else ''}", file=out)
    return 0


def export_opml(path: Path, output: Path | None, *, out: TextIO | None = None) -> int:
    """``refeed export``: the config's sources as OPML, to *output* or standard output."""
    out = out or sys.stdout
    config = load_config(path)
    outlines = [Outline(s.kind, s.url, s.title or s.name) for s in config.sources]
    data = sources_opml(outlines)
    if output is None:
        buffer = getattr(out, "buffer", None)
        if buffer is not None:  # the bytes as declared (UTF-8), whatever the terminal's encoding
            out.flush()
            buffer.write(data)
            buffer.flush()
        else:
            out.write(data.decode("utf-8"))
    else:
        write_config(output, data.decode("utf-8"))  # atomically, as a config is
    return 0


__all__ = [
    "Found",
    "Preview",
    "add",
    "derive_name",
    "discover",
    "export_opml",
    "import_opml",
    "preview",
]
