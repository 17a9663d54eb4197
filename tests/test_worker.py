"""`refeed worker`: real worker processes sharing a real PostgreSQL store and job queue,
fetching from a loopback site that counts how many requests it answers at once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import Site, rss, run_refeed, test_database
from refeed.config import Schedule, parse_schedule
from refeed.errors import ConfigError
from refeed.jobs import cron_of
from refeed.store import Store
from refeed.store.lanes import PostgresLanes

PAGE = "<article><p>" + "The harbour reopened today after the long storm repairs. " * 12
PAGE += "</p></article>"


def test_intervals_become_crons_spread_by_source_and_odd_ones_are_refused() -> None:
    assert cron_of(parse_schedule("*/15 * * * *"), "a") == "*/15 * * * *"  # as given
    crons = {cron_of(parse_schedule("30m"), f"source-{n}") for n in range(40)}
    starts = {int(c.split("-")[0]) for c in crons}
    assert len(starts) > 10 and all(c.split()[0].endswith("-59/30") for c in crons)
    assert cron_of(parse_schedule("10s"), "a").split()[5].endswith("-59/10")
    assert cron_of(parse_schedule("1h"), "a").split()[1] == "*"
    assert len(cron_of(Schedule(interval=timedelta(days=1)), "a").split()) == 5
    with pytest.raises(ConfigError, match=r"news: .* divides no minute, hour or day"):
        cron_of(parse_schedule("7m"), "news")


def test_lanes_hold_a_host_to_its_limit_across_processes(tmp_path: Path) -> None:
    url = test_database(tmp_path, "postgresql")
    assert isinstance(url, str)
    Store(url).close()

    async def main() -> int:
        lanes = [PostgresLanes(url, per_host=2) for _ in range(3)]  # three "processes"
        for lane in lanes:
            await lane.open()
        at_once = peak = 0

        async def request(lane: PostgresLanes) -> None:
            nonlocal at_once, peak
            async with lane.hold("news.example:"):
                at_once += 1
                peak = max(peak, at_once)
                await asyncio.sleep(0.02)
                at_once -= 1

        await asyncio.gather(*(request(lanes[n % 3]) for n in range(30)))
        async with lanes[0].hold("other.example:"), lanes[1].hold("other.example:"):
            pass  # another host has lanes of its own
        for lane in lanes:
            await lane.close()
        return peak

    assert asyncio.run(main()) == 2


def _config(tmp_path: Path, site: Site, *, slow: float) -> Path:
    lines = [
        f"database: '{test_database(tmp_path, 'postgresql')}'",
        f"output_dir: {tmp_path / 'feeds'}",
        "allow_private_networks: true",
        "max_per_host: 1",
        "schedule: 1s",
        "sources:",
    ]
    for name in ("alpha", "beta", "slow"):
        for n in (1, 2):
            site.add(f"{name}/{n}.html", PAGE.replace("harbour", f"{name} harbour {n}"))
        feed = rss(site, [(f"{name}/{n}.html", f"{name} {n}") for n in (1, 2)])
        url = site.add(
            f"{name}.xml", feed, content_type="application/rss+xml",
            delay=slow if name == "slow" else 0.0, etag=False,
        )  # fmt: skip
        lines += [f"  - name: {name}", f"    feed: {url}"]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _worker(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "refeed", "worker", "-c", str(config), "--concurrency", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_two_workers_run_every_source_never_twice_at_once(site: Site, tmp_path: Path) -> None:
    config = _config(tmp_path, site, slow=1.5)
    workers = [_worker(config) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        feeds = ("alpha.xml", "beta.xml", "slow.xml")
        while time.monotonic() < deadline:
            paths = [h.path for h in site.hits]
            if all(paths.count("/" + f) >= 3 for f in feeds):
                break
            assert all(w.poll() is None for w in workers), workers[0].communicate()[0]
            time.sleep(0.2)
        else:
            pytest.fail(f"the sources did not run: {[h.path for h in site.hits]}")
        status = run_refeed("status", "-c", str(config))  # the queue, as operators see it
        assert status.returncode == 0 and "workers: 2 alive; runs:" in status.stdout
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [w.communicate(timeout=30)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert "Traceback" not in "".join(outputs)
    # one host, max_per_host 1: never two requests to it at once, across both workers
    assert site.peak["*"] == 1, site.peak
    # the slow source (1.5 s a run, due every second) never ran twice at once, nor piled up
    runs = [h.path for h in site.hits].count("/slow.xml")
    assert runs >= 3
    with Store(test_database(tmp_path, "postgresql")) as store:
        for name in ("alpha", "beta", "slow"):
            state = store.state(name)
            assert state.last_success is not None and state.failures == 0, state
            assert sorted(i.title for i in store.items(name, 10)) == [f"{name} 1", f"{name} 2"]
            assert all(i.full_text for i in store.items(name, 10))
            stored = store.feed(f"{name}.atom")
            assert stored is not None and f"{name} harbour 1".encode() in stored.body
        index = store.feed("index.opml")  # for refeed serve on any machine
        assert index is not None and b"alpha.atom" in index.body


def test_a_worker_on_an_sqlite_file_says_to_use_the_daemon(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("sources:\n  - name: a\n    feed: https://example.org/rss\n", "utf-8")
    result = run_refeed("worker", "-c", str(config))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "PostgreSQL database" in line and "refeed daemon" in line


def test_a_job_run_again_after_its_period_was_applied_does_nothing(
    site: Site, tmp_path: Path
) -> None:
    from refeed.config import load_config
    from refeed.cycle import fetch_settings
    from refeed.fetch import Fetcher
    from refeed.jobs import Runner
    from refeed.workers import Extractor

    config = load_config(_config(tmp_path, site, slow=0.0))

    async def main() -> list[object]:
        extractor = Extractor(workers=1)
        with Store(config.database) as store, contextlib.closing(extractor):
            async with Fetcher(fetch_settings(config)) as fetcher:
                runner = Runner(config, store, fetcher, extractor)
                first = await runner.run("alpha", 1000)
                hits = len(site.hits)
                again = await runner.run("alpha", 1000)  # its worker died before the ack
                assert len(site.hits) == hits  # nothing fetched
                later = await runner.run("alpha", 1020)  # the next period runs
                assert len(site.hits) > hits
                return [first, again, later, store.last_period("alpha")]

    first, again, later, last = asyncio.run(main())
    assert first is not None and again is None and later is not None and last == 1020


def test_refeed_run_waits_for_the_workers_and_says_who_holds_the_database(
    tmp_path: Path,
) -> None:
    from refeed.runlock import run_lock

    url = test_database(tmp_path, "postgresql")
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database: '{url}'\nsources:\n  - name: a\n    feed: https://example.org/rss\n", "utf-8"
    )
    with run_lock(url, what="worker", shared=True), run_lock(url, what="worker", shared=True):
        result = run_refeed("run", "-c", str(config), "--wait", "0.5")  # two workers run
    assert result.returncode == 75
    [line] = result.stderr.strip().splitlines()
    assert "refeed worker is using" in line and "not both at once" in line
    with run_lock(url, what="run"):  # alone now; and a worker waits for it
        worker = run_refeed("worker", "-c", str(config), "--wait", "0.5")
    assert worker.returncode == 75, worker.stderr


def test_a_starting_worker_writes_the_index_and_retires_removed_sources(
    site: Site, tmp_path: Path
) -> None:
    from refeed.config import load_config
    from refeed.cycle import fetch_settings
    from refeed.fetch import Fetcher
    from refeed.jobs import Runner
    from refeed.workers import Extractor

    config = load_config(_config(tmp_path, site, slow=0.0))
    with Store(config.database) as store:
        store.record_run("gone", at=datetime.now(UTC))  # a source the config no longer has
        store.save_feeds("gone", {"gone.atom": b"<feed/>"}, datetime.now(UTC))

    async def main() -> None:
        extractor = Extractor(workers=1)
        with Store(config.database) as store, contextlib.closing(extractor):
            async with Fetcher(fetch_settings(config)) as fetcher:
                Runner(config, store, fetcher, extractor).publish_index()

    asyncio.run(main())
    with Store(config.database) as store:
        assert store.feed("gone.atom") is None
        index = store.feed("index.opml")
    assert index is not None and b"beta.atom" in index.body and b"gone" not in index.body


def test_a_worker_without_the_postgresql_extra_says_what_to_install(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "database: postgresql://refeed@127.0.0.1/refeed\n"
        "sources:\n  - name: a\n    feed: https://example.org/rss\n",
        "utf-8",
    )
    blocked = (  # as on a machine where procrastinate is not installed
        "import sys; sys.modules['procrastinate'] = None; from refeed.cli import main;"
        f" sys.exit(main(['worker', '-c', {str(config)!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "install refeed[postgresql]" in result.stderr
