"""One writer at a time: an fcntl lock file beside the database (an advisory lock of a
PostgreSQL server).

``refeed run`` holds it for its cycle and ``refeed daemon`` for its whole life,
so two runs, or a run during a daemon, never interleave their writes. The second
comer waits up to ``wait`` seconds for the lock, then gives up with
:class:`LockedError`, which names the holder (its pid and command) and the lock
file. The lock is released by the kernel when its holder exits, however it
exits (SIGKILL included), so a stale lock file is harmless and is never removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from refeed.errors import LockedError

POLL = 0.05  # seconds between two tries while waiting


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def run_lock(
    database: Path | str, *, what: str, wait: float = 0.0, shared: bool = False
) -> Iterator[Path | None]:
    """Hold the database's lock within the block; wait up to ``wait`` s to get it.

    A PostgreSQL store has no file beside it: the lock is one of the server's advisory
    locks (:func:`refeed.store.postgres.run_lock`), taken *shared* by every worker, so
    that ``refeed run`` or ``refeed daemon`` never run the sources while workers do.
    """
    if not isinstance(database, Path):
        from refeed.store.postgres import run_lock as server_lock

        with server_lock(database, what=what, shared=shared, wait=wait):
            yield None
        return
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(path)
                    raise LockedError(
                        f"another refeed {holder} is using {database} (lock file {path});"
                        f" waited {wait:g} s. Nothing was done: try again when it has finished,"
                        " or stop the daemon"
                    ) from None
                time.sleep(POLL)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {what}\n".encode())
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        pid, _, what = path.read_text("utf-8").strip().partition(" ")
    except OSError:
        return "process"
    if not pid.isdigit():
        return "process"
    return f"{what or 'process'} (pid {pid})"
