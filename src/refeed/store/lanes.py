"""Per-host lanes shared by every process of a PostgreSQL store: at most ``per_host``
requests to one host at once, however many workers on however many machines.

A lane is a PostgreSQL advisory lock (the two-key form: the host's key, the lane's
number) held by one connection of the process for as long as the request runs. The
server frees the locks of a process that dies with its connection, so a killed
worker never leaves a host blocked. One connection serves all of a process's lanes:
the process knows which lanes it holds itself (advisory locks are re-entrant per
connection) and asks the server only for the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import zlib
from collections.abc import AsyncIterator
from typing import Any, Final

import psycopg

from refeed.errors import StoreError
from refeed.store.postgres import CONNECT_TIMEOUT, explain
from refeed.urls import redact

POLL: Final = 0.05  # seconds between two tries while every lane of a host is taken


def host_key(host: str) -> int:
    """A stable 32-bit key of a host (the first key of its lanes' locks)."""
    return zlib.crc32(host.encode("utf-8")) - 2**31


class PostgresLanes:
    """The shared lanes of one process; :meth:`open` it, then ``async with hold(host)``."""

    def __init__(self, url: str, per_host: int) -> None:
        self.url = url
        self.per_host = max(per_host, 1)
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()  # one statement at a time on the connection
        self._held: set[tuple[int, int]] = set()
        self.waits = 0  # how often a request waited for a lane another process held

    async def open(self) -> None:
        try:
            self._conn = await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
            )
        except psycopg.Error as exc:
            raise StoreError(f"database {redact(self.url)}: {explain(exc)}") from exc

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()  # the server frees every lane still held

    async def _ask(self, sql: str, key: int, lane: int) -> bool:
        assert self._conn is not None, "open() first"
        async with self._lock:
            cursor = await self._conn.execute(sql, (key, lane))
            row = await cursor.fetchone()
        return bool(row and row[0])

    @contextlib.asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        """Hold one of *host*'s lanes for the block, waiting while all are taken."""
        key = host_key(host)
        lane = await self._take(key)
        try:
            yield
        finally:
            self._held.discard((key, lane))
            with contextlib.suppress(psycopg.Error):  # a lost connection freed it already
                await self._ask("SELECT pg_advisory_unlock(%s, %s)", key, lane)

    async def _take(self, key: int) -> int:
        while True:
            for lane in range(self.per_host):
                if (key, lane) in self._held:
                    continue
                self._held.add((key, lane))  # claimed here before the await: no twin asks
                if await self._ask("SELECT pg_try_advisory_lock(%s, %s)", key, lane):
                    return lane
                self._held.discard((key, lane))
            self.waits += 1
            await asyncio.sleep(POLL * (0.5 + random.random()))  # jitter
