"""The only module that talks to the network.

One :class:`Fetcher` (one ``httpx.AsyncClient``) per process. Each GET is
conditional when validators are known, has connect/read timeouts and a total
deadline, follows at most five redirects, stops reading at a byte cap (counted
after decompression, which :mod:`refeed.inflate` does in bounded steps, so a
gzip or brotli bomb stops at the cap), is retried once on a
connection error or a 5xx (honouring Retry-After), and waits for a slot under a
global and a per-host limit.

Every connection goes through :class:`GuardedBackend`, which resolves the host
once, refuses addresses that are not public (loopback, private, link-local,
CGNAT, multicast, unspecified, reserved, and IPv4 hidden in IPv6) unless the
source allows private networks or the host is in ``allow_hosts``, and dials the
very address it checked. Redirect hops open their own connections, so each hop
is checked, and a DNS answer that changes between check and connect cannot
slip through.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import ipaddress
import socket
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpcore
import httpx

from refeed import defaults, inflate
from refeed.errors import BlockedError, FetchError, TooLargeError
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
    allow_private_networks: bool = False  # default for requests that do not say
    allow_hosts: tuple[str, ...] = ()  # host names or networks always allowed


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

# Set by the cycle around one source's work, so that every request of that source
# (feed, pages, redirect hops) follows the source's own allow_private_networks.
ALLOW_PRIVATE: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "refeed_allow_private", default=None
)


@contextlib.contextmanager
def private_networks(allowed: bool) -> Iterator[None]:
    """Within this block (and tasks started in it), requests may reach private addresses."""
    token = ALLOW_PRIVATE.set(allowed)
    try:
        yield
    finally:
        ALLOW_PRIVATE.reset(token)


def is_public_address(address: str | IPAddress) -> bool:
    """True only for a globally routable unicast address, IPv4 inside IPv6 included."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(embedded):
            return False
        if ip.scope_id:
            return False
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_unspecified
        and not ip.is_private
    )


class HostPolicy:
    """Which destinations a request may connect to."""

    def __init__(self, *, allow_private: bool, allow_hosts: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow_hosts:
            try:
                self.networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                self.hosts.add(entry.lower().rstrip("."))

    def allows(self, host: str, address: IPAddress) -> bool:
        return (
            self.allow_private
            or is_public_address(address)
            or host.lower().rstrip(".") in self.hosts
            or any(address in network for network in self.networks)
        )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that checks the address it dials (see module doc)."""

    def __init__(self, policy: HostPolicy, inner: httpcore.AsyncNetworkBackend | None = None):
        self.policy = policy
        self.inner: httpcore.AsyncNetworkBackend = inner or httpcore.AnyIOBackend()

    async def resolve(self, host: str, port: int) -> list[str]:
        """The host's addresses, in the resolver's order (an IP literal is its own)."""
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses: list[str] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            address = str(sockaddr[0])
            if address not in addresses:
                addresses.append(address)
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.resolve(host, port)
        allowed = [a for a in addresses if self.policy.allows(host, ipaddress.ip_address(a))]
        if not allowed:
            shown = ", ".join(addresses) or "no address"
            raise BlockedError(
                f"refused to connect to {host} ({shown}): not a public address; set "
                "allow_private_networks: true or list the host in allow_hosts to allow it"
            )
        error: Exception | None = None
        for address in allowed:  # dial the checked address, never the name again
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedError(f"refused to connect to the unix socket {path}")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_transport(
    policy: HostPolicy, limits: httpx.Limits, backend: GuardedBackend | None = None
) -> httpx.AsyncHTTPTransport:
    """httpx's own transport, with its connection pool dialling through the guard."""
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    pool = transport._pool
    if not isinstance(pool, httpcore.AsyncConnectionPool):  # pragma: no cover
        raise RuntimeError("httpx changed its transport; the SSRF guard cannot be installed")
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=pool._ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend or GuardedBackend(policy),
    )
    return transport


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
        self._transport = transport  # given by tests only: then no guard is installed
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._all = asyncio.Semaphore(s.max_connections)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self.requests = 0  # requests sent, retries and redirects included

    def _client(self, allow_private: bool) -> httpx.AsyncClient:
        """One client (one pool) per policy, so a connection opened for a source that
        may reach private addresses is never reused by one that may not."""
        client = self._clients.get(allow_private)
        if client is None:
            s = self.settings
            limits = httpx.Limits(
                max_connections=s.max_connections,
                max_keepalive_connections=min(s.max_connections, 32),
                keepalive_expiry=defaults.KEEPALIVE_EXPIRY,
            )
            policy = HostPolicy(allow_private=allow_private, allow_hosts=s.allow_hosts)
            client = self._clients[allow_private] = httpx.AsyncClient(
                headers={"User-Agent": s.user_agent, "Accept-Encoding": inflate.ACCEPT_ENCODING},
                timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
                follow_redirects=True,
                max_redirects=s.max_redirects,
                transport=self._transport or guarded_transport(policy, limits),
                trust_env=False,
            )
        return client

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
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

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
        allow_private: bool | None = None,
    ) -> Response:
        """GET ``url``; a 304 comes back as a :class:`Response` with status 304.

        Raises :class:`FetchError` (with the URL and, for HTTP errors, the status)
        for everything else that is not a 2xx, and :class:`BlockedError` for a
        destination the policy refuses. ``allow_private`` (else the enclosing
        :func:`private_networks` block, else the settings) opens private addresses.
        """
        allow_private = self._private(allow_private)
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise BlockedError(
                f"only http and https URLs are fetched, not {scheme or 'this'}", url=url
            )
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
                    return await self._get_once(url, request_headers, max_bytes, allow_private)
            except BlockedError as exc:
                exc.url = exc.url or url
                raise
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

    def _private(self, allow_private: bool | None) -> bool:
        """The argument, else the enclosing :func:`private_networks` block, else the settings."""
        if allow_private is None:
            allow_private = ALLOW_PRIVATE.get()
        if allow_private is None:
            allow_private = self.settings.allow_private_networks
        return allow_private

    async def post_form(self, url: str, data: Mapping[str, str | list[str]]) -> int:
        """POST a form (a WebSub ping) once, within the deadline; returns the status."""
        try:
            async with asyncio.timeout(self.settings.deadline), self._all, self._host_slot(url):
                self.requests += 1
                response = await self._client(self._private(None)).post(url, data=dict(data))
        except TimeoutError:
            raise FetchError(
                f"no complete answer within {self.settings.deadline:g} s", url=url
            ) from None
        except httpx.HTTPError as exc:
            raise FetchError(str(exc) or type(exc).__name__, url=url) from exc
        if not response.is_success:
            raise FetchError(f"HTTP {response.status_code}", url=url, status=response.status_code)
        return response.status_code

    async def _get_once(
        self, url: str, headers: dict[str, str], max_bytes: int, allow_private: bool
    ) -> Response:
        try:
            async with asyncio.timeout(self.settings.deadline):
                self.requests += 1
                async with self._client(allow_private).stream(
                    "GET", url, headers=headers
                ) as response:
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
        except httpx.UnsupportedProtocol as exc:
            raise BlockedError(f"only http and https URLs are fetched: {exc}", url=url) from exc
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise FetchError(reason, url=url) from exc


async def _read_capped(response: httpx.Response, max_bytes: int, url: str) -> bytes:
    """The body, decoded step by bounded step (:mod:`refeed.inflate`), up to ``max_bytes``.

    The raw bytes are read and inflated here, not by httpx, which would inflate each
    network chunk whole before anything could count it.
    """
    try:
        decoder = inflate.inflater(response.headers.get("content-encoding"))
    except inflate.CodingError as exc:
        raise FetchError(str(exc), url=url, status=response.status_code) from None
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        # decoded, a body is never smaller than that
        raise TooLargeError(
            f"response of {int(declared)} bytes is over the {max_bytes} byte cap", url=url
        )
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        try:
            for chunk in decoder.feed(raw):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLargeError(f"response is over the {max_bytes} byte cap", url=url)
                chunks.append(chunk)
        except inflate.CodingError as exc:
            raise FetchError(str(exc), url=url, status=response.status_code) from None
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
