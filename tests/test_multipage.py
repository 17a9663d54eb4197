"""A story split over pages: its next pages followed and joined, or its single-page version
taken; with site rules or by the page numbers in the pager's addresses."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from conftest import Site, loopback_config, rss
from pages import STORY
from refeed.article import Rules, process
from refeed.config import SourceConfig
from refeed.cycle import run_cycle
from refeed.extract.pagination import first_page_key, page_number
from refeed.siterules import parse_rules

URL = "https://paper.example/news/quay.html"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://p.example/news/quay.html", "https://p.example/news/quay-2.html"),
        ("https://p.example/news/quay/", "https://p.example/news/quay/2/"),
        ("https://p.example/news/quay", "https://p.example/news/quay?page=2"),
        ("https://p.example/news/quay?id=7", "https://p.example/news/quay?page=2&id=7"),
        ("https://p.example/news/quay/", "https://p.example/news/quay/page/2/"),
    ],
)
def test_the_second_page_has_the_first_pages_address_and_number_two(
    first: str, second: str
) -> None:
    assert page_number(first) is None
    assert page_number(second) == (first_page_key(first), 2)


def _page(n: int, *, pager: str = "", head: str = "") -> bytes:
    lines = "".join(f"<p>Page {n}: {p}</p>" for p in STORY)
    return (
        f"<html><head><title>Quay</title>{head}</head><body><article><h1>Quay to be rebuilt</h1>"
        f"<p>The lead every page repeats, about the harbour and its quay.</p>{lines}{pager}"
        "</article></body></html>"
    ).encode()


def test_a_pager_link_to_page_two_and_rel_next_are_found() -> None:
    pager = '<nav class="pages"><a href="quay.html">1</a> <a href="quay-2.html">2</a></nav>'
    assert (
        process(_page(1, pager=pager), url=URL).next_page
        == "https://paper.example/news/quay-2.html"
    )
    head = '<link rel="next" href="https://paper.example/news/quay-2.html">'
    assert (
        process(_page(1, head=head), url=URL).next_page == "https://paper.example/news/quay-2.html"
    )


@pytest.mark.parametrize(
    "pager",
    [
        '<link rel="next" href="/news/harbour-budget.html">',  # the next article
        '<a rel="next" href="/news/quay-3.html">Next</a>',  # not one page on
        '<a href="https://other.example/news/quay-2.html">2</a>',  # another site
        '<a rel="next" href="javascript:location=\'/news/quay-2.html\'">2</a>',  # a script
        '<link rel="next" href="file:///etc/passwd?page=2">',  # no web address
        '<section class="comments"><nav><a href="quay.html?page=2#comments">2</a></nav></section>',
    ],
)
def test_links_that_are_no_next_page_of_the_story_are_not_followed(pager: str) -> None:
    assert process(_page(1, pager=pager), url=URL).next_page is None


def test_site_rules_name_the_single_page_version_where_the_page_holds_a_pager() -> None:
    site = parse_rules(
        "single_page_link: //a[@class='print']/@href\nif_page_contains: //nav[@class='pages']\n",
        "paper.example.txt",
    )
    printable = '<a class="print" href="/print/quay.html">Print</a>'
    pager = '<nav class="pages"><a href="quay-2.html">2</a></nav>'
    found = process(_page(1, pager=printable + pager), url=URL, rules=Rules(site=site))
    assert found.single_page == "https://paper.example/print/quay.html"
    alone = process(_page(1, pager=printable), url=URL, rules=Rules(site=site))
    assert alone.single_page is None  # no pager: the condition does not hold


def _story_site(site: Site, pages: int, *, last_links_back: bool = True) -> str:
    for n in range(1, pages + 1):
        after = f"story-{n + 1}.html" if n < pages else ("story.html" if last_links_back else "")
        pager = f'<nav class="pages"><a href="{after}">{n + 1}</a></nav>' if after else ""
        if n == pages and last_links_back:
            pager = '<nav class="pages"><a rel="next" href="story.html">Next</a></nav>'
        site.add("story.html" if n == 1 else f"story-{n}.html", _page(n, pager=pager))
    return site.add(
        "rss.xml", rss(site, [("story.html", "Quay")]), content_type="application/rss+xml"
    )


def _content(tmp_path: Path) -> str:
    items = json.loads((tmp_path / "feeds" / "news.json").read_bytes())["items"]
    return str(items[0]["content_html"])


def test_refeed_run_joins_a_storys_pages_in_order_once_each(site: Site, tmp_path: Path) -> None:
    feed = _story_site(site, 3)
    [result] = asyncio.run(
        run_cycle(loopback_config(tmp_path, SourceConfig(name="news", feed=feed)))
    )
    assert result.ok
    content = _content(tmp_path)
    starts = [content.index(f"Page {n}: {STORY[0][:30]}") for n in (1, 2, 3)]
    assert starts == sorted(starts)
    assert content.count("The lead every page repeats") == 1
    assert [h.path for h in site.hits].count("/story.html") == 1  # page 3 links back: not again


def test_the_page_cap_and_a_failing_page_end_the_story_there(site: Site, tmp_path: Path) -> None:
    feed = _story_site(site, 4, last_links_back=False)
    source = SourceConfig(name="news", feed=feed, max_pages=2)
    asyncio.run(run_cycle(loopback_config(tmp_path, source)))
    content = _content(tmp_path)
    assert "Page 2:" in content and "Page 3:" not in content
    site.add("story-3.html", b"gone", status=404)
    other = tmp_path / "other"
    asyncio.run(run_cycle(loopback_config(other, SourceConfig(name="news", feed=feed))))
    content = _content(other)
    assert "Page 2:" in content and "Page 3:" not in content and "Page 1:" in content


def test_a_site_rules_single_page_version_is_taken(site: Site, tmp_path: Path) -> None:
    printable = '<a class="print" href="print.html">Print</a>'
    site.add("story.html", _page(1, pager=printable))
    whole = "".join(f"<p>Whole: {p}</p>" for p in STORY * 2)
    site.add("print.html", f"<html><body><article>{whole}</article></body></html>")
    feed = site.add(
        "rss.xml", rss(site, [("story.html", "Quay")]), content_type="application/rss+xml"
    )
    source = SourceConfig(name="news", feed=feed, rules="single_page_link: //a[@class='print']")
    asyncio.run(run_cycle(loopback_config(tmp_path, source)))
    content = _content(tmp_path)
    assert "Whole: " in content and "Page 1:" not in content
