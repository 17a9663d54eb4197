"""Two `refeed run` at once, or a run during the daemon: the second waits or exits clearly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import pytest

from conftest import Site, rss
from refeed.cli import EXIT_LOCKED
from refeed.errors import LockedError
from refeed.runlock import lock_path, run_lock

PAGE = "<article><p>" + "A long enough story about the harbour. " * 20 + "</p></article>"


def _config(site: Site, tmp_path: Path, delay: float = 0.0) -> Path:
    for n in range(3):
        site.add(f"a{n}.html", PAGE.replace("harbour", f"harbour {n}"), delay=delay)
    feed = site.add(
        "rss.xml", rss(site, [(f"a{n}.html", f"A{n}") for n in range(3)]),
        content_type="application/rss+xml",
    )  # fmt: skip
    path = tmp_path / "config.yaml"
    path.write_text(
        f"allow_private_networks: true\nschedule: 1h\nsources:\n  - name: news\n    feed: {feed}\n",
        encoding="utf-8",
    )
    return path


def _start(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "refeed", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _run(config: Path, wait: str) -> subprocess.CompletedProcess[bytes]:
    """`refeed run` waiting up to ``wait`` seconds for the lock."""
    command = [sys.executable, "-m", "refeed", "run", "-c", str(config), "--wait", wait]
    return subprocess.run(command, capture_output=True, timeout=120, check=False)


def _wait_for_lock(database: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with run_lock(database, what="probe"):
                pass
        except LockedError:
            return
        time.sleep(0.02)
    raise AssertionError("the first process never took the lock")


def test_in_process_lock_is_exclusive_and_names_the_holder(tmp_path: Path) -> None:
    database = tmp_path / "refeed.db"
    with run_lock(database, what="run"):
        started = time.monotonic()
        with pytest.raises(LockedError) as caught, run_lock(database, what="run", wait=0.3):
            pass
        assert time.monotonic() - started >= 0.3  # it waited before giving up
    message = str(caught.value)
    assert "run (pid " in message and str(lock_path(database)) in message
    with run_lock(database, what="run"):  # released: free again
        pass


def test_second_run_exits_with_a_clear_message_and_nothing_breaks(
    site: Site, tmp_path: Path
) -> None:
    config = _config(site, tmp_path, delay=0.7)
    first = _start("run", "-c", str(config))
    try:
        _wait_for_lock(tmp_path / "refeed.db", first)
        second = _run(config, wait="0.2")
        assert second.returncode == EXIT_LOCKED
        assert b"another refeed run (pid " in second.stderr and b"Nothing was done" in second.stderr
        # a patient second run waits for the first and then runs
        third = _run(config, wait="60")
        assert third.returncode == 0, third.stderr
    finally:
        _, stderr = first.communicate(timeout=60)
    assert first.returncode == 0, stderr
    parsed = feedparser.parse((tmp_path / "feeds" / "news.atom").read_bytes())
    assert parsed.bozo == 0 and len(parsed.entries) == 3


def test_run_during_the_daemon_exits_with_a_clear_message(site: Site, tmp_path: Path) -> None:
    config = _config(site, tmp_path)
    daemon = _start("daemon", "-c", str(config))
    try:
        _wait_for_lock(tmp_path / "refeed.db", daemon)
        second = _run(config, wait="0.2")
        assert second.returncode == EXIT_LOCKED
        assert b"another refeed daemon (pid " in second.stderr
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, stderr
