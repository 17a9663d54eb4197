"""The HTTP server on loopback: a real uvicorn serving feeds a real cycle wrote."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import httpx
import lxml.html
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import SITE, Served, Site, rss, serving
from refeed.config import Config, SourceConfig, parse_schedule
from refeed.cycle import run_cycle
from refeed.metrics import Metrics
from refeed.models import CycleRecord
from refeed.serve import health_problems, max_age, schedule_period
from refeed.store import Store

PAGES = ["harbour-bridge.html", "council-budget.html", "night-train.html"]
IDENTITY = {"Accept-Encoding": "identity"}


def _site_feed(site: Site, pages: list[str] = PAGES) -> str:
    items = [("news/" + name, name.removesuffix(".html").replace("-", " ")) for name in pages]
    for path, _ in items:
        site.add(path, (SITE / "news" / Path(path).name).read_bytes())
    return site.add("rss.xml", rss(site, items), content_type="application/rss+xml")


def _config(tmp_path: Path, feed: str, **extra: object) -> Config:
    return Config(
        output_dir=tmp_path / "feeds",
        database=tmp_path / "refeed.db",
        allow_private_networks=True,
        base_url="https://feeds.example.org/",
        sources=(
            SourceConfig(name="news", feed=feed, schedule="10m"),
            SourceConfig(name="slow", feed=feed, schedule="4h", formats=("atom",)),
        ),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def served(site: Site, tmp_path: Path) -> Iterator[Served]:
    config = _config(tmp_path, _site_feed(site))
    metrics = Metrics()
    results = asyncio.run(run_cycle(config, metrics=metrics))
    assert all(r.ok for r in results)
    with serving(config, metrics, with_scheduler=True) as s:
        yield s


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("news.atom", "application/atom+xml"),
        ("news.rss", "application/rss+xml"),
        ("news.json", "application/feed+json"),
        ("index.opml", "text/x-opml"),
    ],
)
def test_feed_files_are_served_with_their_types(served: Served, name: str, media_type: str) -> None:
    response = httpx.get(served.url(name), headers=IDENTITY)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.content == (served.config.output_dir / name).read_bytes()
    assert int(response.headers["content-length"]) == len(response.content)
    if name.endswith(".json"):
        assert len(json.loads(response.content)["items"]) == 3
    elif name != "index.opml":
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo and len(parsed.entries) == 3


def test_etag_and_last_modified_give_304_until_the_file_changes(served: Served) -> None:
    url = served.url("news.atom")
    first = httpx.get(url, headers=IDENTITY)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and etag.endswith('"')
    again = httpx.get(url, headers={**IDENTITY, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and "cache-control" in again.headers
    assert httpx.get(url, headers={**IDENTITY, "If-Modified-Since": modified}).status_code == 304
    # If-None-Match wins over If-Modified-Since (RFC 9110)
    other = httpx.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": modified})
    assert other.status_code == 200
    # a changed file (as publish writes it: atomically, new mtime) has a new ETag
    path = served.config.output_dir / "news.atom"
    tmp = path.with_name(".news.atom.tmp")
    tmp.write_bytes(path.read_bytes().replace(b"</feed>", b"<!-- changed --></feed>"))
    os.utime(tmp, (time.time() + 5, time.time() + 5))
    tmp.replace(path)
    changed = httpx.get(url, headers={**IDENTITY, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert b"<!-- changed --></feed>" in changed.content
    expected = hashlib.sha256(changed.content).hexdigest()[:32]
    assert changed.headers["etag"] == f'"{expected}"'


def test_gzip_when_asked_with_its_own_etag(served: Served) -> None:
    url = served.url("news.rss")
    plain = (served.config.output_dir / "news.rss").read_bytes()
    with httpx.Client() as client:  # httpx asks for gzip and decodes it
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.content == plain
        assert int(response.headers["content-length"]) < len(plain)
        etag = response.headers["etag"]
        assert etag != httpx.get(url, headers=IDENTITY).headers["etag"]
        again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert again.status_code == 304
    raw = httpx.get(url, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in raw.headers and raw.content == plain
    # the HTML index is compressed by the middleware
    with httpx.stream("GET", served.url("/"), headers={"Accept-Encoding": "gzip"}) as index:
        assert index.headers["content-encoding"] == "gzip"
        assert b"<!doctype html>" in gzip.decompress(b"".join(index.iter_raw()))


def test_head_has_the_headers_and_no_body(served: Served) -> None:
    get = httpx.get(served.url("news.json"), headers=IDENTITY)
    head = httpx.head(served.url("news.json"), headers=IDENTITY)
    assert head.status_code == 200 and head.content == b""
    for key in ("content-type", "content-length", "etag", "last-modified", "cache-control"):
        assert head.headers[key] == get.headers[key]


def test_cache_control_follows_each_sources_schedule(served: Served) -> None:
    def age(name: str) -> str:
        return httpx.get(served.url(name)).headers["cache-control"]

    assert age("news.atom") == "public, max-age=300"  # 10m: half of it
    assert age("slow.atom") == "public, max-age=3600"  # 4h: capped at an hour
    assert age("index.opml") == "public, max-age=300"  # the most frequent source
    assert max_age(schedule_period(parse_schedule("*/30 * * * *"))) == 900
    assert schedule_period(parse_schedule("0 9 * * 1-5")) == timedelta(days=3)  # the weekend
    assert max_age(timedelta(seconds=10)) == 60


def test_nothing_outside_the_feed_files_is_served(served: Served, tmp_path: Path) -> None:
    secret = tmp_path / "secret.atom"
    secret.write_text("<feed>secret</feed>", encoding="utf-8")
    (served.config.output_dir / "link.atom").symlink_to(secret)
    (served.config.output_dir / ".news.atom.tmp").write_text("partial", encoding="utf-8")
    (served.config.output_dir / "notes.txt").write_text("x", encoding="utf-8")
    (served.config.output_dir / "sub.atom").mkdir()
    paths = [
        "refeed.db",
        "../refeed.db",
        "..%2frefeed.db",
        "%2e%2e/secret.atom",
        "..%2fsecret.atom",
        "link.atom",
        ".news.atom.tmp",
        "notes.txt",
        "sub.atom",
        "sub.atom/x",
        "missing.atom",
        "news.ATOM",
        "%00.atom",
    ]
    with httpx.Client(base_url=served.base) as client:
        for path in paths:
            # send the path as written: no client-side normalising of "..", no re-quoting
            request = client.build_request("GET", "/")
            request.url = request.url.copy_with(raw_path=b"/" + path.encode())
            response = client.send(request)
            assert response.status_code == 404, path
            assert b"secret" not in response.content and b"SQLite" not in response.content


def test_index_page_lists_every_feed_with_links_and_errors(served: Served) -> None:
    with Store(served.config.database) as store:
        store.record_run("slow", at=datetime.now(UTC), error="slow: HTTP 503 Service Unavailable")
    response = httpx.get(served.url("/"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert 'href="news.rss"' in page and 'href="news.json"' in page and 'href="slow.atom"' in page
    assert 'href="slow.rss"' not in page  # slow publishes Atom only
    assert "Test feed" in page and "<dd>3</dd>" in page
    assert "Last error: slow: HTTP 503 Service Unavailable" in page
    assert 'href="index.opml"' in page
    assert "<code>https://feeds.example.org/news.atom</code>" in page  # base_url + file name
    # autodiscovery as a reader does it: every <link rel="alternate"> leads to its type
    links = lxml.html.fromstring(response.content).xpath('//head/link[@rel="alternate"]')
    assert len(links) == 4  # news: atom, rss, json; slow: atom
    for link in links:
        feed = httpx.get(served.url(link.get("href")))
        assert feed.status_code == 200
        assert feed.headers["content-type"].split(";")[0] == link.get("type")


def test_healthz_is_200_while_fresh_and_503_with_the_reason(served: Served) -> None:
    ok = httpx.get(served.url("healthz"))
    assert ok.status_code == 200 and ok.text == "ok\n"
    with Store(served.config.database) as store:  # news (every 10m) last succeeded 31 min ago
        store.record_run("news", at=datetime.now(UTC) - timedelta(minutes=31))
    stale = httpx.get(served.url("healthz"))
    assert stale.status_code == 503
    assert "news: stale" in stale.text and "slow" not in stale.text
    with Store(served.config.database) as store:
        store.record_run("news", at=datetime.now(UTC))
    assert httpx.get(served.url("healthz")).status_code == 200
    served.scheduler["running"] = False
    stopped = httpx.get(served.url("healthz"))
    assert stopped.status_code == 503 and "scheduler is not running" in stopped.text


def test_a_broken_source_is_degraded_and_with_a_stale_one_unhealthy(served: Served) -> None:
    with Store(served.config.database) as store:
        store.record_cycle(
            "slow", CycleRecord(listed=0), broken=("0 items this cycle, 3 on average before",),
            at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        )  # fmt: skip
    degraded = httpx.get(served.url("healthz"))
    assert degraded.status_code == 200
    assert degraded.text == (
        "degraded\nslow: broken since 2026-12-01 09:30 UTC: 0 items this cycle, 3 on average before\n"
    )
    with Store(served.config.database) as store:
        store.record_run("news", at=datetime.now(UTC) - timedelta(minutes=31))
    unhealthy = httpx.get(served.url("healthz"))
    assert unhealthy.status_code == 503
    assert unhealthy.text.startswith("unhealthy\nnews: stale")
    assert unhealthy.text.endswith(
        "\nslow: broken since 2026-12-01 09:30 UTC: 0 items this cycle, 3 on average before\n"
    )


def test_health_without_any_run_counts_from_the_start(tmp_path: Path) -> None:
    config = _config(tmp_path, "https://example.org/rss.xml")
    periods = {"news": timedelta(minutes=10), "slow": timedelta(hours=4)}
    now = datetime.now(UTC)
    assert (
        health_problems(config, {}, now=now, started=now - timedelta(minutes=29), periods=periods)
        == []
    )
    [problem] = health_problems(
        config, {}, now=now, started=now - timedelta(minutes=31), periods=periods
    )
    assert problem.startswith("news: stale, last success never")


def _metric(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    raise AssertionError(f"no sample {name} {labels} in /metrics")


def test_metrics_count_the_cycle(served: Served) -> None:
    response = httpx.get(served.url("metrics"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    # two sources read the same feed, then each fetches the three pages
    assert _metric(text, "refeed_fetches_total", status="200") == 8
    assert _metric(text, "refeed_fetched_bytes_total") > 10_000
    assert _metric(text, "refeed_extraction_seconds_count") == 6
    assert _metric(text, "refeed_items_published_total", source="news") == 3
    assert _metric(text, "refeed_blocks_removed_total", kind="teaser") > 0
    assert _metric(text, "refeed_feed_items", source="slow") == 3
    last = _metric(text, "refeed_last_success_timestamp_seconds", source="news")
    assert abs(last - time.time()) < 120
    # each app has its own registry: a fresh one counted nothing
    other = Metrics()
    assert "refeed_fetches_total{" not in other.exposition().decode()


def test_metrics_count_failed_fetches_by_status(site: Site, tmp_path: Path) -> None:
    site.add("gone.xml", "gone", status=410)
    config = Config(
        output_dir=tmp_path / "feeds",
        database=tmp_path / "db",
        allow_private_networks=True,
        sources=(SourceConfig(name="gone", feed=site.url("gone.xml")),),
    )
    metrics = Metrics()
    [result] = asyncio.run(run_cycle(config, metrics=metrics))
    assert not result.ok
    text = metrics.exposition().decode()
    assert _metric(text, "refeed_fetches_total", status="410") == 1
    assert _metric(text, "refeed_source_runs_total", source="gone", result="error") == 1


def test_many_concurrent_clients_during_a_cycle_get_complete_answers(
    site: Site, tmp_path: Path
) -> None:
    """48 clients, 10 requests each, while a cycle rewrites the feeds under them."""
    feed = _site_feed(site, PAGES[:1])
    config = _config(tmp_path, feed)
    metrics = Metrics()
    asyncio.run(run_cycle(config, metrics=metrics))
    before = (config.output_dir / "news.atom").read_bytes()
    site.add(
        "rss.xml", rss(site, [("news/" + p, p) for p in PAGES]), content_type="application/rss+xml"
    )
    for page in PAGES:
        site.add("news/" + page, (SITE / "news" / page).read_bytes(), delay=0.05)
    names = ["news.atom", "news.rss", "news.json", "index.opml", "slow.atom"]

    async def client(base: str, n: int, seen: list[tuple[str, bytes, str]]) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for round_ in range(10):
                name = names[(n + round_) % len(names)]
                gz = (n + round_) % 2 == 0
                response = await http.get(
                    name, headers={"Accept-Encoding": "gzip" if gz else "identity"}
                )
                assert response.status_code == 200, (name, response.status_code)
                seen.append((name, response.content, response.headers["etag"]))

    async def drive(base: str) -> list[tuple[str, bytes, str]]:
        seen: list[tuple[str, bytes, str]] = []
        cycle = asyncio.to_thread(asyncio.run, run_cycle(config, metrics=metrics))
        await asyncio.gather(cycle, *(client(base, n, seen) for n in range(48)))
        return seen

    with serving(config, metrics) as s:
        seen = asyncio.run(drive(s.base))
    after = (config.output_dir / "news.atom").read_bytes()
    assert after != before and len(seen) == 48 * 10
    for _name, body, etag in seen:  # complete: the bytes are those the ETag names
        assert hashlib.sha256(body).hexdigest()[:32] == etag.strip('"').removesuffix("-gz")
    for name, body in {(name, body) for name, body, _ in seen}:  # and a valid feed
        if name.endswith(".json"):
            assert len(json.loads(body)["items"]) in (1, 3)
        elif name != "index.opml":
            parsed = feedparser.parse(body)
            assert not parsed.bozo, name
            assert len(parsed.entries) in (1, 3)
    atoms = {body for name, body, _ in seen if name == "news.atom"}
    assert atoms <= {before, after}


@pytest.mark.skipif(
    shutil.which("newsboat") is None, reason="no newsboat (apt-get install newsboat)"
)
def test_a_real_feed_reader_subscribes(served: Served, tmp_path: Path) -> None:
    """newsboat, a feed reader from Debian, reads what we serve: full text, gzipped."""
    home = tmp_path / "reader"
    home.mkdir()
    (home / "urls").write_text(served.url("news.atom") + "\n", "utf-8")
    argv = ["newsboat", "-u", str(home / "urls"), "-c", str(home / "cache.db")]
    argv += ["-C", str(home / "config"), "-x", "reload", "print-unread"]
    (home / "config").write_text("", "utf-8")
    env = {**os.environ, "HOME": str(home)}
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3 unread articles"
    with sqlite3.connect(home / "cache.db") as db:
        contents = [row[0] for row in db.execute("SELECT content FROM rss_item")]
    assert len(contents) == 3 and all(len(c) > 500 for c in contents)  # the whole articles
