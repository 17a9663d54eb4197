"""fetch against a real loopback server: conditional GETs, retries, caps, redirects, charsets."""

from __future__ import annotations

import asyncio
import gzip

import pytest

from conftest import Site
from refeed.article import process
from refeed.errors import FetchError, TooLargeError
from refeed.fetch import Fetcher, FetchSettings
from refeed.models import Response

FAST = FetchSettings(
    backoff=0.01, deadline=2.0, read_timeout=1.0, connect_timeout=1.0, allow_private_networks=True
)
RUSSIAN = (
    "Правительство утвердило программу развития региональных аэропортов до 2030 года. "
    "По словам министра транспорта, в ближайшие пять лет будут реконструированы взлётно-"
    "посадочные полосы в двадцати городах, а пассажиропоток должен вырасти почти вдвое. "
    "Финансирование программы разделят между федеральным бюджетом и частными инвесторами."
)


def get(url: str, **kwargs: object) -> Response:
    async def run() -> Response:
        async with Fetcher(FAST) as fetcher:
            return await fetcher.get(url, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(run())


def test_conditional_get_returns_304_with_the_validators(site: Site) -> None:
    url = site.add("a.html", "<p>hello</p>")
    first = get(url)
    assert first.status == 200 and first.validators.etag
    second = get(url, validators=first.validators)
    assert second.not_modified and second.body == b""
    assert second.validators == first.validators
    assert site.hits[-1].headers["if-none-match"] == first.validators.etag


def test_gzip_is_decoded(site: Site) -> None:
    body = b"<p>" + b"compressed " * 1000 + b"</p>"
    url = site.add("z.html", gzip.compress(body), headers={"Content-Encoding": "gzip"})
    assert get(url).body == body


def test_one_retry_on_5xx(site: Site) -> None:
    url = site.add("flaky.html", "down", status=503)

    async def run() -> Response:
        async with Fetcher(FAST) as fetcher:
            task = asyncio.create_task(fetcher.get(url))
            while not site.hits:
                await asyncio.sleep(0.001)
            site.add("flaky.html", "<p>up</p>")
            return await task

    assert asyncio.run(run()).body == b"<p>up</p>"
    assert [h.status for h in site.hits] == [503, 200]


def test_http_error_names_the_status_and_url(site: Site) -> None:
    url = site.add("gone.html", "gone", status=404)
    with pytest.raises(FetchError) as caught:
        get(url)
    assert caught.value.status == 404 and url in str(caught.value) and "404" in str(caught.value)
    assert len(site.hits) == 1  # a 4xx is not retried


def test_size_cap_stops_the_body(site: Site) -> None:
    url = site.add("big.html", b"x" * 200_000)
    with pytest.raises(TooLargeError):
        get(url, max_bytes=100_000)
    bomb = gzip.compress(b"\0" * 5_000_000)
    url = site.add("bomb.html", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(TooLargeError):
        get(url, max_bytes=1_000_000)


def test_slow_server_hits_the_deadline(site: Site) -> None:
    url = site.add("slow.html", "<p>late</p>", delay=3.0)
    with pytest.raises(FetchError, match=r"timed out|within"):
        get(url)


def test_redirects_are_followed_and_the_final_url_kept(site: Site) -> None:
    final = site.add("final.html", "<p>here</p>")
    start = site.add("start.html", "", status=301, headers={"Location": final}, etag=False)
    response = get(start)
    assert response.url == final and response.body == b"<p>here</p>"


def test_redirect_loop_is_an_error(site: Site) -> None:
    site.add("loop.html", "", status=302, headers={"Location": site.url("loop.html")}, etag=False)
    with pytest.raises(FetchError, match="redirects"):
        get(site.url("loop.html"))


@pytest.mark.parametrize("codec", ["windows-1251", "koi8-r"])
@pytest.mark.parametrize("where", ["header", "meta", "nowhere"])
def test_legacy_cyrillic_pages_decode_over_http(site: Site, codec: str, where: str) -> None:
    meta = f'<meta charset="{codec}">' if where == "meta" else ""
    page = f"<html><head>{meta}<title>t</title></head><body><article><p>{RUSSIAN}</p><p>{RUSSIAN}</p></article></body></html>"
    content_type = f"text/html; charset={codec}" if where == "header" else "text/html"
    url = site.add("ru.html", page.encode(codec), content_type=content_type)
    response = get(url)
    article = process(response.body, url=response.url, content_type=response.content_type)
    assert RUSSIAN in article.text


def test_user_agent_and_per_host_limit(site: Site) -> None:
    for i in range(6):
        site.add(f"p{i}.html", "<p>x</p>", delay=0.2)
    settings = FetchSettings(
        user_agent="refeed-test/1", max_per_host=2, backoff=0.01, allow_private_networks=True
    )

    async def run() -> float:
        async with Fetcher(settings) as fetcher:
            started = asyncio.get_running_loop().time()
            await asyncio.gather(*(fetcher.get(site.url(f"p{i}.html")) for i in range(6)))
            return asyncio.get_running_loop().time() - started

    elapsed = asyncio.run(run())
    assert all(h.headers["user-agent"] == "refeed-test/1" for h in site.hits)
    assert elapsed >= 0.6  # six 0.2 s requests, two at a time: three rounds at least


def test_a_refused_connection_names_the_host_the_port_and_the_cause() -> None:
    async def run() -> None:
        async with Fetcher(FetchSettings(allow_private_networks=True, retries=0)) as fetcher:
            await fetcher.get("http://127.0.0.1:9/feed.xml")

    with pytest.raises(FetchError) as caught:
        asyncio.run(run())
    assert caught.value.message == "cannot connect to 127.0.0.1:9: Connection refused"
