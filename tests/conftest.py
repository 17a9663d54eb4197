"""A real HTTP server on 127.0.0.1 serving programmable routes, for the network path."""

from __future__ import annotations

import hashlib
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from refeed.config import Config, SourceConfig
from refeed.httpd import ServeLimits, make_server
from refeed.metrics import Metrics
from refeed.serve import create_app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SITE = ROOT / "examples" / "site"


@dataclass
class Route:
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True  # send an ETag and answer If-None-Match with 304


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    status: int


class Site:
    """Routes by path; every request is recorded in ``hits``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.peak: dict[str, int] = {}  # most requests answered at once, by path ("*": all)
        self._in_flight: dict[str, int] = {}
        self.base = ""
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")

    def add(self, path: str, body: bytes | str = b"", **kwargs: object) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes["/" + path.lstrip("/")] = Route(data, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    @contextmanager
    def busy(self, path: str) -> Iterator[None]:
        """Count one request being answered: ``peak`` is the most ever at once, of each
        path and of all (``"*"``)."""
        with self._lock:
            for key in (path, "*"):
                self._in_flight[key] = self._in_flight.get(key, 0) + 1
                self.peak[key] = max(self.peak.get(key, 0), self._in_flight[key])
        try:
            yield
        finally:
            with self._lock:
                for key in (path, "*"):
                    self._in_flight[key] -= 1


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            with site.busy(path):
                self._answer(site.routes.get(path))

        def _answer(self, route: Route | None) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            if route is None:
                route = Route(b"not found", "text/plain", status=404, etag=False)
            if route.delay:
                time.sleep(route.delay)
            etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
            status = route.status
            if route.etag and status == 200 and headers.get("if-none-match") == etag:
                status = 304
            site.record(Hit(self.path, headers, status))
            self.send_response(status)
            if route.content_type and status != 304:
                self.send_header("Content-Type", route.content_type)
            if route.etag:
                self.send_header("ETag", etag)
            for key, value in route.headers.items():
                self.send_header(key, value)
            body = b"" if status == 304 else route.body
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving_site(host: str = "127.0.0.1") -> Iterator[Site]:
    """A :class:`Site` on *host* (any address of 127.0.0.0/8 is this machine)."""
    site = Site()
    server = ThreadingHTTPServer((host, 0), _handler(site))
    site.base = f"http://{host}:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


# -- the store the tests run on ------------------------------------------------------
#
# ``pytest --store postgresql`` (or REFEED_TEST_STORE=postgresql) runs every test that
# makes its database with test_database() on PostgreSQL; the tests of the store itself
# take the ``any_database`` fixture and run on both in every run. Each session (each
# xdist worker) creates a database of its own, each test a schema in it; the database
# is dropped at the end. Without a server those tests skip, but never where CI=true.

PG_SERVER = os.environ.get("REFEED_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/test")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than there are cores, since many tests wait on child
    processes, sockets and the database rather than compute (at most 4, as --maxprocesses
    says: many tests start worker pools of their own)."""
    return min(4, (os.cpu_count() or 1) + 1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("REFEED_TEST_STORE", "sqlite"),
        help="the database of the tests that make one with test_database() (default sqlite)",
    )


@dataclass
class _TestStore:
    kind: str = "sqlite"  # of test_database(): --store
    postgres: Postgres | None = None  # made at first use
    error: str | None = None  # why there is none
    schemas: dict[Path, str] = field(default_factory=dict)  # of each test's tmp_path


TEST_STORE = _TestStore()


def pytest_configure(config: pytest.Config) -> None:
    TEST_STORE.kind = config.getoption("--store")


class Postgres:
    """A database of this test session on the PostgreSQL server; a schema per test."""

    def __init__(self, server: str) -> None:
        import psycopg

        self.server = server
        self.name = f"refeed_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self._count = itertools.count()
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE DATABASE {self.name}")
        self.url = urlunsplit(urlsplit(server)._replace(path="/" + self.name))

    def schema(self) -> str:
        """A URL of a new, empty schema of the database."""
        import psycopg

        name = f"t{next(self._count)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return f"{self.url}?options=-csearch_path%3D{name}"

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def postgres() -> Postgres:
    """This session's database, made at first use; skips (fails where CI=true) if no
    server answers."""
    state = TEST_STORE
    if state.postgres is None and state.error is None:
        try:
            state.postgres = Postgres(PG_SERVER)
        except Exception as exc:  # no server, no psycopg: the reason is shown
            state.error = f"no PostgreSQL at {PG_SERVER}: {type(exc).__name__}: {exc}"
    if state.postgres is None:
        assert state.error is not None
        if os.environ.get("CI") == "true":
            pytest.fail(state.error)
        pytest.skip(state.error)
    return state.postgres


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres() -> Iterator[None]:
    yield
    if TEST_STORE.postgres is not None:
        TEST_STORE.postgres.drop()


def test_database(tmp_path: Path, store: str | None = None) -> Path | str:
    """The database of one test: a file under *tmp_path*, or a new PostgreSQL schema
    (*store*, else the session's ``--store``)."""
    if (store or TEST_STORE.kind) == "postgresql":
        schemas = TEST_STORE.schemas
        if tmp_path not in schemas:  # one test, one database however often it asks
            schemas[tmp_path] = postgres().schema()
        return schemas[tmp_path]
    return tmp_path / "refeed.db"


test_database.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """A new database of each kind, for the tests of the store itself."""
    return test_database(tmp_path, request.param)


@pytest.fixture
def site() -> Iterator[Site]:
    with serving_site() as site:
        yield site


@pytest.fixture
def intranet() -> Iterator[Site]:
    """A second site on another loopback address, standing for a private host."""
    with serving_site("127.0.0.2") as site:
        yield site


def rss(site: Site, items: list[tuple[str, str]], title: str = "Test feed") -> str:
    """An RSS 2.0 teaser feed whose items (path, title) link to pages of ``site``."""
    entries = "".join(
        f"<item><title>{t}</title><link>{site.url(p)}</link><guid>{site.url(p)}</guid>"
        f"<description>Teaser of {t}.</description>"
        f"<pubDate>Mon, {10 + i:02d} Nov 2026 10:00:00 +0000</pubDate></item>"
        for i, (p, t) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>{site.base}</link><description>d</description>"
        f"{entries}</channel></rss>"
    )


def run_refeed(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``refeed ARGS`` as a user runs it: a real process, its text output and exit status."""
    return subprocess.run(
        [sys.executable, "-m", "refeed", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env} if env else None,
    )


def loopback_config(tmp_path: Path, *sources: SourceConfig, **settings: object) -> Config:
    """A config writing under ``tmp_path`` whose sources may reach the loopback ``site``."""
    settings.setdefault("database", test_database(tmp_path))
    return Config(
        output_dir=tmp_path / "feeds",
        allow_private_networks=True,
        sources=sources,
        **settings,  # type: ignore[arg-type]
    )


@dataclass
class Served:
    base: str
    config: Config
    metrics: Metrics
    scheduler: dict[str, bool]

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")


@contextmanager
def serving(
    config: Config,
    metrics: Metrics,
    *,
    with_scheduler: bool = False,
    port: int = 0,
    limits: ServeLimits | None = None,
) -> Iterator[Served]:
    """uvicorn in a thread on a free loopback port, until the block ends."""
    state = {"running": True}
    app = create_app(
        config,
        metrics=metrics,
        scheduler_running=(lambda: state["running"]) if with_scheduler else None,
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    server = make_server(app, "127.0.0.1", port, limits=limits)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield Served(f"http://127.0.0.1:{port}/", config, metrics, state)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
