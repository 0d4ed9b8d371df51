"""Cost alerts: budgets and anomaly alerts on Azure subscriptions (area `cost`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from auditor.registry import CheckContext, Outcome, check
from auditor.snapshot import SubscriptionSnapshot, TenantSnapshot
from checks.azure import Verdict, arm_items, evaluate_subscriptions, first_working, parse_time, properties

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
