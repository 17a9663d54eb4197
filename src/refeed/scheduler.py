"""The daemon: APScheduler 3 runs each source on its own schedule.

Never two runs of one source at once (``max_instances=1``), missed runs are
coalesced, each run gets some jitter, and SIGTERM/SIGINT stop the scheduler after
the running cycles finish, so no feed file is left half-written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from refeed import defaults
from refeed.config import Config, SourceConfig, load_config
from refeed.cycle import fetch_settings, retire_removed, run_cycle
from refeed.errors import ConfigError, RefeedError
from refeed.fetch import Fetcher
from refeed.workers import Extractor

if TYPE_CHECKING:
    from starlette.applications import Starlette

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
    config: Config,
    *,
    run_first: bool = True,
    listen: socket.socket | None = None,
    path: Path | None = None,
) -> None:
    """Schedule every enabled source and run until a signal asks to stop.

    With *listen* (a bound socket, :func:`refeed.httpd.listen_socket`) the same process
    also serves the feeds (:mod:`refeed.serve`), its ``/healthz`` knowing whether the
    scheduler runs. With *path* (the config file), SIGHUP reloads it: validated first, a
    bad file keeps the running config and says why in the log.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        daemon = _Daemon(config, stack)
        await daemon.start(run_first)
        server_task = server = None
        if listen is not None:
            from refeed.httpd import make_server
            from refeed.serve import create_app, served_at

            daemon.app = create_app(
                config,
                scheduler_running=lambda: daemon.scheduler.running,
                extractor=daemon.extractor,  # the previews extract in the daemon's workers
            )
            server = make_server(daemon.app, *listen.getsockname()[:2])
            server_task = asyncio.ensure_future(server.serve(sockets=[listen]))
            server_task.add_done_callback(lambda _: stop.set())  # the server failed: stop too
            log.info("serving %s on %s", config.output_dir, served_at(listen))
        if path is not None:
            loop.add_signal_handler(signal.SIGHUP, daemon.reload_soon, path)
        await stop.wait()
        await daemon.stop()
        if server_task is not None and server is not None:
            server.should_exit = True
            await asyncio.gather(server_task, return_exceptions=True)
    log.info("stopped")


class _Daemon:
    """The scheduler's jobs over one config, which a reload replaces."""

    def __init__(self, config: Config, stack: contextlib.AsyncExitStack) -> None:
        self.config = config
        self.stack = stack
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.running: set[asyncio.Task[object]] = set()
        self.reloads: set[asyncio.Task[None]] = set()
        self.app: Starlette | None = None

    async def start(self, run_first: bool) -> None:
        self.fetcher = await self.stack.enter_async_context(Fetcher(fetch_settings(self.config)))
        self.extractor = await self.stack.enter_async_context(Extractor())
        for source in self.config.sources:
            if source.enabled:
                self.schedule(source, _soon() if run_first else None)
        self.scheduler.start()
        log.info("daemon started with %d sources", len(self.scheduler.get_jobs()))

    async def stop(self) -> None:
        log.info("stopping: waiting for %d running cycles", len(self.running))
        self.scheduler.shutdown(wait=False)
        if self.running:
            await asyncio.gather(*self.running, return_exceptions=True)

    def schedule(self, source: SourceConfig, first: datetime | None) -> None:
        trigger = trigger_for(self.config, source.name)
        trigger.jitter = defaults.JITTER
        self.scheduler.add_job(
            self.job,
            trigger,
            args=[source.name],
            id=source.name,
            name=f"refeed source {source.name}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=defaults.MISFIRE_GRACE,
            next_run_time=first,
            replace_existing=True,
        )

    async def job(self, name: str) -> None:
        task = asyncio.ensure_future(
            run_cycle(self.config, [name], fetcher=self.fetcher, extractor=self.extractor)
        )
        self.running.add(task)
        try:
            await asyncio.shield(task)
        except RefeedError as exc:  # the database, say: one line, and the next run tries again
            log.error("%s: %s", name, exc)
        finally:
            self.running.discard(task)

    def reload_soon(self, path: Path) -> None:
        task = asyncio.ensure_future(self.reload(path))
        self.reloads.add(task)
        task.add_done_callback(self.reloads.discard)

    async def reload(self, path: Path) -> None:
        """SIGHUP: read *path* again; running cycles finish with the config they began with."""
        try:
            new = await asyncio.to_thread(load_config, path)
            if new.database != self.config.database:
                raise ConfigError(
                    f"{path}: 'database' changed ({self.config.database} -> {new.database}); "
                    "restart the daemon to move to another database"
                )
        except RefeedError as exc:
            log.error("reload refused, the running config stays: %s", exc)
            return
        old, self.config = self.config, new
        began_before = list(self.running)  # cycles on the old config, which may still publish
        before = {s.name: (s, old.schedule_of(s)) for s in old.sources if s.enabled}
        after = {s.name: (s, new.schedule_of(s)) for s in new.sources if s.enabled}
        if fetch_settings(new) != fetch_settings(old):  # running cycles keep the old fetcher
            self.fetcher = await self.stack.enter_async_context(Fetcher(fetch_settings(new)))
        for name in before.keys() - after.keys():
            self.scheduler.remove_job(name)
        changed = [n for n in after.keys() & before.keys() if after[n] != before[n]]
        for name in [*changed, *(after.keys() - before.keys())]:
            self.schedule(after[name][0], _soon())
        if self.app is not None:
            self.app.state.reconfigure(new)
        # a removed source's running cycle finishes first: retired before, it would write again
        await asyncio.gather(*began_before, return_exceptions=True)
        await asyncio.to_thread(retire_removed, new)
        log.info(
            "reloaded %s: %d sources (added: %s; removed: %s; changed: %s)",
            path, len(after), _names(after.keys() - before.keys()),
            _names(before.keys() - after.keys()), _names(changed),
        )  # fmt: skip


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "-"


def _soon() -> datetime:
    return datetime.now(UTC)
