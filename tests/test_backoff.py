"""A failing source backs off (Retry-After, repeated failures), visibly in `refeed status`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from conftest import Site, loopback_config, rss, run_refeed, serving, test_database
from refeed import defaults
from refeed.config import Config, SourceConfig
from refeed.cycle import run_cycle
from refeed.metrics import Metrics
from refeed.store import Store, backoff_delay

PAGE = "<article><p>" + "A long enough story about the harbour. " * 20 + "</p></article>"


@pytest.mark.parametrize(
    ("failures", "retry_after", "expected"),
    [
        (1, None, None),  # one failure: retried on schedule
        (1, 7200.0, 7200.0),  # ... unless the server asked for a pause
        (2, None, defaults.BACKOFF_BASE),
        (3, None, 2 * defaults.BACKOFF_BASE),
        (4, 60.0, 4 * defaults.BACKOFF_BASE),
        (40, None, defaults.BACKOFF_MAX),  # bounded: a day
        (10**6, None, defaults.BACKOFF_MAX),
        (1, 10 * 86400.0, defaults.BACKOFF_MAX),  # a hostile Retry-After is capped too
    ],
)
def test_backoff_delay(failures: int, retry_after: float | None, expected: float | None) -> None:
    delay = backoff_delay(failures, retry_after)
    assert (delay.total_seconds() if delay else None) == expected


def _config(tmp_path: Path, *sources: SourceConfig) -> Config:
    return loopback_config(tmp_path, *sources)


def _write_config(tmp_path: Path, sources: dict[str, str]) -> Path:
    lines = [
        "allow_private_networks: true",
        "schedule: '*/30 * * * *'",
        f"database: '{test_database(tmp_path)}'",
        "sources:",
    ]
    for name, url in sources.items():
        lines += [f"  - name: {name}", f"    feed: {url}"]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_retry_after_backs_the_source_off_and_status_shows_it(site: Site, tmp_path: Path) -> None:
    site.add("a.html", PAGE)
    good = site.add("good.xml", rss(site, [("a.html", "A")]), content_type="application/rss+xml")
    busy = site.add("busy.xml", "slow down", status=429, headers={"Retry-After": "7200"})
    config = _config(
        tmp_path, SourceConfig(name="good", feed=good), SourceConfig(name="busy", feed=busy)
    )
    before = datetime.now(UTC)
    results = {r.name: r for r in asyncio.run(run_cycle(config))}
    assert results["good"].ok and not results["busy"].ok and "429" in str(results["busy"].error)
    with Store(config.database) as store:
        state = store.state("busy")
    assert state.next_attempt is not None
    assert (
        before + timedelta(hours=2) <= state.next_attempt <= before + timedelta(hours=2, minutes=1)
    )
    assert [h.path for h in site.hits].count("/busy.xml") == 1  # 7200 s is not waited for in-line

    # the next cycle skips the source: no request, no new error
    site.hits.clear()
    results = {r.name: r for r in asyncio.run(run_cycle(config))}
    assert results["busy"].skipped and results["busy"].ok
    assert "/busy.xml" not in [h.path for h in site.hits] and "/good.xml" in [
        h.path for h in site.hits
    ]

    path = _write_config(tmp_path, {"good": good, "busy": busy})
    status = subprocess.run(
        [sys.executable, "-m", "refeed", "status", "-c", str(path)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    header, *rows = status.stdout.splitlines()
    assert "NEXT RUN" in header and "LAST ERROR" in header and "LAST SUCCESS" in header
    [busy_row] = [row for row in rows if row.startswith("busy ")]
    expected = state.next_attempt.strftime("%Y-%m-%d %H:%M UTC")  # 2 h later, a :00 or :30 slot
    assert "(backoff)" in busy_row and "429" in busy_row
    assert busy_row.index(expected[:10]) > 0
    [good_row] = [row for row in rows if row.startswith("good ")]
    assert "(backoff)" not in good_row and " 1 " in good_row


def test_repeated_failures_back_off_then_a_success_clears_it(site: Site, tmp_path: Path) -> None:
    feed = site.add("feed.xml", "gone", status=404)
    config = _config(tmp_path, SourceConfig(name="flaky", feed=feed))
    asyncio.run(run_cycle(config))  # 1st failure: tried again on schedule
    with Store(config.database) as store:
        assert store.state("flaky").next_attempt is None
    asyncio.run(run_cycle(config))  # 2nd failure: backs off
    with Store(config.database) as store:
        state = store.state("flaky")
    assert state.failures == 2 and state.next_attempt is not None
    assert state.backing_off(datetime.now(UTC))
    hits = len(site.hits)
    [skipped] = asyncio.run(run_cycle(config))
    assert skipped.skipped and len(site.hits) == hits

    # time passes (the backoff ends) and the source is back
    site.add("a.html", PAGE)
    site.add("feed.xml", rss(site, [("a.html", "A")]), content_type="application/rss+xml")
    with Store(config.database) as store:
        store._db.run(
            "UPDATE sources SET next_attempt = ?",
            ((datetime.now(UTC) - timedelta(seconds=1)).isoformat(),),
        )
    [result] = asyncio.run(run_cycle(config))
    assert result.ok and not result.skipped and result.new == 1
    with Store(config.database) as store:
        state = store.state("flaky")
    assert (state.failures, state.next_attempt, state.last_error) == (0, None, None)


def test_a_failing_page_is_counted_shown_and_retried_with_backoff(
    site: Site, tmp_path: Path
) -> None:
    site.add("good.html", "<article><p>" + "A story that works. " * 30 + "</p></article>")
    site.add("bad.html", "down", status=500, etag=False)
    feed = site.add("rss.xml", rss(site, [("good.html", "Good"), ("bad.html", "Bad")]),
                    content_type="application/rss+xml")  # fmt: skip
    config = loopback_config(tmp_path, SourceConfig(name="news", feed=feed))
    for _ in range(3):
        [result] = asyncio.run(run_cycle(config))
        assert result.ok
    bad = [h for h in site.hits if h.path == "/bad.html"]
    # cycle 1: tried (and retried once by the fetcher); cycle 2: again, its second failure
    # in a row; cycle 3: waiting, not tried
    assert len(bad) == 4
    with Store(config.database) as store:
        [(url, failures, error)] = store.failing_pages("news")
    assert url.endswith("/bad.html") and failures == 2 and "HTTP 500" in error
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        f"allow_private_networks: true\noutput_dir: {tmp_path / 'feeds'}\n"
        f"database: {config.database}\nsources:\n  - name: news\n    feed: {feed}\n",
        encoding="utf-8",
    )
    status = run_refeed("status", "-c", str(config_file))
    assert "FAILING PAGES" in status.stdout
    line = next(row for row in status.stdout.splitlines() if row.startswith("news"))
    assert " 1 " in line and "HTTP 500" in line
    with serving(config, Metrics()) as served:
        assert "page(s) keep failing" in httpx.get(served.url("/")).text
