"""Feed autodiscovery on text, and the messages of a feed: that is a page and a page: that
is a feed (refeed.sources.discover, feed, listing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Site, rss, run_refeed
from refeed.errors import ParseError
from refeed.models import Response
from refeed.sources import parse_feed, parse_listing
from refeed.sources.discover import (
    feed_anchors,
    feed_kind,
    feed_links,
    guessed_feed_urls,
    looks_like_html,
)

HOME = """<!DOCTYPE html><html><head><title>Harbour News</title>
<link rel="stylesheet alternate" type="application/rss+xml" href="/not-a-feed.css">
<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed">
<link rel="alternate" type="application/rss+xml" title="Harbour News" href="feed.xml">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://cdn.example/atom">
<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/2">
<link rel="alternate" hreflang="de" href="/de/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body><p>Today</p></body></html>"""


def test_feed_links_are_the_pages_alternate_feeds_in_order_comment_feeds_last() -> None:
    assert feed_links(HOME, "https://news.example/section/") == [
        "https://news.example/section/feed.xml",
        "https://cdn.example/atom",
        "https://news.example/comments/feed",
    ]


def test_feed_links_resolve_against_the_pages_base_and_skip_repeats() -> None:
    html = (
        '<html><head><base href="https://static.example/blog/">'
        '<link rel="alternate" type="application/feed+json" href="feed.json">'
        '<link rel="alternate" type="application/feed+json" href="feed.json#x"></head></html>'
    )
    assert feed_links(html, "https://news.example/") == ["https://static.example/blog/feed.json"]
    assert feed_links("<html><body><p>no feed</p></body></html>", "https://x.example/") == []
    assert feed_links("", "https://x.example/") == []


def test_feed_anchors_are_same_site_links_that_look_like_a_feed() -> None:
    html = (
        '<html><body><a href="/news/quay.html">Quay</a> <a href="/rss/">RSS</a>'
        '<a href="/export/all.rss">all</a> <a href="https://other.example/feed">Feed</a>'
        '<a href="/about">About our RSS feeds and more</a> <a href="/feeds/main.xml">Get it</a>'
        '<a href="/2026/rssi-wins.html">RSSI</a> <a href="/feedback">Feedback</a>'
        '<a href="/news/x">  atom feed </a></body></html>'
    )
    assert feed_anchors(html, "https://news.example/") == [
        "https://news.example/rss/",
        "https://news.example/export/all.rss",
        "https://news.example/feeds/main.xml",
        "https://news.example/news/x",
    ]


def test_guessed_feed_urls_try_beside_the_page_then_the_sites_root() -> None:
    root = guessed_feed_urls("https://news.example/")
    assert root[:5] == [
        "https://news.example/feed",
        "https://news.example/rss",
        "https://news.example/feed.xml",
        "https://news.example/atom.xml",
        "https://news.example/index.xml",
    ]
    deeper = guessed_feed_urls("https://news.example/world/index.html?page=2")
    assert deeper[0] == "https://news.example/world/feed"
    assert "https://news.example/atom.xml" in deeper and len(deeper) == len(set(deeper))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            '<?xml version="1.0"?>\n<!-- made by hand -->\n<rss version="2.0"><channel/></rss>',
            "RSS",
        ),
        ('\ufeff<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>', "Atom"),
        ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "RSS 1.0"),
        ('{"version": "https://jsonfeed.org/version/1.1", "items": []}', "JSON Feed"),
        ("<!DOCTYPE html><html><body><p>rss</p></body></html>", None),
        ('{"not": "a feed"}', None),
    ],
)
def test_feed_kind_reads_the_root_element(text: str, kind: str | None) -> None:
    assert feed_kind(text) == kind


def test_looks_like_html_by_doctype_root_or_served_type() -> None:
    assert looks_like_html("<!doctype html><title>x</title>")
    assert looks_like_html("<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'/>")
    assert looks_like_html("<section>x</section>", "text/html; charset=utf-8")
    assert not looks_like_html("<rss version='2.0'/>", "text/html")
    assert not looks_like_html("<section>x</section>", "application/xml")


def test_a_feed_url_answering_with_a_page_names_the_feed_it_links() -> None:
    page = Response("https://news.example/", 200, HOME.encode(), "text/html")
    with pytest.raises(ParseError) as caught:
        parse_feed(page)
    assert str(caught.value) == (
        "<https://news.example/>: an HTML page, not a feed; its feed is "
        "https://news.example/feed.xml: use that as feed:"
    )
    bare = b"<html><head><title>Just a\n moment...</title></head><body><p>Hi</p></body></html>"
    with pytest.raises(ParseError) as caught:
        parse_feed(Response("https://news.example/", 200, bare, None))
    assert caught.value.message == (
        "an HTML page ('Just a moment...'), not a feed, and it links no feed: give the feed's"
        " own URL as feed:, or use page: to take the article links on it"
    )


def test_a_page_url_answering_with_a_feed_says_to_use_feed() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
    with pytest.raises(ParseError) as caught:
        parse_listing(Response("https://news.example/rss", 200, body, "text/xml"))
    assert str(caught.value) == (
        "<https://news.example/rss>: a feed (RSS), not a listing page: use feed: instead of page:"
    )


def test_refeed_run_names_the_source_and_the_fix_of_each_mismatch(
    site: Site, tmp_path: Path
) -> None:
    feed = site.add("feed.xml", rss(site, []), content_type="application/rss+xml")
    site.add("", HOME.replace('href="feed.xml"', f'href="{feed}"'))
    config = tmp_path / "config.yaml"
    config.write_text(
        "allow_private_networks: true\nsources:\n"
        f"  - name: news\n    feed: {site.base}\n"
        f"  - name: listing\n    page: {feed}\n",
        encoding="utf-8",
    )
    result = run_refeed("run", "-c", str(config))
    assert result.returncode == 1  # an error, not an empty feed
    lines = [line.removeprefix("ERROR ") for line in result.stderr.splitlines()]
    assert (
        f"news <{site.base}>: an HTML page, not a feed; its feed is {feed}: use that as feed:"
        in lines
    )
    assert (
        f"listing <{feed}>: a feed (RSS), not a listing page: use feed: instead of page:" in lines
    )
    assert not (tmp_path / "feeds" / "listing.atom").exists()
