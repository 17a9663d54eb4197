"""Turn the raw bytes of an HTML (or XML) page into text, choosing the charset like a browser.

The order follows WHATWG "encoding sniffing": byte order mark, then the HTTP ``Content-Type``
charset, then a ``<meta>`` prescan (and the ``<?xml encoding?>`` declaration), then detection
(UTF-8 if the bytes are UTF-8, else charset-normalizer), then windows-1252.  A declared charset
that is plainly wrong (UTF-8 over bytes that are not UTF-8, UTF-16 over bytes without a NUL, a
legacy charset over bytes that are valid UTF-8 with non-ASCII characters) is skipped with a
warning.  :func:`decode` never raises.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass

import charset_normalizer

__all__ = ["Decoded", "charset_from_content_type", "decode", "normalize_label"]

_PRESCAN_BYTES = 8192
_DETECT_BYTES = 65536
_STRIP_BYTES = 1 << 20
_HIGH = bytes(range(0x80, 0x100))

# WHATWG encoding labels (https://encoding.spec.whatwg.org/#names-and-labels), keyed by the
# Python codec used for them.  Where WHATWG means a superset of the codec Python would pick for
# the label (iso-8859-1, gbk, shift_jis, euc-kr, big5, tis-620), the superset is the key.
# The "replacement" labels (iso-2022-kr, hz-gb-2312, ...) are deliberately left unknown.
_WHATWG: dict[str, str] = {
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
    "ibm866": "866 cp866 csibm866 ibm866",
    "iso-8859-2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 "
    "iso_8859-2:1987 l2 latin2",
    "iso-8859-3": "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 "
    "iso_8859-3:1988 l3 latin3",
    "iso-8859-4": "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 "
    "iso_8859-4:1988 l4 latin4",
    "iso-8859-5": "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 "
    "iso_8859-5 iso_8859-5:1988",
    "iso-8859-6": "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 "
    "iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
    "iso-8859-7": "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 "
    "iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    "iso-8859-8": "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 "
    "iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical",
    "iso-8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    "iso-8859-13": "iso-8859-13 iso8859-13 iso885913",
    "iso-8859-14": "iso-8859-14 iso8859-14 iso885914",
    "iso-8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "iso-8859-16": "iso-8859-16",
    "koi8-r": "cskoi8r koi koi8 koi8-r koi8_r",
    "koi8-u": "koi8-ru koi8-u",
    "macintosh": "csmacintosh mac macintosh x-mac-roman",
    "cp874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "windows-1250": "cp1250 windows-1250 x-cp1250",
    "windows-1251": "cp1251 windows-1251 x-cp1251",
    "windows-1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 "
    "iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252 "
    "x-user-defined",
    "windows-1253": "cp1253 windows-1253 x-cp1253",
    "windows-1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 "
    "iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254",
    "windows-1255": "cp1255 windows-1255 x-cp1255",
    "windows-1256": "cp1256 windows-1256 x-cp1256",
    "windows-1257": "cp1257 windows-1257 x-cp1257",
    "windows-1258": "cp1258 windows-1258 x-cp1258",
    "mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    "gb18030": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk "
    "gb18030",
    "big5hkscs": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "euc-jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "iso-2022-jp": "csiso2022jp iso-2022-jp",
    "cp932": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "cp949": "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 "
    "ksc5601 ksc_5601 windows-949",
    "utf-16be": "unicodefffe utf-16be",
    "utf-16le": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
}


def _squash(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label)


_LABELS = {label: enc for enc, labels in _WHATWG.items() for label in labels.split()}
_SQUASHED = {_squash(label): enc for label, enc in _LABELS.items()}
# Python codec name -> our name, for labels WHATWG does not list but Python knows ("latin-1").
_BY_CODEC = {codecs.lookup(enc).name: enc for enc in _WHATWG} | {
    codecs.lookup(label).name: enc
    for label, enc in [
        ("iso-8859-1", "windows-1252"),
        ("ascii", "windows-1252"),
        ("iso-8859-9", "windows-1254"),
        ("iso-8859-11", "cp874"),
        ("tis-620", "cp874"),
        ("gbk", "gb18030"),
        ("gb2312", "gb18030"),
        ("big5", "big5hkscs"),
        ("shift_jis", "cp932"),
        ("euc-kr", "cp949"),
        ("utf-16", "utf-16le"),
    ]
}

# What detection may answer (the legacy encodings browsers' own detectors consider), in order of
# preference among candidates that decode the sample identically.
# fmt: off
_DETECTABLE = [
    "cp1252", "cp1251", "koi8_r", "cp1250", "iso8859_2", "cp1253", "cp1254", "cp1255", "cp1256",
    "cp1257", "cp1258", "iso8859_5", "iso8859_7", "koi8_u", "cp866", "mac_cyrillic", "cp874",
    "gb18030", "big5", "cp932", "euc_jp", "iso2022_jp", "cp949",
]
# fmt: on

_PLACE = {"http": "HTTP header", "meta": "<meta>", "xml": "XML declaration"}
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16be"), (b"\xff\xfe", "utf-16le"))
_LABEL_OK = re.compile(r"[a-z0-9._:\-]{1,40}")
_CT_CHARSET = re.compile(r"""(?:^|;)\s*charset\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,\s"]*))""", re.I)
_COMMENT = re.compile(rb"<!--.*?(?:-->|\Z)", re.S)
_META = re.compile(rb"""<meta[\s/]((?:[^>"']|"[^"]*(?:"|\Z)|'[^']*(?:'|\Z))*)(?:>|\Z)""", re.I)
_ATTR = re.compile(rb"""([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
_CONTENT_CHARSET = re.compile(rb"""charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;"']+))""", re.I)
_XML_DECL = re.compile(rb"""\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z][\w.:\-]*)["']""")
_MARKUP = re.compile(
    rb"<script\b.*?(?:</script\s*>|\Z)|<style\b.*?(?:</style\s*>|\Z)|<!--.*?(?:-->|\Z)"
    rb"|<[!/?a-z][^>]*(?:>|\Z)",
    re.S | re.I,
)


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text, the Python codec used, where the charset came from, and any warnings."""

    text: str
    encoding: str
    source: str  # "bom", "http", "meta", "xml", "detected" or "fallback"
    warnings: tuple[str, ...] = ()


def normalize_label(label: str) -> str | None:
    """Map a charset label (WHATWG names, plus lenient spellings such as ``win-1251`` or
    ``latin-1``) to the Python codec to decode with; ``None`` when the label is unknown."""
    key = label.strip("\t\n\f\r ").lower()
    if key in _LABELS:
        return _LABELS[key]
    if not _LABEL_OK.fullmatch(key):
        return None
    squashed = _squash(key)
    if squashed.startswith("win") and not squashed.startswith("windows"):
        squashed = "windows" + squashed[3:]
    if squashed in _SQUASHED:
        return _SQUASHED[squashed]
    try:
        return _BY_CODEC.get(codecs.lookup(key).name)
    except (LookupError, ValueError):
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    """Return the raw ``charset`` parameter of a Content-Type header value, or ``None``."""
    if not content_type:
        return None
    match = _CT_CHARSET.search(content_type)
    if match is None:
        return None
    quoted, bare = match.groups()
    value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
    return value.strip() or None


def decode(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode ``body`` (served with the ``content_type`` header value, if known) to text."""
    warnings: list[str] = []
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            text = _decode(body[len(bom) :], encoding, warnings)
            return Decoded(text, encoding, "bom", tuple(warnings))

    utf8: tuple[str | None, int] | None = None  # UTF-8 attempt, made at most once
    for source, encoding in _declared(body, content_type, warnings):
        if encoding == "utf-8":
            utf8 = utf8 or _try_utf8(body)
            if utf8[0] is not None:
                return _utf8_result(utf8[0], utf8[1], source, warnings)
            warnings.append(f"declared utf-8 in {_PLACE[source]} but bytes are not utf-8")
        elif encoding.startswith("utf-16") and body and b"\x00" not in body[:4096]:
            warnings.append(f"declared {encoding} in {_PLACE[source]} but bytes are not utf-16")
        elif _plainly_utf8(body):
            # Valid UTF-8 with multi-byte characters is next to impossible in a legacy
            # charset's text: the declaration is a server's or template's default.
            warnings.append(f"declared {encoding} in {_PLACE[source]} but bytes are utf-8")
            return Decoded(body.decode("utf-8"), "utf-8", source, tuple(warnings))
        else:
            return Decoded(_decode(body, encoding, warnings), encoding, source, tuple(warnings))

    utf8 = utf8 or _try_utf8(body)
    if utf8[0] is not None:
        return _utf8_result(utf8[0], utf8[1], "detected", warnings)
    detected = _detect(body)
    if detected is None:
        encoding, source = "windows-1252", "fallback"
    else:
        encoding, source = detected, "detected"
    return Decoded(_decode(body, encoding, warnings), encoding, source, tuple(warnings))


def _declared(
    body: bytes, content_type: str | None, warnings: list[str]
) -> Iterator[tuple[str, str]]:
    """Yield (source, encoding) for each usable declaration, most authoritative first."""
    label = charset_from_content_type(content_type)
    if label is not None:
        encoding = normalize_label(label)
        if encoding is None:
            warnings.append(f"unknown charset label {label!r} in HTTP header")
        else:
            yield "http", encoding
    essence = (content_type or "").split(";", 1)[0].strip().lower()
    steps = (
        (_xml_declaration, _prescan) if essence.endswith("xml") else (_prescan, _xml_declaration)
    )
    for step in steps:
        found = step(body, warnings)
        if found is not None:
            yield found
            return


def _prescan(body: bytes, warnings: list[str]) -> tuple[str, str] | None:
    """Find the charset of the first ``<meta>`` that declares a known one (outside comments)."""
    head = _COMMENT.sub(b"", body[:_PRESCAN_BYTES])
    for meta in _META.finditer(head):
        attrs: dict[bytes, bytes] = {}
        for match in _ATTR.finditer(meta.group(1)):
            value = next((v for v in match.groups()[1:] if v is not None), b"")
            attrs.setdefault(match.group(1).lower(), value)
        raw = attrs.get(b"charset")
        if raw is None and attrs.get(b"http-equiv", b"").strip().lower() == b"content-type":
            found = _CONTENT_CHARSET.search(attrs.get(b"content", b""))
            raw = next((v for v in found.groups() if v is not None), None) if found else None
        if raw is None:
            continue
        label = raw.decode("latin-1")
        encoding = normalize_label(label)
        if encoding is None:
            warnings.append(f"unknown charset label {label!r} in <meta>")
            continue
        # A <meta> is read as ASCII, so it cannot truly be in UTF-16 (WHATWG: use UTF-8).
        return "meta", "utf-8" if encoding.startswith("utf-16") else encoding
    return None


def _xml_declaration(body: bytes, warnings: list[str]) -> tuple[str, str] | None:
    """Read ``<?xml ... encoding="..."?>`` at the start of the body (or spot BOM-less UTF-16)."""
    if body.startswith(b"<\x00?\x00x\x00m\x00l\x00"):
        return "xml", "utf-16le"
    if body.startswith(b"\x00<\x00?\x00x\x00m\x00l"):
        return "xml", "utf-16be"
    match = _XML_DECL.match(body, 0, 1024)
    if match is None:
        return None
    label = match.group(1).decode("ascii")
    encoding = normalize_label(label)
    if encoding is None:
        warnings.append(f"unknown charset label {label!r} in XML declaration")
        return None
    return "xml", "utf-8" if encoding.startswith("utf-16") else encoding


def _try_utf8(body: bytes) -> tuple[str | None, int]:
    """Decode as UTF-8; return (text, invalid sequences), text ``None`` unless the bytes are
    UTF-8 apart from a few stray bytes (at least ten valid multi-byte characters per bad one)."""
    try:
        return body.decode("utf-8"), 0
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    valid_multibyte = len(text) - len(text.encode("ascii", "ignore")) - bad
    return (text if valid_multibyte >= 10 * bad else None), bad


def _plainly_utf8(body: bytes) -> bool:
    """Whether ``body`` is strictly valid UTF-8 holding at least one multi-byte character."""
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _utf8_result(text: str, bad: int, source: str, warnings: list[str]) -> Decoded:
    if bad:
        warnings.append(f"bytes are not valid utf-8: {bad} invalid sequence(s) replaced")
    return Decoded(text, "utf-8", source, tuple(warnings))


def _detect(body: bytes) -> str | None:
    """Guess a legacy charset with charset-normalizer, fed at most 64 KB (page text if there is
    enough of it, since markup only dilutes the statistics); ``None`` when there is too little
    non-ASCII evidence for a guess to beat windows-1252."""
    text = re.sub(rb"\s+", b" ", _MARKUP.sub(b" ", body[:_STRIP_BYTES]))
    if _high_bytes(text) >= 16:
        sample, cut_at = text[:_DETECT_BYTES], b" "
    else:
        sample, cut_at = body[:_DETECT_BYTES], b"\n"
    if len(sample) == _DETECT_BYTES:  # do not split a multi-byte character
        cut = sample.rfind(cut_at)
        sample = sample[:cut] if cut > _DETECT_BYTES // 2 else sample
    if _high_bytes(sample) < 4:
        return None
    best = charset_normalizer.from_bytes(
        sample, cp_isolation=_DETECTABLE, preemptive_behaviour=False
    ).best()
    if best is None:
        return None
    candidates = best.could_be_from_charset
    name = next((c for c in _DETECTABLE if c in candidates), best.encoding)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    return normalize_label(name) or info.name


def _high_bytes(data: bytes) -> int:
    return len(data) - len(data.translate(None, _HIGH))


def _decode(body: bytes, encoding: str, warnings: list[str]) -> str:
    try:
        return body.decode(encoding)
    except UnicodeDecodeError:
        warnings.append(f"bytes are not valid {encoding}: undecodable bytes replaced")
        return body.decode(encoding, "replace")
