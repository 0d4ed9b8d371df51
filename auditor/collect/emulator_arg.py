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


def as_activity_events(items: list[Any]) -> list[Any]:
    """The stored creations as the activity log answers them (the fallback's source): a Resource Graph
    `resourcechanges` Create row becomes a succeeded write event answered "Created" (HTTP 201), with the
    resource, its type, the caller and the time; activity-log events are served as they are."""
    events = []
    for item in items:
        props = item.get("properties") if isinstance(item, dict) else None
        if not isinstance(props, dict) or "changeType" not in props:
            events.append(item)
            continue
        attributes = props.get("changeAttributes") or {}
        kind = str(props.get("targetResourceType") or "")
        events.append({
            "caller": attributes.get("changedBy"),
            "eventTimestamp": attributes.get("timestamp"),
            "operationName": {"value": f"{kind}/write", "localizedValue": f"{kind}/write"},
            "resourceId": props.get("targetResourceId"),
            "resourceType": {"value": kind, "localizedValue": kind},
            "properties": {"statusCode": "Created"},
            "status": {"value": "Succeeded", "localizedValue": "Succeeded"},
            "subStatus": {"value": "Created", "localizedValue": "Created (HTTP Status Code: 201)"},
            "subscriptionId": item.get("subscriptionId"),
        })
    return events
