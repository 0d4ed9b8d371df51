from dataclasses import replace
from datetime import timedelta

from auditor.evaluate import run_check
from auditor.registry import CheckContext, CheckSettings, Registry
from auditor.results import Status
from auditor.snapshot import TenantKind
from tests.builders import NOW, forbidden, make_snapshot, subscription

REGISTRY = Registry.from_modules("checks.contacts")
CTX = CheckContext(now=NOW)


def org(**fields):
    base = {"id": "84841066-274d-4ec0-a5c1-276be684bdd3", "displayName": "Contoso",
            "securityComplianceNotificationMails": [], "technicalNotificationMails": []}
    base.update(fields)
    return [base]


def con1(snapshot):
    return run_check(REGISTRY.get("CON-1"), snapshot, CTX)


def test_con1_pass_with_security_mail():
    result = con1(make_snapshot(organization=org(securityComplianceNotificationMails=["secops@contoso.com"])))
    assert result.status is Status.PASS
    assert result.evidence == [{"setting": "securityComplianceNotificationMails", "value": "secops@contoso.com"}]


def test_con1_fail_with_technical_mail_only_says_so():
    result = con1(make_snapshot(organization=org(technicalNotificationMails=["admin@contoso.com"])))
    assert result.status is Status.FAIL
    assert "technical notification" in result.summary
    assert result.evidence[0]["value"] == "admin@contoso.com"


def test_con1_fail_when_nothing_set():
    assert con1(make_snapshot(organization=org())).status is Status.FAIL


def test_con1_unknown_when_forbidden_names_permission():
    result = con1(make_snapshot(organization=forbidden("Organization.Read.All")))
    assert result.status is Status.UNKNOWN
    assert "Organization.Read.All" in result.summary


def test_con1_unknown_on_empty_answer():
    assert con1(make_snapshot(organization=[])).status is Status.UNKNOWN


# --- CON-2 (per subscription; ARM Microsoft.Security/securityContacts) ---

SUB_A = "20ff7fc3-e762-44dd-bd96-b71116dcdc23"
SUB_B = "d34fd44c-ebfa-4a9c-bceb-9eeafe72ac15"


def run(check_id, snapshot):
    return run_check(REGISTRY.get(check_id), snapshot, CTX)


def contact_2023(sub_id=SUB_A, emails="john@contoso.com;Jane@contoso.com", enabled=True, alert_severity="Medium",
                 role_state="On", roles=("Owner", "Admin")) -> dict:
    """The 2023-12-01-preview shape."""
    sources = [{"sourceType": "AttackPath", "minimalRiskLevel": "Critical"}]
    if alert_severity is not None:
        sources.append({"sourceType": "Alert", "minimalSeverity": alert_severity})
    return {
        "id": f"/subscriptions/{sub_id}/providers/Microsoft.Security/securityContact/default",
        "name": "default",
        "type": "Microsoft.Security/securityContact",
        "properties": {
            "notificationsByRole": {"state": role_state, "roles": list(roles)},
            "isEnabled": enabled,
            "emails": emails,
            "phone": "(214)275-4038",
            "notificationsSources": sources,
        },
    }


def contact_2020(sub_id=SUB_A, emails="john@contoso.com;Jane@contoso.com", alert_state="On", severity="Low",
                 role_state="On", roles=("Owner", "Admin")) -> dict:
    """The 2020-01-01-preview shape."""
    return {
        "id": f"/subscriptions/{sub_id}/providers/Microsoft.Security/securityContact/default",
        "name": "default",
        "type": "Microsoft.Security/securityContact",
        "properties": {
            "notificationsByRole": {"state": role_state, "roles": list(roles)},
            "emails": emails,
            "phone": "(214)275-4038",
            "alertNotifications": {"state": alert_state, "minimalSeverity": severity},
        },
    }


def con2_with(*contacts):
    return run("CON-2", make_snapshot(subscriptions=[subscription(SUB_A, "Production", security_contacts=list(contacts))]))


def test_con2_pass_2023_shape():
    result = con2_with(contact_2023())
    assert result.status is Status.PASS
    assert "john@contoso.com" in result.evidence[0]["detail"]


def test_con2_pass_2020_shape():
    assert con2_with(contact_2020()).status is Status.PASS


def test_con2_fail_each_2023_shortcoming():
    cases = {
        "no email": contact_2023(emails=""),
        "disabled": contact_2023(enabled=False),
        "no notification source of type Alert": contact_2023(alert_severity=None),
        "owners are not notified": contact_2023(roles=("Admin",)),
    }
    for expected, contact in cases.items():
        result = con2_with(contact)
        assert result.status is Status.FAIL, expected
        assert expected in result.evidence[0]["detail"], expected


def test_con2_unknown_severity_value_is_not_notifying():
    result = con2_with(contact_2023(alert_severity="Critical"))
    assert result.status is Status.FAIL
    assert "unknown minimal severity" in result.evidence[0]["detail"]
    assert con2_with(contact_2020(severity="Severe")).status is Status.FAIL


def test_con2_fail_2020_shape_alerts_off_or_owners_off():
    assert con2_with(contact_2020(alert_state="Off")).status is Status.FAIL
    assert con2_with(contact_2020(role_state="Off")).status is Status.FAIL


def test_con2_fail_without_any_contact_and_names_subscription():
    result = run("CON-2", make_snapshot(subscriptions=[
        subscription(SUB_A, "Production", security_contacts=[contact_2023()]),
        subscription(SUB_B, "Development", security_contacts=[]),
    ]))
    assert result.status is Status.FAIL
    assert "Development" in result.summary and SUB_B in result.summary
    assert [row["subscription_id"] for row in result.evidence] == [SUB_B]


def test_con2_mixed_forbidden_subscriptions():
    blocked = subscription(SUB_A, "Production", security_contacts=forbidden("Security Reader"))
    failing = subscription(SUB_B, "Development", security_contacts=[contact_2023(SUB_B, enabled=False)])
    passing = subscription(SUB_B, "Development", security_contacts=[contact_2023(SUB_B)])
    assert run("CON-2", make_snapshot(subscriptions=[blocked, failing])).status is Status.FAIL
    unknown = run("CON-2", make_snapshot(subscriptions=[blocked, passing]))
    assert unknown.status is Status.UNKNOWN
    assert "Security Reader" in unknown.summary


def test_con2_not_applicable_without_subscriptions():
    assert run("CON-2", make_snapshot(subscriptions=[])).status is Status.NOT_APPLICABLE


# --- CON-3 (partner tenant; Graph beta /security/partner/securityAlerts) ---

def alert(status="active", hours_ago=30.0, is_test="false", first_observed=True, index=1) -> dict:
    raised = (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-4] + "Z"
    return {
        "id": f"d8b202fc-a216-3404-69ef-bdffa445eff{index}",
        "displayName": "Action Required: Virtual machine connecting to crypto currency mining pool Detected",
        "description": "Analysis of azure resource network activity detected the resource was connecting to a "
                       "crypto currency mining pool.",
        "alertType": "networkConnectionsToCryptoMiningPools",
        "status": status,
        "severity": "high",
        "confidenceLevel": "medium",
        "customerTenantId": "1889e718-414b-4bad-8bbe-c1135bd39a41",
        "subscriptionId": "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398",
        "valueAddedResellerTenantId": "c296b2ce-8cd1-4346-9e82-d8eccca70d65",
        "catalogOfferId": "MS-AZR-0017G",
        "detectedDateTime": raised,
        "firstObservedDateTime": raised if first_observed else None,
        "lastObservedDateTime": raised,
        "resolvedReason": None,
        "resolvedOnDateTime": None,
        "resolvedBy": None,
        "isTest": is_test,
        "affectedResources": [{
            "resourceId": "/subscriptions/5f6e6521-6e5f-4b0b-80aa-bd44fad7a398/resourceGroups/rg"
                          "/providers/Microsoft.Compute/virtualMachines/vm1",
            "resourceType": "AzureResource",
        }],
        "activityLogs": [],
        "additionalDetails": {"ConnectionCount": "5"},
    }


def con3_with(*alerts):
    return run("CON-3", make_snapshot(kind="partner", partner_security_alerts=list(alerts)))


def test_con3_pass_with_recent_and_handled_alerts():
    result = con3_with(alert(hours_ago=3), alert(status="investigating", hours_ago=300, index=2),
                       alert(status="resolved", hours_ago=900, index=3))
    assert result.status is Status.PASS
    assert [row["state"] for row in result.evidence] == ["within grace period"]


def test_con3_fail_when_active_longer_than_grace():
    result = con3_with(alert(hours_ago=30), alert(hours_ago=3, index=2))
    assert result.status is Status.FAIL
    assert result.evidence[0]["state"] == "overdue"
    assert result.evidence[0]["hours_open"] == 30.0


def test_con3_falls_back_to_detected_time():
    assert con3_with(alert(hours_ago=30, first_observed=False)).status is Status.FAIL


def test_con3_grace_is_configurable():
    ctx = CheckContext(now=NOW, settings=replace(CheckSettings(), partner_alert_grace_hours=48))
    snapshot = make_snapshot(kind="partner", partner_security_alerts=[alert(hours_ago=30)])
    assert run_check(REGISTRY.get("CON-3"), snapshot, ctx).status is Status.PASS


def test_con3_test_alerts_never_fail_whether_string_or_bool():
    for flag in ("true", "True", True):
        result = con3_with(alert(hours_ago=100, is_test=flag))
        assert result.status is Status.PASS, flag
        assert result.evidence[0]["state"] == "test alert (ignored)"
    assert con3_with(alert(hours_ago=100, is_test=False)).status is Status.FAIL


def test_con3_unknown_when_forbidden_or_time_unreadable():
    result = run("CON-3", make_snapshot(kind="partner", partner_security_alerts=forbidden("PartnerSecurity.Read.All")))
    assert result.status is Status.UNKNOWN
    assert "PartnerSecurity.Read.All" in result.summary
    undated = alert()
    undated["firstObservedDateTime"] = undated["detectedDateTime"] = None
    assert con3_with(undated).status is Status.UNKNOWN


def test_con3_applies_to_partner_only_con2_to_customers_only():
    assert REGISTRY.get("CON-3").applies(TenantKind.PARTNER) and not REGISTRY.get("CON-3").applies(TenantKind.CUSTOMER)
    assert REGISTRY.get("CON-2").applies(TenantKind.CUSTOMER) and not REGISTRY.get("CON-2").applies(TenantKind.PARTNER)


def test_con1_reads_the_tenants_own_organization_not_the_first():
    # The tenant id of make_snapshot is TENANT_ID; the other object comes first in the list.
    from tests.builders import TENANT_ID
    other = org(id="84841066-274d-4ec0-a5c1-276be684bdd3", securityComplianceNotificationMails=["x@other.example"])
    own = org(id=TENANT_ID.upper(), technicalNotificationMails=["admin@contoso.com"])
    result = con1(make_snapshot(organization=other + own))
    assert result.status is Status.FAIL
    assert result.evidence[0]["value"] == "admin@contoso.com"


def test_con1_unknown_when_several_organizations_and_none_is_the_tenant():
    first = org(id="84841066-274d-4ec0-a5c1-276be684bdd3", securityComplianceNotificationMails=["x@a.example"])
    second = org(id="5e2f0000-0000-4000-8000-000000000002", securityComplianceNotificationMails=["y@b.example"])
    result = con1(make_snapshot(organization=first + second))
    assert result.status is Status.UNKNOWN
    assert "none has the tenant's id" in result.summary
