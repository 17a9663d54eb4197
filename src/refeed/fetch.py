"""The only module that talks to the network.

One :class:`Fetcher` (one ``httpx.AsyncClient`` per network policy) per process. Each
GET is conditional when validators are known, has connect/read timeouts and a total
deadline over all its attempts, follows at most five redirects (http and https only),
stops reading at a byte cap (counted after decompression, which :mod:`refeed.inflate`
does in bounded steps, so a gzip or brotli bomb stops at the cap), is retried once on a
connection error or a 5xx (honouring Retry-After), and waits for a slot under a global
and a per-host limit.

Every connection goes through :class:`GuardedBackend`, which resolves the host once,
refuses addresses that are not public (loopback, private, link-local, CGNAT, multicast,
unspecified, reserved, and IPv4 hidden in IPv6) unless the request's
:class:`NetworkPolicy` allows private networks or lists the host, and dials the very
address it checked. A policy belongs to one source (the cycle sets it around the
source's work with :func:`network_policy`): an intranet host opened for one source stays
closed to every other source's links and redirects. Redirect hops open their own
connections, so each hop is checked, and a DNS answer that changes between check and
connect cannot slip through.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import ipaddress
import os
import socket
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Protocol, Self
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
    allow_private_networks: bool = False  # default for requests outside any source's policy
    # host names or networks allowed, outside a source's policy, to requests whose own
    # host is one of them (see scoped_hosts)
    allow_hosts: tuple[str, ...] = ()


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """Which non-public destinations one source's requests may reach."""

    allow_private: bool = False
    allow_hosts: tuple[str, ...] = ()  # host names or networks, e.g. intranet.example, 10.0.0.0/8


# Set by the cycle around one source's work, so that every request of that source
# (feed, pages, redirect hops) follows the source's own policy, and only those.
POLICY: contextvars.ContextVar[NetworkPolicy | None] = contextvars.ContextVar(
    "refeed_network_policy", default=None
)


@contextlib.contextmanager
def network_policy(policy: NetworkPolicy) -> Iterator[None]:
    """Within this block (and tasks started in it), requests follow *policy*."""
    token = POLICY.set(policy)
    try:
        yield
    finally:
        POLICY.reset(token)


def scoped_hosts(url: str, hosts: Sequence[str]) -> tuple[str, ...]:
    """*hosts* (a shared ``allow_hosts`` list) if *url*'s own host is in it, else ().

    The host is in it by name, or, for an address, inside a listed network. So a
    global list opens private hosts only to the sources that live on one of them.
    """
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ()
    policy = HostPolicy(allow_private=False, allow_hosts=hosts)
    return tuple(hosts) if host and policy.lists(host) else ()


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

    def lists(self, host: str) -> bool:
        """Whether *host* (a name or an address literal) is listed by name or network."""
        if host.lower().rstrip(".") in self.hosts:
            return True
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return False
        return any(address in network for network in self.networks)

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


class HostLanes(Protocol):
    """Per-host limits shared by several processes (:mod:`refeed.store.lanes`)."""

    def hold(self, host: str) -> contextlib.AbstractAsyncContextManager[None]: ...


class Fetcher:
    """Async HTTP GETs with refeed's politeness and safety rules."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        lanes: HostLanes | None = None,
    ) -> None:
        """*lanes*: per-host limits shared with other processes (``refeed worker``), on
        top of this process's own ``max_per_host``."""
        self.settings = settings or FetchSettings()
        s = self.settings
        self._lanes = lanes
        self._transport = transport  # given by tests only: then no guard is installed
        self._clients: dict[NetworkPolicy, httpx.AsyncClient] = {}
        self._all = asyncio.Semaphore(s.max_connections)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self.requests = 0  # requests sent, retries and redirects included

    def _client(self, network: NetworkPolicy) -> httpx.AsyncClient:
        """One client (one pool) per policy, so a connection opened for a source that
        may reach private addresses is never reused by one that may not."""
        client = self._clients.get(network)
        if client is None:
            s = self.settings
            limits = httpx.Limits(
                max_connections=s.max_connections,
                max_keepalive_connections=min(s.max_connections, 32),
                keepalive_expiry=defaults.KEEPALIVE_EXPIRY,
            )
            policy = HostPolicy(
                allow_private=network.allow_private, allow_hosts=network.allow_hosts
            )
            client = self._clients[network] = httpx.AsyncClient(
                headers={"User-Agent": s.user_agent, "Accept-Encoding": inflate.ACCEPT_ENCODING},
                timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
                follow_redirects=True,
                max_redirects=s.max_redirects,
                event_hooks={"request": [_check_hop]},
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

    @contextlib.asynccontextmanager
    async def _host_slot(self, url: str) -> AsyncIterator[None]:
        """One of the ``max_per_host`` requests to *url*'s host, in this process and, with
        shared lanes, in all of them."""
        parts = urlsplit(url)
        host = f"{(parts.hostname or '').lower()}:{parts.port or ''}"  # not the user info
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self.settings.max_per_host)
        async with slot:
            if self._lanes is None:
                yield
            else:
                async with self._lanes.hold(host):
                    yield

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
        destination the policy refuses or a URL that is not http(s). The request
        follows the enclosing :func:`network_policy` (else the settings);
        ``allow_private`` overrides its private-network switch. The deadline covers
        every attempt and the waits between them, not each attempt alone.
        """
        _check_url(url)
        policy = self._policy(url, allow_private)
        request_headers = {"Accept": accept, **(headers or {})}
        if validators is not None:
            if validators.etag:
                request_headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                request_headers["If-Modified-Since"] = validators.last_modified
        deadline = self.settings.deadline
        try:
            async with asyncio.timeout(deadline):
                return await self._attempts(url, request_headers, max_bytes, policy)
        except TimeoutError:
            raise FetchError(f"no complete answer within {deadline:g} s", url=url) from None

    async def _attempts(
        self, url: str, headers: dict[str, str], max_bytes: int, policy: NetworkPolicy
    ) -> Response:
        attempt = 0
        while True:
            try:
                async with self._all, self._host_slot(url):
                    return await self._get_once(url, headers, max_bytes, policy)
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

    def _policy(self, url: str, allow_private: bool | None) -> NetworkPolicy:
        """The enclosing :func:`network_policy`, else the settings' (the shared
        ``allow_hosts`` only for a URL on one of those hosts); ``allow_private`` wins."""
        policy = POLICY.get()
        if policy is None:
            policy = NetworkPolicy(
                allow_private=self.settings.allow_private_networks,
                allow_hosts=scoped_hosts(url, self.settings.allow_hosts),
            )
        if allow_private is not None and allow_private != policy.allow_private:
            policy = replace(policy, allow_private=allow_private)
        return policy

    async def post_form(self, url: str, data: Mapping[str, str | list[str]]) -> int:
        """POST a form (a WebSub ping) once, within the deadline; returns the status."""
        _check_url(url)
        try:
            async with asyncio.timeout(self.settings.deadline), self._all, self._host_slot(url):
                self.requests += 1
                client = self._client(self._policy(url, None))
                response = await client.post(url, data=dict(data))
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
        self, url: str, headers: dict[str, str], max_bytes: int, policy: NetworkPolicy
    ) -> Response:
        try:
            self.requests += 1
            async with self._client(policy).stream("GET", url, headers=headers) as response:
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
        except httpx.TooManyRedirects:
            raise FetchError(
                f"more than {self.settings.max_redirects} redirects", url=url, status=310
            ) from None
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out ({type(exc).__name__})", url=url) from exc
        except httpx.UnsupportedProtocol as exc:
            raise BlockedError(f"only http and https URLs are fetched: {exc}", url=url) from exc
        except httpx.InvalidURL as exc:
            raise BlockedError(f"not a usable URL: {exc}", url=url) from None
        except httpx.RemoteProtocolError as exc:
            if "location header" in str(exc).lower():  # a redirect nowhere: not retried
                raise BlockedError(f"not a usable URL: {exc}", url=url) from None
            raise FetchError(str(exc) or type(exc).__name__, url=url) from exc
        except httpx.ConnectError as exc:
            raise FetchError(_connect_failure(url, exc), url=url) from exc
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise FetchError(reason, url=url) from exc


def _connect_failure(url: str, exc: BaseException) -> str:
    """ "cannot connect to host:port: Connection refused" (not httpx's "All connection
    attempts failed"): the host, the port and the system's reason."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    cause: BaseException | None = exc
    reason = str(exc)
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve {parts.hostname}: {cause.strerror}"
        if isinstance(cause, OSError) and (cause.errno or cause.strerror):
            reason = os.strerror(cause.errno) if cause.errno else str(cause.strerror)
            break
        cause = cause.__cause__ or cause.__context__
    return f"cannot connect to {parts.hostname}:{port}: {reason or 'no answer'}"


def _check_url(url: str) -> None:
    """Refuse, before any request, a URL that is not http(s) or that httpx cannot use."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        raise BlockedError(f"not a usable URL: {exc}", url=url) from None
    if scheme not in ("http", "https"):
        raise BlockedError(f"only http and https URLs are fetched, not {scheme or 'this'}", url=url)
    if not parts.hostname:
        raise BlockedError("not a usable URL: it has no host", url=url)


async def _check_hop(request: httpx.Request) -> None:
    """httpx event hook on every request, redirect hops included: http(s) only (httpx
    would follow a redirect to ws:// or wss:// as if it were http)."""
    if request.url.scheme not in ("http", "https"):
        raise BlockedError(
            f"refused to follow a redirect to {request.url.scheme}://: only http and https "
            "URLs are fetched",
            url=str(request.url),
        )


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
