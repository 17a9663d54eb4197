"""The SQLite store: items, HTTP validators and per-source run state.

This is the only module that talks to the database. It is a real file in WAL mode;
the schema version lives in ``PRAGMA user_version`` and :data:`MIGRATIONS` are
applied in order, each in its own transaction. A database refeed did not make
(``PRAGMA application_id``), or one a newer refeed has migrated further, is refused.
Datetimes are stored as ISO 8601 UTC text and read back as timezone-aware datetimes.

Every failure of the database (full disk, read-only file, lock held too long, a file
that is not a database) comes out of a :class:`Store` method as one
:class:`~refeed.errors.StoreError` naming the file and the cause.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Final, ParamSpec, Self, TypeVar

from refeed import __version__, defaults
from refeed.errors import StoreError
from refeed.models import Item, Listing, Validators

MIGRATIONS: list[str] = [
    """
    CREATE TABLE validators (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT
    );
    CREATE TABLE items (
        source TEXT NOT NULL,
        url TEXT NOT NULL,
        guid TEXT NOT NULL,
        title TEXT NOT NULL,
        content_html TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        summary TEXT,
        author TEXT,
        published TEXT,
        updated TEXT,
        image TEXT,
        language TEXT,
        full_text INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (source, url)
    );
    CREATE INDEX items_by_date ON items (source, coalesce(published, first_seen), first_seen);
    CREATE TABLE sources (
        name TEXT PRIMARY KEY,
        last_run TEXT,
        last_success TEXT,
        last_error TEXT,
        failures INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 2: the channel a source last described (title, link, language), for cycles that got a 304
    """
    CREATE TABLE channels (
        source TEXT PRIMARY KEY,
        title TEXT,
        link TEXT,
        language TEXT
    );
    """,
    # 3: fingerprints of each page's blocks, to learn a source's template (refeed.clean.learnt)
    """
    CREATE TABLE blocks (
        source TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        url TEXT NOT NULL,
        PRIMARY KEY (source, fingerprint, url)
    ) WITHOUT ROWID;
    CREATE INDEX blocks_by_url ON blocks (source, url);
    """,
    # 4: a failing source backs off: no attempt before next_attempt (NULL: on schedule)
    """
    ALTER TABLE sources ADD COLUMN next_attempt TEXT;
    """,
]

_ORDER = "ORDER BY coalesce(published, first_seen) DESC, first_seen DESC, url"
_ITEM_COLUMNS = (
    "source, url, guid, title, content_html, first_seen, summary, author,"
    " published, updated, image, language, full_text"
)


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers about the runs of one source."""

    name: str
    last_run: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    failures: int = 0  # consecutive failed runs; 0 after a success
    next_attempt: datetime | None = None  # backing off until then; None: on schedule

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


def _row_to_item(row: sqlite3.Row) -> Item:
    first_seen = _load(row["first_seen"])
    assert first_seen is not None  # NOT NULL column
    return Item(
        source=row["source"],
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
    )


def _item_row(item: Item) -> tuple[Any, ...]:
    return (
        item.source,
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
    )


_ITEM_UPDATES = ", ".join(
    f"{col} = excluded.{col}"
    for col in _ITEM_COLUMNS.replace(" ", "").split(",")
    if col not in ("source", "url", "first_seen")
)


APPLICATION_ID: Final = 0x72666564  # "rfed", in the database header


def _explain(exc: sqlite3.Error | OSError) -> str:
    """What the user can do about a database error."""
    text = str(exc)
    hints = {
        "full": "free some disk space",
        "readonly": "make the file and its folder writable by refeed",
        "locked": "another program holds the database; stop it or wait",
        "not a database": "point `database:` at a refeed database or a new file",
        "disk i/o": "check the disk",
        "unable to open": "check that the folder exists and refeed may write there",
    }
    flat = text.lower().replace("read-only", "readonly").replace("read only", "readonly")
    hint = next((h for key, h in hints.items() if key in flat), None)
    return f"{text}; {hint}" if hint else text


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _storage(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn the database's exceptions into one StoreError naming the file."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            store = args[0]
            path = getattr(store, "path", "the database")
            raise StoreError(f"database {path}: {_explain(exc)}") from exc

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

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False)
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA busy_timeout = 10000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    def _migrate(self) -> None:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        application: int = self._db.execute("PRAGMA application_id").fetchone()[0]
        if application not in (0, APPLICATION_ID) or (
            application == 0 and version == 0 and self._has_tables()
        ):
            raise StoreError(
                f"database {self.path}: not a refeed database (another program's tables);"
                " point `database:` at a refeed database or a new file"
            )
        if version > len(MIGRATIONS):
            raise StoreError(
                f"database {self.path}: made by a newer refeed (schema version {version};"
                f" refeed {__version__} knows up to {len(MIGRATIONS)}): upgrade refeed, or"
                " point `database:` at another file"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                self._db.executescript(
                    f"BEGIN;\n{script}\n;PRAGMA user_version = {number};"
                    f"\nPRAGMA application_id = {APPLICATION_ID};\nCOMMIT;"
                )
            except BaseException:
                if self._db.in_transaction:
                    self._db.rollback()
                raise

    def _has_tables(self) -> bool:
        return self._one("SELECT 1 FROM sqlite_master LIMIT 1", ()) is not None

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

    def _one(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._db.execute(sql, params).fetchone()
        return row

    # -- validators ---------------------------------------------------------

    def validators(self, url: str) -> Validators | None:
        row = self._one("SELECT etag, last_modified FROM validators WHERE url = ?", (url,))
        return None if row is None else Validators(row["etag"], row["last_modified"])

    def save_validators(self, url: str, validators: Validators) -> None:
        with self._db:
            if validators.etag is None and validators.last_modified is None:
                self._db.execute("DELETE FROM validators WHERE url = ?", (url,))
            else:
                self._db.execute(
                    "INSERT INTO validators (url, etag, last_modified) VALUES (?, ?, ?)"
                    " ON CONFLICT (url) DO UPDATE"
                    " SET etag = excluded.etag, last_modified = excluded.last_modified",
                    (url, validators.etag, validators.last_modified),
                )

    # -- items --------------------------------------------------------------

    def item(self, source: str, url: str) -> Item | None:
        row = self._one("SELECT * FROM items WHERE source = ? AND url = ?", (source, url))
        return None if row is None else _row_to_item(row)

    def save_item(self, item: Item) -> None:
        self.save_items([item])

    def save_items(self, items: Iterable[Item]) -> None:
        """Insert or update ``items`` in one transaction (one commit per source, not per item)."""
        rows = [_item_row(item) for item in items]
        if not rows:
            return
        with self._db:
            self._db.executemany(
                f"INSERT INTO items ({_ITEM_COLUMNS}) VALUES ({', '.join('?' * len(rows[0]))})"
                f" ON CONFLICT (source, url) DO UPDATE SET {_ITEM_UPDATES}",
                rows,
            )

    def items(self, source: str, limit: int) -> list[Item]:
        rows = self._db.execute(
            f"SELECT * FROM items WHERE source = ? {_ORDER} LIMIT ?", (source, max(limit, 0))
        ).fetchall()
        return [_row_to_item(row) for row in rows]

    def pending(self, source: str) -> list[Item]:
        rows = self._db.execute(
            f"SELECT * FROM items WHERE source = ? AND full_text = 0 {_ORDER}", (source,)
        ).fetchall()
        return [_row_to_item(row) for row in rows]

    def prune(self, source: str, keep: int) -> int:
        with self._db:
            cursor = self._db.execute(
                "DELETE FROM items WHERE source = ? AND url IN"
                f" (SELECT url FROM items WHERE source = ? {_ORDER} LIMIT -1 OFFSET ?)",
                (source, source, max(keep, 0)),
            )
            # what was learnt from a page ages out with it
            self._db.execute(
                "DELETE FROM blocks WHERE source = ?"
                " AND url NOT IN (SELECT url FROM items WHERE source = ?)",
                (source, source),
            )
        return cursor.rowcount

    # -- what is learnt of a source's pages ---------------------------------

    def learn(self, source: str, url: str, fingerprints: Sequence[str]) -> None:
        """Remember the block fingerprints of one page (replacing what it had before)."""
        with self._db:
            self._db.execute("DELETE FROM blocks WHERE source = ? AND url = ?", (source, url))
            self._db.executemany(
                "INSERT OR IGNORE INTO blocks (source, fingerprint, url) VALUES (?, ?, ?)",
                [(source, fp, url) for fp in fingerprints],
            )

    def template(self, source: str, min_pages: int) -> frozenset[str]:
        """Fingerprints seen on at least ``min_pages`` pages of the source."""
        rows = self._db.execute(
            "SELECT fingerprint FROM blocks WHERE source = ?"
            " GROUP BY fingerprint HAVING count(*) >= ?",
            (source, min_pages),
        )
        return frozenset(row[0] for row in rows)

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
        with self._db:
            if error is None:
                self._db.execute(
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
                self._db.execute(
                    "INSERT INTO sources (name, last_run, last_error, failures, next_attempt)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                    " last_run = excluded.last_run, last_error = excluded.last_error,"
                    " failures = excluded.failures, next_attempt = excluded.next_attempt",
                    (source, when, error, failures, next_attempt),
                )
        return self.state(source)

    @staticmethod
    def _state(row: sqlite3.Row) -> SourceState:
        return SourceState(
            name=row["name"],
            last_run=_load(row["last_run"]),
            last_success=_load(row["last_success"]),
            last_error=row["last_error"],
            failures=row["failures"],
            next_attempt=_load(row["next_attempt"]),
        )

    def state(self, source: str) -> SourceState:
        row = self._one("SELECT * FROM sources WHERE name = ?", (source,))
        return SourceState(source) if row is None else self._state(row)

    def states(self) -> list[SourceState]:
        rows = self._db.execute("SELECT * FROM sources ORDER BY name").fetchall()
        return [self._state(row) for row in rows]

    def count(self, source: str) -> int:
        """How many items of ``source`` are stored."""
        row = self._one("SELECT count(*) AS n FROM items WHERE source = ?", (source,))
        return int(row["n"]) if row is not None else 0

    # -- channels -----------------------------------------------------------

    def save_channel(self, source: str, listing: Listing) -> None:
        """Remember the source's own title, link and language (not its entries)."""
        with self._db:
            self._db.execute(
                "INSERT INTO channels (source, title, link, language) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (source) DO UPDATE SET title = excluded.title,"
                " link = excluded.link, language = excluded.language",
                (source, listing.title, listing.link, listing.language),
            )

    def channel(self, source: str) -> Listing | None:
        """The channel saved by :meth:`save_channel`, with no entries; None if never saved."""
        row = self._one("SELECT * FROM channels WHERE source = ?", (source,))
        if row is None:
            return None
        return Listing(title=row["title"], link=row["link"], entries=(), language=row["language"])
