"""The store: items, HTTP validators, per-source run state and what each cycle gave.

This is the only module that talks to the database: an SQLite file (the default) or a
PostgreSQL server, as ``database:`` says (:mod:`refeed.store.backend`); the SQL is
written once for both, and so is the schema (:mod:`refeed.store.schema`), migrated
when the store opens. Datetimes are stored as ISO 8601 UTC text and read back as
timezone-aware datetimes.

Every failure of the database (full disk, read-only file, lock held too long, a file
that is not a database, a server that is down) comes out of a :class:`Store` method
as one :class:`~refeed.errors.StoreError` naming the database and the cause.
:meth:`Store.transaction` makes a block of calls one transaction (a source's run
stores its items, its validators and its feeds together, or none of them).
"""

from __future__ import annotations

import functools
import hashlib
import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Final, ParamSpec, Self, TypeVar

from refeed import defaults
from refeed.errors import StoreError
from refeed.models import CycleRecord, Enclosure, Extracted, Item, Listing, Page, Validators
from refeed.store.backend import Backend, Row, connect

# newest first; items of one date in the order the source listed them
_ORDER = "ORDER BY coalesce(published, first_seen) DESC, first_seen DESC, position, key"
_ITEM_COLUMNS = (
    "source, key, url, guid, title, content_html, first_seen, summary, author,"
    " published, updated, image, language, full_text, enclosures, categories, comments,"
    " position, rules"
)


@dataclass(frozen=True, slots=True)
class StoredFeed:
    """A feed file as the store keeps it (:meth:`Store.save_feeds`)."""

    name: str  # its file name: news.atom, index.opml
    body: bytes
    etag: str  # without quotes: a digest of body
    updated: datetime  # when body last changed


def feed_etag(body: bytes) -> str:
    """The ETag of a feed's bytes, the same whether served from a file or the database."""
    return hashlib.sha256(body).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class QueueState:
    """The job queue of ``refeed worker`` as the database holds it (procrastinate's)."""

    workers: int  # alive: a heartbeat within the last minute
    waiting: int  # source runs due and not started
    running: int
    failed: int


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers about the runs of one source."""

    name: str
    last_run: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    failures: int = 0  # consecutive failed runs; 0 after a success
    next_attempt: datetime | None = None  # backing off until then; None: on schedule
    broken: tuple[str, ...] = ()  # why its output looks broken (refeed.breaks); () when not
    broken_since: datetime | None = None  # the cycle that found the break

    def backing_off(self, now: datetime) -> bool:
        return self.next_attempt is not None and now < self.next_attempt


def backoff_delay(failures: int, retry_after: float | None = None) -> timedelta | None:
    """How long a source waits after its ``failures``-th failure in a row.

    One failure is retried on schedule (None), unless the server sent Retry-After.
    From the second one the wait is :data:`defaults.BACKOFF_BASE`, doubling with
    each further failure; never less than Retry-After, never more than
    :data:`defaults.BACKOFF_MAX`.
    """
    if failures < 2 and not retry_after:
        return None
    exponent = min(max(failures - 2, 0), 32)
    seconds = defaults.BACKOFF_BASE * 2**exponent if failures >= 2 else 0.0
    seconds = max(seconds, retry_after or 0.0)
    return timedelta(seconds=min(seconds, defaults.BACKOFF_MAX))


def _dump(value: datetime | None) -> str | None:
    """A datetime as fixed-width ISO 8601 UTC text (naive datetimes are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _load(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _enclosures(text: str | None) -> tuple[Enclosure, ...]:
    if not text:
        return ()
    return tuple(Enclosure(url=e["url"], type=e.get("type"), length=e.get("length"))
                 for e in json.loads(text))  # fmt: skip


def _row_to_item(row: Row) -> Item:
    first_seen = _load(row["first_seen"])
    assert first_seen is not None  # NOT NULL column
    return Item(
        source=row["source"],
        key=row["key"] if row["key"] != row["url"] else "",  # "" means: known by its url
        url=row["url"],
        guid=row["guid"],
        title=row["title"],
        content_html=row["content_html"],
        first_seen=first_seen,
        summary=row["summary"],
        author=row["author"],
        published=_load(row["published"]),
        updated=_load(row["updated"]),
        image=row["image"],
        language=row["language"],
        full_text=bool(row["full_text"]),
        enclosures=_enclosures(row["enclosures"]),
        categories=tuple(json.loads(row["categories"])) if row["categories"] else (),
        comments=row["comments"],
        position=row["position"],
        rules=row["rules"],
    )


def _channel(row: Row) -> Listing:
    return Listing(
        title=row["title"],
        link=row["link"],
        entries=(),
        language=row["language"],
        image=row["image"],
    )


def _item_row(item: Item) -> tuple[Any, ...]:
    enclosures = [{"url": e.url, "type": e.type, "length": e.length} for e in item.enclosures]
    return (
        item.source,
        item.identity,
        item.url,
        item.guid,
        item.title,
        item.content_html,
        _dump(item.first_seen),
        item.summary,
        item.author,
        _dump(item.published),
        _dump(item.updated),
        item.image,
        item.language,
        int(item.full_text),
        json.dumps(enclosures, ensure_ascii=False) if enclosures else None,
        json.dumps(list(item.categories), ensure_ascii=False) if item.categories else None,
        item.comments,
        item.position,
        item.rules,
    )


_ITEM_UPDATES = ", ".join(
    f"{col} = excluded.{col}"
    for col in _ITEM_COLUMNS.replace(" ", "").split(",")
    if col not in ("source", "key", "first_seen", "position")
)


RUN_SOURCE_TASK: Final = "refeed.run_source"  # the task of refeed.jobs
_PAGE_LEVEL: Final = 6  # zlib's default: a news page to about a fifth of its size


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _storage(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn the database's exceptions into one StoreError naming the database."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:
            backend: Backend | None = getattr(args[0], "_db", None)
            reason = backend.failure(exc) if backend is not None else None
            if reason is None:
                raise
            assert backend is not None
            raise StoreError(f"database {backend.where}: {reason}") from exc

    return wrapper


def _guarded(cls: type[_R]) -> type[_R]:
    """Wrap every public method of *cls* (and its constructor) in :func:`_storage`."""
    for name, value in list(vars(cls).items()):
        if callable(value) and (name == "__init__" or not name.startswith("_")):
            setattr(cls, name, _storage(value))
    return cls


@_guarded
class Store:
    """A connection to the refeed database; use as a context manager or call :meth:`close`."""

    def __init__(self, database: Path | str, *, pool_size: int = 4) -> None:
        """Open the database a ``database:`` setting names (a path or a PostgreSQL URL),
        migrating its schema; *pool_size* bounds a PostgreSQL store's connections."""
        self._db: Backend = connect(database, pool_size=pool_size)
        self.where = self._db.where
        self._all = self._db.dialect.all_rows

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.dialect.name

    def transaction(self) -> AbstractContextManager[None]:
        """A block whose calls are one transaction: all of their writes or none."""
        return self._db.transaction()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _one(self, sql: str, params: tuple[Any, ...]) -> Row | None:
        return self._db.one(sql, params)

    # -- validators ---------------------------------------------------------

    def validators(self, url: str) -> Validators | None:
        row = self._one("SELECT etag, last_modified FROM validators WHERE url = ?", (url,))
        return None if row is None else Validators(row["etag"], row["last_modified"])

    def save_validators(self, url: str, validators: Validators) -> None:
        with self._db.transaction():
            if validators.etag is None and validators.last_modified is None:
                self._db.run("DELETE FROM validators WHERE url = ?", (url,))
            else:
                self._db.run(
                    "INSERT INTO validators (url, etag, last_modified) VALUES (?, ?, ?)"
                    " ON CONFLICT (url) DO UPDATE"
                    " SET etag = excluded.etag, last_modified = excluded.last_modified",
                    (url, validators.etag, validators.last_modified),
                )

    # -- items --------------------------------------------------------------

    def item(self, source: str, key: str) -> Item | None:
        """The item of *source* known by *key* (:mod:`refeed.identity`)."""
        row = self._one("SELECT * FROM items WHERE source = ? AND key = ?", (source, key))
        return None if row is None else _row_to_item(row)

    def item_at(self, source: str, url: str) -> Item | None:
        """An item of *source* whose link is *url* (the newest, when several share it)."""
        row = self._one(
            f"SELECT * FROM items WHERE source = ? AND url = ? {_ORDER} LIMIT 1", (source, url)
        )
        return None if row is None else _row_to_item(row)

    def save_item(self, item: Item) -> None:
        self.save_items([item])

    def save_items(self, items: Iterable[Item]) -> None:
        """Insert or update ``items`` in one transaction (one commit per source, not per item)."""
        rows = [_item_row(item) for item in items]
        if not rows:
            return
        with self._db.transaction():
            self._db.run_many(
                f"INSERT INTO items ({_ITEM_COLUMNS}) VALUES ({', '.join('?' * len(rows[0]))})"
                f" ON CONFLICT (source, key) DO UPDATE SET {_ITEM_UPDATES}",
                rows,
            )

    def items(self, source: str, limit: int) -> list[Item]:
        rows = self._db.rows(
            f"SELECT * FROM items WHERE source = ? {_ORDER} LIMIT ?", (source, max(limit, 0))
        )
        return [_row_to_item(row) for row in rows]

    def pending(self, source: str, now: datetime | None = None) -> list[Item]:
        """Items whose page has not given a story yet, but for those backing off at *now*."""
        rows = self._db.rows(
            f"SELECT * FROM items WHERE source = ? AND full_text = 0 AND url != ''"
            f" AND (page_next_attempt IS NULL OR page_next_attempt <= ?) {_ORDER}",
            (source, _dump(now) or ""),
        )
        return [_row_to_item(row) for row in rows]

    def page_failed(self, source: str, key: str, error: str, at: datetime) -> int:
        """Count one more failure of an item's page; the page then waits as a failing
        source does (:func:`backoff_delay`). Returns its failures in a row."""
        with self._db.transaction():
            row = self._one(
                "SELECT page_failures FROM items WHERE source = ? AND key = ?", (source, key)
            )
            if row is None:
                return 0
            failures = int(row["page_failures"]) + 1
            delay = backoff_delay(failures)
            self._db.run(
                "UPDATE items SET page_failures = ?, page_error = ?, page_next_attempt = ?"
                " WHERE source = ? AND key = ?",
                (failures, error, _dump(at + delay) if delay else None, source, key),
            )
        return failures

    def page_done(self, source: str, key: str) -> None:
        with self._db.transaction():
            self._db.run(
                "UPDATE items SET page_failures = 0, page_error = NULL, page_next_attempt = NULL"
                " WHERE source = ? AND key = ? AND page_failures > 0",
                (source, key),
            )

    def failing_pages(self, source: str) -> list[tuple[str, int, str]]:
        """(url, failures in a row, last error) of each item whose page keeps failing."""
        rows = self._db.rows(
            "SELECT url, page_failures, page_error FROM items WHERE source = ?"
            " AND page_failures > 0 ORDER BY page_failures DESC, url",
            (source,),
        )
        return [(r["url"], int(r["page_failures"]), r["page_error"] or "") for r in rows]

    def identity(self, source: str) -> str | None:
        """The source's identity policy (refeed.identity), None before its first feed."""
        row = self._one("SELECT identity FROM sources WHERE name = ?", (source,))
        return row["identity"] if row is not None else None

    def set_identity(self, source: str, policy: str) -> None:
        self._set("sources", "name", source, "identity", policy)

    def _set(self, table: str, key: str, name: str, column: str, value: object) -> None:
        """Set one *column* of the row of *table* whose *key* is *name*, made if missing."""
        self._db.run(
            f"INSERT INTO {table} ({key}, {column}) VALUES (?, ?) ON CONFLICT ({key})"
            f" DO UPDATE SET {column} = excluded.{column}",
            (name, value),
        )

    def prune(self, source: str, keep: int) -> int:
        with self._db.transaction():
            removed = self._db.run(
                "DELETE FROM items WHERE source = ? AND key IN"
                f" (SELECT key FROM items WHERE source = ? {_ORDER} LIMIT {self._all} OFFSET ?)",
                (source, source, max(keep, 0)),
            )
            # what was learnt from a page, and the page itself, age out with it
            self._db.run(
                "DELETE FROM blocks WHERE source = ?"
                " AND url NOT IN (SELECT url FROM items WHERE source = ?)",
                (source, source),
            )
            self._db.run(
                "DELETE FROM pages WHERE source = ?"
                " AND key NOT IN (SELECT key FROM items WHERE source = ?)",
                (source, source),
            )
        return removed

    # -- article pages as fetched -------------------------------------------

    def save_page(self, source: str, key: str, page: Page) -> None:
        """Keep the page of the item of *source* known by *key*, compressed (replacing
        the one it had); a page over the page size cap is not kept."""
        if len(page.body) > defaults.MAX_PAGE_BYTES:
            return
        with self._db.transaction():
            self._db.run(
                "INSERT INTO pages (source, key, url, content_type, fetched, body)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, key) DO UPDATE SET"
                " url = excluded.url, content_type = excluded.content_type,"
                " fetched = excluded.fetched, body = excluded.body",
                (source, key, page.url, page.content_type, _dump(page.fetched),
                 zlib.compress(page.body, _PAGE_LEVEL)),
            )  # fmt: skip

    def page_urls(self, source: str) -> dict[str, str]:
        """The key of each item of *source* whose page is kept, and where that page was."""
        rows = self._db.rows("SELECT key, url FROM pages WHERE source = ?", (source,))
        return {row["key"]: row["url"] for row in rows}

    def kept_pages(self, source: str) -> frozenset[str]:
        """The keys of the items of *source* whose page is kept."""
        rows = self._db.rows("SELECT key FROM pages WHERE source = ?", (source,))
        return frozenset(row["key"] for row in rows)

    def page(self, source: str, key: str) -> Page | None:
        """The page kept by :meth:`save_page`; None if there is none (an item stored before
        refeed kept pages, or one made of its feed's own content) or it is unreadable."""
        row = self._one(
            "SELECT url, content_type, fetched, body FROM pages WHERE source = ? AND key = ?",
            (source, key),
        )
        if row is None:
            return None
        inflate = zlib.decompressobj()
        try:  # never more than the cap, whatever the file holds
            body = inflate.decompress(row["body"], defaults.MAX_PAGE_BYTES + 1)
        except zlib.error:
            return None
        if len(body) > defaults.MAX_PAGE_BYTES or not inflate.eof:
            return None
        fetched = _load(row["fetched"])
        assert fetched is not None  # NOT NULL column
        return Page(url=row["url"], body=body, content_type=row["content_type"], fetched=fetched)

    # -- what is learnt of a source's pages ---------------------------------

    def learn(self, source: str, url: str, fingerprints: Sequence[str]) -> None:
        """Remember the block fingerprints of one page (replacing what it had before)."""
        with self._db.transaction():
            self._db.run("DELETE FROM blocks WHERE source = ? AND url = ?", (source, url))
            self._db.run_many(
                "INSERT INTO blocks (source, fingerprint, url) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                [(source, fp, url) for fp in fingerprints],
            )

    def template(self, source: str, min_pages: int) -> frozenset[str]:
        """Fingerprints seen on at least ``min_pages`` pages of the source."""
        rows = self._db.rows(
            "SELECT fingerprint FROM blocks WHERE source = ?"
            " GROUP BY fingerprint HAVING count(*) >= ?",
            (source, min_pages),
        )
        return frozenset(row["fingerprint"] for row in rows)

    # -- run state ----------------------------------------------------------

    def record_run(
        self,
        source: str,
        *,
        at: datetime,
        error: str | None = None,
        retry_after: float | None = None,
    ) -> SourceState:
        """Record one run; a failure sets the next attempt by :func:`backoff_delay`."""
        when = _dump(at)
        with self._db.transaction():
            if error is None:
                self._db.run(
                    "INSERT INTO sources (name, last_run, last_success, last_error, failures,"
                    " next_attempt) VALUES (?, ?, ?, NULL, 0, NULL) ON CONFLICT (name) DO UPDATE"
                    " SET last_run = excluded.last_run, last_success = excluded.last_success,"
                    " last_error = NULL, failures = 0, next_attempt = NULL",
                    (source, when, when),
                )
            else:
                row = self._one("SELECT failures FROM sources WHERE name = ?", (source,))
                failures = (int(row["failures"]) if row is not None else 0) + 1
                delay = backoff_delay(failures, retry_after)
                next_attempt = None if delay is None else _dump(at + delay)
                self._db.run(
                    "INSERT INTO sources (name, last_run, last_error, failures, next_attempt)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                    " last_run = excluded.last_run, last_error = excluded.last_error,"
                    " failures = excluded.failures, next_attempt = excluded.next_attempt",
                    (source, when, error, failures, next_attempt),
                )
        return self.state(source)

    @staticmethod
    def _state(row: Row) -> SourceState:
        return SourceState(
            name=row["name"],
            last_run=_load(row["last_run"]),
            last_success=_load(row["last_success"]),
            last_error=row["last_error"],
            failures=row["failures"],
            next_attempt=_load(row["next_attempt"]),
            broken=tuple(json.loads(row["broken"])) if row["broken"] else (),
            broken_since=_load(row["broken_since"]),
        )

    def period_done(self, source: str, period: int) -> None:
        """Record that *source*'s run of the period that began at *period* was applied."""
        self._set("sources", "name", source, "last_period", period)

    def last_period(self, source: str) -> int | None:
        """The period of *source*'s last run applied by a worker (:meth:`period_done`)."""
        row = self._one("SELECT last_period FROM sources WHERE name = ?", (source,))
        return None if row is None or row["last_period"] is None else int(row["last_period"])

    def state(self, source: str) -> SourceState:
        row = self._one("SELECT * FROM sources WHERE name = ?", (source,))
        return SourceState(source) if row is None else self._state(row)

    def states(self) -> list[SourceState]:
        rows = self._db.rows("SELECT * FROM sources ORDER BY name")
        return [self._state(row) for row in rows]

    def queue(self) -> QueueState | None:
        """The workers and the source runs in the job queue; None where there is none
        (an SQLite store, or no worker ever started on this database)."""
        if self.dialect != "postgresql":
            return None
        found = self._one("SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS found", ())
        if found is None or not found["found"]:
            return None
        workers = self._one(
            "SELECT count(*) AS n FROM procrastinate_workers"
            " WHERE last_heartbeat > now() - interval '1 minute'",
            (),
        )
        runs = {
            row["status"]: int(row["n"])
            for row in self._db.rows(
                "SELECT status::text AS status, count(*) AS n FROM procrastinate_jobs"
                " WHERE task_name = ? GROUP BY status",
                (RUN_SOURCE_TASK,),
            )
        }
        return QueueState(
            workers=int(workers["n"]) if workers is not None else 0,
            waiting=runs.get("todo", 0),
            running=runs.get("doing", 0),
            failed=runs.get("failed", 0),
        )

    def count(self, source: str) -> int:
        """How many items of ``source`` are stored."""
        row = self._one("SELECT count(*) AS n FROM items WHERE source = ?", (source,))
        return int(row["n"]) if row is not None else 0

    # -- what each cycle gave, and breaks -----------------------------------

    def history(self, source: str) -> list[CycleRecord]:
        """The source's recorded cycles (at most :data:`defaults.HISTORY_CYCLES`), oldest first."""
        cycles = self._db.rows(
            "SELECT id, listed, new, broken FROM cycles WHERE source = ? ORDER BY id",
            (source,),
        )
        extracted: dict[int, list[Extracted]] = {row["id"]: [] for row in cycles}
        for row in self._db.rows(
            "SELECT e.cycle, e.chars, e.fell_back FROM extractions e"
            " JOIN cycles c ON c.id = e.cycle WHERE c.source = ? ORDER BY e.rowid",
            (source,),
        ):
            extracted[row["cycle"]].append(Extracted(row["chars"], bool(row["fell_back"])))
        return [
            CycleRecord(
                listed=row["listed"],
                new=row["new"],
                extracted=tuple(extracted[row["id"]]),
                broken=bool(row["broken"]),
            )
            for row in cycles
        ]

    def record_cycle(
        self, source: str, cycle: CycleRecord, *, broken: Sequence[str], at: datetime
    ) -> None:
        """Add one cycle to the source's history with the break it was judged to show
        (*broken*: its reasons, none when it looks as usual), which becomes the source's
        break; the history is pruned to its bounds in the same transaction."""
        with self._db.transaction():
            inserted = self._db.one(
                "INSERT INTO cycles (source, at, listed, new, broken) VALUES (?, ?, ?, ?, ?)"
                " RETURNING id",
                (source, _dump(at), cycle.listed, cycle.new, int(bool(broken))),
            )
            assert inserted is not None  # RETURNING gives the row inserted
            self._db.run_many(
                "INSERT INTO extractions (cycle, chars, fell_back) VALUES (?, ?, ?)",
                [(inserted["id"], x.chars, int(x.fell_back)) for x in cycle.extracted],
            )
            self._db.run(
                "INSERT INTO sources (name, broken, broken_since) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET broken = excluded.broken,"
                " broken_since = CASE WHEN excluded.broken IS NULL THEN NULL"
                " ELSE coalesce(sources.broken_since, excluded.broken_since) END",
                (
                    source,
                    json.dumps(list(broken), ensure_ascii=False) if broken else None,
                    _dump(at) if broken else None,
                ),
            )
            self._db.run(
                "DELETE FROM cycles WHERE source = ? AND id NOT IN"
                " (SELECT id FROM cycles WHERE source = ? ORDER BY id DESC LIMIT ?)",
                (source, source, defaults.HISTORY_CYCLES),
            )
            self._db.run(
                "DELETE FROM extractions WHERE rowid IN (SELECT e.rowid FROM extractions e"
                " JOIN cycles c ON c.id = e.cycle WHERE c.source = ?"
                f" ORDER BY e.rowid DESC LIMIT {self._all} OFFSET ?)",
                (source, defaults.HISTORY_ITEMS),
            )

    # -- feeds as rendered ---------------------------------------------------

    def save_feeds(self, source: str | None, files: dict[str, bytes], at: datetime) -> int:
        """Keep each feed file (name: bytes) of *source* (None: the index); a file whose
        bytes did not change keeps its date. Returns how many changed."""
        changed = 0
        with self._db.transaction():
            for name, body in files.items():
                etag = feed_etag(body)
                changed += self._db.run(
                    "INSERT INTO feeds (name, source, body, etag, updated) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET source = excluded.source,"
                    " body = excluded.body, etag = excluded.etag, updated = excluded.updated"
                    " WHERE feeds.etag <> excluded.etag",
                    (name, source, body, etag, _dump(at)),
                )
        return changed

    def feed_version(self, name: str) -> tuple[str, datetime] | None:
        """The ETag and date of the feed file *name*, without its bytes."""
        row = self._one("SELECT etag, updated FROM feeds WHERE name = ?", (name,))
        if row is None:
            return None
        updated = _load(row["updated"])
        assert updated is not None  # NOT NULL column
        return row["etag"], updated

    def feed(self, name: str) -> StoredFeed | None:
        row = self._one("SELECT name, body, etag, updated FROM feeds WHERE name = ?", (name,))
        if row is None:
            return None
        updated = _load(row["updated"])
        assert updated is not None  # NOT NULL column
        return StoredFeed(row["name"], bytes(row["body"]), row["etag"], updated)

    def drop_feeds(self, source: str) -> int:
        """Forget the feed files of *source* (retired from the config)."""
        return self._db.run("DELETE FROM feeds WHERE source = ?", (source,))

    # -- channels -----------------------------------------------------------

    def save_channel(self, source: str, listing: Listing, at: datetime | None = None) -> None:
        """Remember the source's own title, link, language and picture (not its entries);
        *at* is kept from the first save (the date of a feed that has no items yet)."""
        with self._db.transaction():
            self._db.run(
                "INSERT INTO channels (source, title, link, language, image, first_saved)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET"
                " title = excluded.title, link = excluded.link, language = excluded.language,"
                " image = excluded.image,"
                " first_saved = coalesce(channels.first_saved, excluded.first_saved)",
                (source, listing.title, listing.link, listing.language, listing.image, _dump(at)),
            )

    def channel(self, source: str) -> Listing | None:
        """The channel saved by :meth:`save_channel`, with no entries; None if never saved."""
        row = self._one("SELECT * FROM channels WHERE source = ?", (source,))
        return None if row is None else _channel(row)

    def channels(self) -> dict[str, Listing]:
        """Every saved channel, by source (one query, for the index of all feeds)."""
        return {row["source"]: _channel(row) for row in self._db.rows("SELECT * FROM channels")}

    def first_saved(self, source: str) -> datetime | None:
        row = self._one("SELECT first_saved FROM channels WHERE source = ?", (source,))
        return _load(row["first_saved"]) if row is not None else None

    def rendered(self, source: str) -> str | None:
        """What the source's feed files were last rendered with (a hash of its settings)."""
        row = self._one("SELECT rendered FROM channels WHERE source = ?", (source,))
        return row["rendered"] if row is not None else None

    def save_rendered(self, source: str, key: str) -> None:
        self._set("channels", "source", source, "rendered", key)
