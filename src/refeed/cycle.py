"""One cycle: for each source, fetch -> find items -> extract and clean -> store -> publish.

Sources run concurrently and fail alone: an error is recorded for its source and
the others go on; the failed source's feed files are left as they were. Items
are published from the store, so an item stays in the feed until it ages out of
``max_items``, whatever the source lists today.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from refeed import breaks, defaults, filters, identity, siterules, websub
from refeed import metrics as _metrics
from refeed.article import Rules, html_to_text, join_pages, own_html, process_html_fragment
from refeed.clean import learnt
from refeed.config import Config, SourceConfig
from refeed.errors import FetchError, RefeedError, SourceError, StoreError
from refeed.fetch import (
    ACCEPT_FEED,
    ACCEPT_PAGE,
    Fetcher,
    FetchSettings,
    NetworkPolicy,
    network_policy,
    scoped_hosts,
)
from refeed.models import (
    Article,
    CycleRecord,
    Entry,
    Extracted,
    FeedInfo,
    Item,
    Listing,
    Page,
    Response,
    Validators,
)
from refeed.publish import (
    INDEX_NAME,
    publish_index,
    render,
    render_key,
    render_opml,
    retire,
    write_all,
)
from refeed.store import SourceState, Store
from refeed.urls import redact, web_url
from refeed.workers import Extractor

Mode = Literal["cycle", "reprocess", "refetch"]  # what a run of the sources does
log = logging.getLogger(__name__)


@dataclass(slots=True)
class SourceResult:
    name: str
    error: str | None = None
    new: int = 0
    updated: int = 0
    kept: int = 0
    failed_pages: int = 0
    written: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    bytes: int = 0  # body bytes fetched for this source (feed and pages)
    skipped: bool = False  # backing off after failures: not tried this time
    dropped: int = 0  # entries with neither a link nor content of their own
    retry_after: float | None = None  # the source's server asked to wait this long
    broken: tuple[str, ...] = ()  # why its output looks broken (refeed.breaks); () when not

    @property
    def ok(self) -> bool:
        return self.error is None


def fetch_settings(config: Config) -> FetchSettings:
    return FetchSettings(
        user_agent=config.user_agent,
        deadline=config.timeout,
        max_connections=config.max_connections,
        max_per_host=config.max_per_host,
        allow_private_networks=config.allow_private_networks,
        allow_hosts=config.allow_hosts,
    )


def source_policy(config: Config, source: SourceConfig) -> NetworkPolicy:
    """Where the source's requests may go: its own ``allow_hosts``, and the global list
    only if the source's own host is in it."""
    return NetworkPolicy(
        allow_private=config.private_ok(source),
        allow_hosts=(*source.allow_hosts, *scoped_hosts(source.url, config.allow_hosts)),
    )


def feed_info(
    config: Config,
    source: SourceConfig,
    listing: Listing | None = None,
    *,
    first_saved: datetime | None = None,
) -> FeedInfo:
    """The channel of a source's feed: its settings, then what the source says of itself."""
    title = source.title or (listing.title if listing else None) or source.name
    site = web_url(listing.link if listing else None)
    return FeedInfo(
        name=source.name,
        title=title,
        link=site or source.url,
        description=f"Full-text feed of {title}, made by refeed",
        language=listing.language if listing else None,
        self_base=config.base_url,
        hub=config.websub_hub,
        image=listing.image if listing else None,
        site=site,
        since=first_saved,
    )


async def run_cycle(
    config: Config,
    names: list[str] | None = None,
    *,
    fetcher: Fetcher | None = None,
    extractor: Extractor | None = None,
    metrics: _metrics.Metrics | None = None,
    on_done: Callable[[SourceResult], None] | None = None,
    mode: Mode = "cycle",
) -> list[SourceResult]:
    """Run every enabled source (or the named ones) once; never raises for one source.

    Pages are extracted by *extractor* (worker processes), its own one when not given;
    *metrics* (else the process default) counts fetches, extractions and items;
    *on_done* is called with each source's result as it finishes (a progress bar). The
    *mode* ``"reprocess"`` fetches nothing: every stored item whose page is kept is
    extracted again from it, with today's rules and code, and the feeds are written
    again; ``"refetch"`` runs the cycle and fetches every stored item's page again too
    (not conditionally), as if new.
    """
    sources = (
        [config.source(n) for n in names] if names else [s for s in config.sources if s.enabled]
    )
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(fetch_settings(config))
    own_extractor = extractor is None
    extractor = extractor or Extractor()
    store = Store(config.database)
    # one total deadline for the cycle: every source's run stops there
    deadline = asyncio.get_running_loop().time() + config.cycle_timeout

    async def one(source: SourceConfig) -> SourceResult:
        try:
            skip = skipped_for_backoff(store, source.name)
        except StoreError as exc:
            log.error("%s: %s", source.name, exc)
            result = SourceResult(source.name, error=f"{source.name}: {exc}")
        else:
            result = (
                SourceResult(source.name, skipped=True)
                if skip
                else await run_source(
                    config,
                    source,
                    fetcher,
                    store,
                    extractor,
                    deadline=deadline,
                    mode=mode,
                )
            )
        if on_done is not None:
            on_done(result)
        return result

    try:
        with _metrics.activate(metrics):
            results = await asyncio.gather(*(one(source) for source in sources))
        publish_index_of(config, store)
        retire_removed(config, store)
        if config.websub_hub:
            await websub.ping(fetcher, config.websub_hub, config.base_url, results)
    finally:
        store.close()
        if own_extractor:
            extractor.close()
        if own_fetcher:
            await fetcher.aclose()
    return list(results)


def publish_index_of(config: Config, store: Store) -> None:
    """``index.opml`` of the config's sources: the file, and the database's copy where
    ``feeds_in_database`` (written only when it changed)."""
    channels = store.channels()
    index = [feed_info(config, s, channels.get(s.name)) for s in config.sources]
    publish_index(index, config.output_dir)
    if config.stores_feeds:
        store.save_feeds(None, {INDEX_NAME: render_opml(index)}, datetime.now(UTC))


def retire_removed(config: Config, store: Store | None = None) -> list[str]:
    """Remove the feed files of the sources the store knows but the config no longer has
    (their items stay stored, should the source come back); the names retired."""
    configured = {s.name for s in config.sources}
    retired = []
    with contextlib.nullcontext(store) if store is not None else Store(config.database) as db:
        for state in db.states():
            if state.name in configured:
                continue
            removed = retire(state.name, config.output_dir)
            if db.drop_feeds(state.name) or removed:
                retired.append(state.name)
                log.info(
                    "%s: no longer in the config, its feeds are retired (removed %s)",
                    state.name,
                    ", ".join(p.name for p in removed) or "from the database",
                )
    return retired


async def run_source(
    config: Config,
    source: SourceConfig,
    fetcher: Fetcher,
    store: Store,
    extractor: Extractor,
    *,
    deadline: float | None = None,
    mode: Mode = "cycle",
    period: int | None = None,
) -> SourceResult:
    """One source's part of a cycle, stopped at *deadline* (the loop's clock); its error
    is recorded and returned, not raised. *period* (a worker's job: the time its period
    began) is stored with what the run gave, in the same transaction."""
    started = time.monotonic()
    result = SourceResult(source.name)
    _running.set(result)
    limit = asyncio.timeout_at(deadline)
    try:
        async with limit:
            with network_policy(source_policy(config, source)):
                await _run_source(
                    config, source, fetcher, store, result,
                    extractor=extractor, mode=mode, period=period,
                )  # fmt: skip
    except TimeoutError:
        if not limit.expired():
            raise
        result.error = (
            f"{source.name}: stopped when the cycle reached its {config.cycle_timeout:g} s"
            " deadline (cycle_timeout); its feed is left as it was"
        )
    except SourceError as exc:
        result.error = str(_named(exc, source.name))
        if isinstance(exc, FetchError) and exc.url == source.url:
            result.retry_after = exc.retry_after
    except RefeedError as exc:
        result.error = f"{source.name}: {exc}"
    except Exception as exc:  # a bug must not stop the other sources; it is logged in full
        log.exception("%s: unexpected error", source.name)
        result.error = f"{source.name}: internal error: {type(exc).__name__}: {exc}"
    try:
        state: SourceState | None = store.record_run(
            source.name, at=datetime.now(UTC), error=result.error, retry_after=result.retry_after
        )
    except StoreError as exc:  # the run itself may have gone well: say why it counts as failed
        result.error = f"{source.name}: {exc}"
        state = None
    result.seconds = time.monotonic() - started
    _metrics.active().source_done(
        source.name, ok=result.ok, published=(result.new + result.updated) if result.written else 0
    )
    fields = {
        "source": source.name, "new": result.new, "updated": result.updated,
        "kept": result.kept, "failed_pages": result.failed_pages, "bytes": result.bytes,
        "seconds": round(result.seconds, 3), "error": result.error,
    }  # fmt: skip
    if result.error:
        log.error("%s", result.error, extra={"fields": fields})
        if state is not None and state.next_attempt is not None:
            log.warning(
                "%s: %d failures in a row; next attempt at %s",
                source.name, state.failures, state.next_attempt.isoformat(timespec="seconds"),
            )  # fmt: skip
    else:
        log.info(
            "%s: %d new, %d updated, %d kept, %d pages failed, %d bytes, %.1f s",
            source.name, result.new, result.updated, result.kept, result.failed_pages,
            result.bytes, result.seconds, extra={"fields": fields},
        )  # fmt: skip
    return result


_running: ContextVar[SourceResult | None] = ContextVar("refeed_source_result", default=None)


async def _fetch(
    fetcher: Fetcher,
    url: str,
    *,
    validators: Validators | None,
    headers: Mapping[str, str],
    max_bytes: int = defaults.MAX_PAGE_BYTES,
    accept: str = ACCEPT_PAGE,
) -> Response:
    """``fetcher.get``, counted in the metrics and in the running source's bytes."""
    try:
        response = await fetcher.get(
            url, validators=validators, headers=headers, max_bytes=max_bytes, accept=accept
        )
    except FetchError as exc:
        _metrics.active().fetched(exc.status, 0)
        raise
    _metrics.active().fetched(response.status, len(response.body))
    result = _running.get()
    if result is not None:
        result.bytes += len(response.body)
    return response


def skipped_for_backoff(store: Store, name: str) -> bool:
    state = store.state(name)
    if not state.backing_off(datetime.now(UTC)):
        return False
    assert state.next_attempt is not None
    log.info(
        "%s: skipped, backing off after %d failures until %s (last error: %s)",
        name, state.failures, state.next_attempt.isoformat(timespec="seconds"), state.last_error,
    )  # fmt: skip
    return True


def _named(exc: SourceError, name: str) -> SourceError:
    exc.source = exc.source or name
    return exc


@dataclass(frozen=True, slots=True)
class _Todo:
    """An item a source's run extracts: from its page fetched, or from *page* (its page as
    stored, extracted again because its rules changed or ``refeed reprocess`` asked)."""

    entry: Entry
    stored: Item | None
    key: str
    position: int
    page: Page | None = None


async def _run_source(
    config: Config,
    source: SourceConfig,
    fetcher: Fetcher,
    store: Store,
    result: SourceResult,
    *,
    extractor: Extractor,
    mode: Mode = "cycle",
    period: int | None = None,
) -> None:
    now = datetime.now(UTC)  # the cycle's time: first seen of every new item of this run
    response, listing, entries = await _listing(
        config, source, fetcher, store, result, extractor=extractor, now=now, mode=mode
    )
    # the plan: what to fetch and extract, from the listing and the stored state (read
    # in one transaction: one connection and one commit for all its queries)
    with store.transaction():
        rules, sites = (
            source_rules(source, store, (e.title for _k, e in entries)),
            SiteLookup.of(config, source),
        )
        todo = _todo(
            config, source, store, result, entries,
            rules=rules, sites=sites, now=now, mode=mode,
        )  # fmt: skip
    outcomes = await asyncio.gather(
        *(
            _item(
                source,
                fetcher=fetcher,
                store=store,
                extractor=extractor,
                entry=t.entry,
                stored=t.stored,
                rules=rules,
                sites=sites,
                key=t.key,
                position=t.position,
                now=now,
                page=t.page,
                max_pages=config.max_pages_of(source),
                mode=mode,
            )
            for t in todo
        )
    )
    _count(source, result, zip((t.stored for t in todo), (o[0] for o in outcomes), strict=True))
    unchanged = response is None or response.not_modified
    files = _apply(
        config, source, store, result,
        outcomes=outcomes, listing=listing, response=response, now=now, period=period,
        record=CycleRecord(
            listed=None if unchanged else len(entries),
            new=result.new,
            extracted=tuple(x for _item, _error, x in outcomes if x is not None),
        ),
        changed=not unchanged or bool(todo),
    )  # fmt: skip
    if files is None:
        return
    try:  # in a thread: each file's fsync would stall every fetch
        result.written = await asyncio.to_thread(write_all, files)
    except RefeedError:  # what is stored stands; the next run writes the files again
        store.save_rendered(source.name, "")
        raise


def _apply(
    config: Config,
    source: SourceConfig,
    store: Store,
    result: SourceResult,
    *,
    outcomes: Sequence[tuple[Item, str | None, Extracted | None]],
    listing: Listing | None,
    response: Response | None,
    record: CycleRecord,
    now: datetime,
    changed: bool,
    period: int | None = None,
) -> dict[Path, bytes] | None:
    """The apply step of a source's run, in one transaction: its items, their pages'
    failures, its history, its feeds as rendered (kept in the database where
    ``feeds_in_database``) and its validators; a run that dies before it stores nothing,
    and fetches afresh next time. The feed files to write, None when nothing changed.
    No await inside: concurrent sources share an SQLite connection."""
    with store.transaction():
        if period is not None:  # this period's run is done: a job run twice skips it
            store.period_done(source.name, period)
        store.save_items(item for item, _error, _extracted in outcomes)
        for item, error, _extracted in outcomes:  # a failing page waits, as a source does
            if error is not None:
                store.page_failed(source.name, item.identity, error, now)
            elif item.full_text:
                store.page_done(source.name, item.identity)
        keep = config.max_items_of(source)
        if outcomes or store.count(source.name) > keep:  # else nothing ages out
            store.prune(source.name, keep)
        result.broken = _watch(store, source.name, record, at=now)
        info = feed_info(config, source, listing, first_saved=store.first_saved(source.name))
        formats = config.formats_of(source)
        settings = render_key(info, formats, (source.keep, source.block, source.drop_stubs))
        feed_files = [config.output_dir / f"{source.name}.{f}" for f in formats]
        if (
            not changed
            and store.rendered(source.name) == settings
            and all(p.exists() for p in feed_files)
        ):
            # nothing changed, its settings neither: leave the files (and validators) alone
            return None
        published = [
            item
            for item in store.items(source.name, config.max_items_of(source))
            if filtered(source, item) is None
        ]
        files = render(info, published, config.output_dir, formats)
        if config.stores_feeds:
            store.save_feeds(source.name, {p.name: data for p, data in files.items()}, now)
        store.save_rendered(source.name, settings)
        if response is not None:
            store.save_validators(source.url, response.validators)
    return files


async def _listing(
    config: Config,
    source: SourceConfig,
    fetcher: Fetcher,
    store: Store,
    result: SourceResult,
    *,
    extractor: Extractor,
    now: datetime,
    mode: Mode,
) -> tuple[Response | None, Listing | None, list[tuple[str, Entry]]]:
    """The source's feed or listing page, fetched and read (nothing when it was not
    modified, and nothing fetched to reprocess the stored items)."""
    if mode == "reprocess":
        return None, store.channel(source.name), []
    is_feed = source.kind == "feed"
    response = await _fetch(
        fetcher,
        source.url,
        validators=store.validators(source.url),
        headers=source.headers,
        max_bytes=defaults.MAX_FEED_BYTES if is_feed else defaults.MAX_PAGE_BYTES,
        accept=ACCEPT_FEED if is_feed else ACCEPT_PAGE,
    )
    if response.not_modified:
        return response, store.channel(source.name), []
    # parsing is CPU work that hostile bytes can make long: in a worker, under a deadline
    limit = config.max_items_of(source)
    listing = await (
        extractor.parse_feed(response, limit)
        if is_feed
        else extractor.parse_listing(response, source.links, limit)
    )
    if listing.dropped:
        result.dropped = listing.dropped
        log.warning(
            "%s: %d entries have neither a link nor content of their own; left out",
            source.name, listing.dropped,
        )  # fmt: skip
    entries = _keyed(source.name, listing.entries[:limit], store)
    store.save_channel(source.name, listing, at=now)
    return response, listing, entries


def _todo(
    config: Config,
    source: SourceConfig,
    store: Store,
    result: SourceResult,
    entries: list[tuple[str, Entry]],
    *,
    rules: Rules,
    sites: SiteLookup,
    now: datetime,
    mode: Mode,
) -> list[_Todo]:
    """What the run extracts: new and changed entries, pages still pending, and stored
    items whose rules changed since their page was extracted (all stored items with a
    kept page, to reprocess), from the page kept; to refetch, every stored item, from
    its page fetched again."""
    todo: list[_Todo] = []
    listed = {key for key, _entry in entries}
    for position, (listed_key, entry) in enumerate(entries):
        stored = store.item(source.name, listed_key) or _moved(store, source.name, entry, listed)
        # an item found at its link, known by another key: the same item, it keeps its key
        key = stored.identity if stored is not None else listed_key
        if stored is None or not stored.full_text or _changed(entry, stored):
            todo.append(_Todo(entry, stored, key, position))
        else:
            result.kept += 1
    for stored in store.pending(source.name, now):
        if stored.identity not in listed:
            todo.append(_Todo(_entry_of(stored), stored, stored.identity, stored.position))
    if not source.fetch_pages:
        return todo
    chosen = {t.key for t in todo}
    kept = store.page_urls(source.name)  # the rules were those of where the page was
    keys: dict[siterules.SiteConfig | None, str] = {}  # one hash per site's rules

    def today(url: str) -> str:
        site = sites.for_url(url)
        if site not in keys:
            keys[site] = replace(rules, site=site).key()
        return keys[site]

    for stored in store.items(source.name, config.max_items_of(source)):
        if stored.identity in chosen or not stored.url:
            continue
        if mode == "refetch":
            todo.append(_Todo(_entry_of(stored), stored, stored.identity, stored.position))
            result.kept -= stored.identity in listed
            continue
        if stored.identity not in kept or not stored.full_text:
            continue
        if mode != "reprocess" and (
            not stored.rules or stored.rules == today(kept[stored.identity])
        ):
            continue  # extracted with the rules of today (or before refeed kept them)
        page = store.page(source.name, stored.identity)
        if page is not None:
            todo.append(_Todo(_entry_of(stored), stored, stored.identity, stored.position, page))
            result.kept -= stored.identity in listed
    return todo


def _watch(store: Store, name: str, cycle: CycleRecord, *, at: datetime) -> tuple[str, ...]:
    """Judge the cycle against the source's history (refeed.breaks) and record both; a
    break is logged when it starts (a warning) and when it clears. Returns its reasons.

    A cycle that read nothing new (its listing not modified, no page extracted) is not
    recorded: the source's break stands as it was."""
    before = store.state(name).broken
    if cycle.listed is None and not cycle.extracted:
        return before
    reasons = tuple(str(b) for b in breaks.judge([*store.history(name), cycle]))
    store.record_cycle(name, cycle, broken=reasons, at=at)
    if reasons and not before:
        log.warning(
            "%s: its output looks broken (has the site changed its template?): %s",
            name, "; ".join(reasons), extra={"fields": {"source": name, "broken": reasons}},
        )  # fmt: skip
    elif before and not reasons:
        log.info("%s: its output looks as usual again; the break is cleared", name)
    return reasons


def _keyed(name: str, entries: Sequence[Entry], store: Store) -> list[tuple[str, Entry]]:
    """Each entry with its key under the source's identity policy, each key once."""
    stored = store.identity(name)
    policy = identity.choose(entries, stored)
    if policy != stored:
        if stored == identity.GUID:
            log.warning("%s: its guids repeat or are missing: items are known by links now", name)
        store.set_identity(name, policy)
    keyed: dict[str, Entry] = {}
    for entry in entries:
        keyed.setdefault(identity.item_key(entry, policy), entry)
    return list(keyed.items())


def _moved(store: Store, name: str, entry: Entry, listed: set[str]) -> Item | None:
    """A stored item at the entry's link, under a key the listing (*listed*) no longer has:
    the same item, known by another key since its source's policy changed."""
    if not entry.url:
        return None
    stored = store.item_at(name, entry.url)
    if stored is None or stored.identity in listed:
        return None
    return stored


def _count(
    source: SourceConfig, result: SourceResult, done: Iterable[tuple[Item | None, Item]]
) -> None:
    """Count the items a cycle made (stored before, item now), and log each one the
    source's filters keep out of its feed."""
    for stored, item in done:
        if stored is None:
            result.new += 1
        else:
            result.updated += 1
        if not item.full_text:
            result.failed_pages += 1
        if (why := filtered(source, item)) is not None:
            log.info("%s: %r is not published: %s", source.name, item.title, why)


def filtered(source: SourceConfig, item: Item) -> str | None:
    """Why the source's filters keep *item* out of its feed (None: they do not)."""
    if not (source.keep or source.block or source.drop_stubs):
        return None
    keep, block = source.filters()
    return filters.dropped_by(
        item,
        keep=keep,
        block=block,
        drop_stubs=source.drop_stubs,
        text=lambda i: html_to_text(i.content_html),
    )


@dataclass(frozen=True, slots=True)
class SiteLookup:
    """The site rules (refeed.siterules) of a source's pages: its own ``rules:``, then
    the file for the page's host in the ``site_rules`` folders, then ``global.txt``."""

    book: siterules.RuleBook | None
    inline: siterules.SiteConfig | None
    user_agent: bool  # send the user agent a rule file asks for

    @classmethod
    def of(cls, config: Config, source: SourceConfig | None) -> SiteLookup:
        """A source's (None: the config's folders alone, for a page of no source)."""
        inline = (
            siterules.inline(source.name, source.rules)
            if source is not None and source.rules
            else None
        )
        book = siterules.book(config.site_rules) if config.site_rules else None
        return cls(book, inline, config.site_rules_user_agent)

    def for_url(self, url: str) -> siterules.SiteConfig | None:
        if self.book is not None:
            return self.book.for_url(url, self.inline)
        return self.inline

    def headers(
        self, site: siterules.SiteConfig | None, source: SourceConfig | None
    ) -> dict[str, str]:
        """The page's request headers: what its rules ask for, the source's own winning."""
        own = dict(source.headers) if source is not None else {}
        return siterules.headers(site, user_agent=self.user_agent) | own


def source_rules(source: SourceConfig, store: Store, titles: Iterable[str | None]) -> Rules:
    """The source's config rules plus what was learnt of its pages (refeed.clean.learnt)
    and *titles*, those of its other items (the listing's; a preview takes the stored ones)."""
    return Rules(
        content=source.content,
        strip=source.strip,
        template=store.template(source.name, learnt.MIN_PAGES),
        other_titles=frozenset(title for title in titles if title),
    )


def _changed(entry: Entry, stored: Item) -> bool:
    """The source says the item changed (a later date), or moved it to another link."""
    return (entry.url != stored.url and bool(entry.url)) or (
        entry.updated is not None and stored.updated is not None and entry.updated > stored.updated
    )


def _entry_of(item: Item) -> Entry:
    return Entry(
        url=item.url,
        guid=item.guid,
        title=item.title,
        summary=item.summary,
        author=item.author,
        published=item.published,
        updated=item.updated,
        enclosures=item.enclosures,
        categories=item.categories,
        comments=item.comments,
        image=item.image,
    )


async def _item(
    source: SourceConfig,
    *,
    fetcher: Fetcher,
    store: Store,
    extractor: Extractor,
    entry: Entry,
    stored: Item | None,
    rules: Rules,
    sites: SiteLookup,
    key: str,
    position: int,
    now: datetime,
    page: Page | None = None,
    max_pages: int = defaults.MAX_PAGES,
    mode: Mode = "cycle",
) -> tuple[Item, str | None, Extracted | None]:
    """Fetch and clean the entry's article (or clean its *page* as stored, again); on
    failure, keep what we had or the summary.

    Returns the item, why its page failed (counted in the store) when it did, and what
    the extraction gave when there was one (the source's history, refeed.breaks)."""
    article: Article | None = None
    failure: str | None = None
    page_changed = False  # the page fetched again is not the one stored
    # every other item's title is a teaser on this page; its own is not
    rules = replace(rules, other_titles=rules.other_titles - {entry.title})
    own = entry.content or entry.summary or ""
    try:
        if not source.fetch_pages or not entry.url:  # no page: the entry's own content
            article = process_html_fragment(own, url=entry.url, rules=rules)
        elif page is not None:  # its page as kept, with today's rules and code
            rules = replace(rules, site=sites.for_url(page.url))
            began = time.monotonic()
            article = await extractor.process(
                page.body, url=page.url, content_type=page.content_type, rules=rules
            )
            _metrics.active().extracted(time.monotonic() - began, article.removed)
        else:
            # a stored page that has not changed (304) would extract to the same article
            validators = (
                store.validators(entry.url) if stored is not None and mode != "refetch" else None
            )
            site = sites.for_url(entry.url)
            async with extractor.pages:  # fetch no faster than the workers extract
                response = await _fetch(
                    fetcher, entry.url, validators=validators, headers=sites.headers(site, source)
                )
                if response.not_modified and stored is not None and stored.url == entry.url:
                    return stored, None, None
                if response.url != entry.url:  # redirected: the rules of where it landed
                    site = sites.for_url(response.url)
                rules = replace(rules, site=site)
                page_changed = stored is not None and _page_changed(store, source, key, response)
                # kept as fetched, to be extracted again without the network (a preview)
                fetched = Page(response.url, response.body, response.content_type, now)
                store.save_page(source.name, key, fetched)
                began = time.monotonic()
                article = await extractor.process(
                    response.body, url=response.url, content_type=response.content_type, rules=rules
                )
                _metrics.active().extracted(time.monotonic() - began, article.removed)
                if article.single_page or article.next_page:
                    article = await _rest_of_story(
                        source, fetcher, extractor, article, sites=sites, rules=rules,
                        seen={entry.url, response.url}, max_pages=max_pages,
                    )  # fmt: skip
            store.save_validators(entry.url, response.validators)
        if entry.url:
            store.learn(source.name, entry.url, article.fingerprints)
    except SourceError as exc:
        failure = str(_named(exc, source.name))
        log.warning("%s", failure)
        if stored is not None and stored.full_text:
            return _updated_entry(stored, entry), failure, None
    except Exception as exc:  # a bug on one hostile page fails that page, not its whole source
        log.exception("%s: %s: internal error while extracting", source.name, redact(entry.url))
        failure = f"internal error while extracting: {type(exc).__name__}"
        if stored is not None and stored.full_text:
            return _updated_entry(stored, entry), failure, None
    from_page = source.fetch_pages and bool(entry.url)
    # the entry's own content is all there will be: it is the full text, however short
    full = article is not None and (
        len(article.text) >= min(defaults.MIN_ARTICLE_CHARS, len(_plain(entry.summary)) + 1)
        if from_page
        else bool(article.text)
    )
    extracted = None if article is None else Extracted(len(article.text), fell_back=not full)
    if (
        stored is not None
        and stored.full_text
        and article is not None
        and (
            not full
            # the page fetched again is much shorter (a soft error page); the same page
            # read with other rules may be (a strip rule took a long block out)
            or (
                page is None
                and len(article.text) < defaults.SHRINK_RATIO * len(_plain(stored.content_html))
            )
        )
    ):
        log.warning(
            "%s: %s: new extraction is much shorter; keeping the stored one",
            source.name,
            redact(entry.url),
        )
        # tried with these rules: not again until they change
        return replace(_updated_entry(stored, entry), rules=rules.key()), None, extracted
    content = (
        article.html
        if full and article is not None
        else own_html(own, url=entry.url)  # the source's own HTML: untrusted
    )
    item = Item(
        source=source.name,
        key=key,
        url=entry.url,
        guid=entry.guid,
        title=entry.title or (article.title if article else None) or entry.url or "untitled",
        content_html=content,
        first_seen=stored.first_seen if stored else now,
        summary=_plain(entry.summary) or None,
        author=entry.author or (article.author if article else None),
        published=entry.published or entry.updated or (article.published if article else None),
        updated=_updated(entry, stored, content, page_changed=page_changed and full, now=now),
        image=entry.image or (article.image if article else None),
        language=article.language if article else None,
        full_text=full,
        enclosures=entry.enclosures,
        categories=entry.categories,
        comments=entry.comments,
        position=stored.position if stored else position,
        rules=rules.key() if full and from_page else "",
    )
    return item, failure, extracted


async def _rest_of_story(
    source: SourceConfig,
    fetcher: Fetcher,
    extractor: Extractor,
    first: Article,
    *,
    sites: SiteLookup,
    rules: Rules,
    seen: set[str],
    max_pages: int,
) -> Article:
    """A story split over pages, whole: its single-page version (when it holds at least
    as much), else its next pages joined to *first* (at most *max_pages* in all, none
    twice). A page that fails ends the story there; what was read is kept."""

    async def read(url: str) -> Article:
        site = sites.for_url(url)
        response = await _fetch(fetcher, url, validators=None, headers=sites.headers(site, source))
        landed = sites.for_url(response.url) if response.url != url else site
        return await extractor.process(
            response.body, url=response.url, content_type=response.content_type,
            rules=replace(rules, site=landed),
        )  # fmt: skip

    if first.single_page:
        try:
            whole = await read(first.single_page)
        except SourceError as exc:
            log.warning("%s: its single-page version: %s", source.name, exc)
            return first
        if len(whole.text) < len(first.text):
            return first
        return replace(whole, single_page=None, next_page=None)
    pages = [first]
    following = first.next_page
    while following and following not in seen and len(pages) < max_pages:
        seen.add(following)
        try:
            page = await read(following)
        except SourceError as exc:
            log.warning(
                "%s: page %d of %s: %s", source.name, len(pages) + 1, redact(first.url), exc
            )
            break
        if not page.text:
            break
        pages.append(page)
        following = page.next_page
    return join_pages(pages)


def _page_changed(store: Store, source: SourceConfig, key: str, response: Response) -> bool:
    """Whether the page fetched is another than the one stored (none stored: unknown)."""
    before = store.page(source.name, key)
    return before is not None and before.body != response.body


def _updated(
    entry: Entry, stored: Item | None, content: str, *, page_changed: bool, now: datetime
) -> datetime | None:
    """When the item was last updated: the source's date, unless its page, fetched
    again, changed and so did its story, since the source last dated it (then now: a
    feed reader shows it as an update)."""
    said = entry.updated or entry.published
    if not page_changed or stored is None or not stored.full_text:
        return said
    if content == stored.content_html:
        return stored.updated or said
    if entry.updated is not None and (stored.updated is None or entry.updated > stored.updated):
        return entry.updated
    return now


def _updated_entry(stored: Item, entry: Entry) -> Item:
    """The stored item with what the source says of it now (its link, title, dates, ...)."""
    return replace(
        stored,
        url=entry.url or stored.url,
        guid=entry.guid or stored.guid,
        title=entry.title or stored.title,
        published=entry.published or entry.updated or stored.published,
        updated=entry.updated or stored.updated,
        enclosures=entry.enclosures or stored.enclosures,
        categories=entry.categories or stored.categories,
        comments=entry.comments or stored.comments,
        image=entry.image or stored.image,
    )


def _plain(markup: str | None) -> str:
    return html_to_text(markup) if markup else ""
