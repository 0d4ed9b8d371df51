"""Azure governance, who holds Azure roles (area `azure`): AZR-1 foreign principals on subscriptions, AZR-2
MFA registration of subscription owners.

Both read the `azure_role_assignments` of every subscription: ARM role assignments at the subscription or
above it (management groups, root), in ARM's shape whether Resource Graph or the per-subscription REST list
answered (`properties.principalId`, `principalType`, `roleDefinitionId`, `scope`). Field names are matched
case-insensitively (checks/azure.py `ci_get`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Evidence, Status
from auditor.snapshot import SectionStatus, SubscriptionSnapshot, TenantSnapshot
from checks.azure import arm_items, ci_get, ci_properties, last_segment, subscription_label, subscriptions_in_scope
from checks.identity import external_reasons

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
# Built-in Azure role definition ids, the same in every tenant ("Azure built-in roles"; the ids are listed in
# graph-examples/README.md). A role outside this table is named by its definition id in evidence.
BUILT_IN_ROLES: dict[str, str] = {
    OWNER: "Owner",
    CONTRIBUTOR: "Contributor",
    USER_ACCESS_ADMINISTRATOR: "User Access Administrator",
    READER: "Reader",
    RBAC_ADMINISTRATOR: "Role Based Access Control Administrator",
}
# The roles that can change what runs in, or who controls, a subscription (AZR-2).
CONTROLLING_ROLES = (OWNER, CONTRIBUTOR, USER_ACCESS_ADMINISTRATOR)

RBAC_REF = "https://learn.microsoft.com/azure/role-based-access-control/role-assignments-list-rest"
FOREIGN_REF = "https://learn.microsoft.com/partner-center/customers/azure-roles-perms-pc-gdap"
MFA_AZURE_REF = "https://learn.microsoft.com/entra/identity/authentication/concept-mandatory-multifactor-authentication"

ASSIGNMENTS = "azure_role_assignments"


@dataclass(frozen=True)
class Assignment:
    subscription: SubscriptionSnapshot
    principal_id: str
    principal_type: str
    role_id: str
    scope: str

    @property
    def role(self) -> str:
        return BUILT_IN_ROLES.get(self.role_id, f"role definition {self.role_id}")

    @property
    def foreign(self) -> bool:
        """ARM's PrincipalType enum (2022-04-01) has User, Group, ServicePrincipal and ForeignGroup; any
        "Foreign…" type is a principal of another tenant (the partner's groups under AOBO or GDAP)."""
        return self.principal_type.lower().startswith("foreign")

    def row(self, **extra: Any) -> Evidence:
        """Evidence columns: the subscription, the principal (with its type unless foreign, the usual
        case here), the role, and where it is assigned when that is above the subscription."""
        principal = self.principal_id if self.foreign else f"{self.principal_id} ({self.principal_type or 'no type'})"
        inherited = not self.scope.strip("/").lower() == f"subscriptions/{self.subscription.subscription_id.lower()}"
        role = f"{self.role} (inherited from {self.scope})" if inherited else self.role
        return {"subscription": subscription_label(self.subscription), "principal_id": principal, "role": role,
                **extra}


def assignments(subscription: SubscriptionSnapshot) -> list[Assignment]:
    """The role assignments of one subscription whose section is ok."""
    found = []
    for item in arm_items(subscription, ASSIGNMENTS):
        props = ci_properties(item)
        found.append(Assignment(
            subscription=subscription,
            principal_id=str(ci_get(props, "principalId") or ""),
            principal_type=str(ci_get(props, "principalType") or ""),
            role_id=last_segment(ci_get(props, "roleDefinitionId")).lower(),
            scope=str(ci_get(props, "scope") or ""),
        ))
    return found


def _read(snapshot: TenantSnapshot) -> tuple[list[Assignment], list[str]]:
    """Every readable subscription's assignments, and a note per subscription that could not be read."""
    found: list[Assignment] = []
    unread: list[str] = []
    for subscription in subscriptions_in_scope(snapshot):
        section = subscription.sections.get(ASSIGNMENTS)
        if section is None or not section.ok:
            status = section.status.value if section is not None else "not_collected"
            reason = (section.brief_reason if section is not None else "") or "no reason recorded"
            unread.append(f"{subscription_label(subscription)}: {ASSIGNMENTS} is {status} ({reason})")
            continue
        found += assignments(subscription)
    return found, unread


# --- AZR-1 -----------------------------------------------------------------------------------------------


@check(
    id="AZR-1",
    action="Remove unknown partners from your Azure subscriptions",
    fix=(
        'In the Azure portal, open each subscription > Access control (IAM) > Role assignments, filter by'
        ' "Foreign principal" and remove every assignment you do not recognise.'
    ),
    effort="low",
    title="No unfamiliar foreign principal holds a role on an Azure subscription",
    area="azure",
    severity="high",
    applies_to=["customer"],
    needs=[ASSIGNMENTS],
    # Read in the partner tenant, for the PartnerContext (not from this snapshot): named here so that
    # `auditor permissions` asks for them.
    reads=["partner_agent_groups", "delegated_admin_relationships", "delegated_admin_access_assignments"],
    wave=2,
    references=[FOREIGN_REF, RBAC_REF,
                "https://learn.microsoft.com/partner-center/customers/customer-security-best-practices"],
    remediation="""
        In the Azure portal open Subscriptions > the subscription > Access control (IAM) > Role assignments,
        filter by type "Foreign principal", and remove every assignment the evidence names as unknown (Remove).
        For your partner's legacy AdminAgents group holding Owner, ask the partner to move to its GDAP
        security groups with least-privileged Azure roles, then remove the Owner assignment.

        Partner: with the Azure CLI, az role assignment delete --assignee <principal id> --role "<role>" --scope /subscriptions/<id>.
    """,
)
def foreign_principals(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Only your own CSP partner's groups hold roles on your Azure subscriptions from another tenant.

    A foreign principal with Owner or Contributor controls the subscription from another company's
    tenant: a partner you left, or an attacker who abused a partner relationship, can run up costs
    (crypto-mining) or read your data. Microsoft asks customers to remove partner access that looks
    unfamiliar.

    Decisions: an assignment is foreign when its `principalType` is `ForeignGroup` (or any other
    "Foreign…" type; compared case-insensitively). Assignments at the subscription and above it
    (management groups, root) are judged; resource-group ones are not collected. A foreign principal is
    the partner's when its object id is one of the partner's own groups, read from the partner tenant in
    the same run (the AdminAgents and HelpdeskAgents groups, and the security groups of its live GDAP
    access assignments). Any other foreign principal FAILs, named with its role. The partner's AdminAgents
    group holding Owner (legacy AOBO) is listed as advisory, not failed. Without the partner tenant in the
    run (a single customer, customer snapshots only): MANUAL, listing every foreign principal for review.
    The partner's groups unreadable: UNKNOWN naming the partner section. A subscription whose assignments
    could not be read: UNKNOWN, unless an unknown principal already FAILs. No foreign principal: PASS.
    ARM names a foreign principal by its object id only, not by its tenant, so the config's
    `known_partners` (other partners' tenants) cannot excuse one: only the configured partner's own groups
    can be recognised.
    """
    found, unread = _read(snapshot)
    foreign = [a for a in found if a.foreign]
    partner = ctx.partner
    if foreign and partner.partner_read and partner.group_ids_read:
        rows: list[Evidence] = []
        unknown = []
        for a in foreign:
            label = partner.group_label(a.principal_id)
            if not label:
                unknown.append(a)
                rows.append(a.row(finding="unknown foreign principal: not a group of your partner"))
            elif a.principal_id.lower() in partner.admin_agents_group_ids and a.role_id == OWNER:
                rows.append(a.row(finding=f"advisory: your partner's {label} group (legacy AOBO) holds Owner; "
                                          "move to GDAP security groups with least-privileged roles"))
            else:
                rows.append(a.row(finding=f"your partner's {label}"))
        rows.sort(key=lambda r: not str(r["finding"]).startswith("unknown"))
        if unknown:
            names = sorted({f"{a.principal_id} ({a.role})" for a in unknown})
            summary = f"{len(names)} unknown foreign principal(s) hold roles on subscriptions: {', '.join(names)}."
            if unread:
                summary += f" {len(unread)} subscription(s) could not be read."
            return Outcome(Status.FAIL, summary, rows)
        if unread:
            return Outcome(Status.UNKNOWN, f"Role assignments could not be read: {'; '.join(unread)}.", rows)
        advisory = sum(1 for r in rows if str(r["finding"]).startswith("advisory"))
        note = f" {advisory} legacy AOBO Owner assignment(s) listed as advisory." if advisory else ""
        return Outcome(Status.PASS, f"All {len(foreign)} foreign role assignment(s) belong to your partner "
                                    f"{partner.name or partner.tenant_id}.{note}", rows)
    if unread:
        return Outcome(Status.UNKNOWN, f"Role assignments could not be read: {'; '.join(unread)}.",
                       [a.row(finding="to review") for a in foreign])
    if not foreign:
        return Outcome(Status.PASS, "No foreign principal holds a role on any subscription.")
    rows = [a.row(finding="to review: is this your partner's group?") for a in foreign]
    if partner.partner_read:
        return Outcome(Status.UNKNOWN, f"{len(foreign)} foreign role assignment(s) cannot be judged: the partner's "
                                       f"groups were not read ({partner.group_ids_note}).", rows)
    return Outcome(Status.MANUAL, f"{len(foreign)} foreign role assignment(s) to review: the partner tenant is not "
                                  "part of this run, so its groups cannot be matched.", rows)


# --- AZR-2 -----------------------------------------------------------------------------------------------


@check(
    id="AZR-2",
    action="Make every Azure subscription owner register for MFA",
    fix=(
        "Ask each owner, contributor and user access administrator in the evidence to register at "
        "https://aka.ms/mysecurityinfo, and remove roles no longer needed."
    ),
    effort="low",
    title="Every owner and contributor of an Azure subscription is registered for MFA",
    area="azure",
    severity="high",
    applies_to=["customer"],
    needs=[ASSIGNMENTS],
    reads=["user_registration_details", "users", "azure_group_members"],
    wave=2,
    references=[MFA_AZURE_REF, RBAC_REF,
                "https://learn.microsoft.com/graph/api/resources/userregistrationdetails"],
    remediation="""
        Ask each user in the evidence to register at https://aka.ms/mysecurityinfo (Microsoft Authenticator,
        a FIDO2 key or Windows Hello) before anyone else does. If an account no longer needs the role, remove
        it: Azure portal > Subscriptions > the subscription > Access control (IAM) > Role assignments.

        Partner: with the Azure CLI, az role assignment delete --assignee <user> --role Owner --scope /subscriptions/<id>.
    """,
)
def subscription_owners_mfa(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Everyone who holds Owner, Contributor or User Access Administrator on a subscription has registered
    an MFA method.

    Microsoft enforces MFA on Azure management sign-ins; an owner who never registered a method is an
    account whose MFA an attacker with the password registers first, and then controls the subscription.

    Decisions: Owner, Contributor and User Access Administrator are recognised by their built-in role
    definition ids, at the subscription or above it. User principals are looked up in the registration
    report (`user_registration_details`, which needs Entra ID P1: not licensed is UNKNOWN) and in `users`;
    group principals are expanded to their users (`azure_group_members`); a group whose members could
    not be read is UNKNOWN, unless a FAIL already decides. A user with no registration record counts as
    unregistered (as MFA-4). External identities (the shared definition: guest, #EXT#, invitation) and
    foreign principals register MFA in their home tenant: listed apart, not judged. Disabled accounts and
    users the directory no longer holds (orphaned assignments) are listed, not judged. Service principals
    do not sign in with MFA and are left out.
    """
    found, unread = _read(snapshot)
    held = [a for a in found if a.role_id in CONTROLLING_ROLES]
    rows: list[Evidence] = []
    failing, unknown = [], list(unread)
    users = {str(u.get("id", "")).lower(): u for u in snapshot.data_if_ok("users", []) or [] if isinstance(u, dict)}
    report = snapshot.section("user_registration_details")
    registered = {str(r.get("id", "")).lower(): bool(r.get("isMfaRegistered")) for r in report.data or []
                  if isinstance(r, dict)} if report.ok else None
    members = snapshot.section("azure_group_members")
    people: dict[str, tuple[dict[str, Any], list[str]]] = {}  # user id -> (record, ["Owner on X via group G"])
    for a in held:
        kind = a.principal_type.lower()
        where = f"{a.role} on {subscription_label(a.subscription)}"
        if kind == "user":
            record = users.get(a.principal_id.lower(), {})
            people.setdefault(a.principal_id.lower(), (record, []))[1].append(where)
        elif kind == "group":
            group_members = members.data.get(a.principal_id) if members.ok and isinstance(members.data, dict) else None
            if group_members is None:
                why = members.brief_reason if not members.ok else "not in the collected group members"
                unknown.append(f"the members of group {a.principal_id} ({where}) could not be read: {why or members.status.value}")
                continue
            for member in group_members:
                member_id = str(member.get("id", "")).lower()
                record = users.get(member_id) or member
                people.setdefault(member_id, (record, []))[1].append(f"{where} via group {a.principal_id}")
        elif a.foreign:
            rows.append({"subscription": where, "principal_id": a.principal_id, "user": "(foreign principal)",
                         "registration": "not judged: MFA is registered in its home tenant"})
        elif kind != "serviceprincipal":
            unknown.append(f"principal {a.principal_id} of type {a.principal_type or '(none)'} holds {where}")
    if people and registered is None:
        if report.status is SectionStatus.NOT_LICENSED:
            return Outcome(Status.UNKNOWN, f"{len(people)} user(s) hold Owner, Contributor or User Access Administrator, "
                                           "but MFA registration details need a Microsoft Entra ID P1 licence, which the "
                                           f"tenant lacks ({report.brief_reason or 'not licensed'}).")
        return Outcome(Status.UNKNOWN, f"Not evaluated: user_registration_details is {report.status.value} "
                                       f"({report.brief_reason or 'no reason recorded'}).")
    for user_id, (record, ways) in sorted(people.items(), key=lambda p: str(p[1][0].get("userPrincipalName", p[0]))):
        base = {"subscription": "; ".join(ways), "principal_id": user_id,
                "user": str(record.get("userPrincipalName") or record.get("displayName") or user_id)}
        external = external_reasons(record)
        if not record:
            rows.append(base | {"registration": "not judged: not in the directory (an orphaned assignment: remove it)"})
        elif external:
            rows.append(base | {"registration": f"not judged: external identity ({', '.join(external)})"})
        elif record.get("accountEnabled") is False:
            rows.append(base | {"registration": "not judged: account disabled"})
        elif registered is not None and not registered.get(user_id):
            failing.append(base["user"])
            state = "not MFA-registered" if user_id in registered else "no registration record"
            rows.insert(0, base | {"registration": state})
        else:
            rows.append(base | {"registration": "MFA-registered"})
    if failing:
        summary = (f"{len(failing)} user(s) holding Owner, Contributor or User Access Administrator are not "
                   f"MFA-registered: {', '.join(failing)}.")
        if unknown:
            summary += f" Not judged: {'; '.join(unknown)}."
        return Outcome(Status.FAIL, summary, rows)
    if unknown:
        return Outcome(Status.UNKNOWN, f"Not every subscription owner could be judged: {'; '.join(unknown)}.", rows)
    judged = sum(1 for r in rows if r.get("registration") == "MFA-registered")
    return Outcome(Status.PASS, f"All {judged} user(s) holding Owner, Contributor or User Access Administrator on "
                                "a subscription are MFA-registered.", rows)
