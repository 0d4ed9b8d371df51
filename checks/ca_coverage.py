"""Requirements several Conditional Access policies can meet together: the union of the policies that count
(CHECKLIST.md, rules version 3, "Combined effect of policies"), and the coverage of privileged roles MFA-2,
MFA-3 and DEF-4 judge with it. MFA-5 uses the same union over legacy client app types."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from auditor.registry import Outcome
from auditor.results import Status
from auditor.snapshot import TenantSnapshot
from checks.conditional_access import PolicyAssessment, near_misses
from checks.privileged import (
    PEOPLE_KINDS,
    PRIVILEGED_ROLES,
    PrincipalKind,
    no_role_holders_read,
    privileged_holders,
    section_note,
    unclassified_text,
)


# The client app types Conditional Access calls legacy authentication (Microsoft's "Block legacy
# authentication" template targets exactly these two).
LEGACY_CLIENT_TYPES = ("exchangeActiveSync", "other")


def client_app_types(policy: Mapping[str, Any]) -> list[str]:
    """A policy's `conditions.clientAppTypes` as Graph gives them; `["all"]` when none are given."""
    return (policy.get("conditions") or {}).get("clientAppTypes") or ["all"]


def legacy_types_targeted(policy: Mapping[str, Any]) -> set[str]:
    """The legacy client app types a policy applies to: both for `all` (or none given), else those listed."""
    types = {t.lower() for t in client_app_types(policy)}
    if "all" in types:
        return set(LEGACY_CLIENT_TYPES)
    return {t for t in LEGACY_CLIENT_TYPES if t.lower() in types}


def names_legacy_clients(policy: Mapping[str, Any]) -> bool:
    """The policy lists a legacy client app type by name (so it is about legacy authentication)."""
    return bool({t.lower() for t in client_app_types(policy)} & {t.lower() for t in LEGACY_CLIENT_TYPES})


def union_coverage(
    assessments: Iterable[PolicyAssessment],
    needed: Iterable[str],
    covers: Callable[[PolicyAssessment], Iterable[str]],
) -> dict[str, list[str]]:
    """For each needed item (a role template id, a client app type...), the names of the qualifying policies
    (counting, grant met) that cover it, by ``covers``. A requirement several policies can meet together is
    met when every item has a policy: their union is judged, never one policy alone (CHECKLIST.md, rules
    version 3, "Combined effect of policies"). Items no policy covers map to []."""
    covered: dict[str, list[str]] = {item: [] for item in needed}
    for assessment in assessments:
        if not assessment.qualifies:
            continue
        for item in covers(assessment):
            if item in covered and assessment.name not in covered[item]:
                covered[item].append(assessment.name)
    return covered



# --- coverage of privileged roles (MFA-2, MFA-3, DEF-4) ----------------------------------------------------

def judge_admin_coverage(snapshot: TenantSnapshot, assessments: list[PolicyAssessment], requirement: str) -> Outcome:
    """PASS when policies that count and meet the requirement cover every privileged role held (or all
    users); the evidence has one row per privileged role, including roles nobody holds that no policy
    covers (advisory, not scored).

    - Coverage is the union of qualifying policies (`union_coverage`): one policy per role is as good as one
      for all roles.
    - A qualifying all-users policy, or qualifying policies including all 16 privileged roles, PASS even
      when role assignments are unreadable (who holds what no longer matters); otherwise unreadable role
      assignments give UNKNOWN.
    - Roles left uncovered only because a policy's authentication strength could not be resolved give
      UNKNOWN rather than FAIL.
    - A role held only by holders of unknown kind (null or unexpanded principal), left uncovered, gives
      UNKNOWN naming their principal ids: such a holder may be a person, or a service principal no user
      policy applies to.
    - An empty role answer (no active and no eligible assignment) is UNKNOWN: every tenant has a Global
      Administrator, so the answer is taken as incomplete rather than as "no admins to protect".
    """
    qualifying = [a for a in assessments if a.qualifies]
    undecidable = [a for a in assessments if a.undecidable]
    all_users = [a.name for a in qualifying if a.all_users]
    covered_by = union_coverage(
        sorted(assessments, key=lambda a: not a.all_users),  # all-users policies named first
        PRIVILEGED_ROLES,
        lambda a: PRIVILEGED_ROLES.keys() if a.all_users else a.roles,
    )
    misses = near_misses(assessments)
    missed_text = f" Policies that meet the requirement but do not count: {misses}." if misses else ""

    roles_readable = snapshot.section("role_assignments").ok
    holders = privileged_holders(snapshot) if roles_readable else None
    held = holders.roles_held() if holders else set()
    maybe_held = (holders.roles_held_by_unclassified() - held) if holders else set()
    rows = []
    for role, name in sorted(PRIVILEGED_ROLES.items(), key=lambda item: item[1]):
        count = len({h.principal_id for h in holders.holders_of(role)
                     if h.kind in PEOPLE_KINDS or h.kind is PrincipalKind.UNKNOWN}) if holders else None
        covered = bool(covered_by[role])
        if holders is None:
            status = "covered" if covered else "not covered (holders unknown)"
        elif role in held:
            status = "held, covered" if covered else "held, NOT covered"
        elif role in maybe_held:
            status = "held by a holder of unknown type, covered" if covered else (
                "held by a holder of unknown type, not covered")
        else:
            status = "not held, covered" if covered else "not held, not covered (advisory)"
        rows.append({
            "role": name,
            "holders": "unknown" if count is None else count,
            "covered_by": ", ".join(covered_by[role]) or "-",
            "status": status,
        })
    order = {"held, NOT covered": 0, "not covered (holders unknown)": 0, "held by a holder of unknown type, not covered": 0}
    rows.sort(key=lambda row: order.get(row["status"], 1))

    if all_users:
        return Outcome(Status.PASS, f"Policy {', '.join(repr(n) for n in all_users)} covers all users and "
                                    f"{requirement}.{missed_text}", rows)
    if all(covered_by.values()):
        return Outcome(Status.PASS, f"Policies that count cover every privileged role and {requirement}.", rows)
    if holders is None:
        return Outcome(Status.UNKNOWN, f"Policies do not cover all privileged roles and who holds them is unknown: "
                                       f"{section_note(snapshot, 'role_assignments')}.{missed_text}", rows)
    empty = no_role_holders_read(snapshot)
    if empty:
        return Outcome(Status.UNKNOWN, f"Policies do not cover all privileged roles. {empty}", rows)
    eligibility = "" if holders.eligibility_complete else f" Eligible assignments not counted: {holders.eligibility_note}."
    uncovered = sorted(PRIVILEGED_ROLES[r] for r in held if not covered_by[r])
    uncovered_maybe = {r for r in maybe_held if not covered_by[r]}
    if uncovered:
        unresolved = [a.name for a in undecidable if a.all_users or a.roles & {r for r in held if not covered_by[r]}]
        if unresolved:
            return Outcome(Status.UNKNOWN, f"Privileged roles {', '.join(uncovered)} are covered only by policies "
                                           f"whose authentication strength could not be resolved "
                                           f"({', '.join(unresolved)}; "
                                           f"{section_note(snapshot, 'authentication_strength_policies')}).", rows)
        return Outcome(Status.FAIL, f"No policy that counts and {requirement} covers the privileged roles held: "
                                    f"{', '.join(uncovered)}.{missed_text}{eligibility}", rows)
    if uncovered_maybe:
        unknown = [h for h in holders.holders if h.kind is PrincipalKind.UNKNOWN and h.role_id in uncovered_maybe]
        names = ", ".join(sorted(PRIVILEGED_ROLES[r] for r in uncovered_maybe))
        return Outcome(Status.UNKNOWN, f"Every privileged role held by a known person is covered, but {names} "
                                       f"is held by {unclassified_text(unknown)} and no policy that counts and "
                                       f"{requirement} covers it.{eligibility}", rows)
    return Outcome(Status.PASS, f"Every privileged role held ({len(held)}) is covered by a policy that counts "
                                f"and {requirement}.{eligibility}", rows)
