"""Fixed reference values the sample builder draws on: Entra role template ids, licence service plans,
Conditional Access building blocks, person names, and the request each section is read with.

Only well-known Microsoft identifiers appear here (role template ids, built-in authentication strengths,
service plan ids); everything tenant-specific is generated from a seeded RNG in ``builder``.
"""

from __future__ import annotations

from auditor.collect.permissions import AZURE_ROLES, GRAPH_PERMISSIONS
from auditor.collect.resource_graph import LISTING_SECTION, query_request_line
from checks.conditional_access import BUILT_IN_STRENGTHS as _BUILT_IN_STRENGTHS
from checks.conditional_access import MFA_STRENGTH as STRENGTH_MFA
from checks.conditional_access import PASSWORDLESS_STRENGTH as STRENGTH_PASSWORDLESS
from checks.conditional_access import PHISHING_RESISTANT_STRENGTH as STRENGTH_PHISHING_RESISTANT


# --- Entra ID built-in role template ids ---------------------------------------------------------------

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
PRIVILEGED_AUTH_ADMIN = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
SECURITY_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
SHAREPOINT_ADMIN = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
BILLING_ADMIN = "b0f54661-2d74-4c50-afa3-1ec803f12efe"
CONDITIONAL_ACCESS_ADMIN = "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"
APPLICATION_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
CLOUD_APPLICATION_ADMIN = "158c047a-c907-4556-b7ef-446551a6b5f7"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
AUTHENTICATION_ADMIN = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
PASSWORD_ADMIN = "966707d0-3269-4727-9be2-8c3a10f19b9d"
INTUNE_ADMIN = "3a2c62db-5318-420d-8d74-23affee5d9d5"
HYBRID_IDENTITY_ADMIN = "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"

# Roles that are not privileged in the checklist's sense (noise a real tenant has).
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
SECURITY_READER = "5d6b6bb7-de71-4623-b4af-96380a352509"
REPORTS_READER = "4a5d8f65-41da-4de4-8968-e035b65339cf"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
SERVICE_SUPPORT_ADMIN = "f023fd81-a637-4b56-95fd-791ac0226033"
LICENSE_ADMIN = "4d6ac14f-3453-41d0-bef9-a3e0c569773a"
DIRECTORY_SYNC_ACCOUNTS = "d29b2b05-8046-44ba-8758-1e26182fcf32"

# The checklist's privileged roles, in the order Conditional Access templates list them.
PRIVILEGED_ROLES: tuple[str, ...] = (
    GLOBAL_ADMIN, PRIVILEGED_ROLE_ADMIN, PRIVILEGED_AUTH_ADMIN, SECURITY_ADMIN, EXCHANGE_ADMIN,
    SHAREPOINT_ADMIN, USER_ADMIN, BILLING_ADMIN, CONDITIONAL_ACCESS_ADMIN, APPLICATION_ADMIN,
    CLOUD_APPLICATION_ADMIN, HELPDESK_ADMIN, AUTHENTICATION_ADMIN, PASSWORD_ADMIN, INTUNE_ADMIN,
    HYBRID_IDENTITY_ADMIN,
)

# Roles a least-privilege GDAP relationship typically grants (no Global Administrator).
GDAP_STANDARD_ROLES: tuple[str, ...] = (
    HELPDESK_ADMIN, USER_ADMIN, EXCHANGE_ADMIN, SECURITY_READER, GLOBAL_READER, SERVICE_SUPPORT_ADMIN,
    LICENSE_ADMIN, DIRECTORY_READERS,
)

# --- Authentication strengths (built-in ids are fixed across tenants) ---------------------------------

# The built-in strengths as Graph lists them; the checks keep the one copy.
BUILT_IN_STRENGTHS: tuple[dict, ...] = tuple(
    _BUILT_IN_STRENGTHS[key] for key in (STRENGTH_MFA, STRENGTH_PASSWORDLESS, STRENGTH_PHISHING_RESISTANT)
)

# --- Licences: the service plans a user's assignedPlans shows -------------------------------------------

_EXCHANGE_STANDARD = ("exchange", "9aaf7827-d63c-4b61-89c3-182f06f82e5c")
_EXCHANGE_ENTERPRISE = ("exchange", "efb87545-963c-4e0d-99df-69c6916d9eb0")
_SHAREPOINT = ("SharePoint", "c7699d2e-19aa-44de-8edf-1736da088ca1")
_SHAREPOINT_ENTERPRISE = ("SharePoint", "5dbe027f-2339-4123-9542-606e4d348a72")
_TEAMS = ("TeamspaceAPI", "57ff2da0-773e-42df-b2af-ffb7a2317929")
_OFFICE = ("MicrosoftOffice", "43de0ff5-c92c-492b-9116-175376d08c38")
_SKYPE = ("MicrosoftCommunicationsOnline", "0feaeb32-d00e-4d66-bd5a-43b5b83db82c")
_ENTRA_P1 = ("AADPremiumService", "41781fb2-bc02-4b7c-bd55-b576c07bb09d")
_ENTRA_P2 = ("AADPremiumService", "eec0eb4f-6444-4f95-aba0-50c24d67f998")
_MFA = ("MultiFactorService", "8a256a2b-b617-496d-b51b-e76466e88db0")
_INTUNE = ("SCO", "c1ec4a95-1f05-45b3-a911-aa3fa01094f5")
# Comes with Entra ID P1/P2 (and most Microsoft 365 licences): service `exchange`, but no mailbox.
_EXCHANGE_FOUNDATION = ("exchange", "113feb6c-3fe4-4440-bddc-54d774bf0318")

# Licence -> (service, servicePlanId) pairs. Business Standard has no Entra ID P1; Business Premium has P1;
# Microsoft 365 E5 has P2.
LICENCE_PLANS: dict[str, tuple[tuple[str, str], ...]] = {
    "business_standard": (_EXCHANGE_STANDARD, _SHAREPOINT, _TEAMS, _OFFICE, _SKYPE),
    "business_premium": (_EXCHANGE_STANDARD, _SHAREPOINT, _TEAMS, _OFFICE, _SKYPE, _ENTRA_P1, _MFA, _INTUNE),
    "e5": (_EXCHANGE_ENTERPRISE, _SHAREPOINT_ENTERPRISE, _TEAMS, _OFFICE, _SKYPE, _ENTRA_P1, _ENTRA_P2, _MFA, _INTUNE),
}
# The licence an admin-only (no mailbox) account carries: Entra ID only (P1 or P2, which bring Exchange
# Foundation: an enabled `exchange` plan that gives no mailbox, as in real tenants).
ADMIN_ONLY_PLANS: dict[str, tuple[tuple[str, str], ...]] = {
    "business_standard": (),
    "business_premium": (_ENTRA_P1, _MFA, _EXCHANGE_FOUNDATION),
    "e5": (_ENTRA_P1, _ENTRA_P2, _MFA, _EXCHANGE_FOUNDATION),
}

# --- People and places -----------------------------------------------------------------------------------

FIRST_NAMES = (
    "Megan", "Alex", "Adele", "Allan", "Bianca", "Christie", "Debra", "Diego", "Emily", "Enrico", "Grady",
    "Henrietta", "Irvin", "Isaiah", "Johanna", "Joni", "Lee", "Lidia", "Lynne", "Miriam", "Nestor", "Patti",
    "Pradeep", "Raul", "Sofia", "Tomasz", "Aisha", "Kenji", "Priya", "Oliver", "Hannah", "Lukas", "Chloe",
    "Mateo", "Zara", "Noah", "Ingrid", "Rafael", "Amara", "Declan", "Yuki", "Fatima", "Gabriel", "Elena",
    "Samuel", "Nadia", "Owen", "Leila", "Marcus", "Freya", "Jonas", "Carmen", "Tariq", "Helena", "Felix",
    "Maya", "Arjun", "Sienna", "Victor", "Rosa", "Daniel", "Ana", "Kwame", "Clara", "Hugo", "Naomi",
    "Ethan", "Lucia", "Ravi", "Greta", "Simon", "Amelia", "Björn", "Chiara", "Dmitri", "Esther", "Farah",
)
LAST_NAMES = (
    "Bowen", "Wilber", "Vance", "Deyoung", "Pisani", "Cline", "Berg", "Siciliani", "Braun", "Cantoni",
    "Archie", "Cameron", "Sink", "Langer", "Lauer", "Sherman", "Gu", "Holloway", "Robbins", "Graham",
    "Wilke", "Fernandez", "Rai", "Gonzalez", "Novak", "Kowalski", "Okafor", "Tanaka", "Sharma", "Hughes",
    "Fischer", "Martin", "Silva", "Ahmed", "Lindqvist", "Moreau", "Costa", "Byrne", "Nakamura", "Haddad",
    "Rossi", "Petrov", "Jansen", "Clarke", "Mensah", "Duarte", "Iyer", "Schmidt", "Dubois", "Walsh",
    "Romero", "Nilsson", "Kaur", "Brennan", "Adeyemi", "Weber", "Ortega", "Meyer", "Chen", "Park",
    "Kim", "Murphy", "Bianchi", "Eriksen", "Santos", "Horvat", "Quinn", "Osei", "Varga", "Lopez",
)
COMPANY_WORDS = (
    ("Blue", "Harbor", "Cedar", "Summit", "Granite", "Silver", "Maple", "Northgate", "Riverside", "Oak",
     "Bright", "Lakeview", "Redwood", "Ironbridge", "Meadow", "Falcon", "Crescent", "Highland", "Coastal"),
    ("Logistics", "Dental", "Engineering", "Foods", "Architects", "Insurance", "Clinics", "Accounting",
     "Robotics", "Outfitters", "Hotels", "Pharmacy", "Builders", "Analytics", "Travel", "Media", "Retail"),
)

# --- Requests: the collector's own request lines (auditor.collect.plan), so samples and collection agree --


def _requests() -> tuple[dict[str, str], dict[str, str]]:
    from auditor.collect.plan import ARM_SUBSCRIPTION_REQUESTS, ARM_SUBSCRIPTIONS, GRAPH_REQUESTS

    # Per-parent sections show the parent as {id} (one line describes the whole map).
    tenant = {name: request.request_line() for name, request in GRAPH_REQUESTS.items()}
    tenant["subscriptions"] = ARM_SUBSCRIPTIONS.request_line()
    # Per-subscription lines keep a {subscriptionId} placeholder, filled in for each subscription.
    per_subscription = {
        # (the activity log's {since}/{until} placeholders stay literal through str.format)
        name: request.request_line("SUBSCRIPTION").replace("{since}", "{{since}}").replace("{until}", "{{until}}")
        .replace("SUBSCRIPTION", "{subscriptionId}")
        for name, request in ARM_SUBSCRIPTION_REQUESTS.items()
    }
    return tenant, per_subscription


REQUESTS, SUBSCRIPTION_REQUESTS = _requests()
# A tenant with subscriptions has them listed by Azure Resource Graph's listing query; one without by ARM's
# GET /subscriptions (auditor/collect/subscriptions.py).
SUBSCRIPTIONS_FROM_RESOURCE_GRAPH = query_request_line(LISTING_SECTION)

# The permission (Graph application permission or Azure role) each section needs: named in `forbidden`
# reasons so the report tells the admin exactly what to grant.
PERMISSIONS: dict[str, str] = {**GRAPH_PERMISSIONS, **AZURE_ROLES}

ARM_ACTIONS: dict[str, str] = {
    "security_contacts": "Microsoft.Security/securityContacts/read",
    "pricings": "Microsoft.Security/pricings/read",
    "budgets": "Microsoft.Consumption/budgets/read",
    "scheduled_actions": "Microsoft.CostManagement/scheduledActions/read",
    "azure_role_assignments": "Microsoft.Authorization/roleAssignments/read",
    "activity_log_alerts": "Microsoft.Insights/activityLogAlerts/read",
    "diagnostic_settings": "Microsoft.Insights/diagnosticSettings/read",
    "resource_creations": "Microsoft.Insights/eventtypes/values/read",
}

# Sections only the partner tenant is read for.
PARTNER_ONLY = ("contracts", "delegated_admin_relationships", "delegated_admin_access_assignments", "partner_security_alerts",
                "partner_security_requirements", "partner_agent_groups")

# Defender for Cloud plans as ARM lists them (2024-01-01).
DEFENDER_PLANS = (
    "VirtualMachines", "SqlServers", "AppServices", "StorageAccounts", "SqlServerVirtualMachines", "KeyVaults",
    "Arm", "OpenSourceRelationalDatabases", "CosmosDbs", "Containers", "CloudPosture", "Api", "AI",
)
DEFENDER_SUBPLANS = {"VirtualMachines": "P2", "StorageAccounts": "DefenderForStorageV2", "KeyVaults": "PerKeyVault",
                     "Arm": "PerSubscription", "Api": "P1"}
