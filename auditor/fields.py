"""The Graph fields each section keeps: the `$select` list collectors send, the only fields sample data
and the emulator hold, and the only ones checks may read. One list, so the three never drift apart.

ARM sections and expanded `principal` objects are kept whole (ARM has no `$select`; Graph's `$expand`
of a directoryObject returns its type-specific fields)."""

from __future__ import annotations

GRAPH_SELECT: dict[str, tuple[str, ...]] = {
    "organization": (
        "id", "displayName", "verifiedDomains", "securityComplianceNotificationMails", "technicalNotificationMails",
    ),
    "security_defaults": ("id", "displayName", "isEnabled"),
    "conditional_access_policies": ("id", "displayName", "state", "conditions", "grantControls"),
    "authentication_strength_policies": (
        "id", "displayName", "policyType", "requirementsSatisfied", "allowedCombinations",
    ),
    "role_assignments": ("id", "principalId", "roleDefinitionId", "directoryScopeId", "principal"),
    "role_eligibility_schedules": (
        "id", "principalId", "roleDefinitionId", "directoryScopeId", "memberType", "status", "principal",
    ),
    # creationType: "Invitation" marks a B2B account even after its userType was changed to Member.
    "group_members": ("id", "displayName", "userPrincipalName", "userType", "creationType"),
    "users": (
        "id", "displayName", "userPrincipalName", "givenName", "surname", "userType", "accountEnabled", "mail",
        "assignedPlans", "creationType",
    ),
    "user_registration_details": (
        "id", "userPrincipalName", "userDisplayName", "userType", "isAdmin", "isMfaRegistered", "isMfaCapable",
        "methodsRegistered",
    ),
    "authentication_methods": (),  # polymorphic list: kept whole (email and phone methods' own fields)
    "secure_scores": (
        "id", "azureTenantId", "createdDateTime", "currentScore", "maxScore", "averageComparativeScores",
    ),
    "contracts": ("id", "contractType", "customerId", "defaultDomainName", "displayName"),
    "delegated_admin_relationships": (
        "id", "displayName", "status", "customer", "accessDetails", "duration", "autoExtendDuration",
        "createdDateTime", "activatedDateTime", "endDateTime",
    ),
    "delegated_admin_access_assignments": ("id", "status", "accessContainer", "accessDetails"),
    "partner_security_alerts": (),  # beta endpoint without $select support: kept whole
    # Wave 2 (issue 12).
    # signInActivity is asked for per privileged user, never in the users list: without Entra ID P1 Graph
    # refuses the whole request that selects it.
    "sign_in_activity": ("id", "createdDateTime", "signInActivity"),
    "role_assignment_schedule_instances": (
        "id", "principalId", "roleDefinitionId", "directoryScopeId", "assignmentType", "memberType",
        "startDateTime", "endDateTime",
    ),
    # Beta signIn: crossTenantAccessType and signInEventTypes exist only in beta (graph-examples/README.md).
    "service_provider_sign_ins": (
        "id", "createdDateTime", "userDisplayName", "userPrincipalName", "homeTenantId", "homeTenantName",
        "resourceTenantId", "appDisplayName", "crossTenantAccessType", "signInEventTypes",
    ),
    "risky_users": (
        "id", "userDisplayName", "userPrincipalName", "riskLevel", "riskState", "riskDetail",
        "riskLastUpdatedDateTime", "isDeleted",
    ),
    "partner_security_requirements": (),  # beta partner security endpoint: kept whole, as the alerts are
    # Azure governance (AZR-1, AZR-2).
    "partner_agent_groups": ("id", "displayName", "securityEnabled"),
    "azure_group_members": ("id", "displayName", "userPrincipalName", "userType", "creationType", "accountEnabled"),
}
