"""Microsoft Graph reads for one tenant: JSON $batch, paging to the end, retries on 429/503/504.

msgraph-sdk's request adapter does what it is good at (authentication through azure-identity, its
middleware pipeline, request building); bodies are taken as raw JSON through a native response handler,
because deserialising Graph's typed models costs ~12 ms of CPU per object (DESIGN.md). Retries are ours,
not the SDK's retry middleware, so a direct request and a request inside a $batch follow one policy with
one bound.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Hashable
from urllib.parse import urlsplit

import httpx
from azure.core.exceptions import AzureError

from auditor.collect.answers import (
    RETRYABLE_STATUSES,
    Fetched,
    MalformedBody,
    auth_reason,
    failure,
    parse_json,
    retry_after,
)
from auditor.collect.options import CollectOptions, trust_store
from auditor.collect.plan import Api
from auditor.snapshot import TENANT_SECTIONS


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


class GraphAuthError(Exception):
    """No Graph token could be had for a request (the tenant's credential failed after the first token)."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any  # bytes from a direct request, already-parsed JSON (or a string) from a $batch item


def _make_adapter(credential: Any, root: str, timeout_s: float) -> Any:
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from kiota_http.middleware.options import RedirectHandlerOption, RetryHandlerOption
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph_core import GraphClientFactory

    http = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False, verify=trust_store())
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
    """Reads Graph for one tenant with that tenant's own credential and HTTP client."""

    def __init__(self, credential: Any, graph_root: str, options: CollectOptions) -> None:
        self._root = graph_root.rstrip("/")
        self._options = options
        self._adapter, self._http = _make_adapter(credential, self._root, options.timeout_s)
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
        self.requests_sent += 1
        try:
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
        pending = list(calls)
        while pending:
            waits = [c.wait for c in pending if c.wait > 0]
            if waits:
                await asyncio.sleep(min(max(waits), self._options.max_retry_wait_s))
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

    def _retry_or_fail(self, call: GraphCall, reply: Reply) -> None:
        call.attempts += 1
        if call.attempts > self._options.max_retries:
            outcome = failure(call.section, reply.status, reply.body)
            outcome.reason += f"; gave up after {self._options.max_retries} retries"
            call.result = outcome
            return
        default = self._options.backoff_s * 2 ** (call.attempts - 1)
        call.wait = retry_after(reply.headers, default)

    def _answer(self, call: GraphCall, reply: Reply) -> None:
        if reply.status in RETRYABLE_STATUSES:
            self._retry_or_fail(call, reply)
            return
        if not 200 <= reply.status < 300:
            call.result = failure(call.section, reply.status, reply.body)
            return
        try:
            body = parse_json(reply.body) if isinstance(reply.body, (bytes, str)) else reply.body
        except MalformedBody as exc:
            call.result = Fetched.error(str(exc))
            return
        if not isinstance(body, dict):
            call.result = Fetched.error("malformed response body (not a JSON object)")
            return
        if TENANT_SECTIONS.get(call.section) == "object":
            call.result = Fetched.good({k: v for k, v in body.items() if k != "@odata.context"})
            return
        value = body.get("value")
        if not isinstance(value, list):
            call.result = Fetched.error("malformed response body (no 'value' list)")
            return
        call.items.extend(value)
        next_link = body.get("@odata.nextLink")
        if not next_link:
            call.result = Fetched.good(call.items)
            return
        relative = self._relative(str(next_link), call.api)
        if relative is None:
            call.result = Fetched.error("the nextLink points outside the configured Graph endpoint")
            return
        call.url = relative
        call.attempts = 0

    async def _direct(self, call: GraphCall) -> None:
        try:
            response = await self._send("GET", f"{self._root}/{call.api.value}{call.url}")
        except httpx.TimeoutException:
            call.result = Fetched.error(f"timed out after {self._options.timeout_s:g} s")
            return
        except httpx.HTTPError as exc:
            call.result = Fetched.error(f"connection failed ({exc.__class__.__name__})")
            return
        except GraphAuthError as exc:
            call.result = Fetched.error(str(exc))
            return
        self._answer(call, Reply(response.status_code, dict(response.headers), response.content))

    async def _batch(self, api: Api, chunk: list[GraphCall]) -> None:
        payload = {"requests": [{"id": str(i), "method": "GET", "url": c.url} for i, c in enumerate(chunk)]}
        try:
            response = await self._send(
                "POST", f"{self._root}/{api.value}/$batch", json.dumps(payload).encode("utf-8")
            )
        except httpx.HTTPError:
            # A $batch waits for its slowest item: when it times out or breaks as a whole, each item is
            # sent on its own, so only the item that really fails ends as an error.
            for call in chunk:
                call.direct = True
            return
        except GraphAuthError as exc:
            for call in chunk:
                call.result = Fetched.error(str(exc))
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
