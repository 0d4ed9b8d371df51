"""Risk-based Conditional Access and risky users, wave 2 (area `contacts`): CON-5 of CHECKLIST.md,
"Rules version 3" > "Wave 2".

Policies are judged with the shared Conditional Access terms (checks/conditional_access.py): a policy counts
as for the MFA rules, except that the risk condition the requirement is about does not narrow it.
"""

from __future__ import annotations

from typing import Any, Mapping

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Evidence, Status
from auditor.snapshot import SectionStatus, TenantSnapshot
from checks.conditional_access import (
    POLICY_SECTIONS,
    PolicyAssessment,
    Strengths,
    assess_policies,
    grant_blocks,
    grant_requires_mfa,
)
from checks.privileged import section_note

RISK_POLICIES_REF = "https://learn.microsoft.com/entra/id-protection/howto-identity-protection-configure-risk-policies"
RISKY_USERS_REF = "https://learn.microsoft.com/graph/api/riskyuser-list"
RETIREMENT_REF = "https://learn.microsoft.com/entra/id-protection/concept-identity-protection-policies"

ENTRA_P2 = "Microsoft Entra ID P2"
# riskyUser.riskState values that mean the risk is still there (remediated, dismissed and atRisk-free
# states such as confirmedSafe are not).
OPEN_RISK_STATES = frozenset({"atrisk", "confirmedcompromised"})
# Sections whose "not licensed" answer shows the tenant has no Entra ID P2 (PIM needs P2 or Entra ID Governance).
P2_SIGNALS = ("risky_users", "role_eligibility_schedules", "role_assignment_schedule_instances")


def _levels(policy: Mapping[str, Any], key: str) -> set[str]:
    value = (policy.get("conditions") or {}).get(key) or []
    return {str(v).lower() for v in ([value] if isinstance(value, str) else value)}


def _mandatory_password_change(policy: Mapping[str, Any]) -> bool:
    """`passwordChange` must be satisfied: with operator AND (Microsoft's template pairs it with `mfa`) or alone."""
    grant = policy.get("grantControls") or {}
    controls = list(grant.get("builtInControls") or [])
    if "passwordChange" not in controls:
        return False
    others = len(controls) - 1 + len(grant.get("customAuthenticationFactors") or []) + len(grant.get("termsOfUse") or [])
    return str(grant.get("operator") or "OR").upper() == "AND" or others == 0


def user_risk_grant(policy: Mapping[str, Any], strengths: Strengths) -> bool | None:
    """High user risk is answered: the policy's userRiskLevels include high and it blocks or requires a
    password change."""
    if "high" not in _levels(policy, "userRiskLevels"):
        return False
    return grant_blocks(policy) or _mandatory_password_change(policy)


def sign_in_risk_grant(policy: Mapping[str, Any], strengths: Strengths) -> bool | None:
    """High sign-in risk is answered: signInRiskLevels include high and it blocks or requires MFA (None when
    an authentication strength cannot be resolved)."""
    if "high" not in _levels(policy, "signInRiskLevels"):
        return False
    return True if grant_blocks(policy) else grant_requires_mfa(policy, strengths)


def _judge(assessments: list[PolicyAssessment], label: str) -> tuple[str, Evidence]:
    """("met" | "undecided" | "missing", evidence row) for one of the two policy requirements."""
    met = [a.name for a in assessments if a.qualifies and a.all_users]
    undecided = [a.name for a in assessments if a.undecidable and a.all_users]
    near = [f"{a.name} ({'; '.join(a.scope.reasons) or 'not all users'})" for a in assessments
            if a.grant is not False and not (a.qualifies and a.all_users)]
    verdict = "met" if met else "undecided" if undecided else "missing"
    row = {"finding": label, "name": ", ".join(met or undecided) or "(no policy)",
           "detail": ("met" if met else "strength could not be resolved" if undecided else "no counting all-users policy")
           + (f"; do not count: {'; '.join(near)}" if near else "")}
    return verdict, row


def _no_p2(snapshot: TenantSnapshot) -> str | None:
    for name in P2_SIGNALS:
        if snapshot.section(name).status is SectionStatus.NOT_LICENSED:
            return name
    return None


@check(
    id="CON-5",
    title="Risk-based Conditional Access is on and no high-risk user is left",
    action="Turn on risk-based Conditional Access and clear high-risk users",
    fix=(
        "Create the Conditional Access policies \"Require password change for high-risk users\" and "
        "\"Require multifactor authentication for risky sign-ins\" from Microsoft's templates, then "
        "remediate each high-risk user."
    ),
    effort="medium",
    area="contacts",
    severity="medium",
    applies_to=["customer", "partner"],
    needs=["conditional_access_policies"],
    reads=["risky_users", "role_eligibility_schedules", "role_assignment_schedule_instances", *POLICY_SECTIONS],
    references=[RISK_POLICIES_REF, RISKY_USERS_REF, RETIREMENT_REF],
    remediation="""
        Create two Conditional Access policies for all users (Microsoft Entra admin center > Protection >
        Conditional Access > Create new policy from templates): "Require password change for high-risk users"
        (user risk High, grant: require MFA and password change) and "Require multifactor authentication for
        risky sign-ins" (sign-in risk High, grant: require MFA), excluding only the break-glass accounts, and
        turn them On. The legacy Identity Protection user-risk and sign-in-risk policies are retired and do
        not count. Then open Protection > Identity Protection > Risky users and remediate every high-risk
        user in the evidence (reset the password, revoke sessions, or confirm compromised and investigate).
    """,
    wave=2,
)
def risk_based_access(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Risky users and risky sign-ins are answered automatically, and no user is left at high risk.

    Entra ID Protection scores leaked credentials, password spray and impossible travel as user and sign-in
    risk. Without risk-based policies that score changes nothing: a user whose password is on a paste site
    keeps signing in. A high-risk user left unremediated is likely a compromised account.

    Decisions: two enabled all-users policies must count (the MFA rules' "counts", except that the policy's
    own risk condition does not narrow it; any other risk condition does): one whose `userRiskLevels` include
    high and whose grant blocks or makes `passwordChange` mandatory, and one whose `signInRiskLevels` include
    high and whose grant blocks or requires MFA (as in MFA-2: not as one option among others). Security
    defaults and the legacy Identity Protection risk policies (retired October 2026) do not count. Risky
    users are read filtered to `riskLevel` high; one whose `riskState` is atRisk or confirmedCompromised
    FAILs, unless `isDeleted` (listed, not judged). Without Entra ID P2 (risky users, or PIM, refused as not
    licensed) risk conditions cannot be used: NOT_APPLICABLE. Risky users unreadable for another reason:
    UNKNOWN unless the policies already FAIL.
    """
    no_p2 = _no_p2(snapshot)
    if no_p2 is not None:
        return Outcome(Status.NOT_APPLICABLE, f"Risk-based Conditional Access and risky users need {ENTRA_P2}, which "
                                              f"the tenant does not have ({no_p2} refused as not licensed).")
    user_risk, user_row = _judge(assess_policies(snapshot, ctx, user_risk_grant, allow_risk="userRiskLevels"),
                                 "user-risk policy (high: password change or block)")
    sign_in_risk, sign_in_row = _judge(
        assess_policies(snapshot, ctx, sign_in_risk_grant, allow_risk="signInRiskLevels"),
        "sign-in-risk policy (high: MFA or block)")
    rows: list[Evidence] = [user_row, sign_in_row]
    risky = snapshot.section("risky_users")
    open_users: list[str] = []
    for user in risky.data or [] if risky.ok else []:  # type: ignore[union-attr]
        if str(user.get("riskLevel") or "").lower() != "high" or str(user.get("riskState") or "").lower() not in OPEN_RISK_STATES:
            continue
        name = str(user.get("userPrincipalName") or user.get("userDisplayName") or user.get("id") or "")
        deleted = bool(user.get("isDeleted"))
        rows.append({"finding": "high-risk user" + (" (deleted account: listed, not judged)" if deleted else ""),
                     "name": name, "detail": f"riskState {user.get('riskState')}, riskDetail {user.get('riskDetail') or '-'}, "
                                             f"updated {user.get('riskLastUpdatedDateTime') or '-'}"})
        if not deleted:
            open_users.append(name)
    missing = [label for label, verdict in (("user-risk", user_risk), ("sign-in-risk", sign_in_risk)) if verdict == "missing"]
    problems = []
    if missing:
        problems.append(f"no counting all-users {' or '.join(missing)} policy")
    if open_users:
        problems.append(f"{len(open_users)} high-risk user(s) not remediated: {', '.join(open_users)}")
    if problems:
        text = "; ".join(problems)
        return Outcome(Status.FAIL, text[0].upper() + text[1:] + ".", rows)
    if not risky.ok:
        return Outcome(Status.UNKNOWN, f"Risk-based policies are on, but risky users could not be read: "
                                       f"{section_note(snapshot, 'risky_users')}.", rows)
    if "undecided" in (user_risk, sign_in_risk):
        return Outcome(Status.UNKNOWN, "A risk-based policy uses an authentication strength that could not be "
                                       f"resolved ({section_note(snapshot, 'authentication_strength_policies')}).", rows)
    return Outcome(Status.PASS, "User-risk and sign-in-risk policies cover all users and no high-risk user is left.", rows)
