"""uvicorn with the limits a server on an open port needs: the HTTP side of ``refeed serve``.

Plain uvicorn keeps a connection that never sends a request for ever, lets a client trickle
its headers a byte at a time, waits for ever on a client that does not read its answer, and
accepts connections until the process runs out of file descriptors (1,100 idle ones under
the usual limit of 1,024 stopped the server, and under ``daemon --serve`` the cycles too).
:class:`LimitedH11Protocol` closes a connection that has not sent a whole request head
within :attr:`ServeLimits.header_timeout` (from its opening, or from the end of its last
answer), an answer not delivered within :attr:`ServeLimits.request_timeout`, and a new
connection past :attr:`ServeLimits.max_connections` at once; :func:`make_server` raises the
process's soft file limit to its hard one and never allows more connections than half of it.
uvicorn's warnings (one per refused request) are rate-limited by :class:`RateLimit`.

For a public server with many readers, TLS, or limits per client address, put nginx in front
(see the README).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import resource
import socket
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

from refeed import defaults
from refeed.errors import RefeedError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServeLimits:
    max_connections: int = defaults.SERVE_MAX_CONNECTIONS  # open at once; more are closed
    header_timeout: float = defaults.SERVE_HEADER_TIMEOUT  # seconds to send a request head
    request_timeout: float = defaults.SERVE_REQUEST_TIMEOUT  # seconds to take the answer
    keep_alive: int = defaults.SERVE_KEEP_ALIVE  # seconds an idle connection is kept


class _Config(uvicorn.Config):
    limits: ServeLimits = ServeLimits()


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the limits of :class:`ServeLimits` (see module doc)."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.limits = config.limits if isinstance(config, _Config) else ServeLimits()
        self._idle: asyncio.TimerHandle | None = None  # no request head yet
        self._answer: asyncio.TimerHandle | None = None  # the answer not yet taken

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self.logger.warning(
                "refused a connection: %d open at once is the limit", self.limits.max_connections
            )
            _reset(transport)  # frees its file descriptor at once
            return
        self._wait_for_head()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._idle, self._answer):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before and self.cycle is not None:  # a request head has come
            if self._idle is not None:
                self._idle.cancel()
            if self._answer is not None:
                self._answer.cancel()
            self._answer = self.loop.call_later(
                self.limits.request_timeout, self._answer_late, self.cycle
            )

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._wait_for_head()

    def _wait_for_head(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self.loop.call_later(self.limits.header_timeout, self._no_head, self.cycle)

    def _no_head(self, cycle: object) -> None:
        """No whole request head since the connection opened or its last answer ended."""
        self._idle = None
        if self.cycle is cycle and not self.transport.is_closing():
            self.logger.info("closed a connection that sent no whole request in time")
            self.transport.close()  # an answer still being sent has its own deadline

    def _answer_late(self, cycle: object) -> None:
        """The answer is not computed, or not taken by the client (bytes still buffered)."""
        self._answer = None
        unfinished = self.cycle is cycle and not getattr(cycle, "response_complete", True)
        if unfinished or self.transport.get_write_buffer_size() > 0:
            self.logger.info("closed a connection whose answer was not taken in time")
            _reset(self.transport)


def _reset(transport: asyncio.Transport) -> None:
    """Close at once with a reset: what the kernel still holds for the client is dropped
    too (a plain close would go on sending it to a client that reads nothing)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class RateLimit(logging.Filter):
    """At most one record of a message every *interval* seconds; the next one that passes
    says how many were held back."""

    def __init__(self, interval: float = 10.0) -> None:
        super().__init__()
        self.interval = interval
        self._last: dict[str, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{record.msg}"
        now = time.monotonic()
        last, held = self._last.get(key, (float("-inf"), 0))
        if now - last < self.interval:
            self._last[key] = (last, held + 1)
            return False
        self._last[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} (and {held} more like it in {self.interval:g} s)"
        return True


_RATE_LIMIT = RateLimit()


def raise_file_limit() -> int:
    """Raise this process's soft limit of open files to its hard limit; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    return soft


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) to a host and a port."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{value!r} is not HOST:PORT, e.g. 127.0.0.1:8080")
    return host.strip("[]") or "127.0.0.1", int(port)


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound to *host*:*port* and listening, before anything else starts: a busy
    port is one line (:class:`~refeed.errors.RefeedError`), not a traceback after the
    daemon's first cycles."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise RefeedError(
            f"cannot listen on {where}: cannot resolve {host}: {exc.strerror}"
        ) from exc
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind(address)
        sock.listen(defaults.SERVE_BACKLOG)
    except OSError as exc:
        sock.close()
        hint = {
            errno.EADDRINUSE: "; another program (another refeed serve?) listens there: "
            "stop it or choose another HOST:PORT",
            errno.EACCES: "; ports under 1024 need privileges: choose a port such as 8080",
            errno.EADDRNOTAVAIL: "; this machine has no such address",
        }.get(exc.errno or 0, "")
        raise RefeedError(f"cannot listen on {where}: {exc.strerror or exc}{hint}") from exc
    sock.set_inheritable(True)
    return sock


class Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: the caller decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def make_server(
    app: Starlette,
    host: str,
    port: int,
    *,
    access_log: bool = False,
    limits: ServeLimits | None = None,
) -> Server:
    """A uvicorn server for *app* with :class:`ServeLimits` (never more connections than
    half the open-file limit, which is raised first)."""
    limits = limits or ServeLimits()
    most = max(16, raise_file_limit() // 2)
    if limits.max_connections > most:
        limits = ServeLimits(most, limits.header_timeout, limits.request_timeout, limits.keep_alive)
    for name in ("uvicorn.error", __name__):
        logger = logging.getLogger(name)
        if _RATE_LIMIT not in logger.filters:
            logger.addFilter(_RATE_LIMIT)
    config = _Config(
        app,
        host=host,
        port=port,
        http=LimitedH11Protocol,
        log_config=None,
        access_log=access_log,
        lifespan="off",
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=limits.keep_alive,
        limit_concurrency=limits.max_connections + 1,  # the protocol refuses the extra ones
    )
    config.limits = limits
    return Server(config)
