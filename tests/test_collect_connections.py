"""The collection's shared connection pool (auditor/collect/connections.py): tenants reuse each other's
keep-alive connections, the pool's bound holds, and a connection that breaks fails only the request on it,
never another tenant sharing the pool. Connections are counted by the emulator; no test asserts a duration.
And a tenant's tokens are kept for its SDK's per-request asks (credentials.ReusedTokens)."""

from __future__ import annotations

import gzip
import ssl
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
from aiohttp import web
from azure.core.credentials import AccessToken

from auditor.collect import CollectOptions
from auditor.collect.connections import pooled_client, send, shared_connections
from auditor.collect.credentials import ReusedTokens
from auditor.collect.emulator import Emulator
from auditor.collect.faults import Fault, FaultKind
from auditor.snapshot import SectionStatus
from tests.test_collect import FAST, TOKEN_ENV, collect, comparable
from tests.test_collect_data import CUSTOMER_A, CUSTOMER_B, customer

CUSTOMER_C = "c3c3c3c3-0e1f-4a3b-8c5d-6e7f8a9b0c1d"
CUSTOMER_D = "d4d4d4d4-0e1f-4a3b-8c5d-6e7f8a9b0c1d"
CUSTOMER_E = "e5e5e5e5-0e1f-4a3b-8c5d-6e7f8a9b0c1d"


def _tenants(count: int) -> list:
    ids = [CUSTOMER_A, CUSTOMER_B, CUSTOMER_C, CUSTOMER_D, CUSTOMER_E][:count]
    return [customer(tenant_id, name=f"Customer {i}") for i, tenant_id in enumerate(ids)]


async def test_tenants_one_after_another_reuse_the_first_tenants_connections(tmp_path: Path) -> None:
    """Tokens (TLS, azure-identity), Graph and ARM all through the pool: five tenants read one at a time
    open about the connections one tenant needs, not five times as many."""
    alone, five = _tenants(1), _tenants(5)
    counts = []
    for index, tenants in enumerate((alone, five)):
        async with Emulator(tenants, client_secret="emulator-secret", tls_authority=True) as emulator:
            options = CollectOptions(environ=TOKEN_ENV, ca_bundle=str(emulator.ca_path), concurrency=1)
            got = await collect(emulator, tenants, tmp_path / str(index), options, method="client_secret")
            counts.append(emulator.connections)
            tokens = len(emulator.token_requests)
        assert [comparable(got[t.tenant.id]) for t in tenants] == [comparable(t) for t in tenants]
    one, all_five = counts
    assert tokens == 10  # two per tenant, as before: only the connections are shared
    assert one >= 3  # the authority, Graph and ARM at least
    assert all_five <= one + 2  # one connection per tenant each would already be one + 4


async def test_the_pool_bound_holds_for_tenants_read_at_once(tmp_path: Path) -> None:
    tenants = _tenants(4)
    async with Emulator(tenants, latency_ms=5) as emulator:
        options = replace(FAST, concurrency=4, connections_per_host=2, timeout_s=5.0)
        got = await collect(emulator, tenants, tmp_path, options)
        connections = emulator.connections
    assert 1 <= connections <= 2  # Graph and ARM share the emulator's one host and port
    assert [comparable(got[t.tenant.id]) for t in tenants] == [comparable(t) for t in tenants]


async def test_a_broken_connection_fails_only_its_own_tenants_request(tmp_path: Path) -> None:
    """Tenant A's requests are reset (its `users` $batch twice, then answered; its `pricings` every time)
    on the one connection it shares with B: A keeps the rest of its data, B loses nothing."""
    tenants = _tenants(2)
    faults = [Fault(FaultKind.CONNECTION_RESET, section="users", tenant=CUSTOMER_A, times=2),
              Fault(FaultKind.CONNECTION_RESET, section="pricings", tenant=CUSTOMER_A)]
    async with Emulator(tenants, faults=faults, latency_ms=2) as emulator:
        options = replace(FAST, concurrency=2, connections_per_host=1, timeout_s=5.0)
        got = await collect(emulator, tenants, tmp_path, options)
        connections = emulator.connections
        b_requests = [r.status for r in emulator.http_requests(CUSTOMER_B)]
    assert comparable(got[CUSTOMER_B]) == comparable(tenants[1])
    assert all(status == 200 for status in b_requests)  # none of B's requests was on a broken connection
    a = got[CUSTOMER_A]
    pricings = a.azure_subscriptions[0].sections["pricings"]
    assert pricings.status is SectionStatus.ERROR
    assert pricings.reason == f"connection reset by peer; gave up after {FAST.max_retries} retries"
    assert a.sections["users"].ok and a.sections["users"].data == tenants[0].sections["users"].data
    assert a.azure_subscriptions[0].sections["budgets"].ok
    # Every reset took the pool's one connection with it; the pool opened a new one for the next request.
    assert connections >= 2 + FAST.max_retries + 1


# -- tokens kept per tenant (credentials.ReusedTokens) ------------------------------------------------------

class CountingCredential:
    """Stands in for azure-identity: a new token per call, expiring ``lifetime_s`` from now."""

    def __init__(self, lifetime_s: int = 3600) -> None:
        self.calls: list[tuple[tuple[str, ...], dict]] = []
        self.lifetime_s = lifetime_s

    async def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.calls.append((scopes, kwargs))
        return AccessToken(f"token-{len(self.calls)}", int(time.time()) + self.lifetime_s)


async def test_a_kept_token_is_handed_out_again_without_asking_the_credential() -> None:
    credential = CountingCredential()
    tokens = ReusedTokens(credential)
    graph = [await tokens.get_token("https://graph/.default", claims=None, enable_cae=True) for _ in range(5)]
    arm = [await tokens.get_token("https://arm/.default") for _ in range(3)]
    assert {t.token for t in graph} == {"token-1"} and {t.token for t in arm} == {"token-2"}
    # Asked as the callers asked: the SDK with enable_cae, ARM without it.
    assert credential.calls == [(("https://graph/.default",), {"enable_cae": True}), (("https://arm/.default",), {})]


async def test_a_token_near_its_expiry_or_a_claims_challenge_goes_to_the_credential() -> None:
    expiring = CountingCredential(lifetime_s=ReusedTokens.REFRESH_MARGIN_S - 10)
    tokens = ReusedTokens(expiring)
    await tokens.get_token("https://graph/.default")
    await tokens.get_token("https://graph/.default")
    assert len(expiring.calls) == 2
    fresh = CountingCredential()
    tokens = ReusedTokens(fresh)
    await tokens.get_token("https://graph/.default", enable_cae=True)
    challenged = await tokens.get_token("https://graph/.default", claims='{"access_token":{}}', enable_cae=True)
    assert challenged.token == "token-2"
    assert fresh.calls[1] == (("https://graph/.default",), {"claims": '{"access_token":{}}', "enable_cae": True})


# -- proxies from the environment (connections.env_proxy) ----------------------------------------------------

class ForwardingProxy:
    """A plain-HTTP forward proxy on 127.0.0.1: takes absolute-form requests, forwards them, counts them."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.port = 0

    async def _forward(self, request: web.Request) -> web.Response:
        self.seen.append(f"{request.method} {request.url}")
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            async with session.request(request.method, request.url, headers=request.headers,
                                       data=await request.read(), allow_redirects=False) as answer:
                return web.Response(status=answer.status, body=await answer.read(), headers=answer.headers)

    async def __aenter__(self) -> "ForwardingProxy":
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *args: object) -> None:
        await self._runner.cleanup()


async def test_graph_and_arm_go_through_the_proxy_http_proxy_names(tmp_path: Path, monkeypatch) -> None:
    tenants = _tenants(1)
    async with Emulator(tenants) as emulator, ForwardingProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        got = await collect(emulator, tenants, tmp_path)
        sent = len(emulator.http_requests())
    assert comparable(got[CUSTOMER_A]) == comparable(tenants[0])
    assert len(proxy.seen) == sent > 0
    assert any("/v1.0/$batch" in line for line in proxy.seen) and any("/subscriptions/" in line or
                                                                     "ResourceGraph" in line for line in proxy.seen)


async def test_no_proxy_exempts_its_hosts(tmp_path: Path, monkeypatch) -> None:
    tenants = _tenants(1)
    async with Emulator(tenants) as emulator, ForwardingProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        got = await collect(emulator, tenants, tmp_path)
    assert comparable(got[CUSTOMER_A]) == comparable(tenants[0])
    assert proxy.seen == []


# -- bodies as the services send them (gzip) -------------------------------------------------------------------

async def test_a_gzipped_answer_is_decoded_once_through_the_sdk_transport_and_for_arm() -> None:
    """Graph and ARM gzip their JSON when asked (Accept-Encoding): httpx decodes for the SDK (the pool
    leaves the body as sent), aiohttp for ARM; neither path decodes twice or not at all."""
    document = b'{"value": [{"id": "1", "displayName": "Caf\\u00e9"}]}'
    seen: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Accept-Encoding", ""))
        return web.Response(body=gzip.compress(document), headers={"Content-Encoding": "gzip",
                                                                   "Content-Type": "application/json"})

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1.0/users"  # type: ignore[union-attr]
    try:
        async with shared_connections(ssl.create_default_context()) as session:
            client = pooled_client(session, 5.0)
            through_sdk = await client.get(url)
            await client.aclose()
            for_arm = await send(session, "GET", url, {"Accept": "application/json"}, 5.0)
    finally:
        await runner.cleanup()
    assert through_sdk.content == document and for_arm.content == document
    assert all("gzip" in value for value in seen) and len(seen) == 2
