"""The SQLite backend: a real file in WAL mode, the embedded default.

The schema version lives in ``PRAGMA user_version``; a database refeed did not make
(``PRAGMA application_id``), or one a newer refeed has migrated further, is refused.
One connection serves the process; a lock keeps each thread's transaction whole.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from refeed.errors import StoreError
from refeed.store.backend import Params, Row
from refeed.store.schema import MIGRATIONS, SQLITE, refuse_newer, script

APPLICATION_ID: Final = 0x72666564  # "rfed", in the database header

_HINTS: Final = {
    "full": "free some disk space",
    "readonly": "make the file and its folder writable by refeed",
    "locked": "another program holds the database; stop it or wait",
    "not a database": "point `database:` at a refeed database or a new file",
    "disk i/o": "check the disk",
    "unable to open": "check that the folder exists and refeed may write there",
}


def explain(exc: BaseException) -> str:
    """What the user can do about a database error."""
    text = str(exc)
    flat = text.lower().replace("read-only", "readonly").replace("read only", "readonly")
    hint = next((h for key, h in _HINTS.items() if key in flat), None)
    return f"{text}; {hint}" if hint else text


class SQLiteBackend:
    dialect = SQLITE

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        self._lock = threading.RLock()
        self._depth = 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=10.0, check_same_thread=False, isolation_level=None
            )
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"database {path}: {explain(exc)}") from exc
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA busy_timeout = 10000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            self._db.close()
            raise StoreError(f"database {path}: {explain(exc)}") from exc
        except BaseException:
            self._db.close()
            raise

    def _migrate(self) -> None:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        application: int = self._db.execute("PRAGMA application_id").fetchone()[0]
        has_tables = self._db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
        if application not in (0, APPLICATION_ID) or (
            application == 0 and version == 0 and has_tables is not None
        ):
            raise StoreError(
                f"database {self.path}: not a refeed database (another program's tables);"
                " point `database:` at a refeed database or a new file"
            )
        refuse_newer(version, str(self.path), "another file")
        for number in range(version + 1, len(MIGRATIONS) + 1):
            try:
                self._db.executescript(
                    f"BEGIN;\n{script(number, SQLITE)}\n;PRAGMA user_version = {number};"
                    f"\nPRAGMA application_id = {APPLICATION_ID};\nCOMMIT;"
                )
            except BaseException:
                if self._db.in_transaction:
                    self._db.rollback()
                raise

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    def one(self, sql: str, params: Params = ()) -> Row | None:
        with self._lock:
            row: Row | None = self._db.execute(sql, params).fetchone()
            return row

    def run(self, sql: str, params: Params = ()) -> int:
        with self.transaction():
            return self._db.execute(sql, params).rowcount

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        with self.transaction():
            self._db.executemany(sql, rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.rollback()
                raise
            finally:
                self._depth = 0

    def failure(self, exc: BaseException) -> str | None:
        return explain(exc) if isinstance(exc, sqlite3.Error | OSError) else None

    def close(self) -> None:
        self._db.close()
