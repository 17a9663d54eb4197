"""Network limits against servers that misbehave on purpose: dripping bodies, redirect chains,
decompression bombs."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator

import brotli
import pytest

from conftest import Site
from refeed import defaults
from refeed.errors import FetchError, TooLargeError
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
    # the deadline covers every attempt: cut at 1 s, though each byte came in time
    assert time.monotonic() - started < 2


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


def _brotli_bomb(size: int) -> bytes:
    compressor = brotli.Compressor(quality=5, lgwin=24)
    zeros = b"\0" * (1 << 20)
    return b"".join(compressor.process(zeros) for _ in range(size >> 20)) + compressor.finish()


def test_a_brotli_bomb_stops_at_the_cap_without_inflating_past_it(site: Site) -> None:
    """256 MiB in under 1 KB: httpx would inflate the whole chunk before the cap is checked."""
    bomb = _brotli_bomb(256 << 20)
    assert len(bomb) < 1000
    url = site.add("bomb", bomb, headers={"Content-Encoding": "br"})

    async def run() -> None:
        async with Fetcher(FAST) as fetcher:
            await fetcher.get(url, max_bytes=1 << 20)

    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError, match="over the 1048576 byte cap"):
            asyncio.run(run())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"peak {peak >> 20} MiB while reading a 1 MiB capped body"


def test_stacked_codings_are_refused_in_one_line(site: Site) -> None:
    layered = gzip.compress(gzip.compress(b"\0" * (16 << 20)))
    url = site.add("stacked", layered, headers={"Content-Encoding": "gzip, gzip"})
    with pytest.raises(FetchError, match=r"stacked content codings \(gzip, gzip\)") as caught:
        get(url)
    assert "\n" not in str(caught.value)
    assert len(site.hits) == 1  # a refusal is not retried


def test_only_the_bounded_codings_are_asked_for(site: Site) -> None:
    url = site.add("plain", "<p>x</p>")
    get(url)
    assert site.hits[0].headers["accept-encoding"] == "gzip, deflate, br"


def test_a_compressed_body_is_decoded(site: Site) -> None:
    url = site.add("br", brotli.compress(b"<p>brotli body</p>"), headers={"Content-Encoding": "br"})
    assert get(url).body == b"<p>brotli body</p>"


def test_the_deadline_covers_the_retries_too(site: Site) -> None:
    """Each attempt alone would end within the deadline; together they may not."""
    url = site.add("busy", "busy", status=503, delay=0.7, etag=False)
    started = time.monotonic()
    with pytest.raises(FetchError, match="no complete answer within 1 s"):
        get(url)
    assert time.monotonic() - started < 1.5
