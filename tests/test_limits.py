"""Network limits against servers that misbehave on purpose: dripping bodies, redirect chains."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from conftest import Site
from refeed import defaults
from refeed.errors import FetchError
from refeed.fetch import Fetcher, FetchSettings
from refeed.models import Response

FAST = FetchSettings(
    backoff=0.01, deadline=1.0, read_timeout=5.0, connect_timeout=1.0, allow_private_networks=True
)


@pytest.fixture
def drip() -> Iterator[str]:
    """A server that sends its headers, then one byte every 0.1 s, for 10 s."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n"
                )
                for _ in range(100):
                    if stop.wait(0.1):
                        break
                    try:
                        conn.sendall(b"x")
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    stop.set()
    thread.join()
    server.close()


def get(url: str, settings: FetchSettings = FAST) -> Response:
    async def run() -> Response:
        async with Fetcher(settings) as fetcher:
            return await fetcher.get(url)

    return asyncio.run(run())


def test_a_dripping_server_is_cut_off_by_the_total_deadline(drip: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="within 1 s"):
        get(drip)
    # one try and one retry, each cut at the 1 s deadline, though each byte came in time
    assert time.monotonic() - started < 4


def _chain(site: Site, length: int) -> str:
    site.add(f"r{length}", "<p>arrived</p>")
    for n in range(length - 1, -1, -1):
        site.add(f"r{n}", "", status=302, headers={"Location": site.url(f"r{n + 1}")}, etag=False)
    return site.url("r0")


def test_five_redirects_are_followed_and_a_sixth_is_an_error(site: Site) -> None:
    assert defaults.MAX_REDIRECTS == 5
    assert get(_chain(site, 5)).body == b"<p>arrived</p>"
    site.hits.clear()
    with pytest.raises(FetchError, match="more than 5 redirects") as caught:
        get(_chain(site, 6))
    assert caught.value.status == 310
    assert len(site.hits) == 6  # not retried, and the seventh URL never asked for
