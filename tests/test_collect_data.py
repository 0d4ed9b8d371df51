"""Snapshots for the collector and emulator tests, built from Microsoft's documented example responses
(/work/shared/graph-examples shapes), restricted to the fields our $select asks for. No tests here."""

from __future__ import annotations

import copy
from typing import Any

from auditor.fields import GRAPH_SELECT
from auditor.snapshot import TenantSnapshot
from tests.builders import make_snapshot, subscription

CUSTOMER_A = "52eaad04-13a2-4a2f-9ce8-93a294fadf36"
CUSTOMER_B = "a4b8c2d6-0e1f-4a3b-8c5d-6e7f8a9b0c1d"
PARTNER = "c296b2ce-8cd1-4346-9e82-d8eccca70d65"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
SECURITY_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"


def keep(section: str, item: dict[str, Any]) -> dict[str, Any]:
    fields = set(GRAPH_SELECT[section])
    return {k: v for k, v in item.items() if k in fields or k == "@odata.type"}


def _user(i: int, domain: str) -> dict[str, Any]:
    return {
        "id": f"{i:08d}-1111-4222-8333-{i:012d}",
        "displayName": f"User {i}",
        "userPrincipalName": f"user{i}@{domain}",
        "givenName": "User",
        "surname": str(i),
        "userType": "Member",
        "accountEnabled": True,
        "mail": f"user{i}@{domain}",
        "assignedPlans": [
            {"assignedDateTime": "2026-01-10T10:00:00Z", "capabilityStatus": "Enabled", "service": "exchange",
             "servicePlanId": "efb87545-963c-4e0d-99df-69c6916d9eb0"}
        ],
    }


def _principal(user: dict[str, Any]) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.user", "id": user["id"], "displayName": user["displayName"],
            "userPrincipalName": user["userPrincipalName"], "userType": "Member", "accountEnabled": True}


def customer(tenant_id: str = CUSTOMER_A, name: str = "Contoso Inc", users: int = 30, subscriptions: int = 1,
             domain: str = "contoso.com") -> TenantSnapshot:
    people = [_user(i, domain) for i in range(users)]
    admins = people[:3]
    group_id = "9d7e3c2b-5a4f-4e6d-8c7b-1a2b3c4d5e6f"
    group_member = people[3]
    assignments = [
        {"id": f"ra-{i}", "principalId": u["id"], "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/",
         "principal": _principal(u)}
        for i, u in enumerate(admins)
    ]
    eligibility = [
        {"id": "res-1", "principalId": group_id, "roleDefinitionId": SECURITY_ADMIN, "directoryScopeId": "/",
         "memberType": "Direct", "status": "Provisioned",
         "principal": {"@odata.type": "#microsoft.graph.group", "id": group_id, "displayName": "Tier 0 admins"}},
    ]
    methods = [
        {"@odata.type": "#microsoft.graph.emailAuthenticationMethod", "id": "3ddfcfc8-9383-446f-83cc-3ab9be4be18f",
         "emailAddress": "recovery@fabrikam.example"},
        {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": "3179e48a-750b-4051-897c-87b9720928f7",
         "phoneNumber": "+1 2065555555", "phoneType": "mobile", "smsSignInState": "notSupported"},
        {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "28c10230-6103-485e-b985-444c60001490",
         "createdDateTime": "2026-01-10T10:00:00Z"},
    ]
    subs = [
        subscription(
            f"{i:08d}-aaaa-4bbb-8ccc-{int(tenant_id[:8], 16) % 10**12:012d}",
            f"{name} production {i}",
            security_contacts=[{
                "id": "/subscriptions/x/providers/Microsoft.Security/securityContacts/default",
                "name": "default", "type": "Microsoft.Security/securityContacts",
                "properties": {"emails": f"security@{domain}", "isEnabled": True,
                               "notificationsByRole": {"state": "On", "roles": ["Owner"]},
                               "notificationsSources": [{"sourceType": "Alert", "minimalSeverity": "Medium"}]},
            }],
            pricings=[
                {"id": f"/subscriptions/x/providers/Microsoft.Security/pricings/{plan}", "name": plan,
                 "type": "Microsoft.Security/pricings", "properties": {"pricingTier": tier}}
                for plan, tier in (("VirtualMachines", "Standard"), ("StorageAccounts", "Free"), ("KeyVaults", "Standard"),
                                   ("Arm", "Standard"))
            ],
            budgets=[{
                "id": "/subscriptions/x/providers/Microsoft.Consumption/budgets/monthly", "name": "monthly",
                "type": "Microsoft.Consumption/budgets", "eTag": "\"1d34d016a593709\"",
                "properties": {"category": "Cost", "amount": 1000, "timeGrain": "Monthly",
                               "notifications": {"Actual_GreaterThan_80_Percent": {
                                   "enabled": True, "operator": "GreaterThan", "threshold": 80,
                                   "contactEmails": [f"finance@{domain}"]}}},
            }],
            scheduled_actions=[],
            **_governance(f"{i:08d}-aaaa-4bbb-8ccc-{int(tenant_id[:8], 16) % 10**12:012d}", admins[0]["id"]),
        )
        for i in range(subscriptions)
    ]
    snapshot = make_snapshot(
        tenant_id=tenant_id,
        name=name,
        subscriptions=subs,
        organization=[{
            "id": tenant_id, "displayName": name,
            "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": True,
                                 "isInitial": False, "name": domain, "type": "Managed"}],
            "securityComplianceNotificationMails": [f"security@{domain}"], "technicalNotificationMails": [f"it@{domain}"],
        }],
        security_defaults={"id": "00000000-0000-0000-0000-000000000005", "displayName": "Security Defaults",
                           "isEnabled": False},
        conditional_access_policies=[{
            "id": "14a5ab95-9ef3-4a45-a9a9-0da9d9f8f49a", "displayName": "Require MFA for all users", "state": "enabled",
            "conditions": {"clientAppTypes": ["all"], "applications": {"includeApplications": ["All"], "excludeApplications": []},
                           "users": {"includeUsers": ["All"], "excludeUsers": [], "excludeGroups": [], "excludeRoles": []}},
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
        }],
        authentication_strength_policies=[{
            "id": "00000000-0000-0000-0000-000000000004", "displayName": "Phishing-resistant MFA",
            "policyType": "builtIn", "requirementsSatisfied": "mfa",
            "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
        }],
        role_assignments=assignments,
        role_eligibility_schedules=eligibility,
        group_members={group_id: [{"@odata.type": "#microsoft.graph.user", "id": group_member["id"],
                                   "displayName": group_member["displayName"],
                                   "userPrincipalName": group_member["userPrincipalName"], "userType": "Member"}]},
        users=people,
        user_registration_details=[
            {"id": u["id"], "userPrincipalName": u["userPrincipalName"], "userDisplayName": u["displayName"],
             "userType": "member", "isAdmin": u in admins, "isMfaRegistered": i % 7 != 0, "isMfaCapable": i % 7 != 0,
             "methodsRegistered": ["microsoftAuthenticatorPush"] if i % 7 else []}
            for i, u in enumerate(people)
        ],
        authentication_methods={u["id"]: copy.deepcopy(methods) for u in admins + [group_member]},
        azure_group_members={AZURE_OWNERS: [{"id": people[4]["id"], "displayName": people[4]["displayName"],
                                             "userPrincipalName": people[4]["userPrincipalName"], "userType": "Member",
                                             "accountEnabled": True}]} if subscriptions and len(people) > 4 else {},
        secure_scores=[{
            "id": f"{tenant_id}_2026-11-20", "azureTenantId": tenant_id, "createdDateTime": "2026-11-20T00:00:00Z",
            "currentScore": 41.0, "maxScore": 90.0,
            "averageComparativeScores": [{"basis": "AllTenants", "averageScore": 38.0}],
        }],
        **wave2_sections(admins + [group_member], tenant_id),
    )
    snapshot.tenant.default_domain = domain  # what the collector reads from verifiedDomains
    return snapshot


# --- wave 2 (issue 12): shapes from graph-examples (users_signin_activity.json, pim_*.json,
# signins_beta_list_nextlink.json, risky_users_beta_example.json, partner_security_requirements_beta.json)

SIGN_IN_ACTIVITY = {  # users_signin_activity.json, first user's signInActivity
    "lastSignInDateTime": "2026-11-17T16:41:33Z",
    "lastSignInRequestId": "d4d31c40-4c36-4775-ad59-7d1e6a171f00",
    "lastNonInteractiveSignInDateTime": "0001-01-01T00:00:00Z",
    "lastNonInteractiveSignInRequestId": "",
}


def wave2_sections(privileged: list[dict[str, Any]], tenant_id: str) -> dict[str, Any]:
    """The wave-2 sections of a customer: signInActivity of its privileged users, PIM instances (the GA
    holders, permanent as in the docs example), one service-provider sign-in, one high-risk user."""
    instances = [
        {"id": f"lAPpYvVpN0KRkAEhdxReEAWz5Gtet_xOv8wxvTtTpfg{i}-1", "principalId": u["id"],
         "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/", "startDateTime": None, "endDateTime": None,
         "assignmentType": "Assigned", "memberType": "Direct"}
        for i, u in enumerate(privileged[:3])
    ]
    sign_in = {
        "id": "1691d37b-8579-43a7-966a-0f35583c1300", "createdDateTime": "2026-11-10T16:34:32Z",
        "userDisplayName": "Test contoso", "userPrincipalName": "testaccount1@contoso.com",
        "homeTenantId": "99081087-73c4-48d1-a112-f60ff75114f7", "homeTenantName": "",
        "resourceTenantId": tenant_id, "appDisplayName": "Azure Portal",
        "crossTenantAccessType": "serviceProvider", "signInEventTypes": ["interactiveUser"],
    }
    risky = {"id": "c2b6c2b9-dddc-acd0-2b39-d519d803dbc3", "riskLastUpdatedDateTime": "2016-01-29T20:03:57.7872426Z",
             "isDeleted": True, "riskDetail": "adminConfirmedSigninCompromised", "riskLevel": "high",
             "riskState": "atRisk", "userDisplayName": "Alex Wilbur", "userPrincipalName": "alexw@contoso.com"}
    return {
        "sign_in_activity": {u["id"]: {"id": u["id"], "createdDateTime": "2025-01-10T10:00:00Z",
                                       "signInActivity": copy.deepcopy(SIGN_IN_ACTIVITY)} for u in privileged},
        "role_assignment_schedule_instances": instances,
        "service_provider_sign_ins": [sign_in],
        "risky_users": [risky],
    }


REQUIREMENTS = [{  # partner_security_requirements_beta.json
    "@odata.type": "#microsoft.graph.partner.security.securityRequirement",
    "id": "adc3e54c-8dde-f1cb-b92e-ffb989948282", "requirementType": "securityContactProvided",
    "complianceStatus": "compliant", "actionUrl": "https://aka.ms/partner-center-security-contact",
    "helpUrl": "https://aka.ms/partner-center-security-dashboard-security-contact", "score": 20, "maxScore": 20,
    "state": "active", "updatedDateTime": "2023-09-26T04:04:01.4261872Z",
}]


AZURE_OWNERS = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e"  # a customer group holding Owner on subscriptions
PARTNER_ADMIN_AGENTS = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"


def _governance(sub: str, owner_id: str) -> dict[str, Any]:
    """The Azure governance sections of one subscription (tests/azure_fixtures.py shapes)."""
    from tests.azure_fixtures import (
        CONTRIBUTOR,
        OWNER,
        ROLE_WRITE,
        action_group,
        activity_log_alert,
        diagnostic_setting,
        resource_change,
        role_assignment,
    )

    return {
        "azure_role_assignments": [role_assignment(owner_id, "User", OWNER, sub, name="ra-user"),
                                   role_assignment(AZURE_OWNERS, "Group", CONTRIBUTOR, sub, name="ra-group"),
                                   role_assignment(PARTNER_ADMIN_AGENTS, "ForeignGroup", OWNER, sub, name="ra-aobo")],
        "activity_log_alerts": [activity_log_alert(ROLE_WRITE, sub), action_group(sub)],
        "diagnostic_settings": [diagnostic_setting(sub=sub)],
        "resource_creations": [resource_change("Microsoft.Compute/virtualMachines", "vm1", "2026-11-24T10:00:00Z",
                                               sub, sku="Standard_D2s_v5")],
    }


def partner(customers: list[tuple[str, str]], tenant_id: str = PARTNER) -> TenantSnapshot:
    base = customer(tenant_id, "Northwind Cloud Partners", users=12, subscriptions=0, domain="northwind.example")
    relationships = [
        {"@odata.type": "#microsoft.graph.delegatedAdminRelationship", "id": f"rel-{i}-{cid}",
         "displayName": f"{cname} admin relationship", "status": "active",
         "customer": {"tenantId": cid, "displayName": cname},
         "accessDetails": {"unifiedRoles": [{"roleDefinitionId": "dd4db9a0-cc4a-4213-9f9f-70242232d97e"}]},
         "duration": "P730D", "autoExtendDuration": "P180D", "createdDateTime": "2026-02-10T11:24:42Z",
         "activatedDateTime": "2026-02-10T11:26:44Z", "endDateTime": "2028-02-10T11:24:42Z"}
        for i, (cid, cname) in enumerate(customers)
    ]
    relationships.append({**relationships[0], "id": "rel-terminated", "status": "terminated",
                          "customer": {"tenantId": "0000dead-0000-4000-8000-000000000000", "displayName": "Former Ltd"}})
    sections = {name: section for name, section in base.sections.items()}
    data = {
        "contracts": [{"id": f"c-{cid}", "contractType": "ResellerPartner", "customerId": cid,
                       "defaultDomainName": f"{cname.split()[0].lower()}.example", "displayName": cname}
                      for cid, cname in customers],
        "delegated_admin_relationships": relationships,
        "delegated_admin_access_assignments": {
            r["id"]: [{"@odata.type": "#microsoft.graph.delegatedAdminAccessAssignment", "id": f"aa-{r['id']}",
                       "status": "active",
                       "accessContainer": {"accessContainerId": "227a2f44-2682-4831-a021-f8d69a34bcba",
                                           "accessContainerType": "securityGroup"},
                       "accessDetails": {"unifiedRoles": [{"roleDefinitionId": GLOBAL_ADMIN}]}}]
            for r in relationships if r["status"] == "active"
        },
        "partner_security_alerts": [{
            "id": "d8b202fc-a216-3404-69ef-bdffa445eff6",
            "displayName": "Action Required: Virtual machine connecting to crypto currency mining pool Detected",
            "alertType": "networkConnectionsToCryptoMiningPools", "status": "active", "severity": "high",
            "customerTenantId": customers[0][0], "detectedDateTime": "2026-11-18T16:03:33.05Z",
            "firstObservedDateTime": "2026-11-18T16:03:33.05Z", "isTest": False,
        }],
        "partner_security_requirements": copy.deepcopy(REQUIREMENTS),
    }
    data["partner_agent_groups"] = [{"id": PARTNER_ADMIN_AGENTS, "displayName": "AdminAgents", "securityEnabled": True}]
    data["azure_group_members"] = {}
    snapshot = make_snapshot(kind="partner", tenant_id=tenant_id, name="Northwind Cloud Partners", subscriptions=[],
                             **{k: s for k, s in sections.items() if s.ok and k not in ("subscriptions", *data)}, **data)
    snapshot.tenant.default_domain = "northwind.example"
    return snapshot
