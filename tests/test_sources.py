"""Reading feeds: only the first entries are parsed, and they are the same entries."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from refeed.models import Response
from refeed.sources import first_entries, parse_feed

TEXT = st.text(st.characters(codec="utf-8", exclude_characters="<>&\r"), max_size=30)


def _rss(titles: list[str], tail: str) -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>https://x.example/{i}</link>"
        f"<description><![CDATA[<p>{t}</p>]]></description></item>"
        for i, t in enumerate(titles)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><!-- a comment --><rss version="2.0" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Feed</title>{items}'
        f"{tail}</channel></rss>"
    ).encode()


def _atom(titles: list[str], tail: str) -> bytes:
    entries = "".join(
        f'<a:entry><a:title>{t}</a:title><a:link href="https://x.example/{i}"/>'
        f"<a:id>urn:x:{i}</a:id></a:entry>"
        for i, t in enumerate(titles)
    )
    return (
        f'<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>Feed</a:title>{entries}{tail}'
        "</a:feed>"
    ).encode()


@settings(max_examples=80, deadline=None)
@given(
    titles=st.lists(TEXT, min_size=0, max_size=60),
    limit=st.integers(1, 12),
    kind=st.sampled_from([_rss, _atom]),
    tail=st.sampled_from(["", "<!-- end -->", " \n "]),
)
def test_the_first_entries_are_the_same_whether_the_feed_is_cut_or_not(
    titles: list[str], limit: int, kind: object, tail: str
) -> None:
    body = kind(titles, tail)  # type: ignore[operator]
    response = Response(url="https://x.example/feed", status=200, body=body, content_type=None)
    whole = parse_feed(response)
    cut = parse_feed(response, limit)
    assert cut.entries == whole.entries[:limit]
    assert (cut.title, cut.link) == (whole.title, whole.link)


def test_a_huge_feed_reaches_feedparser_cut_after_the_entries_needed() -> None:
    body = _rss([f"Item {i}" for i in range(10_000)], "")
    cut = first_entries(body, 250)
    assert cut.count(b"</item>") == 250 and cut.endswith(b"</item></channel></rss>")
    assert len(cut) < len(body) / 30


def test_a_feed_that_cannot_be_cut_comes_back_whole() -> None:
    json_feed = b'{"version": "https://jsonfeed.org/version/1.1", "items": []}'
    utf16 = _rss(["a"] * 20, "").decode().replace('encoding="utf-8"', 'encoding="utf-16"')
    short = _rss(["a"] * 3, "")
    for body in (json_feed, utf16.encode("utf-16"), short):
        assert first_entries(body, 2 if body is not short else 5) == body
