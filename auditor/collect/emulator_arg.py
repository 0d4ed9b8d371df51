"""The emulator's Azure Resource Graph: answers the collector's own queries (auditor/collect/
resource_graph.py, recognised by their exact text; it runs no KQL) from the snapshot's per-subscription
sections, the way Resource Graph would: every readable subscription's rows in one answer, subscriptions
whose section is not ok silently left out, a role assignment above the subscription listed once without a
subscription id, `$skipToken` paging. No I/O here."""

from __future__ import annotations

from typing import Any

from auditor.collect.emulator_answers import Answer, graph_error
from auditor.collect.resource_graph import QUERIES
from auditor.snapshot import TenantSnapshot

_SECTIONS_BY_QUERY = {" ".join(text.split()): name for name, text in QUERIES.items()}


def section_of(body: Any) -> str | None:
    """The section a Resource Graph request body asks for, or None for a query this emulator does not know."""
    query = body.get("query") if isinstance(body, dict) else None
    return _SECTIONS_BY_QUERY.get(" ".join(str(query or "").split()))


def rows(snapshot: TenantSnapshot, section: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    above: dict[str, dict[str, Any]] = {}
    for subscription in snapshot.azure_subscriptions:
        stored = subscription.sections.get(section)
        if stored is None or not stored.ok:
            continue  # Resource Graph returns nothing for what the caller cannot read
        for item in stored.data or []:
            row = dict(item)
            scope = str((item.get("properties") or {}).get("scope") or "").lower()
            if section == "azure_role_assignments" and scope != f"/subscriptions/{subscription.subscription_id.lower()}":
                above[str(item.get("id"))] = {**row, "subscriptionId": ""}
                continue
            row.setdefault("subscriptionId", subscription.subscription_id)
            found.append(row)
    return found + list(above.values())


def answer(snapshot: TenantSnapshot, section: str, options: Any, page_size: int) -> Answer:
    options = options if isinstance(options, dict) else {}
    all_rows = rows(snapshot, section)
    try:
        offset = int(options.get("$skipToken") or 0)
        top = int(options.get("$top") or 100)
    except (TypeError, ValueError):
        return graph_error(400, "BadRequest", "Invalid $skipToken or $top.")
    size = max(1, min(top, page_size, 1000))
    page = all_rows[offset:offset + size]
    body: dict[str, Any] = {"totalRecords": len(all_rows), "count": len(page), "resultTruncated": "false",
                            "facets": [], "data": page}
    if offset + size < len(all_rows):
        body["$skipToken"] = str(offset + size)
    return Answer(200, body)
