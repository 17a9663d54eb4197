"""Re-applying rules to stored items: a source's rules changed are applied to its stored
items at its next cycle, from their kept pages; `refeed reprocess` does it for all of them
now. Neither fetches the pages again."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from conftest import Site, loopback_config, rss, run_refeed
from refeed.config import SourceConfig
from refeed.cycle import run_cycle

STORY = "The harbour board met on Tuesday to discuss the new ferry timetable for the winter. "
PROMO = "Win a weekend on the islands with our reader offer, enter before Sunday midnight. "


def _page(n: int) -> str:
    # each page its own sentences: what recurs on every page is learnt as the template
    lines = [STORY.replace("Tuesday", f"day {n * 10 + i}") * 4 for i in range(6)]
    return (
        f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
        + "".join(f"<p>{line}</p>" for line in lines[:4])
        + f'<div class="offer"><p>{PROMO * 3}</p></div>'
        + "".join(f"<p>{line}</p>" for line in lines[4:])
        + "</article></body></html>"
    )


def _site(site: Site) -> str:
    for n in (1, 2, 3):
        site.add(f"s{n}.html", _page(n))
    return site.add(
        "rss.xml", rss(site, [(f"s{n}.html", f"Story {n}") for n in (1, 2, 3)]),
        content_type="application/rss+xml",
    )  # fmt: skip


def _first_run(site: Site, tmp_path: Path) -> Path:
    """A config file of one source on *site*, after its first `refeed run`."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "allow_private_networks: true\noutput_dir: feeds\ndatabase: refeed.db\n"
        f"sources:\n  - name: news\n    feed: {_site(site)}\n"
    )
    assert run_refeed("run", "-c", str(config)).returncode == 0
    return config


def _contents(tmp_path: Path) -> list[str]:
    items = json.loads((tmp_path / "feeds" / "news.json").read_bytes())["items"]
    return [i["content_html"] for i in items]


def _page_hits(site: Site) -> int:
    return sum(hit.path.startswith("/s") for hit in site.hits)


def test_changed_rules_reach_the_stored_items_at_the_next_cycle(site: Site, tmp_path: Path) -> None:
    feed = _site(site)
    asyncio.run(run_cycle(loopback_config(tmp_path, SourceConfig(name="news", feed=feed))))
    assert all("Win a weekend" in c for c in _contents(tmp_path))
    pages = _page_hits(site)
    ruled = SourceConfig(name="news", feed=feed, rules="strip_id_or_class: offer")
    [result] = asyncio.run(run_cycle(loopback_config(tmp_path, ruled)))
    assert result.ok and result.updated == 3 and result.new == 0
    assert not any("Win a weekend" in c for c in _contents(tmp_path))
    assert _page_hits(site) == pages  # from the kept pages: nothing fetched again
    # the same rules again: nothing to re-extract
    [again] = asyncio.run(run_cycle(loopback_config(tmp_path, ruled)))
    assert again.ok and again.updated == 0 and _page_hits(site) == pages


def test_refeed_reprocess_extracts_every_item_again_without_the_network(
    site: Site, tmp_path: Path
) -> None:
    config = _first_run(site, tmp_path)
    hits = len(site.hits)
    config.write_text(config.read_text() + "    strip: ['.offer']\n")
    done = run_refeed("reprocess", "-c", str(config), "--source", "news")
    assert done.returncode == 0, done.stderr
    assert len(site.hits) == hits  # not even the feed
    contents = _contents(tmp_path)
    assert len(contents) == 3 and not any("Win a weekend" in c for c in contents)
    assert all("discuss the new ferry timetable" in c for c in contents)
    unknown = run_refeed("reprocess", "-c", str(config), "--source", "nope")
    assert unknown.returncode == 2 and "no source named 'nope'" in unknown.stderr


def test_a_rule_that_leaves_no_story_keeps_the_stored_item_and_is_not_retried(
    site: Site, tmp_path: Path
) -> None:
    feed = _site(site)
    asyncio.run(run_cycle(loopback_config(tmp_path, SourceConfig(name="news", feed=feed))))
    before = _contents(tmp_path)
    broken = SourceConfig(name="news", feed=feed, rules="strip: //article")
    asyncio.run(run_cycle(loopback_config(tmp_path, broken)))
    assert _contents(tmp_path) == before  # a rule gone wrong loses nothing published
    [again] = asyncio.run(run_cycle(loopback_config(tmp_path, broken)))
    assert again.updated == 0  # tried once with these rules


def test_refeed_refetch_fetches_the_stored_pages_again_and_a_changed_story_is_an_update(
    site: Site, tmp_path: Path
) -> None:
    config = _first_run(site, tmp_path)
    before = json.loads((tmp_path / "feeds" / "news.json").read_bytes())["items"]
    assert run_refeed("run", "-c", str(config)).returncode == 0  # nothing changed: no page fetched
    pages = _page_hits(site)
    assert pages == 3
    site.add("s2.html", _page(2).replace("discuss the new ferry", "vote on the new ferry"))
    done = run_refeed("refetch", "-c", str(config))
    assert done.returncode == 0, done.stderr
    assert _page_hits(site) == pages + 3  # every stored page, unconditionally
    after = {
        i["id"]: i for i in json.loads((tmp_path / "feeds" / "news.json").read_bytes())["items"]
    }
    for item in before:
        now = after[item["id"]]
        if "s2.html" in item["url"]:
            assert "vote on the new ferry" in now["content_html"]
            assert now["date_modified"] > item.get("date_modified", item["date_published"])
        else:  # the same page: no update, whatever was learnt of the site since
            assert now.get("date_modified") == item.get("date_modified")
