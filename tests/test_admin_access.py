"""ADM-5 (privileged accounts signed in recently) and ADM-7 (no standing Global Administrator), from the
documented shapes: users_signin_activity.json and pim_role_assignment_schedule_instances.json."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import timedelta

from auditor.evaluate import run_check
from auditor.registry import CheckContext, CheckSettings, Registry
from auditor.results import Status
from tests.builders import NOW, forbidden, make_snapshot, not_licensed

REGISTRY = Registry.from_modules("checks.admin_access")
CTX = CheckContext(now=NOW)
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"

# The two users of users_signin_activity.json and the two GA principals of the PIM instances example.
ADELE = "1aecaf40-dc3a-461f-88a8-d06994e12898"
ALEX = "f0662ee5-84b1-43d6-8338-769cce1bc141"
BREAK_GLASS = "6be4b305-b75e-4efc-bfcc-31bd3b53a5f8"
OTHER = "56f2d212-e49c-42e3-8298-0188e5bef094"
GROUP = "7f3a1b2c-9d8e-4f60-a1b2-c3d4e5f60718"
NAMES = {ADELE: ("Adele Vance", "AdeleV@contoso.com"), ALEX: ("Alex Wilber", "AlexW@contoso.com"),
         BREAK_GLASS: ("Emergency Access 01", "emergency01@contoso.onmicrosoft.com"),
         OTHER: ("Megan Bowen", "MeganB@contoso.com")}


def user(uid: str) -> dict:
    name, upn = NAMES[uid]
    return {"id": uid, "displayName": name, "userPrincipalName": upn, "givenName": name.split()[0],
            "surname": name.split()[-1], "userType": "Member", "accountEnabled": True}


def principal(uid: str) -> dict:
    return {"@odata.type": "#microsoft.graph.user", **{k: v for k, v in user(uid).items() if k != "givenName"}}


def assignment(uid: str, role: str = GLOBAL_ADMIN, index: int = 0, expanded: dict | None = None) -> dict:
    return {"id": f"lAPpYvVpN0KRkAEhdxReEAWz5Gtet_xOv8wxvTtTpf{index}-1", "principalId": uid,
            "roleDefinitionId": role, "directoryScopeId": "/", "principal": expanded or principal(uid)}


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def activity(uid: str, last: str | None, non_interactive: str = "0001-01-01T00:00:00Z", created: str = "2020-01-01T00:00:00Z",
             **extra: object) -> dict:
    """One /users/{id}?$select=id,createdDateTime,signInActivity answer (signInActivity as the docs show it)."""
    value = None if last is None else {
        "lastSignInDateTime": last, "lastSignInRequestId": "d4d31c40-4c36-4775-ad59-7d1e6a171f00",
        "lastNonInteractiveSignInDateTime": non_interactive, "lastNonInteractiveSignInRequestId": "", **extra}
    return {"id": uid, "createdDateTime": created, "signInActivity": value}


def tenant(uids=(ADELE, ALEX), activities=None, **sections):
    base = dict(role_assignments=[assignment(u, index=i) for i, u in enumerate(uids)],
                users=[user(u) for u in uids])
    if activities is not None:
        base["sign_in_activity"] = activities
    base.update(sections)
    return make_snapshot(**base)


def run(check_id, snapshot, ctx=CTX):
    return run_check(REGISTRY.get(check_id), snapshot, ctx)


# --- ADM-5 ---------------------------------------------------------------------------------------------

def test_adm5_passes_when_every_admin_signed_in_within_90_days():
    result = run("ADM-5", tenant(activities={ADELE: activity(ADELE, ago(3)), ALEX: activity(ALEX, ago(80))}))
    assert result.status is Status.PASS, result.summary


def test_adm5_fails_for_the_documented_2021_sign_ins_and_names_the_users():
    # users_signin_activity.json as documented: sign-ins in 2021, non-interactive "0001-01-01" for Adele.
    documented = {ADELE: activity(ADELE, "2021-06-17T16:41:33Z"),
                  ALEX: activity(ALEX, "2021-07-29T15:53:27Z", "2021-07-29T17:53:42Z")}
    result = run("ADM-5", tenant(activities=documented))
    assert result.status is Status.FAIL
    assert {row["userPrincipalName"] for row in result.evidence} == {"AdeleV@contoso.com", "AlexW@contoso.com"}
    adele = next(r for r in result.evidence if r["user"] == "Adele Vance")
    assert adele["last_sign_in"].startswith("2021-06-17")


def test_adm5_uses_the_later_of_interactive_and_non_interactive():
    result = run("ADM-5", tenant(activities={ADELE: activity(ADELE, ago(200), ago(2)), ALEX: activity(ALEX, ago(1))}))
    assert result.status is Status.PASS


def test_adm5_last_successful_sign_in_decides_where_graph_returns_it():
    # a recent failed attempt (lastSignInDateTime) does not make an unused account active
    stale = activity(ADELE, ago(1), ago(1), lastSuccessfulSignInDateTime=ago(150))
    result = run("ADM-5", tenant(activities={ADELE: stale, ALEX: activity(ALEX, ago(1))}))
    assert result.status is Status.FAIL
    assert [r["user"] for r in result.evidence] == ["Adele Vance"]
    assert "lastSuccessfulSignInDateTime" in result.evidence[0]["finding"]


def test_adm5_null_activity_and_placeholder_mean_never():
    for record in (activity(ADELE, None), activity(ADELE, "0001-01-01T00:00:00Z"),
                   activity(ADELE, ago(1), lastSuccessfulSignInDateTime=None)):
        result = run("ADM-5", tenant(activities={ADELE: record, ALEX: activity(ALEX, ago(1))}))
        assert result.status is Status.FAIL, record
        assert result.evidence[0]["last_sign_in"] == "never"


def test_adm5_new_account_is_not_stale():
    new = activity(ADELE, None, created=ago(10))
    result = run("ADM-5", tenant(activities={ADELE: new, ALEX: activity(ALEX, ago(1))}))
    assert result.status is Status.PASS
    assert "new, not stale" in result.evidence[0]["finding"]


def test_adm5_break_glass_is_listed_not_judged():
    ctx = CheckContext(now=NOW, settings=CheckSettings(break_glass_accounts=("AdeleV@contoso.com",)))
    result = run("ADM-5", tenant(activities={ADELE: activity(ADELE, ago(300)), ALEX: activity(ALEX, ago(1))}), ctx)
    assert result.status is Status.PASS
    assert "break-glass" in result.evidence[0]["finding"]


def test_adm5_window_is_configurable():
    ctx = CheckContext(now=NOW, settings=CheckSettings(admin_sign_in_days=30))
    records = {ADELE: activity(ADELE, ago(40)), ALEX: activity(ALEX, ago(1))}
    assert run("ADM-5", tenant(activities=records)).status is Status.PASS
    assert run("ADM-5", tenant(activities=records), ctx).status is Status.FAIL


def test_adm5_without_p1_is_unknown_naming_the_licence_never_fail():
    result = run("ADM-5", tenant(activities=not_licensed("Microsoft Entra ID P1")))
    assert result.status is Status.UNKNOWN
    assert "Microsoft Entra ID P1" in result.summary


def test_adm5_unknown_when_an_admin_was_not_collected_or_section_unreadable():
    assert run("ADM-5", tenant(activities={ADELE: activity(ADELE, ago(1))})).status is Status.UNKNOWN
    assert run("ADM-5", tenant(activities=forbidden("AuditLog.Read.All"))).status is Status.UNKNOWN
    assert run("ADM-5", tenant(activities={}, role_assignments=forbidden("RoleManagement.Read.Directory"))).status is Status.UNKNOWN


def test_adm5_non_privileged_role_holders_are_not_judged():
    snapshot = tenant(uids=(ADELE,), activities={ADELE: activity(ADELE, ago(1))},
                      role_assignments=[assignment(ADELE), assignment(ALEX, READER, 9)],  # Alex: Global Reader only
                      users=[user(ADELE), user(ALEX)])
    assert run("ADM-5", snapshot).status is Status.PASS


# --- ADM-7 ---------------------------------------------------------------------------------------------

# pim_role_assignment_schedule_instances.json: two permanent Global Administrator instances.
DOCUMENTED_INSTANCES = [
    {"id": "lAPpYvVpN0KRkAEhdxReEAWz5Gtet_xOv8wxvTtTpfg-1", "principalId": BREAK_GLASS,
     "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/", "startDateTime": None, "endDateTime": None,
     "assignmentType": "Assigned", "memberType": "Direct"},
    {"id": "lAPpYvVpN0KRkAEhdxReEBLS8lac5ONCgpgBiOW-8JQ-1", "principalId": OTHER,
     "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/", "startDateTime": None, "endDateTime": None,
     "assignmentType": "Assigned", "memberType": "Direct"},
]
DECLARED = CheckContext(now=NOW, settings=CheckSettings(break_glass_accounts=("emergency01@contoso.onmicrosoft.com",)))


def pim_tenant(instances, uids=(BREAK_GLASS, OTHER), **sections):
    return tenant(uids, role_assignment_schedule_instances=instances, **sections)


def instance(uid: str, index: int, **changes) -> dict:
    return {**copy.deepcopy(DOCUMENTED_INSTANCES[0]), "id": f"instance-{index}-1", "principalId": uid, **changes}


def test_adm7_documented_instances_fail_when_one_standing_ga_is_not_break_glass():
    result = run("ADM-7", pim_tenant(copy.deepcopy(DOCUMENTED_INSTANCES)), DECLARED)
    assert result.status is Status.FAIL
    rows = {r["userPrincipalName"]: r["finding"] for r in result.evidence}
    assert rows["MeganB@contoso.com"].startswith("standing access")
    assert rows["emergency01@contoso.onmicrosoft.com"] == "declared break-glass account"


def test_adm7_passes_when_the_others_hold_ga_through_pim_activation():
    activated = instance(OTHER, 2, assignmentType="Activated", startDateTime=ago(0.1),
                         endDateTime=(NOW + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    result = run("ADM-7", pim_tenant([DOCUMENTED_INSTANCES[0], activated]), DECLARED)
    assert result.status is Status.PASS, result.summary


def test_adm7_time_bound_active_assignment_is_not_standing():
    bounded = instance(OTHER, 2, endDateTime=(NOW + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert run("ADM-7", pim_tenant([DOCUMENTED_INSTANCES[0], bounded]), DECLARED).status is Status.PASS


def test_adm7_without_declared_break_glass_at_most_two_standing():
    two = copy.deepcopy(DOCUMENTED_INSTANCES)
    assert run("ADM-7", pim_tenant(two)).status is Status.PASS
    three = two + [instance(ADELE, 3)]
    result = run("ADM-7", pim_tenant(three, uids=(BREAK_GLASS, OTHER, ADELE)))
    assert result.status is Status.FAIL and "3 people" in result.summary


def test_adm7_group_holding_ga_permanently_makes_its_members_standing():
    group = {"@odata.type": "#microsoft.graph.group", "id": GROUP, "displayName": "Tier 0 admins", "isAssignableToRole": True}
    assignments = [assignment(BREAK_GLASS), assignment(GROUP, expanded=group)]
    members = {GROUP: [{"@odata.type": "#microsoft.graph.user", "id": ADELE, "displayName": "Adele Vance",
                        "userPrincipalName": "AdeleV@contoso.com", "userType": "Member"}]}
    instances = [DOCUMENTED_INSTANCES[0], instance(GROUP, 5)]
    result = run("ADM-7", pim_tenant(instances, role_assignments=assignments, group_members=members), DECLARED)
    assert result.status is Status.FAIL
    assert any("via group Tier 0 admins" in r["assignment"] for r in result.evidence)
    unread = run("ADM-7", pim_tenant(instances, role_assignments=assignments,
                                     group_members=forbidden("GroupMember.Read.All")), DECLARED)
    assert unread.status is Status.UNKNOWN and "Tier 0 admins" in unread.summary


def test_adm7_unknown_for_a_principal_of_unknown_kind_or_unreadable_instances():
    unknown = instance("0c6f6d1e-0000-4000-8000-2b440b9a5f3c", 7)
    result = run("ADM-7", pim_tenant([DOCUMENTED_INSTANCES[0], unknown]), DECLARED)
    assert result.status is Status.UNKNOWN and "0c6f6d1e-0000-4000-8000-2b440b9a5f3c" in result.summary
    assert run("ADM-7", pim_tenant(forbidden("RoleAssignmentSchedule.Read.Directory")), DECLARED).status is Status.UNKNOWN
    assert run("ADM-7", pim_tenant([]), DECLARED).status is Status.UNKNOWN


def test_adm7_service_principal_is_listed_not_judged():
    sp = {"@odata.type": "#microsoft.graph.servicePrincipal", "id": GROUP, "displayName": "Migration tool", "appId": "x"}
    assignments = [assignment(BREAK_GLASS), assignment(GROUP, expanded=sp)]
    result = run("ADM-7", pim_tenant([DOCUMENTED_INSTANCES[0], instance(GROUP, 8)], role_assignments=assignments), DECLARED)
    assert result.status is Status.PASS
    assert any("service principal" in r["finding"] for r in result.evidence)


def test_adm7_without_p2_is_not_applicable():
    result = run("ADM-7", pim_tenant(not_licensed("Microsoft Entra ID P2")), DECLARED)
    assert result.status is Status.NOT_APPLICABLE and "Microsoft Entra ID P2" in result.summary


def test_registry_marks_both_checks_wave_2():
    assert {REGISTRY.get(i).wave for i in ("ADM-5", "ADM-7")} == {2}
    assert replace(CheckSettings(), admin_sign_in_days=90) == CheckSettings()
