"""The shared Conditional Access terms and privileged-role holders (checks/conditional_access.py,
checks/privileged.py)."""

import json
from pathlib import Path

import pytest

from auditor.registry import CheckContext, CheckSettings
from checks.conditional_access import (
    BUILT_IN_STRENGTHS,
    PHISHING_RESISTANT_STRENGTH,
    covers_roles,
    grant_blocks,
    grant_is_phishing_resistant,
    grant_requires_compliant_device,
    grant_requires_mfa,
    policy_counts,
    strength_is_mfa,
)
from checks.privileged import (
    GLOBAL_ADMINISTRATOR,
    HYBRID_IDENTITY_ADMINISTRATOR,
    PRIVILEGED_ROLES,
    AssignmentKind,
    PrincipalKind,
    privileged_holders,
    privileged_roles_held,
    privileged_users,
)
from tests.builders import NOW, forbidden, make_snapshot, not_licensed
from tests.identity_fixtures import (
    ADMIN_GROUP,
    ALEX,
    BIANCA,
    BREAK_GLASS,
    EXCHANGE_ADMIN,
    GLOBAL_READER,
    MEGAN,
    SECURITY_ADMIN,
    assignment,
    ca_policy,
    custom_strength,
    eligibility,
    group_principal,
    member,
    partner_principal,
    principal,
    sp_principal,
    strength_ref,
    upn,
    user,
)

EXAMPLES = Path("/work/shared/graph-examples")
CTX = CheckContext(now=NOW)
STRENGTHS = dict(BUILT_IN_STRENGTHS)


# --- counts -------------------------------------------------------------------------------------------------

def test_enabled_all_apps_policy_counts():
    assert policy_counts(ca_policy(), CTX).counts


def test_report_only_policy_does_not_count():
    scope = policy_counts(ca_policy(state="enabledForReportingButNotEnforced"), CTX)
    assert not scope.counts and "report-only" in scope.reasons


def test_disabled_policy_does_not_count():
    assert not policy_counts(ca_policy(state="disabled"), CTX).counts


def test_excluded_group_disqualifies_and_is_named():
    scope = policy_counts(ca_policy(exclude_groups=["a1b2c3d4-0000-4000-8000-000000000001"]), CTX)
    assert not scope.counts
    assert "group a1b2c3d4-0000-4000-8000-000000000001" in scope.exclusions


def test_excluded_role_disqualifies():
    assert not policy_counts(ca_policy(exclude_roles=[GLOBAL_ADMINISTRATOR]), CTX).counts


def test_excluded_guests_disqualify():
    assert not policy_counts(ca_policy(exclude_users=["GuestsOrExternalUsers"]), CTX).counts


def test_two_excluded_users_allowed_three_disqualify():
    assert policy_counts(ca_policy(exclude_users=[BREAK_GLASS, ALEX]), CTX).counts
    scope = policy_counts(ca_policy(exclude_users=[BREAK_GLASS, ALEX, BIANCA]), CTX)
    assert not scope.counts and any("3 users" in r for r in scope.reasons)


def test_declared_break_glass_must_be_the_excluded_users():
    ctx = CheckContext(now=NOW, settings=CheckSettings(break_glass_accounts=(upn(BREAK_GLASS),)))
    users = {BREAK_GLASS: user(BREAK_GLASS), ALEX: user(ALEX)}
    assert policy_counts(ca_policy(exclude_users=[BREAK_GLASS]), ctx, users_by_id=users).counts
    scope = policy_counts(ca_policy(exclude_users=[BREAK_GLASS, ALEX]), ctx, users_by_id=users)
    assert not scope.counts
    assert any(upn(ALEX) in r for r in scope.reasons)


@pytest.mark.parametrize("narrowing", [
    {"signInRiskLevels": ["high"]},
    {"userRiskLevels": ["high"]},
    {"locations": {"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}},
    {"platforms": {"includePlatforms": ["android"], "excludePlatforms": []}},
    {"devices": {"deviceFilter": {"mode": "exclude", "rule": "device.isCompliant -eq True"}}},
    {"clientAppTypes": ["browser", "mobileAppsAndDesktopClients"]},
])
def test_narrowing_conditions_disqualify(narrowing):
    assert not policy_counts(ca_policy(**narrowing), CTX).counts


def test_all_locations_without_exclusions_is_not_narrowing():
    assert policy_counts(ca_policy(locations={"includeLocations": ["All"], "excludeLocations": []}), CTX).counts


def test_client_app_types_allowed_for_legacy_auth_rule():
    policy = ca_policy(client_app_types=["exchangeActiveSync", "other"], controls=["block"])
    assert not policy_counts(policy, CTX).counts
    assert policy_counts(policy, CTX, allow_client_app_types=True).counts


def test_excluded_apps_disqualify():
    assert not policy_counts(ca_policy(exclude_apps=["00000002-0000-0ff1-ce00-000000000000"]), CTX).counts


def test_docs_example_policy_does_not_count():
    policy = json.loads((EXAMPLES / "ca_policy_get.json").read_text())
    scope = policy_counts(policy, CTX)
    assert not scope.counts
    assert "state disabled" in scope.reasons
    assert "guests or external users" in scope.exclusions


# --- grants -------------------------------------------------------------------------------------------------

def test_mfa_alone_requires_mfa():
    assert grant_requires_mfa(ca_policy(controls=["mfa"]), STRENGTHS) is True


def test_mfa_or_compliant_device_counts_only_with_allow_device():
    policy = ca_policy(controls=["mfa", "compliantDevice"], operator="OR")
    assert grant_requires_mfa(policy, STRENGTHS, allow_device=True) is True
    assert grant_requires_mfa(policy, STRENGTHS, allow_device=False) is False


def test_mfa_or_approved_app_never_counts():
    policy = ca_policy(controls=["mfa", "approvedApplication"], operator="OR")
    assert grant_requires_mfa(policy, STRENGTHS, allow_device=True) is False


def test_mfa_and_compliant_device_requires_mfa():
    assert grant_requires_mfa(ca_policy(controls=["mfa", "compliantDevice"], operator="AND"), STRENGTHS) is True


def test_builtin_strength_by_id_requires_mfa_without_strength_section():
    policy = ca_policy(controls=[], strength=strength_ref("00000000-0000-0000-0000-000000000002"))
    assert grant_requires_mfa(policy, STRENGTHS) is True


def test_password_only_custom_strength_is_not_mfa():
    weak = custom_strength("5f3e2a1b-0000-4000-8000-00000000aaaa", "Strong sign-in", ["password"], satisfied="none")
    assert not strength_is_mfa(weak)
    assert grant_requires_mfa(ca_policy(controls=[], strength=weak), STRENGTHS) is False


def test_custom_strength_mixing_single_factor_is_not_mfa():
    mixed = custom_strength("5f3e2a1b-0000-4000-8000-00000000bbbb", "MFA", ["fido2", "sms"])
    assert not strength_is_mfa(mixed)


def test_unresolved_custom_strength_is_undecidable():
    policy = ca_policy(controls=[], strength=strength_ref("5f3e2a1b-0000-4000-8000-00000000cccc", "Admins"))
    assert grant_requires_mfa(policy, STRENGTHS) is None
    assert grant_is_phishing_resistant(policy, STRENGTHS) is None


def test_phishing_resistant_builtin_and_custom():
    builtin = ca_policy(controls=[], strength=strength_ref(PHISHING_RESISTANT_STRENGTH))
    assert grant_is_phishing_resistant(builtin, STRENGTHS) is True
    custom = custom_strength("5f3e2a1b-0000-4000-8000-00000000dddd", "Keys only", ["fido2", "windowsHelloForBusiness"])
    assert grant_is_phishing_resistant(ca_policy(controls=[], strength=custom), STRENGTHS) is True


def test_phishing_resistance_matched_by_id_not_display_name():
    impostor = custom_strength("5f3e2a1b-0000-4000-8000-00000000eeee", "Phishing-resistant MFA",
                               ["fido2", "password,microsoftAuthenticatorPush"])
    assert grant_is_phishing_resistant(ca_policy(controls=[], strength=impostor), STRENGTHS) is False
    # The passwordless built-in allows deviceBasedPush: not phishing-resistant.
    passwordless = ca_policy(controls=[], strength=strength_ref("00000000-0000-0000-0000-000000000003",
                                                                "Phishing-resistant MFA"))
    assert grant_is_phishing_resistant(passwordless, STRENGTHS) is False


def test_strength_resolved_from_section_by_id():
    custom = custom_strength("5f3e2a1b-0000-4000-8000-00000000ffff", "Admin keys", ["fido2"])
    policy = ca_policy(controls=[], strength=strength_ref(custom["id"]))
    assert grant_is_phishing_resistant(policy, {**STRENGTHS, custom["id"]: custom}) is True


def test_phishing_resistant_strength_optional_with_or_does_not_count():
    policy = ca_policy(controls=["compliantDevice"], operator="OR", strength=strength_ref(PHISHING_RESISTANT_STRENGTH))
    assert grant_is_phishing_resistant(policy, STRENGTHS) is False


def test_compliant_device_grants():
    assert grant_requires_compliant_device(ca_policy(controls=["compliantDevice"]))
    assert grant_requires_compliant_device(ca_policy(controls=["compliantDevice", "mfa"], operator="AND"))
    assert grant_requires_compliant_device(ca_policy(controls=["compliantDevice", "domainJoinedDevice"]))
    assert not grant_requires_compliant_device(ca_policy(controls=["compliantDevice", "mfa"], operator="OR"))
    assert not grant_requires_compliant_device(ca_policy(controls=["mfa"]))


def test_block_and_mfa_are_different():
    assert grant_blocks(ca_policy(controls=["block"]))
    assert not grant_blocks(ca_policy(controls=["mfa"]))


def test_covers_roles():
    roles_policy = ca_policy(include_roles=[GLOBAL_ADMINISTRATOR, SECURITY_ADMIN])
    assert covers_roles(roles_policy, [GLOBAL_ADMINISTRATOR])
    assert not covers_roles(roles_policy, [GLOBAL_ADMINISTRATOR, EXCHANGE_ADMIN])
    assert covers_roles(ca_policy(), [EXCHANGE_ADMIN])


# --- privileged holders ---------------------------------------------------------------------------------------

def test_role_ids_are_the_sixteen_builtin_templates():
    assert len(PRIVILEGED_ROLES) == 16
    assert PRIVILEGED_ROLES[GLOBAL_ADMINISTRATOR] == "Global Administrator"
    assert PRIVILEGED_ROLES[HYBRID_IDENTITY_ADMINISTRATOR] == "Hybrid Identity Administrator"
    assert GLOBAL_READER not in PRIVILEGED_ROLES


def test_docs_example_assignments_are_read():
    body = json.loads((EXAMPLES / "role_assignments_global_admin_expand_principal.json").read_text())
    holders = privileged_holders(make_snapshot(role_assignments=body["value"]))
    assert {h.display_name for h in holders.holders} == {"Joey Cruz", "Kalyan Krishna", "Markie Downing"}
    assert all(h.kind is PrincipalKind.USER for h in holders.holders)


def test_eligible_and_group_holders_and_partner_kept_apart():
    snapshot = make_snapshot(
        role_assignments=[
            assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN)),
            assignment(EXCHANGE_ADMIN, group_principal(), 2),
            assignment(GLOBAL_ADMINISTRATOR, partner_principal(), 3),
            assignment(SECURITY_ADMIN, sp_principal(), 4),
            assignment(GLOBAL_READER, principal(BIANCA), 5),
        ],
        role_eligibility_schedules=[eligibility(GLOBAL_ADMINISTRATOR, principal(ALEX))],
        group_members={ADMIN_GROUP: [member(BIANCA)]},
        users=[user(MEGAN), user(ALEX), user(BIANCA)],
    )
    holders = privileged_holders(snapshot)
    assert holders.eligibility_read
    assert {(h.principal_id, h.assignment, h.via_group) for h in holders.users()} == {
        (MEGAN, AssignmentKind.ACTIVE, ""),
        (ALEX, AssignmentKind.ELIGIBLE, ""),
        (BIANCA, AssignmentKind.ACTIVE, "Tier 0 Admins"),
    }
    # Security Administrator is held only by a service principal: not a role held by people.
    assert holders.roles_held() == {GLOBAL_ADMINISTRATOR, EXCHANGE_ADMIN}
    assert {u.id for u in privileged_users(snapshot, holders)} == {MEGAN, ALEX, BIANCA}


def test_unreadable_eligibility_and_group_members_are_reported():
    snapshot = make_snapshot(
        role_assignments=[assignment(EXCHANGE_ADMIN, group_principal())],
        role_eligibility_schedules=forbidden("RoleEligibilitySchedule.Read.Directory"),
    )
    holders = privileged_holders(snapshot)
    assert not holders.eligibility_read
    assert "RoleEligibilitySchedule.Read.Directory" in holders.eligibility_note
    assert holders.unexpanded_groups == ("Tier 0 Admins",)
    assert privileged_roles_held(snapshot) == {EXCHANGE_ADMIN}


def test_not_licensed_eligibility_explains_no_pim():
    snapshot = make_snapshot(role_assignments=[], role_eligibility_schedules=not_licensed("Microsoft Entra ID P2"))
    assert "no eligible assignments exist" in privileged_holders(snapshot).eligibility_note


def test_revoked_eligibility_is_ignored():
    snapshot = make_snapshot(role_assignments=[],
                             role_eligibility_schedules=[eligibility(GLOBAL_ADMINISTRATOR, principal(ALEX), "Revoked")])
    assert privileged_holders(snapshot).holders == ()
