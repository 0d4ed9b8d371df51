"""The bundled demo portfolio: Northwind Cloud Partners (a fictional CSP) and ten fictional customers,
from well secured to poor. Each customer's story is written beside it; together they make every wave-1
check PASS somewhere, FAIL somewhere else and UNKNOWN in a third tenant (tests/test_sample_data.py checks
that against the real evaluation, so a story that stops doing its job fails a test).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from auditor.snapshot import TenantKind, TenantSnapshot
from sample_data import catalog as c
from sample_data import wave2
from sample_data.builder import (
    COLLECTED_AT,
    SEED,
    Posture,
    SubscriptionPosture as Sub,
    build_snapshot,
    guid,
    iso,
    ok,
    tenant_guid,
)

PARTNER_SLUG = "northwind-cloud-partners"
PARTNER_NAME = "Northwind Cloud Partners"
PARTNER_DOMAIN = "northwindcloudpartners.com"
PARTNER_ID = tenant_guid(PARTNER_SLUG)
FORMER_PARTNER = ("Litware Managed Services", tenant_guid("litware-managed-services"))
# Wave 2 (issue 12): partners whose technicians sign in to customers as service providers (PAR-6). Contoso
# Advisors is a second partner some customers use, declared in the sample config's [[known_partners]];
# Proseware Consulting is nobody's partner of record.
NORTHWIND_SIGN_INS = (PARTNER_NAME, PARTNER_ID, PARTNER_DOMAIN)
KNOWN_PARTNER = ("Contoso Advisors", tenant_guid("contoso-advisors"), "contoso-advisors.com")
UNFAMILIAR_PARTNER = ("Proseware Consulting", tenant_guid("proseware-consulting"), "proseware-consulting.com")


def _sign_ins(*partners: tuple[tuple[str, str, str], int]) -> tuple[tuple[str, str, str, int], ...]:
    return tuple((*partner, count) for partner, count in partners)

_UTC = timezone.utc


def _partner_groups() -> dict[str, str]:
    """The partner's own security groups: its GDAP groups (drawn first from the partner-data RNG, exactly
    as `_partner_sections` draws them) and Partner Center's AdminAgents and HelpdeskAgents groups."""
    rng = random.Random(f"{SEED}:{PARTNER_SLUG}:partner-data")
    groups = {name: guid(rng) for name in ("Helpdesk Agents", "Security Analysts", "Exchange Engineers",
                                           "Emergency GA Access")}
    for name in ("AdminAgents", "HelpdeskAgents"):
        groups[name] = guid(random.Random(f"{SEED}:{PARTNER_SLUG}:{name}"))
    return groups


PARTNER_GROUPS = _partner_groups()
OWNER_ROLE = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR_ROLE = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER_ROLE = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
# Legacy AOBO: the partner's AdminAgents group made Owner of the subscriptions it sold (AZR-1 advisory).
AOBO_OWNER = ((PARTNER_GROUPS["AdminAgents"], OWNER_ROLE),)
GDAP_AZURE = ((PARTNER_GROUPS["Helpdesk Agents"], READER_ROLE),)
# The former partner's AdminAgents group, still Owner on Alpine's subscription: unknown to Northwind (AZR-1).
FORMER_PARTNER_OWNER = ((guid(random.Random(f"{SEED}:litware:AdminAgents")), OWNER_ROLE),)

CUSTOMERS: tuple[Posture, ...] = (
    # Well secured: CA baseline with phishing-resistant MFA and compliant devices for admins, PIM (E5),
    # break-glass accounts declared in the config, Azure fully configured.
    Posture(
        "fabrikam-legal", "Fabrikam Legal LLP", "fabrikamlegal.com", tags=("tier:gold", "region:na"),
        members=184, guests=9, disabled=4, licence="e5",
        policies=("mfa_all", "phish_admins", "block_legacy", "device_admins", "mfa_guests", "block_countries",
                  "risk_user_high", "risk_sign_in_high"),
        mfa_registered=0.99, global_admins=1, admin_roles=(c.EXCHANGE_ADMIN, c.SHAREPOINT_ADMIN, c.HELPDESK_ADMIN),
        eligible_roles=(c.SECURITY_ADMIN, c.USER_ADMIN), readers=2,
        security_mails=("security@fabrikamlegal.com",), technical_mails=("it-operations@fabrikamlegal.com",),
        secure_score=0.78, created=datetime(2018, 5, 14, 8, 2, 11, tzinfo=_UTC),
        # Azure governance done right: GDAP groups hold Reader, an owners group is expanded, alerts and export.
        subscriptions=(Sub("Fabrikam Legal - Production", foreign_principals=GDAP_AZURE, owner_group=True),
                       Sub("Fabrikam Legal - Document AI", foreign_principals=GDAP_AZURE),
                       Sub("Fabrikam Legal - Dev/Test", foreign_principals=GDAP_AZURE)),
        ga_activated=True, service_providers=_sign_ins((NORTHWIND_SIGN_INS, 14)),
    ),
    # Small practice on Microsoft 365 Business Standard: security defaults only, no Entra ID P1 (so the
    # MFA registration report is not licensed), no Azure.
    Posture(
        "woodgrove-dental", "Woodgrove Dental Group", "woodgrovedental.com", tags=("tier:silver", "region:na"),
        members=38, guests=1, disabled=1, licence="business_standard", security_defaults=True,
        break_glass=0, global_admins=2, admin_roles=(), readers=0,
        security_mails=("practice.manager@woodgrovedental.com",), secure_score=0.64,
        created=datetime(2021, 2, 8, 15, 40, 2, tzinfo=_UTC),
    ),
    # Conditional Access requires MFA but legacy authentication is open (the block policy is a disabled
    # draft); admins work from their licensed mailbox accounts; hybrid identity; MFA registration 91 %.
    # The Dev/Test subscription has no anomaly alert: risk accepted in the sample config (CST-2).
    Posture(
        "tailspin-manufacturing", "Tailspin Manufacturing Ltd", "tailspinmanufacturing.com",
        tags=("tier:gold", "region:emea"), members=312, guests=14, disabled=9, licence="business_premium",
        policies=("mfa_all", "mfa_guests", "legacy_disabled_draft"), mfa_registered=0.91, unregistered_admins=1,
        global_admins=1, admin_roles=(c.EXCHANGE_ADMIN, c.USER_ADMIN, c.INTUNE_ADMIN),
        admins_use_daily_accounts=True, directory_sync=True,
        security_mails=("soc@tailspinmanufacturing.com",), technical_mails=("it@tailspinmanufacturing.com",),
        secure_score=0.61, created=datetime(2017, 10, 23, 7, 55, 31, tzinfo=_UTC),
        # The unregistered admin owns the subscriptions (AZR-2); the alerts' action group e-mail is disabled.
        subscriptions=(Sub("Tailspin - Production ERP", currency="EUR", alert_receiver="disabled", creations="some"),
                       Sub("Tailspin - Dev/Test", anomaly_alert=False, currency="EUR", alert_receiver="disabled")),
        service_providers=_sign_ins((NORTHWIND_SIGN_INS, 9)),
    ),
    # Migrated to GDAP with Northwind, but the former partner's DAP (AdminAgents) still holds Global
    # Administrator; the phishing-resistant policy covers only two admin roles; legacy block is report-only.
    Posture(
        "alpine-ski-house", "Alpine Ski House AG", "alpineskihouse.com", tags=("tier:silver", "region:emea"),
        members=96, guests=5, licence="business_premium",
        policies=("mfa_all", "phish_admins_partial", "block_legacy_report_only"), mfa_registered=0.96,
        break_glass=0, global_admins=2, admin_roles=(c.HELPDESK_ADMIN,), dap_partner=FORMER_PARTNER,
        security_mails=("it-security@alpineskihouse.com",), secure_score=0.57,
        created=datetime(2019, 11, 2, 10, 14, 9, tzinfo=_UTC),
        # The former partner's AdminAgents group still owns the subscription; Security logs are not exported.
        subscriptions=(Sub("Alpine Ski House - Booking Platform", defender="partial", currency="EUR",
                           foreign_principals=FORMER_PARTNER_OWNER, activity_export="admin_only"),),
        service_providers=_sign_ins((NORTHWIND_SIGN_INS, 5)),
    ),
    # The poorest: no security defaults and no Conditional Access, a shared admin@ account with a mailbox,
    # still on DAP with Northwind (no active GDAP), only a technical contact, Azure unmonitored.
    Posture(
        "coho-winery", "Coho Winery", "cohowinery.com", tags=("tier:silver", "region:na"),
        members=27, guests=2, disabled=1, licence="business_premium", mfa_registered=0.64,
        break_glass=0, global_admins=1, admin_roles=(), readers=0, admins_use_daily_accounts=True,
        shared_admin=True, dap_partner=(PARTNER_NAME, PARTNER_ID), technical_mails=("admin@cohowinery.com",),
        secure_score=0.31, created=datetime(2020, 4, 27, 18, 3, 50, tzinfo=_UTC),
        subscriptions=(Sub("Coho Winery - Azure plan", security_contact="off", defender="free", budget="missing",
                           anomaly_alert=False, foreign_principals=AOBO_OWNER, role_alert=False, health_alert=False,
                           activity_export="missing"),),
        service_providers=_sign_ins((NORTHWIND_SIGN_INS, 3)),
    ),
    # Six Global Administrators, a B2B guest (the former IT contractor) holding Exchange Administrator, an
    # app holding a directory role, and the all-users MFA policy left in report-only mode. Microsoft 365 E5
    # bought for its PIM and Identity Protection, neither used: every Global Administrator is permanent, two
    # of them have not signed in for months, the risky sign-in policy is report-only and two users are left
    # at high risk; technicians of a partner nobody remembers (Proseware Consulting) still sign in.
    Posture(
        "lucerne-publishing", "Lucerne Publishing", "lucernepublishing.com", tags=("tier:silver", "region:emea"),
        members=143, guests=22, disabled=6, licence="e5",
        policies=("mfa_all_report_only", "mfa_admins", "block_legacy", "risk_sign_in_report_only"),
        mfa_registered=0.72,
        break_glass=1, global_admins=5, admin_roles=(c.SHAREPOINT_ADMIN,), guest_admin_role=c.EXCHANGE_ADMIN,
        service_principal_role=c.EXCHANGE_ADMIN, security_mails=("security@lucernepublishing.com",),
        secure_score=0.49, created=datetime(2016, 6, 6, 12, 0, 37, tzinfo=_UTC),
        stale_admins=2, risky_users=2,
        service_providers=_sign_ins((NORTHWIND_SIGN_INS, 7), (UNFAMILIAR_PARTNER, 6)),
    ),
    # MFA only outside trusted locations, admins may use a compliant device instead of MFA; Azure
    # subscriptions with neither budgets nor anomaly alerts and Defender plans off (free tier only).
    Posture(
        "trey-research", "Trey Research", "treyresearch.net", tags=("tier:silver", "region:na"),
        members=221, guests=11, disabled=5, licence="business_premium",
        policies=("mfa_all_trusted_locations", "mfa_admins_or_device", "block_legacy"), mfa_registered=0.97,
        global_admins=2, admin_roles=(c.APPLICATION_ADMIN, c.HELPDESK_ADMIN),
        security_mails=("secops@treyresearch.net",), secure_score=0.66,
        created=datetime(2019, 1, 15, 9, 21, 5, tzinfo=_UTC),
        # GPU virtual machines appeared in the lab subscription last week (the crypto-mining alert's source).
        subscriptions=(Sub("Trey Research - Lab Analytics", defender="free", budget="missing", anomaly_alert=False,
                           role_alert=False, health_alert=False, creations="gpu"),
                       Sub("Trey Research - Genomics HPC", defender="free", budget="missing", anomaly_alert=False,
                           role_alert=False)),
        service_providers=_sign_ins((NORTHWIND_SIGN_INS, 6), (KNOWN_PARTNER, 11)),
    ),
    # Good identity baseline (legacy authentication blocked by two policies, one per client type), but
    # nobody receives security notices: no security contact on the tenant or in Defender for Cloud, the
    # Microsoft.Security provider never registered, Secure Score 24 %.
    Posture(
        "margies-travel", "Margie's Travel", "margiestravel.com", tags=("tier:silver", "region:apac"),
        members=64, guests=3, licence="business_premium",
        policies=("mfa_all", "mfa_admins", "block_legacy_eas", "block_legacy_other", "mfa_guests"), mfa_registered=0.95,
        global_admins=1, admin_roles=(c.EXCHANGE_ADMIN,), secure_score=0.24,
        created=datetime(2022, 3, 9, 22, 48, 13, tzinfo=_UTC),
        subscriptions=(Sub("Margie's Travel - Booking Engine", security_contact="missing", defender="absent",
                           creations="gpu", foreign_principals=GDAP_AZURE),),
        service_providers=_sign_ins((NORTHWIND_SIGN_INS, 4)),
    ),
    # The auditor app was consented with an old permission set: policies, roles, authentication methods,
    # organization and Secure Score are forbidden, and the app holds no role on the subscription.
    Posture(
        "proseware", "Proseware, Inc.", "prosewareinc.com", tags=("tier:silver", "region:na"),
        members=118, guests=4, disabled=3, licence="business_premium", policies=("mfa_all", "block_legacy"),
        forbidden=("security_defaults", "conditional_access_policies", "authentication_strength_policies",
                   "role_assignments", "role_eligibility_schedules", "authentication_methods", "organization",
                   "secure_scores", "role_assignment_schedule_instances", "service_provider_sign_ins", "risky_users"),
        security_mails=("security@prosewareinc.com",), secure_score=0.58,
        created=datetime(2020, 9, 1, 13, 37, 0, tzinfo=_UTC),
        subscriptions=(Sub("Proseware - Production", forbidden=True),),
    ),
    # Well secured on Business Premium (no PIM): custom FIDO2/Windows Hello strength for admins, helpdesk
    # admins through a role-assignable group, break-glass accounts declared.
    Posture(
        "fourth-coffee", "Fourth Coffee", "fourthcoffee.com", tags=("tier:gold", "region:na"),
        members=139, guests=6, disabled=2, licence="business_premium",
        policies=("mfa_all", "phish_admins_custom", "block_legacy", "device_admins", "mfa_guests"),
        mfa_registered=0.97, global_admins=1, admin_roles=(c.EXCHANGE_ADMIN, c.USER_ADMIN), role_group=True,
        security_mails=("security@fourthcoffee.com",), technical_mails=("itops@fourthcoffee.com",),
        secure_score=0.72, created=datetime(2018, 12, 3, 11, 9, 58, tzinfo=_UTC),
        subscriptions=(Sub("Fourth Coffee - Retail POS", foreign_principals=AOBO_OWNER, owner_group=True),
                       Sub("Fourth Coffee - Loyalty App", foreign_principals=AOBO_OWNER)),
        service_providers=_sign_ins((NORTHWIND_SIGN_INS, 8)),
    ),
)

PARTNER = Posture(
    PARTNER_SLUG, PARTNER_NAME, PARTNER_DOMAIN, kind=TenantKind.PARTNER, members=86, guests=4, disabled=2,
    licence="e5", policies=("mfa_all", "phish_admins", "block_legacy", "device_admins", "mfa_guests",
                            "risk_user_high", "risk_sign_in_high"),
    mfa_registered=1.0, global_admins=1, admin_roles=(c.SECURITY_ADMIN, c.EXCHANGE_ADMIN, c.HELPDESK_ADMIN),
    eligible_roles=(c.GLOBAL_ADMIN, c.PRIVILEGED_ROLE_ADMIN), security_mails=("security@northwindcloudpartners.com",),
    technical_mails=("noc@northwindcloudpartners.com",), secure_score=0.84,
    created=datetime(2015, 2, 17, 9, 30, 0, tzinfo=_UTC), subscriptions=(Sub("Northwind - Internal IT"),),
    ga_activated=True,
)

# GDAP relationships the partner holds: (customer slug, status, grants GA, auto-extend, created, days).
_RELATIONSHIPS = (
    ("fabrikam-legal", "active", False, "P180D", datetime(2025, 6, 2, 14, 3, 11, tzinfo=_UTC), 730),
    # Granting Global Administrator (a relationship with GA cannot auto-extend, as Partner Center enforces).
    ("woodgrove-dental", "active", True, "PT0S", datetime(2025, 9, 15, 10, 21, 40, tzinfo=_UTC), 730),
    # Ends 2026-12-12, within 30 days of the audit, and does not auto-extend.
    ("tailspin-manufacturing", "active", False, "PT0S", datetime(2024, 12, 12, 8, 45, 2, tzinfo=_UTC), 730),
    ("alpine-ski-house", "active", False, "P180D", datetime(2025, 2, 20, 16, 10, 29, tzinfo=_UTC), 730),
    # Coho Winery's relationship expired in August and was never renewed: the customer is under contract
    # without GDAP (Northwind still reaches it through the legacy DAP).
    ("coho-winery", "expired", False, "PT0S", datetime(2024, 8, 14, 9, 0, 12, tzinfo=_UTC), 730),
    ("lucerne-publishing", "active", False, "P180D", datetime(2025, 4, 7, 11, 30, 55, tzinfo=_UTC), 730),
    ("trey-research", "active", False, "P180D", datetime(2025, 1, 28, 13, 2, 17, tzinfo=_UTC), 730),
    ("margies-travel", "active", False, "P180D", datetime(2025, 10, 6, 7, 12, 48, tzinfo=_UTC), 730),
    ("proseware", "active", False, "P180D", datetime(2025, 5, 19, 15, 55, 3, tzinfo=_UTC), 730),
    ("fourth-coffee", "terminated", False, "PT0S", datetime(2023, 3, 1, 10, 0, 0, tzinfo=_UTC), 365),
    ("fourth-coffee", "active", False, "P180D", datetime(2025, 8, 11, 9, 40, 36, tzinfo=_UTC), 730),
)


def _collected(index: int) -> datetime:
    return COLLECTED_AT + timedelta(minutes=4 * index, seconds=17 * index)


def _partner_sections(customers: list[TenantSnapshot]) -> dict:
    rng = random.Random(f"{SEED}:{PARTNER_SLUG}:partner-data")
    by_slug = {p.slug: snap for p, snap in zip(CUSTOMERS, customers)}
    r = c.REQUESTS
    groups = {name: guid(rng) for name in ("Helpdesk Agents", "Security Analysts", "Exchange Engineers",
                                           "Emergency GA Access")}

    relationships, assignments = [], {}
    for slug, status, grants_ga, auto_extend, created, days in _RELATIONSHIPS:
        customer = by_slug[slug].tenant
        roles = ([c.GLOBAL_ADMIN] if grants_ga else []) + list(c.GDAP_STANDARD_ROLES)
        rid = f"{guid(rng)}-{guid(rng)}"
        end = created + timedelta(days=days)
        if status == "terminated":
            end = created + timedelta(days=days // 2)
        relationships.append({
            "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
            "id": rid,
            "displayName": f"NCP-{slug}-{created:%Y%m}"[:50],
            "status": status,
            "customer": {"tenantId": customer.id, "displayName": customer.display_name},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": role} for role in roles]},
            "duration": f"P{days}D",
            "autoExtendDuration": auto_extend,
            "createdDateTime": iso(created),
            "activatedDateTime": iso(created + timedelta(hours=3, minutes=rng.randint(1, 59))),
            "endDateTime": iso(end),
        })
        if status != "active":
            continue

        def assignment(group: str, assigned: list[str]) -> dict:
            return {
                "@odata.type": "#microsoft.graph.delegatedAdminAccessAssignment",
                "id": guid(rng),
                "status": "active",
                "accessContainer": {"accessContainerId": groups[group], "accessContainerType": "securityGroup"},
                "accessDetails": {"unifiedRoles": [{"roleDefinitionId": role} for role in assigned]},
            }

        rel_assignments = [
            assignment("Helpdesk Agents", [c.HELPDESK_ADMIN, c.USER_ADMIN, c.SERVICE_SUPPORT_ADMIN, c.LICENSE_ADMIN]),
            assignment("Security Analysts", [c.SECURITY_READER, c.GLOBAL_READER]),
        ]
        if slug != "margies-travel":  # a new relationship whose Exchange group is not assigned yet
            rel_assignments.append(assignment("Exchange Engineers", [c.EXCHANGE_ADMIN, c.DIRECTORY_READERS]))
        if grants_ga:
            rel_assignments.append(assignment("Emergency GA Access", [c.GLOBAL_ADMIN]))
        assignments[rid] = rel_assignments

    contracts = [
        {"id": guid(rng), "contractType": "ResellerPartner", "customerId": snap.tenant.id,
         "defaultDomainName": f"{snap.tenant.default_domain.split('.')[0]}.onmicrosoft.com",
         "displayName": snap.tenant.display_name}
        for snap in customers
    ]

    def alert(customer: TenantSnapshot, status: str, detected: datetime, **details) -> dict:
        sub = customer.azure_subscriptions[0].subscription_id if customer.azure_subscriptions else None
        base = {
            "id": guid(rng),
            "displayName": "",
            "description": "",
            "alertType": "",
            "status": status,
            "severity": "high",
            "confidenceLevel": "medium",
            "customerTenantId": customer.tenant.id,
            "subscriptionId": sub,
            "valueAddedResellerTenantId": None,
            "catalogOfferId": "DZH318Z0BCHJ",  # Azure plan
            "detectedDateTime": iso(detected),
            "firstObservedDateTime": iso(detected - timedelta(minutes=38)),
            "lastObservedDateTime": iso(detected + timedelta(hours=2)),
            "resolvedReason": None,
            "resolvedOnDateTime": None,
            "resolvedBy": None,
            "isTest": False,
            "affectedResources": [],
            "activityLogs": [],
            "additionalDetails": {},
        }
        base.update(details)
        return base

    trey, margies, fourth = by_slug["trey-research"], by_slug["margies-travel"], by_slug["fourth-coffee"]
    trey_sub = trey.azure_subscriptions[0].subscription_id
    alerts = [
        # Raised more than two days before the audit and still active: CON-3 fails.
        alert(trey, "active", datetime(2026, 11, 17, 22, 41, 5, tzinfo=_UTC),
              displayName="Action Required: Virtual machine connecting to crypto currency mining pool Detected",
              description="Analysis of Azure resource network activity detected the resource was connecting to a "
                          "crypto currency mining pool. This would often be an indication that your Azure resource "
                          "is compromised.",
              alertType="networkConnectionsToCryptoMiningPools",
              affectedResources=[{
                  "resourceId": f"/subscriptions/{trey_sub}/resourceGroups/rg-lab-compute/providers/"
                                "Microsoft.Compute/virtualMachines/vm-lab-gpu-07",
                  "resourceType": "AzureResource"}],
              additionalDetails={"VM_IP": "[\"10.20.4.17\"]", "MiningPool_IP": "[\"203.0.113.54\"]",
                                 "ConnectionCount": "412", "CryptoCurrencyMiningPoolDomainName": "pool.example.net"}),
        # Being investigated, raised 16 hours before the audit.
        alert(margies, "investigating", datetime(2026, 11, 19, 14, 5, 51, tzinfo=_UTC),
              displayName="Action Required: Subscription Usage Anomaly Detected",
              description="Analysis of Azure resource detected anomalies in: Anomalous increase in GPU virtual "
                          "machine deployment regions compared to trend in the last 30 days.",
              alertType="usageAnomalyDetection",
              activityLogs=[{"statusFrom": "active", "statusTo": "investigating",
                             "updatedBy": "noc@northwindcloudpartners.com",
                             "updatedDateTime": "2026-11-19T15:12:30Z"}]),
        # Resolved last month.
        alert(fourth, "resolved", datetime(2026, 10, 2, 9, 14, 2, tzinfo=_UTC),
              displayName="Action Required: Unusual resource creation pattern Detected",
              description="Resources were created in an unusual pattern from a new IP address.",
              alertType="usageAnomalyDetection", severity="medium", resolvedReason="legitimate",
              resolvedOnDateTime="2026-10-02T15:30:44Z", resolvedBy="noc@northwindcloudpartners.com",
              activityLogs=[{"statusFrom": "active", "statusTo": "resolved",
                             "updatedBy": "noc@northwindcloudpartners.com",
                             "updatedDateTime": "2026-10-02T15:30:44Z"}]),
    ]
    # Wave 2 (issue 12), from its own RNG so the data above stays as it was. PAR-5: a second relationship
    # with Trey Research, approved for an Azure project that never started, has no access assignment.
    # CON-4: the stale active alert above also shows in Partner Center's security requirements.
    rng2 = random.Random(f"{SEED}:{PARTNER_SLUG}:wave2")
    trey_created = datetime(2026, 9, 14, 10, 5, 22, tzinfo=_UTC)
    unused = f"{guid(rng2)}-{guid(rng2)}"
    relationships.append({
        "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
        "id": unused,
        "displayName": f"NCP-trey-research-azure-{trey_created:%Y%m}",
        "status": "active",
        "customer": {"tenantId": trey.tenant.id, "displayName": trey.tenant.display_name},
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": role} for role in c.GDAP_STANDARD_ROLES]},
        "duration": "P730D",
        "autoExtendDuration": "P180D",
        "createdDateTime": iso(trey_created),
        "activatedDateTime": iso(trey_created + timedelta(hours=5, minutes=12)),
        "endDateTime": iso(trey_created + timedelta(days=730)),
    })
    assignments[unused] = []
    requirements = wave2.partner_security_requirements(rng2, failing=("securityAlertsPromptlyResolved",))
    agent_groups = [{"id": PARTNER_GROUPS[name], "displayName": name, "securityEnabled": True}
                    for name in ("AdminAgents", "HelpdeskAgents")]
    return {
        "partner_agent_groups": ok(agent_groups, r["partner_agent_groups"]),
        "contracts": ok(contracts, r["contracts"]),
        "delegated_admin_relationships": ok(relationships, r["delegated_admin_relationships"]),
        "delegated_admin_access_assignments": ok(assignments, r["delegated_admin_access_assignments"]),
        "partner_security_alerts": ok(alerts, r["partner_security_alerts"]),
        "partner_security_requirements": ok(requirements, r["partner_security_requirements"]),
    }


def demo_portfolio() -> list[TenantSnapshot]:
    """The partner first, then the customers in the order above."""
    customers = [
        build_snapshot(replace(posture, collected_at=_collected(index + 1)))
        for index, posture in enumerate(CUSTOMERS)
    ]
    partner = build_snapshot(replace(PARTNER, collected_at=_collected(0), extra_sections=_partner_sections(customers)))
    return [partner, *customers]


def slug_of(snapshot: TenantSnapshot) -> str:
    for posture in (PARTNER, *CUSTOMERS):
        if tenant_guid(posture.slug) == snapshot.tenant.id:
            return posture.slug
    raise KeyError(snapshot.tenant.id)

