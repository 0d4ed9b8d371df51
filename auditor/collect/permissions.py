"""What each section needs: the Graph application permission, the Azure role, the licence.

Used twice: a 403 names the permission to grant, and `auditor permissions` prints the least-privilege set
for the enabled checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from auditor.collect.plan import PARTNER_ONLY_SECTIONS
from auditor.snapshot import SUBSCRIPTION_SECTIONS, TENANT_SECTIONS

# Least-privileged Graph application permission per section (Microsoft Graph permissions reference).
GRAPH_PERMISSIONS: dict[str, str] = {
    "organization": "Organization.Read.All",
    "security_defaults": "Policy.Read.All",
    "conditional_access_policies": "Policy.Read.All",
    "authentication_strength_policies": "Policy.Read.AuthenticationMethod",
    "role_assignments": "RoleManagement.Read.Directory",
    "role_eligibility_schedules": "RoleEligibilitySchedule.Read.Directory",
    "group_members": "GroupMember.Read.All",
    "users": "User.Read.All",
    "user_registration_details": "AuditLog.Read.All",
    "authentication_methods": "UserAuthenticationMethod.Read.All",
    "secure_scores": "SecurityEvents.Read.All",
    "contracts": "Directory.Read.All",
    "delegated_admin_relationships": "DelegatedAdminRelationship.Read.All",
    "delegated_admin_access_assignments": "DelegatedAdminRelationship.Read.All",
    "partner_security_alerts": "PartnerSecurity.Read.All",
    # Wave 2 (issue 12). signInActivity also needs User.Read.All, which the users section already asks for.
    "sign_in_activity": "AuditLog.Read.All",
    "role_assignment_schedule_instances": "RoleAssignmentSchedule.Read.Directory",
    "service_provider_sign_ins": "AuditLog.Read.All",
    "risky_users": "IdentityRiskyUser.Read.All",
    "partner_security_requirements": "PartnerSecurity.Read.All",
    # Azure governance (AZR-1, AZR-2).
    "partner_agent_groups": "GroupMember.Read.All",
    "azure_group_members": "GroupMember.Read.All",
}

# Built-in Azure roles, assigned to the app's service principal on each subscription.
AZURE_ROLES: dict[str, str] = {
    "subscriptions": "Reader",  # any role on a subscription lists it; the roles below suffice
    "security_contacts": "Security Reader",
    "pricings": "Security Reader",
    "budgets": "Cost Management Reader",
    "scheduled_actions": "Cost Management Reader",
    # Azure governance (AZR-1 to AZR-5) and CST-4: Reader reads all of them (role assignments, alerts,
    # diagnostic settings, Resource Graph and the activity log); no narrower built-in role covers them.
    "azure_role_assignments": "Reader",
    "activity_log_alerts": "Reader",
    "diagnostic_settings": "Reader",
    "resource_creations": "Reader",
}

LICENCES: dict[str, str] = {
    "user_registration_details": "Microsoft Entra ID P1",
    "role_eligibility_schedules": "Microsoft Entra ID P2",
    # Wave 2 (issue 12)
    "sign_in_activity": "Microsoft Entra ID P1",
    "role_assignment_schedule_instances": "Microsoft Entra ID P2",
    "service_provider_sign_ins": "Microsoft Entra ID P1",
    "risky_users": "Microsoft Entra ID P2",
}

# Sections collected only because another one needs them (expansion of role-holding groups, the
# methods of role holders): a check needing role holders needs these too.
_IMPLIED: dict[str, tuple[str, ...]] = {
    "role_assignments": ("group_members",),
    "role_eligibility_schedules": ("group_members",),
    "sign_in_activity": ("users",),  # $select=signInActivity needs User.Read.All besides AuditLog.Read.All
    "azure_role_assignments": ("azure_group_members",),
}


def permission_for(section: str) -> str:
    return GRAPH_PERMISSIONS.get(section) or AZURE_ROLES.get(section, "")


def licence_for(section: str) -> str:
    return LICENCES.get(section, "the licence this feature requires")


@dataclass(frozen=True)
class Requirement:
    kind: str  # "graph" (application permission) or "azure" (role on each subscription)
    name: str
    sections: tuple[str, ...]
    checks: tuple[str, ...]
    partner_only: bool


def requirements(needs_by_check: dict[str, Iterable[str]]) -> list[Requirement]:
    """The permissions and roles that the given checks' sections need, least privilege, each with the
    sections and checks that need it."""
    sections_checks: dict[str, set[str]] = {}
    for check_id, needs in needs_by_check.items():
        wanted = set(needs)
        for name in list(wanted):
            wanted.update(_IMPLIED.get(name, ()))
        if wanted & set(SUBSCRIPTION_SECTIONS):
            wanted.add("subscriptions")
        for name in wanted:
            if name in TENANT_SECTIONS or name in SUBSCRIPTION_SECTIONS:
                sections_checks.setdefault(name, set()).add(check_id)

    grouped: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    reader_own = any(AZURE_ROLES.get(name) == "Reader" and name != "subscriptions" for name in sections_checks)
    for section, checks in sections_checks.items():
        if section == "subscriptions" and reader_own:
            # Reader is needed for sections of its own: name it for their checks, not for every check that
            # lists subscriptions (those are named under the role their own sections need).
            grouped.setdefault(("azure", "Reader"), (set(), set()))[0].add(section)
            continue
        if section in GRAPH_PERMISSIONS:
            key = ("graph", GRAPH_PERMISSIONS[section])
        elif section in AZURE_ROLES:
            key = ("azure", AZURE_ROLES[section])
        else:
            continue
        names, ids = grouped.setdefault(key, (set(), set()))
        names.add(section)
        ids.update(checks)
    # "Reader" needed only to list subscriptions: any more specific role does that too, so it is dropped
    # when one is needed. Reader needed for a section of its own (Azure governance) stays.
    only_listing = ("azure", "Reader") in grouped and grouped[("azure", "Reader")][0] == {"subscriptions"}
    if only_listing and any(k[0] == "azure" and k[1] != "Reader" for k in grouped):
        # (its checks need subscription sections, so they are already named under the more specific roles)
        sections, _ = grouped.pop(("azure", "Reader"))
        for key in [k for k in grouped if k[0] == "azure"]:
            grouped[key][0].update(sections)
    result = [
        Requirement(
            kind=kind,
            name=name,
            sections=tuple(sorted(sections)),
            checks=tuple(sorted(checks)),
            partner_only=all(s in PARTNER_ONLY_SECTIONS for s in sections),
        )
        for (kind, name), (sections, checks) in grouped.items()
    ]
    result.sort(key=lambda r: (r.kind != "graph", r.partner_only, r.name))
    return result
