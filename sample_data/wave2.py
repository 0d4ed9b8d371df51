"""The wave-2 sections of a sample tenant (issue 12): the privileged users' signInActivity, PIM's role
assignment schedule instances, service-provider sign-ins (beta), high-risk users, and the partner's Partner
Center security requirements.

Drawn from their own seeded RNG (``<seed>:<slug>:wave2``), so adding them left every wave-1 value of the
sample unchanged. Shapes follow Microsoft's documented responses (/work/shared/graph-examples:
users_signin_activity.json, pim_role_assignment_schedule_instances.json, signins_beta_list_nextlink.json,
risky_users_beta_example.json, partner_security_requirements_beta.json).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from auditor.snapshot import Section, SectionStatus
from sample_data import catalog as c

if TYPE_CHECKING:
    from sample_data.builder import Posture

Json = dict[str, Any]

# Beta securityRequirementType values ("Partner security enum values"), with the score Partner Center gives.
REQUIREMENT_TYPES = (
    ("mfaEnforcedForAdmins", 20, "https://aka.ms/partner-center-security-mfa-admins"),
    ("mfaEnforcedForAdminsOfCustomers", 20, "https://aka.ms/partner-center-security-mfa-customers"),
    ("securityAlertsPromptlyResolved", 20, "https://aka.ms/partner-center-security-alerts"),
    ("securityContactProvided", 20, "https://aka.ms/partner-center-security-contact"),
    ("spendingBudgetSetForCustomerAzureSubscriptions", 20, "https://aka.ms/partner-center-security-budgets"),
)


def _iso(moment: datetime) -> str:
    from sample_data.builder import iso

    return iso(moment)


def _request_id(rng: random.Random) -> str:
    from sample_data.builder import guid

    return guid(rng)


def sign_in_activity(p: "Posture", rng: random.Random, users: dict[str, Json], kinds: dict[str, str],
                     holder_ids: list[str], stale: set[str]) -> dict[str, Json]:
    """{user id: {id, createdDateTime, signInActivity}} for every privileged user the collector reads.
    Break-glass accounts are tested every quarter; ``stale`` users last signed in 4 to 13 months ago."""
    activity: dict[str, Json] = {}
    for uid in holder_ids:
        if kinds.get(uid) == "breakglass":
            last = p.collected_at - timedelta(days=rng.randint(20, 80), minutes=rng.randint(0, 600))
        elif uid in stale:
            last = p.collected_at - timedelta(days=rng.randint(120, 400), minutes=rng.randint(0, 600))
        else:
            last = p.collected_at - timedelta(hours=rng.randint(1, 240), minutes=rng.randint(0, 59))
        non_interactive = last + timedelta(minutes=rng.randint(5, 300))
        created = p.created + timedelta(days=rng.randint(2, 600))
        activity[uid] = {
            "id": uid,
            "createdDateTime": _iso(min(created, last)),
            "signInActivity": {
                "lastSignInDateTime": _iso(last),
                "lastSignInRequestId": _request_id(rng),
                "lastNonInteractiveSignInDateTime": _iso(non_interactive),
                "lastNonInteractiveSignInRequestId": _request_id(rng),
                "lastSuccessfulSignInDateTime": _iso(non_interactive),
                "lastSuccessfulSignInRequestId": _request_id(rng),
            },
        }
    return activity


def assignment_instances(p: "Posture", assignments: list[Json], kinds: dict[str, str]) -> list[Json]:
    """One instance per active role assignment, permanent (Assigned, no end) unless the posture activates
    its named Global Administrators through PIM (Activated, ending 6 hours after collection)."""
    instances = []
    for assignment in assignments:
        activated = (p.ga_activated and assignment["roleDefinitionId"] == c.GLOBAL_ADMIN
                     and kinds.get(assignment["principalId"]) not in (None, "breakglass"))
        instances.append({
            "id": assignment["id"],
            "principalId": assignment["principalId"],
            "roleDefinitionId": assignment["roleDefinitionId"],
            "directoryScopeId": assignment["directoryScopeId"],
            "assignmentType": "Activated" if activated else "Assigned",
            "memberType": "Direct",
            "startDateTime": _iso(p.collected_at - timedelta(hours=2)) if activated else None,
            "endDateTime": _iso(p.collected_at + timedelta(hours=6)) if activated else None,
        })
    return instances


def service_provider_sign_ins(p: "Posture", rng: random.Random, tenant_id: str) -> list[Json]:
    """Sign-ins of the partners' technicians into this tenant (newest first, as Graph lists them)."""
    from sample_data.builder import guid

    found = []
    for name, partner_tid, domain, count in p.service_providers:
        staff = [f"{first.lower()}.{last.lower()}@{domain}" for first, last in
                 ((rng.choice(c.FIRST_NAMES), rng.choice(c.LAST_NAMES)) for _ in range(3))]
        for _ in range(count):
            upn = rng.choice(staff)
            found.append({
                "id": guid(rng),
                "createdDateTime": _iso(p.collected_at - timedelta(days=rng.randint(0, 28), minutes=rng.randint(0, 1400))),
                "userDisplayName": upn.split("@")[0].replace(".", " ").title(),
                "userPrincipalName": upn,
                "homeTenantId": partner_tid,
                "homeTenantName": name,
                "resourceTenantId": tenant_id,
                "appDisplayName": rng.choice(("Microsoft 365 admin center", "Azure Portal", "Microsoft Entra admin center",
                                              "Exchange admin center")),
                "crossTenantAccessType": "serviceProvider",
                "signInEventTypes": [rng.choice(("interactiveUser", "nonInteractiveUser"))],
            })
    found.sort(key=lambda s: s["createdDateTime"], reverse=True)
    return found


def risky_users(p: "Posture", rng: random.Random, candidates: list[Json]) -> list[Json]:
    """High-risk users as riskyUsers?$filter=riskLevel eq 'high' lists them: ``p.risky_users`` still at risk."""
    picked = candidates[: p.risky_users]
    return [{
        "id": user["id"],
        "userDisplayName": user["displayName"],
        "userPrincipalName": user["userPrincipalName"],
        "riskLevel": "high",
        "riskState": "atRisk",
        "riskDetail": "none",
        "riskLastUpdatedDateTime": _iso(p.collected_at - timedelta(days=rng.randint(2, 40), minutes=rng.randint(0, 1400))),
        "isDeleted": False,
    } for user in picked]


def privileged_user_ids(assignments: list[Json], eligibility: list[Json], group_members: dict[str, list[Json]],
                        users: dict[str, Json]) -> list[str]:
    """The users holding a privileged role (active, eligible, or through a group): whose signInActivity the
    collector reads."""
    rows = [a for a in assignments + eligibility if a["roleDefinitionId"] in c.PRIVILEGED_ROLES]
    ids = [a["principalId"] for a in rows if a["principalId"] in users]
    ids += [m["id"] for gid, members in group_members.items() if gid in {a["principalId"] for a in rows}
            for m in members]
    return list(dict.fromkeys(ids))


def tenant_sections(p: "Posture", tenant_id: str, users: list[Json], kinds: dict[str, str],
                    assignments: list[Json], eligibility: list[Json], group_members: dict[str, list[Json]],
                    named_admins: list[Json]) -> dict[str, Section]:
    """Every wave-2 tenant section of the posture (partner-only ones are the portfolio's)."""
    from sample_data.builder import NOT_LICENSED_P1, NOT_LICENSED_P2, SEED, missing, ok

    rng = random.Random(f"{SEED}:{p.slug}:wave2")
    r = c.REQUESTS
    by_id = {u["id"]: u for u in users}
    stale = {u["id"] for u in named_admins[-p.stale_admins:]} if p.stale_admins else set()
    daily = [u for u in users if kinds.get(u["id"]) == "daily" and u["accountEnabled"]]
    holder_ids = privileged_user_ids(assignments, eligibility, group_members, by_id)
    activity = sign_in_activity(p, rng, by_id, kinds, holder_ids, stale)
    return {
        "sign_in_activity": ok(activity, r["sign_in_activity"]) if p.has_p1
        else missing(SectionStatus.NOT_LICENSED, NOT_LICENSED_P1, r["sign_in_activity"]),
        "role_assignment_schedule_instances": ok(assignment_instances(p, assignments, kinds),
                                                 r["role_assignment_schedule_instances"]) if p.has_p2
        else missing(SectionStatus.NOT_LICENSED, NOT_LICENSED_P2, r["role_assignment_schedule_instances"]),
        "service_provider_sign_ins": ok(service_provider_sign_ins(p, rng, tenant_id), r["service_provider_sign_ins"])
        if p.has_p1 else missing(SectionStatus.NOT_LICENSED, NOT_LICENSED_P1, r["service_provider_sign_ins"]),
        "risky_users": ok(risky_users(p, rng, daily), r["risky_users"]) if p.has_p2
        else missing(SectionStatus.NOT_LICENSED, NOT_LICENSED_P1.replace("P1", "P2"), r["risky_users"]),
    }


def partner_security_requirements(rng: random.Random, failing: tuple[str, ...]) -> list[Json]:
    """The partner's security requirements; the ``failing`` requirement types are non-compliant (Microsoft's
    enum spells it "noncomplaint")."""
    from sample_data.builder import COLLECTED_AT, guid

    requirements = []
    for requirement_type, max_score, action in REQUIREMENT_TYPES:
        bad = requirement_type in failing
        requirements.append({
            "@odata.type": "#microsoft.graph.partner.security.securityRequirement",
            "id": guid(rng),
            "requirementType": requirement_type,
            "complianceStatus": "noncomplaint" if bad else "compliant",
            "actionUrl": action,
            "helpUrl": "https://aka.ms/partner-center-security-dashboard",
            "score": 0 if bad else max_score,
            "maxScore": max_score,
            "state": "active",
            "updatedDateTime": _iso(COLLECTED_AT - timedelta(hours=rng.randint(3, 30))),
        })
    return requirements
