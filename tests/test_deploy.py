"""deploy/: what can be checked here is checked; a test whose tool is missing skips."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from apscheduler.triggers.cron import CronTrigger

from conftest import ROOT
from refeed.cli import _parser
from refeed.config import Config, SourceConfig, load_config
from refeed.store import Store

DEPLOY = ROOT / "deploy"
UNITS = ["refeed.service", "refeed-run.service", "refeed-run.timer", "refeed-serve.service"]
WORKER_UNIT = "refeed-worker@.service"  # a template: verified as an instance of it
REFEED = Path(sys.executable).with_name("refeed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unit(name: str) -> dict[str, list[str]]:
    """key -> values of a unit file (sections merged: the keys do not clash here)."""
    out: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text("utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_units_verify_without_a_warning(tmp_path: Path) -> None:
    if not REFEED.exists():
        pytest.skip("refeed is not installed as a script next to this Python")
    installed = {**{name: name for name in UNITS}, "refeed-worker@1.service": WORKER_UNIT}
    for name, original in installed.items():  # as installed, with refeed where it can run
        text = (DEPLOY / original).read_text("utf-8")
        text = text.replace("/usr/local/bin/refeed", str(REFEED))
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in installed)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    ours = [line for line in (result.stdout + result.stderr).splitlines() if str(tmp_path) in line]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr


def test_systemd_units_are_hardened_and_run_real_commands() -> None:
    daemon = _unit("refeed.service")
    assert daemon["DynamicUser"] == ["yes"] and daemon["StateDirectory"] == ["refeed"]
    for key in ("ProtectSystem", "ProtectHome", "NoNewPrivileges", "PrivateTmp"):
        assert key in daemon, key
    assert daemon["ProtectSystem"] == ["strict"]
    # the server raises its soft file limit to the hard one: the unit sets both, so the
    # setrlimit call (in the filtered @resources set) is never needed, and would fail, not kill
    assert int(daemon["LimitNOFILE"][0]) >= 16384
    assert daemon["SystemCallErrorNumber"] == ["EPERM"]
    run = _unit("refeed-run.service")
    assert run["Type"] == ["oneshot"] and run["ProtectSystem"] == ["strict"]
    assert _unit("refeed-run.timer")["OnCalendar"] == ["*:00/30"]
    for unit in (daemon, run):
        [command] = unit["ExecStart"]
        argv = shlex.split(command)
        assert argv[0] == "/usr/local/bin/refeed"
        _parser().parse_args(argv[1:])  # exits (SystemExit) on an unknown option
    config = load_config(DEPLOY / "config.systemd.yaml")
    assert config.output_dir == Path("/var/lib/refeed/feeds")
    assert config.database.parent == Path("/var/lib/refeed")


def test_the_cluster_runs_workers_and_serve_on_one_postgresql_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compose = yaml.safe_load((DEPLOY / "compose.cluster.yaml").read_text("utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "worker", "serve"}
    assert services["worker"]["deploy"]["replicas"] == 2
    worker = _parser().parse_args(services["worker"]["command"][1:])
    serve = _parser().parse_args(services["serve"]["command"][1:])
    assert worker.command == "worker" and worker.concurrency >= 1
    assert serve.command == "serve" and serve.listen == "0.0.0.0:8080"
    for name in ("worker", "serve"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "./config.cluster.yaml:/etc/refeed/config.yaml:ro" in services[name]["volumes"]
    monkeypatch.setenv("REFEED_DB_PASSWORD", "s3cret")
    config = load_config(DEPLOY / "config.cluster.yaml")
    assert config.database == "postgresql://refeed:s3cret@postgres:5432/refeed"
    assert config.stores_feeds  # serve needs no shared folder
    for unit in ("refeed-worker@.service", "refeed-serve.service"):
        values = _unit(unit)
        argv = shlex.split(values["ExecStart"][0])
        assert argv[0] == "/usr/local/bin/refeed"
        assert _parser().parse_args(argv[1:]).command in ("worker", "serve")
        assert values["ProtectSystem"] == ["strict"] and values["DynamicUser"] == ["yes"]


def test_crontab_line_is_a_valid_schedule_and_command() -> None:
    [line] = [
        ln for ln in (DEPLOY / "crontab").read_text("utf-8").splitlines() if ln and ln[0] != "#"
    ]
    fields = line.split(maxsplit=5)
    CronTrigger.from_crontab(" ".join(fields[:5]))
    command = fields[5].split("&&")[-1]
    argv = shlex.split(command)
    assert argv[0] == "refeed"
    args = _parser().parse_args(argv[1:])
    assert args.command == "run" and args.quiet


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, rest = line.strip().partition(" ")
            out.append((instruction.upper(), rest.strip()))
    return out


def test_dockerfile_is_slim_non_root_and_its_commands_parse(tmp_path: Path) -> None:
    steps = _dockerfile()
    assert steps[0][0] == "FROM" and steps[0][1].endswith("-slim")
    users = [arg for ins, arg in steps if ins == "USER"]
    assert users and users[-1] not in ("root", "0")
    for instruction, argument in steps:
        if instruction == "RUN":  # each RUN is a valid shell script
            result = subprocess.run(["sh", "-n", "-c", argument], capture_output=True, check=False)
            assert result.returncode == 0, (argument, result.stderr)
    [cmd] = [json.loads(arg) for ins, arg in steps if ins == "CMD"]
    assert cmd[0] == "refeed"
    args = _parser().parse_args(cmd[1:])
    assert args.command == "daemon" and args.serve == "0.0.0.0:8080"
    volumes = json.loads(next(arg for ins, arg in steps if ins == "VOLUME"))
    config = load_config(DEPLOY / "config.docker.yaml")
    assert str(config.output_dir) in volumes and str(config.database.parent) in volumes
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
    mounts = {m.split(":")[1] for m in compose["services"]["refeed"]["volumes"]}
    assert {"/data/feeds", "/data/db", "/etc/refeed/config.yaml"} <= mounts
    assert set(compose["volumes"]) == {"feeds", "db"}
    assert compose["services"]["refeed"]["ulimits"]["nofile"]["soft"] >= 16384


def _healthcheck() -> list[str]:
    [check] = [arg for ins, arg in _dockerfile() if ins == "HEALTHCHECK"]
    argv: list[str] = json.loads(check[check.index("CMD ") + 4 :])
    return argv


def test_docker_healthcheck_command_follows_healthz(tmp_path: Path) -> None:
    """The HEALTHCHECK command, run as the container would, against a real server."""
    from refeed.metrics import Metrics
    from test_serve import serving

    port = _free_port()
    argv = [sys.executable if a == "python" else a for a in _healthcheck()]
    argv = [a.replace("127.0.0.1:8080", f"127.0.0.1:{port}") for a in argv]
    config = Config(
        output_dir=tmp_path / "feeds",
        database=tmp_path / "refeed.db",
        sources=(SourceConfig(name="a", feed="https://example.org/rss", schedule="1m"),),
    )
    with Store(config.database) as store:
        store.record_run("a", at=datetime.now(UTC))
    with serving(config, Metrics(), port=port):
        assert subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode == 0
        with Store(config.database) as store:
            store.record_run("a", at=datetime.now(UTC) - timedelta(hours=1))
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 503
        assert subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode != 0


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """nginx with deploy/nginx-refeed.conf, its root moved to tmp_path; skips without nginx."""
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    snippet = (
        (DEPLOY / "nginx-refeed.conf").read_text("utf-8").replace("/var/lib/refeed", str(tmp_path))
    )
    (tmp_path / "refeed.conf").write_text(snippet, encoding="utf-8")
    port = _free_port()
    (tmp_path / "nginx.conf").write_text(
        # workers run as root when the test does: pytest's tmp_path is private to its user
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/tmp;\n"
        f"  proxy_temp_path {tmp_path}/tmp; fastcgi_temp_path {tmp_path}/tmp;\n"
        f"  uwsgi_temp_path {tmp_path}/tmp; scgi_temp_path {tmp_path}/tmp;\n"
        f"  server {{ listen 127.0.0.1:{port}; include {tmp_path}/refeed.conf; }} }}\n",
        encoding="utf-8",
    )
    conf = ["-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    test = subprocess.run([binary, "-t", *conf], capture_output=True, text=True, check=False)
    assert test.returncode == 0, test.stderr
    process = subprocess.Popen([binary, *conf], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/feeds/", feeds
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_nginx_snippet_serves_feeds_with_types_304_and_nothing_else(
    nginx: tuple[str, Path],
) -> None:
    base, feeds = nginx
    atom = (
        b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        + b"x" * 2000
        + b"</feed>"
    )
    (feeds / "news.atom").write_bytes(atom)
    (feeds / "news.json").write_text('{"version": "https://jsonfeed.org/version/1.1"}', "utf-8")
    (feeds / "index.opml").write_text("<opml/>", "utf-8")
    (feeds / ".news.atom.x.tmp").write_text("partial", "utf-8")
    (feeds.parent / "refeed.db").write_text("db", "utf-8")
    response = httpx.get(base + "news.atom", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200 and response.content == atom
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.headers["cache-control"].startswith("public, max-age=")
    again = httpx.get(base + "news.atom", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert httpx.get(base + "news.json").headers["content-type"].startswith("application/feed+json")
    assert httpx.get(base + "index.opml").headers["content-type"].startswith("text/x-opml")
    gz = httpx.get(base + "news.atom", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and gz.content == atom
    for path in (".news.atom.x.tmp", "../refeed.db", "%2e%2e/refeed.db", "nope.atom"):
        assert httpx.get(base + path).status_code == 404, path
