"""The HTTP connections of a collection: one bounded keep-alive pool per event loop, shared by every tenant.

Before this module each tenant opened its own connections through two stacks: azure-identity's token
requests through an aiohttp session of their own (azure-core's `AioHttpTransport`), Graph (msgraph-sdk's
httpx client) and ARM (an httpx client) through httpcore, each client with its own pool. About 9 new
connections per tenant (one a TLS handshake with the login authority), and httpcore/h11/anyio's pure-Python
HTTP handling was the largest share of the collector's CPU (issue 16). A single httpx pool shared by all
tenants of a process was tried and was 3-4x worse: httpcore's pool scans its connections linearly.

Now every request of a tenant goes through one aiohttp ``ClientSession`` per event loop (a worker process):
its connector keeps a bounded number of keep-alive connections per host (`CollectOptions.
connections_per_host`) and hands them from one tenant's request to the next, and its HTTP parser is compiled.
msgraph-sdk keeps its httpx client (kiota's middleware, our retry and error handling are unchanged):
``PooledTransport`` is the httpx transport it sends through. ARM requests go straight through the pool
(``send``); token requests too (`AioHttpTransport(session=..., session_owner=False)`, credentials.py).
A failure without an answer is raised as the httpx exception httpcore raised for it, so
auditor/collect/network.py words and classifies every failure one way.

What is shared is connections only, never state a tenant could leak into another: the session keeps no
cookies (``DummyCookieJar``), every request carries its own tenant's token, and a connection is used by one
request at a time. A connection that breaks fails only the request on it; the pool opens another for the
next one.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import weakref
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, AsyncIterator, Mapping

import aiohttp
import httpx
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

from auditor.collect.options import CollectOptions

CONNECTIONS_PER_HOST = CollectOptions.connections_per_host

_SHARED: ContextVar["aiohttp.ClientSession | None"] = ContextVar("auditor_shared_connections", default=None)


def new_session(trust: ssl.SSLContext, per_host: int = CONNECTIONS_PER_HOST) -> aiohttp.ClientSession:
    """A session verifying TLS with ``trust`` (the run's one context, auditor/collect/trust.py), keeping no
    cookies, and leaving bodies as sent (httpx and azure-core decode gzip themselves, so nothing is decoded
    twice). Requests through it take their proxy from ``env_proxy``. Call inside the event loop that will
    use it."""
    connector = aiohttp.TCPConnector(ssl=trust, limit=0, limit_per_host=per_host)
    # trust_env stays off: with it aiohttp looks up the proxy variables and ~/.netrc in a thread on every
    # request (two thread hops, ~12 % of the collector's CPU); ``env_proxy`` finds the same proxy once per host.
    session = aiohttp.ClientSession(connector=connector, trust_env=False, auto_decompress=False,
                                    cookie_jar=aiohttp.DummyCookieJar())
    # aiohttp resends a GET once, silently, when its connection drops (aiohttp/client.py,
    # retry_persistent_connection); it has no public switch. Retries are ours alone (auditor/collect/policy.py:
    # one bound, backoff, the reason kept), so a failing request reaches the server as often as the policy says.
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
    return session


_PROXIES: "weakref.WeakKeyDictionary[aiohttp.ClientSession, dict[tuple[str, str | None, int | None], Any]]" = (
    weakref.WeakKeyDictionary())


def env_proxy(session: aiohttp.ClientSession, url: URL) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    """The proxy (and its credentials) HTTPS_PROXY / HTTP_PROXY name for ``url`` unless NO_PROXY exempts its
    host, found as aiohttp's ``trust_env`` finds it (``aiohttp.helpers.get_env_proxy_for_url``), once per
    scheme, host and port for the session's life; (None, None) for a direct connection."""
    known = _PROXIES.setdefault(session, {})
    key = (url.scheme, url.host, url.port)
    if key not in known:
        try:
            known[key] = get_env_proxy_for_url(url)
        except LookupError:
            known[key] = (None, None)
    return known[key]  # type: ignore[no-any-return]


def token_transport(session: aiohttp.ClientSession) -> Any:
    """azure-core's aiohttp transport over the pool, for azure-identity's token requests: the session stays
    open when the credential closes (``session_owner=False``), and the proxy comes from ``env_proxy``."""
    return _token_transport_class()(session=session, session_owner=False)


@functools.cache
def _token_transport_class() -> type:
    from azure.core.pipeline.transport import AioHttpTransport  # imported when a collection starts

    class PooledTokenTransport(AioHttpTransport):
        async def send(self, request: Any, **config: Any) -> Any:  # type: ignore[override]
            if not config.get("proxies") and not config.get("proxy"):
                proxy, auth = env_proxy(self.session, URL(request.url))
                if proxy is not None:
                    config["proxy"], config["proxy_auth"] = proxy, auth
            return await super().send(request, **config)

    return PooledTokenTransport


@asynccontextmanager
async def shared_connections(
    trust: ssl.SSLContext, per_host: int = CONNECTIONS_PER_HOST
) -> AsyncIterator[aiohttp.ClientSession]:
    """Within this block (and the tasks it starts), every tenant's clients share one pool; closed at the end."""
    session = new_session(trust, per_host)
    token = _SHARED.set(session)
    try:
        yield session
    finally:
        _SHARED.reset(token)
        await session.close()


@asynccontextmanager
async def tenant_connections(
    trust: ssl.SSLContext, per_host: int = CONNECTIONS_PER_HOST
) -> AsyncIterator[aiohttp.ClientSession]:
    """The pool a tenant's clients use: the shared one when a run opened it, else one of the tenant's own
    (a tenant collected on its own: the partner's context, a test), closed when the tenant ends."""
    shared = _SHARED.get()
    if shared is not None and not shared.closed:
        yield shared
        return
    session = new_session(trust, per_host)
    try:
        yield session
    finally:
        await session.close()


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    """httpx's per-request timeouts in aiohttp's terms: connect bounds the TCP and TLS set-up (not the wait
    for a free pooled connection, which is the run's own queue), read bounds each wait for data."""
    timeouts = request.extensions.get("timeout") or {}
    return aiohttp.ClientTimeout(total=None, connect=None, sock_connect=timeouts.get("connect"),
                                 sock_read=timeouts.get("read"))


def _as_httpx(exc: BaseException, request: httpx.Request | None) -> httpx.TransportError:
    """aiohttp's failure as the httpx exception the same failure raises through httpcore, so the reasons
    and retry decisions of auditor/collect/network.py hold for both (the original stays as the cause)."""
    text = str(exc) or exc.__class__.__name__
    kind: type[httpx.TransportError]
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        kind = httpx.ConnectTimeout
    elif isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        kind = httpx.ReadTimeout
    elif isinstance(exc, (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError)):
        kind = httpx.ProxyError
    elif isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ClientSSLError)):
        kind = httpx.ConnectError
    elif isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
        kind = httpx.RemoteProtocolError
    elif isinstance(exc, (aiohttp.ClientOSError, OSError)):
        kind = httpx.ReadError
    else:
        kind = httpx.TransportError if not isinstance(exc, aiohttp.ClientConnectionError) else httpx.NetworkError
    return kind(text, request=request)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer read whole: status, headers (case-insensitive) and the body, decoded (gzip)."""

    status: int
    headers: Mapping[str, str]
    content: bytes


async def send(
    session: aiohttp.ClientSession, method: str, url: str, headers: Mapping[str, str], timeout_s: float,
    body: bytes | None = None,
) -> Answer:
    """One request straight through the pool, for ARM (no SDK between: no httpx client to build or parse
    the URL again). ``url`` is sent as written (already percent-encoded, as our request URLs and the
    service's nextLinks are). A request without an HTTP answer raises the httpx exception the same failure
    raises through httpx (``httpx.ConnectError``, ``httpx.ReadTimeout``...), as the transport below does."""
    timeout = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=timeout_s, sock_read=timeout_s)
    target = URL(url, encoded=True)
    proxy, proxy_auth = env_proxy(session, target)
    try:
        async with session.request(method, target, headers=headers, data=body, allow_redirects=False,
                                   timeout=timeout, auto_decompress=True, proxy=proxy,
                                   proxy_auth=proxy_auth) as response:
            return Answer(response.status, response.headers, await response.read())
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        raise _as_httpx(exc, None) from exc


class PooledTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends through an aiohttp session's pool. The request goes out as httpx built
    it (method, URL as encoded, headers, body); the answer comes back with its status, headers and body
    bytes untouched. Redirects are never followed here (httpx and kiota decide)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        target = URL(str(request.url), encoded=True)
        proxy, proxy_auth = env_proxy(self._session, target)
        try:
            async with self._session.request(
                request.method, target, headers=headers, data=body or None, allow_redirects=False,
                timeout=_timeout(request), proxy=proxy, proxy_auth=proxy_auth,
            ) as response:
                content = await response.read()
                status, raw_headers, reason = response.status, response.raw_headers, response.reason or ""
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise _as_httpx(exc, request) from exc
        return httpx.Response(status, headers=list(raw_headers), stream=httpx.ByteStream(content),
                              extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason.encode("latin-1")})


def pooled_client(session: aiohttp.ClientSession, timeout_s: float) -> httpx.AsyncClient:
    """An httpx client over ``session`` (one per tenant and API: its cookies and settings stay the tenant's)."""
    return httpx.AsyncClient(transport=PooledTransport(session), timeout=timeout_s, follow_redirects=False)
