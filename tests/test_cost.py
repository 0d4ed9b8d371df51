from auditor.evaluate import run_check
from auditor.registry import CheckContext, Registry
from auditor.results import Status
from tests.builders import NOW, forbidden, make_snapshot, subscription

REGISTRY = Registry.from_modules("checks.cost")
CTX = CheckContext(now=NOW)
SUB_A = "00000000-0000-0000-0000-000000000000"
SUB_B = "72ac930a-f34e-42d8-b06d-dc2a9e12ed71"


def run(check_id, snapshot):
    return run_check(REGISTRY.get(check_id), snapshot, CTX)


def notification(enabled=True, emails=("johndoe@contoso.com",), roles=(), groups=()) -> dict:
    body = {"enabled": enabled, "operator": "GreaterThan", "threshold": 80, "contactEmails": list(emails),
            "contactRoles": list(roles)}
    if groups:
        body["contactGroups"] = list(groups)
    return body


def budget(sub_id=SUB_A, name="TestBudget", notifications=None, resource_group=None, end="2030-10-31T00:00:00Z",
           filtered=False) -> dict:
    """A budget as ARM's Microsoft.Consumption/budgets list returns it (2024-08-01)."""
    scope = f"subscriptions/{sub_id}" + (f"/resourceGroups/{resource_group}" if resource_group else "")
    properties = {
        "category": "Cost",
        "amount": 600.65,
        "timeGrain": "Monthly",
        "timePeriod": {"startDate": "2025-10-01T00:00:00Z", "endDate": end},
        "currentSpend": {"amount": 120.89, "unit": "USD"},
        "notifications": notifications if notifications is not None else {
            "Actual_GreaterThan_80_Percent": notification(),
            "thresholdType": "Actual",  # a stray string value, as in Microsoft's own example
        },
    }
    if filtered:
        properties["filter"] = {"tags": {"name": "category", "operator": "In", "values": ["Dev"]}}
    return {
        "id": f"{scope}/providers/Microsoft.Consumption/budgets/{name}",
        "name": name,
        "type": "Microsoft.Consumption/budgets",
        "eTag": "\"1d34d012214157f\"",
        "properties": properties,
    }


# --- CST-1 ---

def test_cst1_pass_with_enabled_notification_to_email():
    result = run("CST-1", make_snapshot(subscriptions=[subscription(SUB_A, "Production", budgets=[budget()])]))
    assert result.status is Status.PASS


def test_cst1_pass_with_role_or_action_group_only():
    by_role = budget(notifications={"n": notification(emails=(), roles=("Owner",))})
    by_group = budget(notifications={"n": notification(emails=(), groups=("/subscriptions/x/actionGroups/ops",))})
    for item in (by_role, by_group):
        assert run("CST-1", make_snapshot(subscriptions=[subscription(SUB_A, budgets=[item])])).status is Status.PASS


def test_cst1_fail_without_budget():
    result = run("CST-1", make_snapshot(subscriptions=[subscription(SUB_A, "Production", budgets=[])]))
    assert result.status is Status.FAIL
    assert result.evidence[0]["subscription"] == "Production"


def test_cst1_fail_when_notifications_disabled_or_reach_nobody():
    disabled = budget(notifications={"n": notification(enabled=False)})
    nobody = budget(notifications={"n": notification(emails=())})
    for item in (disabled, nobody):
        result = run("CST-1", make_snapshot(subscriptions=[subscription(SUB_A, budgets=[item])]))
        assert result.status is Status.FAIL
        assert "no enabled notification" in result.evidence[0]["detail"]


def test_cst1_resource_group_filtered_or_ended_budgets_do_not_count():
    items = [budget(resource_group="MYDEVTESTRG"), budget(filtered=True), budget(end="2026-10-31T00:00:00Z")]
    result = run("CST-1", make_snapshot(subscriptions=[subscription(SUB_A, budgets=items)]))
    assert result.status is Status.FAIL
    detail = result.evidence[0]["detail"]
    assert "resource group" in detail and "filtered" in detail and "ended" in detail


def test_cst1_unknown_when_forbidden():
    result = run("CST-1", make_snapshot(subscriptions=[subscription(SUB_A, budgets=forbidden("Cost Management Reader"))]))
    assert result.status is Status.UNKNOWN
    assert "Cost Management Reader" in result.summary


def test_cst1_mixed_forbidden_subscriptions():
    blocked = subscription(SUB_A, "Production", budgets=forbidden("Cost Management Reader"))
    assert run("CST-1", make_snapshot(subscriptions=[blocked, subscription(SUB_B, budgets=[])])).status is Status.FAIL
    passing = subscription(SUB_B, budgets=[budget(SUB_B)])
    assert run("CST-1", make_snapshot(subscriptions=[blocked, passing])).status is Status.UNKNOWN


def test_cst1_not_applicable_without_subscriptions():
    assert run("CST-1", make_snapshot(subscriptions=[])).status is Status.NOT_APPLICABLE


# --- CST-2 ---

def scheduled_action(sub_id=SUB_A, kind="InsightAlert", status="Enabled", end="2030-06-19T22:21:51.1287144Z") -> dict:
    """A scheduled action as ARM's Microsoft.CostManagement/scheduledActions returns it (2024-08-01)."""
    return {
        "id": f"subscriptions/{sub_id}/providers/Microsoft.CostManagement/scheduledActions/dailyAnomalyByResource",
        "name": "dailyAnomalyByResource",
        "type": "Microsoft.CostManagement/ScheduledActions",
        "kind": kind,
        "eTag": "\"1d4ff9fe66f1d10\"",
        "properties": {
            "displayName": "Daily anomaly by resource",
            "fileDestination": {"fileFormats": []},
            "notification": {"to": ["finops@contoso.com"], "subject": "Cost anomaly detected in the resource"},
            "scope": f"subscriptions/{sub_id}",
            "schedule": {"frequency": "Daily", "startDate": "2025-06-19T22:21:51.1287144Z", "endDate": end},
            "status": status,
            "viewId": "/providers/Microsoft.CostManagement/views/ms:DailyAnomalyByResourceGroup",
        },
    }


def cst2_with(actions):
    return run("CST-2", make_snapshot(subscriptions=[subscription(SUB_A, scheduled_actions=actions)]))


def test_cst2_pass_with_enabled_insight_alert():
    actions = [scheduled_action(kind="Email"), scheduled_action()]
    result = run("CST-2", make_snapshot(subscriptions=[subscription(SUB_A, scheduled_actions=actions)]))
    assert result.status is Status.PASS


def test_cst2_fail_with_only_email_schedules():
    result = cst2_with([scheduled_action(kind="Email")])
    assert result.status is Status.FAIL


def test_cst2_disabled_or_expired_anomaly_alert_does_not_count():
    for action in (scheduled_action(status="Disabled"), scheduled_action(end="2026-01-01T00:00:00Z")):
        assert cst2_with([action]).status is Status.FAIL
    disabled = cst2_with([scheduled_action(status="Disabled")])
    assert "Disabled" in disabled.evidence[0]["detail"]


def test_cst2_unknown_when_forbidden():
    result = cst2_with(forbidden("Cost Management Reader"))
    assert result.status is Status.UNKNOWN


def test_cst2_not_applicable_without_subscriptions():
    assert run("CST-2", make_snapshot(subscriptions=[])).status is Status.NOT_APPLICABLE
