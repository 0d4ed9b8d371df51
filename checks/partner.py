"""Partner access: DAP removal and GDAP hygiene (area `partner`)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Evidence, Status
from auditor.snapshot import TenantSnapshot
from checks.azure import parse_time
from checks.privileged import (
    GLOBAL_ADMINISTRATOR,
    HOLDER_SECTIONS,
    PRIVILEGED_ROLES,
    PrincipalKind,
    no_role_holders_read,
    privileged_holders,
    section_note,
    unclassified_text,
)

# Relationship statuses (Graph's delegatedAdminRelationshipStatus) in which the partner holds, or within
# minutes will hold, access in the customer tenant. Pending, terminated and expired relationships grant nothing.
LIVE_STATUSES = frozenset({"activating", "active", "expiring"})
# Statuses PAR-3 judges: live with an end date already set ("activating" lasts minutes, before endDateTime
# is computed from activatedDateTime + duration).
DATED_STATUSES = frozenset({"active", "expiring"})

DAP_REF = "https://learn.microsoft.com/partner-center/customers/dap-faq"
GDAP_REF = "https://learn.microsoft.com/partner-center/customers/gdap-introduction"
GDAP_ROLES_REF = "https://learn.microsoft.com/partner-center/customers/gdap-least-privileged-roles-by-task"
RELATIONSHIPS_REF = "https://learn.microsoft.com/graph/api/resources/delegatedadminrelationship"
PARTNER_PRACTICES_REF = "https://learn.microsoft.com/partner-center/security/partner-security-best-practices"


def _role_ids(holder: dict[str, Any]) -> set[str]:
    """The role definition ids in an object's accessDetails.unifiedRoles (relationship or assignment)."""
    details = holder.get("accessDetails") or {}
    roles = details.get("unifiedRoles") or []
    return {str(r.get("roleDefinitionId", "")).lower() for r in roles if isinstance(r, dict)}


def _customer(relationship: dict[str, Any]) -> tuple[str, str]:
    customer = relationship.get("customer") or {}
    return str(customer.get("displayName") or ""), str(customer.get("tenantId") or "")


def _with_status(relationships: list[dict[str, Any]], statuses: frozenset[str]) -> list[dict[str, Any]]:
    return [r for r in relationships if str(r.get("status", "")).lower() in statuses]


def _relationship_row(relationship: dict[str, Any]) -> Evidence:
    """The evidence columns naming one relationship and its customer."""
    customer_name, customer_id = _customer(relationship)
    return {
        "relationship": relationship.get("displayName", ""),
        "relationship_id": relationship.get("id", ""),
        "customer": customer_name,
        "customer_tenant_id": customer_id,
    }


# --- PAR-1 -----------------------------------------------------------------------------------------------


@check(
    id="PAR-1",
    title="No legacy DAP partner holds Global Administrator",
    action="Remove the partner's legacy admin access (DAP)",
    fix=(
        "In the Microsoft 365 admin center open Settings > Partner relationships, select the partner and "
        "choose \"Remove admin roles\"; if the partner still needs access, approve a GDAP relationship "
        "with least-privileged roles instead."
    ),
    effort="low",
    area="partner",
    severity="critical",
    applies_to=["customer"],
    needs=["role_assignments"],
    reads=HOLDER_SECTIONS,
    references=[DAP_REF, GDAP_REF, "https://learn.microsoft.com/graph/api/resources/directoryobjectpartnerreference"],
    remediation="""
        Remove the partner's delegated admin privileges (DAP): in the Microsoft 365 admin center open
        Settings > Partner relationships, select the partner named in the evidence and choose
        "Remove admin roles". If the partner still needs access, ask them for a GDAP relationship with
        only the least-privileged roles they need, for a limited duration, and approve that instead.
    """,
)
def no_dap_global_admin(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """No partner tenant holds Global Administrator through legacy DAP.

    DAP gave a partner's whole "Admin agents" group permanent Global Administrator rights in the customer
    tenant. A compromised partner account then owns every customer (the NOBELIUM campaign did exactly
    this). Microsoft replaced DAP with GDAP: time-limited, least-privileged, per-customer.

    Decisions: GDAP access never shows in the customer tenant as a role assignment to a partner reference
    object (GDAP roles go to security groups in the partner's own tenant through the relationship's access
    assignments, outside the customer's directory role assignments), so every partner reference holding
    Global Administrator is DAP and FAILs. Holders are classified by the one classifier every check shares
    (checks/identity.py): a principal typed `#microsoft.graph.directoryObjectPartnerReference`, or one
    carrying `externalPartnerTenantId` without a type, is a partner. A holder that cannot be classified (a
    null or unexpanded principal without a type, not in the users list) is never "not a partner": UNKNOWN,
    naming its principal id, unless a partner already FAILs. Only the Global Administrator role is judged
    here; other roles held by partner references are for the manual review (PAR-6). Each assignment is one
    evidence row naming the partner tenant. An empty role answer is UNKNOWN, as in the admin checks: every
    tenant has a Global Administrator, so the answer is incomplete and cannot show that no partner holds
    the role.
    """
    empty = no_role_holders_read(snapshot)
    if empty:
        return Outcome(Status.UNKNOWN, empty)
    holders = privileged_holders(snapshot, {GLOBAL_ADMINISTRATOR: PRIVILEGED_ROLES[GLOBAL_ADMINISTRATOR]})
    rows: list[Evidence] = [
        {
            "partner": h.display_name if h.display_name != h.principal_id else "(no name)",
            "partner_tenant_id": h.partner_tenant_id or "(unknown)",
            "principal_id": h.principal_id,
            "role": "Global Administrator",
            "assignment_id": h.assignment_id,
        }
        for h in holders.holders
        if h.kind is PrincipalKind.PARTNER
    ]
    unclassified = holders.unclassified()
    unknown_rows: list[Evidence] = [
        {"partner": "(principal type unknown)", "partner_tenant_id": "(unknown)", "principal_id": h.principal_id,
         "role": "Global Administrator", "assignment_id": h.assignment_id}
        for h in unclassified
    ]
    if rows:
        partners = sorted({f"{r['partner']} ({r['partner_tenant_id']})" for r in rows})
        return Outcome(
            Status.FAIL,
            f"{len(partners)} partner(s) still hold Global Administrator through legacy DAP: {', '.join(partners)}.",
            rows + unknown_rows,
        )
    if unclassified:
        return Outcome(Status.UNKNOWN, f"No known partner reference holds Global Administrator, but "
                                       f"{unclassified_text(unclassified)} could be a partner.", unknown_rows)
    return Outcome(Status.PASS, "No partner reference (legacy DAP) holds Global Administrator.")


# --- PAR-2 -----------------------------------------------------------------------------------------------


@check(
    id="PAR-2",
    title="No GDAP relationship grants Global Administrator",
    action="Replace GDAP relationships that grant Global Administrator",
    fix=(
        "Request a new GDAP relationship with the least-privileged roles the work needs, move the "
        "security groups to it once approved, then end the one that grants Global Administrator."
    ),
    effort="high",
    area="partner",
    severity="high",
    applies_to=["partner"],
    needs=["delegated_admin_relationships"],
    reads=["delegated_admin_access_assignments"],
    references=[GDAP_ROLES_REF, RELATIONSHIPS_REF, PARTNER_PRACTICES_REF],
    remediation="""
        For each relationship in the evidence, create a new GDAP relationship with the least-privileged
        roles the task needs (Partner Center > Customers > the customer > Admin relationships > Request
        admin relationship; see Microsoft's "least privileged roles by task"), have the customer approve
        it, move your security groups' access assignments to it, then terminate the relationship that
        grants Global Administrator. A relationship's roles cannot be edited after approval.
    """,
)
def no_gdap_global_admin(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """The partner's GDAP relationships do not grant Global Administrator.

    GDAP exists to give partner staff the least privilege each task needs. A relationship that includes
    Global Administrator recreates DAP's risk for that customer: anyone in the assigned group can take
    over the customer tenant. Such relationships also cannot auto-extend.

    Decisions: a relationship counts while it is live (status activating, active or expiring); pending,
    terminated and expired ones grant nothing. A live relationship FAILs when Global Administrator is in
    its own `accessDetails.unifiedRoles` (whether or not a group is assigned yet, it can be at any time),
    or in one of its active access assignments. When the access assignments could not be read (section
    not ok, or no entry for a live relationship), the relationships alone decide if they already FAIL;
    otherwise the result is UNKNOWN, because a pass would rest on data that was not read.
    """
    relationships = _with_status(snapshot.data("delegated_admin_relationships") or [], LIVE_STATUSES)
    assignments_section = snapshot.section("delegated_admin_access_assignments")
    assignments = assignments_section.data if assignments_section.ok else None
    if not isinstance(assignments, dict):
        assignments = None

    rows: list[Evidence] = []
    unread: list[str] = []
    for relationship in relationships:
        base = _relationship_row(relationship)
        if GLOBAL_ADMINISTRATOR in _role_ids(relationship):
            rows.append(base | {"granted_by": "relationship roles"})
        if assignments is None or relationship.get("id") not in assignments:
            unread.append(str(relationship.get("displayName") or relationship.get("id")))
            continue
        for assignment in assignments[relationship["id"]] or []:
            if str(assignment.get("status", "")).lower() == "active" and GLOBAL_ADMINISTRATOR in _role_ids(assignment):
                container = (assignment.get("accessContainer") or {}).get("accessContainerId", "?")
                granted_by = f"access assignment {assignment.get('id', '?')} (security group {container})"
                rows.append(base | {"granted_by": granted_by})

    if rows:
        names = sorted({str(r["relationship"] or r["relationship_id"]) for r in rows})
        summary = f"{len(names)} live GDAP relationship(s) grant Global Administrator: {', '.join(names)}."
        if unread:
            summary += " Access assignments could not be read for some relationships."
        return Outcome(Status.FAIL, summary, rows)
    if unread:
        reason = (
            section_note(snapshot, "delegated_admin_access_assignments")
            if assignments is None
            else f"no access assignments were collected for {', '.join(unread)}"
        )
        return Outcome(
            Status.UNKNOWN,
            f"No relationship itself grants Global Administrator, but its access assignments are unknown: {reason}.",
        )
    return Outcome(
        Status.PASS, f"None of the {len(relationships)} live GDAP relationship(s) grants Global Administrator."
    )


# --- PAR-3 -----------------------------------------------------------------------------------------------


def _is_zero_duration(value: Any) -> bool:
    """True for "PT0S", "P0D" and other all-zero ISO 8601 durations, and for a missing value (Graph's
    default is PT0S: no auto-extend)."""
    if not isinstance(value, str) or not value.strip():
        return True
    return all(float(number) == 0 for number in re.findall(r"\d+(?:\.\d+)?", value))


@check(
    id="PAR-3",
    title="No active GDAP relationship is about to expire without auto-extend",
    action="Renew GDAP relationships before they expire",
    fix=(
        "Turn on auto-extend for each listed relationship in Partner Center, or request a new "
        "relationship and have the customer approve it before the end date."
    ),
    effort="low",
    area="partner",
    severity="medium",
    applies_to=["partner"],
    needs=["delegated_admin_relationships"],
    references=[RELATIONSHIPS_REF, "https://learn.microsoft.com/partner-center/customers/gdap-faq"],
    remediation="""
        For each relationship in the evidence, either turn on auto-extend (Partner Center > Customers >
        the customer > Admin relationships > the relationship > Auto extend: 180 days; not possible while
        it includes Global Administrator), or request a new relationship and have the customer approve it
        before the end date. Otherwise your access ends and support for the customer stops.
    """,
)
def gdap_not_expiring(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Active GDAP relationships do not lapse unnoticed.

    A relationship that reaches its end date without auto-extend silently removes the partner's access;
    an emergency (an incident, an outage) then waits for the customer to approve a new request.

    Decisions: relationships with status "active" or "expiring" are judged. An "expiring" relationship (Graph
    lists the value without defining it; by its name, one nearing its end date) still grants access and is
    the very case this check is for, so ignoring it would be a false PASS; its end date decides, as for an
    active one. Terminated, expired and pending ones grant nothing and are ignored, and so is "activating"
    (it lasts minutes, before the end date is set). One FAILs when it ends within
    `gdap_expiry_warning_days` (30 by default, boundary included) of the evaluation time, or has already
    passed its end date, and its `autoExtendDuration` is zero ("PT0S", "P0D") or absent (Graph's default,
    PT0S). A judged relationship without a readable `endDateTime`: UNKNOWN unless another one FAILs.
    """
    window = timedelta(days=ctx.settings.gdap_expiry_warning_days)
    active = _with_status(snapshot.data("delegated_admin_relationships") or [], DATED_STATUSES)
    rows: list[Evidence] = []
    undated: list[str] = []
    for relationship in active:
        if not _is_zero_duration(relationship.get("autoExtendDuration")):
            continue
        ends = parse_time(relationship.get("endDateTime"))
        if ends is None:
            undated.append(str(relationship.get("displayName") or relationship.get("id")))
            continue
        if ends - ctx.now <= window:
            rows.append(_relationship_row(relationship) | {
                "ends": ends.isoformat(),
                "days_left": max((ends - ctx.now).days, 0),
            })
    days = ctx.settings.gdap_expiry_warning_days
    if rows:
        rows.sort(key=lambda r: r["ends"])
        return Outcome(
            Status.FAIL,
            f"{len(rows)} active GDAP relationship(s) end within {days} days without auto-extend: "
            f"{', '.join(str(r['relationship'] or r['relationship_id']) for r in rows)}.",
            rows,
        )
    if undated:
        return Outcome(Status.UNKNOWN, f"Active relationship(s) without an end date: {', '.join(undated)}.")
    return Outcome(
        Status.PASS,
        f"None of the {len(active)} active GDAP relationship(s) ends within {days} days without auto-extend.",
    )


# --- PAR-4 -----------------------------------------------------------------------------------------------


@check(
    id="PAR-4",
    title="Every contracted customer has an active GDAP relationship (DAP to GDAP migration complete)",
    action="Finish the move from DAP to GDAP",
    fix=(
        "For each listed customer, request a GDAP relationship with least-privileged roles in Partner "
        "Center and send the approval link to the customer's Global Administrator."
    ),
    effort="high",
    area="partner",
    severity="high",
    applies_to=["partner"],
    needs=["contracts", "delegated_admin_relationships"],
    references=[GDAP_REF, "https://learn.microsoft.com/graph/api/contract-list", RELATIONSHIPS_REF],
    remediation="""
        For each customer in the evidence, request a GDAP relationship with least-privileged roles
        (Partner Center > Customers > the customer > Admin relationships > Request admin relationship),
        send the approval link to the customer's Global Administrator, and once it is active assign your
        security groups. Then remove any remaining DAP access. If you no longer serve the customer,
        end the reseller relationship instead.
    """,
)
def gdap_migration_complete(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Every customer the partner has a contract with is reached through GDAP, not DAP.

    Microsoft retired DAP; a customer without an active GDAP relationship is either still on DAP (Global
    Administrator standing access for the whole partner) or cannot be supported at all.

    Decisions: a customer is covered when some relationship whose `customer.tenantId` equals the
    contract's `customerId` is live (activating, active or expiring); approval-pending, terminated and
    expired ones do not cover it. Tenant ids are compared case-insensitively. A partner with no contracts
    has nothing to migrate: NOT_APPLICABLE.
    """
    contracts = snapshot.data("contracts") or []
    if not contracts:
        return Outcome(Status.NOT_APPLICABLE, "The partner has no customer contracts.")
    relationships = _with_status(snapshot.data("delegated_admin_relationships") or [], LIVE_STATUSES)
    covered = {_customer(r)[1].lower() for r in relationships}
    rows: list[Evidence] = [
        {
            "customer": contract.get("displayName") or "(no name)",
            "customer_tenant_id": contract.get("customerId", ""),
            "default_domain": contract.get("defaultDomainName", ""),
            "contract_type": contract.get("contractType", ""),
        }
        for contract in contracts
        if str(contract.get("customerId", "")).lower() not in covered
    ]
    if rows:
        return Outcome(
            Status.FAIL,
            f"{len(rows)} of {len(contracts)} contracted customer(s) have no active GDAP relationship: "
            f"{', '.join(str(r['customer']) for r in rows)}.",
            rows,
        )
    return Outcome(Status.PASS, f"All {len(contracts)} contracted customer(s) have an active GDAP relationship.")
