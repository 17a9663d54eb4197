"""Undo a response's content coding (gzip, deflate, br) with a bound on every step's output.

httpx inflates each network chunk whole: 1.6 KB of brotli become 1 GiB in one call, and
the event loop, blocked in that call, cannot even fire the request's deadline. So
:mod:`refeed.fetch` reads the raw bytes and hands them to an :class:`Inflater`, which
never returns more than :data:`STEP` bytes from one call into zlib (its ``max_length``),
nor more than :data:`MAX_PIECE` from one into brotli (its ``output_buffer_limit`` stops
the buffer growing once it reaches the limit, so the last block may go past it): the
caller counts the output and stops at its cap after at most one more piece.

Only the codings refeed can bound are advertised (:data:`ACCEPT_ENCODING`); a response
in any other coding, or in several stacked (``gzip, gzip``: each layer multiplies the
ratio), is refused with :class:`CodingError`. No network and no I/O here.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Final, Protocol

import brotli

STEP: Final = 64 * 1024  # the output limit of one decompression call
MAX_PIECE: Final = 2 * STEP  # the most one call can return (brotli grows its buffer in blocks)
ACCEPT_ENCODING: Final = "gzip, deflate, br"
_ALIASES: Final = {"x-gzip": "gzip"}
_GZIP_MAGIC: Final = b"\x1f\x8b"


class CodingError(ValueError):
    """The content coding is refused (unknown, stacked) or its bytes are corrupt."""


class Inflater(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of *data*, in pieces of at most :data:`MAX_PIECE` bytes."""
        ...


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data


def _bounded(inflater: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    """Decompress *data* in steps of at most STEP bytes of output, until zlib has no more."""
    while True:
        chunk = inflater.decompress(data, STEP)
        if chunk:
            yield chunk
        data = inflater.unconsumed_tail
        # a full step may leave output inside zlib even when all the input is consumed
        if inflater.eof or (not data and len(chunk) < STEP):
            return


class _Gzip:
    """gzip, member after member (a body may hold several); bytes after the last are ignored."""

    def __init__(self) -> None:
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._done = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self._done:
            try:
                yield from _bounded(self._inflater, data)
            except zlib.error as exc:
                raise CodingError(f"corrupt gzip body: {exc}") from exc
            if not self._inflater.eof:
                return
            data = self._inflater.unused_data
            if data.startswith(_GZIP_MAGIC):
                self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                self._done = True  # trailing bytes (padding) after the last member


class _Deflate:
    """deflate: zlib-wrapped as the RFC says, or raw, as some servers send it."""

    def __init__(self) -> None:
        self._inflater: zlib._Decompress | None = None
        self._head = b""  # the first bytes, until there are two to tell the kinds apart

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        if self._inflater is None:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return
            # a zlib header: compression method 8, and the two bytes a multiple of 31
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        if self._inflater.eof:
            return
        try:
            yield from _bounded(self._inflater, data)
        except zlib.error as exc:
            raise CodingError(f"corrupt deflate body: {exc}") from exc


class _Brotli:
    def __init__(self) -> None:
        self._inflater = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not data or self._inflater.is_finished():
            return
        try:
            chunk = self._inflater.process(data, output_buffer_limit=STEP)
            while True:
                if chunk:
                    yield chunk
                # a full buffer may leave output inside brotli, even once it takes input
                full = len(chunk) >= STEP
                if self._inflater.is_finished() or (
                    self._inflater.can_accept_more_data() and not full
                ):
                    return
                chunk = self._inflater.process(b"", output_buffer_limit=STEP)
        except brotli.error as exc:
            raise CodingError(f"corrupt brotli body: {exc}") from exc


_INFLATERS: Final[dict[str, type[Inflater]]] = {"gzip": _Gzip, "deflate": _Deflate, "br": _Brotli}


def inflater(content_encoding: str | None) -> Inflater:
    """The inflater for a ``Content-Encoding`` header; :class:`CodingError` if refused."""
    codings = [
        _ALIASES.get(c, c)
        for c in (part.strip().lower() for part in (content_encoding or "").split(","))
        if c and c != "identity"
    ]
    if not codings:
        return _Identity()
    if len(codings) > 1:
        raise CodingError(
            f"stacked content codings ({', '.join(codings)}) are refused: each layer "
            "multiplies a decompression bomb"
        )
    [coding] = codings
    if coding not in _INFLATERS:
        raise CodingError(
            f"unsupported content coding {coding!r} (refeed asks for {ACCEPT_ENCODING})"
        )
    return _INFLATERS[coding]()
