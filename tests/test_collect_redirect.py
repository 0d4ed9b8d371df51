"""A redirect is never followed: the bearer token goes to the configured hosts only, and the section that
was redirected is an honest `error`, never data from somewhere else."""

from __future__ import annotations

from aiohttp import web

from auditor.collect import CollectOptions, collect_all_async
from auditor.config import AuditConfig, AuthConfig, Endpoints, TenantEntry
from auditor.snapshot import SectionStatus
from tests.test_collect import NOW, TOKEN_ENV
from tests.test_collect_data import CUSTOMER_A


async def _server(handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


async def test_redirects_are_not_followed(tmp_path) -> None:
    elsewhere: list[str] = []

    async def other_host(request: web.Request) -> web.Response:
        elsewhere.append(request.headers.get("Authorization", ""))
        return web.json_response({"value": []})

    other, other_url = await _server(other_host)

    async def redirecting(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{other_url}{request.path_qs}")

    main, main_url = await _server(redirecting)
    try:
        config = AuditConfig(
            tenants=[TenantEntry(id=CUSTOMER_A, name="Contoso Inc")],
            discover_customers=False,
            auth=AuthConfig(method="static_token"),
            endpoints=Endpoints(graph=main_url, arm=main_url, authority=main_url),
        )
        options = CollectOptions(timeout_s=2, max_retries=0, backoff_s=0.01, max_retry_wait_s=0.1, environ=TOKEN_ENV)
        runs = await collect_all_async(config, tmp_path, now=NOW, options=options)
    finally:
        await main.cleanup()
        await other.cleanup()
    assert elsewhere == []
    snapshot = runs[0].snapshot
    organization = snapshot.section("organization")
    assert organization.status is SectionStatus.ERROR and "302" in organization.reason
    assert snapshot.section("subscriptions").status is SectionStatus.ERROR
