"""Partner access, wave 2 (area `partner`): PAR-5 (unused GDAP relationships, partner tenant) and PAR-6
(every partner seen in a customer tenant is a known one) of CHECKLIST.md, "Rules version 3" > "Wave 2".

PAR-6 judges against the run's PartnerContext (`ctx.partner`: the configured partner and the config's
`known_partners`), built once by the engine; it classifies role holders with checks/identity.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Evidence, Status
from auditor.snapshot import SectionStatus, TenantSnapshot
from checks.azure import parse_time
from checks.identity import PrincipalKind, classify_principal
from checks.partner import DATED_STATUSES, GDAP_REF, RELATIONSHIPS_REF, _relationship_row, _with_status
from checks.privileged import PRIVILEGED_ROLES, no_role_holders_read, section_note, users_by_id

ASSIGNMENTS_REF = "https://learn.microsoft.com/graph/api/resources/delegatedadminaccessassignment"
CUSTOMER_REF = "https://learn.microsoft.com/partner-center/customers/customers-revoke-admin-privileges"
SIGN_INS_REF = "https://learn.microsoft.com/graph/api/resources/signin?view=graph-rest-beta"

SIGN_IN_WINDOW_DAYS = 30  # the rule's window; also what Microsoft keeps of sign-in logs with P1/P2


# --- PAR-5 -----------------------------------------------------------------------------------------------


@check(
    id="PAR-5",
    title="Every active GDAP relationship is in use (has an access assignment)",
    action="Assign or end unused GDAP relationships",
    fix=(
        "Assign the security group of the staff who support the customer to each listed relationship, or "
        "terminate it if nobody needs access."
    ),
    effort="low",
    area="partner",
    severity="low",
    applies_to=["partner"],
    needs=["delegated_admin_relationships"],
    reads=["delegated_admin_access_assignments"],
    references=[ASSIGNMENTS_REF, RELATIONSHIPS_REF, GDAP_REF],
    remediation="""
        For each relationship in the evidence, either assign the security group of the staff who support
        that customer (Partner Center > Customers > the customer > Admin relationships > the relationship >
        Assign security groups, with the least-privileged roles they need), or, if nobody needs access,
        terminate the relationship (same page > Terminate). An approved relationship nobody uses is access
        the customer granted for nothing.
    """,
    wave=2,
)
def gdap_relationships_in_use(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Every active GDAP relationship has at least one active access assignment.

    A relationship without an access assignment grants no one anything today, but it keeps the customer's
    approval of those roles alive: anyone who can edit assignments in Partner Center can use it at any time.
    Microsoft asks partners to remove relationships they do not use.

    Decisions: relationships with status active or expiring are judged (they grant access, as in PAR-3);
    activating ones (minutes old) and pending, terminated or expired ones are not. An assignment counts
    when its status is active (pending, deleting, deleted and error give no access). A relationship whose
    assignments were not read makes the check UNKNOWN unless another relationship FAILs. No active
    relationship at all: NOT_APPLICABLE.
    """
    relationships = _with_status(snapshot.data("delegated_admin_relationships") or [], DATED_STATUSES)
    if not relationships:
        return Outcome(Status.NOT_APPLICABLE, "The partner has no active GDAP relationship.")
    assignments = snapshot.data_if_ok("delegated_admin_access_assignments")
    assignments = assignments if isinstance(assignments, dict) else None
    rows: list[Evidence] = []
    unread: list[str] = []
    for relationship in relationships:
        name = str(relationship.get("displayName") or relationship.get("id"))
        if assignments is None or relationship.get("id") not in assignments:
            unread.append(name)
            continue
        listed = assignments[relationship["id"]] or []
        active = [a for a in listed if str(a.get("status", "")).lower() == "active"]
        if not active:
            rows.append(_relationship_row(relationship) | {
                "status": relationship.get("status", ""),
                "assignments": f"none active ({len(listed)} in other states)" if listed else "none",
            })
    if rows:
        return Outcome(Status.FAIL, f"{len(rows)} active GDAP relationship(s) have no active access assignment: "
                                    f"{', '.join(str(r['relationship'] or r['relationship_id']) for r in rows)}.", rows)
    if unread:
        reason = (section_note(snapshot, "delegated_admin_access_assignments") if assignments is None
                  else f"no access assignments were collected for {', '.join(unread)}")
        return Outcome(Status.UNKNOWN, f"Access assignments are unknown for {len(unread)} relationship(s): {reason}.")
    return Outcome(Status.PASS, f"All {len(relationships)} active GDAP relationship(s) have an active access assignment.")


# --- PAR-6 -----------------------------------------------------------------------------------------------


def _flags(value: Any) -> set[str]:
    """A beta flags-enum value ("serviceProvider" or "b2bCollaboration,serviceProvider") as its members."""
    return {part.strip().lower() for part in str(value or "").split(",") if part.strip()}


def _partners_by_role(snapshot: TenantSnapshot) -> tuple[dict[str, list[str]], dict[str, str], list[str]]:
    """(partner tenant id -> "Role (principal name)" texts, partner tenant id -> principal display name,
    principal ids of holders of unknown kind) from every directory role assignment and eligibility (any
    role, not only privileged ones)."""
    users = users_by_id(snapshot)
    groups = snapshot.data_if_ok("group_members") or {}
    partners: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    unknown: list[str] = []
    rows = list(snapshot.data_if_ok("role_assignments", []) or [])
    rows += list(snapshot.data_if_ok("role_eligibility_schedules", []) or [])
    for row in rows:
        principal = row.get("principal") or {}
        pid = str(row.get("principalId") or principal.get("id") or "")
        kind = classify_principal(principal, pid, users, groups)
        if kind is PrincipalKind.UNKNOWN:
            unknown.append(pid or "(no principal id)")
        if kind is not PrincipalKind.PARTNER:
            continue
        role_id = str(row.get("roleDefinitionId") or "").lower()
        role = PRIVILEGED_ROLES.get(role_id, f"role {role_id}")
        tenant = str(principal.get("externalPartnerTenantId") or "").lower() or "(unknown tenant)"
        partners.setdefault(tenant, []).append(f"{role} ({principal.get('displayName') or pid})")
        names.setdefault(tenant, str(principal.get("displayName") or ""))
    return partners, names, list(dict.fromkeys(unknown))


def _partners_by_sign_in(sign_ins: list[dict[str, Any]], ctx: CheckContext) -> dict[str, dict[str, Any]]:
    """Home tenant id -> {name, count, users, last} of service-provider sign-ins within the window."""
    since = ctx.now - timedelta(days=SIGN_IN_WINDOW_DAYS)
    found: dict[str, dict[str, Any]] = {}
    for sign_in in sign_ins:
        if "serviceprovider" not in _flags(sign_in.get("crossTenantAccessType")):
            continue
        when = parse_time(sign_in.get("createdDateTime"))
        if when is None or when < since:
            continue
        tenant = str(sign_in.get("homeTenantId") or "").lower() or "(unknown tenant)"
        entry = found.setdefault(tenant, {"name": "", "count": 0, "users": [], "last": when})
        entry["name"] = entry["name"] or str(sign_in.get("homeTenantName") or "")
        entry["count"] += 1
        entry["last"] = max(entry["last"], when)
        user = str(sign_in.get("userPrincipalName") or sign_in.get("userDisplayName") or "")
        if user and user not in entry["users"]:
            entry["users"].append(user)
    return found


@check(
    id="PAR-6",
    title="Every partner with access to the tenant is a known partner",
    action="Remove the access of partners you do not recognise",
    fix=(
        "Review each listed partner; remove the roles of one you do not work with under Settings > "
        "Partner relationships in the Microsoft 365 admin center."
    ),
    effort="low",
    area="partner",
    severity="medium",
    applies_to=["customer"],
    needs=["role_assignments"],
    reads=["service_provider_sign_ins", "role_eligibility_schedules", "users", "group_members"],
    references=[CUSTOMER_REF, SIGN_INS_REF,
                "https://learn.microsoft.com/partner-center/security/partner-security-best-practices"],
    remediation="""
        Review each partner tenant in the evidence with the customer. For a partner the customer does not
        recognise or no longer works with, remove its access: Microsoft 365 admin center > Settings > Partner
        relationships > the partner > Remove roles (legacy DAP), and ask the partner to terminate its GDAP
        relationship (or terminate it under Partner relationships). Tell your partner which of the listed
        partners are legitimate.

        Partner: add a partner the customer confirms as legitimate to tenants.toml as [[known_partners]]
        (id, name), so the next audit accepts it.
    """,
    wave=2,
)
def partners_are_known(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Every partner seen in the customer tenant is the configured partner or a declared known partner.

    Microsoft asks customers to review their partner relationships and remove any that look unfamiliar: a
    forgotten reseller's DAP or a partner whose staff still sign in is access nobody watches.

    Decisions: partners are seen two ways: foreign partner principals (directoryObjectPartnerReference,
    classified by checks/identity.py) holding any directory role, active or eligible, named by their
    `externalPartnerTenantId`; and the home tenants (`homeTenantId`) of service-provider sign-ins
    (`crossTenantAccessType` serviceProvider, interactive and non-interactive, beta) within the last 30 days
    of the evaluation. With a configured partner each must be it or in `known_partners` (FAIL names every
    unfamiliar one); with no configured partner the check is MANUAL, listing them for the customer to
    confirm. A partner principal without a tenant id, or a role holder of unknown kind, is UNKNOWN (unless
    a FAIL decides). Sign-ins refused as not licensed (no Entra ID P1): judged on the principals alone, and
    the evidence says so; sign-ins unreadable for another reason: UNKNOWN unless a FAIL decides. No
    partner seen at all: PASS.
    """
    empty = no_role_holders_read(snapshot)
    if empty:
        return Outcome(Status.UNKNOWN, empty)
    by_role, role_names, unknown = _partners_by_role(snapshot)
    sign_ins = snapshot.section("service_provider_sign_ins")
    by_sign_in = _partners_by_sign_in(list(sign_ins.data or []), ctx) if sign_ins.ok else {}  # type: ignore[arg-type]
    configured = ctx.partner.tenant_id is not None
    rows: list[Evidence] = []
    unfamiliar: list[str] = []
    for tenant in sorted(set(by_role) | set(by_sign_in)):
        seen = [f"directory role: {r}" for r in by_role.get(tenant, [])]
        signed = by_sign_in.get(tenant)
        if signed:
            seen.append(f"{signed['count']} service-provider sign-in(s), last {signed['last'].date().isoformat()}")
        if tenant.startswith("("):
            verdict = "tenant unknown: cannot be confirmed"
        elif ctx.partner.tenant_id and tenant == ctx.partner.tenant_id:
            verdict = "configured partner"
        elif ctx.partner.is_known_partner(tenant):
            verdict = "known partner (known_partners)"
        elif configured:
            verdict = "UNFAMILIAR: not the configured partner or a known partner"
        else:
            verdict = "to confirm with the customer"
        name = ((ctx.partner.name if tenant == ctx.partner.tenant_id else "") or (signed or {}).get("name")
                or role_names.get(tenant) or "")
        if verdict.startswith("UNFAMILIAR"):
            unfamiliar.append(f"{name} ({tenant})" if name else tenant)
        rows.append({"partner_tenant_id": tenant, "partner": name, "seen_as": "; ".join(seen),
                     "users": ", ".join((signed or {}).get("users", [])[:5]), "verdict": verdict})
    if not sign_ins.ok:
        note = ("service-provider sign-ins need Microsoft Entra ID P1: judged on directory roles alone"
                if sign_ins.status is SectionStatus.NOT_LICENSED
                else f"service-provider sign-ins not read: {section_note(snapshot, 'service_provider_sign_ins')}")
        rows.append({"partner_tenant_id": "", "partner": "(sign-in logs)", "seen_as": note, "users": "", "verdict": ""})
    rows += [{"partner_tenant_id": "", "partner": f"(principal id {pid})", "seen_as": "directory role holder of unknown type",
              "users": "", "verdict": "could be a partner"} for pid in unknown]
    partners = [r for r in rows if r["partner_tenant_id"]]
    if unfamiliar:
        return Outcome(Status.FAIL, f"{len(unfamiliar)} unfamiliar partner tenant(s) have access: "
                                    f"{', '.join(unfamiliar)}.", rows)
    undecided = [r for r in partners if r["partner_tenant_id"].startswith("(")]
    sign_ins_unread = not sign_ins.ok and sign_ins.status is not SectionStatus.NOT_LICENSED
    if undecided or unknown or sign_ins_unread:
        what = []
        what += ["a partner principal has no tenant id"] if undecided else []
        what += [f"{len(unknown)} role holder(s) of unknown type"] if unknown else []
        what += ["the service-provider sign-ins could not be read"] if sign_ins_unread else []
        return Outcome(Status.UNKNOWN, f"{len(partners)} partner tenant(s) seen, but {' and '.join(what)}.", rows)
    if not partners:
        return Outcome(Status.PASS, "No partner holds a directory role or signed in as a service provider"
                                    + (" (sign-ins not available without Entra ID P1)." if not sign_ins.ok else "."), rows)
    if not configured:
        return Outcome(Status.MANUAL, f"{len(partners)} partner tenant(s) seen; no partner is configured, so "
                                      "confirm each with the customer.", rows)
    return Outcome(Status.PASS, f"All {len(partners)} partner tenant(s) seen are the configured partner or known "
                                "partners.", rows)
