"""The daemon as an operator runs it: a busy port, SIGHUP reloads, removed sources retired."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import feedparser
import pytest

from conftest import Site, rss
from test_cli import NIGHT_TRAIN, refeed


def _feed(site: Site, name: str, title: str) -> str:
    site.add(f"{name}/a.html", NIGHT_TRAIN.read_bytes())
    return site.add(
        f"{name}.xml", rss(site, [(f"{name}/a.html", title)]), content_type="application/rss+xml"
    )


def _config(path: Path, sources: dict[str, str], schedule: str = "1h") -> Path:
    lines = [f"allow_private_networks: true\nschedule: {schedule}\nsources:\n"]
    lines += [f"  - name: {name}\n    feed: {url}\n" for name, url in sources.items()]
    path.write_text("".join(lines), encoding="utf-8")
    return path


class _Daemon:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, what: Callable[[], bool], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not what():
            assert self.process.poll() is None, "\n".join(self.lines)
            assert time.monotonic() < deadline, "\n".join(self.lines)
            time.sleep(0.05)

    def logged(self, text: str) -> bool:
        return any(text in line for line in self.lines)


@contextmanager
def _daemon(config: Path) -> Iterator[_Daemon]:
    process = subprocess.Popen(
        [sys.executable, "-m", "refeed", "daemon", "-c", str(config)],
        stderr=subprocess.PIPE,
        text=True,
    )
    daemon = _Daemon(process)
    try:
        yield daemon
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        daemon._reader.join(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


def test_sighup_reloads_the_config_retires_removed_sources_and_refuses_a_bad_file(
    site: Site, tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds"
    config = _config(tmp_path / "config.yaml", {"old": _feed(site, "old", "Old news")})
    with _daemon(config) as daemon:
        daemon.wait_for((feeds / "old.atom").exists)
        _config(config, {"new": _feed(site, "new", "New news")})
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for((feeds / "new.atom").exists)
        daemon.wait_for(lambda: daemon.logged("reloaded"))
        assert not any(feeds.glob("old.*")), "the removed source's feeds are still there"
        assert daemon.logged("old: no longer in the config, its feeds are retired")
        assert daemon.logged("added: new; removed: old")
        entries = feedparser.parse((feeds / "new.atom").read_bytes()).entries
        assert [e.title for e in entries] == ["New news"]

        config.write_text("sources:\n  - name: broken\n    feed: not-a-url\n", encoding="utf-8")
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for(lambda: daemon.logged("reload refused"))
        refused = next(line for line in daemon.lines if "reload refused" in line)
        assert "sources[0] (name: broken).feed" in refused and str(config) in refused
        assert daemon.process.poll() is None, "a bad file stopped the daemon"
        assert (feeds / "new.atom").exists()
    assert daemon.process.returncode == 0, "\n".join(daemon.lines)
    assert daemon.logged("stopped")


def test_a_reload_retires_a_removed_source_only_after_its_running_cycle_has_written(
    site: Site, tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds"
    slow = _feed(site, "slow", "Slow news")
    site.add("slow/a.html", NIGHT_TRAIN.read_bytes(), delay=2.0)  # the cycle is mid-flight
    config = _config(tmp_path / "config.yaml", {"slow": slow})
    with _daemon(config) as daemon:
        daemon.wait_for(lambda: daemon.logged("daemon started"))
        time.sleep(0.5)
        _config(config, {"new": _feed(site, "new", "New news")})
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for(lambda: daemon.logged("reloaded"))
        assert daemon.logged("slow: 1 new"), "the reload did not let the running cycle finish"
        assert not any(feeds.glob("slow.*")), "the running cycle wrote after the retirement"


def test_run_retires_the_feeds_of_a_source_removed_from_the_config(
    site: Site, tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds"
    both = {"keep": _feed(site, "keep", "Kept"), "gone": _feed(site, "gone", "Gone")}
    config = _config(tmp_path / "config.yaml", both)
    assert refeed("run", "-c", str(config)).returncode == 0
    assert (feeds / "gone.rss").exists() and (feeds / "gone.json").exists()
    (feeds / "notes.txt").write_text("mine", encoding="utf-8")  # not refeed's: left alone
    _config(config, {"keep": both["keep"]})
    result = refeed("run", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert not any(feeds.glob("gone.*"))
    assert (feeds / "keep.atom").exists() and (feeds / "notes.txt").exists()
    assert b"gone: no longer in the config, its feeds are retired" in result.stderr
    again = refeed("run", "-c", str(config))
    assert b"retired" not in again.stderr  # said once, when it happened


@pytest.mark.parametrize("command", ["serve", "daemon", "demo"])
def test_a_busy_port_is_one_line_before_anything_starts(
    command: str, site: Site, tmp_path: Path
) -> None:
    config = _config(tmp_path / "config.yaml", {"news": _feed(site, "news", "News")})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        where = f"127.0.0.1:{taken.getsockname()[1]}"
        flag = {"serve": ["--listen", where], "daemon": ["--serve", where]}.get(command)
        args = ["--serve", where, "--output", str(tmp_path / "demo")]
        if flag is not None:
            args = ["-c", str(config), *flag]
        result = refeed(command, *args)
    assert result.returncode == 1
    lines = result.stderr.decode().splitlines()
    assert lines == [
        f"refeed: cannot listen on {where}: Address already in use; another program "
        "(another refeed serve?) listens there: stop it or choose another HOST:PORT"
    ]
    assert not (tmp_path / "feeds").exists(), "a cycle ran before the port was checked"
    assert site.hits == []
