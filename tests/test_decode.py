"""Tests for refeed.decode: charset choice in browser order, and never failing."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refeed.decode import Decoded, charset_from_content_type, decode, normalize_label

DATA = Path(__file__).parent / "data"

# Hand-written news prose (not from any source), long enough for statistical detection.
RUSSIAN = (
    "Городская администрация сообщила во вторник, что ремонт центрального моста через реку "
    "завершится на две недели раньше срока. По словам заместителя главы города, подрядчик уже "
    "уложил новое асфальтовое покрытие и сейчас устанавливает ограждения и освещение. Движение "
    "общественного транспорта планируют восстановить в начале следующего месяца, а пешеходную "
    "зону откроют сразу после приёмки работ государственной комиссией. Жители прилегающих "
    "кварталов жаловались на пробки и шум, однако в мэрии заверили, что после открытия моста "
    "нагрузка на объездные улицы заметно снизится."
)
TITLE = "Ремонт моста завершат досрочно"
LEGACY = ["windows-1251", "koi8-r"]
SOURCES = {"bom", "http", "meta", "xml", "detected", "fallback"}


def page(head: str = "", body: str = RUSSIAN, title: str = TITLE) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="ru">\n<head>\n{head}\n<title>{title}</title>\n</head>\n'
        f'<body>\n<div class="article">\n<h1>{title}</h1>\n<p>{body}</p>\n</div>\n'
        "</body>\n</html>\n"
    )


def meta_charset(label: str) -> str:
    return f'<meta charset="{label}">'


def meta_http_equiv(label: str) -> str:
    return f'<meta http-equiv="Content-Type" content="text/html; charset={label}">'


# -- declared charsets ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", LEGACY)
def test_charset_in_http_header_only(encoding: str) -> None:
    result = decode(page().encode(encoding), f"text/html; charset={encoding}")
    assert result == Decoded(page(), encoding, "http")


@pytest.mark.parametrize("encoding", LEGACY)
@pytest.mark.parametrize("make_meta", [meta_charset, meta_http_equiv])
def test_charset_in_meta_only(encoding: str, make_meta: Callable[[str], str]) -> None:
    html = page(head=make_meta(encoding))
    for content_type in (None, "text/html"):
        result = decode(html.encode(encoding), content_type)
        assert result == Decoded(html, encoding, "meta")


@pytest.mark.parametrize(
    "meta",
    [
        "<meta charset=koi8-r>",
        "<META CHARSET='KOI8-R'/>",
        '<meta name="x" content="y">'
        '<meta http-equiv=content-type content="text/html;charset=koi8r">',
        "<meta content='text/html; charset=\"koi8-r\"' http-equiv='Content-Type'>",
        '<meta charset="bogus"><meta charset="koi8-r">',
    ],
)
def test_meta_prescan_variants(meta: str) -> None:
    result = decode(page(head=meta).encode("koi8-r"))
    assert (result.encoding, result.source) == ("koi8-r", "meta")
    assert RUSSIAN in result.text


def test_meta_inside_comment_is_ignored() -> None:
    html = page(head="<!-- <meta charset=koi8-r> -->" + meta_charset("windows-1251"))
    result = decode(html.encode("windows-1251"))
    assert (result.encoding, result.source) == ("windows-1251", "meta")
    assert RUSSIAN in result.text


def test_content_without_http_equiv_is_not_a_declaration() -> None:
    html = page(head='<meta name="description" content="charset=koi8-r">')
    result = decode(html.encode("windows-1251"))
    assert (result.encoding, result.source) == ("windows-1251", "detected")


def test_meta_beyond_prescan_window_is_ignored() -> None:
    html = page("<style>" + "x" * 9000 + "</style>" + meta_charset("koi8-r"), "plain", "Title")
    assert decode(html.encode("ascii")).source == "detected"


# -- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", LEGACY)
@pytest.mark.parametrize("as_html", [True, False])
def test_detection_without_any_declaration(encoding: str, as_html: bool) -> None:
    text = page() if as_html else RUSSIAN
    result = decode(text.encode(encoding), "text/html" if as_html else None)
    assert result.text == text
    assert (result.encoding, result.source) == (encoding, "detected")


def test_detection_reads_page_text_behind_a_big_script() -> None:
    script = "<script>var x = 1;\n" * 6000 + "</script>"  # > 64 KB of ASCII before the text
    html = page(head=script)
    result = decode(html.encode("koi8-r"))
    assert (result.encoding, result.source, result.text) == ("koi8-r", "detected", html)


def test_large_body_is_decoded_whole() -> None:
    html = page(body=f"</p>\n<p>{RUSSIAN}" * 8000)  # ~3.5 MB of windows-1251
    result = decode(html.encode("windows-1251"))
    assert (result.encoding, result.text) == ("windows-1251", html)


def test_valid_utf8_is_taken_without_declaration() -> None:
    html = page()
    assert decode(html.encode("utf-8")) == Decoded(html, "utf-8", "detected")


def test_ascii_only_and_empty() -> None:
    assert decode(b"") == Decoded("", "utf-8", "detected")
    assert decode(b"", "text/html; charset=koi8-r") == Decoded("", "koi8-r", "http")
    assert decode(b"<p>hi</p>").text == "<p>hi</p>"


def test_little_evidence_falls_back_to_windows_1252() -> None:
    result = decode(b"<p>Caf\xe9 cr\xe8me</p>")
    assert result == Decoded("<p>Café crème</p>", "windows-1252", "fallback")


# -- precedence and wrong declarations -------------------------------------------------------


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16le"), (b"\xfe\xff", "utf-16be")],
)
def test_bom_beats_wrong_header_and_meta(bom: bytes, encoding: str) -> None:
    html = page(head=meta_charset("koi8-r"))
    result = decode(bom + html.encode(encoding), "text/html; charset=windows-1251")
    assert result == Decoded(html, encoding, "bom")
    assert not result.text.startswith("\ufeff")


def test_header_beats_meta() -> None:
    html = page(head=meta_charset("koi8-r"))
    result = decode(html.encode("windows-1251"), "text/html; charset=windows-1251")
    assert result == Decoded(html, "windows-1251", "http")


def test_header_utf8_over_legacy_bytes_falls_to_meta() -> None:
    html = page(head=meta_http_equiv("windows-1251"))
    result = decode(html.encode("windows-1251"), "text/html; charset=UTF-8")
    assert (result.text, result.encoding, result.source) == (html, "windows-1251", "meta")
    assert result.warnings == ("declared utf-8 in HTTP header but bytes are not utf-8",)


@pytest.mark.parametrize("encoding", LEGACY)
def test_meta_utf8_over_legacy_bytes_is_caught(encoding: str) -> None:
    html = page(head=meta_charset("utf-8"))
    result = decode(html.encode(encoding), "text/html")
    assert (result.text, result.encoding, result.source) == (html, encoding, "detected")
    assert result.warnings == ("declared utf-8 in <meta> but bytes are not utf-8",)


@pytest.mark.parametrize("label", ["gb2312", "windows-1251", "iso-8859-1", "shift_jis"])
@pytest.mark.parametrize("where", ["http", "meta"])
def test_legacy_label_over_utf8_bytes_is_caught(label: str, where: str) -> None:
    # a template's or server's default charset over a page saved as UTF-8
    html = page(head=meta_charset(label) if where == "meta" else "")
    content_type = f"text/html; charset={label}" if where == "http" else "text/html"
    result = decode(html.encode("utf-8"), content_type)
    assert (result.text, result.encoding, result.source) == (html, "utf-8", where)
    place = "HTTP header" if where == "http" else "<meta>"
    declared = normalize_label(label)
    assert result.warnings == (f"declared {declared} in {place} but bytes are utf-8",)


def test_one_utf8_letter_under_latin1_header_is_utf8() -> None:
    result = decode("<p>Caf\u00e9 au lait</p>".encode(), "text/html; charset=iso-8859-1")
    assert (result.text, result.encoding) == ("<p>Caf\u00e9 au lait</p>", "utf-8")


@pytest.mark.parametrize("encoding", [*LEGACY, "windows-1252", "gb18030", "cp932"])
def test_legacy_text_is_never_taken_for_utf8(encoding: str) -> None:
    text = {
        "windows-1252": "Le caf\u00e9 na\u00eft \u00e0 l\u2019aube, d\u00e9j\u00e0 \u00ab pr\u00eat \u00bb.",
        "gb18030": "\u8c37\u6b4c\u5728\u4eba\u5de5\u667a\u80fd\u9886\u57df\u53d6\u5f97\u8fdb\u5c55",
        "cp932": "\u4eca\u65e5\u306f\u6674\u308c\u3067\u3059\u3002\u6771\u4eac\u306e\u6e2f",
    }
    body = text.get(encoding, RUSSIAN)
    html = page(head=meta_charset(encoding), body=body, title=body[:12])
    result = decode(html.encode(encoding))
    assert (result.text, result.encoding, result.source) == (html, encoding, "meta")
    assert result.warnings == ()


def test_utf8_with_a_stray_byte_keeps_declared_utf8() -> None:
    html = page(head=meta_charset("utf-8"))
    raw = html.encode("utf-8").replace(b"<h1>", b"<h1>\xa0", 1)
    result = decode(raw)
    assert (result.encoding, result.source) == ("utf-8", "meta")
    assert RUSSIAN in result.text
    assert "\ufffd" in result.text
    assert result.warnings == ("bytes are not valid utf-8: 1 invalid sequence(s) replaced",)


@pytest.mark.parametrize("label", ["iso-8859-1", "ISO_8859-1", "latin1", "us-ascii", "ascii"])
@pytest.mark.parametrize("where", ["http", "meta"])
def test_latin1_labels_mean_windows_1252(label: str, where: str) -> None:
    body = b"<p>\x93Quoted\x94 \x96 caf\xe9 \x80 5</p>"
    if where == "http":
        result = decode(body, f"text/html; charset={label}")
    else:
        result = decode(meta_charset(label).encode() + body)
    assert result.text.endswith("<p>“Quoted” – café € 5</p>")
    assert (result.encoding, result.source) == ("windows-1252", where)


def test_bogus_labels_fall_through_with_warnings() -> None:
    html = page(head=meta_charset("x-no-such-charset") + meta_charset("koi8-r"))
    result = decode(html.encode("koi8-r"), "text/html; charset=foo")
    assert (result.text, result.encoding, result.source) == (html, "koi8-r", "meta")
    assert result.warnings == (
        "unknown charset label 'foo' in HTTP header",
        "unknown charset label 'x-no-such-charset' in <meta>",
    )


def test_bogus_label_everywhere_falls_to_detection() -> None:
    html = page(head=meta_charset("klingon"))
    result = decode(html.encode("windows-1251"), 'text/html; charset="utf-9"')
    assert (result.text, result.encoding, result.source) == (html, "windows-1251", "detected")
    assert len(result.warnings) == 2


def test_meta_utf16_means_utf8() -> None:
    html = page(head=meta_charset("utf-16"))
    assert decode(html.encode("utf-8")) == Decoded(html, "utf-8", "meta")


def test_header_utf16_over_ascii_bytes_is_caught() -> None:
    html = page(body="plain words", title="Title")
    result = decode(html.encode("ascii"), "text/html; charset=utf-16")
    assert (result.text, result.source) == (html, "detected")
    assert result.warnings == ("declared utf-16le in HTTP header but bytes are not utf-16",)


def test_header_utf16_without_bom_is_honoured() -> None:
    html = page()
    result = decode(html.encode("utf-16-le"), "text/html; charset=utf-16")
    assert result == Decoded(html, "utf-16le", "http")


# -- XML -----------------------------------------------------------------------------------


def feed(encoding: str) -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
        f"<title>{TITLE}</title><item><description>{RUSSIAN}</description></item>"
        "</channel></rss>\n"
    )


@pytest.mark.parametrize("content_type", [None, "application/rss+xml", "text/xml; charset="])
def test_xml_declaration_gives_the_encoding(content_type: str | None) -> None:
    xml = feed("KOI8-R")
    assert decode(xml.encode("koi8-r"), content_type) == Decoded(xml, "koi8-r", "xml")


def test_xml_header_charset_beats_declaration() -> None:
    xml = feed("koi8-r")
    result = decode(xml.encode("windows-1251"), "application/xml; charset=windows-1251")
    assert (result.text, result.source) == (xml, "http")


def test_xml_declaration_wins_over_meta_in_cdata_for_xml() -> None:
    xml = feed("koi8-r").replace("<description>", "<description><![CDATA[<meta charset=cp1251>")
    xml = xml.replace("</description>", "]]></description>")
    assert decode(xml.encode("koi8-r"), "application/rss+xml").source == "xml"


def test_bomless_utf16_xml() -> None:
    xml = feed("utf-16")
    assert decode(xml.encode("utf-16-le")) == Decoded(xml, "utf-16le", "xml")
    assert decode(xml.encode("utf-16-be")) == Decoded(xml, "utf-16be", "xml")


# -- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("utf-8", "utf-8"),
        ("UTF8", "utf-8"),
        ("unicode-1-1-utf-8", "utf-8"),
        (" utf-8\t", "utf-8"),
        ("iso-8859-1", "windows-1252"),
        ("latin1", "windows-1252"),
        ("Latin-1", "windows-1252"),
        ("us-ascii", "windows-1252"),
        ("win-1251", "windows-1251"),
        ("cp1251", "windows-1251"),
        ("x-cp1251", "windows-1251"),
        ("windows1251", "windows-1251"),
        ("koi8r", "koi8-r"),
        ("KOI8-R", "koi8-r"),
        ("gb2312", "gb18030"),
        ("gbk", "gb18030"),
        ("x-gbk", "gb18030"),
        ("shift_jis", "cp932"),
        ("sjis", "cp932"),
        ("euc-kr", "cp949"),
        ("iso-8859-9", "windows-1254"),
        ("tis-620", "cp874"),
        ("iso-8859-2", "iso-8859-2"),
        ("big5", "big5hkscs"),
        ("utf-16", "utf-16le"),
        ("x-mac-cyrillic", "mac-cyrillic"),
        ("foo", None),
        ("", None),
        ("utf-7", None),  # Python codecs outside the WHATWG set are refused
        ("utf-32", None),
        ("base64", None),
        ("rot13", None),
        ("iso-2022-kr", None),  # a WHATWG "replacement" label
        ("utf\x008", None),
    ],
)
def test_normalize_label(label: str, expected: str | None) -> None:
    assert normalize_label(label) == expected
    if expected is not None:
        codecs.lookup(expected)  # always a usable Python codec


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, None),
        ("", None),
        ("text/html", None),
        ("text/html; charset=UTF-8", "UTF-8"),
        ("text/html;charset=windows-1251", "windows-1251"),
        ('text/html; charset="koi8-r"', "koi8-r"),
        ("text/html; format=flowed; Charset = cp1251 ; x=y", "cp1251"),
        ("text/html; charset=", None),
        ("text/html; xcharset=koi8-r", None),
        ("text/html; charset=utf-8, text/html; charset=iso-8859-1", "utf-8"),
    ],
)
def test_charset_from_content_type(content_type: str | None, expected: str | None) -> None:
    assert charset_from_content_type(content_type) == expected


def test_devset_seed_page() -> None:
    raw = (DATA / "ru-seed-page-cp1251.html").read_bytes()
    result = decode(raw, "text/html")
    assert "Назарбаев" in result.text
    assert (result.encoding, result.source, result.warnings) == ("windows-1251", "meta", ())


# -- never fails ---------------------------------------------------------------------------

FRAGMENTS = [
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b'<?xml version="1.0" encoding="',
    b"<meta charset=",
    b'<meta http-equiv="content-type" content="text/html; charset=',
    b"<!--",
    b"-->",
    b'"',
    b">",
    b"utf-8",
    b"utf-16",
    b"koi8-r",
    b"x-user-defined",
    b"iso-2022-jp",
    b"\x1b$B",
    b"\x00",
    RUSSIAN.encode("windows-1251"),
]
bodies = st.one_of(
    st.binary(max_size=2000),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=40)), max_size=30).map(
        b"".join
    ),
)
content_types = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.builds("text/html; charset={}".format, st.text(max_size=20)),
    st.sampled_from(["text/html; charset=utf-16be", "application/xml; charset=shift_jis"]),
)


@settings(max_examples=300, deadline=None)
@given(body=bodies, content_type=content_types)
def test_decode_never_raises(body: bytes, content_type: str | None) -> None:
    result = decode(body, content_type)
    assert isinstance(result.text, str)
    assert result.source in SOURCES
    codecs.lookup(result.encoding)
    assert all(isinstance(warning, str) for warning in result.warnings)


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.characters(blacklist_characters="<\ufeff", blacklist_categories=["Cs"])))
def test_utf8_round_trips(text: str) -> None:
    assert decode(text.encode("utf-8")) == Decoded(text, "utf-8", "detected")
