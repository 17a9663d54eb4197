"""What the store needs of a database, and how a ``database:`` setting picks one.

:class:`~refeed.store.core.Store` writes its SQL once, with ``?`` placeholders; a
:class:`Backend` runs it on one database (:mod:`.sqlite` or :mod:`.postgres`),
migrates the schema (:mod:`.schema`) when it connects, and turns the database's
own exceptions into one :class:`~refeed.errors.StoreError` that names the
database and the cause. A transaction is a block: every statement run inside it
by the same thread or task is part of it, and nested blocks join the outer one.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Final, Protocol

from refeed.errors import StoreError
from refeed.store.schema import Dialect
from refeed.urls import redact

Params = Sequence[Any]


class Row(Protocol):
    """A result row: its columns by name."""

    def __getitem__(self, key: str, /) -> Any: ...

    def keys(self) -> Any: ...


class Backend(Protocol):
    """One database, as the store uses it."""

    dialect: Dialect
    where: str  # the database as shown in messages (a path, a URL without its password)

    def rows(self, sql: str, params: Params = ()) -> list[Row]: ...

    def one(self, sql: str, params: Params = ()) -> Row | None: ...

    def run(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    def run_many(self, sql: str, rows: Sequence[Params]) -> None: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def failure(self, exc: BaseException) -> str | None:
        """What to tell the user of *exc* if it is this database's failure, else None."""
        ...

    def close(self) -> None: ...


def is_url(target: Path | str) -> bool:
    """Whether a ``database:`` setting names a PostgreSQL server rather than a file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def connect(target: Path | str, *, pool_size: int = 4) -> Backend:
    """The backend of a ``database:`` setting: a PostgreSQL URL, or an SQLite file."""
    if is_url(target):
        try:
            from refeed.store.postgres import PostgresBackend
        except ImportError as exc:
            raise StoreError(
                f"database {redact(str(target))}: a PostgreSQL store needs psycopg ({exc});"
                " install refeed[postgresql]"
            ) from exc
        return PostgresBackend(str(target), pool_size=pool_size)
    from refeed.store.sqlite import SQLiteBackend

    return SQLiteBackend(Path(target))


# the store's tables, each after the tables it refers to, with the order of their rows
TABLES: Final = {
    "validators": "url",
    "sources": "name",
    "channels": "source",
    "items": "source, key",
    "blocks": "source, fingerprint, url",
    "cycles": "id",
    "extractions": "rowid",  # the order they were added in
    "pages": "source, key",
    "feeds": "name",
}
