"""The Azure Resource Manager half of one tenant's collection: the subscriptions (from Azure Resource Graph's
first query, or ARM's list where it does not name them), each subscription's own lists (concurrently, within
the tenant's ARM bound), and what Azure Resource Graph answers for all of them at once
(auditor/collect/resource_graph.py). It also tells the Graph half which groups hold Owner, Contributor
or User Access Administrator on a subscription, so their members are read in Graph's second round (AZR-2).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from auditor.collect.answers import Fetched
from auditor.collect.arm import ArmReader
from auditor.collect.options import CollectOptions
from auditor.collect.plan import ARM_SUBSCRIPTION_REQUESTS, ARM_SUBSCRIPTIONS, RESOURCE_GRAPH_SECTIONS
from auditor.collect.resource_graph import (
    LISTING_SECTION,
    QUERIES,
    arm_subscription,
    collect_governance,
    listing_url,
    query_request_line,
    split_listing,
)
from auditor.snapshot import SUBSCRIPTION_SECTIONS, Section, SubscriptionSnapshot


def _section(fetched: Fetched, request: str) -> Section:
    return Section(status=fetched.status, reason=fetched.reason, request=request, data=fetched.data if fetched.ok else None)


async def collect_arm(
    reader: ArmReader, options: CollectOptions, now: datetime,
    azure_groups: "asyncio.Future[tuple[list[str], str]] | None" = None,
) -> tuple[Section, list[SubscriptionSnapshot]]:
    """The subscriptions and their sections. Resolves ``azure_groups`` (always, so the Graph side never
    waits forever) with the groups holding Owner, Contributor or User Access Administrator."""
    try:
        section, snapshots = await _read_subscriptions(reader, options, now)
    except BaseException:
        _resolve(azure_groups, [], "the Azure read failed")
        raise
    readable = [s.sections["azure_role_assignments"] for s in snapshots]
    if not section.ok:
        _resolve(azure_groups, [], f"needs subscriptions, which is {section.status.value} ({section.reason})")
    elif readable and not any(r.ok for r in readable):
        _resolve(azure_groups, [], "no subscription's role assignments could be read")
    else:
        _resolve(azure_groups, _role_groups(r.data for r in readable if r.ok), "")
    return section, snapshots


def _resolve(future: "asyncio.Future[tuple[list[str], str]] | None", groups: list[str], why: str) -> None:
    if future is not None and not future.done():
        future.set_result((groups, why))


# Owner, Contributor, User Access Administrator (built-in role definition ids): the groups AZR-2 expands.
_CONTROLLING_ROLES = ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c",
                      "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9")


def _role_groups(lists: Any) -> list[str]:
    groups: dict[str, None] = {}
    for items in lists:
        for item in items or []:
            props = item.get("properties") or {} if isinstance(item, dict) else {}
            role = str(props.get("roleDefinitionId") or "").rstrip("/").rsplit("/", 1)[-1].lower()
            if str(props.get("principalType") or "").lower() == "group" and role in _CONTROLLING_ROLES:
                groups[str(props.get("principalId"))] = None
    return list(groups)


async def _read_subscriptions(
    reader: ArmReader, options: CollectOptions, now: datetime
) -> tuple[Section, list[SubscriptionSnapshot]]:
    # Resource Graph's listing query names the subscriptions (with the alerts of all of them); ARM's list
    # where it is refused or names none (auditor/collect/resource_graph.py).
    answer = await reader.query(LISTING_SECTION, listing_url(), QUERIES[LISTING_SECTION])
    from_graph, alerts = split_listing(answer)
    if from_graph:
        listed = Fetched.good(from_graph)
        section = _section(listed, query_request_line(LISTING_SECTION))
    else:
        listed = await reader.list("subscriptions", ARM_SUBSCRIPTIONS.relative_url())
        if listed.ok:
            listed = Fetched.good([arm_subscription(s) for s in listed.data if isinstance(s, dict)])
        section = _section(listed, ARM_SUBSCRIPTIONS.request_line())
    if not listed.ok:
        return section, []
    limit = asyncio.Semaphore(max(1, options.subscription_concurrency))

    async def bounded(call: Any) -> Fetched:
        async with limit:
            return await call

    async def read(name: str, subscription_id: str) -> Fetched:
        request = ARM_SUBSCRIPTION_REQUESTS[name]
        return await bounded(reader.list(name, request.relative_url(subscription_id), subscription_id))

    subscriptions = [s for s in listed.data if s.get("subscriptionId")]
    ids = [s["subscriptionId"] for s in subscriptions]
    direct = [name for name in SUBSCRIPTION_SECTIONS if name not in RESOURCE_GRAPH_SECTIONS]

    async def read_direct() -> dict[str, dict[str, Section]]:
        answers = iter(await asyncio.gather(*(read(name, sid) for sid in ids for name in direct)))
        return {sid: {name: _section(next(answers), ARM_SUBSCRIPTION_REQUESTS[name].request_line(sid))
                      for name in direct} for sid in ids}

    direct_reads = asyncio.ensure_future(read_direct())

    async def witnesses() -> dict[str, Section]:
        return {sid: sections["diagnostic_settings"] for sid, sections in (await direct_reads).items()}

    # Resource Graph answers the other sections for every subscription at once, concurrently with the
    # per-subscription reads (which, through diagnostic settings, tell which subscriptions it can see).
    visible = {str(s["subscriptionId"]).lower() for s in from_graph}
    governed = await collect_governance(reader, ids, witnesses(), now, bounded, (alerts, visible)) if ids else {}
    parts = await direct_reads
    for sid in ids:
        parts[sid].update(governed[sid])
    snapshots = [
        SubscriptionSnapshot(subscription_id=s["subscriptionId"], display_name=s.get("displayName") or "",
                             sections={name: parts[s["subscriptionId"]][name] for name in SUBSCRIPTION_SECTIONS})
        for s in subscriptions
    ]
    return section, snapshots
