"""The emulator's Azure Resource Graph: answers the collector's own queries (auditor/collect/
resource_graph.py, recognised by their exact text; it runs no KQL) from the snapshot's per-subscription
sections, the way Resource Graph would: every readable subscription's rows in one answer, subscriptions
whose section is not ok silently left out, a role assignment above the subscription listed once without a
subscription id, `$skipToken` paging. No I/O here."""

from __future__ import annotations

from typing import Any

from auditor.collect.emulator_answers import Answer, graph_error
from auditor.collect.resource_graph import LISTING_SECTION, QUERIES, SUBSCRIPTION_TYPE
from auditor.snapshot import TenantSnapshot

_SECTIONS_BY_QUERY = {" ".join(text.split()): name for name, text in QUERIES.items()}


def section_of(body: Any) -> str | None:
    """The section a Resource Graph request body asks for, or None for a query this emulator does not know."""
    query = body.get("query") if isinstance(body, dict) else None
    return _SECTIONS_BY_QUERY.get(" ".join(str(query or "").split()))


def subscription_rows(snapshot: TenantSnapshot, hidden: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The tenant's subscriptions as `resourcecontainers` rows: every subscription ARM lists (the emulator's
    app holds its roles on whole subscriptions, and any role there reads the subscription itself, whatever
    it may read inside); display name in `name`, state, policies and managing tenants under `properties`,
    as Resource Graph has them."""
    listed = snapshot.sections.get("subscriptions")
    if listed is None or not listed.ok:
        return []
    found = []
    for item in listed.data or []:
        sid = str(item.get("subscriptionId") or "")
        if not sid or sid.lower() in hidden:
            continue
        row: dict[str, Any] = {"id": item.get("id"), "name": item.get("displayName"), "type": SUBSCRIPTION_TYPE,
                               "tenantId": item.get("tenantId"), "subscriptionId": sid,
                               "properties": {k: item[k] for k in ("state", "subscriptionPolicies", "managedByTenants")
                                              if k in item}}
        if "tags" in item:
            row["tags"] = item["tags"]
        found.append(row)
    return found


def rows(snapshot: TenantSnapshot, section: str, hidden: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Every row the query of ``section`` answers; nothing of the subscriptions in ``hidden`` (lower-case ids
    Resource Graph does not show: one not indexed yet, or the app's role is on a resource group only)."""
    found: list[dict[str, Any]] = []
    above: dict[str, dict[str, Any]] = {}
    for subscription in snapshot.azure_subscriptions:
        if subscription.subscription_id.lower() in hidden:
            continue
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
            if section == LISTING_SECTION:
                row.setdefault("tenantId", snapshot.tenant.id)
            found.append(row)
    if section == LISTING_SECTION:  # the listing query unites the subscriptions with the alerts
        found += subscription_rows(snapshot, hidden)
    return found + list(above.values())


def answer(snapshot: TenantSnapshot, section: str, options: Any, page_size: int,
           hidden: frozenset[str] = frozenset()) -> Answer:
    options = options if isinstance(options, dict) else {}
    all_rows = rows(snapshot, section, hidden)
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
