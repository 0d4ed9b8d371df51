"""The one classifier of role holders and the one definition of an external identity (checks/identity.py),
and the service-plan table ADM-3 decides by (checks/service_plans.py, checks/service_plans.toml)."""

import re

import pytest

from checks.identity import PrincipalKind, classify_principal, external_reasons, is_external
from checks.service_plans import Gives, collaboration_plans, plan_table
from tests.identity_fixtures import (
    EXCHANGE_FOUNDATION,
    MEGAN,
    entra_p2_only,
    group_principal,
    partner_principal,
    plan,
    principal,
    sp_principal,
    user,
)

ID = "77d4c5f2-0000-4000-8000-0000000000aa"


@pytest.mark.parametrize("principal_object, expected", [
    (principal(MEGAN), PrincipalKind.USER),
    (group_principal(), PrincipalKind.GROUP),
    (sp_principal(), PrincipalKind.SERVICE_PRINCIPAL),
    (partner_principal(), PrincipalKind.PARTNER),
    ({k: v for k, v in partner_principal().items() if k != "@odata.type"}, PrincipalKind.PARTNER),
    ({"id": ID, "userPrincipalName": "a@b.example"}, PrincipalKind.USER),  # docs examples omit the type
    ({"id": ID, "appId": "x"}, PrincipalKind.SERVICE_PRINCIPAL),
    ({"id": ID}, PrincipalKind.UNKNOWN),  # not expanded
    (None, PrincipalKind.UNKNOWN),  # Graph returned null
    ({"@odata.type": "#microsoft.graph.device", "id": ID}, PrincipalKind.UNKNOWN),
])
def test_classify_principal(principal_object, expected):
    assert classify_principal(principal_object, ID, {}, {}) is expected


def test_classify_principal_uses_the_users_list_and_group_members_for_a_null_principal():
    assert classify_principal(None, ID.upper(), {ID: {"id": ID}}, {}) is PrincipalKind.USER
    assert classify_principal(None, ID, {}, {ID: []}) is PrincipalKind.GROUP


def test_external_identity_definition():
    assert external_reasons(user(MEGAN)) == []
    assert external_reasons({"userType": "Guest"}) == ["userType Guest"]
    assert external_reasons({"userType": "Member", "userPrincipalName": "jo_x.example#EXT#@t.onmicrosoft.com"}) == [
        "UPN contains #EXT#"]
    assert external_reasons({"userType": "Member", "creationType": "Invitation"}) == ["creationType Invitation"]
    assert not is_external({"userType": "Member", "creationType": "LocalAccount"})


def test_service_plan_table_names_its_source_and_date():
    table = plan_table()
    assert table.source.title == "Product names and service plan identifiers for licensing"
    assert table.source.page.startswith("https://learn.microsoft.com/")
    assert table.source.table_date.year >= 2025
    ids = [p.id for p in table.plan]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", i) for i in ids)


@pytest.mark.parametrize("plan_id, name, gives", [
    ("efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE", Gives.MAILBOX),
    ("9aaf7827-d63c-4b61-89c3-182f06f82e5c", "EXCHANGE_S_STANDARD", Gives.MAILBOX),
    ("4a82b400-a79f-41a4-b4e2-e94f5787b113", "EXCHANGE_S_DESKLESS", Gives.MAILBOX),
    ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1", Gives.TEAMS),
    ("113feb6c-3fe4-4440-bddc-54d774bf0318", "EXCHANGE_S_FOUNDATION", Gives.NO_MAILBOX),
    ("f20fedf3-f3c3-43c3-8267-2bfdd51c0939", "ATP_ENTERPRISE", Gives.NO_MAILBOX),
    ("8e0c0a52-6a6c-4d40-8370-dd62790dcd70", "THREAT_INTELLIGENCE", Gives.NO_MAILBOX),
    ("9f431833-0334-42de-a7dc-70aa40db46db", "LOCKBOX_ENTERPRISE", Gives.NO_MAILBOX),
])
def test_service_plan_table_entries(plan_id, name, gives):
    entry = plan_table().by_id()[plan_id]
    assert (entry.name, entry.gives) == (name, gives)


def test_collaboration_plans_of_an_entra_p2_only_user():
    assert collaboration_plans({"assignedPlans": entra_p2_only()}).found == ()
    assert collaboration_plans({"assignedPlans": entra_p2_only()}).unrecognised == ()


def test_collaboration_plans_skip_disabled_and_name_unrecognised():
    plans = [plan("exchange", status="Suspended"), plan("exchange", plan_id=EXCHANGE_FOUNDATION),
             plan("Exchange", plan_id="0f0e0d0c-0b0a-4909-8807-060504030201")]
    found = collaboration_plans({"assignedPlans": plans})
    assert found.found == ()
    assert found.unrecognised == ("Exchange plan 0f0e0d0c-0b0a-4909-8807-060504030201",)
