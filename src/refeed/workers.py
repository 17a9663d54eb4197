"""The CPU work of a cycle off the event loop: a pool of worker processes, one per core.

Extraction is CPU work (parsing, scoring, cleaning), and so is reading a feed or a listing
page (feedparser is superlinear on nested markup: a 5 MiB feed of tiny items takes it half
a minute); run in the event loop's thread it would stall every fetch and ``--serve``'s
answers, and in threads it would share one core. An :class:`Extractor` sends each page's
bytes, URL and rules (or a feed's bytes) to a worker process and awaits the plain
:class:`~refeed.models.Article` (or :class:`~refeed.models.Listing`) it sends back. The pool starts on the first page (a cycle
where nothing changed starts no process), workers come from a ``forkserver`` that has
already imported the article path, and the pool is replaced by a fresh one after
:data:`~refeed.defaults.WORKER_MAX_TASKS` pages per worker (new pages wait for the worn
pool's last ones, so never two pools at once), so that memory stays flat in a daemon. (Not with
``max_tasks_per_child``: on Python 3.11 a pool whose workers exit that way can hang.)
Every extraction runs alone in its worker: lxml is not safe with several threads
working on trees at once (a stress test of 8 threads crashed it), so even one core gets
one worker process, never a thread. ``workers=0`` runs the pages in a thread of this
process, for benchmarks and debugging only.

A job that keeps its worker busy past :data:`~refeed.defaults.EXTRACT_SECONDS` (a parser
stuck in C code on hostile markup cannot be interrupted from Python) has the worker killed
by the kernel's alarm. That breaks the pool: the culprit, known by the start time each job
writes into an array shared with the workers, fails with a clear error, and each other
job that was in the pool runs once more in a worker process of its own.

Workers die with refeed: each asks the kernel for SIGKILL when its parent (the forkserver)
dies, and the forkserver ends when refeed does, so a SIGKILL of ``refeed run`` leaves no
worker behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from types import TracebackType
from typing import Any, Self, TypeVar

from refeed import defaults
from refeed.article import Rules, process
from refeed.errors import ParseError
from refeed.models import Article, Listing, Response
from refeed.sources import parse_feed, parse_listing

T = TypeVar("T")

_SLOTS = 4096  # jobs whose start time is kept; more in flight at once are just not timed
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _context() -> multiprocessing.context.BaseContext:
    """Workers forked from a server that has already imported the article path."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["refeed.article", "refeed.sources"])
    return context


_shared: dict[str, Any] = {}  # in a worker: "started", the start times of jobs by slot


def _start_worker(started: Any, refeed: int) -> None:
    """In a new worker: die with the process that made it (the forkserver, which itself
    ends with refeed), and of the alarm (no handler: one would wait for the stuck C call)."""
    _shared["started"] = started
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    # The forkserver ends once no process holds its "alive" pipe; it hands that pipe to
    # each worker (for workers that start processes of their own, which ours never do),
    # so while a worker lived the forkserver did too, and the worker outlived refeed.
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(alive, int):
        with contextlib.suppress(OSError):
            os.close(alive)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]
    name = ctypes.util.find_library("c")
    if name:
        try:
            ctypes.CDLL(name, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # pragma: no cover - not Linux
            return
    try:  # refeed (so the forkserver too) may have died before the line above
        os.kill(refeed, 0)
    except ProcessLookupError:
        os._exit(1)


def _job(fn: Callable[..., T], slot: int, deadline: float, *args: Any, **kwargs: Any) -> T:
    """*fn* in a worker process, which the kernel kills past *deadline* seconds; the job's
    start time is kept in its slot, so that the parent can tell who the alarm was for."""
    started = _shared["started"]
    if slot >= 0:
        started[slot] = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, deadline)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if slot >= 0:
            started[slot] = 0.0


class Extractor:
    """Runs the CPU work of a cycle (:func:`refeed.article.process`, feed and listing
    parsing) in worker processes (``workers=0``: in a thread)."""

    def __init__(
        self,
        workers: int | None = None,
        backlog: int = defaults.PAGES_IN_FLIGHT,
        deadline: float = defaults.EXTRACT_SECONDS,
    ) -> None:
        self.workers = max(0, workers if workers is not None else cores())
        self.deadline = deadline  # seconds a worker may spend on one job
        self._alone_slots = asyncio.Semaphore(max(1, self.workers))
        # held from a page's request to the end of its extraction: fetched pages cannot
        # pile up in memory waiting for a worker (the network is faster than the cores)
        self.pages = asyncio.Semaphore(backlog)
        self.extractions = 0  # pages sent to the article path
        self._pool: ProcessPoolExecutor | None = None
        self._pool_pages = 0  # jobs sent to the current pool
        self._in_flight = 0
        self._drained = asyncio.Event()  # set when no job is in flight
        self._started: Any = None  # shared with the workers: each job's start, by slot
        self._free = list(range(_SLOTS - 1, -1, -1))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (after the pages they are on); the next page starts a new pool."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _worn(self) -> bool:
        return self._pool_pages >= defaults.WORKER_MAX_TASKS * self.workers

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        context = _context()
        if self._started is None:
            self._started = context.Array("d", _SLOTS, lock=False)
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self._started, os.getpid()),
        )

    async def _executor(self) -> Executor | None:
        if self.workers == 0:
            return None  # the loop's default thread pool
        while self._pool is not None and self._worn():
            if self._in_flight == 0:
                self.close()  # its workers are idle: they exit at once
                break
            # the worn pool finishes its jobs before a fresh one starts: never two pools
            self._drained.clear()
            await self._drained.wait()
        if self._pool is None:
            self._pool_pages = 0
            self._pool = self._new_pool(self.workers)
        self._pool_pages += 1
        return self._pool

    async def process(
        self, body: bytes, *, url: str, content_type: str | None, rules: Rules
    ) -> Article:
        """The clean article of one page, computed off the event loop."""
        self.extractions += 1
        return await self.run(
            process, body, url=url, content_type=content_type, rules=rules, what=url
        )

    async def parse_feed(self, response: Response, limit: int | None = None) -> Listing:
        """:func:`refeed.sources.parse_feed` off the event loop, under the deadline."""
        return await self.run(parse_feed, response, limit=limit, what=response.url, kind="feed")

    async def parse_listing(
        self, response: Response, links: str | None = None, limit: int | None = None
    ) -> Listing:
        """:func:`refeed.sources.parse_listing` off the event loop, under the deadline."""
        return await self.run(parse_listing, response, links, limit=limit, what=response.url)

    async def run(
        self, fn: Callable[..., T], *args: Any, what: str, kind: str = "page", **kwargs: Any
    ) -> T:
        """``fn(*args, **kwargs)`` in a worker, killed past the deadline: then a
        :class:`ParseError` naming *what*, the URL of the *kind* of document it was on."""
        executor = await self._executor()
        loop = asyncio.get_running_loop()
        if executor is None:
            return await loop.run_in_executor(None, partial(fn, *args, **kwargs))
        slot = self._free.pop() if self._free else -1
        self._in_flight += 1
        try:
            job = partial(_job, fn, slot, self.deadline, *args, **kwargs)
            try:
                return await loop.run_in_executor(executor, job)
            except BrokenProcessPool:
                # a worker died (past its deadline, killed for memory, or a crash in a C
                # library) and took the pool with it: the next job gets a fresh pool
                if self._pool is executor:
                    self._pool = None
            if self._past_deadline(slot):
                raise self._too_long(what, kind) from None  # the culprit: not run twice
            try:  # perhaps not the culprit: once more, in a process of its own
                return await self._alone(job)
            except BrokenProcessPool as exc:
                raise self._too_long(what, kind) from exc
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._drained.set()
            if slot >= 0:
                self._started[slot] = 0.0
                self._free.append(slot)

    def _past_deadline(self, slot: int) -> bool:
        """Whether the job in *slot* was still running when its deadline came."""
        began = float(self._started[slot]) if slot >= 0 else 0.0
        return began > 0 and time.monotonic() - began >= 0.9 * self.deadline

    def _too_long(self, what: str, kind: str) -> ParseError:
        return ParseError(
            f"the worker process died on this {kind} (or spent over {self.deadline:g} s on it)",
            url=what,
        )

    async def _alone(self, job: partial[T]) -> T:
        """One job in a worker process of its own, so that it dies alone if it must."""
        async with self._alone_slots:
            pool = self._new_pool(1)
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, job)
            finally:
                pool.shutdown(wait=False)
