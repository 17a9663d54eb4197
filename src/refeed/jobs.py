"""``refeed worker``: every source a periodic job of procrastinate's queue, in PostgreSQL.

Any number of worker processes, on any number of machines, share one PostgreSQL store
(``database: postgresql://...``) and its job queue; none is in charge. Each enabled
source is a periodic job on its own schedule. procrastinate defers each period once
across all workers, its ``queueing_lock`` keeps at most one run of a source waiting
(a slow source never piles up runs) and its ``lock`` keeps two runs of one source from
ever overlapping. A run is the cycle's own (:func:`refeed.cycle.run_source`): a plan
from the stored state, the fetches, then one transaction that stores what it gave, so
a worker killed mid-run loses nothing and leaves no duplicate: its job is taken again
by a sweeper once its heartbeat stops, and the run starts over. Requests to one host
stay at most ``max_per_host`` at once across all workers (:mod:`refeed.store.lanes`);
a source's backoff and Retry-After live in the store, so every worker honours them.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from dataclasses import dataclass
from typing import Any, Final

import procrastinate
import psycopg
from procrastinate.exceptions import UniqueViolation
from procrastinate.jobs import Status

from refeed import defaults, websub
from refeed.config import Config, Schedule, SourceConfig
from refeed.cycle import (
    SourceResult,
    fetch_settings,
    publish_index_of,
    retire_removed,
    run_source,
    skipped_for_backoff,
)
from refeed.errors import ConfigError, RefeedError, StoreError
from refeed.fetch import Fetcher
from refeed.store import Store
from refeed.store.core import RUN_SOURCE_TASK
from refeed.store.lanes import PostgresLanes
from refeed.store.postgres import explain
from refeed.urls import redact
from refeed.workers import Extractor

log = logging.getLogger(__name__)

TASK: Final = RUN_SOURCE_TASK
SWEEPER: Final = "refeed.retry_stalled"
# index.opml and retired feeds, every 5 minutes and when a worker starts
INDEX: Final = "refeed.publish_index"
STALLED_AFTER: Final = defaults.WORKER_STALLED_AFTER
_SCHEMA_LOCK: Final = 0x70726F63  # advisory lock while procrastinate's schema is applied


def cron_of(schedule: Schedule, name: str = "") -> str:
    """A source's schedule as procrastinate's cron (whose sixth field is seconds).

    A cron expression is taken as it is. An interval becomes the cron of the same
    period, shifted by an offset drawn from the source's *name*, so that a thousand
    sources every 30 minutes are spread over the 30 minutes instead of all starting
    on the hour and the half hour.
    """
    if schedule.cron is not None:
        return schedule.cron
    assert schedule.interval is not None
    seconds = schedule.interval.total_seconds()
    spread = zlib.crc32(name.encode("utf-8"))
    minute, hour = spread % 60, (spread // 60) % 24
    if seconds == 86_400:
        return f"{minute} {hour} * * *"
    for unit, size in ((3600, 24), (60, 60), (1, 60)):
        count = seconds / unit
        if count.is_integer() and 1 <= count <= size and size % int(count) == 0:
            n = int(count)
            start = spread % n
            every = f"{start}-{size - 1}/{n}" if n > 1 else "*"
            if unit == 3600:
                return f"{minute} {every} * * *"
            if unit == 60:
                return f"{every} * * * * {spread % 60}"
            return f"* * * * * {every}"
    raise ConfigError(
        f"{name or 'a source'}: refeed worker runs sources on a cron schedule, and the"
        f" interval {schedule.interval} divides no minute, hour or day; give one that"
        " does (10s, 15m, 2h) or a cron expression"
    )


def lock_of(source: str) -> str:
    return f"refeed-source:{source}"


@dataclass
class Runner:
    """What a worker's jobs share: the store, the fetcher with its lanes, the extractor."""

    config: Config
    store: Store
    fetcher: Fetcher
    extractor: Extractor

    def publish_index(self) -> None:
        """index.opml of the config's sources (refeed.cycle.publish_index_of), and the
        feeds of sources no longer in the config retired, as a cycle does."""
        try:
            publish_index_of(self.config, self.store)
            retire_removed(self.config, self.store)
        except RefeedError as exc:  # the next one tries again
            log.error("index.opml: %s", exc)

    async def run(self, name: str, period: int) -> SourceResult | None:
        """Run source *name* for the period that began at *period* (epoch seconds); None
        if the config no longer has it, it is off, or that period's run was applied
        already (a job taken again after its worker died at the wrong moment)."""
        source = next((s for s in self.config.sources if s.name == name), None)
        if source is None or not source.enabled:
            log.info("%s: not an enabled source of the config; its job does nothing", name)
            return None
        done = self.store.last_period(name)
        if done is not None and done >= period:
            log.info("%s: the run of this period was done already", name)
            return None
        if skipped_for_backoff(self.store, name):
            return SourceResult(name, skipped=True)
        deadline = asyncio.get_running_loop().time() + self.config.cycle_timeout
        result = await run_source(
            self.config, source, self.fetcher, self.store, self.extractor,
            deadline=deadline, period=period,
        )  # fmt: skip
        if self.config.websub_hub and result.written:  # as a cycle does, for its one source
            await websub.ping(self.fetcher, self.config.websub_hub, self.config.base_url, [result])
        return result


def build_app(
    config: Config,
    runner: Runner | None,
    *,
    concurrency: int,
    stalled_after: float = STALLED_AFTER,
) -> procrastinate.App:
    """The job queue of *config*'s database, with a periodic job per enabled source (and
    the sweeper of jobs whose worker's heartbeat stopped *stalled_after* seconds ago);
    its tasks run with *runner* (None: an app that only defers)."""
    url = database_url(config)
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=concurrency + 2)
    )

    @app.task(name=TASK, pass_context=False)
    async def run_source_job(source: str, timestamp: int) -> None:
        if runner is None:
            raise RuntimeError("this app only defers jobs")
        await runner.run(source, timestamp)

    for source in config.sources:
        if source.enabled:
            _periodic(app, config, source)(run_source_job)

    @app.periodic(cron="*/5 * * * *", periodic_id="index")
    @app.task(name=INDEX, queueing_lock=INDEX)
    async def publish_index(timestamp: int) -> None:
        if runner is not None:
            runner.publish_index()  # in the loop: lxml is used by one thread only

    @app.periodic(cron="* * * * * */10", periodic_id="sweeper")
    @app.task(name=SWEEPER, queueing_lock=SWEEPER, pass_context=True)
    async def retry_stalled(context: procrastinate.JobContext, timestamp: int) -> None:
        manager = context.app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
            log.warning("job %s (%s) was left by a dead worker: run again", job.id, job.task_name)
            try:
                await manager.retry_job(job)
            except UniqueViolation:  # the source's next run already waits: this one is done
                await manager.finish_job(job, status=Status.FAILED, delete_job=True)

    return app


def _periodic(app: procrastinate.App, config: Config, source: SourceConfig) -> Any:
    return app.periodic(
        cron=cron_of(config.schedule_of(source), source.name),
        periodic_id=source.name,
        queueing_lock=lock_of(source.name),
        lock=lock_of(source.name),
        task_kwargs={"source": source.name},
    )


def database_url(config: Config) -> str:
    """The PostgreSQL database workers share; a ConfigError for an SQLite file."""
    if isinstance(config.database, str):
        return config.database
    raise ConfigError(
        f"refeed worker shares a PostgreSQL database (database: postgresql://...), not the"
        f" SQLite file {config.database}; run refeed daemon on one machine instead"
    )


async def apply_schema(app: procrastinate.App, url: str) -> None:
    """procrastinate's tables, made once however many workers start together."""
    try:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
            try:
                if not await app.check_connection_async():
                    await app.schema_manager.apply_schema_async()
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))
    except psycopg.Error as exc:
        raise StoreError(f"database {redact(url)}: {explain(exc)}") from exc


async def work(
    config: Config,
    *,
    concurrency: int = 4,
    stalled_after: float = STALLED_AFTER,
    wait: bool = True,
) -> None:
    """``refeed worker``: run the sources' jobs until SIGTERM or SIGINT (or, without
    *wait*, until no job is due). A worker's heartbeat beats every third of
    *stalled_after*; the jobs of one silent for longer are run again."""
    url = database_url(config)
    store = Store(url, pool_size=concurrency + 2)
    lanes = PostgresLanes(url, config.max_per_host)
    extractor = Extractor()
    try:
        await lanes.open()
        async with Fetcher(fetch_settings(config), lanes=lanes) as fetcher:
            runner = Runner(config, store, fetcher, extractor)
            app = build_app(config, runner, concurrency=concurrency, stalled_after=stalled_after)
            async with app.open_async():
                await apply_schema(app, url)
                runner.publish_index()  # in the loop: lxml is used by one thread only
                log.info(
                    "worker: %d sources, %d jobs at once, on %s",
                    sum(s.enabled for s in config.sources), concurrency, redact(url),
                )  # fmt: skip
                await app.run_worker_async(
                    concurrency=concurrency,
                    wait=wait,
                    delete_jobs="successful",
                    fetch_job_polling_interval=1.0,
                    update_heartbeat_interval=stalled_after / 3,
                    stalled_worker_timeout=stalled_after,
                    install_signal_handlers=True,
                )
    finally:
        await lanes.close()
        extractor.close()
        store.close()
