"""The only module that talks to the network.

One :class:`Fetcher` (one ``httpx.AsyncClient``) per process. Each GET is
conditional when validators are known, has connect/read timeouts and a total
deadline, follows at most five redirects, stops reading at a byte cap (counted
after decompression, so a gzip bomb stops at the cap), is retried once on a
connection error or a 5xx (honouring Retry-After), and waits for a slot under a
global and a per-host limit.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

from refeed import defaults
from refeed.errors import FetchError, TooLargeError
from refeed.models import Response, Validators


@dataclass(frozen=True, slots=True)
class FetchSettings:
    user_agent: str = defaults.USER_AGENT
    deadline: float = defaults.DEADLINE
    connect_timeout: float = defaults.CONNECT_TIMEOUT
    read_timeout: float = defaults.READ_TIMEOUT
    max_redirects: int = defaults.MAX_REDIRECTS
    retries: int = defaults.RETRIES
    backoff: float = defaults.RETRY_BACKOFF
    retry_after_max: float = defaults.RETRY_AFTER_MAX
    max_connections: int = defaults.MAX_CONNECTIONS
    max_per_host: int = defaults.MAX_PER_HOST


ACCEPT_FEED = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
ACCEPT_PAGE = "text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8"


class Fetcher:
    """Async HTTP GETs with refeed's politeness and safety rules."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        s = self.settings
        self._client = httpx.AsyncClient(
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            limits=httpx.Limits(
                max_connections=s.max_connections,
                max_keepalive_connections=min(s.max_connections, 32),
            ),
            follow_redirects=True,
            max_redirects=s.max_redirects,
            transport=transport,
        )
        self._all = asyncio.Semaphore(s.max_connections)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self.requests = 0  # requests sent, retries and redirects included

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc.lower()
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self.settings.max_per_host)
        return slot

    async def get(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = defaults.MAX_PAGE_BYTES,
        accept: str = ACCEPT_PAGE,
    ) -> Response:
        """GET ``url``; a 304 comes back as a :class:`Response` with status 304.

        Raises :class:`FetchError` (with the URL and, for HTTP errors, the status)
        for everything else that is not a 2xx.
        """
        request_headers = {"Accept": accept, **(headers or {})}
        if validators is not None:
            if validators.etag:
                request_headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                request_headers["If-Modified-Since"] = validators.last_modified
        attempt = 0
        while True:
            try:
                async with self._all, self._host_slot(url):
                    return await self._get_once(url, request_headers, max_bytes)
            except FetchError as exc:
                retryable = exc.status is None or exc.status >= 500 or exc.status == 429
                if (
                    attempt >= self.settings.retries
                    or not retryable
                    or isinstance(exc, TooLargeError)
                ):
                    raise
                delay = self.settings.backoff * (2**attempt)
                if exc.retry_after is not None:
                    if exc.retry_after > self.settings.retry_after_max:
                        raise
                    delay = max(delay, exc.retry_after)
                attempt += 1
                await asyncio.sleep(delay)

    async def post_form(self, url: str, data: Mapping[str, str | list[str]]) -> int:
        """POST a form (a WebSub ping) once, within the deadline; returns the status."""
        try:
            async with asyncio.timeout(self.settings.deadline), self._all, self._host_slot(url):
                self.requests += 1
                response = await self._client.post(url, data=dict(data))
        except TimeoutError:
            raise FetchError(
                f"no complete answer within {self.settings.deadline:g} s", url=url
            ) from None
        except httpx.HTTPError as exc:
            raise FetchError(str(exc) or type(exc).__name__, url=url) from exc
        if not response.is_success:
            raise FetchError(f"HTTP {response.status_code}", url=url, status=response.status_code)
        return response.status_code

    async def _get_once(self, url: str, headers: dict[str, str], max_bytes: int) -> Response:
        try:
            async with asyncio.timeout(self.settings.deadline):
                self.requests += 1
                async with self._client.stream("GET", url, headers=headers) as response:
                    self.requests += len(response.history)
                    if response.status_code == 304:
                        return Response(
                            url=str(response.url),
                            status=304,
                            body=b"",
                            content_type=response.headers.get("content-type"),
                            validators=_validators(response, headers),
                        )
                    if not response.is_success:
                        raise FetchError(
                            f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                            url=url,
                            status=response.status_code,
                            retry_after=_retry_after(response.headers.get("retry-after")),
                        )
                    body = await _read_capped(response, max_bytes, url)
                    return Response(
                        url=str(response.url),
                        status=response.status_code,
                        body=body,
                        content_type=response.headers.get("content-type"),
                        validators=_validators(response, headers),
                    )
        except TimeoutError:
            raise FetchError(
                f"no complete answer within {self.settings.deadline:g} s", url=url
            ) from None
        except httpx.TooManyRedirects:
            raise FetchError(
                f"more than {self.settings.max_redirects} redirects", url=url, status=310
            ) from None
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out ({type(exc).__name__})", url=url) from exc
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise FetchError(reason, url=url) from exc


async def _read_capped(response: httpx.Response, max_bytes: int, url: str) -> bytes:
    declared = response.headers.get("content-length")
    encoded = response.headers.get("content-encoding", "identity") not in ("", "identity")
    if declared and declared.isdigit() and not encoded and int(declared) > max_bytes:
        raise TooLargeError(
            f"response of {int(declared)} bytes is over the {max_bytes} byte cap", url=url
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise TooLargeError(f"response is over the {max_bytes} byte cap", url=url)
        chunks.append(chunk)
    return b"".join(chunks)


def _validators(response: httpx.Response, sent: Mapping[str, str]) -> Validators:
    etag = response.headers.get("etag")
    last_modified = response.headers.get("last-modified")
    if response.status_code == 304:
        # a 304 may omit the validators: keep the ones we sent
        etag = etag or sent.get("If-None-Match")
        last_modified = last_modified or sent.get("If-Modified-Since")
    return Validators(etag=etag, last_modified=last_modified)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
