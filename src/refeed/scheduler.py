"""The daemon: APScheduler 3 runs each source on its own schedule.

Never two runs of one source at once (``max_instances=1``), missed runs are
coalesced, each run gets some jitter, and SIGTERM/SIGINT stop the scheduler after
the running cycles finish, so no feed file is left half-written.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from refeed import defaults
from refeed.config import Config
from refeed.cycle import fetch_settings, run_cycle
from refeed.errors import RefeedError
from refeed.fetch import Fetcher
from refeed.workers import Extractor

if TYPE_CHECKING:
    from refeed.store import SourceState

log = logging.getLogger(__name__)


def trigger_for(config: Config, name: str) -> CronTrigger | IntervalTrigger:
    schedule = config.schedule_of(config.source(name))
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone="UTC")
    assert schedule.interval is not None
    return IntervalTrigger(seconds=int(schedule.interval.total_seconds()), timezone="UTC")


def next_run(config: Config, state: SourceState, now: datetime) -> datetime:
    """When the source runs next: its next scheduled time, but not before its backoff ends."""
    earliest = max(now, state.next_attempt) if state.next_attempt else now
    schedule = config.schedule_of(config.source(state.name))
    if schedule.interval is not None:
        due = state.last_run + schedule.interval if state.last_run else now
        return max(due, earliest)
    fire: datetime | None = trigger_for(config, state.name).get_next_fire_time(None, earliest)
    return fire or earliest


async def serve_forever(
    config: Config, *, run_first: bool = True, listen: tuple[str, int] | None = None
) -> None:
    """Schedule every enabled source and run until a signal asks to stop.

    With *listen* (host, port) the same process also serves the feeds
    (:mod:`refeed.serve`), its ``/healthz`` knowing whether the scheduler runs.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    running: set[asyncio.Task[object]] = set()
    async with Fetcher(fetch_settings(config)) as fetcher, Extractor() as extractor:

        async def job(name: str) -> None:
            task = asyncio.ensure_future(
                run_cycle(config, [name], fetcher=fetcher, extractor=extractor)
            )
            running.add(task)
            try:
                await asyncio.shield(task)
            except RefeedError as exc:  # the database, say: one line, and the next run tries again
                log.error("%s: %s", name, exc)
            finally:
                running.discard(task)

        scheduler = AsyncIOScheduler(timezone="UTC")
        for source in config.sources:
            if not source.enabled:
                continue
            trigger = trigger_for(config, source.name)
            trigger.jitter = defaults.JITTER
            scheduler.add_job(
                job,
                trigger,
                args=[source.name],
                id=source.name,
                name=f"refeed source {source.name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=defaults.MISFIRE_GRACE,
                next_run_time=None if not run_first else _soon(),
            )
        scheduler.start()
        log.info("daemon started with %d sources", len(scheduler.get_jobs()))
        server_task = None
        if listen is not None:
            from refeed.httpd import make_server
            from refeed.serve import create_app

            server = make_server(
                create_app(config, scheduler_running=lambda: scheduler.running), *listen
            )
            server_task = asyncio.ensure_future(server.serve())
            server_task.add_done_callback(lambda _: stop.set())  # a bind error stops the daemon
        await stop.wait()
        log.info("stopping: waiting for %d running cycles", len(running))
        scheduler.shutdown(wait=False)
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        if server_task is not None:
            server.should_exit = True
            await asyncio.gather(server_task, return_exceptions=True)
    log.info("stopped")


def _soon() -> datetime:
    return datetime.now(UTC)
