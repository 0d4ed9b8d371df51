"""Microsoft Graph reads for one tenant: JSON $batch, paging to the end, retries on 429/503/504 and on
connection failures, a bounded number of requests in flight.

msgraph-sdk's request adapter does what it is good at (authentication through azure-identity, its
middleware pipeline, request building); bodies are taken as raw JSON through a native response handler,
because deserialising Graph's typed models costs ~12 ms of CPU per object (DESIGN.md). Retries are ours,
not the SDK's retry middleware, so a direct request and a request inside a $batch follow one policy with
one bound. Paging and retry rules are shared with ARM (auditor/collect/policy.py): a list is read whole
or not at all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Hashable
from urllib.parse import urlsplit

import aiohttp
import httpx
from azure.core.exceptions import AzureError

from auditor import jsonfast

from auditor.collect.answers import (
    RETRYABLE_STATUSES,
    Fetched,
    MalformedBody,
    answer_detail,
    auth_reason,
    failure,
    parse_json,
)
from auditor.collect.connections import pooled_client
from auditor.collect.network import connection_reason, is_transient
from auditor.collect.options import CollectOptions
from auditor.collect.policy import Paging, retry_delay
from auditor.collect.plan import Api
from auditor.snapshot import ENTITY_SHAPES, TENANT_SECTIONS


@dataclass
class GraphCall:
    """One list or entity read, followed through all its pages."""

    key: Hashable
    section: str
    api: Api
    url: str  # below the version root: "/users?$select=..."
    items: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    direct: bool = False  # send on its own (its $batch failed as a whole)
    wait: float = 0.0
    result: Fetched | None = None
    paging: Paging = field(default_factory=lambda: Paging(max_pages=1))


class GraphAuthError(Exception):
    """No Graph token could be had for a request (the tenant's credential failed after the first token)."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any  # bytes from a direct request, already-parsed JSON (or a string) from a $batch item


def _make_adapter(credential: Any, root: str, timeout_s: float, session: aiohttp.ClientSession) -> Any:
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from kiota_http.middleware.options import RedirectHandlerOption, RetryHandlerOption
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph_core import GraphClientFactory

    # Sent through the run's shared connection pool (auditor/collect/connections.py), which verifies TLS with
    # the run's one trust, so a proxy's private root CA counts here as it does for the token requests.
    http = pooled_client(session, timeout_s)
    # Our own retry policy covers every request (Retry-After, $batch items); redirects are not followed, so
    # a token is only ever sent to the configured Graph host and a 3xx becomes an honest `error` section.
    options = {
        RetryHandlerOption.get_key(): RetryHandlerOption(max_retries=0, should_retry=False),
        RedirectHandlerOption.get_key(): RedirectHandlerOption(should_redirect=False),
    }
    client = GraphClientFactory.create_with_default_middleware(client=http, options=options)
    host = urlsplit(root).hostname or ""
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[f"{root}/.default"], allowed_hosts=[host])
    return GraphRequestAdapter(auth, client), http


class GraphReader:
    """Reads Graph for one tenant with that tenant's own credential and HTTP client (over the run's pool)."""

    def __init__(self, credential: Any, graph_root: str, options: CollectOptions, session: aiohttp.ClientSession) -> None:
        self._root = graph_root.rstrip("/")
        self._options = options
        self._adapter, self._http = _make_adapter(credential, self._root, options.timeout_s, session)
        # Graph throttles per app per tenant: this tenant's requests in flight stay within the bound.
        self._in_flight = asyncio.Semaphore(max(1, options.graph_concurrency))
        self.requests_sent = 0

    async def close(self) -> None:
        await self._http.aclose()

    async def _send(self, method: str, url: str, body: bytes | None = None) -> httpx.Response:
        from kiota_abstractions.method import Method
        from kiota_abstractions.native_response_handler import NativeResponseHandler
        from kiota_abstractions.request_information import RequestInformation
        from kiota_http.middleware.options import ResponseHandlerOption

        info = RequestInformation(Method.POST if method == "POST" else Method.GET)
        info.url = url
        info.headers.try_add("Accept", "application/json")
        if body is not None:
            info.headers.try_add("Content-Type", "application/json")
            info.content = body
        info.add_request_options([ResponseHandlerOption(NativeResponseHandler())])
        try:
            async with self._in_flight:
                self.requests_sent += 1
                return await self._adapter.send_primitive_async(info, "bytes", None)
        except AzureError as exc:  # azure-identity's errors, raised through the SDK's authentication provider
            raise GraphAuthError(auth_reason(exc, "Microsoft Graph")) from None

    def _relative(self, next_link: str, api: Api) -> str | None:
        """A nextLink below this tenant's Graph root, as a relative URL; None for any other host, so a
        token is never sent where the config did not point."""
        prefix = f"{self._root}/{api.value}"
        if next_link.startswith(prefix + "/"):
            return next_link[len(prefix):]
        return None

    async def fetch(self, calls: list[GraphCall]) -> dict[Hashable, Fetched]:
        """Every call read to its end (all pages) or to an honest failure; results by call key."""
        for call in calls:
            call.paging = Paging(max_pages=max(1, self._options.max_pages))
            call.paging.start(call.url)
        pending = list(calls)
        while pending:
            waits = [c.wait for c in pending if c.wait > 0]
            if waits:
                await asyncio.sleep(max(waits))
            for call in pending:
                call.wait = 0.0
            jobs = []
            for api in (Api.GRAPH, Api.GRAPH_BETA):
                batchable = [c for c in pending if c.api is api and not c.direct]
                size = max(1, min(self._options.batch_size, 20))
                for start in range(0, len(batchable), size):
                    chunk = batchable[start:start + size]
                    jobs.append(self._batch(api, chunk) if len(chunk) > 1 else self._direct(chunk[0]))
            jobs.extend(self._direct(c) for c in pending if c.direct)
            await asyncio.gather(*jobs)
            pending = [c for c in pending if c.result is None]
        return {c.key: c.result for c in calls}  # type: ignore[misc]

    def _error(self, call: GraphCall, reason: str) -> None:
        call.result = Fetched.error(call.paging.failed(reason))

    def _retry(self, call: GraphCall, reason: str, headers: dict[str, str] | None = None) -> None:
        """Wait and try again (`reason` is what went wrong), or end the call with it once retries run out."""
        call.attempts += 1
        delay = retry_delay(self._options, call.attempts, headers)
        if delay.give_up:
            self._error(call, f"{reason}; {delay.give_up}")
        else:
            call.wait = delay.seconds

    def _answer(self, call: GraphCall, reply: Reply) -> None:
        if reply.status in RETRYABLE_STATUSES:
            self._retry(call, failure(call.section, reply.status, reply.body).reason, reply.headers)
            return
        if not 200 <= reply.status < 300:
            if call.paging.later:
                # Only a list's first answer may say the list is forbidden, unlicensed or not there.
                self._error(call, answer_detail(reply.status, reply.body))
            else:
                call.result = failure(call.section, reply.status, reply.body)
            return
        try:
            body = parse_json(reply.body) if isinstance(reply.body, (bytes, str)) else reply.body
        except MalformedBody as exc:
            self._error(call, str(exc))
            return
        if not isinstance(body, dict):
            self._error(call, "malformed response body (not a JSON object)")
            return
        if TENANT_SECTIONS.get(call.section) in ENTITY_SHAPES:  # one entity (per parent for object_map)
            call.result = Fetched.good({k: v for k, v in body.items() if k != "@odata.context"})
            return
        value = body.get("value")
        if not isinstance(value, list):
            self._error(call, "malformed response body (no 'value' list)")
            return
        call.items.extend(value)
        next_link = body.get("@odata.nextLink")
        if not next_link:
            call.result = Fetched.good(call.items)
            return
        relative = self._relative(str(next_link), call.api)
        if relative is None:
            self._error(call, "the nextLink points outside the configured Graph endpoint")
            return
        stop = call.paging.advance(relative)
        if stop:
            call.result = Fetched.error(stop)
            return
        call.url = relative
        call.attempts = 0

    def _unanswered(self, call: GraphCall, exc: httpx.HTTPError) -> None:
        """No HTTP answer: a transient failure is retried with backoff, any other ends the call."""
        reason = connection_reason(exc, self._options.timeout_s)
        if is_transient(exc):
            self._retry(call, reason)
        else:
            self._error(call, reason)

    async def _direct(self, call: GraphCall) -> None:
        try:
            response = await self._send("GET", f"{self._root}/{call.api.value}{call.url}")
        except httpx.HTTPError as exc:
            self._unanswered(call, exc)
            return
        except GraphAuthError as exc:
            self._error(call, str(exc))
            return
        self._answer(call, Reply(response.status_code, dict(response.headers), response.content))

    async def _batch(self, api: Api, chunk: list[GraphCall]) -> None:
        payload = {"requests": [{"id": str(i), "method": "GET", "url": c.url} for i, c in enumerate(chunk)]}
        try:
            response = await self._send(
                "POST", f"{self._root}/{api.value}/$batch", jsonfast.dumps(payload)
            )
        except httpx.ReadTimeout:
            # A $batch waits for its slowest item: when it times out as a whole, each item is sent on its
            # own, so only the item that really is slow ends as an error.
            for call in chunk:
                call.direct = True
            return
        except httpx.HTTPError as exc:
            for call in chunk:  # reset, refused, TLS: the same for every item of the $batch
                self._unanswered(call, exc)
            return
        except GraphAuthError as exc:
            for call in chunk:
                self._error(call, str(exc))
            return
        if not 200 <= response.status_code < 300:  # the $batch as a whole: throttled, refused
            for call in chunk:
                self._answer(call, Reply(response.status_code, dict(response.headers), response.content))
            return
        try:
            body = parse_json(response.content)
            answers = {str(item["id"]): item for item in body["responses"]}
        except (MalformedBody, KeyError, TypeError):
            for call in chunk:
                call.direct = True
            return
        for index, call in enumerate(chunk):
            item = answers.get(str(index))
            if not isinstance(item, dict) or not isinstance(item.get("status"), int):
                call.direct = True
                continue
            self._answer(call, Reply(item["status"], item.get("headers") or {}, item.get("body")))
