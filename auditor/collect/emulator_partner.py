"""The emulator's delegated-only endpoints (issue 14): Partner Center (`/v1/customers`,
`/v1/customers/{id}/usagebudget`, `/webhooks/v1/registration`) and ARM's tenant-level Entra ID diagnostic
settings (`/providers/microsoft.aadiam/diagnosticSettings`).

Partner Center answers only a delegated token of the partner's home tenant (any other token: 401, as a token
of one tenant is refused by another). The diagnostic settings answer only a delegated token (an app-only one:
403, as Microsoft's API does). Data comes from the snapshot sections of the same names; a non-ok section is
served as its error. A usage budget recorded as null is served as 404 (Partner Center has none)."""

from __future__ import annotations

import re
from typing import Any

from auditor.collect.emulator_answers import Answer, error_for, graph_error
from auditor.collect.plan import PARTNER_CENTER_PAGE
from auditor.snapshot import TenantSnapshot

DIAGNOSTICS_PATH = "/providers/microsoft.aadiam/diagnosticsettings"
_BUDGET = re.compile(r"^/v1/customers/(?P<id>[^/]+)/usagebudget$", re.IGNORECASE)


def is_partner_center(path: str) -> bool:
    lowered = path.lower()
    return lowered.startswith("/v1/customers") or lowered.startswith("/webhooks/v1/")


def partner_center(snapshot: TenantSnapshot | None, path: str, query: dict[str, str], base: str) -> tuple[Answer, str]:
    """The answer to one Partner Center GET by the partner's delegated token, and its section."""
    if snapshot is None:
        return graph_error(401, "Unauthorized", "The token is not valid for Partner Center."), ""
    budget = _BUDGET.match(path)
    name = ("partner_center_usage_budgets" if budget else "partner_center_customers" if path.lower() == "/v1/customers"
            else "partner_center_webhook_registration" if path.lower() == "/webhooks/v1/registration" else "")
    if not name:
        return graph_error(404, "NotFound", f"No resource at {path}."), ""
    section = snapshot.sections.get(name)
    if section is None or not section.ok:
        return error_for(section.status, name, False) if section is not None else graph_error(404, "NotFound", "none"), name
    if budget:
        data: Any = (section.data or {}).get(budget.group("id"))  # type: ignore[union-attr]
        if data is None:
            return graph_error(404, "NotFound", "The customer has no Azure usage budget."), name
        return Answer(200, data), name
    if name == "partner_center_webhook_registration":
        if not section.data:
            return graph_error(404, "NotFound", "No webhook registration."), name
        return Answer(200, section.data), name
    items = list(section.data or [])
    offset = int(query.get("offset", "0") or 0)
    size = int(query.get("size", str(PARTNER_CENTER_PAGE)) or PARTNER_CENTER_PAGE)
    body: dict[str, Any] = {"totalCount": len(items[offset:offset + size]), "items": items[offset:offset + size],
                            "links": {"self": {"uri": f"/v1/customers?size={size}", "method": "GET", "headers": []}},
                            "attributes": {"objectType": "Collection"}}
    if offset + size < len(items):  # Partner Center's continuation: links.next with a header
        body["links"]["next"] = {"uri": f"/customers?size={size}&seekOperation=Next", "method": "GET",
                                 "headers": [{"key": "MS-ContinuationToken", "value": str(offset + size)}]}
    return Answer(200, body), name


def diagnostic_settings(snapshot: TenantSnapshot | None, delegated: bool) -> Answer:
    if not delegated:
        return graph_error(403, "AuthorizationFailed", "The client does not have authorization to perform action "
                           "'microsoft.aadiam/diagnosticSettings/read' (app-only tokens are not supported).")
    section = snapshot.sections.get("entra_diagnostic_settings") if snapshot is not None else None
    if section is None or not section.ok:
        return error_for(section.status, "entra_diagnostic_settings", True) if section is not None else \
            Answer(200, {"value": []})
    return Answer(200, {"value": list(section.data or [])})
