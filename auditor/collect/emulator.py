"""A local Microsoft Graph + ARM + login emulator that serves snapshots back over real HTTP.

It answers as Graph v1.0/beta and ARM do, for the requests our collectors send (auditor/collect/plan.py):
`$select`, `$top`, paging with absolute `@odata.nextLink`/`nextLink`, simple `eq`/`in` `$filter`s, JSON
`POST /$batch`, and the collector's own Azure Resource Graph queries (a read-only POST, emulator_arg); and it issues tokens per tenant at `/<tenant>/oauth2/v2.0/token` (client-credentials flow)
so the real azure-identity credentials can be pointed at it. A non-ok section is served as the error that
produced it (403, licence error, 404, 500). Faults can be injected per section and tenant
(auditor/collect/faults.py), including a page-2 failure, a looping nextLink and a TCP reset. Every request
is recorded; any write gets 405 and is recorded as a write; the most requests in flight at once per tenant
are counted (`max_in_flight`), and so are the TCP connections requests arrived on (`connections`). Served
over HTTPS too (`tls_all`), with a certificate of the caller's (a test's throwaway CA) or a self-signed one.

Built on aiohttp's server: benchmarks hold hundreds of concurrent connections. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import ssl
import struct
import tempfile
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from aiohttp import web

from auditor.collect.emulator_answers import (
    ANSWERING_FAULTS,
    Answer,
    error_for,
    fault_answer,
    graph_error,
)
from auditor.collect import emulator_partner
from auditor.collect.emulator_login import DelegatedLogin
from auditor.collect.emulator_odata import HOST, parse_filter, select_fields, self_signed
from auditor.collect.faults import TOKEN_ENDPOINT, Fault, FaultKind
from auditor.collect import emulator_arg
from auditor.collect.plan import AZURE_PER_PARENT_SECTIONS, PER_PARENT_SECTIONS, Api, SectionRequest, match_request
from auditor.collect.resource_graph import LISTING_SECTION, RESOURCE_GRAPH_PATH
from auditor.config import Endpoints
from auditor.snapshot import ENTITY_SHAPES, TENANT_SECTIONS, Section, SectionStatus, TenantSnapshot, load_snapshot, snapshot_files

RESOURCE_GRAPH_FAULT = "resource_graph"  # a Fault section that takes every Azure Resource Graph query
STATIC_TOKEN_PREFIX = "tenant:"  # a fixed test token "tenant:<id>" routes to that tenant
DEFAULT_PAGE_SIZE = 100  # Graph's default page when no $top is given
MAX_TOP = 999


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # path and query as received
    tenant: str = ""
    section: str = ""
    status: int = 0
    in_batch: bool = False  # a request inside a $batch (not an HTTP request of its own)


class Emulator:
    """Serves tenants (snapshot objects, a folder of snapshot files, or a factory by tenant id)."""

    def __init__(
        self,
        snapshots: Iterable[TenantSnapshot] = (),
        *,
        folder: Path | None = None,
        factory: Callable[[str], TenantSnapshot | None] | None = None,
        faults: Iterable[Fault] = (),
        latency_ms: float = 0.0,
        client_secret: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_page_size: int = MAX_TOP,
        arm_page_size: int = 1000,
        tls_authority: bool = False,
        tls_all: bool = False,
        certificate: tuple[Path, Path] | None = None,
        cache_size: int = 512,
        delegated: DelegatedLogin | None = None,
        gdap_sections: dict[str, set[str]] | None = None,
        hidden_from_resource_graph: Iterable[str] = (),
    ) -> None:
        """`tls_authority`: the login authority on an https port (azure-identity insists on https);
        `tls_all`: Graph and ARM there as well, `endpoints()` all https. `certificate`: (PEM chain, PEM key)
        served on that port; None makes a self-signed one whose file is `ca_path`.
        `hidden_from_resource_graph`: subscription ids ARM lists but Resource Graph shows nothing of (not
        indexed yet, or the app's role is on a resource group only). `delegated`: the partner user a
        device-code sign-in and refresh-token grants issue tokens to (auditor/collect/emulator_login.py);
        `gdap_sections`: per tenant id, the sections a delegated caller's GDAP roles allow (others: 403)."""
        self._tenants: dict[str, TenantSnapshot] = {s.tenant.id.lower(): s for s in snapshots}
        if folder is not None:
            for path in snapshot_files([folder]):
                snapshot = load_snapshot(path)
                self._tenants[snapshot.tenant.id.lower()] = snapshot
        self._factory = factory
        self._cache: OrderedDict[str, TenantSnapshot | None] = OrderedDict()
        self._cache_size = cache_size
        self.faults: list[Fault] = list(faults)
        self.latency_s = latency_ms / 1000.0
        self.client_secret = client_secret
        self.page_size = page_size
        self.max_page_size = max_page_size
        self.arm_page_size = arm_page_size
        self.hidden_from_resource_graph = frozenset(s.lower() for s in hidden_from_resource_graph)
        self._tls = tls_authority or tls_all
        self._tls_all = tls_all
        self._certificate = certificate
        self._in_flight: dict[tuple[str, str], int] = {}
        # (tenant id in lower case, "graph" or "arm") -> the most HTTP requests in flight at once
        self.max_in_flight: dict[tuple[str, str], int] = {}
        self._tokens: dict[str, str] = {}
        # Every TCP connection a request arrived on, plain or TLS, counted once (the collector's pool reuse).
        self._seen_transports: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()
        self.connections = 0
        self.delegated = delegated
        self.gdap_sections = {k.lower(): v for k, v in (gdap_sections or {}).items()}
        self.requests: list[RequestRecord] = []
        self.writes: list[RequestRecord] = []
        self.token_requests: list[RequestRecord] = []
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None  # created by start(), in the serving loop
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self.port = 0
        self.tls_port = 0
        self.ca_path: Path | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Where Graph and ARM are served (and what nextLinks point at)."""
        return f"https://{HOST}:{self.tls_port}" if self._tls_all else self.plain_url

    @property
    def plain_url(self) -> str:
        """The plain-http port, always open (the benchmark reads /_emulator/stats there)."""
        return f"http://{HOST}:{self.port}"

    @property
    def authority_url(self) -> str:
        return f"https://{HOST}:{self.tls_port}" if self._tls else self.base_url

    def endpoints(self) -> Endpoints:
        return Endpoints(graph=self.base_url, arm=self.base_url, authority=self.authority_url,
                         partner_center=self.base_url)

    async def start(self, port: int = 0, tls_port: int = 0) -> "Emulator":
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, port, backlog=1024, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if self._tls:
            if self._certificate is not None:
                cert, key = self._certificate
            else:
                self._tempdir = tempfile.TemporaryDirectory(prefix="auditor-emulator-")
                cert, key = self_signed(Path(self._tempdir.name))
                self.ca_path = cert
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            tls_site = web.TCPSite(self._runner, HOST, tls_port, ssl_context=context, backlog=1024)
            await tls_site.start()
            self.tls_port = tls_site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    async def __aenter__(self) -> "Emulator":
        return await self.start()

    async def __aexit__(self, *args: object) -> None:
        await self.stop()

    # -- what tests read -------------------------------------------------------------------------------

    def http_requests(self, tenant: str | None = None) -> list[RequestRecord]:
        """Graph and ARM HTTP requests (a $batch counts once), optionally for one tenant."""
        return [r for r in self.requests if not r.in_batch and (tenant is None or r.tenant.lower() == tenant.lower())]

    def add_fault(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    # -- tenants ---------------------------------------------------------------------------------------

    def tenant(self, tenant_id: str) -> TenantSnapshot | None:
        key = tenant_id.lower()
        found = self._tenants.get(key)
        if found is not None or self._factory is None:
            return found
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        made = self._factory(tenant_id)
        self._cache[key] = made
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return made

    def _tenant_of(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        token = header[7:].strip()
        if token.startswith(STATIC_TOKEN_PREFIX):
            tenant = token[len(STATIC_TOKEN_PREFIX):]
        else:
            tenant = self._tokens.get(token, "")
        return tenant if tenant and self.tenant(tenant) is not None else None

    # -- HTTP ------------------------------------------------------------------------------------------

    async def _hold(self, seconds: float) -> None:
        if seconds <= 0:
            return
        assert self._stopping is not None
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    def _count_connection(self, request: web.Request) -> None:
        transport = request.transport
        if transport is not None and transport not in self._seen_transports:
            self._seen_transports.add(transport)
            self.connections += 1

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self._count_connection(request)
        path = request.path
        parts = path.strip("/").split("/")
        if request.method == "POST" and len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            await self._latency()
            return await self._token(request, parts[0])
        if self.delegated is not None and len(parts) >= 2 and parts[1:] in (
            ["v2.0", ".well-known", "openid-configuration"], ["oauth2", "v2.0", "devicecode"]
        ):
            base = f"{request.scheme}://{request.host}"
            if parts[1] == "v2.0":
                return web.json_response(self.delegated.openid_configuration(base, parts[0]))
            return web.json_response(self.delegated.device_code(base))
        if request.method == "GET" and path == "/_emulator/stats":
            return web.json_response(self.stats())
        api = Api.GRAPH if path.startswith("/v1.0/") else Api.GRAPH_BETA if path.startswith("/beta/") else Api.ARM
        tenant = (self._tenant_of(request) or "").lower()
        key = (tenant, "arm" if api is Api.ARM else "graph")
        if tenant:  # counted from arrival, latency included: a client's request is in flight all that time
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
            self.max_in_flight[key] = max(self.max_in_flight.get(key, 0), self._in_flight[key])
        try:
            await self._latency()
            return await self._read(request, api, parts)
        finally:
            if tenant:
                self._in_flight[key] -= 1

    async def _latency(self) -> None:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)

    async def _read(self, request: web.Request, api: Api, parts: list[str]) -> web.StreamResponse:
        path = request.path
        if request.method == "POST" and api is not Api.ARM and parts[1:] == ["$batch"]:
            return await self._batch(request, api)
        if request.method == "POST" and api is Api.ARM and path.lower() == RESOURCE_GRAPH_PATH.lower():
            return await self._resource_graph(request)  # a read-only query: not a write
        if request.method != "GET":
            record = RequestRecord(request.method, request.path_qs, status=405)
            self.requests.append(record)
            self.writes.append(record)
            return web.json_response(
                {"error": {"code": "MethodNotAllowed", "message": "This emulator is read-only."}}, status=405
            )
        tenant = self._tenant_of(request)
        wrong = self._wrong_tenant(api, tenant, parts)
        if tenant is None or wrong:
            self.requests.append(RequestRecord("GET", request.path_qs, tenant or "", status=401))
            if wrong:  # ARM's answer to a token of one tenant sent for another tenant's subscription
                return web.json_response({"error": {"code": "InvalidAuthenticationTokenTenant", "message": wrong}}, status=401)
            return web.json_response(
                {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty or invalid."}},
                status=401,
            )
        relative = path if api is Api.ARM else path[len(api.value) + 1:]
        delegated_only = self._delegated_only(request, tenant, relative)
        if delegated_only is not None:
            return delegated_only
        matched = match_request(api, relative)
        if matched is not None and self._resets(tenant, [matched[0].section]):
            self.requests.append(RequestRecord("GET", request.path_qs, tenant, matched[0].section, 0))
            return self._reset(request)
        answer, section = self._serve(api, tenant, relative, list(request.query.items()), self._delegated(request))
        self.requests.append(RequestRecord("GET", request.path_qs, tenant, section, answer.status))
        await self._hold(answer.hold_s)
        return self._respond(answer)

    def _resets(self, tenant: str, sections: list[str]) -> bool:
        """Whether a CONNECTION_RESET fault takes this request (a $batch: any of its items' sections)."""
        for fault in self.faults:
            if fault.kind is FaultKind.CONNECTION_RESET and any(fault.matches(s, tenant) for s in sections):
                if fault.take():
                    return True
        return False

    def _reset(self, request: web.Request) -> web.Response:
        """Drop the connection with a TCP RST (SO_LINGER 0), as a failing proxy or load balancer does."""
        transport = request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        return web.Response(status=500)  # never sent: the connection is gone

    def _respond(self, answer: Answer) -> web.Response:
        if isinstance(answer.body, bytes):
            body = answer.body
        else:
            body = json.dumps(answer.body, separators=(",", ":")).encode("utf-8")
        return web.Response(status=answer.status, body=body, headers=answer.headers, content_type="application/json")

    async def _batch(self, request: web.Request, api: Api) -> web.Response:
        tenant = self._tenant_of(request)
        try:
            payload = await request.json()
            items = payload["requests"]
            if not isinstance(items, list) or not 1 <= len(items) <= 20:
                raise ValueError("a $batch holds 1 to 20 requests")
        except (ValueError, KeyError, TypeError) as exc:
            self.requests.append(RequestRecord("POST", request.path_qs, tenant or "", "$batch", 400))
            return web.json_response({"error": {"code": "BadRequest", "message": f"Invalid batch payload: {exc}"}}, status=400)
        if tenant is None:
            self.requests.append(RequestRecord("POST", request.path_qs, "", "$batch", 401))
            return web.json_response(
                {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty or invalid."}},
                status=401,
            )
        sections = []
        for item in items:
            found = match_request(api, urlsplit("/" + str(item.get("url", "")).lstrip("/")).path)
            sections.append(found[0].section if found else "")
        if self._resets(tenant, sections):
            self.requests.append(RequestRecord("POST", request.path_qs, tenant, "$batch", 0))
            return self._reset(request)
        self.requests.append(RequestRecord("POST", request.path_qs, tenant, "$batch", 200))
        responses, hold, malformed = [], 0.0, False
        for item in items:
            method = str(item.get("method", "GET")).upper()
            url = str(item.get("url", ""))
            if method != "GET":
                record = RequestRecord(method, url, tenant, "", 405, in_batch=True)
                self.requests.append(record)
                self.writes.append(record)
                answer = graph_error(405, "MethodNotAllowed", "This emulator is read-only.")
                section = ""
            else:
                split = urlsplit(url)
                path = split.path if split.path.startswith("/") else "/" + split.path
                answer, section = self._serve(
                    api, tenant, path, parse_qsl(split.query, keep_blank_values=True), self._delegated(request)
                )
                self.requests.append(RequestRecord(method, url, tenant, section, answer.status, in_batch=True))
            hold = max(hold, answer.hold_s)
            malformed = malformed or answer.malformed
            body = answer.body
            if isinstance(body, bytes):
                body = body.decode("utf-8", "replace")
            responses.append(
                {
                    "id": item.get("id"),
                    "status": answer.status,
                    "headers": {"Content-Type": "application/json", **(answer.headers or {})},
                    "body": body,
                }
            )
        # A $batch answers when its slowest item does; a broken item body breaks the whole response.
        await self._hold(hold)
        if malformed:
            return web.Response(status=200, body=b'{"responses": [{"id": "1", "status": 200, "body": {"val', content_type="application/json")
        return web.json_response({"responses": responses}, dumps=lambda o: json.dumps(o, separators=(",", ":")))

    def _delegated_only(self, request: web.Request, tenant: str, path: str) -> web.Response | None:
        """Partner Center and Entra diagnostic settings (auditor/collect/emulator_partner.py), or None."""
        delegated = self._delegated(request)
        if emulator_partner.is_partner_center(path):
            home = self.delegated.home_tenant.lower() if self.delegated is not None else ""
            snapshot = self.tenant(tenant) if delegated and tenant.lower() == home else None
            query = {k.lower(): v for k, v in request.query.items()}
            query["offset"] = request.headers.get("MS-ContinuationToken", "0")
            answer, section = emulator_partner.partner_center(snapshot, path, query, self.base_url)
        elif path.lower() == emulator_partner.DIAGNOSTICS_PATH:
            answer, section = emulator_partner.diagnostic_settings(self.tenant(tenant), delegated), "entra_diagnostic_settings"
        else:
            return None
        self.requests.append(RequestRecord("GET", request.path_qs, tenant, section, answer.status))
        return self._respond(answer)

    def _delegated(self, request: web.Request) -> bool:
        token = request.headers.get("Authorization", "")[7:].strip()
        return self.delegated is not None and token in self.delegated.tokens

    def _wrong_tenant(self, api: Api, tenant: str | None, parts: list[str]) -> str:
        """A message when an ARM request names a subscription of a tenant other than the token's."""
        if tenant is None or api is not Api.ARM or len(parts) < 2 or parts[0].lower() != "subscriptions":
            return ""
        for owner, snapshot in self._tenants.items():
            if owner != tenant.lower() and any(
                s.subscription_id.lower() == parts[1].lower() for s in snapshot.azure_subscriptions
            ):
                return (f"The access token is from the wrong issuer 'https://sts.windows.net/{tenant}/'. It must match "
                        f"the tenant 'https://sts.windows.net/{owner}/' associated with this subscription.")
        return ""

    async def _resource_graph(self, request: web.Request) -> web.Response:
        """Azure Resource Graph's Resources endpoint, for the collector's own queries (emulator_arg)."""
        tenant = self._tenant_of(request)
        try:
            body = await request.json()
        except ValueError:
            body = None
        section = emulator_arg.section_of(body)
        if tenant is None:
            self.requests.append(RequestRecord("POST", request.path_qs, "", section or "", 401))
            return web.json_response(
                {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty or invalid."}},
                status=401)
        if section is None:
            self.requests.append(RequestRecord("POST", request.path_qs, tenant, "", 400))
            return self._respond(graph_error(400, "BadRequest", "Please provide below info when asking for support: "
                                             "the query is not one this emulator serves."))
        options = body.get("options") if isinstance(body, dict) else None
        page = int((options or {}).get("$skipToken") or 0) // max(1, self.arm_page_size) + 1
        # A fault on RESOURCE_GRAPH_FAULT takes every query (Resource Graph refused as a whole); one on a
        # section name takes that query (and that section's per-subscription reads too); one on
        # "subscriptions" takes the listing query as well as ARM's list.
        fault = self._fault(RESOURCE_GRAPH_FAULT, tenant, page) or self._fault(section, tenant, page)
        if fault is None and section == LISTING_SECTION:  # it answers the subscription list too
            fault = self._fault("subscriptions", tenant, page)
        if fault is not None and fault.kind not in ANSWERING_FAULTS:
            answer = fault_answer(fault, section, True)
        else:
            snapshot = self.tenant(tenant)
            assert snapshot is not None
            answer = emulator_arg.answer(snapshot, section, options, self.arm_page_size,
                                         self.hidden_from_resource_graph)
            answer.hold_s = fault.delay_s if fault is not None else 0.0
        self.requests.append(RequestRecord("POST", request.path_qs, tenant, section, answer.status))
        await self._hold(answer.hold_s)
        return self._respond(answer)

    async def _token(self, request: web.Request, tenant: str) -> web.Response:
        form = await request.post()
        for fault in self.faults:
            if fault.section == TOKEN_ENDPOINT and fault.matches(TOKEN_ENDPOINT, tenant) and fault.take():
                if fault.kind is FaultKind.LATENCY:
                    await asyncio.sleep(fault.delay_s)
                    break
                self.token_requests.append(_token_record(request, tenant, 400))
                return web.json_response(
                    {
                        "error": "invalid_grant",
                        "error_description": "AADSTS65001: The user or administrator has not consented to use "
                        "the application. Send an interactive authorization request for this user and resource.",
                        "error_codes": [65001],
                    },
                    status=400,
                )
        if self.tenant(tenant) is None:
            self.token_requests.append(_token_record(request, tenant, 400))
            return web.json_response(
                {"error": "invalid_request", "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                 "error_codes": [90002]},
                status=400,
            )
        if self.client_secret is not None and form.get("client_secret") != self.client_secret:
            self.token_requests.append(_token_record(request, tenant, 401))
            return web.json_response(
                {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided. "
                 "Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
                 "error_codes": [7000215]},
                status=401,
            )
        if self.delegated is not None and form.get("grant_type") != "client_credentials":
            status, body = self.delegated.grant(
                {k: str(v) for k, v in form.items()}, tenant, f"{request.scheme}://{request.host}", str(form.get("client_id", ""))
            )
            if status == 200:
                self._tokens[str(body["access_token"])] = tenant
            self.token_requests.append(_token_record(request, tenant, status))
            return web.json_response(body, status=status)
        token = f"emu-{secrets.token_urlsafe(18)}"
        self._tokens[token] = tenant
        self.token_requests.append(_token_record(request, tenant, 200))
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        )

    def stats(self) -> dict[str, Any]:
        tenants = {r.tenant.lower() for r in self.requests if r.tenant}
        return {
            "http_requests": len(self.http_requests()),
            "batch_items": sum(1 for r in self.requests if r.in_batch),
            "token_requests": len(self.token_requests),
            "writes": len(self.writes),
            "connections": self.connections,
            "tenants": len(tenants),
        }

    # -- serving one read ------------------------------------------------------------------------------

    def _fault(self, section: str, tenant: str, page: int) -> Fault | None:
        for fault in self.faults:
            if fault.section == TOKEN_ENDPOINT or fault.kind is FaultKind.CONNECTION_RESET:
                continue
            if not fault.matches(section, tenant) or page < fault.first_page:
                continue
            if fault.take():
                return fault
        return None

    def _serve(
        self, api: Api, tenant_id: str, path: str, query: list[tuple[str, str]], delegated: bool = False
    ) -> tuple[Answer, str]:
        arm = api is Api.ARM
        matched = match_request(api, path)
        if matched is None:
            return graph_error(400 if not arm else 404, "BadRequest" if not arm else "InvalidResourceType",
                                f"Resource not found for the segment '{path}'."), ""
        request, parent = matched
        name = request.section
        params = dict(query)
        offset = int(params.get("$skiptoken") or params.get("$skipToken") or 0)
        page_size = self._page_size(request, params)
        page = offset // page_size + 1 if page_size else 1
        hold = 0.0
        allowed = self.gdap_sections.get(tenant_id.lower())
        if delegated and allowed is not None and name not in allowed:  # the partner's GDAP roles stop here
            return error_for(SectionStatus.FORBIDDEN, name, arm), name
        fault = self._fault(name, tenant_id, page)
        if fault is not None:
            if fault.kind not in ANSWERING_FAULTS:
                return fault_answer(fault, name, arm), name
            if fault.kind is not FaultKind.LOOP_NEXT_LINK:
                hold = fault.delay_s
        section = self._section(tenant_id, request, parent)
        if section is None:
            answer = graph_error(404, "SubscriptionNotFound" if arm else "Request_ResourceNotFound",
                                  f"'{parent}' was not found.")
            return answer, name
        if not section.ok:
            return error_for(section.status, name, arm), name
        data = section.data
        if name == "resource_creations":  # the activity log answers with events, not Resource Graph rows
            data = emulator_arg.as_activity_events(list(data or []))
        if name in PER_PARENT_SECTIONS or name in AZURE_PER_PARENT_SECTIONS:
            data = (data or {}).get(parent)  # type: ignore[union-attr]
            if data is None:
                return graph_error(404, "Request_ResourceNotFound", f"Resource '{parent}' does not exist."), name
        loop = fault is not None and fault.kind is FaultKind.LOOP_NEXT_LINK
        answer = self._render(api, request, path, data, params, offset, page_size, loop)
        answer.hold_s = hold
        return answer, name

    def _page_size(self, request: SectionRequest, params: dict[str, str]) -> int:
        if request.api is Api.ARM:
            return max(1, min(self.arm_page_size, self.max_page_size))
        top = params.get("$top")
        size = int(top) if top and top.isdigit() else self.page_size
        return max(1, min(size, MAX_TOP, self.max_page_size))

    def _section(self, tenant_id: str, request: SectionRequest, parent: str) -> Section | None:
        snapshot = self.tenant(tenant_id)
        if snapshot is None:
            return None
        if request.api is Api.ARM and request.section != "subscriptions":
            for subscription in snapshot.azure_subscriptions:
                if subscription.subscription_id.lower() == parent.lower():
                    return subscription.sections[request.section]
            return None
        return snapshot.sections.get(request.section)

    def _render(
        self,
        api: Api,
        request: SectionRequest,
        path: str,
        data: Any,
        params: dict[str, str],
        offset: int,
        page_size: int,
        loop: bool = False,
    ) -> Answer:
        arm = api is Api.ARM
        fields = None
        if not arm and params.get("$select"):
            fields = {f.strip() for f in params["$select"].split(",") if f.strip()}
            if params.get("$expand"):
                fields.update(e.strip() for e in params["$expand"].split(","))
        root = f"{self.base_url}/{api.value}" if not arm else self.base_url
        if not arm and TENANT_SECTIONS.get(request.section) in ENTITY_SHAPES:
            body = {"@odata.context": f"{root}/$metadata#{request.section}/$entity", **select_fields(data or {}, fields)}
            return Answer(200, body)
        items = list(data or [])
        if request.item_type:  # one section, several ARM lists (alerts and action groups)
            items = [i for i in items if str(i.get("type") or "").lower() == request.item_type]
        if params.get("$filter") and not request.server_filter:
            clauses = parse_filter(params["$filter"])
            if clauses is None:
                return graph_error(400, "BadRequest", f"Unsupported filter: {params['$filter']}")
            items = [i for i in items if all(clause.matches(i) for clause in clauses)]
        page = [select_fields(item, fields) for item in items[offset:offset + page_size]]
        body: dict[str, Any] = {} if arm else {"@odata.context": f"{root}/$metadata#{request.section}"}
        body["value"] = page
        if offset + page_size < len(items) or loop:
            kept = [(k, v) for k, v in params.items() if k.lower() != "$skiptoken"]
            token_key = "$skipToken" if arm else "$skiptoken"
            # LOOP_NEXT_LINK: back to page 2, whichever page this is (page 2 links to itself).
            following = page_size if loop else offset + page_size
            query = urlencode(kept + [(token_key, str(following))], safe="$,/'", quote_via=quote)
            body["nextLink" if arm else "@odata.nextLink"] = f"{root}{path}?{query}"
        return Answer(200, body)


def _token_record(request: web.Request, tenant: str, status: int) -> RequestRecord:
    return RequestRecord("POST", request.path, tenant, TOKEN_ENDPOINT, status)


class EmulatorThread:
    """Runs an Emulator on its own event loop in a background thread, for synchronous callers (CLI tests,
    scripts). `with EmulatorThread(Emulator(...)) as emulator: ...`"""

    def __init__(self, emulator: Emulator, port: int = 0) -> None:
        self.emulator = emulator
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="auditor-emulator", daemon=True)

    def __enter__(self) -> Emulator:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.emulator.start(self._port), self._loop).result(timeout=30)
        return self.emulator

    def __exit__(self, *args: object) -> None:
        asyncio.run_coroutine_threadsafe(self.emulator.stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


async def serve(emulator: Emulator, port: int, ready: Callable[[Emulator], None] | None = None) -> None:
    """Serve until cancelled (Ctrl-C)."""
    await emulator.start(port)
    try:
        if ready is not None:
            ready(emulator)
        await asyncio.Event().wait()
    finally:
        await emulator.stop()
