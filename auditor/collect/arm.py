"""Azure Resource Manager reads for one tenant: plain REST with the tenant's own azure-identity credential.

ARM has no $select and no public JSON batch, so each list is one GET (plus its nextLink pages). Retries on
429/503/504 honour Retry-After, with the same bound as Graph.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

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


class ArmAuthError(Exception):
    """No ARM token could be had for this tenant."""


class ArmReader:
    def __init__(self, credential: Any, arm_root: str, options: CollectOptions) -> None:
        self._credential = credential
        self._root = arm_root.rstrip("/")
        self._options = options
        self._http = httpx.AsyncClient(timeout=options.timeout_s, follow_redirects=False, verify=trust_store())
        self._token: Any = None
        self._token_lock = asyncio.Lock()
        self.requests_sent = 0

    async def close(self) -> None:
        await self._http.aclose()

    async def _bearer(self) -> str:
        async with self._token_lock:
            if self._token is None or self._token.expires_on - 300 < time.time():
                try:
                    self._token = await self._credential.get_token(f"{self._root}/.default")
                except Exception as exc:  # azure-identity raises several types; all mean "no token"
                    raise ArmAuthError(auth_reason(exc, "Azure Resource Manager")) from None
            return self._token.token

    async def list(self, section: str, relative_url: str, subscription_id: str = "") -> Fetched:
        """Every item of an ARM list, all pages; or the reason there are none."""
        url = f"{self._root}{relative_url}"
        items: list[dict[str, Any]] = []
        attempts = 0
        while True:
            try:
                token = await self._bearer()
            except ArmAuthError as exc:
                return Fetched.error(str(exc))
            try:
                self.requests_sent += 1
                response = await self._http.get(
                    url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
                )
            except httpx.TimeoutException:
                return Fetched.error(f"timed out after {self._options.timeout_s:g} s")
            except httpx.HTTPError as exc:
                return Fetched.error(f"connection failed ({exc.__class__.__name__})")
            status = response.status_code
            if status in RETRYABLE_STATUSES:
                attempts += 1
                if attempts > self._options.max_retries:
                    outcome = failure(section, status, response.content, arm=True, subscription_id=subscription_id)
                    outcome.reason += f"; gave up after {self._options.max_retries} retries"
                    return outcome
                wait = retry_after(response.headers, self._options.backoff_s * 2 ** (attempts - 1))
                await asyncio.sleep(min(wait, self._options.max_retry_wait_s))
                continue
            if not 200 <= status < 300:
                return failure(section, status, response.content, arm=True, subscription_id=subscription_id)
            try:
                body = parse_json(response.content)
            except MalformedBody as exc:
                return Fetched.error(str(exc))
            value = body.get("value") if isinstance(body, dict) else None
            if not isinstance(value, list):
                return Fetched.error("malformed response body (no 'value' list)")
            items.extend(value)
            next_link = body.get("nextLink")
            if not next_link:
                return Fetched.good(items)
            if not str(next_link).startswith(self._root + "/"):
                return Fetched.error("the nextLink points outside the configured ARM endpoint")
            url = str(next_link)
            attempts = 0

