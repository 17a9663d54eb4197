"""The HTTP side: serve ``output_dir`` at the root, an HTML index, ``/healthz`` and ``/metrics``.

A Starlette app run by uvicorn (``refeed serve``, or ``refeed daemon --serve`` in the
scheduler's process). A feed's URL is ``base_url`` + its file name, so the app serves
``/<name>.atom``, ``/<name>.rss``, ``/<name>.json`` and ``/index.opml`` and nothing else
from the disk: names are matched against a strict pattern and opened only as direct
children of ``output_dir``, never a path built from the request.

Each feed answer carries a strong ETag (a hash of its bytes; the gzip variant's tag
ends in ``-gz``), Last-Modified (the file's mtime, which :mod:`refeed.publish` keeps
when the bytes do not change), and ``Cache-Control: max-age`` of half the source's
schedule period (60 s to 1 h). Conditional requests get 304. Files are read once per
change and kept, with their gzip, in memory: the publisher replaces them atomically,
so a reader gets the old file or the new one, never half of one.

Health: a source is stale when its last success (or, before any, the server's start)
is older than three schedule periods. In ``refeed daemon --serve`` the scheduler must
also be running. ``refeed serve`` alone has no scheduler and judges only from the
store, so it reports the health of whatever process (cron, a daemon) runs the cycles.
A source whose output looks broken (:mod:`refeed.breaks`) makes the service degraded,
not unhealthy: ``/healthz`` stays 200 and names it, as ``/metrics`` and the index do.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import gzip
import hashlib
import html
import logging
import os
import re
import signal
import socket
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from refeed import __version__, preview
from refeed import metrics as _metrics
from refeed.article import Rules
from refeed.config import Config, Schedule, SourceConfig
from refeed.errors import RefeedError, StoreError
from refeed.explain import Explained, explain
from refeed.httpd import make_server
from refeed.models import FeedInfo, Item, Page
from refeed.preview import SourceView, item_id
from refeed.store import SourceState, Store, feed_etag
from refeed.urls import public_link, redact_text
from refeed.workers import Extractor

log = logging.getLogger(__name__)

MEDIA_TYPES = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
    "opml": "text/x-opml",
}
FORMAT_NAMES = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}
INDEX_FILE = "index.opml"
STALE_AFTER = 3  # schedule periods without a success before /healthz says 503
MIN_MAX_AGE, MAX_MAX_AGE = 60, 3600
GZIP_MIN_BYTES = 512
_FEED_FILE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}\.(atom|rss|json)$")
_CRON_SAMPLES = 64  # fire times looked at to find a cron schedule's longest gap


def schedule_period(schedule: Schedule, now: datetime | None = None) -> timedelta:
    """How long a source may wait between two runs: its interval, or for a cron
    expression the longest gap between consecutive fire times among the next few."""
    if schedule.interval is not None:
        return schedule.interval
    from apscheduler.triggers.cron import CronTrigger

    assert schedule.cron is not None
    trigger = CronTrigger.from_crontab(schedule.cron, timezone="UTC")
    previous: datetime | None = None
    moment = now or datetime.now(UTC)
    longest = timedelta(0)
    for _ in range(_CRON_SAMPLES):
        fire: datetime | None = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        if previous is not None:
            longest = max(longest, fire - previous)
        previous, moment = fire, fire + timedelta(microseconds=1)
    return longest or timedelta(days=1)


def max_age(period: timedelta) -> int:
    """Cache lifetime for a feed refreshed every *period*: half of it, 60 s to 1 h."""
    return int(min(max(period.total_seconds() / 2, MIN_MAX_AGE), MAX_MAX_AGE))


# -- health -----------------------------------------------------------------------


def health_problems(
    config: Config,
    states: dict[str, SourceState],
    *,
    now: datetime,
    started: datetime,
    periods: dict[str, timedelta],
) -> list[str]:
    """Why the service is unhealthy: one line per stale enabled source; [] when healthy."""
    problems = []
    for source in config.sources:
        if not source.enabled:
            continue
        state = states.get(source.name)
        since = (state.last_success if state else None) or started
        limit = STALE_AFTER * periods[source.name]
        if now - since > limit:
            last = (
                state.last_success.isoformat(timespec="seconds")
                if state and state.last_success
                else "never"
            )
            error = (
                f"; last error: {redact_text(state.last_error)}"
                if state and state.last_error
                else ""
            )
            problems.append(
                f"{source.name}: stale, last success {last}, over {STALE_AFTER} schedule "
                f"periods ({int(limit.total_seconds())} s) ago{error}"
            )
    return problems


def source_breaks(config: Config, states: dict[str, SourceState]) -> list[str]:
    """One line per enabled source whose output looks broken (refeed.breaks); [] when none."""
    lines = []
    for source in config.sources:
        state = states.get(source.name)
        if source.enabled and state is not None and state.broken:
            since = preview.when(state.broken_since)
            lines.append(f"{source.name}: broken since {since}: {_reasons(state)}")
    return lines


def _reasons(state: SourceState) -> str:
    return redact_text("; ".join(state.broken))


# -- feed files -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _File:
    key: tuple[int, int, int]  # inode, size, mtime_ns: a new file or new bytes
    body: bytes
    gzipped: bytes | None  # None when too small to be worth it
    etag: str  # without quotes
    last_modified: str
    mtime: float


class _Files:
    """Feed files read once per change, with their gzip and validators."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, _File] = {}

    def cached(self, name: str) -> _File | None:
        """The kept copy of *name* if the file on disk is still that one (a stat, no read)."""
        entry = self._cache.get(name)
        if entry is None:
            return None
        try:
            info = os.lstat(self.directory / name)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return entry if (info.st_ino, info.st_size, info.st_mtime_ns) == entry.key else None

    def load(self, name: str) -> _File | None:
        """Read *name* (not through a symlink), keep it with its gzip; None if not a file."""
        path = self.directory / name
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            return None
        with os.fdopen(fd, "rb") as handle:
            key = (info.st_ino, info.st_size, info.st_mtime_ns)
            cached = self._cache.get(name)
            if cached is not None and cached.key == key:
                return cached
            body = handle.read()
        entry = _file(body, feed_etag(body), info.st_mtime, key)
        self._cache[name] = entry
        return entry


def _file(body: bytes, etag: str, mtime: float, key: tuple[int, int, int]) -> _File:
    return _File(
        key=key,
        body=body,
        gzipped=gzip.compress(body, compresslevel=6, mtime=0)
        if len(body) >= GZIP_MIN_BYTES
        else None,
        etag=etag,
        last_modified=email.utils.formatdate(mtime, usegmt=True),
        mtime=mtime,
    )


class _StoredFeeds:
    """Feed files as the database keeps them (``feeds_in_database``), so that any number
    of serve processes, on any machines, serve the same bytes; each is read once per
    change (one small query per request tells whether it changed)."""

    def __init__(self, store: Callable[[], contextlib.AbstractContextManager[Store]]) -> None:
        self._store = store
        self._cache: dict[str, _File] = {}

    def cached(self, name: str) -> _File | None:
        return None  # asking the database is I/O: load() runs in a thread

    def load(self, name: str) -> _File | None:
        with self._store() as store:
            version = store.feed_version(name)
            if version is None:
                return None
            cached = self._cache.get(name)
            if cached is not None and cached.etag == version[0]:
                return cached
            feed = store.feed(name)
        if feed is None:
            return None
        entry = _file(feed.body, feed.etag, feed.updated.timestamp(), (0, 0, 0))
        self._cache[name] = entry
        return entry


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip"):
            q = params.strip().lower().removeprefix("q=")
            return not (params and q.replace(".", "").strip("0") == "")
    return False


def _not_modified(request: Request, entry: _File) -> bool:
    """RFC 9110: If-None-Match wins; else If-Modified-Since against the mtime."""
    match = request.headers.get("if-none-match")
    if match is not None:
        if match.strip() == "*":
            return True
        tags = (t.strip().removeprefix("W/").strip('"') for t in match.split(","))
        return any(tag.removesuffix("-gz") == entry.etag for tag in tags)
    since = request.headers.get("if-modified-since")
    if since:
        try:
            when = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return int(entry.mtime) <= when.timestamp()
    return False


# -- the app ----------------------------------------------------------------------


class _App:
    def __init__(
        self,
        config: Config,
        metrics: _metrics.Metrics,
        scheduler_running: Callable[[], bool] | None,
        extractor: Extractor | None = None,
    ) -> None:
        self.metrics = metrics
        self.scheduler_running = scheduler_running
        # the previews extract in the daemon's workers, or in one worker of their own
        self._extractor = extractor
        self._own_extractor: Extractor | None = None
        self._shared: Store | None = None  # a PostgreSQL store's pool, for every request
        self._sharing = threading.Lock()
        self.started = datetime.now(UTC)
        self.reconfigure(config)

    def reconfigure(self, config: Config) -> None:
        """Serve *config* from now on (the daemon's reload on SIGHUP)."""
        self.config = config
        self.files: _Files | _StoredFeeds = (
            _StoredFeeds(self._store) if config.stores_feeds else _Files(config.output_dir)
        )
        self.periods = {s.name: schedule_period(config.schedule_of(s)) for s in config.sources}
        enabled = [self.periods[s.name] for s in config.sources if s.enabled]
        self.index_max_age = max_age(min(enabled, default=timedelta(hours=1)))

    def close(self) -> None:
        """Stop the preview's own worker, if it started one, and close the shared store."""
        if self._own_extractor is not None:
            self._own_extractor.close()
        if self._shared is not None:
            self._shared.close()

    def _store(self) -> contextlib.AbstractContextManager[Store]:
        """The store for one request: an SQLite file is opened for it (a connection is
        cheap, and never shared by threads), a PostgreSQL store's pool is shared."""
        if isinstance(self.config.database, Path):
            return Store(self.config.database)
        with self._sharing:
            if self._shared is None:
                self._shared = Store(self.config.database)
        return contextlib.nullcontext(self._shared)

    def extractor(self) -> Extractor:
        if self._extractor is None:
            self._extractor = self._own_extractor = Extractor(workers=1)
        return self._extractor

    def _cache_control(self, name: str) -> str:
        stem = name.rsplit(".", 1)[0]
        period = self.periods.get(stem)
        age = max_age(period) if period is not None else self.index_max_age
        return f"public, max-age={age}"

    async def feed(self, request: Request) -> Response:
        name: str = request.path_params["name"]
        if name != INDEX_FILE and not _FEED_FILE.match(name):
            return _not_found()
        # a changed file is read and compressed in a thread, not in the event loop
        entry = self.files.cached(name) or await asyncio.to_thread(self.files.load, name)
        if entry is None:
            return _not_found()
        use_gzip = entry.gzipped is not None and _accepts_gzip(request)
        etag = f'"{entry.etag}-gz"' if use_gzip else f'"{entry.etag}"'
        headers = {
            "ETag": etag,
            "Last-Modified": entry.last_modified,
            "Cache-Control": self._cache_control(name),
            "Vary": "Accept-Encoding",
        }
        if _not_modified(request, entry):
            return Response(status_code=304, headers=headers)
        media_type = MEDIA_TYPES[name.rsplit(".", 1)[1]] + "; charset=utf-8"
        if use_gzip:
            assert entry.gzipped is not None
            headers["Content-Encoding"] = "gzip"
            return Response(entry.gzipped, headers=headers, media_type=media_type)
        return Response(entry.body, headers=headers, media_type=media_type)

    def _states(self) -> tuple[dict[str, SourceState], dict[str, int]]:
        with self._store() as store:
            states = {s.name: s for s in store.states()}
            counts = {s.name: store.count(s.name) for s in self.config.sources}
        return states, counts

    async def healthz(self, request: Request) -> Response:
        problems = []
        if self.scheduler_running is not None and not self.scheduler_running():
            problems.append("the scheduler is not running")
        states, _ = await asyncio.to_thread(self._states)
        problems += health_problems(
            self.config, states, now=datetime.now(UTC), started=self.started, periods=self.periods
        )
        broken = source_breaks(self.config, states)  # degraded: still 200
        if problems:
            lines = "\n".join(problems + broken)
            return PlainTextResponse(f"unhealthy\n{lines}\n", status_code=503)
        if broken:
            lines = "\n".join(broken)
            return PlainTextResponse(f"degraded\n{lines}\n", headers={"Cache-Control": "no-store"})
        return PlainTextResponse("ok\n", headers={"Cache-Control": "no-store"})

    async def metrics_page(self, request: Request) -> Response:
        states, counts = await asyncio.to_thread(self._states)
        for source in self.config.sources:
            state = states.get(source.name)
            self.metrics.source_state(
                source.name,
                state.last_success if state else None,
                min(counts.get(source.name, 0), self.config.max_items_of(source)),
                broken=bool(state and state.broken),
            )
        return Response(
            self.metrics.exposition(),
            media_type=_metrics.CONTENT_TYPE.split(";")[0],
            headers={"Content-Type": _metrics.CONTENT_TYPE, "Cache-Control": "no-store"},
        )

    async def index(self, request: Request) -> Response:
        base = self.config.base_url or str(request.base_url)
        page = await asyncio.to_thread(self._index_html, base)
        return HTMLResponse(
            page, headers={"Cache-Control": "no-cache", "Content-Security-Policy": INDEX_CSP}
        )

    def _index_html(self, base: str) -> str:
        from refeed.cycle import feed_info

        config = self.config
        now = datetime.now(UTC)
        with self._store() as store:
            rows = []
            for source in config.sources:
                info = feed_info(config, source, store.channel(source.name))
                rows.append((source, info, _source_view(config, store, source, info, now)))
        return render_index(config, rows, base)

    # -- previews -----------------------------------------------------------

    def _source(self, request: Request) -> SourceConfig | None:
        name = request.path_params["source"]
        return next((s for s in self.config.sources if s.name == name), None)

    async def preview_source(self, request: Request) -> Response:
        source = self._source(request)
        if source is None:
            return _not_found()
        page = await asyncio.to_thread(self._source_html, source)
        return _preview_response(page)

    def _source_html(self, source: SourceConfig) -> str:
        from refeed.cycle import feed_info

        with self._store() as store:
            info = feed_info(self.config, source, store.channel(source.name))
            view = _source_view(self.config, store, source, info, datetime.now(UTC), all_items=True)
        return preview.render_source(view)

    async def preview_item(self, request: Request) -> Response:
        source = self._source(request)
        if source is None:
            return _not_found()
        found = await asyncio.to_thread(self._stored_item, source, request.path_params["item"])
        if found is None:
            return _not_found()
        view, item, page, rules = found
        explained: Explained | None = None
        error: str | None = None
        if page is not None:  # the article path again, on the stored page: no fetch
            try:
                explained = await self.extractor().run(
                    explain, page.body, url=page.url, content_type=page.content_type,
                    rules=rules, what=page.url,
                )  # fmt: skip
            except RefeedError as exc:
                error = str(exc)
            except Exception as exc:  # a bug on one hostile page: said on the page, logged
                log.exception("preview of %s: internal error", redact_text(page.url))
                error = f"internal error: {type(exc).__name__}"
        return _preview_response(preview.render_item(view, item, page, explained, error))

    def _stored_item(
        self, source: SourceConfig, wanted: str
    ) -> tuple[SourceView, Item, Page | None, Rules] | None:
        from refeed.cycle import SiteLookup, feed_info, source_rules

        with self._store() as store:
            info = feed_info(self.config, source, store.channel(source.name))
            view = _source_view(self.config, store, source, info, datetime.now(UTC), all_items=True)
            item = next((i for i in view.items if item_id(i.identity) == wanted), None)
            if item is None:
                return None
            # the rules a cycle would use: the source's, what was learnt of its pages, and
            # the titles of its other stored items (a cycle takes those of its listing)
            titles = (i.title for i in view.items if i.title != item.title)
            rules = source_rules(source, store, titles)
            page = store.page(source.name, item.identity)
            if page is not None:  # and the site rules of where the page was
                rules = replace(rules, site=SiteLookup.of(self.config, source).for_url(page.url))
            return view, item, page, rules


def _source_view(
    config: Config,
    store: Store,
    source: SourceConfig,
    info: FeedInfo,
    now: datetime,
    *,
    all_items: bool = False,
) -> SourceView:
    from refeed.scheduler import next_run

    state = store.state(source.name)
    limit = config.max_items_of(source)
    return SourceView(
        name=source.name,
        title=info.title,
        enabled=source.enabled,
        state=state,
        next_run=next_run(config, state, now) if source.enabled else None,
        backing_off=state.backing_off(now),
        count=min(store.count(source.name), limit),
        failing=tuple(store.failing_pages(source.name)),
        items=tuple(store.items(source.name, limit if all_items else preview.NEWEST)),
        pages=store.kept_pages(source.name),
    )


def _preview_response(page: str) -> Response:
    return HTMLResponse(
        page, headers={"Cache-Control": "no-store", "Content-Security-Policy": PREVIEW_CSP}
    )


async def _store_failed(request: Request, exc: Exception) -> Response:
    """The database failed: 503 and the one-line reason (/healthz: unhealthy, not a crash)."""
    log.error("%s %s: %s", request.method, request.url.path, exc)
    return PlainTextResponse(
        f"unhealthy\n{redact_text(str(exc))}\n",
        status_code=503,
        headers={"Cache-Control": "no-store", "Retry-After": "60"},
    )


def _not_found() -> Response:
    return PlainTextResponse("not found\n", status_code=404)


_INDEX_STYLE: Final = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin: 0 0 .3rem; }
.feed { border: 1px solid #ddd; border-radius: 8px; padding: 1rem 1.2rem; margin: 1rem 0; }
.site a { color: #666; font-size: .9rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0; }
dt { color: #666; } dd { margin: 0; overflow-wrap: anywhere; }
.error { color: #a00; }
.newest { margin: .3rem 0; padding-left: 1.2rem; }
.subscribe a.preview { background: #2471a3; }
.subscribe a { display: inline-block; padding: .1rem .6rem; border-radius: 4px; background: #f1861d; color: #fff; text-decoration: none; }
footer { color: #888; font-size: .85rem; }
"""
# Every answer may be opened in a browser: nothing in it may run, load or frame anything.
# The index and the preview pages may use their own stylesheets (by hash), nothing else.
CSP: Final = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def _style_hash(style: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"


INDEX_CSP: Final = f"{CSP}; style-src {_style_hash(_INDEX_STYLE)}"
# a preview page may use its own stylesheet (refeed.preview.STYLE), and nothing else
PREVIEW_CSP: Final = f"{CSP}; style-src {_style_hash(preview.STYLE)}"
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


IndexRow = tuple[SourceConfig, FeedInfo, SourceView]


def render_index(config: Config, rows: list[IndexRow], base: str) -> str:
    """The HTML index: one card per feed with its links, and autodiscovery links.

    *base* is the public URL of the feeds, for the address a reader is given; each row
    ends with what the source's preview page says of it (its newest items, next run,
    backoff and failing pages)."""
    e = html.escape
    heads, cards = [], []
    for source, info, view in rows:
        state, count, failing = view.state, view.count, view.failing
        formats = config.formats_of(source)
        files = [(fmt, f"{source.name}.{fmt}") for fmt in formats]
        published = [(fmt, name) for fmt, name in files if (config.output_dir / name).is_file()]
        for fmt, name in published:
            heads.append(
                f'<link rel="alternate" type="{MEDIA_TYPES[fmt]}" '
                f'title="{e(info.title)} ({FORMAT_NAMES[fmt]})" href="{e(quote(name))}">'
            )
        updated = max(((config.output_dir / n).stat().st_mtime for _, n in published), default=None)
        links = " ".join(
            f'<a href="{e(quote(name))}" type="{MEDIA_TYPES[fmt]}">{FORMAT_NAMES[fmt]}</a>'
            for fmt, name in published
        )
        error = (
            f'<p class="error">Last error: {e(redact_text(state.last_error))}</p>'
            if state.last_error
            else ""
        )
        if failing:
            url, times, cause = failing[0]
            error += (
                f'<p class="error">{len(failing)} page(s) keep failing, e.g. '
                f"<code>{e(redact_text(url))}</code> ({times} times): {e(redact_text(cause))}</p>"
            )
        if state.broken:
            error += (
                f'<p class="error">Output looks broken since {preview.when(state.broken_since)}: '
                f"{e(_reasons(state))}</p>"
            )
        disabled = " (disabled)" if not source.enabled else ""
        link = public_link(info.link)  # never a javascript: link on refeed's own origin
        site = f'<p class="site"><a href="{e(link)}">{e(link)}</a></p>' if link else ""
        address = (
            f"<dt>Address</dt><dd><code>{e(base + quote(published[0][1]))}</code></dd>"
            if published
            else ""
        )
        page = f"preview/{e(quote(source.name))}"
        newest = "".join(
            f'<li><a href="{page}/{item_id(item.identity)}">{e(item.title)}</a></li>'
            for item in view.items
        )
        newest = f'<ul class="newest">{newest}</ul>' if newest else ""
        cards.append(
            f'<section class="feed" id="{e(source.name)}"><h2>{e(info.title)}{disabled}</h2>'
            f"{site}"
            f"<dl>{address}<dt>Items</dt><dd>{count}</dd>"
            f"<dt>Updated</dt><dd>{preview.when(updated)}</dd>"
            f"<dt>Last success</dt><dd>{preview.when(state.last_success)}</dd>"
            f'<dt>Next run</dt><dd class="next">{e(preview.next_run_text(view))}</dd></dl>'
            f"{newest}{error}"
            f'<p class="subscribe">Subscribe: {links or "not published yet"}'
            f' · <a href="{INDEX_FILE}" type="text/x-opml">OPML</a>'
            f' · <a class="preview" href="{page}">Preview</a></p></section>'
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>refeed feeds</title>
{chr(10).join(heads)}
<style>{_INDEX_STYLE}</style></head>
<body><h1>refeed feeds</h1>
<p>{len(rows)} feeds. Paste a feed's address into your feed reader, or import the
<a href="{INDEX_FILE}">OPML list</a> of all of them.</p>
{"".join(cards)}
<footer>refeed {e(__version__)} · <a href="healthz">health</a> · <a href="metrics">metrics</a></footer>
</body></html>
"""


class SecurityHeaders:
    """ASGI middleware: :data:`SECURITY_HEADERS` on every answer that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    config: Config,
    *,
    metrics: _metrics.Metrics | None = None,
    scheduler_running: Callable[[], bool] | None = None,
    extractor: Extractor | None = None,
) -> Starlette:
    """The ASGI app serving *config*'s feeds; *scheduler_running* is given by the daemon,
    which serves a reloaded config through ``app.state.reconfigure(config)``, and
    *extractor* (its workers, for the previews) too. :func:`close_app` at the end."""
    app = _App(config, metrics or _metrics.default(), scheduler_running, extractor)
    starlette = Starlette(
        routes=[
            Route("/", app.index, methods=["GET", "HEAD"]),
            Route("/healthz", app.healthz, methods=["GET", "HEAD"]),
            Route("/metrics", app.metrics_page, methods=["GET", "HEAD"]),
            Route("/preview/{source}", app.preview_source, methods=["GET", "HEAD"]),
            Route("/preview/{source}/{item}", app.preview_item, methods=["GET", "HEAD"]),
            Route("/{name}", app.feed, methods=["GET", "HEAD"]),
        ],
        exception_handlers={StoreError: _store_failed},
        # feed files come gzipped from the cache; the middleware compresses the rest
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                GZipMiddleware,
                minimum_size=GZIP_MIN_BYTES,
                exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, *MEDIA_TYPES.values()),
            ),
        ],
    )
    starlette.state.reconfigure = app.reconfigure
    starlette.state.refeed = app
    return starlette


def close_app(app: Starlette) -> None:
    """Stop the worker process the app started for its previews, if any."""
    own: _App | None = getattr(app.state, "refeed", None)
    if own is not None:
        own.close()


# -- running it -------------------------------------------------------------------


async def serve(config: Config, sock: socket.socket, *, access_log: bool = False) -> None:
    """``refeed serve``: the app alone on *sock* (:func:`refeed.httpd.listen_socket`),
    until SIGTERM or SIGINT."""
    host, port = sock.getsockname()[:2]
    app = create_app(config)
    server = make_server(app, host, port, access_log=access_log)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    log.info("serving %s on %s", config.output_dir, served_at(sock))
    try:
        await server.serve(sockets=[sock])
    finally:
        close_app(app)


def served_at(sock: socket.socket) -> str:
    """The address a listening socket serves, as a URL (``http://[::1]:8080/``)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
