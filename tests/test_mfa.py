"""MFA-1 to MFA-5 (checks/mfa.py), run through the engine's run_check so needs-gating is exercised."""

import json
from pathlib import Path

from auditor.evaluate import run_check
from auditor.registry import CheckContext, CheckSettings, Registry
from auditor.results import Status
from auditor.snapshot import Section, SectionStatus
from checks.privileged import GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLES
from tests.builders import NOW, forbidden, make_snapshot, not_licensed
from tests.identity_fixtures import (
    ADMIN_GROUP,
    ALEX,
    BIANCA,
    BREAK_GLASS,
    EXCHANGE_ADMIN,
    GUEST,
    MEGAN,
    SECURITY_ADMIN,
    SHARED_ADMIN,
    assignment,
    ca_policy,
    custom_strength,
    eligibility,
    group_principal,
    member,
    principal,
    registration,
    security_defaults,
    strength_ref,
    upn,
    user,
)

EXAMPLES = Path("/work/shared/graph-examples")
REGISTRY = Registry.from_modules("checks.mfa")
CTX = CheckContext(now=NOW)
PHISHING_RESISTANT = "00000000-0000-0000-0000-000000000004"


def run(check_id, snapshot, ctx=CTX):
    return run_check(REGISTRY.get(check_id), snapshot, ctx)


def sd_off(**sections):
    return make_snapshot(security_defaults=security_defaults(False), **sections)


ADMIN_ASSIGNMENTS = [
    assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN), 1),
    assignment(EXCHANGE_ADMIN, principal(ALEX), 2),
]


# --- MFA-1 --------------------------------------------------------------------------------------------------

def test_mfa1_pass_with_security_defaults_even_when_ca_unreadable():
    snapshot = make_snapshot(security_defaults=json.loads((EXAMPLES / "security_defaults_policy.json").read_text()),
                             conditional_access_policies=forbidden())
    assert run("MFA-1", snapshot).status is Status.PASS


def test_mfa1_pass_with_all_users_policy():
    result = run("MFA-1", sd_off(conditional_access_policies=[ca_policy(exclude_users=[BREAK_GLASS])]))
    assert result.status is Status.PASS
    assert result.evidence[0]["policy"] == "Require MFA for all users"
    assert BREAK_GLASS in result.evidence[0]["exclusions"]


def test_mfa1_pass_with_mfa_or_compliant_device():
    policy = ca_policy(controls=["mfa", "compliantDevice"], operator="OR")
    assert run("MFA-1", sd_off(conditional_access_policies=[policy])).status is Status.PASS


def test_mfa1_fail_with_report_only_policy_and_says_why():
    result = run("MFA-1", sd_off(conditional_access_policies=[ca_policy(state="enabledForReportingButNotEnforced")]))
    assert result.status is Status.FAIL
    assert "report-only" in result.summary
    assert result.evidence[0]["counts"].startswith("no: report-only")


def test_mfa1_fail_with_docs_example_policies():
    body = json.loads((EXAMPLES / "ca_policies_list.json").read_text())
    assert run("MFA-1", sd_off(conditional_access_policies=body["value"])).status is Status.FAIL


def test_mfa1_fail_with_excluded_group():
    policy = ca_policy(exclude_groups=[ADMIN_GROUP])
    result = run("MFA-1", sd_off(conditional_access_policies=[policy]))
    assert result.status is Status.FAIL
    assert f"group {ADMIN_GROUP}" in result.evidence[0]["exclusions"]


def test_mfa1_fail_with_three_excluded_users():
    policy = ca_policy(exclude_users=[BREAK_GLASS, ALEX, BIANCA])
    assert run("MFA-1", sd_off(conditional_access_policies=[policy])).status is Status.FAIL


def test_mfa1_break_glass_exclusion_allowed_when_declared():
    ctx = CheckContext(now=NOW, settings=CheckSettings(break_glass_accounts=(upn(BREAK_GLASS),)))
    snapshot = sd_off(conditional_access_policies=[ca_policy(exclude_users=[BREAK_GLASS])], users=[user(BREAK_GLASS)])
    assert run("MFA-1", snapshot, ctx).status is Status.PASS
    other = sd_off(conditional_access_policies=[ca_policy(exclude_users=[ALEX])], users=[user(ALEX)])
    assert run("MFA-1", other, ctx).status is Status.FAIL


def test_mfa1_fail_with_password_only_custom_strength():
    weak = custom_strength("5f3e2a1b-0000-4000-8000-00000000aaaa", "Corporate sign-in", ["password"], "none")
    assert run("MFA-1", sd_off(conditional_access_policies=[ca_policy(strength=weak)])).status is Status.FAIL


def test_mfa1_unknown_without_is_enabled():
    result = run("MFA-1", make_snapshot(security_defaults=security_defaults(None), conditional_access_policies=[]))
    assert result.status is Status.UNKNOWN
    assert "isEnabled" in result.summary


def test_mfa1_unknown_when_security_defaults_unreadable():
    result = run("MFA-1", make_snapshot(security_defaults=forbidden(), conditional_access_policies=[ca_policy()]))
    assert result.status is Status.UNKNOWN
    assert "Policy.Read.All" in result.summary


def test_mfa1_unknown_when_ca_unreadable_and_defaults_off():
    result = run("MFA-1", sd_off(conditional_access_policies=forbidden()))
    assert result.status is Status.UNKNOWN
    assert "conditional_access_policies is forbidden" in result.summary


def test_mfa1_unknown_when_custom_strength_unresolvable():
    policy = ca_policy(strength=strength_ref("5f3e2a1b-0000-4000-8000-00000000cccc", "Company MFA"))
    result = run("MFA-1", sd_off(conditional_access_policies=[policy],
                                 authentication_strength_policies=forbidden("Policy.Read.AuthenticationMethod")))
    assert result.status is Status.UNKNOWN
    assert "Policy.Read.AuthenticationMethod" in result.summary


def test_mfa1_custom_strength_resolved_from_section():
    custom = custom_strength("5f3e2a1b-0000-4000-8000-00000000cccc", "Company MFA", ["password,microsoftAuthenticatorPush"])
    policy = ca_policy(strength=strength_ref(custom["id"]))
    snapshot = sd_off(conditional_access_policies=[policy], authentication_strength_policies=[custom])
    assert run("MFA-1", snapshot).status is Status.PASS


# --- MFA-2 --------------------------------------------------------------------------------------------------

def admin_policy(roles, **kwargs):
    return ca_policy("Require MFA for admins", include_roles=list(roles), **kwargs)


def test_mfa2_pass_with_security_defaults():
    snapshot = make_snapshot(security_defaults=security_defaults(True), conditional_access_policies=forbidden())
    assert run("MFA-2", snapshot).status is Status.PASS


def test_mfa2_pass_when_roles_held_are_covered_and_lists_advisory_roles():
    snapshot = sd_off(conditional_access_policies=[admin_policy([GLOBAL_ADMINISTRATOR, EXCHANGE_ADMIN])],
                      role_assignments=ADMIN_ASSIGNMENTS, role_eligibility_schedules=[])
    result = run("MFA-2", snapshot)
    assert result.status is Status.PASS
    statuses = {row["role"]: row["status"] for row in result.evidence}
    assert statuses["Global Administrator"] == "held, covered"
    assert statuses["Security Administrator"] == "not held, not covered (advisory)"
    assert len(result.evidence) == len(PRIVILEGED_ROLES)


def test_mfa2_fail_when_a_held_role_is_left_out():
    snapshot = sd_off(conditional_access_policies=[admin_policy([GLOBAL_ADMINISTRATOR])], role_assignments=ADMIN_ASSIGNMENTS)
    result = run("MFA-2", snapshot)
    assert result.status is Status.FAIL
    assert "Exchange Administrator" in result.summary
    assert result.evidence[0] == {"role": "Exchange Administrator", "holders": 1, "covered_by": "-",
                                  "status": "held, NOT covered"}


def test_mfa2_eligible_role_counts_as_held():
    snapshot = sd_off(conditional_access_policies=[admin_policy([GLOBAL_ADMINISTRATOR])],
                      role_assignments=[assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN))],
                      role_eligibility_schedules=[eligibility(SECURITY_ADMIN, principal(ALEX))])
    result = run("MFA-2", snapshot)
    assert result.status is Status.FAIL
    assert "Security Administrator" in result.summary


def test_mfa2_says_when_eligibility_unreadable():
    snapshot = sd_off(conditional_access_policies=[admin_policy([GLOBAL_ADMINISTRATOR])],
                      role_assignments=[assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN))],
                      role_eligibility_schedules=forbidden("RoleEligibilitySchedule.Read.Directory"))
    result = run("MFA-2", snapshot)
    assert result.status is Status.PASS
    assert "RoleEligibilitySchedule.Read.Directory" in result.summary


def test_mfa2_mfa_or_compliant_device_does_not_count_for_admins():
    policy = ca_policy(controls=["mfa", "compliantDevice"], operator="OR")
    snapshot = sd_off(conditional_access_policies=[policy], role_assignments=ADMIN_ASSIGNMENTS)
    assert run("MFA-2", snapshot).status is Status.FAIL


def test_mfa2_all_users_policy_passes_without_role_data():
    snapshot = sd_off(conditional_access_policies=[ca_policy()], role_assignments=forbidden("RoleManagement.Read.Directory"))
    assert run("MFA-2", snapshot).status is Status.PASS


def test_mfa2_unknown_when_roles_unreadable_and_policy_is_partial():
    snapshot = sd_off(conditional_access_policies=[admin_policy([GLOBAL_ADMINISTRATOR])],
                      role_assignments=forbidden("RoleManagement.Read.Directory"))
    result = run("MFA-2", snapshot)
    assert result.status is Status.UNKNOWN
    assert "RoleManagement.Read.Directory" in result.summary


def test_mfa2_unknown_when_role_answer_empty():
    snapshot = sd_off(conditional_access_policies=[admin_policy([GLOBAL_ADMINISTRATOR])], role_assignments=[])
    assert run("MFA-2", snapshot).status is Status.UNKNOWN


def test_mfa2_unknown_when_ca_unreadable():
    assert run("MFA-2", sd_off(conditional_access_policies=forbidden(), role_assignments=ADMIN_ASSIGNMENTS)).status is Status.UNKNOWN


def test_mfa2_group_held_role_is_counted():
    snapshot = sd_off(conditional_access_policies=[admin_policy([GLOBAL_ADMINISTRATOR])],
                      role_assignments=[assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN)),
                                        assignment(SECURITY_ADMIN, group_principal(), 2)],
                      group_members={ADMIN_GROUP: [member(BIANCA)]})
    result = run("MFA-2", snapshot)
    assert result.status is Status.FAIL
    assert "Security Administrator" in result.summary


def test_mfa2_unknown_when_an_uncovered_role_is_held_only_by_a_holder_of_unknown_type():
    null = {"id": "a-9", "principalId": "77d4c5f2-0000-4000-8000-0000000000aa", "directoryScopeId": "/",
            "roleDefinitionId": SECURITY_ADMIN, "principal": None}
    policy = ca_policy("MFA for GA", include_roles=[GLOBAL_ADMINISTRATOR])
    snapshot = sd_off(conditional_access_policies=[policy], role_assignments=[ADMIN_ASSIGNMENTS[0], null],
                      role_eligibility_schedules=[])
    result = run("MFA-2", snapshot)
    assert result.status is Status.UNKNOWN  # before: a FAIL for a holder that may be a service principal
    assert "77d4c5f2-0000-4000-8000-0000000000aa" in result.summary
    row = next(r for r in result.evidence if r["role"] == "Security Administrator")
    assert row["status"] == "held by a holder of unknown type, not covered"


def test_mfa2_pass_when_a_holder_of_unknown_type_holds_a_covered_role():
    null = {"id": "a-9", "principalId": "77d4c5f2-0000-4000-8000-0000000000aa", "directoryScopeId": "/",
            "roleDefinitionId": GLOBAL_ADMINISTRATOR, "principal": None}
    policy = ca_policy("MFA for GA", include_roles=[GLOBAL_ADMINISTRATOR])
    snapshot = sd_off(conditional_access_policies=[policy], role_assignments=[ADMIN_ASSIGNMENTS[0], null],
                      role_eligibility_schedules=[])
    assert run("MFA-2", snapshot).status is Status.PASS


def test_mfa2_pass_when_all_privileged_roles_included_without_role_data():
    snapshot = sd_off(conditional_access_policies=[admin_policy(PRIVILEGED_ROLES)], role_assignments=forbidden())
    assert run("MFA-2", snapshot).status is Status.PASS


# --- MFA-3 --------------------------------------------------------------------------------------------------

def test_mfa3_pass_with_builtin_phishing_resistant_strength_by_id():
    policy = admin_policy([GLOBAL_ADMINISTRATOR, EXCHANGE_ADMIN], controls=[], strength=strength_ref(PHISHING_RESISTANT))
    result = run("MFA-3", sd_off(conditional_access_policies=[policy], role_assignments=ADMIN_ASSIGNMENTS))
    assert result.status is Status.PASS


def test_mfa3_pass_with_custom_phishing_resistant_strength():
    keys = custom_strength("5f3e2a1b-0000-4000-8000-00000000dddd", "Admin security keys", ["fido2", "x509CertificateMultiFactor"])
    policy = ca_policy(controls=[], strength=keys)
    assert run("MFA-3", sd_off(conditional_access_policies=[policy])).status is Status.PASS


def test_mfa3_fail_with_plain_mfa_and_with_security_defaults_alone():
    snapshot = sd_off(conditional_access_policies=[admin_policy([GLOBAL_ADMINISTRATOR, EXCHANGE_ADMIN])],
                      role_assignments=ADMIN_ASSIGNMENTS)
    assert run("MFA-3", snapshot).status is Status.FAIL
    defaults = make_snapshot(security_defaults=security_defaults(True), conditional_access_policies=[],
                             role_assignments=ADMIN_ASSIGNMENTS)
    result = run("MFA-3", defaults)
    assert result.status is Status.FAIL
    assert "Security defaults are on" in result.summary


def test_mfa3_display_name_does_not_make_a_strength_phishing_resistant():
    impostor = custom_strength("5f3e2a1b-0000-4000-8000-00000000eeee", "Phishing-resistant MFA",
                               ["fido2", "password,sms"])
    result = run("MFA-3", sd_off(conditional_access_policies=[ca_policy(controls=[], strength=impostor)],
                                 role_assignments=ADMIN_ASSIGNMENTS))
    assert result.status is Status.FAIL


def test_mfa3_unknown_when_strength_unresolvable():
    policy = ca_policy(controls=[], strength=strength_ref("5f3e2a1b-0000-4000-8000-00000000ffff"))
    result = run("MFA-3", sd_off(conditional_access_policies=[policy], role_assignments=ADMIN_ASSIGNMENTS,
                                 authentication_strength_policies=forbidden("Policy.Read.AuthenticationMethod")))
    assert result.status is Status.UNKNOWN


def test_mfa3_unknown_when_ca_unreadable():
    assert run("MFA-3", make_snapshot(conditional_access_policies=forbidden())).status is Status.UNKNOWN


# --- MFA-4 --------------------------------------------------------------------------------------------------

def many_members(count, registered):
    """count enabled members, the first `registered` of them registered (synthetic ids)."""
    users, regs = [], []
    for i in range(count):
        uid = f"00000000-0000-4000-8000-{i:012d}"
        users.append({"id": uid, "displayName": f"Staff {i}", "userPrincipalName": f"staff{i}@fabrikamlegal.com",
                      "givenName": "Staff", "surname": str(i), "userType": "Member", "accountEnabled": True,
                      "mail": None, "assignedPlans": []})
        regs.append({"id": uid, "userPrincipalName": f"staff{i}@fabrikamlegal.com", "userDisplayName": f"Staff {i}",
                     "userType": "member", "isAdmin": False, "isMfaRegistered": i < registered,
                     "isMfaCapable": i < registered, "methodsRegistered": []})
    return users, regs


def test_mfa4_pass_when_admins_registered_and_ratio_met():
    users, regs = many_members(19, 19)
    snapshot = make_snapshot(users=users + [user(MEGAN)], user_registration_details=regs + [registration(MEGAN)],
                             role_assignments=[assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN))])
    result = run("MFA-4", snapshot)
    assert result.status is Status.PASS
    assert result.evidence == []


def test_mfa4_fail_below_threshold_lists_unregistered():
    users, regs = many_members(20, 18)  # 90 %
    result = run("MFA-4", make_snapshot(users=users, user_registration_details=regs, role_assignments=[]))
    assert result.status is Status.FAIL
    assert "90.0%" in result.summary
    assert [row["userPrincipalName"] for row in result.evidence] == ["staff18@fabrikamlegal.com", "staff19@fabrikamlegal.com"]


def test_mfa4_exactly_the_threshold_passes():
    users, regs = many_members(19, 18)  # 18 + Megan = 19 of 20 = 95 %
    snapshot = make_snapshot(users=users + [user(MEGAN)], user_registration_details=regs + [registration(MEGAN)],
                             role_assignments=[assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN))])
    result = run("MFA-4", snapshot)
    assert result.status is Status.PASS
    assert [row["userPrincipalName"] for row in result.evidence] == ["staff18@fabrikamlegal.com"]


def test_mfa4_threshold_is_configurable():
    users, regs = many_members(19, 17)  # 17 + Megan = 18 of 20 = 90 %
    ctx = CheckContext(now=NOW, settings=CheckSettings(mfa_registration_threshold=0.9))
    snapshot = make_snapshot(users=users + [user(MEGAN)], user_registration_details=regs + [registration(MEGAN)],
                             role_assignments=[assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN))])
    assert run("MFA-4", snapshot, ctx).status is Status.PASS
    assert run("MFA-4", snapshot).status is Status.FAIL


def test_mfa4_fail_when_one_admin_unregistered_despite_ratio():
    users, regs = many_members(99, 99)
    snapshot = make_snapshot(users=users + [user(ALEX)], user_registration_details=regs + [registration(ALEX, False)],
                             role_assignments=[assignment(EXCHANGE_ADMIN, principal(ALEX))])
    result = run("MFA-4", snapshot)
    assert result.status is Status.FAIL
    assert result.evidence[0]["privileged"] == "yes: Exchange Administrator"


def test_mfa4_guests_and_disabled_users_not_in_ratio():
    users, regs = many_members(20, 20)
    extra = [user(GUEST), user(SHARED_ADMIN, enabled=False)]
    snapshot = make_snapshot(users=users + extra + [user(MEGAN)],
                             user_registration_details=regs + [registration(GUEST, False), registration(MEGAN)],
                             role_assignments=[assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN))])
    assert run("MFA-4", snapshot).status is Status.PASS


def test_mfa4_invited_member_is_external_and_not_in_the_ratio():
    # creationType Invitation: a B2B account whose userType was changed to Member still registers MFA at home.
    users, regs = many_members(19, 19)
    invited = [{**u, "creationType": "Invitation"} for u in many_members(22, 20)[0][19:]]  # 3 unregistered
    snapshot = make_snapshot(users=users + invited + [user(MEGAN)], user_registration_details=regs + [registration(MEGAN)],
                             role_assignments=[assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN))])
    result = run("MFA-4", snapshot)
    assert result.status is Status.PASS  # 20 of 20 internal users; with the 3 invited it would be 20 of 23
    assert "3 external identities not counted" in result.summary
    assert {row["counted"] for row in result.evidence} == {"no: external identity (MFA registered in its home tenant)"}


def test_mfa4_external_admin_is_listed_apart_not_failed():
    users, regs = many_members(20, 20)
    snapshot = make_snapshot(users=users + [user(MEGAN), user(GUEST)],
                             user_registration_details=regs + [registration(MEGAN), registration(GUEST, False)],
                             role_assignments=[assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN)),
                                               assignment(EXCHANGE_ADMIN, principal(GUEST), 2)])
    result = run("MFA-4", snapshot)
    assert result.status is Status.PASS
    guest_row = next(row for row in result.evidence if row["user"] == "Markie Downing")
    assert guest_row["privileged"] == "yes: Exchange Administrator"
    assert guest_row["counted"].startswith("no: external identity")


def test_mfa4_unknown_for_a_role_holder_of_unknown_type():
    users, regs = many_members(20, 20)
    null = {"id": "a-9", "principalId": "77d4c5f2-0000-4000-8000-0000000000aa", "directoryScopeId": "/",
            "roleDefinitionId": GLOBAL_ADMINISTRATOR, "principal": None}
    snapshot = make_snapshot(users=users + [user(MEGAN)], user_registration_details=regs + [registration(MEGAN)],
                             role_assignments=[assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN)), null])
    result = run("MFA-4", snapshot)
    assert result.status is Status.UNKNOWN
    assert "77d4c5f2-0000-4000-8000-0000000000aa" in result.summary


def test_mfa4_unknown_when_role_answer_empty_but_ratio_met():
    users, regs = many_members(20, 20)
    result = run("MFA-4", make_snapshot(users=users, user_registration_details=regs, role_assignments=[]))
    assert result.status is Status.UNKNOWN
    assert "answer is empty" in result.summary


def test_mfa4_unknown_not_licensed_names_p1():
    result = run("MFA-4", make_snapshot(users=[user(MEGAN)], role_assignments=[], user_registration_details=Section.missing(
        SectionStatus.NOT_LICENSED, "RequestFromNonPremiumTenantOrB2CTenant", "test")))
    assert result.status is Status.UNKNOWN
    assert "Entra ID P1" in result.summary


def test_mfa4_unknown_when_users_unreadable():
    result = run("MFA-4", make_snapshot(users=forbidden("User.Read.All"), user_registration_details=[registration(MEGAN)]))
    assert result.status is Status.UNKNOWN


def test_mfa4_unknown_when_roles_unreadable_but_ratio_met():
    users, regs = many_members(20, 20)
    snapshot = make_snapshot(users=users, user_registration_details=regs, role_assignments=not_licensed())
    assert run("MFA-4", snapshot).status is Status.UNKNOWN


# --- MFA-5 --------------------------------------------------------------------------------------------------

def legacy_block(**kwargs):
    return ca_policy("Block legacy authentication", client_app_types=["exchangeActiveSync", "other"],
                     controls=kwargs.pop("controls", ["block"]), **kwargs)


def test_mfa5_pass_with_security_defaults():
    assert run("MFA-5", make_snapshot(security_defaults=security_defaults(True))).status is Status.PASS


def test_mfa5_pass_with_block_policy_and_break_glass_exclusion():
    result = run("MFA-5", sd_off(conditional_access_policies=[legacy_block(exclude_users=[BREAK_GLASS])]))
    assert result.status is Status.PASS
    assert result.evidence[0]["client_apps"] == "exchangeActiveSync, other"


def test_mfa5_requiring_mfa_is_not_a_block():
    result = run("MFA-5", sd_off(conditional_access_policies=[legacy_block(controls=["mfa"])]))
    assert result.status is Status.FAIL
    assert "requiring MFA is not a block" in result.summary


def test_mfa5_fail_when_only_exchange_active_sync_targeted():
    policy = ca_policy("Block EAS", client_app_types=["exchangeActiveSync"], controls=["block"])
    assert run("MFA-5", sd_off(conditional_access_policies=[policy])).status is Status.FAIL


def test_mfa5_pass_when_two_policies_together_block_both_legacy_client_types():
    # One policy per client type is a common, correct design: judged together, legacy auth is blocked.
    eas = ca_policy("Block EAS", client_app_types=["exchangeActiveSync"], controls=["block"], policy_id="p-eas")
    other = ca_policy("Block other clients", client_app_types=["other"], controls=["block"], policy_id="p-other")
    result = run("MFA-5", sd_off(conditional_access_policies=[eas, other]))
    assert result.status is Status.PASS
    assert "'Block EAS', 'Block other clients'" in result.summary
    assert {row["client_apps"] for row in result.evidence} == {"exchangeActiveSync", "other"}


def test_mfa5_union_counts_only_policies_that_count():
    eas = ca_policy("Block EAS", client_app_types=["exchangeActiveSync"], controls=["block"], policy_id="p-eas")
    other = ca_policy("Block other clients", client_app_types=["other"], controls=["block"], policy_id="p-other",
                      state="enabledForReportingButNotEnforced")
    result = run("MFA-5", sd_off(conditional_access_policies=[eas, other]))
    assert result.status is Status.FAIL
    assert "covers other clients" in result.summary
    assert '"Block EAS" (blocks exchangeActiveSync only)' in result.summary


def test_mfa5_union_needs_all_users_policies():
    eas = ca_policy("Block EAS", client_app_types=["exchangeActiveSync"], controls=["block"], policy_id="p-eas")
    admins_other = ca_policy("Block other for admins", client_app_types=["other"], controls=["block"],
                             policy_id="p-other", include_roles=[GLOBAL_ADMINISTRATOR])
    assert run("MFA-5", sd_off(conditional_access_policies=[eas, admins_other])).status is Status.FAIL


def test_mfa5_fail_when_report_only():
    policy = legacy_block(state="enabledForReportingButNotEnforced")
    assert run("MFA-5", sd_off(conditional_access_policies=[policy])).status is Status.FAIL


def test_mfa5_fail_when_group_excluded():
    assert run("MFA-5", sd_off(conditional_access_policies=[legacy_block(exclude_groups=[ADMIN_GROUP])])).status is Status.FAIL


def test_mfa5_unknown_when_ca_unreadable():
    assert run("MFA-5", sd_off(conditional_access_policies=forbidden())).status is Status.UNKNOWN


def test_mfa5_unknown_when_security_defaults_empty():
    assert run("MFA-5", make_snapshot(security_defaults={}, conditional_access_policies=[legacy_block()])).status is Status.UNKNOWN


def test_policy_checks_declare_the_users_section_they_read():
    # Judging exclusions reads `users` (UPNs of excluded users, break-glass matched by UPN), so
    # `auditor permissions` must list these checks under User.Read.All too.
    for check_id in ("MFA-1", "MFA-2", "MFA-3", "MFA-5"):
        assert "users" in REGISTRY.get(check_id).sections, check_id
