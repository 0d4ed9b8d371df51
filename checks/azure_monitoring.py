"""Azure governance, monitoring (area `azure`): AZR-3 role-assignment alerts, AZR-4 Service Health alerts,
AZR-5 activity log kept beyond 90 days.

`activity_log_alerts` holds a subscription's activity-log alert rules and its action groups (both ARM
resources of Microsoft.Insights, told apart by `type`), so an alert is judged on whether the action group
it names can notify anyone. ARM spells `type` both "Microsoft.Insights/ActivityLogAlerts" and, through
Resource Graph, "microsoft.insights/activitylogalerts"; one of Microsoft's own examples capitalises the
condition's field names ("Field", "Equals"): types and field names are compared case-insensitively.
"""

from __future__ import annotations

from typing import Any, Iterator

from auditor.registry import CheckContext, Outcome, check
from auditor.snapshot import SubscriptionSnapshot, TenantSnapshot
from checks.azure import (
    Verdict,
    arm_items,
    ci_get,
    ci_properties,
    evaluate_subscriptions,
    last_segment,
    subscription_scope_matches,
    subscriptions_in_scope,
)

ALERT_TYPE = "microsoft.insights/activitylogalerts"
ACTION_GROUP_TYPE = "microsoft.insights/actiongroups"
ROLE_ASSIGNMENT_WRITE = "microsoft.authorization/roleassignments/write"
ALERTS = "activity_log_alerts"
SETTINGS = "diagnostic_settings"

ALERTS_REF = "https://learn.microsoft.com/azure/azure-monitor/alerts/activity-log-alerts"
SERVICE_HEALTH_REF = "https://learn.microsoft.com/azure/service-health/alerts-activity-log-service-notifications-portal"
DIAGNOSTIC_REF = "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings"


def _of_type(subscription: SubscriptionSnapshot, wanted: str) -> list[dict]:
    return [i for i in arm_items(subscription, ALERTS) if str(ci_get(i, "type") or "").lower() == wanted]


def _leaves(condition: Any) -> Iterator[tuple[str, set[str]]]:
    """(field, the values it may equal) for every leaf of an alert's `condition`: `allOf` leaves, and the
    leaves of an `anyOf` inside it (any one of them triggers the alert), with `equals` or `containsAny`."""
    for leaf in ci_get(condition, "allOf") or []:
        if not isinstance(leaf, dict):
            continue
        nested = ci_get(leaf, "anyOf")
        for item in nested if isinstance(nested, list) else [leaf]:
            field = str(ci_get(item, "field") or "").lower()
            values = ci_get(item, "containsAny")
            values = values if isinstance(values, list) else [ci_get(item, "equals")]
            yield field, {str(v).lower() for v in values if v is not None}


def _watches(alert: dict, field: str, value: str) -> bool:
    return any(f == field and value in values for f, values in _leaves(ci_get(ci_properties(alert), "condition")))


def _category(alert: dict) -> set[str]:
    return {v for f, values in _leaves(ci_get(ci_properties(alert), "condition")) if f == "category" for v in values}


def _receivers(group: dict) -> list[str]:
    """The receivers of an action group that can deliver: every entry of a `…Receivers` list, except e-mail
    and SMS receivers whose `status` is not Enabled (Microsoft's example lists a Disabled one)."""
    found = []
    for key, value in ci_properties(group).items():
        if not key.lower().endswith("receivers") or not isinstance(value, list):
            continue
        for receiver in value:
            status = ci_get(receiver, "status")
            if status is None or str(status).lower() == "enabled":
                found.append(f"{key[:-9]} {ci_get(receiver, 'name') or ''}".strip())
    return found


def alert_problem(alert: dict, subscription: SubscriptionSnapshot, groups: dict[str, dict]) -> tuple[str, bool] | None:
    """Why an alert rule (already matching the condition asked for) does not notify anyone about this whole
    subscription, and whether that is only unknown (an action group the collection did not see); None when
    it does notify. ``groups`` holds the tenant's action groups by lower-case id."""
    name = str(ci_get(alert, "name") or "?")
    props = ci_properties(alert)
    if ci_get(props, "enabled") is False:
        return f"{name}: disabled", False
    scopes = ci_get(props, "scopes") or []
    if not any(subscription_scope_matches(scope, subscription.subscription_id) for scope in scopes):
        return f"{name}: scoped to {', '.join(map(str, scopes)) or 'nothing'}, not the whole subscription", False
    named = [str(ci_get(a, "actionGroupId") or "") for a in ci_get(ci_get(props, "actions"), "actionGroups") or []]
    named = [n for n in named if n]
    if not named:
        return f"{name}: no action group", False
    problems, unseen = [], True
    for group_id in named:
        group = groups.get(group_id.lower().lstrip("/"))
        if group is None:
            problems.append(f"action group {last_segment(group_id)} is not among the collected action groups")
            continue
        unseen = False
        if ci_get(ci_properties(group), "enabled") is False:
            problems.append(f"action group {last_segment(group_id)} is disabled")
        elif not _receivers(group):
            problems.append(f"action group {last_segment(group_id)} has no enabled receiver")
        else:
            return None
    return f"{name}: {'; '.join(problems)}", unseen


def _action_groups(snapshot: TenantSnapshot) -> dict[str, dict]:
    """Every collected action group of the tenant, by lower-case id without a leading slash (an alert may
    name an action group of another subscription)."""
    groups: dict[str, dict] = {}
    for subscription in subscriptions_in_scope(snapshot):
        section = subscription.sections.get(ALERTS)
        if section is not None and section.ok:
            for group in _of_type(subscription, ACTION_GROUP_TYPE):
                groups[str(ci_get(group, "id") or "").lower().lstrip("/")] = group
    return groups


def _alert_verdict(subscription: SubscriptionSnapshot, groups: dict[str, dict], matching: list[dict],
                   none: str, works: str) -> Verdict:
    if not matching:
        return Verdict.failed(none)
    problems = []
    for alert in matching:
        problem = alert_problem(alert, subscription, groups)
        if problem is None:
            return Verdict.passed(f"{works}: {ci_get(alert, 'name') or '?'}")
        problems.append(problem)
    text = "; ".join(p for p, _ in problems)
    # Only unseen action groups stand between the alerts and a PASS: whether they notify is unknown.
    return Verdict.unknown(text) if any(unseen for _, unseen in problems) else Verdict.failed(text)


@check(
    id="AZR-3",
    action="Alert on Azure role changes",
    fix=(
        'In Azure Monitor, create an activity-log alert on "Create role assignment" for each subscription'
        ' that notifies your security team.'
    ),
    effort="low",
    title="Every Azure subscription alerts on role-assignment changes",
    area="azure",
    severity="medium",
    applies_to=["customer"],
    needs=[ALERTS],
    wave=2,
    references=[ALERTS_REF, "https://learn.microsoft.com/rest/api/monitor/activity-log-alerts/list-by-subscription-id"],
    remediation="""
        In the Azure portal open Monitor > Alerts > Create > Alert rule, scope = the subscription, condition =
        Activity log signal "Create role assignment (Microsoft.Authorization/roleAssignments)", action = an
        action group that e-mails your security team, and enable it.

        Partner: with the Azure CLI, az monitor activity-log alert create --name role-assignment-changes --scope /subscriptions/<id> --condition category=Administrative and operationName=Microsoft.Authorization/roleAssignments/write --action-group <action group id>.
    """,
)
def role_assignment_alerts(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Someone is told when a role is granted on a subscription.

    Granting Owner to a new account is how an intruder keeps control of a subscription; an alert on
    role-assignment writes turns that step into an e-mail within minutes.

    Decisions: an activity-log alert counts when it is enabled, its condition watches `operationName`
    `Microsoft.Authorization/roleAssignments/write` (as `equals`, in `containsAny`, or among an `anyOf`)
    with `category` `Administrative`, one of its `scopes` is the whole subscription (a resource-group
    scope does not count), and it names an action group that is enabled and has at least one receiver that
    can deliver (e-mail and SMS receivers must be Enabled). An action group the collection did not see
    (another tenant's, or deleted) leaves the subscription UNKNOWN when nothing else decides.
    """
    groups = _action_groups(snapshot)

    def judge(subscription: SubscriptionSnapshot) -> Verdict:
        matching = [a for a in _of_type(subscription, ALERT_TYPE)
                    if _watches(a, "operationname", ROLE_ASSIGNMENT_WRITE) and "administrative" in _category(a)]
        return _alert_verdict(subscription, groups, matching, "no activity-log alert on role-assignment writes",
                              "alert on role-assignment writes")

    return evaluate_subscriptions(snapshot, [ALERTS], judge, fails="have no working alert on role-assignment changes",
                                  passes="alert on role-assignment changes")


@check(
    id="AZR-4",
    action="Alert on Azure service health events",
    fix="In Service Health, create a health alert for each subscription that notifies your operations team.",
    effort="low",
    title="Every Azure subscription has a Service Health alert",
    area="azure",
    severity="low",
    applies_to=["customer"],
    needs=[ALERTS],
    wave=2,
    references=[SERVICE_HEALTH_REF, ALERTS_REF],
    remediation="""
        In the Azure portal open Service Health > Health alerts > Create service health alert, scope = the
        subscription, all services and regions, event types Service issue, Planned maintenance and Health
        advisories and Security advisory, action = an action group that e-mails your operations team.

        Partner: with the Azure CLI, az monitor activity-log alert create --name service-health --scope /subscriptions/<id> --condition category=ServiceHealth --action-group <action group id>.
    """,
)
def service_health_alerts(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Someone is told about Azure outages, planned maintenance and security advisories.

    Service Health notices reach only those who subscribed to them; without an alert, an outage or a
    security advisory about the subscription's services goes unread.

    Decisions: an activity-log alert counts when its condition has `category` `ServiceHealth`, it is
    enabled, one of its `scopes` is the whole subscription, and it names a working action group (as in
    AZR-3). Narrowing to some services, regions or event types still counts.
    """
    groups = _action_groups(snapshot)

    def judge(subscription: SubscriptionSnapshot) -> Verdict:
        matching = [a for a in _of_type(subscription, ALERT_TYPE) if "servicehealth" in _category(a)]
        return _alert_verdict(subscription, groups, matching, "no Service Health alert", "Service Health alert")

    return evaluate_subscriptions(snapshot, [ALERTS], judge, fails="have no working Service Health alert",
                                  passes="have a Service Health alert")


_DESTINATIONS = ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId")
_REQUIRED_CATEGORIES = ("administrative", "security")


def _exported(setting: dict) -> tuple[set[str], list[str]]:
    """(categories sent, destinations) of one subscription diagnostic setting; an `allLogs` category group
    sends every category."""
    props = ci_properties(setting)
    destinations = [name for name in _DESTINATIONS if ci_get(props, name)]
    categories: set[str] = set()
    for log in ci_get(props, "logs") or []:
        if ci_get(log, "enabled") is not True:
            continue
        if str(ci_get(log, "categoryGroup") or "").lower() == "alllogs":
            categories.update(_REQUIRED_CATEGORIES)
        category = ci_get(log, "category")
        if category:
            categories.add(str(category).lower())
    return categories, destinations


@check(
    id="AZR-5",
    action="Keep your Azure activity log beyond 90 days",
    fix=(
        "Export each subscription's activity log (at least Administrative and Security) to a Log "
        "Analytics workspace, a storage account or an event hub."
    ),
    effort="medium",
    title="Every Azure subscription keeps its activity log beyond 90 days",
    area="azure",
    severity="medium",
    applies_to=["customer"],
    needs=[SETTINGS],
    wave=2,
    references=[DIAGNOSTIC_REF, "https://learn.microsoft.com/azure/azure-monitor/essentials/activity-log"],
    remediation="""
        In the Azure portal open Monitor > Activity log > Export Activity Logs, choose the subscription, Add
        diagnostic setting, tick at least Administrative and Security (or allLogs), and send them to a Log
        Analytics workspace, a storage account or an event hub.

        Partner: with the Azure CLI, az monitor diagnostic-settings subscription create --name activity-log --location <region> --workspace <workspace id> --logs '[{"category":"Administrative","enabled":true},{"category":"Security","enabled":true}]'.
    """,
)
def activity_log_exported(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """The subscription's activity log (who changed what) is kept longer than Azure's own 90 days.

    Azure keeps activity-log events for 90 days; an intrusion found later cannot be traced without a copy.

    Decisions: a subscription diagnostic setting counts when it has a destination (`workspaceId`,
    `storageAccountId` or `eventHubAuthorizationRuleId`; a partner solution alone does not count) and
    sends enabled logs. The categories of all such settings are taken together (rules version 3:
    combined effect): `Administrative` and `Security` must both be sent. The `allLogs` category group (the
    shape of Microsoft's example) sends both. Category names are compared case-insensitively.
    """

    def judge(subscription: SubscriptionSnapshot) -> Verdict:
        settings = arm_items(subscription, SETTINGS)
        if not settings:
            return Verdict.failed("no diagnostic setting exports the activity log")
        sent: set[str] = set()
        used = []
        for setting in settings:
            categories, destinations = _exported(setting)
            if destinations and categories:
                sent |= categories
                used.append(f"{ci_get(setting, 'name') or '?'} ({', '.join(destinations)})")
        missing = [c.capitalize() for c in _REQUIRED_CATEGORIES if c not in sent]
        if not used:
            return Verdict.failed("no diagnostic setting sends enabled logs to a workspace, storage account or event hub")
        if missing:
            return Verdict.failed(f"{', '.join(used)} do not send {' and '.join(missing)}")
        return Verdict.passed(f"exported by {', '.join(used)}")

    return evaluate_subscriptions(snapshot, [SETTINGS], judge, fails="do not keep their activity log beyond 90 days",
                                  passes="export their activity log")
