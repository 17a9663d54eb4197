"""Seeing what refeed keeps: the stored pages, the marked page, the preview pages of
``refeed serve`` (over HTTP, on loopback) and ``refeed preview -c --source``."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import lxml.html
import pytest
import yaml

from conftest import DATA, SITE, Served, Site, loopback_config, rss, run_refeed, serving
from pages import STORY, page
from refeed.article import Rules, process
from refeed.config import Config, SourceConfig
from refeed.cycle import run_cycle
from refeed.explain import explain
from refeed.metrics import Metrics
from refeed.models import CycleRecord, Item
from refeed.preview import item_id
from refeed.serve import CSP, PREVIEW_CSP
from refeed.store import Store

# a page that would run code if anything of it ran: each vector sets a marker
HOSTILE = page(
    "<script>document.title='PWNED'</script>"
    '<img src="x" onerror="document.title=\'PWNED\'" alt="a picture">'
    '<p onclick="alert(1)">An ordinary paragraph with an <a href="javascript:alert(1)">odd'
    " link</a> in it, long enough to stay a part of the story.</p>",
    around='<div class="share-bar">Share on Facebook · Share on X · Email</div>'
    '<section><h3>Read also</h3><ul><li><a href="/a">Minister resigns over rail deal</a></li>'
    '<li><a href="/b">Storm closes the ferry port for a second day</a></li>'
    '<li><a href="/c">Council votes to keep the old library open</a></li></ul></section>',
    head='<style>body{background:red}</style><meta http-equiv="refresh" content="0;url=/x">',
)


def test_a_cycle_keeps_each_items_page_as_fetched(site: Site, tmp_path: Path) -> None:
    article = site.add("news/quay.html", HOSTILE, content_type="text/html; charset=utf-8")
    feed = site.add("rss.xml", rss(site, [("news/quay.html", "Quay")]), content_type="text/xml")
    own = site.add(
        "own.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>x</link>'
        f"<description>d</description><item><title>Own</title><link>{article}</link>"
        f"<description>&lt;p&gt;{STORY[0]}&lt;/p&gt;</description></item></channel></rss>",
        content_type="text/xml",
    )
    config = loopback_config(
        tmp_path,
        SourceConfig(name="news", feed=feed),
        SourceConfig(name="own", feed=own, fetch_pages=False),
    )
    assert all(r.ok for r in asyncio.run(run_cycle(config)))
    with Store(config.database) as store:
        kept = store.page("news", article)
        assert kept is not None
        assert kept.body == HOSTILE and kept.url == article
        assert kept.content_type == "text/html; charset=utf-8"
        assert store.kept_pages("news") == {article}
        assert store.page("own", article) is None  # made of the feed's own content
    # a second cycle gets 304 for the page: the kept one stays
    assert all(r.ok for r in asyncio.run(run_cycle(config)))
    with Store(config.database) as store:
        assert store.page("news", article) == kept


URL = "https://paper.example/2026/11/quay.html"
DEMO_PAGES = sorted(path.name for path in (SITE / "news").glob("*.html"))


@pytest.mark.parametrize(
    ("body", "rules"),
    [
        (HOSTILE, Rules(content="article", strip=(".share-bar",))),
        ((SITE / "news" / "night-train.html").read_bytes(), Rules(strip=("figure",))),
        ((DATA / "ru-seed-page-cp1251.html").read_bytes(), Rules()),
        *(((SITE / "news" / name).read_bytes(), Rules()) for name in DEMO_PAGES),
    ],
)
def test_the_marked_page_comes_with_the_article_a_cycle_makes(body: bytes, rules: Rules) -> None:
    explained = explain(body, url=URL, content_type="text/html", rules=rules)
    plain = process(body, url=URL, content_type="text/html", rules=rules)
    assert explained.article.html == plain.html and explained.article.text == plain.text
    assert explained.article.fingerprints == plain.fingerprints
    assert [dataclasses.replace(r, at=None) for r in explained.article.removals] == list(
        plain.removals
    )
    assert all(r.at is None for r in plain.removals)  # a cycle's removals are not placed
    assert len(explained.unplaced) < len(plain.removals)


def test_the_marked_page_shows_each_removal_in_place_beside_the_same_article() -> None:
    url = URL
    rules = Rules(strip=(".share-bar",))
    explained = explain(HOSTILE, url=url, content_type="text/html", rules=rules)
    plain = process(HOSTILE, url=url, content_type="text/html", rules=rules)
    assert explained.article.html == plain.html
    assert {r.kind for r in plain.removals} >= {"strip", "teaser", "boilerplate"}
    shown = lxml.html.fragment_fromstring(explained.page, create_parent="div")
    marked = shown.xpath("//*[@data-kind]")
    # every removal is placed: an element of the page with its kind and rule and a label
    assert explained.unplaced == ()
    pairs = {(el.get("data-kind"), el.get("data-rule")) for el in marked}
    assert pairs == {(r.kind, r.rule) for r in plain.removals}
    for el in marked:
        assert el.get("class") == "rf-cut"
        label = el.xpath("./span[@class='rf-label'] | ./*/span[@class='rf-label']")[0]
        assert label.text_content().startswith(f"{el.get('data-kind')}: ")
    strip = next(el for el in marked if el.get("data-kind") == "strip")
    assert "Share on Facebook" in strip.text_content()
    teaser = next(el for el in marked if el.get("data-kind") == "teaser")
    assert "Minister resigns over rail deal" in teaser.text_content()
    # in place: the share bar comes after the story's last paragraph, the nav before it
    text = shown.text_content()
    assert text.index("Home") < text.index(STORY[0]) < text.index(STORY[3]) < text.index("Share")
    # the rest of the page is there, the story's own blocks not greyed
    for paragraph in STORY:
        assert paragraph in text and paragraph in explained.published
    assert not shown.xpath("//p[@class='rf-out'][contains(., 'harbour authority')]")
    # nothing that could run or load: no script, handler, javascript: link, style, picture
    for markup in (explained.page, explained.published):
        assert not re.search(r"<script|<style|<img|<meta|\son\w+=|javascript:", markup, re.I)
    assert "PWNED" not in explained.page  # the script's text went with it
    assert "picture: a picture" in explained.page


def test_plain_text_pages_are_shown_with_their_removals_listed() -> None:
    body = f"{STORY[0]}\n\nRead more: Storm closes the ferry port\n{STORY[1]}\n".encode()
    explained = explain(body, url="https://paper.example/t.txt", content_type="text/plain")
    assert STORY[1] in explained.page and STORY[1] in explained.published
    assert explained.unplaced == explained.article.removals


TITLE_XML = "Quay: the &lt;script&gt; element &amp; more"  # as the feed writes it
TITLE = "Quay: the <script> element & more"


def _served_config(site: Site, tmp_path: Path) -> Config:
    paths = ["harbour-bridge.html", "council-budget.html"]
    for name in paths:
        site.add("news/" + name, (SITE / "news" / name).read_bytes())
    site.add("news/quay.html", HOSTILE)
    items = [("news/" + n, n.removesuffix(".html").replace("-", " ")) for n in paths]
    items.append(("news/quay.html", TITLE_XML))
    feed = site.add("rss.xml", rss(site, items), content_type="application/rss+xml")
    return loopback_config(
        tmp_path,
        SourceConfig(name="news", feed=feed, schedule="10m", strip=(".share-bar",)),
        base_url="https://feeds.example.org/",
    )


@pytest.fixture
def previews(site: Site, tmp_path: Path) -> Iterator[Served]:
    config = _served_config(site, tmp_path)
    assert all(r.ok for r in asyncio.run(run_cycle(config)))
    with serving(config, Metrics()) as served:
        yield served


def _item(served: Served, title_start: str) -> Item:
    with Store(served.config.database) as store:
        return next(i for i in store.items("news", 10) if i.title.startswith(title_start))


def test_the_index_and_the_source_page_name_items_next_run_backoff_and_failing_pages(
    previews: Served,
) -> None:
    now = datetime.now(UTC)
    bridge = _item(previews, "harbour")
    with Store(previews.config.database) as store:
        for _ in range(3):  # three failures in a row: the source backs off
            store.record_run("news", at=now, error="news: HTTP 503 Service Unavailable")
        store.page_failed("news", bridge.identity, "HTTP 404 Not Found", now)
        store.record_cycle("news", CycleRecord(listed=0), broken=("empty listing",), at=now)
    index = httpx.get(previews.url("/"))
    assert index.status_code == 200
    doc = lxml.html.fromstring(index.content)
    assert doc.xpath("//a[@class='preview']/@href") == ["preview/news"]
    newest = doc.xpath("//ul[@class='newest']/li/a")
    assert len(newest) == 3 and newest[0].text == TITLE  # escaped
    assert f"preview/news/{item_id(bridge.identity)}" in [a.get("href") for a in newest]
    assert "(backoff after 3 failures in a row)" in doc.xpath("string(//dd[@class='next'])")
    assert "1 page(s) keep failing" in index.text and "HTTP 404 Not Found" in index.text

    source = httpx.get(previews.url("/preview/news"))
    assert source.status_code == 200
    assert source.headers["content-security-policy"] == PREVIEW_CSP
    page_doc = lxml.html.fromstring(source.content)
    rows = page_doc.xpath("//table[@class='items']//a[not(text()='original')]")
    assert rows[0].text == TITLE
    assert len(rows) == 3 and all(a.get("href").startswith("news/") for a in rows)
    assert "backoff after 3 failures" in page_doc.xpath("string(//dd[@class='next'])")
    failing = page_doc.xpath("string(//ul[contains(@class, 'failing')])")
    assert bridge.url in failing and "(1 times): HTTP 404 Not Found" in failing
    assert "Last error: news: HTTP 503 Service Unavailable" in source.text
    assert "full text, page kept" in source.text
    assert page_doc.xpath("string(//p[@id='broken'])").endswith(" UTC: empty listing")
    item = httpx.get(previews.url(f"/preview/news/{item_id(bridge.identity)}"))
    said = lxml.html.fromstring(item.content).xpath("string(//p[@id='failing'])")
    assert said.startswith("The page keeps failing (1 times): HTTP 404 Not Found")


def test_the_item_page_shows_the_article_beside_the_marked_page(previews: Served) -> None:
    quay = _item(previews, "Quay")
    response = httpx.get(previews.url(f"/preview/news/{item_id(quay.identity)}"))
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert csp == PREVIEW_CSP and csp.startswith(CSP) and "script" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    doc = lxml.html.fromstring(response.content)
    assert doc.xpath("string(//h1)") == TITLE
    published = doc.xpath("string(//div[contains(@class, 'published')])")
    assert all(p in published for p in STORY)
    assert "Share on Facebook" not in published
    kinds = {el.get("data-kind"): el for el in doc.xpath("//div[contains(@class,'original')]//*")
             if el.get("data-kind")}  # fmt: skip
    assert {"strip", "teaser"} <= kinds.keys()
    assert kinds["strip"].get("data-rule") == "config strip selector '.share-bar'"
    assert "strip: config strip selector '.share-bar'" in kinds["strip"].text_content()
    assert not doc.xpath("//script | //img | //*[@onerror] | //*[@onclick] | //meta[@http-equiv]")
    assert len(doc.xpath("//style")) == 1  # ours, the one the CSP hash allows
    assert "no-page" not in response.text


def test_an_item_without_a_kept_page_says_so_and_unknown_ones_are_404(previews: Served) -> None:
    bridge = _item(previews, "harbour")
    with Store(previews.config.database) as store:
        store._db.run("DELETE FROM pages WHERE key = ?", (bridge.identity,))
    response = httpx.get(previews.url(f"/preview/news/{item_id(bridge.identity)}"))
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.content)
    assert "The page of this item is not stored" in doc.xpath("string(//p[@id='no-page'])")
    assert "Harbour Bridge reopened" in doc.xpath("string(//div[contains(@class,'published')])")
    assert not doc.xpath("//img") and doc.xpath("//span[@class='rf-pic']")  # loads nothing
    for path in ("/preview/nope", "/preview/news/0123456789abcdef", "/preview/nope/x"):
        assert httpx.get(previews.url(path)).status_code == 404, path


def test_refeed_preview_fetches_as_the_named_source_does(site: Site, tmp_path: Path) -> None:
    url = site.add("news/quay.html", HOSTILE)
    config = tmp_path / "config.yaml"
    sources = [
        {"name": "news", "feed": site.url("rss.xml"), "strip": ".share-bar",
         "headers": {"X-Token": "abc"}, "allow_private_networks": True},
        {"name": "other", "feed": site.url("other.xml")},
    ]  # fmt: skip
    data = {"user_agent": "preview-test/1.0", "sources": sources}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    shown = run_refeed("preview", url, "-c", str(config), "--source", "news", "--explain")
    assert shown.returncode == 0, shown.stderr
    article, removed = shown.stdout.split("--- removed")
    assert STORY[0] in article and "Share on Facebook" not in article
    assert re.search(r"\nstrip +config strip selector '\.share-bar': Share on Facebook", removed)
    hit = site.hits[-1]
    assert hit.headers["user-agent"] == "preview-test/1.0" and hit.headers["x-token"] == "abc"
    # the other source may not reach loopback, and neither may preview without a source
    for args in (["--source", "other", "-c", str(config)], []):
        refused = run_refeed("preview", url, *args)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert "127.0.0.1" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    unknown = run_refeed("preview", url, "-c", str(config), "--source", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "refeed: config error: no source named 'nope' (sources: news, other)"
    )


def test_preview_source_without_c_reads_config_yaml_here(site: Site, tmp_path: Path) -> None:
    url = site.add("news/quay.html", HOSTILE)
    missing = _in(tmp_path, "preview", url, "--source", "news")
    assert missing.returncode == 2 and "there is no config.yaml here" in missing.stderr
    data = {"sources": [{"name": "news", "feed": url, "allow_private_networks": True}]}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    found = _in(tmp_path, "preview", url, "--source", "news")
    assert found.returncode == 0, found.stderr
    assert STORY[0] in found.stdout


def _in(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``refeed ARGS`` run in *cwd*."""
    return subprocess.run(
        [sys.executable, "-m", "refeed", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip
