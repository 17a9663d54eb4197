"""The PostgreSQL backend (psycopg 3 and its pool): one store shared by many machines.

``database: postgresql://user@host/dbname`` (any libpq URL; ``?options=-csearch_path%3Dname``
puts refeed's tables in a schema of their own). The schema version is the one row of
``refeed_schema``; migrations run under an advisory lock, so that workers starting
together migrate once. A schema that holds other tables but no ``refeed_schema`` is
refused, as is one a newer refeed has migrated further. procrastinate's tables may
share the schema (the job queue of ``refeed worker``).

Each statement outside a transaction takes a connection from the pool and gives it
back; a transaction holds one connection for its block, for the thread or asyncio
task that opened it (a context variable), so that concurrent tasks never share one.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any, Final

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from refeed.errors import LockedError, StoreError
from refeed.store.backend import Params, Row
from refeed.store.schema import MIGRATIONS, POSTGRESQL, refuse_newer, script
from refeed.urls import redact

_LOCK: Final = 0x72666564  # the advisory lock key of migrations ("rfed")
_RUN_LOCK: Final = 0x72756E73  # of refeed run and daemon (alone) or the workers ("runs")
CONNECT_TIMEOUT: Final = 10  # seconds

_HINTS: Final = {
    "connection refused": "start PostgreSQL, or check the host and port of `database:`",
    "does not exist": "create it (createdb), or check the name in `database:`",
    "password authentication failed": "check the user and password in `database:`",
    "no password supplied": "put the password in `database:` or in ~/.pgpass",
    "timeout": "the server is not answering; check that it runs and can be reached",
    "read-only": "connect to the primary server, not a standby",
    "permission denied": "grant refeed's user the right to create tables in its schema",
}

_current: ContextVar[tuple[PostgresBackend, psycopg.Connection[Any]] | None] = ContextVar(
    "refeed_pg_transaction", default=None
)


@contextlib.contextmanager
def run_lock(url: str, *, what: str, shared: bool, wait: float) -> Iterator[None]:
    """Hold the database's run lock within the block, as ``refeed run`` and ``refeed
    daemon`` do (alone) or a worker (*shared* with the other workers); wait up to
    *wait* seconds for it. A session advisory lock on a connection of its own: the
    server frees it when its holder dies, however it dies."""
    take = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    where = redact(url)
    try:
        conn = psycopg.connect(
            url, autocommit=True, connect_timeout=CONNECT_TIMEOUT, application_name=f"refeed {what}"
        )
    except psycopg.Error as exc:
        raise StoreError(f"database {where}: {explain(exc)}") from exc
    with conn:
        deadline = time.monotonic() + max(wait, 0.0)
        while not conn.execute(f"SELECT {take}(%s)", (_RUN_LOCK,)).fetchone()[0]:  # type: ignore[index]
            if time.monotonic() >= deadline:
                holders = conn.execute(
                    "SELECT DISTINCT a.application_name FROM pg_locks l"
                    " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
                    " AND l.granted AND l.objid = %s AND l.pid <> pg_backend_pid()",
                    (_RUN_LOCK,),
                ).fetchall()
                names = ", ".join(sorted(h[0] or "refeed" for h in holders)) or "refeed"
                raise LockedError(
                    f"{names} is using {where}; waited {wait:g} s. Nothing was done: run"
                    " sources with refeed worker or with refeed run/daemon, not both at once"
                )
            time.sleep(0.2)
        yield


def explain(exc: BaseException) -> str:
    """One line of what failed, and what the user can do about it."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    flat = text.lower()
    hint = next((h for key, h in _HINTS.items() if key in flat), None)
    return f"{text}; {hint}" if hint else text


@functools.lru_cache(maxsize=512)
def _sql(text: str) -> str:
    """The store's SQL (``?`` placeholders) as psycopg takes it."""
    return text.replace("%", "%%").replace("?", "%s")


class PostgresBackend:
    dialect = POSTGRESQL

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        self.url = url
        self.where = redact(url)
        try:
            with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT, autocommit=True) as conn:
                self._migrate(conn)
            self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
                url,
                min_size=1,
                max_size=max(pool_size, 1),
                kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
                check=ConnectionPool.check_connection,
                timeout=30.0,
                open=True,
                name="refeed",
            )
        except psycopg.Error as exc:
            raise StoreError(f"database {self.where}: {explain(exc)}") from exc

    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            known = conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema()"
            ).fetchall()
            names = {row[0] for row in known}
            if "refeed_schema" not in names:
                if any(not n.startswith("procrastinate") for n in names):
                    raise StoreError(
                        f"database {self.where}: not a refeed database (another program's"
                        " tables); point `database:` at an empty database or schema"
                    )
                conn.execute("CREATE TABLE refeed_schema (version INTEGER NOT NULL)")
                conn.execute("INSERT INTO refeed_schema (version) VALUES (0)")
            row = conn.execute("SELECT version FROM refeed_schema").fetchone()
            version = int(row[0]) if row is not None else 0
        refuse_newer(version, self.where, "another database")
        for number in range(version + 1, len(MIGRATIONS) + 1):
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
                row = conn.execute("SELECT version FROM refeed_schema").fetchone()
                if row is not None and int(row[0]) >= number:
                    continue  # another process migrated it meanwhile
                conn.execute(script(number, POSTGRESQL).encode())
                conn.execute("UPDATE refeed_schema SET version = %s", (number,))

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        current = _current.get()
        if current is not None and current[0] is self:
            yield current[1]
            return
        with self._pool.connection() as conn:
            yield conn

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        with self._connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            return list(cursor.execute(_sql(sql), params).fetchall())

    def one(self, sql: str, params: Params = ()) -> Row | None:
        with self._connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            return cursor.execute(_sql(sql), params).fetchone()

    def run(self, sql: str, params: Params = ()) -> int:
        with self._connection() as conn:
            return conn.execute(_sql(sql), params).rowcount

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        with self.transaction(), self._connection() as conn, conn.cursor() as cursor:
            cursor.executemany(_sql(sql), rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        current = _current.get()
        if current is not None and current[0] is self:
            yield
            return
        with self._pool.connection() as conn, conn.transaction():
            token = _current.set((self, conn))
            try:
                yield
            finally:
                _current.reset(token)

    def failure(self, exc: BaseException) -> str | None:
        return explain(exc) if isinstance(exc, psycopg.Error) else None

    def close(self) -> None:
        self._pool.close()
