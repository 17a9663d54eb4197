"""Site rules in the Full-Text RSS format: read, found by host, applied to pages, and
used by `refeed run` and `refeed rules test` against a loopback site."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, Site, loopback_config, rss, run_refeed
from pages import STORY, URL, story_kept
from refeed.article import Rules, process
from refeed.config import SourceConfig
from refeed.cycle import run_cycle
from refeed.errors import ParseError
from refeed.siterules import RuleBook, merge, parse_rules

RULES = DATA / "siterules"


# -- reading the format ------------------------------------------------------------------


def test_every_directive_is_read_with_its_file_and_line() -> None:
    config = parse_rules((RULES / "127.0.0.1.txt").read_text(), "127.0.0.1.txt")
    assert [r.value for r in config.body] == [
        "//div[@id='no-such-box']",
        "//div[@class='story-text']",
    ]
    assert config.body[1].at == "127.0.0.1.txt:6"
    assert config.replace == (('<p class="lede-old">', '<p class="lede">', "127.0.0.1.txt:10"),)
    assert config.header("referer") == "https://referer.example/"
    assert config.tests[0].url == "http://127.0.0.1/story.html"
    assert config.tests[0].contains == ("The ferry will run every hour",)
    assert [str(w) for w in config.warnings] == [
        "127.0.0.1.txt:13: logging in to a site is not supported"
    ]


def test_one_line_replace_string_conditions_and_switches() -> None:
    config = parse_rules(
        'replace_string(<div class="x">): <p>\n'
        "single_page_link: //a[@class='print']\n"
        "if_page_contains: //div[@class='pager']\n"
        "prune: no\nautodetect_on_failure: NO\nskip_json_ld: yes\n"
        "src_lazy_load_attr: data-lazy\n",
        "a.txt",
    )
    assert config.replace == (('<div class="x">', "<p>", "a.txt:1"),)
    [link] = config.single_page_link
    assert [r.value for r in link.if_page_contains] == ["//div[@class='pager']"]
    assert not config.prune and not config.autodetect_on_failure and config.skip_json_ld
    assert config.src_lazy_load_attr == "data-lazy"
    assert config.warnings == ()


@pytest.mark.parametrize(
    ("line", "warning"),
    [
        ("body: //div[", "not an XPath lxml can use"),
        ("teleport: //div", "unknown directive 'teleport'"),
        ("replace_string: x", "replace_string without a find_string before it"),
        ("find_string: x", "find_string without a replace_string after it"),
        ("find_string:", "find_string names nothing to find"),
        ("test_contains: x", "test_contains without a test_url before it"),
        ("prune: maybe", "is not yes or no"),
        ("http_header(x-forwarded-for): 1.2.3.4", "http_header(x-forwarded-for) is not supported"),
        ("requires_login: yes", "logging in to a site is not supported"),
        ("just some words", "not a directive"),
    ],
)
def test_a_line_refeed_cannot_use_is_a_warning_naming_file_and_line(
    line: str, warning: str
) -> None:
    config = parse_rules(f"# a comment\n\nbody: //article\n{line}\n", "site.txt")
    assert [r.value for r in config.body][:1] == ["//article"]
    [found] = config.warnings
    assert found.at == "site.txt:4" and warning in found.message


@settings(max_examples=int(os.environ.get("REFEED_FUZZ_EXAMPLES", "150")), deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=60),
            st.sampled_from(
                ["body: //div", "strip: //p[", "find_string: a", "replace_string: b",
                 "replace_string(a): b", "http_header(cookie): c=1", "if_page_contains: //x",
                 "test_url: http://x", "test_contains: y", "prune: no", "wrap_in(div): //p",
                 "next_page_link: //a/@href", "title: substring-before(//title, ' - ')"]
            ),
        ),
        max_size=30,
    ).map("\n".join)
)  # fmt: skip
def test_any_text_reads_without_an_error(text: str) -> None:
    config = parse_rules(text, "fuzz.txt")
    lines = len(text.splitlines())
    for warning in config.warnings:
        assert warning.at.startswith("fuzz.txt:") and 1 <= int(warning.at.split(":")[1]) <= lines
    for rule in (*config.body, *config.strip, *config.title):
        assert rule.at.startswith("fuzz.txt:")
    assert merge(config, config).body == config.body * 2


# -- finding the file for a host ---------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "served_by"),
    [
        ("example.org", "example.org.txt"),
        ("www.example.org", "example.org.txt"),
        ("news.example.org", ".example.org.txt"),
        ("a.b.example.org", ".example.org.txt"),
        ("127.0.0.1", "127.0.0.1.txt"),
        ("example.com", None),
    ],
)
def test_the_most_specific_file_serves_a_host(host: str, served_by: str | None) -> None:
    found = RuleBook([RULES]).for_host(host)
    assert (found.origin if found else None) == served_by


def test_global_rules_follow_a_sites_own_unless_it_says_no_autodetection() -> None:
    book = RuleBook([RULES])
    news = book.for_url("https://news.example.org/a")
    assert news is not None and [r.value for r in news.strip_id_or_class] == ["global-junk"]
    own = book.for_url("https://example.org/a")  # autodetect_on_failure: no
    assert own is not None and own.strip_id_or_class == ()
    alone = book.for_url("https://elsewhere.example/")
    assert alone is not None and alone.origin == "global.txt"


def test_an_earlier_folder_wins_and_a_changed_file_is_read_again(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "example.org.txt").write_text("body: //section\n")
    book = RuleBook([mine, RULES])
    found = book.for_host("example.org")
    assert found is not None and [r.value for r in found.body] == ["//section"]
    time.sleep(0.01)
    (mine / "example.org.txt").write_text("body: //section[@id='story']\nbody: //section\n")
    found = book.for_host("example.org")
    assert found is not None and len(found.body) == 2


# -- applying rules to a page ------------------------------------------------------------

PAGE = (
    "<html><head><title>Quay | Paper</title></head><body>"
    '<div class="top"><h1 class="headline">Quay to be rebuilt</h1>'
    '<span class="writer">Ana Lima</span><time class="stamp" datetime="2026-11-20T08:00:00Z">'
    "Friday</time></div>"
    '<div class="layout"><div class="story-text"><p class="lede-old">{0}</p><p>{1}</p>'
    '<div class="promo-box"><p>Subscribe to the Paper for unlimited stories and our daily '
    "newsletter, every morning in your inbox, for one euro the first month.</p></div>"
    '<div class="share-tools">Share this story</div><p>{2}</p><p>{3}</p>'
    "<h3>Read also</h3><ul>"
    + "".join(
        f'<li><a href="/n/{i}.html">Other headline number {i} of the day</a></li>' for i in range(5)
    )
    + "</ul></div>"
    '<div class="comments"><p>{0}</p></div></div></body></html>'
).format(*STORY)


def test_a_site_rule_chooses_the_story_and_refeed_still_cleans_it() -> None:
    site = RuleBook([RULES]).for_url("http://127.0.0.1/story.html")
    article = process(PAGE.encode(), url="http://127.0.0.1/story.html", rules=Rules(site=site))
    assert story_kept(article.text)
    assert article.text.count(STORY[0]) == 1  # not the comment that quotes it
    assert "Subscribe to the Paper" not in article.text and "Share this story" not in article.text
    assert "Other headline number" not in article.text  # teasers inside the body still go
    assert 'class="lede"' not in article.html  # classes never reach the feed
    assert article.chosen_by == "site rule 127.0.0.1.txt:6 body: //div[@class='story-text']"
    rules = {(r.kind, r.rule) for r in article.removals}
    assert ("site-rule", "127.0.0.1.txt:7 strip: //div[@class='promo-box']") in rules
    assert ("site-rule", "127.0.0.1.txt:8 strip_id_or_class: share-tools") in rules
    assert article.title == "Quay to be rebuilt" and article.author == "Ana Lima"
    assert article.published is not None and article.published.day == 20


def test_find_and_replace_edits_the_page_before_it_is_read() -> None:
    site = parse_rules("find_string: Teaser:\nreplace_string: Story:\n", "x.txt")
    page = (
        f"<html><body><article><p>Teaser: {STORY[0]}</p><p>{STORY[1]}</p></article></body></html>"
    )
    article = process(page.encode(), url=URL, rules=Rules(site=site))
    assert article.text.startswith("Story: ")


def test_a_body_that_matches_nothing_falls_back_to_automatic_extraction() -> None:
    site = parse_rules("body: //div[@id='gone']\n", "x.txt")
    page = (
        "<html><body><article>" + "".join(f"<p>{p}</p>" for p in STORY) + "</article></body></html>"
    )
    article = process(page.encode(), url=URL, rules=Rules(site=site))
    assert story_kept(article.text) and article.chosen_by is None


def test_no_autodetection_makes_a_failed_body_a_clear_error() -> None:
    site = parse_rules("body: //div[@id='gone']\nautodetect_on_failure: no\n", "strict.txt")
    page = (
        "<html><body><article>" + "".join(f"<p>{p}</p>" for p in STORY) + "</article></body></html>"
    )
    with pytest.raises(ParseError, match=r"site rules strict\.txt: no body XPath matched"):
        process(page.encode(), url=URL, rules=Rules(site=site))


def test_several_matches_of_a_body_xpath_are_joined_in_order() -> None:
    site = parse_rules("body: //div[@class='part']\n", "x.txt")
    parts = "".join(f'<div class="part"><p>{p}</p></div><div class="ad">Ad</div>' for p in STORY)
    article = process(
        f"<html><body>{parts}</body></html>".encode(), url=URL, rules=Rules(site=site)
    )
    assert article.text.split("\n\n") == STORY


# -- refeed run and refeed rules test on a loopback site ---------------------------------


def test_refeed_run_applies_the_folders_and_a_sources_own_rules(site: Site, tmp_path: Path) -> None:
    site.add("story.html", PAGE)
    site.add("two.html", PAGE.replace("Quay to be rebuilt", "Quay two"))
    feed = site.add(
        "rss.xml", rss(site, [("story.html", "Quay"), ("two.html", "Two")]),
        content_type="application/rss+xml",
    )  # fmt: skip
    source = SourceConfig(name="news", feed=feed, rules="strip: //p[contains(., 'weather')]")
    config = loopback_config(tmp_path, source, site_rules=(RULES,))
    [result] = asyncio.run(run_cycle(config))
    assert result.ok and result.new == 2
    parsed = feedparser.parse((tmp_path / "feeds" / "news.atom").read_bytes())
    content = parsed.entries[0].content[0].value
    assert STORY[0][:50] in content and "Subscribe to the Paper" not in content
    assert STORY[3][:40] not in content  # "...if the weather allows it": the source's own rule
    pages = [hit for hit in site.hits if hit.path.endswith(".html")]
    assert pages and all(hit.headers.get("referer") == "https://referer.example/" for hit in pages)
    assert all("Googlebot" not in hit.headers.get("user-agent", "") for hit in pages)


def test_a_rule_files_user_agent_is_sent_only_when_the_user_allows_it(
    site: Site, tmp_path: Path
) -> None:
    site.add("story.html", PAGE)
    feed = site.add(
        "rss.xml", rss(site, [("story.html", "Quay")]), content_type="application/rss+xml"
    )
    config = loopback_config(
        tmp_path, SourceConfig(name="news", feed=feed), site_rules=(RULES,),
        site_rules_user_agent=True,
    )  # fmt: skip
    asyncio.run(run_cycle(config))
    [page] = [hit for hit in site.hits if hit.path == "/story.html"]
    assert page.headers["user-agent"] == "Googlebot/2.1"


def _rules_folder(tmp_path: Path, site: Site, contains: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    text = (RULES / "127.0.0.1.txt").read_text()
    text = text.replace("http://127.0.0.1/story.html", site.url("story.html"))
    text = text.replace("The ferry will run every hour", contains)
    (folder / "127.0.0.1.txt").write_text(text)
    return folder


def test_rules_test_passes_fails_and_says_why(site: Site, tmp_path: Path) -> None:
    site.add("story.html", PAGE)
    folder = _rules_folder(tmp_path, site, STORY[2][:40])
    config = tmp_path / "config.yaml"
    config.write_text(f"allow_private_networks: true\nsite_rules: [{folder}]\nsources: []\n")
    passed = run_refeed("rules", "test", "-c", str(config))
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.startswith("PASS  127.0.0.1.txt:14  " + site.url("story.html"))
    assert "1 test(s), 0 failed" in passed.stdout
    site.add("story.html", PAGE.replace("story-text", "article-body"))  # a new template
    failed = run_refeed("rules", "test", "-c", str(config))
    assert failed.returncode == 1
    assert "FAIL  127.0.0.1.txt:14" in failed.stdout and "no body XPath matched" in failed.stdout


def test_rules_test_on_a_saved_page_needs_no_network(tmp_path: Path) -> None:
    saved = tmp_path / "story.html"
    saved.write_text(PAGE)
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    url = "http://127.0.0.1/story.html"
    (folder / "127.0.0.1.txt").write_text(
        (RULES / "127.0.0.1.txt")
        .read_text()
        .replace("The ferry will run every hour", STORY[1][:30])
    )
    result = run_refeed("rules", "test", str(folder), "--page", str(saved), "--url", url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith(f"PASS  127.0.0.1.txt:14  {url}")
    bad = run_refeed("rules", "test", str(folder), "--page", str(saved))
    assert bad.returncode == 2 and "--page needs the page's --url" in bad.stderr


def test_check_names_the_rule_folders_and_a_sources_rule_warnings(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"site_rules: [{RULES}, {tmp_path / 'nowhere'}]\n"
        "sources:\n  - name: news\n    feed: https://example.org/rss.xml\n"
        "    rules: |\n      body: //article\n      teleport: //x\n"
    )
    result = run_refeed("check", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert f"site_rules: {RULES}, {tmp_path / 'nowhere'} (4 rule files)" in result.stdout
    assert "warning: not a folder" in result.stdout
    assert "warning: source news's rules:2: unknown directive 'teleport'" in result.stdout


def test_extract_with_site_rules_says_which_rule_chose_the_story(tmp_path: Path) -> None:
    saved = tmp_path / "story.html"
    saved.write_text(PAGE)
    url = "http://127.0.0.1/story.html"
    args = ("extract", str(saved), "--url", url, "--site-rules", str(RULES), "--text", "--explain")
    result = run_refeed(*args)
    assert result.returncode == 0, result.stderr
    assert (
        "story chosen by site rule 127.0.0.1.txt:6 body: //div[@class='story-text']"
        in result.stdout
    )
    [line] = [row for row in result.stdout.splitlines() if "127.0.0.1.txt:7 strip:" in row]
    assert line.startswith("site-rule ") and ": Subscribe to the Paper for unlimited" in line
    assert "Subscribe to the Paper" not in result.stdout.split("---")[0]  # not in the story


_RULE_LINES = [
    "body: //article", "body: //div[@id='x']", "body: //p", "body: //body", "strip: //p[1]",
    "strip: //*", "strip_id_or_class: a", "strip_id_or_class: it's", "strip_image_src: .gif",
    "strip_attr: //@class", "strip_attr: //text()", "dissolve: //div", "wrap_in(div): //p",
    "wrap_in(p): //body", "title: //h1", "title: count(//p)", "date: //time/@datetime",
    "author: //nonesuch", "find_string: <p>", "replace_string: <div>", "replace_string(a): b",
    "src_lazy_load_attr: data-src", "prune: no", "autodetect_on_failure: no", "skip_json_ld: yes",
    "next_page_link: //a/@href", "single_page_link: concat(//a/@href, '?all')",
    "if_page_contains: //nav", "body: $undefined", "title: //h1 | //h2",
]  # fmt: skip


@settings(max_examples=int(os.environ.get("REFEED_FUZZ_EXAMPLES", "100")), deadline=None)
@given(
    lines=st.lists(st.sampled_from(_RULE_LINES), max_size=8),
    doc=st.lists(
        st.sampled_from(
            ["<article>", "</article>", "<p>", "</p>", "<div id='x' class='a b'>", "</div>",
             "<h1>Title</h1>", "<a href='/2'>2</a>", "<img src='x.gif' data-src='y.jpg'>",
             "<time datetime='2026-01-02'>t</time>", "<nav>", "</nav>", STORY[0], STORY[1]]
        ),
        max_size=25,
    ).map("".join),
)  # fmt: skip
def test_any_rules_on_any_page_give_an_article_or_a_refeed_error(
    lines: list[str], doc: str
) -> None:
    from refeed.errors import RefeedError

    site = parse_rules("\n".join(lines), "fuzz.txt")
    page = f"<html><head><title>T</title></head><body>{doc}</body></html>".encode()
    try:
        article = process(page, url=URL, rules=Rules(site=site))
    except RefeedError:
        return
    assert isinstance(article.text, str) and "<script" not in article.html
