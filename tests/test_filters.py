"""Item filters (keep, block, drop_stubs): which of a source's items are published."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from conftest import Site, loopback_config, run_refeed
from refeed.config import SourceConfig
from refeed.cycle import run_cycle
from refeed.filters import compile_filter, dropped_by
from refeed.models import Item

NOW = datetime(2026, 11, 20, tzinfo=UTC)
STORY = "The harbour board met on Tuesday to discuss the new ferry timetable for the winter. "
PAGE = "<html><body><article>" + f"<p>{STORY * 8}</p>" * 6 + "</article></body></html>"


def _item(title: str = "Quay rebuilt", **fields: object) -> Item:
    values: dict[str, object] = {
        "source": "news", "url": "https://paper.example/a.html", "guid": "a", "title": title,
        "content_html": f"<p>{STORY}</p>", "first_seen": NOW, "full_text": True,
    }  # fmt: skip
    values.update(fields)
    return Item(**values)  # type: ignore[arg-type]


def _why(item: Item, keep: list[object] = [], block: list[object] = [], **kw: bool) -> str | None:  # noqa: B006
    return dropped_by(
        item,
        keep=[compile_filter(k) for k in keep],  # type: ignore[arg-type]
        block=[compile_filter(b) for b in block],  # type: ignore[arg-type]
        text=lambda i: i.content_html,
        **kw,
    )


def test_a_bare_expression_is_looked_for_in_every_field() -> None:
    assert _why(_item(), block=["(?i)QUAY"]) == "block filter '(?i)QUAY'"
    assert _why(_item(url="https://paper.example/sponsored/a"), block=["/sponsored/"]) is not None
    assert _why(_item(categories=("Opinion",)), block=["^Opinion$"]) is not None
    assert _why(_item(), block=["ferry timetable"]) is not None  # the story's text
    assert _why(_item(), block=["(?i)lottery"]) is None


def test_a_mapping_needs_each_of_its_fields_to_match() -> None:
    both = {"title": "Quay", "author": "Lima"}
    assert (
        _why(_item(author="Ana Lima"), block=[both])
        == "block filter {title: 'Quay', author: 'Lima'}"
    )
    assert _why(_item(author="Bo Chen"), block=[both]) is None
    assert _why(_item(), block=[{"text": "ferry"}]) is not None
    assert _why(_item(), block=[{"title": "ferry"}]) is None  # the word is in the text only


def test_keep_filters_let_through_only_what_one_matches_and_block_wins() -> None:
    keep = [{"category": "(?i)^harbour$"}, {"title": "(?i)ferry"}]
    assert _why(_item(categories=("Harbour",)), keep=keep) is None
    assert _why(_item("Ferry times"), keep=keep) is None
    assert _why(_item(), keep=keep) == "no keep filter matched"
    assert _why(_item("Ferry times"), keep=keep, block=["Ferry"]) == "block filter 'Ferry'"


def test_drop_stubs_keeps_out_an_item_whose_page_gave_only_the_teaser() -> None:
    stub = _item(full_text=False, content_html="<p>Subscribe to read the rest.</p>")
    assert _why(stub, drop_stubs=True) is not None and "drop_stubs" in str(
        _why(stub, drop_stubs=True)
    )
    assert _why(stub) is None and _why(_item(), drop_stubs=True) is None


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("(unclosed", "is not a regular expression"),
        ({"headline": "x"}, "'headline' is no item field"),
        ({}, "an empty filter matches everything"),
    ],
)
def test_a_bad_filter_is_a_value_error_naming_it(written: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_filter(written)  # type: ignore[arg-type]


def test_a_bad_filter_in_the_config_is_a_config_error_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "sources:\n  - name: news\n    feed: https://example.org/rss.xml\n"
        "    block: [{title: '(?i)sponsored'}, '(unclosed']\n"
    )
    result = run_refeed("check", "-c", str(config))
    assert result.returncode == 2
    assert (
        "config.yaml:4" in result.stderr
        and "'(unclosed' is not a regular expression" in result.stderr
    )


def _feed(site: Site) -> str:
    items = [("a.html", "Quay rebuilt", "Harbour"), ("b.html", "Sponsored: win a cruise", "Ads"),
             ("c.html", "Ferry times", "Harbour"), ("gone.html", "A stub", "Harbour")]  # fmt: skip
    entries = "".join(
        f"<item><title>{t}</title><link>{site.url(p)}</link><guid>{site.url(p)}</guid>"
        f"<category>{c}</category><description>Teaser of {t}.</description></item>"
        for p, t, c in items
    )
    return site.add(
        "rss.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{site.base}</link>'
        f"<description>d</description>{entries}</channel></rss>",
        content_type="application/rss+xml",
    )


def test_refeed_run_publishes_what_the_filters_let_through_and_says_why(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("a", "b", "c"):
        site.add(f"{name}.html", PAGE.replace("harbour", f"harbour {name}"))
    feed = _feed(site)  # gone.html answers 404: the item is its teaser
    source = SourceConfig(
        name="news", feed=feed, block=({"title": "(?i)^sponsored"},), drop_stubs=True,
        keep=({"category": "Harbour"}, "(?i)cruise"),
    )  # fmt: skip
    config = loopback_config(tmp_path, source)
    with caplog.at_level(logging.INFO, logger="refeed.cycle"):
        [result] = asyncio.run(run_cycle(config))
    assert result.new == 4
    titles = [
        e.title for e in feedparser.parse((tmp_path / "feeds" / "news.atom").read_bytes()).entries
    ]
    assert sorted(titles) == ["Ferry times", "Quay rebuilt"]
    said = caplog.text
    assert (
        "'Sponsored: win a cruise' is not published: block filter {title: '(?i)^sponsored'}" in said
    )
    assert "'A stub' is not published: a stub" in said
    # the filter taken out of the config: the stored item is published, nothing fetched again
    hits = len(site.hits)
    relaxed = loopback_config(tmp_path, SourceConfig(name="news", feed=feed, drop_stubs=True))
    asyncio.run(run_cycle(relaxed))
    titles = [
        e.title for e in feedparser.parse((tmp_path / "feeds" / "news.atom").read_bytes()).entries
    ]
    assert sorted(titles) == ["Ferry times", "Quay rebuilt", "Sponsored: win a cruise"]
    assert not [h for h in site.hits[hits:] if h.path == "/b.html"]


def test_preview_with_a_source_says_what_its_filters_do(site: Site, tmp_path: Path) -> None:
    url = site.add("a.html", PAGE.replace("<article>", "<article><h1>Sponsored: a cruise</h1>"))
    config = tmp_path / "config.yaml"
    config.write_text(
        f"sources:\n  - name: news\n    feed: {site.url('rss.xml')}\n"
        "    allow_private_networks: true\n    block: [{title: '(?i)^sponsored'}]\n"
    )
    shown = run_refeed("preview", url, "-c", str(config), "--source", "news")
    assert shown.returncode == 0, shown.stderr
    assert "Filters: not published: block filter {title: '(?i)^sponsored'}" in shown.stdout
