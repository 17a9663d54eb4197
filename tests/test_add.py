"""refeed add, import and export against loopback sites (refeed.subscribe)."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from lxml import etree

from conftest import ROOT, Site, rss, run_refeed
from pages import STORY, page
from refeed.cli import main
from refeed.config import load_config
from refeed.configedit import NEW_CONFIG
from refeed.opml import read_opml
from refeed.subscribe import derive_name

HEAD = """# my refeed
allow_private_networks: true    # the test sites are on loopback

sources:
  # the first one
  - name: old
    feed: https://old.example/rss.xml   # keep me
"""
TAIL = """
# --- below: global settings ---
max_items: 5
"""
HEADLINES = (
    "<html><head><title>Harbour front page</title></head><body>"
    '<nav><a href="/about">About the harbour newspaper and its staff</a></nav>'
    '<h2><a href="/news/a.html">Quay to be rebuilt over the next three years</a></h2>'
    '<h2><a href="/news/b.html">Fishermen move to a temporary pontoon for now</a></h2>'
    "</body></html>"
)


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(HEAD + TAIL, encoding="utf-8")
    return path


def _appended(path: Path) -> str:
    """What was added to the HEAD + TAIL config, which must be there unchanged around it."""
    text = path.read_text("utf-8")
    assert text.startswith(HEAD) and text.endswith(TAIL), text
    return text[len(HEAD) : len(text) - len(TAIL)]


def _news_site(site: Site, title: str = "Harbour News") -> str:
    """Two article pages and a feed of them at /feeds/main.xml (not a common path)."""
    site.add("news/a.html", page())
    site.add("news/b.html", page())
    items = [("news/a.html", "Quay to be rebuilt"), ("news/b.html", "Fishermen move")]
    return site.add("feeds/main.xml", rss(site, items, title=title), content_type="text/xml")


def _said(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """refeed's own lines on stderr (the test server may print a reset connection there)."""
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("refeed:")]


def _add(*args: str) -> int:
    return main(["add", *args])


def test_add_a_feed_url_previews_it_and_appends_it_keeping_the_file(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = _news_site(site)
    config = _config(tmp_path)
    assert _add(feed.replace("http://", "feed://"), "-c", str(config)) == 0  # a reader's link
    assert _appended(config) == f"  - name: harbour-news\n    feed: {feed}\n"
    out = capsys.readouterr().out
    assert f"{feed} is a feed (RSS)" in out and '"Harbour News", 2 items' in out
    assert "The first 2 items, as refeed extracts them:" in out
    assert "- Quay to be rebuilt" in out and STORY[0][:60] in out  # the clean text, previewed
    assert [s.name for s in load_config(config).sources] == ["old", "harbour-news"]


def test_add_a_homepage_takes_the_feed_it_links(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = _news_site(site)
    site.add(
        "",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feeds/main.xml">'
        f"</head><body>{HEADLINES}</body></html>",
    )
    config = _config(tmp_path)
    assert _add(site.base, "-c", str(config), "--name", "harbour") == 0
    assert _appended(config) == f"  - name: harbour\n    feed: {feed}\n"
    assert 'links its feed with <link rel="alternate">' in capsys.readouterr().out
    assert "/feed" not in {hit.path for hit in site.hits}  # no path guessed


def test_add_a_homepage_takes_the_first_feed_it_links_and_names_the_others(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = _news_site(site)
    sport = site.add("sport.xml", rss(site, [], title="Sport"), content_type="text/xml")
    site.add(
        "",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feeds/main.xml">'
        '<link rel="alternate" type="application/rss+xml" href="/sport.xml">'
        f"</head><body>{HEADLINES}</body></html>",
    )
    assert _add(site.base, "-c", str(_config(tmp_path)), "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"(it also links {sport}: add one with refeed add URL)" in out
    assert out.endswith(f"    feed: {feed}\n")


def test_add_a_homepage_that_links_its_feed_only_in_the_page(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = _news_site(site)
    footer = '<footer><a href="/feeds/main.xml">RSS</a></footer></body>'
    site.add("", HEADLINES.replace("</body>", footer))
    config = _config(tmp_path)
    assert _add(site.base, "-c", str(config)) == 0
    assert _appended(config) == f"  - name: harbour-news\n    feed: {feed}\n"
    assert f"links its feed in the page: {feed}" in capsys.readouterr().out
    assert "/feed" not in {hit.path for hit in site.hits}  # found before any guess


def test_add_a_homepage_without_a_link_finds_the_feed_at_a_common_path(
    site: Site, tmp_path: Path
) -> None:
    _news_site(site)
    feed = site.add("feed", site.routes["/feeds/main.xml"].body, content_type="application/xml")
    site.add("", HEADLINES)
    config = _config(tmp_path)
    assert _add(site.base, "-c", str(config)) == 0
    assert _appended(config) == f"  - name: harbour-news\n    feed: {feed}\n"


def test_add_a_page_without_any_feed_adds_a_page_source(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _news_site(site)
    listing = site.add("news/", HEADLINES)
    config = _config(tmp_path)
    assert _add(listing, "-c", str(config)) == 0
    assert _appended(config) == f"  - name: harbour-front-page\n    page: {listing}\n"
    out = capsys.readouterr().out
    assert "a page: source" in out and STORY[0][:60] in out
    tried = {hit.path for hit in site.hits}
    assert {"/news/feed", "/feed", "/rss", "/atom.xml", "/index.xml", "/feed.xml"} <= tried
    assert load_config(config).sources[-1].page == listing


def test_a_source_added_by_the_command_line_runs_in_a_cycle(site: Site, tmp_path: Path) -> None:
    _news_site(site)
    site.add(
        "",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feeds/main.xml">'
        f"</head><body>{HEADLINES}</body></html>",
    )
    config = _config(tmp_path)
    added = run_refeed("add", site.base, "-c", str(config))
    assert added.returncode == 0, added.stderr
    assert f"refeed run -c {config} --source harbour-news" in added.stdout
    ran = run_refeed("run", "-c", str(config), "--source", "harbour-news")
    assert ran.returncode == 0, ran.stderr
    feed = feedparser.parse(str(tmp_path / "feeds" / "harbour-news.atom"))
    assert sorted(e.title for e in feed.entries) == ["Fishermen move", "Quay to be rebuilt"]
    assert all(STORY[3] in e.content[0].value for e in feed.entries)  # the full text


def test_add_says_why_the_feed_a_page_links_was_not_taken(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _news_site(site)
    site.add(
        "",
        '<html><head><link rel="alternate" type="application/atom+xml" href="/gone.atom">'
        f"</head><body>{HEADLINES}</body></html>",
    )
    config = _config(tmp_path)
    assert _add(site.base, "-c", str(config), "--name", "front") == 0
    assert _appended(config) == f"  - name: front\n    page: {site.base}\n"
    out = capsys.readouterr().out
    assert f"(the feed it links failed: {site.url('gone.atom')}: HTTP 404 Not Found)" in out


def test_add_refuses_a_duplicate_and_a_page_without_articles(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = _news_site(site)
    config = _config(tmp_path)
    assert _add(feed, "-c", str(config)) == 0
    before = config.read_text("utf-8")
    capsys.readouterr()
    assert _add(feed + "#again", "-c", str(config)) == 1
    assert _said(capsys) == [
        f"refeed: {config}: {feed}#again is already there, as the source 'harbour-news'"
    ]
    site.hits.clear()
    assert _add("https://other.example/rss", "-c", str(config), "--name", "old") == 1
    assert "already named 'old'" in capsys.readouterr().err and not site.hits
    # the same feed's homepage: found, then refused by the feed's own URL
    site.add("", f'<html><head><link rel="alternate" type="application/rss+xml" href="{feed}">')
    assert _add(site.base, "-c", str(config)) == 1
    assert "is already there, as the source 'harbour-news'" in capsys.readouterr().err
    site.add("empty.html", "<html><body><p>Nothing to read here.</p></body></html>")
    assert _add(site.url("empty.html"), "-c", str(config)) == 1
    [said] = _said(capsys)
    assert "found no feed" in said and "links:" in said
    assert config.read_text("utf-8") == before


def test_import_keeps_windows_line_endings(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes((HEAD + TAIL).replace("\n", "\r\n").encode())
    opml = tmp_path / "one.opml"
    opml.write_bytes(
        b'<opml><body><outline text="One" xmlUrl="https://one.example/rss"/></body></opml>'
    )
    assert main(["import", str(opml), "-c", str(config)]) == 0
    added = "  - name: one\n    feed: https://one.example/rss\n"
    assert config.read_bytes() == (HEAD + added + TAIL).replace("\n", "\r\n").encode()


def test_add_dry_run_prints_the_entry_and_writes_nothing(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = _news_site(site)
    config = _config(tmp_path)
    assert _add(feed, "-c", str(config), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "--dry-run: nothing written" in out
    assert out.endswith(f"  - name: harbour-news\n    feed: {feed}\n")
    assert config.read_text("utf-8") == HEAD + TAIL


def test_add_reaches_loopback_only_where_the_config_allows_it(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = _news_site(site)
    config = tmp_path / "new" / "config.yaml"  # none yet: the defaults, so no private address
    assert _add(feed, "-c", str(config)) == 1  # the SSRF guard, as in a cycle
    err = capsys.readouterr().err
    assert "refused to connect to 127.0.0.1" in err and "allow_private_networks" in err
    assert not config.exists() and not site.hits
    config.parent.mkdir()
    config.write_text(f"allow_hosts: [127.0.0.1]\nsources:\n  - name: old\n    feed: {feed}x\n")
    assert _add(feed, "-c", str(config)) == 0  # the host is listed: this source may go there
    assert [s.name for s in load_config(config).sources] == ["old", "harbour-news"]
    assert site.hits


def test_a_config_that_does_not_exist_yet_is_made(tmp_path: Path) -> None:
    """By import here (add would need a public site, which the tests cannot reach: it
    writes by the same code); a URL is taken as it is, not as a template."""
    opml = tmp_path / "one.opml"
    opml.write_bytes(
        b'<opml><body><outline xmlUrl="https://one.example/rss?q=${x}"/></body></opml>'
    )
    config = tmp_path / "new" / "config.yaml"
    assert main(["import", str(opml), "-c", str(config)]) == 0
    text = config.read_text("utf-8")
    assert (
        text == NEW_CONFIG + "sources:\n  - name: one\n    feed: https://one.example/rss?q=$${x}\n"
    )
    assert load_config(config).sources[0].feed == "https://one.example/rss?q=${x}"  # as it was


def test_add_wants_an_http_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _add("example.org/news", "-c", str(tmp_path / "c.yaml")) == 1
    assert "give its scheme, e.g. refeed add https://example.org/news" in capsys.readouterr().err
    assert _add("ftp://example.org/", "-c", str(tmp_path / "c.yaml")) == 1
    assert "not an http(s) URL" in capsys.readouterr().err


def test_names_come_from_the_title_else_the_host_and_are_unique() -> None:
    assert derive_name("BBC News - Home", "https://feeds.bbci.co.uk/news/rss.xml", set()) == (
        "bbc-news"
    )
    assert derive_name("Ars Technica | All", "https://x.example/", {"ars-technica"}) == (
        "ars-technica-2"
    )
    assert derive_name("Новости", "https://www.news.example.ru/rss", set()) == "news-example"
    assert derive_name("Home | Harbour News", "https://x.example/", set()) == "harbour-news"
    assert derive_name("Home", "https://www.harbour.example/", set()) == "harbour"
    assert derive_name(None, "http://127.0.0.1:8000/feed", set()) == "127-0-0-1"
    assert derive_name("Café Olé", "https://x.example/", set()) == "cafe-ole"


OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>My reader</title></head><body>
  <outline text="Tech" title="Tech">
    <outline text="Linux">
      <outline type="rss" text="LWN.net" xmlUrl="https://lwn.net/headlines/rss" htmlUrl="https://lwn.net/"/>
    </outline>
    <outline type="rss" text="Ars Technica - All content" xmlUrl="feed://feeds.arstechnica.com/arstechnica/index"/>
  </outline>
  <outline type="rss" title="The old one" xmlurl="https://old.example/rss.xml"/>
  <outline type="rss" text="LWN again" xmlUrl="https://lwn.net/headlines/rss/"/>
  <outline type="rss" text="Gopher" xmlUrl="gopher://hole.example/1/"/>
  <outline text="Just a site" htmlUrl="https://site.example/"/>
</body></opml>
"""


def test_import_adds_the_nested_feeds_and_says_why_it_skips_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    opml = tmp_path / "subscriptions.opml"
    opml.write_bytes(OPML)
    assert main(["import", str(opml), "-c", str(config)]) == 0
    assert _appended(config) == (
        "  - name: lwn-net\n    feed: https://lwn.net/headlines/rss\n"
        "  - name: ars-technica\n    feed: http://feeds.arstechnica.com/arstechnica/index\n"
    )
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (
        f"2 added to {config}, 4 skipped (1 not an http(s) URL, 1 no feed URL,"
        " 1 already in config.yaml, 1 listed twice)"
    )
    assert "added    lwn-net  https://lwn.net/headlines/rss  (Tech / Linux)" in out
    assert "skipped  https://old.example/rss.xml: already in config.yaml, as 'old'" in out
    assert "skipped  https://lwn.net/headlines/rss/: listed twice, as 'lwn-net'" in out
    assert "skipped  Gopher: not an http(s) URL: gopher://hole.example/1/" in out
    assert "skipped  Just a site: no feed URL" in out
    # once more: everything is there already, and nothing is written
    before = config.read_text("utf-8")
    assert main(["import", str(opml), "-c", str(config), "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("0 would be added")
    assert config.read_text("utf-8") == before


def test_import_refuses_a_file_that_is_not_opml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    bad = tmp_path / "bad.opml"
    bad.write_bytes(b"<opml><body><outline text='a & b'/></body></opml>")
    assert main(["import", str(bad), "-c", str(config)]) == 1
    [said] = _said(capsys)
    assert said.startswith(f"refeed: {bad}:1: not well-formed XML")
    laughs = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 9))
    bad.write_bytes(
        f'<!DOCTYPE opml [<!ENTITY e0 "ha">{laughs}]><opml><body>'
        '<outline text="&e8;" xmlUrl="https://x.example/&e8;"/></body></opml>'.encode()
    )
    assert main(["import", str(bad), "-c", str(config)]) == 1  # refused, not expanded
    assert "not well-formed XML" in capsys.readouterr().err
    bad.write_bytes(b"<rss version='2.0'/>")
    assert main(["import", str(bad), "-c", str(config)]) == 1
    assert "not an OPML file" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "none.opml"), "-c", str(config)]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert config.read_text("utf-8") == HEAD + TAIL


def test_export_writes_the_source_feeds_as_opml_that_import_reads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "sources:\n"
        "  - name: news\n    title: Harbour News\n    feed: https://news.example/rss?token=s3cret\n"
        "  - name: blog\n    page: https://blog.example/\n"
        "  - name: quiet\n    feed: https://off.example/atom.xml\n    enabled: false\n",
        encoding="utf-8",
    )
    assert main(["export", "-c", str(config)]) == 0
    printed = capsys.readouterr().out.encode("utf-8")
    root = etree.fromstring(printed)
    assert root.tag == "opml" and root.get("version") == "2.0"
    outlines = [dict(o.attrib) for o in root.iter("outline")]
    assert outlines == [
        {
            "text": "Harbour News",
            "title": "Harbour News",
            "type": "rss",
            "xmlUrl": "https://news.example/rss?token=***",  # masked, as wherever shown
        },
        {"text": "blog", "title": "blog", "type": "link", "url": "https://blog.example/"},
        {
            "text": "quiet",
            "title": "quiet",
            "type": "rss",
            "xmlUrl": "https://off.example/atom.xml",
        },
    ]
    written = tmp_path / "sources.opml"
    assert main(["export", "-c", str(config), "-o", str(written)]) == 0
    assert written.read_bytes() == printed and capsys.readouterr().out == ""
    # and back: into a config that does not exist yet
    fresh = tmp_path / "fresh" / "config.yaml"
    assert main(["import", str(written), "-c", str(fresh)]) == 0
    sources = load_config(fresh).sources
    assert [(s.name, s.kind, s.url) for s in sources] == [
        ("harbour-news", "feed", "https://news.example/rss?token=***"),
        ("blog", "page", "https://blog.example/"),
        ("quiet", "feed", "https://off.example/atom.xml"),
    ]
    subscriptions, skipped = read_opml(written.read_bytes())
    assert [s.kind for s in subscriptions] == ["feed", "page", "feed"] and skipped == []


def test_export_masks_values_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REFEED_TEST_FEED_PATH", "private-d41d8cd9")
    config = tmp_path / "config.yaml"
    config.write_text(
        "sources:\n  - name: news\n    feed: https://u:pw@news.example/${REFEED_TEST_FEED_PATH}/rss\n",
        encoding="utf-8",
    )
    assert main(["export", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert 'xmlUrl="https://***@news.example/***/rss"' in out
    assert "private-d41d8cd9" not in out and "pw" not in out


@pytest.mark.parametrize("command", ["add", "import", "export"])
def test_the_source_commands_have_help_and_are_in_the_readme(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: refeed {command}" in out and f"examples:\n  refeed {command} " in out
    assert f"- `refeed {command}" in (ROOT / "README.md").read_text("utf-8")


def test_add_writes_a_secret_in_the_url_whole_and_shows_it_masked(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = _news_site(site) + "?token=s3cret"
    config = _config(tmp_path)
    assert _add(feed, "-c", str(config), "--name", "private") == 0
    assert _appended(config) == f"  - name: private\n    feed: {feed}\n"
    captured = capsys.readouterr()
    assert "s3cret" not in captured.out + captured.err
    assert "token=***" in captured.out
