"""Cost alerts: budgets and anomaly alerts on Azure subscriptions, and the review of recent creations
(area `cost`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Evidence, Status
from auditor.snapshot import SubscriptionSnapshot, TenantSnapshot
from checks.azure import (
    Verdict,
    arm_items,
    ci_get,
    ci_properties,
    evaluate_subscriptions,
    first_working,
    last_segment,
    parse_time,
    properties,
    subscription_label,
    subscriptions_in_scope,
)

BUDGETS_REF = "https://learn.microsoft.com/rest/api/consumption/budgets/list"
ANOMALY_REF = "https://learn.microsoft.com/azure/cost-management-billing/understand/analyze-unexpected-charges"
FRAUD_REF = "https://learn.microsoft.com/partner-center/security/azure-fraud-detection-and-notification"


def _ended(props: dict[str, Any], period_key: str, now: datetime) -> bool:
    """True when the object's period (``timePeriod`` of a budget, ``schedule`` of a scheduled action) has
    an end date already past: Azure stops evaluating it then."""
    period = props.get(period_key) or {}
    ends = parse_time(period.get("endDate")) if isinstance(period, dict) else None
    return ends is not None and ends < now


def _notifying(notification: Any) -> bool:
    """An enabled budget notification that reaches someone. The notifications map also holds stray
    non-object values in Microsoft's own examples ("thresholdType": "Actual"), which are skipped."""
    if not isinstance(notification, dict) or notification.get("enabled") is not True:
        return False
    return any(notification.get(key) for key in ("contactEmails", "contactRoles", "contactGroups"))


def budget_problem(budget: dict[str, Any], now: datetime) -> str | None:
    """Why one budget does not alert anyone about the whole subscription's spend; None when it does."""
    props = properties(budget)
    name = budget.get("name", "?")
    scope = str(budget.get("id", "")).lower()
    if "/resourcegroups/" in scope:
        return f"{name}: scoped to a resource group, not the subscription"
    if props.get("filter"):
        return f"{name}: filtered to part of the subscription"
    if _ended(props, "timePeriod", now):
        return f"{name}: ended on {props['timePeriod'].get('endDate')}"
    notifications = (props.get("notifications") or {}).values()
    if not any(_notifying(n) for n in notifications):
        return f"{name}: no enabled notification with a contact e-mail, role or action group"
    return None


@check(
    id="CST-1",
    title="Every Azure subscription has a budget that alerts a contact",
    action="Set a budget alert on every Azure subscription",
    fix=(
        "In Cost Management > Budgets, add a monthly budget for each listed subscription with alerts at "
        "80 % and 100 % to a monitored mailbox."
    ),
    effort="low",
    area="cost",
    severity="high",
    applies_to=["customer"],
    needs=["budgets"],
    references=[
        BUDGETS_REF,
        FRAUD_REF,
        "https://learn.microsoft.com/azure/cost-management-billing/costs/tutorial-acm-create-budgets",
    ],
    remediation="""
        In the Azure portal open Cost Management > Budgets with the subscription as scope, choose Add,
        set a monthly amount a little above normal spend and an end date years ahead, and add alert
        conditions (for example Actual 80 % and 100 %, Forecasted 110 %) with a monitored mailbox under
        "Alert recipients (email)" (or an action group). Do not filter the budget to a resource group.
    """,
)
def budget_alerts(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Runaway Azure spend is noticed within days, not at the end of the month.

    A compromised subscription used for crypto-mining can run up tens of thousands in days, billed to the
    customer or the partner. A budget with an alert to a person is the cheapest early warning.

    Decisions: a budget counts when it watches the whole subscription (scoped at the subscription, no
    `filter`), has not passed its `timePeriod.endDate`, and has at least one notification with `enabled`
    true and a non-empty `contactEmails`, `contactRoles` or `contactGroups`. A resource-group or filtered
    budget does not count, because spend elsewhere in the subscription goes unwatched.
    """

    def judge(subscription: SubscriptionSnapshot) -> Verdict:
        return first_working(
            arm_items(subscription, "budgets"),
            lambda budget: budget_problem(budget, ctx.now),
            none="no budget",
            works=lambda budget: f"budget {budget.get('name', '?')} alerts a contact",
        )

    return evaluate_subscriptions(
        snapshot,
        ["budgets"],
        judge,
        fails="have no budget that alerts a contact",
        passes="have a budget that alerts a contact",
    )


def _alert_name(alert: dict[str, Any]) -> str:
    return properties(alert).get("displayName") or alert.get("name", "?")


def anomaly_alert_problem(alert: dict[str, Any], now: datetime) -> str | None:
    """Why one anomaly alert (scheduled action of kind InsightAlert) sends nothing; None when it works."""
    props = properties(alert)
    if str(props.get("status", "")).lower() != "enabled":
        return f"{_alert_name(alert)}: status {props.get('status') or 'not set'}"
    if _ended(props, "schedule", now):
        return f"{_alert_name(alert)}: expired on {props['schedule'].get('endDate')}"
    return None


@check(
    id="CST-2",
    title="Every Azure subscription has a cost anomaly alert",
    action="Add a cost anomaly alert to every Azure subscription",
    fix=(
        "In Cost Management > Cost alerts, add an anomaly alert for each listed subscription with a "
        "monitored mailbox as recipient."
    ),
    effort="low",
    area="cost",
    severity="medium",
    applies_to=["customer"],
    needs=["scheduled_actions"],
    references=[ANOMALY_REF, "https://learn.microsoft.com/rest/api/cost-management/scheduled-actions/list-by-scope"],
    remediation="""
        In the Azure portal open Cost Management with the subscription as scope > Cost alerts > Add >
        Anomaly alert, give it a name, enter a monitored mailbox as recipient and an expiration date years
        ahead, and save. Check that the alert's status is Enabled.
    """,
)
def anomaly_alerts(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Unusual daily spend triggers an e-mail (Cost Management anomaly alert).

    Anomaly alerts catch sudden changes, such as a burst of GPU VMs from a stolen credential, that stay
    below a monthly budget threshold for days.

    Decisions: only a scheduled action of kind "InsightAlert" counts, and only while its `status` is
    "Enabled" and its `schedule.endDate` has not passed: a disabled or expired anomaly alert sends nothing,
    so it is reported as such rather than counted. Other kinds (scheduled cost e-mails, kind "Email") do
    not count.
    """

    def judge(subscription: SubscriptionSnapshot) -> Verdict:
        return first_working(
            [a for a in arm_items(subscription, "scheduled_actions") if a.get("kind") == "InsightAlert"],
            lambda alert: anomaly_alert_problem(alert, ctx.now),
            none="no anomaly alert (scheduled action of kind InsightAlert)",
            works=lambda alert: f"anomaly alert {_alert_name(alert)} is enabled",
        )

    return evaluate_subscriptions(
        snapshot,
        ["scheduled_actions"],
        judge,
        fails="have no enabled cost anomaly alert",
        passes="have an enabled cost anomaly alert",
    )


# --- CST-4 -----------------------------------------------------------------------------------------------

CREATION_WINDOW_DAYS = 7
RESOURCE_CHANGES_REF = "https://learn.microsoft.com/azure/governance/resource-graph/how-to/get-resource-changes"
# Resource types used for fraud (crypto-mining, GPU resale) in Microsoft's Azure fraud guidance for partners:
# listed first, in this order. GPU virtual machine sizes (the N family: NC, ND, NV, NG) rank above all.
FRAUD_PRONE_TYPES: dict[str, str] = {
    "microsoft.compute/virtualmachines": "virtual machine",
    "microsoft.compute/virtualmachinescalesets": "virtual machine scale set",
    "microsoft.machinelearningservices": "Machine Learning",
    "microsoft.batch": "Batch",
    "microsoft.containerinstance/containergroups": "container instance",
}


def _gpu_size(size: str) -> bool:
    """Azure's GPU VM sizes are the N family: Standard_NC…, Standard_ND…, Standard_NV…, Standard_NG…"""
    return size.lower().startswith(("standard_nc", "standard_nd", "standard_nv", "standard_ng"))


def _nested(item: dict, *path: str) -> Any:
    for key in path:
        item = ci_get(item, key)
    return item


def creation(item: dict) -> dict[str, Any] | None:
    """One creation as (type, name, location, creator, time, size), from either source the section may
    hold: a Resource Graph `resourcechanges` row (`properties.changeType` Create, `changeAttributes`, and the
    `location`/`skuName` columns our query joins from `resources`), or an activity-log event (a succeeded
    write answered "Created", HTTP 201: `subStatus.value`). None for anything else."""
    props = ci_properties(item)
    if ci_get(props, "changeType") is not None:
        if str(ci_get(props, "changeType")).lower() != "create":
            return None
        attributes = ci_get(props, "changeAttributes") or {}
        resource_id = str(ci_get(props, "targetResourceId") or "")
        return {"type": str(ci_get(props, "targetResourceType") or ""), "id": resource_id,
                "location": str(ci_get(item, "location") or ""), "creator": str(ci_get(attributes, "changedBy") or ""),
                "time": parse_time(ci_get(attributes, "timestamp")), "size": str(ci_get(item, "skuName") or "")}
    if ci_get(item, "eventTimestamp") is not None:
        created = str(_nested(item, "subStatus", "value") or ci_get(props, "statusCode") or "").lower() == "created"
        succeeded = str(_nested(item, "status", "value") or "").lower() == "succeeded"
        if not (created and succeeded):
            return None
        return {"type": str(_nested(item, "resourceType", "value") or ""), "id": str(ci_get(item, "resourceId") or ""),
                "location": "", "creator": str(ci_get(item, "caller") or ""),
                "time": parse_time(ci_get(item, "eventTimestamp")), "size": ""}
    return None


def fraud_note(found: dict[str, Any]) -> tuple[int, str]:
    """(rank, why) of a creation: GPU sizes first, then the fraud-prone types in their order, then the rest."""
    if found["size"] and _gpu_size(found["size"]):
        return 0, f"GPU size {found['size']}"
    kind = found["type"].lower()
    for rank, (prefix, label) in enumerate(FRAUD_PRONE_TYPES.items(), start=1):
        if kind == prefix or kind.startswith(prefix + "/"):
            return rank, f"fraud-prone type: {label}"
    return len(FRAUD_PRONE_TYPES) + 1, ""


@check(
    id="CST-4",
    action="Review the Azure resources created this week",
    fix=(
        "Check each new resource with its owner, fraud-prone ones (GPU virtual machines, scale sets, "
        "Machine Learning, Batch, container instances) first, and delete what nobody asked for."
    ),
    effort="low",
    title="Resources created in the last 7 days are reviewed",
    area="cost",
    severity="medium",
    applies_to=["customer"],
    needs=["resource_creations"],
    wave=2,
    references=[RESOURCE_CHANGES_REF, FRAUD_REF,
                "https://learn.microsoft.com/rest/api/monitor/activity-logs/list"],
    remediation="""
        Review each resource in the evidence with the subscription's owner, starting with the ones marked
        fraud-prone (GPU virtual machines, scale sets, Machine Learning, Batch, container instances). In the
        Azure portal open the resource, check who created it and why; delete what nobody asked for and, if an account created it without reason, reset that
        account's password and review its role assignments.

        Partner: with the Azure CLI, az resource delete --ids <resource id> deletes a resource once its owner agrees.
    """,
)
def recent_creations(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """New Azure resources of the last week are shown to a person, fraud-prone ones first.

    Subscription fraud starts with resources nobody ordered: GPU virtual machines and scale sets for
    crypto-mining, Machine Learning or Batch pools. A weekly look at what was created catches it before
    the invoice does.

    Decisions: the window is the 7 days before the snapshot was collected (the data covers that
    window, so a later re-evaluation judges the same list). No creation in any subscription: PASS. Any
    creation: MANUAL, one row per resource with type, name, location, creator and time; GPU sizes first,
    then virtual machines, scale sets, Machine Learning, Batch and container instances, then the rest,
    newest first within each. A subscription whose creations could not be read makes the check UNKNOWN
    when no creation was found elsewhere; with creations listed, the evidence names it. Resource Graph rows
    (`resourcechanges`, changeType Create) carry the location; activity-log events (the fallback) do not.
    """
    since = snapshot.collected_at - timedelta(days=CREATION_WINDOW_DAYS)
    rows: list[tuple[tuple, Evidence]] = []
    unread = []
    for subscription in subscriptions_in_scope(snapshot):
        section = subscription.sections.get("resource_creations")
        if section is None or not section.ok:
            status = section.status.value if section is not None else "not_collected"
            unread.append(f"{subscription_label(subscription)}: resource_creations is {status} "
                          f"({(section.brief_reason if section else '') or 'no reason recorded'})")
            continue
        for item in arm_items(subscription, "resource_creations"):
            found = creation(item)
            if found is None or found["time"] is None or not since <= found["time"] <= snapshot.collected_at:
                continue
            rank, why = fraud_note(found)
            row = {"subscription": subscription_label(subscription), "type": found["type"],
                   "name": last_segment(found["id"]) or "(unnamed)", "location": found["location"] or "(not recorded)",
                   "creator": found["creator"] or "(unknown)", "created": found["time"].strftime("%Y-%m-%d %H:%M UTC"),
                   "fraud_prone": why}
            rows.append(((rank, -found["time"].timestamp()), row))
    rows.sort(key=lambda pair: pair[0])
    evidence = [row for _, row in rows]
    if evidence:
        prone = sum(1 for row in evidence if row["fraud_prone"])
        summary = (f"{len(evidence)} resource(s) were created in the {CREATION_WINDOW_DAYS} days before collection "
                   f"({prone} of a fraud-prone type); review them.")
        if unread:
            summary += f" Not read: {'; '.join(unread)}."
        return Outcome(Status.MANUAL, summary, evidence)
    if unread:
        return Outcome(Status.UNKNOWN, f"Recent creations could not be read: {'; '.join(unread)}.")
    return Outcome(Status.PASS, f"No resource was created in the {CREATION_WINDOW_DAYS} days before collection.")
