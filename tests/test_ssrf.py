"""The SSRF guard: the address actually dialled must be public unless the config opens it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

import httpcore
import httpx
import pytest

from conftest import Site, rss
from refeed.config import Config, SourceConfig
from refeed.cycle import run_cycle
from refeed.errors import BlockedError
from refeed.fetch import (
    Fetcher,
    FetchSettings,
    GuardedBackend,
    HostPolicy,
    guarded_transport,
    is_public_address,
)
from refeed.models import Response
from refeed.store import Store

FAST = FetchSettings(backoff=0.01, deadline=2.0, read_timeout=1.0, connect_timeout=1.0)


def get(url: str, settings: FetchSettings = FAST, **kwargs: object) -> Response:
    async def run() -> Response:
        async with Fetcher(settings) as fetcher:
            return await fetcher.get(url, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(run())


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # CGNAT
        "100.127.255.254",
        "0.0.0.0",
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:db8::1",
        "not an address",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)
    assert not HostPolicy(allow_private=False).allows("example.com", _ip(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "1.1.1.1"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)


def _ip(address: str) -> object:
    import ipaddress

    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return ipaddress.ip_address("0.0.0.0")


def test_loopback_is_refused_by_default_and_nothing_is_sent(site: Site) -> None:
    url = site.add("secret.html", "<p>internal</p>")
    with pytest.raises(BlockedError) as caught:
        get(url)
    assert "allow_private_networks" in str(caught.value) and url in str(caught.value)
    assert site.hits == []  # refused before connecting, and not retried


def test_allow_private_networks_and_allow_hosts_open_it(site: Site) -> None:
    url = site.add("ok.html", "<p>fine</p>")
    assert get(url, allow_private=True).body == b"<p>fine</p>"
    assert get(url, FetchSettings(allow_private_networks=True)).body == b"<p>fine</p>"
    assert get(url, FetchSettings(allow_hosts=("127.0.0.0/8",))).body == b"<p>fine</p>"
    by_name = url.replace("127.0.0.1", "localhost")
    assert get(by_name, FetchSettings(allow_hosts=("LOCALHOST",))).body == b"<p>fine</p>"
    with pytest.raises(BlockedError):
        get(by_name, FetchSettings(allow_hosts=("example.org", "10.0.0.0/8")))


def test_every_redirect_hop_is_checked(site: Site) -> None:
    inner = site.add("inner.html", "<p>metadata</p>")
    start = site.add("start.html", "", status=302, headers={"Location": inner}, etag=False)
    # the first hop is allowed by name, the second goes to 127.0.0.1 by address
    with pytest.raises(BlockedError, match=r"127\.0\.0\.1"):
        get(start.replace("127.0.0.1", "localhost"), FetchSettings(allow_hosts=("localhost",)))
    assert [h.path for h in site.hits] == ["/start.html"]


@pytest.mark.parametrize(
    "target",
    ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/", "ws://127.0.0.1/x", "WSS://x/"],
)
def test_redirect_to_another_scheme_is_refused(site: Site, target: str) -> None:
    start = site.add("start.html", "", status=302, headers={"Location": target}, etag=False)
    with pytest.raises(BlockedError, match="http and https"):
        get(start, allow_private=True)


def test_only_http_and_https_are_fetched() -> None:
    with pytest.raises(BlockedError, match="http and https"):
        get("file:///etc/passwd", allow_private=True)


class _Recording(httpcore.AsyncNetworkBackend):
    """The real backend, recording the host it is asked to dial."""

    def __init__(self) -> None:
        self.real = httpcore.AnyIOBackend()
        self.dialled: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.dialled.append(host)
        return await self.real.connect_tcp(host, port, timeout=timeout)


class _Rebinding(GuardedBackend):
    """A resolver whose answer changes on every call, as in DNS rebinding."""

    def __init__(self, policy: HostPolicy, inner: httpcore.AsyncNetworkBackend) -> None:
        super().__init__(policy, inner)
        self.answers = [["127.0.0.1"], ["10.9.9.9"], ["169.254.169.254"]]
        self.calls = 0

    async def resolve(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return self.answers.pop(0)


def test_the_checked_address_is_the_one_dialled(site: Site) -> None:
    """Resolve once, dial that address: a second DNS answer is never asked for."""
    site.add("x.html", "<p>x</p>")
    port = site.base.rsplit(":", 1)[1].rstrip("/")
    policy = HostPolicy(allow_private=False, allow_hosts=("127.0.0.0/8",))
    recording = _Recording()
    backend = _Rebinding(policy, recording)
    transport = guarded_transport(policy, httpx.Limits(), backend)

    async def run() -> Response:
        async with Fetcher(FAST, transport=transport) as fetcher:
            return await fetcher.get(f"http://rebind.test:{port}/x.html")

    response = asyncio.run(run())
    assert response.body == b"<p>x</p>"
    assert backend.calls == 1 and recording.dialled == ["127.0.0.1"]
    assert site.hits[0].headers["host"] == f"rebind.test:{port}"


def test_a_name_resolving_to_a_private_address_is_refused(site: Site) -> None:
    policy = HostPolicy(allow_private=False)
    recording = _Recording()
    backend = _Rebinding(policy, recording)
    backend.answers = [["169.254.169.254", "127.0.0.1"]]
    transport = guarded_transport(policy, httpx.Limits(), backend)

    async def run() -> Response:
        async with Fetcher(FAST, transport=transport) as fetcher:
            return await fetcher.get("http://metadata.test/latest/")

    with pytest.raises(BlockedError, match=r"169\.254\.169\.254"):
        asyncio.run(run())
    assert recording.dialled == []


def test_cycle_refuses_a_private_source_unless_it_opts_in(site: Site, tmp_path: Path) -> None:
    site.add("a.html", "<article><p>" + "Story text here. " * 30 + "</p></article>")
    feed = site.add("rss.xml", rss(site, [("a.html", "A")]), content_type="application/rss+xml")
    config = Config(
        output_dir=tmp_path / "feeds",
        database=tmp_path / "refeed.db",
        sources=(
            SourceConfig(name="closed", feed=feed),
            SourceConfig(name="open", feed=feed, allow_private_networks=True),
        ),
    )
    results = {r.name: r for r in asyncio.run(run_cycle(config))}
    assert results["open"].ok and results["open"].new == 1
    assert not results["closed"].ok and "allow_private_networks" in str(results["closed"].error)
    assert not (tmp_path / "feeds" / "closed.atom").exists()
    with Store(config.database) as store:
        assert store.count("open") == 1 and store.count("closed") == 0
        assert "refused" in (store.state("closed").last_error or "")


def test_allow_hosts_opens_a_host_to_its_own_source_only(
    site: Site, intranet: Site, tmp_path: Path
) -> None:
    """A global entry applies to the sources on that host; another source's links and
    redirects to it stay refused, and a source may list hosts of its own."""
    secret = intranet.add(
        "minutes.html", "<article><p>" + "Board minutes, internal. " * 30 + "</p></article>"
    )
    inner = intranet.add("rss.xml", rss(intranet, [("minutes.html", "Minutes")]),
                         content_type="application/rss+xml")  # fmt: skip
    site.add("lure.html", "", status=302, headers={"Location": secret}, etag=False)
    site.add("news.html", "<article><p>" + "Public news of the day. " * 30 + "</p></article>")
    outer = site.add(
        "rss.xml",
        rss(site, [("news.html", "News"), ("lure.html", "Lure"), ("direct", "Direct")]).replace(
            site.url("direct"), secret
        ),
        content_type="application/rss+xml",
    )
    config = Config(
        output_dir=tmp_path / "feeds",
        database=tmp_path / "refeed.db",
        allow_hosts=("127.0.0.2",),  # the intranet, for the sources that live there
        sources=(
            SourceConfig(name="intranet", feed=inner),
            SourceConfig(name="public", feed=outer, allow_hosts=("127.0.0.1",)),
            SourceConfig(name="own", feed=inner, allow_hosts=("127.0.0.2/32",)),
        ),
    )
    results = {r.name: r for r in asyncio.run(run_cycle(config))}
    assert all(r.ok for r in results.values()), [r.error for r in results.values()]
    assert results["intranet"].failed_pages == 0 and results["own"].failed_pages == 0
    assert results["public"].new == 3
    assert results["public"].failed_pages == 2  # refused: the direct link and the redirect
    with Store(config.database) as store:
        public = store.items("public", 10)
        assert all("internal" not in item.content_html for item in public)
        assert "Board minutes, internal" in store.items("intranet", 10)[0].content_html
    assert len([h for h in intranet.hits if h.path == "/minutes.html"]) == 2  # never for "public"


def test_a_shared_allow_list_needs_the_requests_own_host_in_it(site: Site) -> None:
    url = site.add("ok.html", "<p>fine</p>")
    # 127.0.0.1 is listed: its own requests pass; a request to localhost does not
    settings = FetchSettings(allow_hosts=("127.0.0.1",))
    assert get(url, settings).body == b"<p>fine</p>"
    with pytest.raises(BlockedError):
        get(url.replace("127.0.0.1", "localhost"), settings)


@pytest.mark.parametrize(
    "url", ["http://[::1/", "http:///no-host", "http://\u00e4\u00e4..com/", "http://a/\x7f"]
)
def test_a_url_httpx_cannot_use_is_refused_in_one_line(url: str) -> None:
    with pytest.raises(BlockedError, match="not a usable URL") as caught:
        get(url, allow_private=True)
    assert "\n" not in str(caught.value)


def test_a_redirect_to_a_url_httpx_cannot_use_is_refused(site: Site) -> None:
    start = site.add("start.html", "", status=302, headers={"Location": "http://[::1/"}, etag=False)
    with pytest.raises(BlockedError, match="not a usable URL"):
        get(start, allow_private=True)
    assert len(site.hits) == 1  # not retried


def test_an_unusable_item_link_fails_its_item_in_one_line(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site.add("a.html", "<article><p>" + "Story text here. " * 30 + "</p></article>")
    body = rss(site, [("a.html", "A"), ("bad", "Bad")]).replace(site.url("bad"), "http://a/\x7f")
    feed = site.add("rss.xml", body, content_type="application/rss+xml")
    config = Config(
        output_dir=tmp_path / "feeds",
        database=tmp_path / "refeed.db",
        sources=(SourceConfig(name="s", feed=feed, allow_private_networks=True),),
    )
    [result] = asyncio.run(run_cycle(config))
    assert result.ok and result.new == 2 and result.failed_pages == 1
    assert "internal error" not in caplog.text and "Traceback" not in caplog.text
    assert "not a usable URL" in caplog.text


def test_a_storys_next_page_or_single_page_link_to_a_private_host_is_refused(
    site: Site, intranet: Site, tmp_path: Path
) -> None:
    """A page's pager, or a site rule's next_page_link / single_page_link, cannot take
    refeed where the source may not go: each hop goes through the same guard."""
    secret = intranet.add(
        "p2.html", "<article><p>" + "Board minutes, internal. " * 30 + "</p></article>"
    )
    story = "<p>" + "Public news of the day, told at length. " * 30 + "</p>"
    site.add("a.html", f'<article>{story}<a class="next" href="{secret}">Next</a></article>')
    site.add("b.html", f'<article>{story}<a class="all" href="{secret}">All</a></article>')
    feed = site.add(
        "rss.xml", rss(site, [("a.html", "A"), ("b.html", "B")]), content_type="application/rss+xml"
    )
    rules = "next_page_link: //a[@class='next']\nsingle_page_link: //a[@class='all']"
    config = Config(
        output_dir=tmp_path / "feeds",
        database=tmp_path / "refeed.db",
        sources=(SourceConfig(name="public", feed=feed, allow_hosts=("127.0.0.1",), rules=rules),),
    )
    [result] = asyncio.run(run_cycle(config))
    assert result.ok and result.new == 2 and result.failed_pages == 0  # page 1 is the story
    with Store(config.database) as store:
        items = store.items("public", 10)
        assert all("Public news of the day" in i.content_html for i in items)
        assert all("internal" not in i.content_html for i in items)
    assert not [h for h in intranet.hits if h.path == "/p2.html"]
