"""Knowing when a source breaks, end to end: a loopback site changes its template between
real cycles; the break shows in the log, `refeed status`, /healthz, /metrics and the index,
and clears when the site comes back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import Served, Site, rss, run_refeed, serving
from pages import STORY
from refeed.config import Config, load_config
from refeed.cycle import SourceResult, run_cycle
from refeed.metrics import Metrics
from refeed.workers import Extractor

FELL_BACK = "4 of the last 5 items fell back to the feed's summary"


def full_page(n: int) -> bytes:
    """The site's usual template: the story in an <article>, its own words on every page."""
    story = "".join(f"<p>In report {n}, {p[0].lower()}{p[1:]}</p>" for p in STORY)
    return (
        f"<html><head><title>Report {n}</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        f"<article><h1>Report {n}</h1>{story}</article><footer>(c) Paper</footer></body></html>"
    ).encode()


def scripted_page(n: int) -> bytes:
    """The new template: the story moved into a script's state, which refeed cannot read."""
    return (
        f"<html><head><title>Report {n}</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav><div id="app"></div>'
        f'<script>window.__STATE__ = {{"story": "{STORY[0]}"}};</script>'
        "<footer>(c) Paper</footer></body></html>"
    ).encode()


class Scenario:
    """A site with a teaser feed, and real cycles over it in one event loop."""

    def __init__(self, site: Site, tmp_path: Path) -> None:
        self.site = site
        self.items: list[tuple[str, str]] = []
        self.feed = site.add("rss.xml", rss(site, []), content_type="application/rss+xml")
        self.config_file = tmp_path / "config.yaml"
        self.config_file.write_text(
            f"output_dir: {tmp_path / 'feeds'}\ndatabase: {tmp_path / 'refeed.db'}\n"
            f"allow_private_networks: true\nsources:\n  - name: news\n    feed: {self.feed}\n",
            encoding="utf-8",
        )
        self.config: Config = load_config(self.config_file)
        self.metrics = Metrics()

    def publish(self, count: int, page: Callable[[int], bytes] = full_page) -> None:
        """*count* new items on the site, their pages of the *page* template."""
        for _ in range(count):
            n = len(self.items) + 1
            path = f"news/{n}.html"
            self.site.add(path, page(n))
            self.items.insert(0, (path, f"Report {n}"))
        self.site.add("rss.xml", rss(self.site, self.items), content_type="application/rss+xml")

    def restore(self) -> None:
        """The site goes back to its usual template, on every page."""
        for path, _title in self.items:
            self.site.add(path, full_page(int(Path(path).stem)))

    def status_break(self) -> str:
        """The news row's BREAK cell (and what follows it) in `refeed status`."""
        result = run_refeed("status", "-c", str(self.config_file))
        assert result.returncode == 0, result.stderr
        header, *rows = result.stdout.splitlines()
        [row] = [r for r in rows if r.startswith("news ")]
        return row[header.index("BREAK") :]


@pytest.fixture
def scenario(site: Site, tmp_path: Path) -> Iterator[tuple[Scenario, Served]]:
    s = Scenario(site, tmp_path)
    with serving(s.config, s.metrics) as served:
        yield s, served


def _broken_gauge(served: Served) -> float:
    text = httpx.get(served.url("metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "refeed_source_broken" and sample.labels == {"source": "news"}:
                return float(sample.value)
    raise AssertionError("no refeed_source_broken{source=news} in /metrics")


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage()]


def test_a_template_change_is_a_break_until_the_site_recovers(
    scenario: tuple[Scenario, Served], caplog: pytest.LogCaptureFixture
) -> None:
    s, served = scenario
    caplog.set_level(logging.INFO, logger="refeed")
    extractor = Extractor(1)
    with asyncio.Runner() as runner, contextlib.closing(extractor):

        def cycle() -> SourceResult:
            [result] = runner.run(run_cycle(s.config, extractor=extractor, metrics=s.metrics))
            assert result.ok, result.error
            return result

        for _ in range(3):  # its usual: full stories, cycle after cycle
            s.publish(4)
            assert cycle().broken == ()
        assert httpx.get(served.url("healthz")).text == "ok\n"
        assert _broken_gauge(served) == 0

        s.publish(4, scripted_page)  # the site changes its template
        assert cycle().broken == (FELL_BACK,)
        [warning] = _warnings(caplog, "news: its output looks broken")
        assert warning.levelname == "WARNING"
        assert warning.getMessage() == (
            f"news: its output looks broken (has the site changed its template?): {FELL_BACK}"
        )
        s.publish(1, scripted_page)  # still broken: no second warning
        assert cycle().broken == ("5 of the last 5 items fell back to the feed's summary",)
        assert len(_warnings(caplog, "looks broken")) == 1

        health = httpx.get(served.url("healthz"))
        assert health.status_code == 200  # degraded, not down: the other feeds are fine
        assert health.text.startswith("degraded\nnews: broken since ")
        assert health.text.rstrip().endswith(
            ": 5 of the last 5 items fell back to the feed's summary"
        )
        assert _broken_gauge(served) == 1
        index = httpx.get(served.url("/")).text
        assert "Output looks broken since " in index
        assert "5 of the last 5 items fell back to the feed&#x27;s summary" in index
        assert s.status_break().startswith("5 of the last 5 items fell back to the feed's summary")

        s.restore()  # the site's template comes back: its pages are read again
        s.publish(2)
        assert cycle().broken == ()
        [cleared] = _warnings(caplog, "news: its output looks as usual again")
        assert cleared.levelname == "INFO"
        assert httpx.get(served.url("healthz")).text == "ok\n"
        assert _broken_gauge(served) == 0
        assert "looks broken" not in httpx.get(served.url("/")).text
        assert s.status_break().startswith("- ")

        # the listing comes out empty (4, 8, 12 and 19 items before; the broken cycles aside)
        s.site.add("rss.xml", rss(s.site, []), content_type="application/rss+xml")
        assert cycle().broken == ("0 items this cycle, 11 on average before",)
        health = httpx.get(served.url("healthz"))
        assert health.status_code == 200 and "0 items this cycle" in health.text
        s.publish(1)
        assert cycle().broken == ()
        assert httpx.get(served.url("healthz")).text == "ok\n"
        assert len(_warnings(caplog, "looks broken")) == 2
        assert len(_warnings(caplog, "looks as usual again")) == 2
