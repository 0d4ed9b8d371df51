"""Graph-shaped objects for the identity check tests (CA policies, role assignments, users, registration
details), modelled on /work/shared/graph-examples (v1.0 shapes, camelCase, @odata.type on principals)."""

from __future__ import annotations

from typing import Any

SECURITY_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"  # not privileged in the checklist's list

MEGAN = "48d31887-5fad-4d73-a9f5-3c356e68a038"
ALEX = "86462606-fde0-4fc4-9e0c-a20eb73e54c6"
BIANCA = "c8096958-797c-44fa-8fde-a6fb62567cf0"
ADELE = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"
BREAK_GLASS = "0b9a5f3c-7c2e-4f0e-9a51-0c6f6d1e2b44"
SHARED_ADMIN = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"
GUEST = "10fc1cc8-ac36-4186-b99b-0cf814aa2dd5"
ADMIN_GROUP = "7f3a1b2c-9d8e-4f60-a1b2-c3d4e5f60718"
PARTNER_REF = "42c43b87-3b87-42c4-873b-c442873bc442"
SERVICE_PRINCIPAL = "9e3b9a11-6c1d-4d2b-8b4f-1e2d3c4b5a69"
DOMAIN = "fabrikamlegal.com"

PEOPLE = {
    MEGAN: ("Megan Bowen", "MeganB", "Megan", "Bowen", "Member"),
    ALEX: ("Alex Wilber", "AlexW", "Alex", "Wilber", "Member"),
    BIANCA: ("Bianca Pisani", "BiancaP", "Bianca", "Pisani", "Member"),
    ADELE: ("Adele Vance", "AdeleV", "Adele", "Vance", "Member"),
    BREAK_GLASS: ("Emergency Access 01", "breakglass01", None, None, "Member"),
    SHARED_ADMIN: ("MOD Administrator", "admin", None, None, "Member"),
    GUEST: ("Markie Downing", "markie_contoso.com#EXT#", "Markie", "Downing", "Guest"),
}


def upn(user_id: str) -> str:
    return f"{PEOPLE[user_id][1]}@{DOMAIN}"


# servicePlanIds from Microsoft's "Product names and service plan identifiers for licensing".
EXCHANGE_ONLINE_PLAN_1 = "9aaf7827-d63c-4b61-89c3-182f06f82e5c"  # EXCHANGE_S_STANDARD
EXCHANGE_ONLINE_PLAN_2 = "efb87545-963c-4e0d-99df-69c6916d9eb0"  # EXCHANGE_S_ENTERPRISE
EXCHANGE_FOUNDATION = "113feb6c-3fe4-4440-bddc-54d774bf0318"  # EXCHANGE_S_FOUNDATION: comes with Entra ID P1/P2
DEFENDER_FOR_OFFICE_P1 = "f20fedf3-f3c3-43c3-8267-2bfdd51c0939"  # ATP_ENTERPRISE
TEAMS = "57ff2da0-773e-42df-b2af-ffb7a2317929"  # TEAMS1
ENTRA_ID_P1 = "41781fb2-bc02-4b7c-bd55-b576c07bb09d"  # AAD_PREMIUM
ENTRA_ID_P2 = "eec0eb4f-6444-4f95-aba0-50c24d67f998"  # AAD_PREMIUM_P2
SHAREPOINT_PLAN_2 = "5dbe027f-2339-4123-9542-606e4d348a72"  # SHAREPOINTENTERPRISE
MFA_PREMIUM = "8a256a2b-b617-496d-b51b-e76466e88db0"
_DEFAULT_PLAN = {"exchange": EXCHANGE_ONLINE_PLAN_2, "TeamspaceAPI": TEAMS, "AADPremiumService": ENTRA_ID_P1,
                 "SharePoint": SHAREPOINT_PLAN_2, "MultiFactorService": MFA_PREMIUM}


def plan(service: str, status: str = "Enabled", plan_id: str | None = None) -> dict[str, Any]:
    """An assignedPlans entry; without ``plan_id``, the usual plan of that service (Exchange Online Plan 2 for
    `exchange`, Teams for `TeamspaceAPI`, ...)."""
    return {"assignedDateTime": "2025-10-08T20:50:43Z", "capabilityStatus": status, "service": service,
            "servicePlanId": plan_id or _DEFAULT_PLAN[service]}


def entra_p2_only() -> list[dict[str, Any]]:
    """assignedPlans of a user whose only licence is Microsoft Entra ID P2 (AAD_PREMIUM_P2: P1, P2, MFA,
    Defender for Cloud Apps discovery and Exchange Foundation, of service `exchange`, which gives no mailbox)."""
    return [plan("AADPremiumService", plan_id=ENTRA_ID_P1), plan("AADPremiumService", plan_id=ENTRA_ID_P2),
            plan("MultiFactorService"), plan("Adallom", plan_id="932ad362-64a8-4783-9106-97849a1a30b9"),
            plan("exchange", plan_id=EXCHANGE_FOUNDATION)]


def user(user_id: str, *, enabled: bool = True, plans: list[dict[str, Any]] | None = None, **override: Any) -> dict[str, Any]:
    """A `users` object with the fields auditor/fields.py keeps."""
    name, _, given, surname, user_type = PEOPLE[user_id]
    record = {
        "id": user_id, "displayName": name, "userPrincipalName": upn(user_id), "givenName": given,
        "surname": surname, "userType": user_type, "accountEnabled": enabled, "mail": upn(user_id),
        "assignedPlans": plans or [],
    }
    record.update(override)
    return record


def principal(user_id: str) -> dict[str, Any]:
    """An expanded user principal as roleAssignments?$expand=principal returns it."""
    name, _, _, _, user_type = PEOPLE[user_id]
    return {"@odata.type": "#microsoft.graph.user", "id": user_id, "accountEnabled": True, "displayName": name,
            "imAddresses": [], "mail": upn(user_id), "userPrincipalName": upn(user_id), "userType": user_type}


def group_principal(group_id: str = ADMIN_GROUP, name: str = "Tier 0 Admins") -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.group", "id": group_id, "displayName": name,
            "isAssignableToRole": True, "securityEnabled": True}


def partner_principal() -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.directoryObjectPartnerReference", "id": PARTNER_REF,
            "displayName": "Northwind Cloud Partners", "externalPartnerTenantId": "189e00e4-00e4-189e-e400-9e18e4009e18"}


def sp_principal() -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.servicePrincipal", "id": SERVICE_PRINCIPAL,
            "displayName": "Backup Automation", "appId": "2b1c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b"}


def assignment(role_id: str, who: dict[str, Any], index: int = 1) -> dict[str, Any]:
    return {"id": f"lAPpYvVpN0KRkAEhdxReE{index:04d}-1", "principalId": who["id"], "directoryScopeId": "/",
            "roleDefinitionId": role_id, "principal": who}


def eligibility(role_id: str, who: dict[str, Any], status: str = "Provisioned") -> dict[str, Any]:
    return {"id": f"elig-{who['id'][:8]}-{role_id[:8]}", "principalId": who["id"], "directoryScopeId": "/",
            "roleDefinitionId": role_id, "memberType": "Direct", "status": status, "principal": who}


def member(user_id: str) -> dict[str, Any]:
    name, _, _, _, user_type = PEOPLE[user_id]
    return {"@odata.type": "#microsoft.graph.user", "id": user_id, "displayName": name,
            "userPrincipalName": upn(user_id), "userType": user_type}


def registration(user_id: str, registered: bool = True, methods: list[str] | None = None) -> dict[str, Any]:
    name, _, _, _, user_type = PEOPLE[user_id]
    return {"id": user_id, "userPrincipalName": upn(user_id), "userDisplayName": name, "userType": user_type.lower(),
            "isAdmin": False, "isMfaRegistered": registered, "isMfaCapable": registered,
            "methodsRegistered": methods if methods is not None else (["microsoftAuthenticatorPush"] if registered else [])}


def security_defaults(enabled: bool | None) -> dict[str, Any]:
    body = {"id": "00000000-0000-0000-0000-000000000005", "displayName": "Security Defaults"}
    if enabled is not None:
        body["isEnabled"] = enabled
    return body


def ca_policy(
    name: str = "Require MFA for all users",
    *,
    state: str = "enabled",
    include_users: list[str] | None = None,
    exclude_users: list[str] | None = None,
    include_roles: list[str] | None = None,
    exclude_roles: list[str] | None = None,
    exclude_groups: list[str] | None = None,
    include_apps: list[str] | None = None,
    exclude_apps: list[str] | None = None,
    client_app_types: list[str] | None = None,
    operator: str = "OR",
    controls: list[str] | None = None,
    strength: dict[str, Any] | None = None,
    policy_id: str = "ad8d2b4a-8d30-413f-88b8-144c6c8d98d9",
    **conditions: Any,
) -> dict[str, Any]:
    """A conditionalAccessPolicy as GET /identity/conditionalAccess/policies returns it (v1.0)."""
    body = {
        "id": policy_id,
        "displayName": name,
        "state": state,
        "conditions": {
            "signInRiskLevels": [],
            "userRiskLevels": [],
            "clientAppTypes": client_app_types or ["all"],
            "platforms": None,
            "locations": None,
            "devices": None,
            "applications": {"includeApplications": include_apps or ["All"], "excludeApplications": exclude_apps or [],
                             "includeUserActions": []},
            "users": {
                "includeUsers": include_users if include_users is not None else (["All"] if not include_roles else []),
                "excludeUsers": exclude_users or [],
                "includeGroups": [], "excludeGroups": exclude_groups or [],
                "includeRoles": include_roles or [], "excludeRoles": exclude_roles or [],
            },
        },
        "grantControls": {
            "operator": operator,
            "builtInControls": controls if controls is not None else ([] if strength else ["mfa"]),
            "customAuthenticationFactors": [],
            "termsOfUse": [],
            "authenticationStrength": strength,
        },
    }
    body["conditions"].update(conditions)
    return body


def custom_strength(strength_id: str, name: str, combinations: list[str], satisfied: str = "mfa") -> dict[str, Any]:
    return {"id": strength_id, "displayName": name, "policyType": "custom", "requirementsSatisfied": satisfied,
            "allowedCombinations": combinations}


def strength_ref(strength_id: str, name: str = "") -> dict[str, Any]:
    """A strength inside a policy given only by id (as when Graph returns it without expansion)."""
    return {"id": strength_id, "displayName": name}
