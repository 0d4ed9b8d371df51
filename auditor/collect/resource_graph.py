"""Azure governance reads for one tenant: Azure Resource Graph first, one query per table for every
subscription at once, and the per-subscription ARM lists where Resource Graph does not serve.

Three queries (one HTTP POST each, plus `$skipToken` pages) answer the tenant's subscription list and three
per-subscription sections for all of its subscriptions: the subscriptions themselves with the activity-log
alerts and the action groups they name (`resources` united with `resourcecontainers`, the one pair of tables
Resource Graph lets a query unite), role assignments at or above each subscription
(`authorizationresources`), and the creations of the last 7 days (`resourcechanges`, joined to `resources`
for location and size). Resource Graph cannot union other tables ("Understanding the Azure Resource Graph
query language": union is allowed within one table or between Resources and ResourceContainers), hence
three queries, not one. The first query is sent alone, first: it names the subscriptions the other reads
are for (auditor/collect/subscriptions.py); where it is refused or names none, ARM's `GET /subscriptions`
does (so a tenant without Azure costs one request more than ARM alone would, never a false answer).

Resource Graph silently leaves out what the caller cannot read, so its answer is used for a subscription
only where that subscription is shown to be readable: its diagnostic settings (read per subscription anyway,
AZR-5) answered, which takes the Reader role or better, and, for role assignments, at least one assignment
of the subscription came back (every readable subscription has one: the role that lets this app read it);
and Resource Graph listed the subscription itself (it does not, for a while, for a new subscription it has
not indexed yet: an empty answer for it would say "no alerts" or "nothing created"). A role assignment above any subscription (a
management group, the root) comes back once without a subscription, and which subscriptions inherit it is
not in the answer: then every subscription's role assignments are read per subscription (`$filter=atScope()`
includes inherited ones). Everywhere else, and when Resource Graph refuses, the per-subscription read
decides, and its 403 becomes an honest `forbidden`.

The subscription list is Resource Graph's wherever it names at least one subscription. Where Resource Graph
shows nothing of a subscription that ARM's list would name (not indexed yet, minutes after it was created;
or the app's role is on one of its resource groups only, which the setup does not do), that subscription is
left out of the audit while Resource Graph names others: it then adds no finding, never a FAIL. Where it
names none, ARM's list decides and every read is per subscription.
"""


from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from auditor.collect.answers import Fetched
from auditor.collect.arm import ArmReader
from auditor.collect.plan import ARM_ACTION_GROUPS as ACTION_GROUPS
from auditor.collect.plan import ARM_SUBSCRIPTION_REQUESTS
from auditor.snapshot import Section

RESOURCE_GRAPH_PATH = "/providers/Microsoft.ResourceGraph/resources"
RESOURCE_GRAPH_API_VERSION = "2022-10-01"
CREATION_WINDOW = timedelta(days=7)

ALERT_TYPE = "microsoft.insights/activitylogalerts"
ACTION_GROUP_TYPE = "microsoft.insights/actiongroups"
SUBSCRIPTION_TYPE = "microsoft.resources/subscriptions"
# The section whose query also lists the subscriptions (its rows of SUBSCRIPTION_TYPE).
LISTING_SECTION = "activity_log_alerts"

# The queries, verbatim: the emulator recognises exactly these texts (it does not run KQL).
QUERIES: dict[str, str] = {
    "azure_role_assignments": (
        "authorizationresources"
        " | where type =~ 'microsoft.authorization/roleassignments'"
        " | where not(tolower(tostring(properties.scope)) contains '/resourcegroups/')"
        " | project id, name, type, properties, subscriptionId"
    ),
    "activity_log_alerts": (
        "resources"
        f" | where type in~ ('{ALERT_TYPE}', '{ACTION_GROUP_TYPE}')"
        f" | union (resourcecontainers | where type =~ '{SUBSCRIPTION_TYPE}')"
        " | project id, name, type, location, tags, properties, subscriptionId, tenantId"
    ),
    "resource_creations": (
        "resourcechanges"
        " | extend changeTime = todatetime(properties.changeAttributes.timestamp),"
        " targetResourceId = tolower(tostring(properties.targetResourceId))"
        " | where tostring(properties.changeType) =~ 'Create' and changeTime > ago(7d)"
        " | join kind=leftouter (resources | project targetResourceId = tolower(id), location,"
        " skuName = coalesce(tostring(properties.hardwareProfile.vmSize), tostring(sku.name))) on targetResourceId"
        " | project id, subscriptionId, properties, location, skuName"
    ),
}
TABLES = {name: query.split(" ", 1)[0] for name, query in QUERIES.items()}
# Columns Resource Graph adds that the ARM REST shape of these objects does not have (dropped, so a section
# reads the same whichever way it was collected).
_ADDED_COLUMNS = {"azure_role_assignments": ("subscriptionId",), "activity_log_alerts": ("subscriptionId", "tenantId")}
# The fields of ARM's subscription list (GET /subscriptions, 2022-12-01) that Resource Graph's subscription
# rows also carry: the subscriptions section keeps these, whichever answered (authorizationSource, the one
# field Resource Graph lacks, is read by no check).
SUBSCRIPTION_FIELDS = ("id", "subscriptionId", "tenantId", "displayName", "state", "subscriptionPolicies",
                       "managedByTenants", "tags")


def listing_url() -> str:
    return f"{RESOURCE_GRAPH_PATH}?api-version={RESOURCE_GRAPH_API_VERSION}"


def arm_subscription(item: dict[str, Any]) -> dict[str, Any]:
    """One subscription as the snapshot keeps it (ARM's list shape, SUBSCRIPTION_FIELDS), from an ARM list
    item or a Resource Graph `resourcecontainers` row (display name in `name`, state, policies and managing
    tenants under `properties`)."""
    if str(item.get("type") or "").lower() == SUBSCRIPTION_TYPE:
        props = item.get("properties") if isinstance(item.get("properties"), dict) else {}
        item = {"id": item.get("id"), "subscriptionId": item.get("subscriptionId"), "tenantId": item.get("tenantId"),
                "displayName": item.get("name"), "tags": item.get("tags"),
                **{k: props[k] for k in ("state", "subscriptionPolicies", "managedByTenants") if k in props}}
    return {k: item[k] for k in SUBSCRIPTION_FIELDS if item.get(k) is not None}


def split_listing(answer: Fetched) -> tuple[list[dict[str, Any]], Fetched]:
    """The listing query's answer as (the subscriptions it names, in ARM's shape; the alerts and action
    groups, as the activity_log_alerts query's answer)."""
    if not answer.ok:
        return [], answer
    rows = [r for r in answer.data if isinstance(r, dict)]
    subscriptions = [arm_subscription(r) for r in rows if str(r.get("type") or "").lower() == SUBSCRIPTION_TYPE
                     and r.get("subscriptionId")]
    alerts = [r for r in rows if str(r.get("type") or "").lower() != SUBSCRIPTION_TYPE]
    return subscriptions, Fetched.good(alerts)


def query_request_line(section: str) -> str:
    """What a section answered by Resource Graph records as its request."""
    return (f"POST {RESOURCE_GRAPH_PATH}?api-version={RESOURCE_GRAPH_API_VERSION} "
            f"({TABLES[section]}: {QUERIES[section]})")


def fallback_request_line(section: str, subscription_id: str) -> str:
    line = ARM_SUBSCRIPTION_REQUESTS[section].request_line(subscription_id)
    if section == "activity_log_alerts":
        line += " and " + ACTION_GROUPS.request_line(subscription_id)
    return line


def _section(fetched: Fetched, request: str) -> Section:
    return Section(status=fetched.status, reason=fetched.reason, request=request, data=fetched.data if fetched.ok else None)


def _creations_only(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The activity-log events that created a resource: a succeeded write answered 201 Created."""
    def value(event: dict[str, Any], key: str) -> str:
        item = event.get(key)
        return str(item.get("value") if isinstance(item, dict) else item or "").lower()

    return [e for e in events if value(e, "status") == "succeeded" and value(e, "subStatus") == "created"]


async def collect_governance(
    reader: ArmReader,
    subscription_ids: list[str],
    witnesses: Awaitable[dict[str, Section]],
    now: datetime,
    limit: Callable[[Awaitable[Fetched]], Awaitable[Fetched]],
    listing: tuple[Fetched, set[str]],
) -> dict[str, dict[str, Section]]:
    """The three Resource-Graph-served sections of every subscription: {subscription id: {section: Section}}.
    ``witnesses`` gives each subscription's diagnostic-settings section (the readability witness), read
    concurrently with the queries; ``limit`` wraps a per-subscription read in the tenant's ARM concurrency
    bound; ``listing`` is the listing query's alerts answer (split_listing) and the ids (lower case) of the
    subscriptions it named: Resource Graph's rows are used for those only."""
    alerts, listed = listing
    others = [name for name in QUERIES if name != LISTING_SECTION]
    answers = await asyncio.gather(*(reader.query(name, listing_url(), QUERIES[name]) for name in others))
    by_section = {**dict(zip(others, answers)), LISTING_SECTION: alerts}
    diagnostic = await witnesses
    result: dict[str, dict[str, Section]] = {sid: {} for sid in subscription_ids}
    fallbacks: list[tuple[str, str]] = []
    for name, answer in by_section.items():
        rows: dict[str, list[dict[str, Any]]] = {sid.lower(): [] for sid in subscription_ids}
        above_subscriptions = False
        if answer.ok:
            for row in answer.data:
                if not isinstance(row, dict):
                    continue
                owner = str(row.get("subscriptionId") or "").lower()
                if owner in rows:
                    kept = {k: v for k, v in row.items() if k not in _ADDED_COLUMNS.get(name, ())}
                    rows[owner].append(kept)
                elif not owner and name == "azure_role_assignments":
                    above_subscriptions = True
        for sid in subscription_ids:
            witness = diagnostic.get(sid)
            usable = answer.ok and witness is not None and witness.ok and not above_subscriptions
            if name == "azure_role_assignments" and not rows[sid.lower()]:
                usable = False
            if sid.lower() not in listed:
                usable = False  # Resource Graph did not show it sees this subscription (not indexed yet?)
            if usable:
                result[sid][name] = Section.of(rows[sid.lower()], query_request_line(name))
            else:
                fallbacks.append((sid, name))

    async def fallback(sid: str, name: str) -> tuple[str, str, Section]:
        request = ARM_SUBSCRIPTION_REQUESTS[name]
        line = fallback_request_line(name, sid)
        if name == "resource_creations":
            window = {"since": (now - CREATION_WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "until": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
            fetched = await limit(reader.list(name, request.relative_url(sid, values=window), sid))
            if fetched.ok:
                fetched = Fetched.good(_creations_only(fetched.data))
            return sid, name, _section(fetched, line)
        fetched = await limit(reader.list(name, request.relative_url(sid), sid))
        if name == "activity_log_alerts" and fetched.ok:
            groups = await limit(reader.list(name, ACTION_GROUPS.relative_url(sid), sid))
            fetched = Fetched.good(fetched.data + groups.data) if groups.ok else groups
        return sid, name, _section(fetched, line)

    for sid, name, section in await asyncio.gather(*(fallback(sid, name) for sid, name in fallbacks)):
        result[sid][name] = section
    return result
