"""The article path off the event loop: a pool of worker processes, one per core.

Extraction is CPU work (parsing, scoring, cleaning); run in the event loop's thread it
would stall every fetch, and in threads it would share one core. An :class:`Extractor`
sends each page's bytes, URL and rules to a worker process and awaits the plain
:class:`~refeed.models.Article` it sends back. The pool starts on the first page (a cycle
where nothing changed starts no process), workers come from a ``forkserver`` that has
already imported the article path, and the pool is replaced by a fresh one after
:data:`~refeed.defaults.WORKER_MAX_TASKS` pages per worker (new pages wait for the worn
pool's last ones, so never two pools at once), so that memory stays flat in a daemon. (Not with
``max_tasks_per_child``: on Python 3.11 a pool whose workers exit that way can hang.)
Every extraction runs alone in its worker: lxml is not safe with several threads
working on trees at once (a stress test of 8 threads crashed it), so even one core gets
one worker process, never a thread. ``workers=0`` runs the pages in a thread of this
process, for benchmarks and debugging only.

A page that keeps its worker busy past :data:`~refeed.defaults.EXTRACT_SECONDS` (a parser
stuck in C code on hostile markup cannot be interrupted from Python) has the worker killed
by the kernel's alarm. That breaks the pool, so each page that was in it runs once more in
a worker process of its own: the innocent ones succeed, the culprit fails alone with a
clear error.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from types import TracebackType
from typing import Self

from refeed import defaults
from refeed.article import Rules, process
from refeed.errors import ParseError
from refeed.models import Article


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _context() -> multiprocessing.context.BaseContext:
    """Workers forked from a server that has already imported the article path."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["refeed.article"])
    return context


def _start_worker() -> None:
    """A worker dies of its alarm: no handler (one would wait for the stuck C call)."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


def _extract(
    body: bytes, *, url: str, content_type: str | None, rules: Rules, deadline: float
) -> Article:
    """:func:`refeed.article.process` in a worker process, which the kernel kills past
    ``deadline`` seconds."""
    signal.setitimer(signal.ITIMER_REAL, deadline)
    try:
        return process(body, url=url, content_type=content_type, rules=rules)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class Extractor:
    """Runs :func:`refeed.article.process` in worker processes (``workers=0``: in a thread)."""

    def __init__(
        self,
        workers: int | None = None,
        backlog: int = defaults.PAGES_IN_FLIGHT,
        deadline: float = defaults.EXTRACT_SECONDS,
    ) -> None:
        self.workers = max(0, workers if workers is not None else cores())
        self.deadline = deadline  # seconds a worker may spend on one page
        self._alone_slots = asyncio.Semaphore(max(1, self.workers))
        # held from a page's request to the end of its extraction: fetched pages cannot
        # pile up in memory waiting for a worker (the network is faster than the cores)
        self.pages = asyncio.Semaphore(backlog)
        self.extractions = 0  # pages sent to the article path
        self._pool: ProcessPoolExecutor | None = None
        self._pool_pages = 0  # pages sent to the current pool
        self._in_flight = 0
        self._drained = asyncio.Event()  # set when no page is in flight

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

    async def _executor(self) -> Executor | None:
        if self.workers == 0:
            return None  # the loop's default thread pool
        while self._pool is not None and self._worn():
            if self._in_flight == 0:
                self.close()  # its workers are idle: they exit at once
                break
            # the worn pool finishes its pages before a fresh one starts: never two pools
            self._drained.clear()
            await self._drained.wait()
        if self._pool is None:
            self._pool_pages = 0
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=_context(), initializer=_start_worker
            )
        self._pool_pages += 1
        return self._pool

    async def process(
        self, body: bytes, *, url: str, content_type: str | None, rules: Rules
    ) -> Article:
        """The clean article of one page, computed off the event loop."""
        self.extractions += 1
        executor = await self._executor()
        if executor is None:
            job = partial(process, body, url=url, content_type=content_type, rules=rules)
        else:
            job = partial(
                _extract, body, url=url, content_type=content_type, rules=rules,
                deadline=self.deadline,
            )  # fmt: skip
        loop = asyncio.get_running_loop()
        self._in_flight += 1
        try:
            try:
                return await loop.run_in_executor(executor, job)
            except BrokenProcessPool:
                # a worker died (past its deadline, killed for memory, or a crash in a C
                # library) and took the pool with it: the next page gets a fresh pool, and
                # this one, which may not be the culprit, runs again in a process of its own
                if self._pool is executor:
                    self._pool = None
            try:
                return await self._alone(job)
            except BrokenProcessPool as exc:
                raise ParseError(
                    f"the extraction worker died on this page (or spent over {self.deadline:g}"
                    " s on it)",
                    url=url,
                ) from exc
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._drained.set()

    async def _alone(self, job: partial[Article]) -> Article:
        """One page in a worker process of its own, so that it dies alone if it must."""
        async with self._alone_slots:
            pool = ProcessPoolExecutor(
                max_workers=1, mp_context=_context(), initializer=_start_worker
            )
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, job)
            finally:
                pool.shutdown(wait=False)
