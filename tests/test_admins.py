"""ADM-1, ADM-2, ADM-3, ADM-4 and ADM-6 (checks/admins.py)."""

import json
from pathlib import Path

from auditor.evaluate import run_check
from auditor.registry import CheckContext, CheckSettings, Registry
from auditor.results import Status
from checks.admins import generic_name, upn_local_part
from checks.privileged import GLOBAL_ADMINISTRATOR
from tests.builders import NOW, forbidden, make_snapshot, not_licensed
from tests.identity_fixtures import (
    DEFENDER_FOR_OFFICE_P1,
    EXCHANGE_FOUNDATION,
    EXCHANGE_ONLINE_PLAN_1,
    ADELE,
    ADMIN_GROUP,
    ALEX,
    BIANCA,
    BREAK_GLASS,
    EXCHANGE_ADMIN,
    GLOBAL_READER,
    GUEST,
    MEGAN,
    SHARED_ADMIN,
    assignment,
    eligibility,
    group_principal,
    entra_p2_only,
    member,
    partner_principal,
    plan,
    principal,
    registration,
    sp_principal,
    upn,
    user,
)

EXAMPLES = Path("/work/shared/graph-examples")
REGISTRY = Registry.from_modules("checks.admins")
CTX = CheckContext(now=NOW)


def run(check_id, snapshot, ctx=CTX):
    return run_check(REGISTRY.get(check_id), snapshot, ctx)


def ga(*user_ids):
    return [assignment(GLOBAL_ADMINISTRATOR, principal(uid), i) for i, uid in enumerate(user_ids)]


UNTYPED = "5f1e2d3c-4b5a-4968-8776-655443322110"


def null_principal_assignment(principal_id=UNTYPED):
    """A Global Administrator assignment whose expanded principal Graph returned as null."""
    return {"id": "lAPpYvVpN0KRkAEhdxReE0099-1", "principalId": principal_id, "directoryScopeId": "/",
            "roleDefinitionId": GLOBAL_ADMINISTRATOR, "principal": None}


# --- ADM-1 --------------------------------------------------------------------------------------------------

def test_adm1_pass_with_two_and_eligible_counted():
    snapshot = make_snapshot(role_assignments=ga(MEGAN),
                             role_eligibility_schedules=[eligibility(GLOBAL_ADMINISTRATOR, principal(ALEX))])
    result = run("ADM-1", snapshot)
    assert result.status is Status.PASS
    assert {row["holder"]: row["assignment"] for row in result.evidence} == {"Megan Bowen": "active", "Alex Wilber": "eligible"}


def test_adm1_fail_with_one_and_evidence_says_eligibility_unreadable():
    snapshot = make_snapshot(role_assignments=ga(MEGAN),
                             role_eligibility_schedules=forbidden("RoleEligibilitySchedule.Read.Directory"))
    result = run("ADM-1", snapshot)
    assert result.status is Status.FAIL
    assert "eligible assignments not read" in result.summary
    assert "RoleEligibilitySchedule.Read.Directory" in result.evidence[-1]["note"]
    assert len({frozenset(row) for row in result.evidence}) == 1  # same keys in every row


def test_adm1_fail_with_five_counting_groups_once_per_person():
    snapshot = make_snapshot(
        role_assignments=ga(MEGAN, ALEX, BIANCA) + [assignment(GLOBAL_ADMINISTRATOR, group_principal(), 9)],
        role_eligibility_schedules=[eligibility(GLOBAL_ADMINISTRATOR, principal(MEGAN))],
        group_members={ADMIN_GROUP: [member(ADELE), member(GUEST), member(MEGAN)]},
    )
    result = run("ADM-1", snapshot)
    assert result.status is Status.FAIL
    assert result.summary.startswith("5 Global Administrators")
    adele = next(row for row in result.evidence if row["holder"] == "Adele Vance")
    assert adele["assignment"] == "via group Tier 0 Admins"


def test_adm1_service_principal_and_partner_not_counted():
    snapshot = make_snapshot(role_assignments=ga(MEGAN, ALEX) + [
        assignment(GLOBAL_ADMINISTRATOR, partner_principal(), 7), assignment(GLOBAL_ADMINISTRATOR, sp_principal(), 8)],
        role_eligibility_schedules=[])
    result = run("ADM-1", snapshot)
    assert result.status is Status.PASS
    assert "2 service principal/partner holder(s) not counted" in result.summary


def test_adm1_docs_example_counts_three():
    body = json.loads((EXAMPLES / "role_assignments_global_admin_expand_principal.json").read_text())
    result = run("ADM-1", make_snapshot(role_assignments=body["value"], role_eligibility_schedules=[]))
    assert result.status is Status.PASS
    assert result.summary.startswith("3 Global Administrators")


def test_adm1_unknown_when_group_members_unreadable():
    snapshot = make_snapshot(role_assignments=ga(MEGAN) + [assignment(GLOBAL_ADMINISTRATOR, group_principal(), 9)],
                             group_members=forbidden("GroupMember.Read.All"), role_eligibility_schedules=[])
    assert run("ADM-1", snapshot).status is Status.UNKNOWN


def test_adm1_unknown_when_a_holder_of_unknown_type_may_be_a_person():
    # Not expanded and not in the users list: it may be a second administrator, so "1" would be a false FAIL.
    untyped = {"id": "5f1e2d3c-4b5a-4968-8776-655443322110"}
    snapshot = make_snapshot(role_assignments=ga(MEGAN) + [assignment(GLOBAL_ADMINISTRATOR, untyped, 9)],
                             role_eligibility_schedules=[])
    result = run("ADM-1", snapshot)
    assert result.status is Status.UNKNOWN
    assert any(row["userType"] == "unknown" for row in result.evidence)


def test_adm1_unknown_for_a_null_principal_names_its_id():
    snapshot = make_snapshot(role_assignments=ga(MEGAN, ALEX) + [null_principal_assignment()],
                             role_eligibility_schedules=[])
    result = run("ADM-1", snapshot)
    assert result.status is Status.UNKNOWN
    assert UNTYPED in result.summary
    assert any(UNTYPED in row["note"] for row in result.evidence)


def test_adm1_unknown_when_role_answer_empty():
    result = run("ADM-1", make_snapshot(role_assignments=[], role_eligibility_schedules=[]))
    assert result.status is Status.UNKNOWN
    assert "answer is empty" in result.summary


def test_adm1_only_eligible_admins_is_not_an_empty_answer():
    snapshot = make_snapshot(role_assignments=[], role_eligibility_schedules=[
        eligibility(GLOBAL_ADMINISTRATOR, principal(MEGAN)), eligibility(GLOBAL_ADMINISTRATOR, principal(ALEX))])
    assert run("ADM-1", snapshot).status is Status.PASS


def test_adm1_unknown_when_assignments_unreadable():
    result = run("ADM-1", make_snapshot(role_assignments=forbidden("RoleManagement.Read.Directory")))
    assert result.status is Status.UNKNOWN
    assert "RoleManagement.Read.Directory" in result.summary


# --- ADM-2 --------------------------------------------------------------------------------------------------

def test_generic_name_rules():
    assert generic_name("admin")
    assert generic_name("it.support")
    assert generic_name("admin2")
    assert generic_name("o365admin")
    assert generic_name("Global-Admin01")
    assert generic_name("Contoso Admin", {"contoso"})
    assert not generic_name("Itzel Ortiz")
    assert not generic_name("jane.doe.admin")
    assert not generic_name("2024")
    assert upn_local_part("helpdesk_contoso.com#EXT#@fabrikamlegal.onmicrosoft.com") == "helpdesk"
    assert upn_local_part("AdeleV@fabrikamlegal.com") == "AdeleV"


def test_adm2_pass_with_personal_admins_and_itzel_is_not_it():
    itzel = {**user(ADELE), "displayName": "Itzel Ortiz", "userPrincipalName": "itzel.ortiz@fabrikamlegal.com",
             "givenName": "Itzel", "surname": "Ortiz"}
    snapshot = make_snapshot(role_assignments=ga(MEGAN, ADELE), users=[user(MEGAN), itzel])
    result = run("ADM-2", snapshot)
    assert result.status is Status.PASS
    assert result.evidence == []


def test_adm2_fail_on_shared_admin_account():
    snapshot = make_snapshot(role_assignments=ga(MEGAN) + [assignment(EXCHANGE_ADMIN, principal(SHARED_ADMIN), 5)],
                             users=[user(MEGAN), user(SHARED_ADMIN)])
    result = run("ADM-2", snapshot)
    assert result.status is Status.FAIL
    row = result.evidence[0]
    assert row["userPrincipalName"] == upn(SHARED_ADMIN)
    assert 'generic user name "admin"' in row["finding"]
    assert "no given name or surname" in row["finding"]


def test_adm2_fail_on_missing_person_attributes_alone():
    nameless = user(ALEX, givenName=None, surname="")
    result = run("ADM-2", make_snapshot(role_assignments=ga(ALEX), users=[nameless]))
    assert result.status is Status.FAIL
    assert result.evidence[0]["finding"] == "no given name or surname"


def test_adm2_declared_break_glass_is_exempt():
    ctx = CheckContext(now=NOW, settings=CheckSettings(break_glass_accounts=(upn(BREAK_GLASS),)))
    snapshot = make_snapshot(role_assignments=ga(MEGAN, BREAK_GLASS), users=[user(MEGAN), user(BREAK_GLASS)])
    result = run("ADM-2", snapshot, ctx)
    assert result.status is Status.PASS
    assert result.evidence[0]["finding"].startswith("exempt: declared break-glass")
    assert run("ADM-2", snapshot).status is Status.FAIL  # not declared: flagged


def test_adm2_non_privileged_generic_account_ignored():
    snapshot = make_snapshot(role_assignments=ga(MEGAN) + [assignment(GLOBAL_READER, principal(SHARED_ADMIN), 3)],
                             users=[user(MEGAN), user(SHARED_ADMIN)])
    assert run("ADM-2", snapshot).status is Status.PASS


def test_adm2_unknown_for_a_holder_of_unknown_type():
    snapshot = make_snapshot(role_assignments=ga(MEGAN) + [null_principal_assignment()], users=[user(MEGAN)])
    result = run("ADM-2", snapshot)
    assert result.status is Status.UNKNOWN
    assert UNTYPED in result.summary
    assert result.evidence[0]["user"] == f"(principal id {UNTYPED})"


def test_adm2_known_shared_account_fails_despite_a_holder_of_unknown_type():
    snapshot = make_snapshot(role_assignments=ga(SHARED_ADMIN) + [null_principal_assignment()],
                             users=[user(SHARED_ADMIN)])
    assert run("ADM-2", snapshot).status is Status.FAIL


def test_adm2_unknown_when_users_unreadable():
    assert run("ADM-2", make_snapshot(role_assignments=ga(MEGAN), users=forbidden("User.Read.All"))).status is Status.UNKNOWN


# --- ADM-3 --------------------------------------------------------------------------------------------------

def test_adm3_pass_without_collaboration_plans():
    admin = user(MEGAN, plans=[plan("AADPremiumService"), plan("exchange", status="Deleted")])
    assert run("ADM-3", make_snapshot(role_assignments=ga(MEGAN), users=[admin])).status is Status.PASS


def test_adm3_fail_with_exchange_or_teams_names_the_plan():
    mailbox = user(MEGAN, plans=[plan("exchange"), plan("SharePoint")])
    teams = user(ALEX, plans=[plan("TeamspaceAPI", status="Warning")])
    result = run("ADM-3", make_snapshot(role_assignments=ga(MEGAN, ALEX), users=[mailbox, teams]))
    assert result.status is Status.FAIL
    assert {row["user"]: row["services"] for row in result.evidence} == {
        "Megan Bowen": "Exchange Online (Plan 2) (EXCHANGE_S_ENTERPRISE)", "Alex Wilber": "Microsoft Teams (TEAMS1)"}


def test_adm3_pass_for_global_admin_whose_only_licence_is_entra_id_p2():
    # Entra ID P2 brings Exchange Foundation (113feb6c-...): an enabled plan of service `exchange` that gives
    # no mailbox. Judged by service name, this admin was "Exchange Online enabled".
    admins = [user(MEGAN, plans=entra_p2_only()), user(ALEX, plans=entra_p2_only())]
    result = run("ADM-3", make_snapshot(role_assignments=ga(MEGAN, ALEX), users=admins))
    assert result.status is Status.PASS
    assert result.evidence == []


def test_adm3_security_and_archiving_plans_of_exchange_give_no_mailbox():
    plans = [plan("exchange", plan_id=DEFENDER_FOR_OFFICE_P1),
             plan("exchange", plan_id="9f431833-0334-42de-a7dc-70aa40db46db"),  # Customer Lockbox
             plan("exchange", plan_id="176a09a6-7ec5-4039-ac02-b2791c6ba793"),  # Exchange Online Archiving
             plan("exchange", plan_id="326e2b78-9d27-42c9-8509-46c827743a17")]  # Exchange Online Protection
    result = run("ADM-3", make_snapshot(role_assignments=ga(MEGAN), users=[user(MEGAN, plans=plans)]))
    assert result.status is Status.PASS


def test_adm3_kiosk_and_plan_1_mailboxes_fail():
    kiosk = user(MEGAN, plans=[plan("exchange", plan_id="4a82b400-a79f-41a4-b4e2-e94f5787b113")])
    plan_1 = user(ALEX, plans=[plan("exchange", plan_id=EXCHANGE_ONLINE_PLAN_1.upper())])  # ids compared as GUIDs
    result = run("ADM-3", make_snapshot(role_assignments=ga(MEGAN, ALEX), users=[kiosk, plan_1]))
    assert result.status is Status.FAIL
    assert {row["services"] for row in result.evidence} == {
        "Exchange Online Kiosk (EXCHANGE_S_DESKLESS)", "Exchange Online (Plan 1) (EXCHANGE_S_STANDARD)"}


def test_adm3_unknown_for_an_unrecognised_exchange_or_teams_plan_naming_the_user():
    novel = "0f0e0d0c-0b0a-4909-8807-060504030201"
    admin = user(MEGAN, plans=[plan("exchange", plan_id=EXCHANGE_FOUNDATION), plan("exchange", plan_id=novel)])
    teams_admin = user(ALEX, plans=[plan("TeamspaceAPI", plan_id="1a2b3c4d-0000-4000-8000-00000000abcd")])
    result = run("ADM-3", make_snapshot(role_assignments=ga(MEGAN, ALEX), users=[admin, teams_admin]))
    assert result.status is Status.UNKNOWN
    rows = {row["user"]: row["services"] for row in result.evidence}
    assert rows["Megan Bowen"] == f"unknown: unrecognised exchange plan {novel}"
    assert "TeamspaceAPI plan 1a2b3c4d-0000-4000-8000-00000000abcd" in rows["Alex Wilber"]


def test_adm3_a_known_mailbox_decides_fail_over_an_unrecognised_plan():
    unknown_plan = user(MEGAN, plans=[plan("exchange", plan_id="0f0e0d0c-0b0a-4909-8807-060504030201")])
    mailbox = user(ALEX, plans=[plan("exchange")])
    result = run("ADM-3", make_snapshot(role_assignments=ga(MEGAN, ALEX), users=[unknown_plan, mailbox]))
    assert result.status is Status.FAIL
    assert len(result.evidence) == 2  # the undecided admin is still named


def test_adm3_unrecognised_plan_of_another_service_is_ignored():
    admin = user(MEGAN, plans=[plan("SharePoint", plan_id="0f0e0d0c-0b0a-4909-8807-060504030201"),
                               plan("MicrosoftCommunicationsOnline", plan_id="0feaeb32-d00e-4d66-bd5a-43b5b83db82c")])
    assert run("ADM-3", make_snapshot(role_assignments=ga(MEGAN), users=[admin])).status is Status.PASS


def test_adm3_unknown_for_a_holder_of_unknown_type():
    snapshot = make_snapshot(role_assignments=ga(MEGAN) + [null_principal_assignment()], users=[user(MEGAN)])
    result = run("ADM-3", snapshot)
    assert result.status is Status.UNKNOWN
    assert UNTYPED in result.summary


def test_adm3_mailbox_on_non_admin_is_fine():
    staff = user(BIANCA, plans=[plan("exchange")])
    assert run("ADM-3", make_snapshot(role_assignments=ga(MEGAN), users=[user(MEGAN), staff])).status is Status.PASS


def test_adm3_unknown_when_admin_missing_from_users():
    result = run("ADM-3", make_snapshot(role_assignments=ga(MEGAN, ALEX), users=[user(MEGAN)]))
    assert result.status is Status.UNKNOWN
    assert result.evidence[0]["services"].startswith("unknown")


def test_adm3_unknown_when_users_unreadable():
    assert run("ADM-3", make_snapshot(role_assignments=ga(MEGAN), users=forbidden("User.Read.All"))).status is Status.UNKNOWN


# --- ADM-4 --------------------------------------------------------------------------------------------------

def test_adm4_pass_with_members_only():
    assert run("ADM-4", make_snapshot(role_assignments=ga(MEGAN, ALEX))).status is Status.PASS


def test_adm4_fail_with_guest_admin_from_docs_example():
    body = json.loads((EXAMPLES / "role_assignments_global_admin_expand_principal.json").read_text())
    result = run("ADM-4", make_snapshot(role_assignments=body["value"]))
    assert result.status is Status.FAIL
    assert sorted(row["user"] for row in result.evidence) == ["Kalyan Krishna", "Markie Downing"]


def test_adm4_fail_with_guest_through_group_and_eligibility():
    snapshot = make_snapshot(role_assignments=ga(MEGAN) + [assignment(EXCHANGE_ADMIN, group_principal(), 4)],
                             group_members={ADMIN_GROUP: [member(GUEST)]},
                             role_eligibility_schedules=[eligibility(GLOBAL_ADMINISTRATOR, principal(GUEST))])
    result = run("ADM-4", snapshot)
    assert result.status is Status.FAIL
    assert result.evidence[0]["assignment"] == "via group Tier 0 Admins, eligible"


def test_adm4_partner_reference_is_not_a_guest():
    snapshot = make_snapshot(role_assignments=ga(MEGAN) + [assignment(GLOBAL_ADMINISTRATOR, partner_principal(), 6)])
    assert run("ADM-4", snapshot).status is Status.PASS


def test_adm4_fail_for_an_invited_account_turned_member():
    # B2B account whose userType was changed to Member: creationType Invitation still makes it external.
    invited = user(ALEX, creationType="Invitation")
    result = run("ADM-4", make_snapshot(role_assignments=ga(MEGAN, ALEX), users=[user(MEGAN), invited]))
    assert result.status is Status.FAIL
    assert [(row["user"], row["external"]) for row in result.evidence] == [("Alex Wilber", "creationType Invitation")]


def test_adm4_fail_for_ext_upn_with_member_type():
    ext = user(ALEX, userPrincipalName="alex_contoso.com#EXT#@fabrikamlegal.onmicrosoft.com", userType="Member")
    result = run("ADM-4", make_snapshot(role_assignments=ga(MEGAN, ALEX), users=[user(MEGAN), ext]))
    assert result.status is Status.FAIL
    assert result.evidence[0]["external"] == "UPN contains #EXT#"


def test_adm4_unknown_for_a_holder_of_unknown_type():
    result = run("ADM-4", make_snapshot(role_assignments=ga(MEGAN) + [null_principal_assignment()]))
    assert result.status is Status.UNKNOWN
    assert UNTYPED in result.summary


def test_adm4_holder_known_from_users_list_is_classified_despite_null_principal():
    snapshot = make_snapshot(role_assignments=ga(MEGAN) + [null_principal_assignment(ALEX)],
                             users=[user(MEGAN), user(ALEX)])
    assert run("ADM-4", snapshot).status is Status.PASS


def test_adm4_unknown_when_assignments_unreadable():
    assert run("ADM-4", make_snapshot(role_assignments=forbidden("RoleManagement.Read.Directory"))).status is Status.UNKNOWN


# --- ADM-6 --------------------------------------------------------------------------------------------------

def test_adm6_manual_lists_email_and_phone_values():
    phones = json.loads((EXAMPLES / "user_phone_methods.json").read_text())["value"]
    emails = json.loads((EXAMPLES / "user_email_methods.json").read_text())["value"]
    typed = json.loads((EXAMPLES / "user_auth_methods.json").read_text())["value"]
    snapshot = make_snapshot(
        role_assignments=ga(MEGAN, ALEX),
        authentication_methods={
            MEGAN: [{"@odata.type": "#microsoft.graph.emailAuthenticationMethod", **emails[0]}]
                   + [{"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", **p} for p in phones[:1]],
            ALEX: typed,
        },
    )
    result = run("ADM-6", snapshot)
    assert result.status is Status.MANUAL
    rows = [(row["user"], row["method"], row["value"]) for row in result.evidence]
    assert ("Megan Bowen", "email", "Kim@contoso.com") in rows
    assert ("Megan Bowen", "phone (mobile)", "+1 2065555555") in rows
    assert ("Alex Wilber", "(no email or phone method)", "") in rows


def test_adm6_untyped_method_lists_by_shape_and_missing_user():
    phones = json.loads((EXAMPLES / "user_phone_methods.json").read_text())["value"]
    result = run("ADM-6", make_snapshot(role_assignments=ga(MEGAN, ALEX), authentication_methods={MEGAN: phones}))
    rows = [(row["user"], row["method"]) for row in result.evidence]
    assert rows.count(("Megan Bowen", "phone (mobile)")) == 1
    assert ("Megan Bowen", "phone (office)") in rows
    assert ("Alex Wilber", "(not collected)") in rows


def test_adm6_falls_back_to_registration_details():
    snapshot = make_snapshot(role_assignments=ga(MEGAN), authentication_methods=forbidden("UserAuthenticationMethod.Read.All"),
                             user_registration_details=[registration(MEGAN, methods=["mobilePhone", "microsoftAuthenticatorPush", "email"])])
    result = run("ADM-6", snapshot)
    assert result.status is Status.MANUAL
    assert [row["method"] for row in result.evidence] == ["mobile phone", "email"]
    assert "UserAuthenticationMethod.Read.All" in result.summary


def test_adm6_lists_a_holder_of_unknown_type_and_stays_manual():
    snapshot = make_snapshot(role_assignments=ga(MEGAN) + [null_principal_assignment()],
                             authentication_methods={MEGAN: []})
    result = run("ADM-6", snapshot)
    assert result.status is Status.MANUAL
    assert UNTYPED in result.summary
    assert (f"(principal id {UNTYPED})", "(principal type unknown: methods not listed)") in [
        (row["user"], row["method"]) for row in result.evidence]


def test_adm6_unknown_when_neither_source_readable():
    snapshot = make_snapshot(role_assignments=ga(MEGAN), authentication_methods=forbidden("UserAuthenticationMethod.Read.All"),
                             user_registration_details=not_licensed())
    result = run("ADM-6", snapshot)
    assert result.status is Status.UNKNOWN
    assert "UserAuthenticationMethod.Read.All" in result.summary


def test_adm6_unknown_when_assignments_unreadable():
    assert run("ADM-6", make_snapshot(role_assignments=forbidden(), authentication_methods={})).status is Status.UNKNOWN
