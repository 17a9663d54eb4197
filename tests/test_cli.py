"""The command line as a user runs it: a real subprocess, exit codes, messages."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import httpx
import pytest

from conftest import DATA, ROOT, Site, rss

COMMANDS = ["run", "daemon", "serve", "extract", "preview", "check", "status", "demo"]


def refeed(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "refeed", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    result = refeed(command, "--help")
    assert result.returncode == 0
    assert b"usage: refeed " + command.encode() in result.stdout
    assert b"examples:\n  refeed " + command.encode() in result.stdout
    assert b"exit codes:\n  0    done" in result.stdout and b"  75   another run" in result.stdout
    assert f"refeed {command}" in (ROOT / "README.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "sources:\n  - name: a\n    feed: https://x.org/rss\n    bogus: 1\n",
            "sources[0] (name: a).bogus",
        ),
        ("sources:\n  - name: a\n    feed: not-a-url\n", "sources[0] (name: a).feed"),
        ("max_items: -3\n", "max_items"),
        ("schedule: every tuesday\n", "schedule"),
        (
            "sources:\n  - name: a\n    feed: https://x.org/\n  - name: a\n    feed: https://y.org/\n",
            "sources",
        ),
        ("sources: [\n", "config.yaml:"),
    ],
)
def test_bad_config_exits_2_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    for command in ("run", "check"):
        result = refeed(command, "-c", str(tmp_path / "config.yaml"))
        assert result.returncode == 2
        message = result.stderr.decode()
        assert key in message and "config.yaml" in message


def test_missing_config_exits_2(tmp_path: Path) -> None:
    result = refeed("run", "-c", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and b"nope.yaml" in result.stderr


def test_example_config_is_valid() -> None:
    result = refeed("check", "-c", str(ROOT / "config.yaml"))
    assert result.returncode == 0, result.stderr
    assert b"dialog" in result.stdout and b"blog" in result.stdout


def test_extract_prints_the_clean_seed_article() -> None:
    page = (DATA / "ru-seed-page-cp1251.html").read_bytes()
    result = refeed("extract", "--text", "--url", "https://news.example.ru/a.html", stdin=page)
    assert result.returncode == 0
    text = result.stdout.decode("utf-8")
    assert "Назарбаев сообщил о договоренности" in text
    assert "..." not in text and "Поделиться" not in text
    assert len(text.strip().split("\n\n")) == 6


def test_extract_explain_lists_each_removed_block_and_its_rule() -> None:
    page = (DATA / "ru-seed-page-cp1251.html").read_bytes()
    result = refeed(
        "extract", "--text", "--explain", "--url", "https://news.example.ru/a.html", stdin=page
    )
    assert result.returncode == 0
    text, _, explained = result.stdout.decode("utf-8").partition("--- removed:")
    assert "Назарбаев сообщил о договоренности" in text and "Поделиться" not in text
    lines = explained.strip().splitlines()[1:]
    assert any(line.startswith("teaser") and "list of 24 items" in line for line in lines)
    assert any(line.startswith("share") and "Поделиться" in line for line in lines)


def test_extract_takes_the_sources_rules_from_flags() -> None:
    page = b"<html><body><article><p class='x'>Drop me</p><p>Keep me</p></article></body></html>"
    result = refeed("extract", "--text", "--content", "article", "--strip", ".x", stdin=page)
    assert result.stdout.decode().strip() == "Keep me"


def test_extract_html_has_absolute_links(tmp_path: Path) -> None:
    page = (ROOT / "examples" / "site" / "news" / "library-sundays.html").read_bytes()
    result = refeed("extract", "--url", "https://demo.example/news/x.html", stdin=page)
    html = result.stdout.decode()
    assert 'href="https://demo.example/about/' in html
    assert "<script" not in html and 'href="/' not in html


def test_run_exits_1_when_a_source_fails_and_0_when_all_succeed(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "allow_private_networks: true\nsources:\n  - name: dead\n    feed: http://127.0.0.1:9/rss.xml\n",
        encoding="utf-8",
    )
    result = refeed("run", "-c", str(tmp_path / "config.yaml"))
    assert result.returncode == 1
    assert b"dead" in result.stderr
    status = refeed("status", "-c", str(tmp_path / "config.yaml"))
    assert status.returncode == 0
    [row] = [line for line in status.stdout.decode().splitlines() if line.startswith("dead ")]
    assert "127.0.0.1:9" in row and " 1 " in row  # one failure, its error shown
    (tmp_path / "empty.yaml").write_text("sources: []\n", encoding="utf-8")
    assert refeed("run", "-c", str(tmp_path / "empty.yaml")).returncode == 2  # nothing to do


def test_demo_runs_offline_and_writes_feeds(tmp_path: Path) -> None:
    result = refeed("demo", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    names = {p.name for p in (tmp_path / "feeds").iterdir()}
    assert {"demo-news.atom", "demo-news.rss", "demo-news.json", "index.opml"} <= names
    # the config it leaves is the one `refeed serve -c` takes
    assert f"refeed serve -c {tmp_path / 'config.yaml'}" in result.stdout.decode()
    check = refeed("check", "-c", str(tmp_path / "config.yaml"))
    assert check.returncode == 0, check.stderr
    assert f"output:   {tmp_path / 'feeds'}" in check.stdout.decode()


NIGHT_TRAIN = ROOT / "examples" / "site" / "news" / "night-train.html"


def _night_train_feed(site: Site) -> str:
    """A one-item feed on ``site`` whose article is the demo's night-train page."""
    site.add("news/a.html", NIGHT_TRAIN.read_bytes())
    return site.add(
        "rss.xml", rss(site, [("news/a.html", "Night train")]), content_type="application/rss+xml"
    )


def test_json_logs_have_one_line_per_source_with_its_figures(site: Site, tmp_path: Path) -> None:
    feed = _night_train_feed(site)
    (tmp_path / "config.yaml").write_text(
        f"allow_private_networks: true\nsources:\n  - name: news\n    feed: {feed}\n"
        "  - name: dead\n    feed: http://127.0.0.1:9/rss.xml\n",
        encoding="utf-8",
    )
    result = refeed("--log-format", "json", "run", "-c", str(tmp_path / "config.yaml"))
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stderr.decode().splitlines()]
    by_source = {line["source"]: line for line in lines if "source" in line}
    news, dead = by_source["news"], by_source["dead"]
    assert news["level"] == "info" and news["new"] == 1 and news["kept"] == 0
    assert (
        news["bytes"] > len(NIGHT_TRAIN.read_bytes())
        and news["seconds"] >= 0
        and news["error"] is None
    )
    assert dead["level"] == "error" and "127.0.0.1:9" in dead["error"]
    quiet = refeed("-q", "run", "-c", str(tmp_path / "config.yaml"))
    assert b"news:" not in quiet.stderr and b"dead" in quiet.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_daemon_serve_runs_cycles_and_serves_them_in_one_process(
    site: Site, tmp_path: Path
) -> None:
    feed = _night_train_feed(site)
    (tmp_path / "config.yaml").write_text(
        f"allow_private_networks: true\nschedule: 1h\nsources:\n  - name: news\n    feed: {feed}\n",
        encoding="utf-8",
    )
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    process = subprocess.Popen(
        [sys.executable, "-m", "refeed", "daemon", "-c", str(tmp_path / "config.yaml"),
         "--serve", f"127.0.0.1:{port}"],
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        response = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = httpx.get(base + "news.atom")
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 200:
                break
            time.sleep(0.1)
        assert response is not None and response.status_code == 200, "no feed served"
        assert response.headers["content-type"].startswith("application/atom+xml")
        assert len(feedparser.parse(response.content).entries) == 1
        health = httpx.get(base + "healthz")
        assert health.status_code == 200, health.text
        metrics = httpx.get(base + "metrics").text
        assert 'refeed_fetches_total{status="200"} 2.0' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert b"stopped" in stderr


def test_serve_rejects_a_bad_listen_address(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("sources: []\n", encoding="utf-8")
    result = refeed("serve", "-c", str(tmp_path / "config.yaml"), "--listen", "localhost")
    assert result.returncode == 2 and b"HOST:PORT" in result.stderr


def test_daemon_runs_sources_and_stops_cleanly_on_sigterm(site: Site, tmp_path: Path) -> None:
    feed = _night_train_feed(site)
    (tmp_path / "config.yaml").write_text(
        f"allow_private_networks: true\nschedule: 1h\nsources:\n  - name: news\n    feed: {feed}\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "refeed", "daemon", "-c", str(tmp_path / "config.yaml")],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        atom = tmp_path / "feeds" / "news.atom"
        while not atom.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert atom.exists(), "the daemon ran no cycle"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert b"stopped" in stderr
    parsed = feedparser.parse(atom.read_bytes())
    assert parsed.bozo == 0 and len(parsed.entries) == 1


def test_demo_serve_serves_the_demo_feeds_until_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    process = subprocess.Popen(
        [sys.executable, "-m", "refeed", "demo", "--output", str(tmp_path),
         "--serve", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        index = None
        while index is None and time.monotonic() < deadline and process.poll() is None:
            try:
                index = httpx.get(base)
            except httpx.TransportError:
                time.sleep(0.1)
        assert index is not None and index.status_code == 200
        assert "Demo Daily News" in index.text and 'href="demo-news.atom"' in index.text
        atom = httpx.get(base + "demo-news.atom")
        parsed = feedparser.parse(atom.content)
        assert parsed.feed.links[0]["href"] == base + "demo-news.atom"  # base_url is the server
        assert len(parsed.entries) == 5
        article = httpx.get(parsed.entries[0].link)  # the sample site is still up
        assert article.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_run_shows_a_progress_bar_only_on_a_terminal(site: Site, tmp_path: Path) -> None:
    feed = _night_train_feed(site)
    (tmp_path / "config.yaml").write_text(
        f"allow_private_networks: true\nsources:\n  - name: one\n    feed: {feed}\n"
        f"  - name: two\n    feed: {feed}\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "refeed", "-q", "run", "-c", str(tmp_path / "config.yaml")]
    leader, follower = os.openpty()
    process = subprocess.Popen(command, stdout=follower, stderr=subprocess.DEVNULL)
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the terminal's other end closed
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0
    assert "━".encode() in screen and b"\x1b[" in screen  # a bar, drawn with escapes
    piped = refeed("-q", "run", "-c", str(tmp_path / "config.yaml"))
    assert piped.returncode == 0 and piped.stdout == b""


def test_errors_a_new_user_meets_say_what_to_do(tmp_path: Path) -> None:
    empty = tmp_path / "config.yaml"
    empty.write_text("sources: []\n", encoding="utf-8")
    checked = refeed("check", "-c", str(empty))
    assert (
        checked.returncode == 2
        and b"there are no sources; add one under 'sources:'" in checked.stderr
    )
    missing = refeed("extract", str(tmp_path / "missing.html"))
    assert missing.returncode == 1 and b"Traceback" not in missing.stderr
    assert missing.stderr.strip().endswith(b"missing.html: No such file or directory")
    schemeless = refeed("preview", "example.org/news/1")
    assert schemeless.returncode == 1
    assert b"give its scheme, e.g. refeed preview https://example.org/news/1" in schemeless.stderr


def test_a_reader_that_stops_reading_gets_no_traceback() -> None:
    result = subprocess.run(
        f"{sys.executable} -m refeed check -c {ROOT / 'config.yaml'} | head -1",
        shell=True, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.stdout.startswith(b"config:") and b"Traceback" not in result.stderr


def test_global_options_work_after_the_command_too(tmp_path: Path) -> None:
    quiet = refeed("check", "-q", "-c", str(ROOT / "config.yaml"))
    assert quiet.returncode == 0 and b"config OK" in quiet.stdout
    json_logs = refeed("run", "--log-format", "json", "-c", str(tmp_path / "none.yaml"))
    assert json_logs.returncode == 2  # parsed (then the missing config is the error)


def test_status_shows_the_whole_error_without_repeating_the_source(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "allow_private_networks: true\nsources:\n  - name: dead\n    feed: http://127.0.0.1:9/rss.xml\n",
        encoding="utf-8",
    )
    refeed("run", "-c", str(tmp_path / "config.yaml"))
    status = refeed("status", "-c", str(tmp_path / "config.yaml")).stdout.decode()
    [row] = [line for line in status.splitlines() if line.startswith("dead ")]
    assert row.rstrip().endswith(
        "<http://127.0.0.1:9/rss.xml>: cannot connect to 127.0.0.1:9: Connection refused"
    )
    assert row.count("dead") == 1
