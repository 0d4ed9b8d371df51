"""Azure Resource Manager reads for one tenant: plain REST with the tenant's own azure-identity credential.

ARM has no $select and no public JSON batch, so each list is one GET (plus its nextLink pages); Azure
Resource Graph queries are one read-only POST each (plus `$skipToken` pages). Retries on
429/503/504 and on connection failures honour Retry-After, with the same bound as Graph; paging follows the
shared rules of auditor/collect/policy.py (a list is read whole or not at all).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import httpx

from auditor.collect.answers import (
    RETRYABLE_STATUSES,
    Fetched,
    MalformedBody,
    answer_detail,
    auth_reason,
    failure,
    parse_json,
)
from auditor import jsonfast
from auditor.collect.connections import send
from auditor.collect.network import connection_reason, is_transient
from auditor.collect.options import CollectOptions
from auditor.collect.policy import Paging, retry_delay


class ArmAuthError(Exception):
    """No ARM token could be had for this tenant."""


class ArmReader:
    def __init__(self, credential: Any, arm_root: str, options: CollectOptions, session: aiohttp.ClientSession) -> None:
        self._credential = credential
        self._root = arm_root.rstrip("/")
        self._options = options
        # The run's shared connection pool (auditor/collect/connections.py), verifying with the run's trust.
        self._session = session
        self._token: Any = None
        self._token_lock = asyncio.Lock()
        self.requests_sent = 0

    async def close(self) -> None:
        pass  # the connections are the pool's; nothing of this tenant's stays open

    async def _bearer(self) -> str:
        async with self._token_lock:
            if self._token is None or self._token.expires_on - 300 < time.time():
                try:
                    self._token = await self._credential.get_token(f"{self._root}/.default")
                except Exception as exc:  # azure-identity raises several types; all mean "no token"
                    raise ArmAuthError(auth_reason(exc, "Azure Resource Manager")) from None
            return self._token.token

    async def list(self, section: str, relative_url: str, subscription_id: str = "") -> Fetched:
        """Every item of an ARM list, all pages; or the reason there are none. Only the first request's
        answer may classify the list (forbidden, not found, provider not registered); a failure on a later
        page, a nextLink loop or more than `max_pages` pages is an error naming the page."""
        return await self._read(section, f"{self._root}{relative_url}", None, subscription_id)

    async def query(self, section: str, relative_url: str, query: str) -> Fetched:
        """Every row of an Azure Resource Graph query (``relative_url`` is the Resources endpoint), all
        pages. This is the tool's one POST besides Graph's `$batch`: Resource Graph takes its query in the
        body, and the call reads, never writes (learn.microsoft.com/rest/api/azureresourcegraph/resourcegraph/
        resources/resources). Rows come as objects (`resultFormat` objectArray); pages follow `$skipToken`."""
        return await self._read(section, f"{self._root}{relative_url}", query)

    async def _read(self, section: str, url: str, query: str | None, subscription_id: str = "") -> Fetched:
        paging = Paging(max_pages=max(1, self._options.max_pages))
        paging.start(url)
        items: list[dict[str, Any]] = []
        attempts = 0
        skip_token: str | None = None
        while True:
            try:
                token = await self._bearer()
            except ArmAuthError as exc:
                return Fetched.error(paging.failed(str(exc)))
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            try:
                self.requests_sent += 1
                if query is None:
                    response = await send(self._session, "GET", url, headers, self._options.timeout_s)
                else:
                    options: dict[str, Any] = {"resultFormat": "objectArray", "$top": 1000}
                    if skip_token:
                        options["$skipToken"] = skip_token
                    headers["Content-Type"] = "application/json"
                    payload = jsonfast.dumps({"query": query, "options": options})
                    response = await send(self._session, "POST", url, headers, self._options.timeout_s, payload)
            except httpx.HTTPError as exc:
                reason = connection_reason(exc, self._options.timeout_s)
                if not is_transient(exc):
                    return Fetched.error(paging.failed(reason))
                attempts += 1
                delay = retry_delay(self._options, attempts)
                if delay.give_up:
                    return Fetched.error(paging.failed(f"{reason}; {delay.give_up}"))
                await asyncio.sleep(delay.seconds)
                continue
            status = response.status
            if status in RETRYABLE_STATUSES:
                attempts += 1
                delay = retry_delay(self._options, attempts, response.headers)
                if delay.give_up:
                    outcome = failure(section, status, response.content, arm=True, subscription_id=subscription_id)
                    return Fetched.error(paging.failed(f"{outcome.reason}; {delay.give_up}"))
                await asyncio.sleep(delay.seconds)
                continue
            if not 200 <= status < 300:
                if paging.later:
                    return Fetched.error(paging.failed(answer_detail(status, response.content, arm=True)))
                return failure(section, status, response.content, arm=True, subscription_id=subscription_id)
            try:
                body = parse_json(response.content)
            except MalformedBody as exc:
                return Fetched.error(paging.failed(str(exc)))
            value = body.get("value" if query is None else "data") if isinstance(body, dict) else None
            if not isinstance(value, list):
                key = "value" if query is None else "data"
                return Fetched.error(paging.failed(f"malformed response body (no '{key}' list)"))
            items.extend(value)
            if query is not None:
                skip_token = body.get("$skipToken")
                if not skip_token:
                    return Fetched.good(items)
                stop = paging.advance(f"{url}#{skip_token}")
                if stop:
                    return Fetched.error(stop)
                attempts = 0
                continue
            next_link = body.get("nextLink")
            if not next_link:
                return Fetched.good(items)
            if not str(next_link).startswith(self._root + "/"):
                return Fetched.error(paging.failed("the nextLink points outside the configured ARM endpoint"))
            stop = paging.advance(str(next_link))
            if stop:
                return Fetched.error(stop)
            url = str(next_link)
            attempts = 0
