"""Hostile bytes and markup through the whole cycle: a clean error or a clean result, never a crash.

Every body is served over loopback as a source's feed, as a listing page, and as
an article page behind a good feed. The cycle must finish; each source either
succeeds or fails with one of refeed's own errors (never "internal error"), and
every feed file written parses.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import time
import zlib
from pathlib import Path

import pytest
from lxml import etree

from conftest import Site, loopback_config, rss
from refeed.config import Config, SourceConfig
from refeed.cycle import SourceResult, run_cycle

STORY = "The ferry timetable changes next month, the harbour board said on Tuesday. " * 6
CYRILLIC = "Правительство утвердило программу развития региональных аэропортов. " * 6


def _nested(depth: int) -> bytes:
    return (
        b"<html><body>" + b"<div>" * depth + STORY.encode() + b"</div>" * depth + b"</body></html>"
    )


def _links(count: int) -> bytes:
    links = "".join(
        f'<li><a href="/n/{i}.html">Headline number {i} of the day</a></li>' for i in range(count)
    )
    return f"<html><body><ul>{links}</ul></body></html>".encode()


PNG = (
    bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")
    + bytes(range(256)) * 20
)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256)) * 40

# name -> (body, content type, extra headers)
BODIES: dict[str, tuple[bytes, str | None, dict[str, str]]] = {
    "nul and controls": (
        f"<html><body><article><p>{STORY}\x00\x01\x08\x0b\x0c\x1b\x7f</p><p>\x00{STORY}</p></article></body></html>".encode(),
        "text/html; charset=utf-8", {},
    ),
    "invalid utf-8": (
        b"<html><body><article><p>" + STORY.encode() + b"\xff\xfe\xc3\x28\xa0\xa1\xed\xa0\x80</p></article></body></html>",
        "text/html; charset=utf-8", {},
    ),
    "charset that lies": (
        f'<html><head><meta charset="shift_jis"></head><body><article><p>{CYRILLIC}</p></article></body></html>'.encode("windows-1251"),
        "text/html; charset=utf-8", {},
    ),
    "mixed encodings": (
        b"<html><body><article><p>" + CYRILLIC.encode("utf-8") + b"</p><p>" + CYRILLIC.encode("koi8-r") + b"</p></article></body></html>",
        "text/html", {},
    ),
    "utf-16 label on ascii": (f"<html><body><p>{STORY}</p></body></html>".encode(), "text/html; charset=utf-16", {}),
    "deeply nested divs": (_nested(100_000), "text/html", {}),
    "50 MB of nested divs, gzipped": (
        gzip.compress(b"<html><body>" + b"<div>" * 10_000_000, 9),
        "text/html", {"Content-Encoding": "gzip"},
    ),
    "deflate bomb": (zlib.compress(b"\0" * 30_000_000, 9), "text/html", {"Content-Encoding": "deflate"}),
    "100,000 links": (_links(100_000), "text/html", {}),
    "empty body": (b"", "text/html", {}),
    "whitespace only": (b" \n\t " * 100, "text/html", {}),
    "pdf as text/html": (PDF, "text/html", {}),
    "png as text/html": (PNG, "text/html; charset=utf-8", {}),
    "binary without type": (bytes(range(256)) * 100, None, {}),
    "unclosed everything": (b"<html><body><article><p>" + STORY.encode() + b"<b><i><table><tr><td><ul><li><a href='", "text/html", {}),
    "only a doctype": (b"<!DOCTYPE html>", "text/html", {}),
    "xml declaration and garbage": (b'<?xml version="1.0" encoding="bogus-enc"?><html><p>' + STORY.encode() + b"</p>", "application/xhtml+xml", {}),
    "unterminated processing instruction": (b"<?xml" + b" " * 2_000_000, "text/html", {}),
    "100,000 unclosed noscripts and headings": (
        b"<html><body><article><p>" + STORY.encode() + b"</p>" + b"<noscript><h2 a" * 100_000,
        "text/html", {},
    ),
    "20,000 identical lines": (
        b"<html><body><article><p>" + STORY.encode() + b"</p>" + b"<p>Same line</p>" * 20_000,
        "text/html", {},
    ),
    "an unclosed title swallowing the page": (b"<html><head><title>Quay " + STORY.encode() + b"</body></html>", "text/html", {}),
    "no body, a frameset": (b"<html><frameset><frame src='/a'></frameset>" + STORY.encode(), "text/html", {}),
    "a body named like chrome": (f'<html><body class="comments sidebar share" id="footer" hidden><div>{STORY}</div></body></html>'.encode(), "text/html", {}),
    "lone surrogates as entities": (f"<html><body><article><p>{STORY}&#xD800;&#xDFFF;&#0;&#x110000;&#65535;</p></article></body></html>".encode(), "text/html", {}),
}  # fmt: skip


def _config(tmp_path: Path, *sources: SourceConfig) -> Config:
    return loopback_config(tmp_path, *sources)


def _assert_clean(results: list[SourceResult], feeds: Path) -> None:
    for result in results:
        assert result.error is None or "internal error" not in result.error, result.error
        assert result.error is None or "\n" not in result.error.strip()
    for path in feeds.glob("*.atom"):
        etree.fromstring(path.read_bytes())
    for path in feeds.glob("*.rss"):
        etree.fromstring(path.read_bytes())
    for path in feeds.glob("*.json"):
        json.loads(path.read_bytes())


@pytest.mark.parametrize("case", list(BODIES))
def test_hostile_bodies_give_a_clean_result_or_a_clean_error(
    site: Site, tmp_path: Path, case: str
) -> None:
    body, content_type, headers = BODIES[case]
    site.add("hostile", body, content_type=content_type, headers=headers)
    site.add("good.html", f"<html><body><article><p>{STORY}</p></article></body></html>")
    feed = site.add("rss.xml", rss(site, [("hostile", "Hostile"), ("good.html", "Good")]),
                    content_type="application/rss+xml")  # fmt: skip
    config = _config(
        tmp_path,
        SourceConfig(name="as-feed", feed=site.url("hostile")),
        SourceConfig(name="as-listing", page=site.url("hostile")),
        SourceConfig(name="as-article", feed=feed),
    )
    started = time.monotonic()
    results = asyncio.run(run_cycle(config))
    assert time.monotonic() - started < 60
    _assert_clean(results, tmp_path / "feeds")
    by_name = {r.name: r for r in results}
    # the article behind a good feed never sinks its source: it fails alone, or is cleaned
    assert by_name["as-article"].ok, by_name["as-article"].error
    assert by_name["as-article"].new == 2
    assert (tmp_path / "feeds" / "as-article.atom").exists()


def test_a_bomb_stops_at_the_cap_not_after_inflating(site: Site, tmp_path: Path) -> None:
    body, content_type, headers = BODIES["50 MB of nested divs, gzipped"]
    site.add("bomb", body, content_type=content_type, headers=headers)
    config = _config(tmp_path, SourceConfig(name="bomb", page=site.url("bomb")))
    [result] = asyncio.run(run_cycle(config))
    assert not result.ok and "cap" in str(result.error)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Bomb &lol9;</title><link>http://x/</link><description>d</description>
<item><title>Item &lol9;</title><link>LINK</link><description>&lol9;</description></item>
</channel></rss>"""


def _xxe(target: str) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "{target}"> <!ENTITY % pe SYSTEM "{target}"> %pe; ]>
<rss version="2.0"><channel><title>XXE &xxe;</title><link>http://x/</link><description>d</description>
<item><title>Item &xxe;</title><link>LINK</link><description>Teaser &xxe;</description></item>
</channel></rss>""".encode()


@pytest.mark.parametrize("kind", ["billion laughs", "file", "loopback http"])
def test_feed_entities_neither_expand_nor_read_anything(
    site: Site, tmp_path: Path, kind: str
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    site.add("secret", "TOP-SECRET-CONTENT", content_type="text/plain")
    body = {
        "billion laughs": BILLION_LAUGHS,
        "file": _xxe(secret.as_uri()),
        "loopback http": _xxe(site.url("secret")),
    }[kind]
    site.add("a.html", f"<html><body><article><p>{STORY}</p></article></body></html>")
    body = body.replace(b"LINK", site.url("a.html").encode())
    config = _config(
        tmp_path,
        SourceConfig(
            name="feed", feed=site.add("feed.xml", body, content_type="application/rss+xml")
        ),
        SourceConfig(name="inline", feed=site.url("feed.xml"), fetch_pages=False),
        SourceConfig(
            name="listing", page=site.add("page.xml", body, content_type="application/xhtml+xml")
        ),
    )
    started = time.monotonic()
    results = asyncio.run(run_cycle(config))
    assert time.monotonic() - started < 30
    _assert_clean(results, tmp_path / "feeds")
    assert "/secret" not in [hit.path for hit in site.hits]
    for path in (tmp_path / "feeds").iterdir():
        data = path.read_bytes()
        assert b"TOP-SECRET" not in data
        assert data.count(b"lol") < 100, path.name  # not expanded
        assert len(data) < 100_000


@pytest.mark.parametrize("content", ["&lt;!DOCTYPE", "&lt;!DOCTYPE&gt;&lt;TITLE"])
def test_an_extraction_crash_fails_its_item_not_its_source(
    site: Site, tmp_path: Path, content: str
) -> None:
    """process_html_fragment crashes on these (an xfail in test_fuzz); the cycle keeps going."""
    good = site.url("good.html")
    body = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>T</title><link>http://x/</link><description>d</description>"
        f"<item><title>Bad</title><link>{site.url('bad.html')}</link><description>Teaser of the bad one</description>"
        f"<content:encoded>{content}</content:encoded></item>"
        f"<item><title>Good</title><link>{good}</link><content:encoded>&lt;p&gt;{STORY}&lt;/p&gt;</content:encoded></item>"
        "</channel></rss>"
    )  # fmt: skip
    feed = site.add("rss.xml", body, content_type="application/rss+xml")
    config = _config(tmp_path, SourceConfig(name="inline", feed=feed, fetch_pages=False))
    [result] = asyncio.run(run_cycle(config))
    assert result.ok and result.new == 2 and result.failed_pages == 1
    items = json.loads((tmp_path / "feeds" / "inline.json").read_bytes())["items"]
    assert {i["title"] for i in items} == {"Bad", "Good"}


PRIVATE_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Intranet PRIVATE-CHANNEL</title>
<id>urn:x</id><updated>2026-11-01T00:00:00Z</updated>
<entry><title>PRIVATE-ENTRY board minutes</title><id>urn:y</id><link href="http://intranet.example/m"/>
<updated>2026-11-01T00:00:00Z</updated><content>PRIVATE-ENTRY text</content></entry></feed>"""


@pytest.mark.parametrize("relative", [True, False], ids=["relative path", "absolute path"])
def test_a_feed_body_that_is_a_file_name_is_not_read_as_that_file(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: bool
) -> None:
    """feedparser opens a bare string as a file; refeed hands it a file object instead."""
    private = tmp_path / "feeds" / "intranet.atom"
    private.parent.mkdir()
    private.write_text(PRIVATE_FEED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    name = "feeds/intranet.atom" if relative else str(private)
    attack = site.add("attack.xml", name, content_type="application/atom+xml")
    oracle = site.add("oracle.xml", "/nonexistent/x.atom", content_type="application/atom+xml")
    config = _config(
        tmp_path,
        SourceConfig(name="attack", feed=attack),
        SourceConfig(name="oracle", feed=oracle),
    )
    results = {r.name: r for r in asyncio.run(run_cycle(config))}
    assert not results["attack"].ok
    # a path that exists and one that does not fail alike: no file-existence oracle
    assert results["attack"].error is not None and results["oracle"].error is not None

    def cause(error: str | None) -> str:
        return re.sub(r"\d+", "N", str(error).split(">: ")[1])

    assert cause(results["attack"].error) == cause(results["oracle"].error)
    for path in (tmp_path / "feeds").iterdir():
        if path != private:
            assert b"PRIVATE" not in path.read_bytes(), path.name
