"""DEF-4: administrators must use a managed device (checks/defender.py)."""

from auditor.evaluate import run_check
from auditor.registry import CheckContext, CheckSettings, Registry
from auditor.results import Status
from checks.privileged import GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLES
from tests.builders import NOW, forbidden, make_snapshot
from tests.identity_fixtures import (
    ADMIN_GROUP,
    ALEX,
    BIANCA,
    BREAK_GLASS,
    EXCHANGE_ADMIN,
    MEGAN,
    SECURITY_ADMIN,
    assignment,
    ca_policy,
    eligibility,
    group_principal,
    member,
    principal,
    security_defaults,
    upn,
    user,
)

REGISTRY = Registry.from_modules("checks.defender")
CTX = CheckContext(now=NOW)
ASSIGNMENTS = [assignment(GLOBAL_ADMINISTRATOR, principal(MEGAN), 1), assignment(EXCHANGE_ADMIN, principal(ALEX), 2)]


def run(snapshot, ctx=CTX):
    return run_check(REGISTRY.get("DEF-4"), snapshot, ctx)


def device_policy(roles=(GLOBAL_ADMINISTRATOR, EXCHANGE_ADMIN), **kwargs):
    kwargs.setdefault("controls", ["compliantDevice"])
    return ca_policy("Admins on compliant devices", include_roles=list(roles), **kwargs)


def test_def4_pass_with_compliant_device_for_roles_held():
    result = run(make_snapshot(conditional_access_policies=[device_policy()], role_assignments=ASSIGNMENTS))
    assert result.status is Status.PASS
    rows = {row["role"]: row for row in result.evidence}
    assert rows["Global Administrator"]["covered_by"] == "Admins on compliant devices"


def test_def4_pass_with_mfa_and_compliant_device():
    policy = device_policy(controls=["mfa", "compliantDevice"], operator="AND")
    assert run(make_snapshot(conditional_access_policies=[policy], role_assignments=ASSIGNMENTS)).status is Status.PASS


def test_def4_pass_with_compliant_or_domain_joined_for_all_users_without_role_data():
    policy = ca_policy(controls=["compliantDevice", "domainJoinedDevice"], operator="OR", exclude_users=[BREAK_GLASS])
    snapshot = make_snapshot(conditional_access_policies=[policy], role_assignments=forbidden("RoleManagement.Read.Directory"))
    assert run(snapshot).status is Status.PASS


def test_def4_or_with_mfa_does_not_count():
    policy = device_policy(controls=["mfa", "compliantDevice"], operator="OR")
    result = run(make_snapshot(conditional_access_policies=[policy], role_assignments=ASSIGNMENTS))
    assert result.status is Status.FAIL
    assert {row["status"] for row in result.evidence if row["role"] in ("Global Administrator", "Exchange Administrator")} == {
        "held, NOT covered"}


def test_def4_fail_when_eligible_role_left_out():
    snapshot = make_snapshot(conditional_access_policies=[device_policy()], role_assignments=ASSIGNMENTS,
                             role_eligibility_schedules=[eligibility(SECURITY_ADMIN, principal(BIANCA))])
    result = run(snapshot)
    assert result.status is Status.FAIL
    assert "Security Administrator" in result.summary


def test_def4_fail_when_group_held_role_left_out():
    snapshot = make_snapshot(conditional_access_policies=[device_policy()],
                             role_assignments=ASSIGNMENTS + [assignment(SECURITY_ADMIN, group_principal(), 3)],
                             group_members={ADMIN_GROUP: [member(BIANCA)]})
    assert run(snapshot).status is Status.FAIL


def test_def4_fail_report_only_and_security_defaults_do_not_count():
    policy = device_policy(state="enabledForReportingButNotEnforced")
    result = run(make_snapshot(security_defaults=security_defaults(True), conditional_access_policies=[policy],
                               role_assignments=ASSIGNMENTS))
    assert result.status is Status.FAIL
    assert "report-only" in result.summary


def test_def4_undeclared_excluded_user_disqualifies():
    ctx = CheckContext(now=NOW, settings=CheckSettings(break_glass_accounts=(upn(BREAK_GLASS),)))
    snapshot = make_snapshot(conditional_access_policies=[device_policy(exclude_users=[ALEX])],
                             role_assignments=ASSIGNMENTS, users=[user(ALEX), user(MEGAN)])
    assert run(snapshot, ctx).status is Status.FAIL


def test_def4_all_privileged_roles_included_passes_without_role_data():
    snapshot = make_snapshot(conditional_access_policies=[device_policy(roles=PRIVILEGED_ROLES)], role_assignments=forbidden())
    assert run(snapshot).status is Status.PASS


def test_def4_unknown_when_ca_unreadable():
    result = run(make_snapshot(conditional_access_policies=forbidden("Policy.Read.All"), role_assignments=ASSIGNMENTS))
    assert result.status is Status.UNKNOWN
    assert "Policy.Read.All" in result.summary


def test_def4_unknown_when_roles_unreadable_and_policy_partial():
    snapshot = make_snapshot(conditional_access_policies=[device_policy()], role_assignments=forbidden())
    assert run(snapshot).status is Status.UNKNOWN


def test_def4_unknown_when_an_uncovered_role_is_held_only_by_a_holder_of_unknown_type():
    null = {"id": "a-9", "principalId": "77d4c5f2-0000-4000-8000-0000000000aa", "directoryScopeId": "/",
            "roleDefinitionId": SECURITY_ADMIN, "principal": None}
    result = run(make_snapshot(conditional_access_policies=[device_policy()], role_assignments=ASSIGNMENTS + [null]))
    assert result.status is Status.UNKNOWN
    assert "77d4c5f2-0000-4000-8000-0000000000aa" in result.summary


def test_def4_one_policy_per_role_is_a_union():
    policies = [device_policy(roles=[GLOBAL_ADMINISTRATOR], policy_id="p-ga"),
                {**device_policy(roles=[EXCHANGE_ADMIN], policy_id="p-ex"), "displayName": "Exchange admins"}]
    result = run(make_snapshot(conditional_access_policies=policies, role_assignments=ASSIGNMENTS))
    assert result.status is Status.PASS
    rows = {row["role"]: row["covered_by"] for row in result.evidence}
    assert rows["Exchange Administrator"] == "Exchange admins"
