"""Content codings undone in bounded steps: every coding round-trips, no step outgrows STEP."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refeed import inflate
from refeed.inflate import MAX_PIECE, CodingError, inflater


def _deflate_raw(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


ENCODERS = {
    "gzip": lambda data: gzip.compress(data, mtime=0),
    "deflate": zlib.compress,
    "deflate (raw)": _deflate_raw,
    "br": brotli.compress,
}


def _pieces(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    at = 0
    for size in sizes:
        yield data[at : at + size]
        at += size
    yield data[at:]


def _decode(coding: str, pieces: Iterator[bytes]) -> list[bytes]:
    decoder = inflater(coding.split(maxsplit=1)[0])
    return [chunk for piece in pieces for chunk in decoder.feed(piece)]


@settings(max_examples=60, deadline=None)
@given(
    coding=st.sampled_from(sorted(ENCODERS)),
    head=st.binary(max_size=5000),
    zeros=st.integers(0, 400_000),  # long enough to take several steps
    sizes=st.lists(st.integers(0, 700), max_size=8),
)
def test_every_coding_round_trips_however_the_body_is_cut(
    coding: str, head: bytes, zeros: int, sizes: list[int]
) -> None:
    data = head + b"\0" * zeros
    chunks = _decode(coding, _pieces(ENCODERS[coding](data), sizes))
    assert b"".join(chunks) == data
    assert all(0 < len(chunk) <= MAX_PIECE for chunk in chunks)


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_a_bomb_comes_out_one_bounded_step_at_a_time(coding: str) -> None:
    """64 MiB of zeros in a few KB: the decoder never hands over more than a piece at once,
    so the caller's cap stops it after one step (httpx would inflate it in one piece)."""
    bomb = ENCODERS[coding](b"\0" * (64 << 20))
    assert len(bomb) < 200_000
    decoder = inflater(coding.split(maxsplit=1)[0])
    seen = 0
    for chunk in decoder.feed(bomb):
        assert len(chunk) <= MAX_PIECE
        seen += len(chunk)
        if seen > 1 << 20:  # what a caller does at its cap
            break
    assert seen <= (1 << 20) + MAX_PIECE


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_a_body_that_comes_a_byte_at_a_time_is_decoded(coding: str) -> None:
    data = b"<p>one byte at a time</p>" * 50
    encoded = ENCODERS[coding](data)
    assert b"".join(_decode(coding, iter(encoded[i : i + 1] for i in range(len(encoded))))) == data


def test_several_gzip_members_are_one_body_and_padding_after_them_is_ignored() -> None:
    body = gzip.compress(b"first ") + gzip.compress(b"second") + b"\0" * 10
    assert b"".join(_decode("gzip", iter([body[:7], body[7:]]))) == b"first second"


@pytest.mark.parametrize("header", ["gzip, gzip", "br, gzip", "gzip,deflate", "deflate, br"])
def test_stacked_codings_are_refused(header: str) -> None:
    with pytest.raises(CodingError, match="stacked"):
        inflater(header)


@pytest.mark.parametrize("header", ["zstd", "compress", "x-bogus"])
def test_codings_refeed_cannot_bound_are_refused(header: str) -> None:
    with pytest.raises(CodingError, match="unsupported content coding"):
        inflater(header)


@pytest.mark.parametrize("header", [None, "", "identity", "Identity, identity", " "])
def test_identity_passes_the_bytes_through(header: str | None) -> None:
    assert list(inflater(header).feed(b"plain")) == [b"plain"]


def test_x_gzip_and_case_are_gzip() -> None:
    assert b"".join(inflater("X-GZIP").feed(gzip.compress(b"ok"))) == b"ok"


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_corrupt_bytes_are_a_coding_error(coding: str) -> None:
    with pytest.raises(CodingError, match=f"corrupt {'brotli' if coding == 'br' else coding}"):
        list(inflater(coding).feed(b"\x1f\x8b\x08\x00garbage that is not compressed" * 3))


def test_what_is_advertised_is_what_is_bounded() -> None:
    advertised = [c.strip() for c in inflate.ACCEPT_ENCODING.split(",")]
    for coding in advertised:
        inflater(coding)  # each one has a bounded inflater
