"""AZR-1 to AZR-5 and CST-4 on documented ARM shapes (tests/azure_fixtures.py): PASS, FAIL, UNKNOWN (and
MANUAL where the rule has it) per check, through the engine's run_check."""

from __future__ import annotations

from auditor.evaluate import run_check
from auditor.registry import CheckContext, PartnerContext, Registry
from auditor.results import Status
from auditor.snapshot import Section, SectionStatus
from tests.azure_fixtures import (
    CONTRIBUTOR,
    OTHER_ROLE,
    OWNER,
    READER,
    ROLE_WRITE,
    SERVICE_HEALTH,
    SUB_A,
    SUB_B,
    action_group,
    activity_event,
    activity_log_alert,
    diagnostic_setting,
    resource_change,
    role_assignment,
)
from tests.builders import NOW, forbidden, make_snapshot, not_licensed, subscription
from tests.identity_fixtures import ALEX, GUEST, MEGAN, registration, user

REGISTRY = Registry.from_modules("checks.azure_rbac", "checks.azure_monitoring", "checks.cost")
PARTNER_TENANT = "2067070c-c4d1-4ed3-a9f0-5a7c5de0c3c3"
ADMIN_AGENTS = "11111111-2222-4333-8444-555555555555"
GDAP_GROUP = "66666666-7777-4888-9999-000000000000"
STRANGER = "99999999-8888-4777-8666-555555555555"
AZURE_GROUP = "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"

PARTNER = PartnerContext(
    tenant_id=PARTNER_TENANT, name="Northwind", known_partner_tenants=frozenset({PARTNER_TENANT}),
    partner_read=True, group_ids=frozenset({ADMIN_AGENTS, GDAP_GROUP}), group_ids_read=True,
    group_labels=((ADMIN_AGENTS, "AdminAgents"), (GDAP_GROUP, "GDAP security group (relationship NCP-1)")),
    admin_agents_group_ids=frozenset({ADMIN_AGENTS}),
)


def run(check_id: str, snapshot, partner: PartnerContext | None = None):
    return run_check(REGISTRY.get(check_id), snapshot, CheckContext(now=NOW, partner=partner or PartnerContext()))


def with_subs(*subs, **sections):
    return make_snapshot(subscriptions=list(subs), **sections)


# --- AZR-1 -----------------------------------------------------------------------------------------------


def test_azr1_partner_groups_pass_and_legacy_aobo_owner_is_advisory():
    snap = with_subs(subscription(SUB_A, "Prod", azure_role_assignments=[
        role_assignment(MEGAN), role_assignment(ADMIN_AGENTS, "ForeignGroup", OWNER, name="a1"),
        role_assignment(GDAP_GROUP, "ForeignGroup", CONTRIBUTOR, name="a2")]))
    result = run("AZR-1", snap, PARTNER)
    assert result.status is Status.PASS, result.summary
    findings = {r["principal_id"]: r["finding"] for r in result.evidence}
    assert findings[ADMIN_AGENTS].startswith("advisory") and "AdminAgents" in findings[ADMIN_AGENTS]
    assert "GDAP security group" in findings[GDAP_GROUP]


def test_azr1_unknown_foreign_principal_fails_naming_it_and_its_role():
    snap = with_subs(subscription(SUB_A, "Prod", azure_role_assignments=[
        role_assignment(ADMIN_AGENTS, "ForeignGroup", OWNER, name="a1"),
        role_assignment(STRANGER, "foreigngroup", CONTRIBUTOR, name="a2")]))  # casing differs: still foreign
    result = run("AZR-1", snap, PARTNER)
    assert result.status is Status.FAIL
    assert STRANGER in result.summary and "Contributor" in result.summary
    assert result.evidence[0]["principal_id"] == STRANGER


def test_azr1_without_the_partner_in_the_run_is_manual_listing_every_foreign_principal():
    snap = with_subs(subscription(SUB_A, "Prod", azure_role_assignments=[
        role_assignment(STRANGER, "ForeignGroup", OTHER_ROLE)]))
    result = run("AZR-1", snap)
    assert result.status is Status.MANUAL
    assert result.evidence[0]["role"] == f"role definition {OTHER_ROLE}"


def test_azr1_unknown_when_a_subscription_is_unreadable_or_partner_groups_unread():
    unreadable = with_subs(subscription(SUB_A, azure_role_assignments=forbidden("Reader")),
                           subscription(SUB_B, azure_role_assignments=[role_assignment(MEGAN, sub=SUB_B)]))
    assert run("AZR-1", unreadable, PARTNER).status is Status.UNKNOWN
    unread_groups = PartnerContext(tenant_id=PARTNER_TENANT, partner_read=True, group_ids_note="partner_agent_groups is forbidden")
    snap = with_subs(subscription(SUB_A, azure_role_assignments=[role_assignment(STRANGER, "ForeignGroup")]))
    result = run("AZR-1", snap, unread_groups)
    assert result.status is Status.UNKNOWN and "forbidden" in result.summary


def test_azr1_no_foreign_principal_passes_even_without_the_partner():
    snap = with_subs(subscription(SUB_A, azure_role_assignments=[role_assignment(MEGAN)]))
    assert run("AZR-1", snap).status is Status.PASS


# --- AZR-2 -----------------------------------------------------------------------------------------------


def people(*users):
    return {"users": [user(u) for u in users]}


def test_azr2_registered_owners_pass_guests_and_foreign_principals_listed_apart():
    snap = with_subs(
        subscription(SUB_A, azure_role_assignments=[
            role_assignment(MEGAN), role_assignment(GUEST, role=CONTRIBUTOR, name="g"),
            role_assignment(STRANGER, "ForeignGroup", name="f"), role_assignment(ALEX, role=READER, name="r")]),
        users=[user(MEGAN), user(GUEST), user(ALEX)],
        user_registration_details=[registration(MEGAN, True), registration(GUEST, False), registration(ALEX, False)],
    )
    result = run("AZR-2", snap)
    assert result.status is Status.PASS, result.summary
    notes = {r["principal_id"]: r["registration"] for r in result.evidence}
    assert "external identity" in notes[GUEST.lower()] and "home tenant" in notes[STRANGER]
    assert ALEX.lower() not in notes  # Reader is not a controlling role


def test_azr2_unregistered_owner_through_a_group_fails():
    snap = with_subs(
        subscription(SUB_A, azure_role_assignments=[role_assignment(AZURE_GROUP, "Group", OWNER)]),
        users=[user(MEGAN), user(ALEX)],
        azure_group_members={AZURE_GROUP: [{"id": ALEX, "displayName": "Alex Wilber", "userPrincipalName": "AlexW@x",
                                            "userType": "Member"}]},
        user_registration_details=[registration(MEGAN, True), registration(ALEX, False)],
    )
    result = run("AZR-2", snap)
    assert result.status is Status.FAIL and "AlexW@" in result.summary
    assert f"via group {AZURE_GROUP}" in result.evidence[0]["subscription"]


def test_azr2_unknown_without_p1_or_with_unexpanded_group():
    no_p1 = with_subs(subscription(SUB_A, azure_role_assignments=[role_assignment(MEGAN)]),
                      users=[user(MEGAN)], user_registration_details=not_licensed())
    result = run("AZR-2", no_p1)
    assert result.status is Status.UNKNOWN and "P1" in result.summary
    unexpanded = with_subs(subscription(SUB_A, azure_role_assignments=[role_assignment(AZURE_GROUP, "Group")]),
                           users=[user(MEGAN)], user_registration_details=[registration(MEGAN, True)],
                           azure_group_members=forbidden("GroupMember.Read.All"))
    result = run("AZR-2", unexpanded)
    assert result.status is Status.UNKNOWN and AZURE_GROUP in result.summary


# --- AZR-3 and AZR-4 -------------------------------------------------------------------------------------


def alerts_sub(*alerts, group=None, sub=SUB_A):
    return subscription(sub, activity_log_alerts=[*alerts, group if group is not None else action_group(sub)])


def test_azr3_role_assignment_alert_passes_also_with_capitalised_field_names():
    snap = with_subs(alerts_sub(activity_log_alert(ROLE_WRITE, capitalised=True)))
    result = run("AZR-3", snap)
    assert result.status is Status.PASS, result.summary


def test_azr3_fails_without_alert_or_with_resource_group_scope_or_disabled_action_group():
    admin_error = [{"field": "category", "equals": "Administrative"}, {"field": "level", "equals": "Error"}]
    assert run("AZR-3", with_subs(alerts_sub(activity_log_alert(admin_error)))).status is Status.FAIL
    rg = activity_log_alert(ROLE_WRITE, scopes=[f"subscriptions/{SUB_A}/resourceGroups/MyResourceGroup2"])
    result = run("AZR-3", with_subs(alerts_sub(rg)))
    assert result.status is Status.FAIL and "resourceGroups" in result.evidence[0]["detail"]
    result = run("AZR-3", with_subs(alerts_sub(activity_log_alert(ROLE_WRITE), group=action_group(email_status="Disabled"))))
    assert result.status is Status.FAIL and "no enabled receiver" in result.evidence[0]["detail"]


def test_azr3_unknown_when_unreadable_or_the_action_group_was_not_seen():
    assert run("AZR-3", with_subs(subscription(SUB_A, activity_log_alerts=forbidden("Reader")))).status is Status.UNKNOWN
    elsewhere = "/subscriptions/ffffffff-0000-4000-8000-000000000000/resourceGroups/x/providers/microsoft.insights/actionGroups/y"
    result = run("AZR-3", with_subs(subscription(SUB_A, activity_log_alerts=[activity_log_alert(ROLE_WRITE, group=elsewhere)])))
    assert result.status is Status.UNKNOWN


def test_azr4_service_health_pass_fail_unknown():
    assert run("AZR-4", with_subs(alerts_sub(activity_log_alert(SERVICE_HEALTH)))).status is Status.PASS
    assert run("AZR-4", with_subs(alerts_sub(activity_log_alert(SERVICE_HEALTH, enabled=False)))).status is Status.FAIL
    assert run("AZR-4", with_subs(alerts_sub(activity_log_alert(ROLE_WRITE)))).status is Status.FAIL
    assert run("AZR-4", with_subs(subscription(SUB_A, activity_log_alerts=forbidden("Reader")))).status is Status.UNKNOWN


# --- AZR-5 -----------------------------------------------------------------------------------------------


def test_azr5_all_logs_to_a_workspace_passes_and_categories_combine_across_settings():
    assert run("AZR-5", with_subs(subscription(SUB_A, diagnostic_settings=[diagnostic_setting()]))).status is Status.PASS
    split = [diagnostic_setting([{"category": "Administrative", "enabled": True}]),
             diagnostic_setting([{"Category": "security", "Enabled": True}])]
    assert run("AZR-5", with_subs(subscription(SUB_A, diagnostic_settings=split))).status is Status.PASS


def test_azr5_fails_without_setting_without_destination_or_missing_security():
    assert run("AZR-5", with_subs(subscription(SUB_A, diagnostic_settings=[]))).status is Status.FAIL
    partner_only = [diagnostic_setting(destinations=False)]
    assert run("AZR-5", with_subs(subscription(SUB_A, diagnostic_settings=partner_only))).status is Status.FAIL
    admin_only = [diagnostic_setting([{"category": "Administrative", "enabled": True},
                                      {"category": "Security", "enabled": False}])]
    result = run("AZR-5", with_subs(subscription(SUB_A, diagnostic_settings=admin_only)))
    assert result.status is Status.FAIL and "do not send Security" in result.evidence[0]["detail"]


def test_azr5_unknown_and_not_applicable():
    assert run("AZR-5", with_subs(subscription(SUB_A, diagnostic_settings=forbidden("Reader")))).status is Status.UNKNOWN
    assert run("AZR-5", make_snapshot(subscriptions=[])).status is Status.NOT_APPLICABLE


# --- CST-4 -----------------------------------------------------------------------------------------------


def test_cst4_no_creation_in_the_window_passes():
    old = resource_change("Microsoft.Compute/virtualMachines", "vm-old", "2026-11-01T10:00:00Z")
    update = resource_change("Microsoft.Compute/virtualMachines", "vm-upd", "2026-11-25T10:00:00Z", change_type="Update")
    snap = with_subs(subscription(SUB_A, resource_creations=[old, update]))
    assert run("CST-4", snap).status is Status.PASS


def test_cst4_creations_are_manual_with_gpu_and_fraud_prone_types_first():
    rows = [
        resource_change("Microsoft.Storage/storageAccounts", "stlogs", "2026-11-25T08:00:00Z"),
        resource_change("Microsoft.Batch/batchAccounts", "batch1", "2026-11-24T08:00:00Z"),
        resource_change("Microsoft.Compute/virtualMachines", "vm-gpu", "2026-11-20T08:00:00Z", sku="Standard_NC24ads_A100_v4"),
    ]
    events = [activity_event("Microsoft.ContainerInstance/containerGroups", "aci1", "2026-11-23T08:00:00Z", sub=SUB_B),
              activity_event("Microsoft.Network/networkInterfaces", "nic1", "2026-11-23T08:00:00Z", sub=SUB_B, created=False)]
    snap = with_subs(subscription(SUB_A, resource_creations=rows), subscription(SUB_B, resource_creations=events))
    result = run("CST-4", snap)
    assert result.status is Status.MANUAL
    assert [r["name"] for r in result.evidence] == ["vm-gpu", "batch1", "aci1", "stlogs"]
    assert result.evidence[0]["fraud_prone"].startswith("GPU size") and result.evidence[0]["location"] == "westus"
    assert result.evidence[2]["location"] == "(not recorded)" and result.evidence[2]["creator"] == "admin@contoso.com"


def test_cst4_unknown_when_unreadable_and_nothing_found():
    snap = with_subs(subscription(SUB_A, resource_creations=Section.missing(SectionStatus.FORBIDDEN, "no Reader")),
                     subscription(SUB_B, resource_creations=[]))
    assert run("CST-4", snap).status is Status.UNKNOWN
