"""Partner Center security requirements, wave 2 (area `contacts`): CON-4 of CHECKLIST.md, "Rules version 3" >
"Wave 2". Read from Graph beta `/security/partner/securityScore/requirements` in the partner tenant."""

from __future__ import annotations

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Evidence, Status
from auditor.snapshot import TenantSnapshot

REQUIREMENTS_REF = ("https://learn.microsoft.com/graph/api/partner-security-partnersecurityscore-list-requirements"
                    "?view=graph-rest-beta")
DASHBOARD_REF = "https://learn.microsoft.com/partner-center/security/security-requirements-dashboard"

# complianceStatus values (Graph beta "Partner security enum values"): compliant, noncomplaint (sic: that
# is the enum member's spelling), unknownFutureValue. The correct spelling is accepted too, should Microsoft
# fix the typo.
COMPLIANT = "compliant"
NONCOMPLIANT = frozenset({"noncomplaint", "noncompliant"})


@check(
    id="CON-4",
    title="Every Partner Center security requirement is compliant",
    action="Meet every Partner Center security requirement",
    fix=(
        "Open Partner Center > Security > Security requirements and fix each listed requirement with its "
        "action link."
    ),
    effort="medium",
    area="contacts",
    severity="high",
    applies_to=["partner"],
    needs=["partner_security_requirements"],
    references=[DASHBOARD_REF, REQUIREMENTS_REF],
    remediation="""
        Open Partner Center > Security > Security requirements (the security requirements dashboard) and fix
        each requirement in the evidence with its action link: set the Partner Center security contact,
        enforce MFA for every user of the partner tenant, respond to security alerts within 24 hours, and
        so on. The score refreshes within a day of the fix.
    """,
    wave=2,
)
def partner_security_requirements_met(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Every active Partner Center security requirement of the partner is compliant.

    Microsoft scores each partner against its own security requirements (security contact, MFA for every
    user, response to security alerts...); a non-compliant requirement is a gap Microsoft itself has found
    in the tenant that holds access to every customer.

    Decisions: requirements whose `state` is active are judged; others (preview) are listed, not judged.
    `complianceStatus` compliant passes and noncomplaint (Microsoft's spelling of the enum member; the
    correct spelling too) FAILs; any other value (unknownFutureValue, absent)
    makes the check UNKNOWN unless another requirement FAILs. The evidence lists every requirement with
    its score and maximum, and its action link. An empty list is UNKNOWN: Partner Center always lists its
    requirements, so an empty answer is incomplete.
    """
    requirements = snapshot.data("partner_security_requirements") or []
    if not requirements:
        return Outcome(Status.UNKNOWN, "The security requirements answer is empty; Partner Center always lists "
                                       "its requirements, so the answer is taken as incomplete.")
    rows: list[Evidence] = []
    failing: list[str] = []
    undecided: list[str] = []
    judged = 0
    for requirement in requirements:
        name = str(requirement.get("requirementType") or requirement.get("id") or "(unnamed)")
        state = str(requirement.get("state") or "")
        status = str(requirement.get("complianceStatus") or "")
        score, maximum = requirement.get("score"), requirement.get("maxScore")
        row = {"requirement": name, "state": state, "complianceStatus": status or "(none)",
               "score": f"{score if score is not None else '?'}/{maximum if maximum is not None else '?'}",
               "action": str(requirement.get("actionUrl") or "")}
        rows.append(row)
        if state.lower() != "active":
            row["state"] = f"{state or '(none)'}: not judged"
            continue
        judged += 1
        if status.lower() in NONCOMPLIANT:
            failing.append(name)
        elif status.lower() != COMPLIANT:
            undecided.append(name)
    rows.sort(key=lambda r: (r["complianceStatus"].lower() == COMPLIANT, r["requirement"]))
    if failing:
        return Outcome(Status.FAIL, f"{len(failing)} Partner Center security requirement(s) are not compliant: "
                                    f"{', '.join(failing)}.", rows)
    if undecided:
        return Outcome(Status.UNKNOWN, f"Compliance of {', '.join(undecided)} is not stated.", rows)
    if not judged:
        return Outcome(Status.UNKNOWN, "No Partner Center security requirement is active.", rows)
    return Outcome(Status.PASS, f"All {judged} active Partner Center security requirement(s) are compliant.", rows)
