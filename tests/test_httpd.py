"""refeed serve on an open port: idle, slow and too many clients cannot stop it."""

from __future__ import annotations

import logging
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Served, loopback_config, serving
from refeed.httpd import RateLimit, ServeLimits, raise_file_limit
from refeed.metrics import Metrics

LIMITS = ServeLimits(max_connections=6, header_timeout=0.5, request_timeout=1.0, keep_alive=5)
BIG = 32 << 20  # far more than the sockets' buffers hold


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "big.atom").write_bytes(b"<feed>" + b"x" * BIG + b"</feed>")
    with serving(loopback_config(tmp_path), Metrics(), limits=LIMITS) as s:
        yield s


def _connect(served: Served) -> socket.socket:
    port = int(served.base.rsplit(":", 1)[1].strip("/"))
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes *sock* within *seconds* (what it sends is read and dropped)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_a_connection_that_sends_nothing_is_closed(served: Served) -> None:
    with _connect(served) as sock:
        assert _closed_within(sock, 4)


def test_a_request_head_sent_a_byte_at_a_time_is_cut_off(served: Served) -> None:
    with _connect(served) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 4:
            try:
                sock.sendall(b"X")  # a header that never ends, though each byte comes in time
            except OSError:
                closed = True
                break
            sock.settimeout(0.1)
            try:
                if sock.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
        assert closed


def test_an_idle_keep_alive_connection_cannot_trickle_its_next_request(served: Served) -> None:
    with _connect(served) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(2)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")  # begun, never finished
        assert _closed_within(sock, 4)


def test_a_client_that_does_not_read_its_answer_is_dropped(served: Served) -> None:
    with _connect(served) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /big.atom HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n")
        time.sleep(LIMITS.request_timeout + 1.0)  # reads nothing meanwhile
        received, started = 0, time.monotonic()
        sock.settimeout(1)
        try:  # what the kernel still holds, then the end (or a reset)
            while (chunk := sock.recv(1 << 20)) and time.monotonic() - started < 5:
                received += len(chunk)
            cut = not chunk
        except ConnectionResetError:
            cut = True
        except TimeoutError:
            cut = False
        assert cut and received < BIG  # dropped, not kept for a client that stalled


def test_connections_past_the_limit_are_refused_and_the_server_stays_up(served: Served) -> None:
    held = [_connect(served) for _ in range(LIMITS.max_connections)]
    try:
        time.sleep(0.1)
        try:
            extra = _connect(served)
        except ConnectionResetError:
            pass  # reset before the connection was even made: refused at once
        else:
            with extra:
                assert _closed_within(extra, 2)  # refused at once, its descriptor freed
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    assert httpx.get(served.url("/healthz")).status_code == 200


def test_a_repeated_warning_is_logged_once_per_interval() -> None:
    limit = RateLimit(interval=60)
    records = [
        logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1, "refused", None, None)
        for _ in range(1000)
    ]
    passed = [r for r in records if limit.filter(r)]
    assert len(passed) == 1
    other = logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1, "other", None, None)
    assert limit.filter(other)
    limit.interval = 0
    assert limit.filter(records[0]) and "999 more like it" in str(records[0].msg)


def test_the_open_file_limit_is_raised_to_the_hard_one() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no hard limit here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 256), hard))
    try:
        assert raise_file_limit() == hard
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
