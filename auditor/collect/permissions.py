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

# Delegated (GDAP) runs: the least-privileged Microsoft Entra built-in role, in the customer's GDAP
# relationship, that lets the signed-in partner user make the section's read. Verified section by section
# against Microsoft's documentation (issue 14); where a page lists several roles the one with least power
# that reads is chosen. Sources, abbreviated:
#   GD  = github.com/microsoftgraph/microsoft-graph-docs-contrib, api-reference/ (Graph API reference)
#   RB  = GD v1.0/includes/rbac-for-apis/ (the "least privileged roles" notes those pages include)
#   ED  = github.com/MicrosoftDocs/entra-docs, docs/identity/role-based-access-control/
#         (delegate-by-task.md = "Least privileged roles by task"; includes/<role>.md = a role's permissions)
#   PC  = learn.microsoft.com/partner-center/developer/
# Partner-only sections are read in the partner's own tenant with the user's own roles there, never through a
# GDAP relationship: see PARTNER_AGENT_ROLE and gdap_role_for.
GDAP_ROLES: dict[str, str] = {
    # GET /organization. RB rbac-organization-apis-read.md lists Directory Readers (and Global Reader, Security
    # Reader, ...); ED includes/directory-readers.md: microsoft.directory/organization/standard/read.
    "organization": "Directory Readers",
    # GET /users. PC get-a-list-of-all-user-accounts-for-a-customer: "GDAP roles: Directory Reader, Global
    # reader, User Administrator"; ED includes/directory-readers.md: microsoft.directory/users/standard/read.
    # (The stored GD v1.0/api/user-list.md names no role.)
    "users": "Directory Readers",
    # GET /groups/{id}/transitiveMembers (role-assignable groups, and the Azure role holders' groups).
    # ED delegate-by-task.md, Groups, "Read all configuration (except hidden membership)": Directory Readers;
    # ED includes/directory-readers.md: microsoft.directory/groups/members/read.
    "group_members": "Directory Readers",
    "azure_group_members": "Directory Readers",
    # GET /roleManagement/directory/roleAssignments?$expand=principal. RB rbac-role-assignment-apis-read.md:
    # Directory Readers, Global Reader, Privileged Role Administrator (least to most privileged).
    "role_assignments": "Directory Readers",
    # GET /policies/identitySecurityDefaultsEnforcementPolicy. Not stated by the docs: GD v1.0/api/
    # identitysecuritydefaultsenforcementpolicy-get.md names no role. Security Reader holds
    # microsoft.directory/policies/standard/read (ED includes/security-reader.md); Directory Readers has no
    # policy read (ED includes/directory-readers.md).
    "security_defaults": "Security Reader",
    # GET /identity/conditionalAccess/policies. RB rbac-conditionalaccess-apis-read.md: Global Secure Access
    # Administrator, Security Reader, Security Administrator, Global Reader, Conditional Access Administrator;
    # ED delegate-by-task.md, Conditional Access, "Read all configuration": Security Reader.
    "conditional_access_policies": "Security Reader",
    # GET /policies/authenticationStrengthPolicies. RB rbac-authenticationstrength-apis-read.md: Conditional
    # Access Administrator, Security Administrator, Security Reader.
    "authentication_strength_policies": "Security Reader",
    # GET /roleManagement/directory/roleEligibilitySchedules and .../roleAssignmentScheduleInstances.
    # RB rbac-pim-entra-roles-apis.md, read operations: Global Reader, Security Operator, Security Reader,
    # Security Administrator, Privileged Role Administrator.
    "role_eligibility_schedules": "Security Reader",
    "role_assignment_schedule_instances": "Security Reader",
    # GET /security/secureScores?$top=1. GD v1.0/api/security-list-securescores.md names no role;
    # github.com/MicrosoftDocs/defender-docs defender-xdr/microsoft-secure-score.md: read-only access for
    # Helpdesk Administrator, User Administrator, Service Support Administrator, Security Reader, Security
    # Operator, Global Reader ("If you want to use GraphAPI ... continue to use Microsoft Entra roles").
    "secure_scores": "Security Reader",
    # GET /identityProtection/riskyUsers. learn.microsoft.com/graph/api/riskyuser-list and RB
    # rbac-identity-protection-apis-read.md: Global Reader, Security Operator, Security Reader, Security
    # Administrator.
    "risky_users": "Security Reader",
    # GET /reports/authenticationMethods/userRegistrationDetails. RB rbac-reports-registration-usage-apis.md:
    # Reports Reader, Security Reader, Security Administrator, Global Reader. Reports Reader has least power.
    "user_registration_details": "Reports Reader",
    # GET /users/{id}?$select=signInActivity. Not stated by the Graph pages (GD v1.0/resources/
    # signinactivity.md, user-list.md name no role). ED ../monitoring-health/howto-manage-inactive-user-accounts.md
    # signs in "as at least a Reports Reader" to see a user's last sign-in; Reports Reader holds
    # microsoft.directory/signInReports/allProperties/read (ED includes/reports-reader.md). The user object
    # itself is Directory Readers (the users section, implied by sign_in_activity).
    "sign_in_activity": "Reports Reader",
    # GET beta /auditLogs/signIns. GD beta/api/signin-list.md: Global Administrator, Global Reader, Reports
    # Reader, Security Administrator, Security Operator, Security Reader; ED delegate-by-task.md, Sign-ins,
    # "Read sign-in logs": Reports Reader.
    "service_provider_sign_ins": "Reports Reader",
    # GET /users/{id}/authentication/methods (other users). RB rbac-authentication-methods-apis-read-others.md:
    # Global Reader, Authentication Administrator, Privileged Authentication Administrator: Global Reader is
    # the only reader role listed (ED includes/global-reader.md: users/authenticationMethods/standard/restrictedRead).
    "authentication_methods": "Global Reader",
}
# What each GDAP role adds, for docs/setup.md and `auditor permissions --gdap`.
GDAP_ROLE_PURPOSE: dict[str, str] = {
    "Directory Readers": "organisation, users, group members, directory role assignments",
    "Security Reader": "security defaults, Conditional Access and authentication strengths, PIM schedules, "
                       "Secure Score, risky users, Entra diagnostic settings",
    "Reports Reader": "MFA registration details, privileged users' sign-in activity, service-provider sign-ins",
    "Global Reader": "other users' authentication methods (the only reader role Microsoft lists for them)",
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


# -- delegated access through GDAP (issue 14) --------------------------------------------------------------


# Sections read in the partner's own tenant: the signed-in user's roles there, not a GDAP role. Admin agent:
# PC partner-center-webhooks names it among the "Appropriate roles" (Billing Admin | Admin agent | Sales agent |
# Helpdesk agent). Not stated by the docs for the rest: PC get-a-list-of-customers and
# get-a-customer-s-usage-spending-budget name no partner role, and the Graph pages of the partner-tenant reads
# (contracts, GDAP relationships and access assignments, partner security alerts and requirements, the agent
# groups) name no role; Admin agent is the judgement kept for them.
PARTNER_AGENT_ROLE = "Admin agent (partner tenant)"
# Sections only a delegated sign-in reads (auditor/collect/delegated_sections.py) and the role each needs.
DELEGATED_ONLY_ROLES: dict[str, str] = {
    # GET /providers/microsoft.aadiam/diagnosticSettings (ARM, tenant level). Not stated by the docs: they
    # name Security Administrator to configure the settings (ED ../monitoring-health/
    # howto-configure-diagnostic-settings.md) and no role to read them (MicrosoftDocs/entra-docs issue 868:
    # the least-privileged-roles page does not cover them). Security Reader is the judgement; Global Reader
    # is the fallback if a tenant refuses it.
    "entra_diagnostic_settings": "Security Reader",
    "partner_center_customers": PARTNER_AGENT_ROLE,
    "partner_center_usage_budgets": PARTNER_AGENT_ROLE,
    "partner_center_webhook_registration": PARTNER_AGENT_ROLE,
}


def gdap_role_for(section: str) -> str:
    """The role a delegated run needs for a section: the GDAP relationship's Entra role for customer-tenant
    reads, the Admin agent role for partner-tenant ones. Every section the collector reads has an explicit
    entry (tests/test_gdap_roles.py); Global Reader is only a last resort for a section added without one."""
    if section in GDAP_ROLES:
        return GDAP_ROLES[section]
    if section in PARTNER_ONLY_SECTIONS:
        return PARTNER_AGENT_ROLE
    return DELEGATED_ONLY_ROLES.get(section, "Global Reader")


def gdap_fix(section: str) -> str:
    """What closes a delegated run's refusal of a section, in the words of the partner's admin."""
    role = gdap_role_for(section)
    if role == PARTNER_AGENT_ROLE:
        return "give the signed-in user the Admin agent role in Partner Center (partner tenant)"
    return f"add the {role} role to the GDAP relationship"


def gdap_requirements(needs_by_check: dict[str, Iterable[str]]) -> list[Requirement]:
    """For `[auth] method = "gdap"`: the Microsoft Entra roles to put in each customer's GDAP relationship
    (kind "gdap") and the Azure roles to give the GDAP security group on each subscription (kind "azure"),
    each with the sections and checks that need it. Partner-only sections are read in the partner's own
    tenant, where the signed-in user's own roles apply; they are kept, marked partner_only."""
    grouped: dict[tuple[str, str], tuple[set[str], set[str], bool]] = {}
    for check_id, needs in needs_by_check.items():
        for section in needs:  # read only through the delegated sign-in: not in the app-only tables
            if section in DELEGATED_ONLY_ROLES:
                names, ids, _ = grouped.setdefault(("gdap", DELEGATED_ONLY_ROLES[section]), (set(), set(), True))
                names.add(section)
                ids.add(check_id)
        for requirement in requirements({check_id: needs}):
            for section in requirement.sections:
                if requirement.kind == "graph" and section in PARTNER_ONLY_SECTIONS:
                    key = ("gdap", PARTNER_AGENT_ROLE)
                elif requirement.kind == "graph":
                    key = ("gdap", gdap_role_for(section))
                else:
                    key = ("azure", requirement.name)
                names, ids, _ = grouped.setdefault(key, (set(), set(), True))
                names.add(section)
                ids.add(check_id)
    result = [
        Requirement(kind=kind, name=name, sections=tuple(sorted(sections)), checks=tuple(sorted(checks)),
                    partner_only=all(s in PARTNER_ONLY_SECTIONS or s.startswith("partner_center_") for s in sections))
        for (kind, name), (sections, checks, _) in grouped.items()
    ]
    result.sort(key=lambda r: (r.kind != "gdap", r.partner_only, r.name))
    return result
