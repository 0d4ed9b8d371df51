"""Partner Center REST reads through the partner user's delegated sign-in (issue 14): the customer list, each
customer's Azure usage budget and the webhook registration. Scope
`https://api.partnercenter.microsoft.com/user_impersonation`; the run's one TLS trust (auditor/collect/trust.py).

Shapes (shared/graph-examples): GET /v1/customers answers {totalCount, items, links: {next?: {uri, headers}}}
(Partner Center "Get a list of customers"; the next page is links.next.uri with its headers, which carry
MS-ContinuationToken); GET /v1/customers/{id}/usagebudget a SpendingBudget {amount, ...}; GET
/webhooks/v1/registration {WebhookUrl, WebhookEvents} in PascalCase. Read-only: GETs only.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from auditor.collect.answers import Fetched, answer_detail, auth_reason, parse_json, MalformedBody
from auditor.collect.delegated import PARTNER_CENTER_SCOPE
from auditor.collect.plan import PARTNER_CENTER_PAGE, PARTNER_CENTER_PATHS
from auditor.snapshot import SectionStatus

MAX_PAGES = 200
ADMIN_AGENT = "the signed-in user lacks the Admin agent role in Partner Center (partner tenant)"


def request_line(section: str, parent: str = "") -> str:
    path = PARTNER_CENTER_PATHS[section]
    if section == "partner_center_customers":
        path += f"?size={PARTNER_CENTER_PAGE}"
    return "GET partnercenter " + (path.replace("{id}", parent) if parent else path)


class PartnerCenterReader:
    """GETs against the Partner Center API with one delegated credential."""

    def __init__(self, credential: Any, root: str, timeout_s: float, trust: ssl.SSLContext) -> None:
        self._credential = credential
        self._root = root.rstrip("/")
        self._http = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False, verify=trust)
        self.requests_sent = 0

    async def close(self) -> None:
        await self._http.aclose()

    async def _get(self, section: str, url: str, headers: dict[str, str] | None = None) -> Fetched:
        try:
            token = (await self._credential.get_token(PARTNER_CENTER_SCOPE)).token
        except Exception as exc:  # azure-identity's ClientAuthenticationError and friends
            return Fetched.error(auth_reason(exc, "Partner Center"))
        try:
            self.requests_sent += 1
            reply = await self._http.get(url, headers={**(headers or {}), "Authorization": f"Bearer {token}",
                                                       "Accept": "application/json"})
        except httpx.HTTPError as exc:
            return Fetched.error(f"Partner Center could not be reached: {type(exc).__name__}")
        if reply.status_code == 404:
            return Fetched(SectionStatus.NOT_FOUND, None, f"not found ({answer_detail(404, reply.content)})")
        if reply.status_code in (401, 403):
            detail = answer_detail(reply.status_code, reply.content).replace("Graph", "Partner Center", 1)
            return Fetched(SectionStatus.FORBIDDEN, None, f"{ADMIN_AGENT} ({detail})")
        if not reply.is_success:
            detail = answer_detail(reply.status_code, reply.content).replace("Graph", "Partner Center", 1)
            return Fetched.error(f"unexpected answer ({detail})")
        try:
            return Fetched.good(parse_json(reply.content))
        except MalformedBody as exc:
            return Fetched.error(str(exc))

    async def customers(self) -> Fetched:
        """Every customer, all pages (links.next with its continuation headers)."""
        url = f"{self._root}{PARTNER_CENTER_PATHS['partner_center_customers']}?size={PARTNER_CENTER_PAGE}"
        headers: dict[str, str] = {}
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            fetched = await self._get("partner_center_customers", url, headers)
            if not fetched.ok:
                return fetched
            body = fetched.data if isinstance(fetched.data, dict) else {}
            page = body.get("items")
            if not isinstance(page, list):
                return Fetched.error("malformed Partner Center answer (no 'items' list)")
            items.extend(i for i in page if isinstance(i, dict))
            following = (body.get("links") or {}).get("next") if isinstance(body.get("links"), dict) else None
            if not isinstance(following, dict) or not following.get("uri"):
                return Fetched.good(items)
            uri = "/" + str(following["uri"]).lstrip("/")  # the docs show "/v1/customers?..." in links.self
            url = f"{self._root}{uri if uri.startswith('/v1/') else '/v1' + uri}"
            headers = {str(h.get("key")): str(h.get("value")) for h in following.get("headers") or []
                       if isinstance(h, dict) and h.get("key")}
        return Fetched.error(f"more than {MAX_PAGES} pages of customers: stopped")

    async def usage_budget(self, customer_id: str) -> Fetched:
        path = PARTNER_CENTER_PATHS["partner_center_usage_budgets"].replace("{id}", customer_id)
        return await self._get("partner_center_usage_budgets", f"{self._root}{path}")

    async def webhook_registration(self) -> Fetched:
        return await self._get("partner_center_webhook_registration",
                               f"{self._root}{PARTNER_CENTER_PATHS['partner_center_webhook_registration']}")
