"""WebSub: the hub is announced in every format and pinged, on loopback, when a feed changes."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import feedparser
import pytest
from lxml import etree

from conftest import SITE, Site, rss
from refeed.config import Config, SourceConfig
from refeed.cycle import run_cycle


class Hub:
    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []
        self.status = 204
        self.url = ""


@pytest.fixture
def hub() -> Iterator[Hub]:
    state = Hub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            assert self.headers["content-type"] == "application/x-www-form-urlencoded"
            state.pings.append(parse_qs(self.rfile.read(length).decode()))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hub"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _config(tmp_path: Path, site: Site, hub: Hub) -> Config:
    site.add("news/a.html", (SITE / "news" / "night-train.html").read_bytes())
    feed = site.add(
        "rss.xml", rss(site, [("news/a.html", "Night train")]), content_type="application/rss+xml"
    )
    return Config(
        output_dir=tmp_path / "feeds",
        database=tmp_path / "refeed.db",
        allow_private_networks=True,
        base_url="https://feeds.example.org/",
        websub_hub=hub.url,
        sources=(SourceConfig(name="news", feed=feed),),
    )


def test_hub_is_announced_and_pinged_only_when_a_feed_changed(
    site: Site, hub: Hub, tmp_path: Path
) -> None:
    config = _config(tmp_path, site, hub)
    [result] = asyncio.run(run_cycle(config))
    assert result.ok
    [ping] = hub.pings
    assert ping["hub.mode"] == ["publish"]
    assert sorted(ping["hub.url"]) == [
        "https://feeds.example.org/news.atom",
        "https://feeds.example.org/news.json",
        "https://feeds.example.org/news.rss",
    ]
    out = tmp_path / "feeds"
    atom = feedparser.parse((out / "news.atom").read_bytes())
    assert {"rel": "hub", "href": hub.url} in [
        {"rel": link["rel"], "href": link["href"]} for link in atom.feed.links
    ]
    channel = etree.fromstring((out / "news.rss").read_bytes()).find("channel")
    assert channel is not None
    hubs = channel.findall("{http://www.w3.org/2005/Atom}link[@rel='hub']")
    assert [h.get("href") for h in hubs] == [hub.url]
    rss_feed = feedparser.parse((out / "news.rss").read_bytes())
    assert not rss_feed.bozo and len(rss_feed.entries) == 1
    assert json.loads((out / "news.json").read_bytes())["hubs"] == [
        {"type": "WebSub", "url": hub.url}
    ]
    # nothing changed: no ping
    [again] = asyncio.run(run_cycle(config))
    assert again.ok and not again.written and len(hub.pings) == 1


def test_a_failing_hub_does_not_fail_the_cycle(site: Site, hub: Hub, tmp_path: Path) -> None:
    hub.status = 500
    [result] = asyncio.run(run_cycle(_config(tmp_path, site, hub)))
    assert result.ok and len(hub.pings) == 1
    assert (tmp_path / "feeds" / "news.atom").exists()


def test_a_worker_pings_the_hub_for_the_source_it_ran(site: Site, hub: Hub, tmp_path: Path) -> None:
    import contextlib

    from conftest import test_database
    from refeed.cycle import fetch_settings
    from refeed.fetch import Fetcher
    from refeed.jobs import Runner
    from refeed.store import Store
    from refeed.workers import Extractor

    config = _config(tmp_path, site, hub).model_copy(
        update={"database": test_database(tmp_path, "postgresql")}
    )

    async def main() -> None:
        extractor = Extractor(workers=1)
        with Store(config.database) as store, contextlib.closing(extractor):
            async with Fetcher(fetch_settings(config)) as fetcher:
                runner = Runner(config, store, fetcher, extractor)
                await runner.run("news", 1)
                await runner.run("news", 2)  # unchanged: no ping

    asyncio.run(main())
    [ping] = hub.pings
    assert "https://feeds.example.org/news.atom" in ping["hub.url"]
