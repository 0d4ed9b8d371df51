"""Builds one tenant snapshot from a ``Posture``: a handful of knobs (licence, Conditional Access policies,
admin habits, Azure settings) turned into the JSON Graph and ARM would answer.

The demo portfolio (``portfolio``) and the benchmark tenants (``generate.synthetic_snapshot``) both go
through ``build_snapshot``, so they share one idea of what a tenant looks like. Everything random comes
from a ``random.Random`` seeded by the tenant's slug: the same posture always gives the same bytes.
Objects are plain dicts and the models are built with ``model_construct`` (no validation), because the
benchmark builds a thousand 300-user tenants; the demo files are validated when tests load them.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from auditor.snapshot import (
    SCHEMA_VERSION,
    SUBSCRIPTION_SECTIONS,
    TENANT_SECTIONS,
    Section,
    SectionStatus,
    SubscriptionSnapshot,
    Tenant,
    TenantKind,
    TenantSnapshot,
)
from sample_data import catalog as c
from sample_data import wave2
from sample_data.azure_governance import GovernanceContext, owner_group_members, subscription_sections

SEED = 20261120
TOOL_VERSION = "0.1.0"  # the collector version the samples claim; fixed so regeneration is byte-identical
COLLECTED_AT = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)

Json = dict[str, Any]


@dataclass(frozen=True)
class SubscriptionPosture:
    name: str
    security_contact: str = "good"  # good | off (contact without alert notifications) | missing
    defender: str = "standard"      # standard (required plans on Standard) | partial | free | absent
    budget: str = "good"            # good | no_contact (notifications reach nobody) | missing
    anomaly_alert: bool = True      # an InsightAlert scheduled action exists
    forbidden: bool = False         # the app holds no Security Reader / Cost Management Reader role here
    currency: str = "USD"
    # Azure governance (AZR-1 to AZR-5, CST-4; sample_data/azure_governance.py):
    foreign_principals: tuple[tuple[str, str], ...] = ()  # (object id, role definition id) of ForeignGroups
    owner_group: bool = False       # a customer group holds Owner (its members expanded for AZR-2)
    role_alert: bool = True         # an activity-log alert on role-assignment writes
    health_alert: bool = True       # a Service Health alert
    alert_receiver: str = "good"    # good | disabled (the action group's only e-mail receiver is Disabled)
    activity_export: str = "good"   # good (allLogs to a workspace) | admin_only (Security off) | missing
    creations: str = "none"         # none | gpu (GPU VMs and a scale set) | some (ordinary resources)


@dataclass(frozen=True)
class Posture:
    slug: str
    name: str
    domain: str
    kind: TenantKind = TenantKind.CUSTOMER
    tags: tuple[str, ...] = ()
    members: int = 100                 # daily (licensed) member accounts
    guests: int = 3
    disabled: int = 2                  # leavers: disabled member accounts
    licence: str = "business_premium"  # business_standard (no P1) | business_premium (P1) | e5 (P2)
    security_defaults: bool = False
    policies: tuple[str, ...] = ()     # keys of POLICIES
    mfa_registered: float = 0.98       # share of enabled daily members registered for MFA
    unregistered_admins: int = 0       # named admins without any MFA method
    break_glass: int = 2               # emergency-access accounts holding Global Administrator
    global_admins: int = 1             # named Global Administrators besides break-glass
    admin_roles: tuple[str, ...] = (c.EXCHANGE_ADMIN, c.HELPDESK_ADMIN)  # one named holder each
    eligible_roles: tuple[str, ...] = ()  # PIM-eligible named holders (P2 tenants)
    admins_use_daily_accounts: bool = False  # roles given to the licensed, mailbox-enabled accounts
    shared_admin: bool = False         # a generic admin@ account holds Global Administrator
    guest_admin_role: str | None = None
    service_principal_role: str | None = None
    role_group: bool = False           # a role-assignable group holds Helpdesk Administrator
    directory_sync: bool = False       # hybrid: Entra Connect sync account
    readers: int = 1                   # Global Reader holders (not privileged; realistic noise)
    dap_partner: tuple[str, str] | None = None  # (partner name, partner tenant id) still holding GA by DAP
    security_mails: tuple[str, ...] = ()
    technical_mails: tuple[str, ...] = ()
    secure_score: float = 0.65         # share of the maximum
    subscriptions: tuple[SubscriptionPosture, ...] = ()
    forbidden: tuple[str, ...] = ()    # tenant sections the app's consent does not cover
    created: datetime = datetime(2019, 3, 4, 9, 12, 44, tzinfo=timezone.utc)
    collected_at: datetime = COLLECTED_AT
    extra_sections: dict[str, Section] = field(default_factory=dict)  # partner data, built by the caller
    # Wave 2 (issue 12): sample_data/wave2.py
    stale_admins: int = 0              # named admins (the last ones) without a sign-in for 4 to 13 months
    ga_activated: bool = False         # named Global Administrators activate the role through PIM (P2)
    risky_users: int = 0               # daily users left at high user risk (P2)
    # Partners whose technicians signed in as service providers: (name, tenant id, domain, sign-ins).
    service_providers: tuple[tuple[str, str, str, int], ...] = ()

    @property
    def initial_domain(self) -> str:
        return f"{self.domain.split('.')[0]}.onmicrosoft.com"

    @property
    def has_p1(self) -> bool:
        return self.licence != "business_standard"

    @property
    def has_p2(self) -> bool:
        return self.licence == "e5"


# --- identifiers -----------------------------------------------------------------------------------------


def guid(rng: random.Random) -> str:
    """A version-4 GUID from the seeded RNG (uuid.uuid4 reads the OS entropy pool)."""
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def tenant_guid(slug: str) -> str:
    return guid(random.Random(f"{SEED}:tenant:{slug}"))


def assignment_id(rng: random.Random) -> str:
    # Role assignment ids look like base64url of the role and principal ids plus "-1".
    return base64.urlsafe_b64encode(rng.randbytes(32)).decode().rstrip("=") + "-1"


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- sections --------------------------------------------------------------------------------------------


def ok(data: Any, request: str) -> Section:
    return Section.model_construct(status=SectionStatus.OK, reason="", request=request, data=data)


def missing(status: SectionStatus, reason: str, request: str = "") -> Section:
    return Section.model_construct(status=status, reason=reason, request=request, data=None)


def forbidden_graph(section: str) -> Section:
    # Worded as the collector words a 403 (auditor.collect.answers), naming the permission to grant.
    return missing(
        SectionStatus.FORBIDDEN,
        f"the app lacks the {c.PERMISSIONS[section]} permission (Graph 403 Authorization_RequestDenied: "
        "Insufficient privileges to complete the operation.)",
        c.REQUESTS[section],
    )


def forbidden_arm(section: str, subscription_id: str, app_id: str) -> Section:
    return missing(
        SectionStatus.FORBIDDEN,
        f"the app lacks the {c.PERMISSIONS[section]} role on subscription {subscription_id} (ARM 403 "
        f"AuthorizationFailed: The client '{app_id}' does not have authorization to perform action "
        f"'{c.ARM_ACTIONS[section]}' over scope '/subscriptions/{subscription_id}' or the scope is invalid.)",
        c.SUBSCRIPTION_REQUESTS[section].format(subscriptionId=subscription_id),
    )


def dependent(parent: str, parent_section: Section, request: str) -> Section:
    """A per-object section whose parent could not be read was not looked at (as the collector says)."""
    return missing(SectionStatus.NOT_COLLECTED,
                   f"needs {parent}, which is {parent_section.status.value} ({parent_section.reason})", request)


NOT_LICENSED_P1 = (
    "the tenant has no Microsoft Entra ID P1 licence (Graph 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant: "
    "Neither tenant is B2C or tenant doesn't have premium license)"
)
NOT_LICENSED_P2 = (
    "the tenant has no Microsoft Entra ID P2 licence (Graph 400 AadPremiumLicenseRequired: The tenant needs to "
    "have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.)"
)
PARTNER_ONLY_REASON = "partner tenant only"  # the collector's wording
AUDITOR_APP_ID = "5c1e7a90-3f2b-4d8e-9a61-0b7d2c4e8f13"  # the auditor's multi-tenant app (fictional)


# --- people ----------------------------------------------------------------------------------------------


def _plans(pairs: tuple[tuple[str, str], ...], since: str, status: str = "Enabled") -> list[Json]:
    return [
        {"assignedDateTime": since, "capabilityStatus": status, "service": service, "servicePlanId": plan}
        for service, plan in pairs
    ]


def _user(uid: str, display: str, upn: str, given: str | None, surname: str | None, *, user_type: str = "Member",
          enabled: bool = True, mail: str | None = None, plans: list[Json] | None = None) -> Json:
    return {
        "id": uid,
        "displayName": display,
        "userPrincipalName": upn,
        "givenName": given,
        "surname": surname,
        "userType": user_type,
        "accountEnabled": enabled,
        "mail": mail,
        "assignedPlans": plans if plans is not None else [],
        # Graph: "Invitation" for a B2B account invited into the tenant, null for accounts created here.
        "creationType": "Invitation" if user_type == "Guest" else None,
    }


def _ascii(name: str) -> str:
    return name.lower().replace("ö", "o").replace("é", "e").replace("'", "").replace(" ", "")


# Fictional domains only: evidence rows must never name a real mailbox.
_GUEST_DOMAINS = ("wingtipmail.com", "northwindcloudpartners.com", "proseware-consulting.com", "adatum.net",
                  "litwareinc.net", "contoso-advisors.com")
_METHOD_SETS = (
    ["microsoftAuthenticatorPush", "softwareOneTimePasscode"],
    ["microsoftAuthenticatorPush", "softwareOneTimePasscode", "mobilePhone"],
    ["mobilePhone"],
    ["microsoftAuthenticatorPasswordless", "microsoftAuthenticatorPush", "softwareOneTimePasscode"],
    ["windowsHelloForBusiness", "microsoftAuthenticatorPush", "softwareOneTimePasscode"],
)


class _People:
    """Everyone in the directory, with the facts the other sections are derived from."""

    def __init__(self, posture: Posture, rng: random.Random) -> None:
        self.p = posture
        self.rng = rng
        self.users: list[Json] = []
        self.kind: dict[str, str] = {}        # user id -> daily | admin | breakglass | shared | sync | guest
        self.registered: dict[str, bool] = {}
        self.used_upns: set[str] = set()
        self.since = iso(posture.created + timedelta(days=2))

    def _unique(self, local: str, domain: str) -> str:
        upn = f"{local}@{domain}"
        n = 2
        while upn in self.used_upns:
            upn = f"{local}{n}@{domain}"
            n += 1
        self.used_upns.add(upn)
        return upn

    def add(self, user: Json, kind: str, registered: bool = True) -> Json:
        self.users.append(user)
        self.kind[user["id"]] = kind
        self.registered[user["id"]] = registered
        return user

    def daily(self, count: int) -> list[Json]:
        rng, p = self.rng, self.p
        plans = _plans(c.LICENCE_PLANS[p.licence], self.since)
        created = []
        for index in range(count):
            first, last = rng.choice(c.FIRST_NAMES), rng.choice(c.LAST_NAMES)
            upn = self._unique(f"{_ascii(first)}.{_ascii(last)}", p.domain)
            enabled = index < count - p.disabled
            user = _user(guid(rng), f"{first} {last}", upn, first, last, enabled=enabled, mail=upn,
                         plans=plans if enabled else _plans(c.LICENCE_PLANS[p.licence], self.since, "Deleted"))
            created.append(self.add(user, "daily"))
        return created

    def admin_account(self, person: Json) -> Json:
        """A separate cloud-only admin account for a person: initial domain, no mailbox."""
        p = self.p
        upn = self._unique(person["userPrincipalName"].split("@")[0], p.initial_domain)
        user = _user(guid(self.rng), person["displayName"], upn, person["givenName"], person["surname"],
                     plans=_plans(c.ADMIN_ONLY_PLANS[p.licence], self.since))
        return self.add(user, "admin")

    def break_glass_account(self, number: int) -> Json:
        upn = self._unique(f"emergency{number:02d}", self.p.initial_domain)
        user = _user(guid(self.rng), f"Emergency Access {number:02d}", upn, None, None)
        return self.add(user, "breakglass")

    def shared_admin(self) -> Json:
        upn = self._unique("admin", self.p.domain)
        user = _user(guid(self.rng), "Admin", upn, None, None, mail=upn,
                     plans=_plans(c.LICENCE_PLANS[self.p.licence], self.since))
        return self.add(user, "shared", registered=False)

    def sync_account(self) -> Json:
        suffix = "%012x" % self.rng.getrandbits(48)
        upn = self._unique(f"Sync_DC01_{suffix}", self.p.initial_domain)
        user = _user(guid(self.rng), "On-Premises Directory Synchronization Service Account", upn, None, None)
        return self.add(user, "sync", registered=False)

    def guests(self, count: int) -> list[Json]:
        rng, p = self.rng, self.p
        created = []
        for _ in range(count):
            first, last = rng.choice(c.FIRST_NAMES), rng.choice(c.LAST_NAMES)
            home = rng.choice(_GUEST_DOMAINS)
            mail = f"{_ascii(first)}.{_ascii(last)}@{home}"
            upn = self._unique(mail.replace("@", "_") + "#EXT#", p.initial_domain)
            user = _user(guid(rng), f"{first} {last}", upn, first, last, user_type="Guest", mail=mail)
            created.append(self.add(user, "guest", registered=rng.random() < 0.5))
        return created


# --- Conditional Access --------------------------------------------------------------------------------


def _ca_policy(pid: str, name: str, *, state: str = "enabled", include_users: list[str] | None = None,
               exclude_users: list[str] | None = None, include_roles: list[str] | None = None,
               exclude_groups: list[str] | None = None, client_app_types: list[str] | None = None,
               controls: list[str] | None = None, operator: str = "OR", strength: Json | None = None,
               locations: Json | None = None, user_risk: list[str] | None = None,
               sign_in_risk: list[str] | None = None) -> Json:
    return {
        "id": pid,
        "displayName": name,
        "state": state,
        "conditions": {
            "userRiskLevels": user_risk or [],
            "signInRiskLevels": sign_in_risk or [],
            "clientAppTypes": client_app_types or ["all"],
            "servicePrincipalRiskLevels": [],
            "platforms": None,
            "locations": locations,
            "devices": None,
            "clientApplications": None,
            "applications": {
                "includeApplications": ["All"],
                "excludeApplications": [],
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": None,
            },
            "users": {
                "includeUsers": include_users if include_users is not None else ["All"],
                "excludeUsers": exclude_users or [],
                "includeGroups": [],
                "excludeGroups": exclude_groups or [],
                "includeRoles": include_roles or [],
                "excludeRoles": [],
                "includeGuestsOrExternalUsers": None,
                "excludeGuestsOrExternalUsers": None,
            },
        },
        "grantControls": {
            "operator": operator,
            "builtInControls": controls if controls is not None else ["mfa"],
            "customAuthenticationFactors": [],
            "termsOfUse": [],
            "authenticationStrength": strength,
        },
    }


CUSTOM_STRENGTH_NAME = "Admins: FIDO2 or Windows Hello"


def conditional_access(keys: tuple[str, ...], rng: random.Random, break_glass_ids: list[str],
                       exclusion_group: str, custom_strength: Json | None) -> list[Json]:
    """The tenant's CA policies, from the posture's keys. Names follow Microsoft's templates."""
    roles = list(c.PRIVILEGED_ROLES)
    bg = list(break_glass_ids)
    phishing = dict(c.BUILT_IN_STRENGTHS[2])
    builders = {
        "mfa_all": lambda pid: _ca_policy(pid, "CA001: Require multifactor authentication for all users", exclude_users=bg),
        "mfa_all_report_only": lambda pid: _ca_policy(
            pid, "CA001: Require multifactor authentication for all users", state="enabledForReportingButNotEnforced",
            exclude_users=bg),
        "mfa_all_trusted_locations": lambda pid: _ca_policy(
            pid, "Require MFA outside the office", exclude_users=bg,
            locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}),
        "mfa_all_group_exclusion": lambda pid: _ca_policy(
            pid, "CA001: Require multifactor authentication for all users", exclude_users=bg,
            exclude_groups=[exclusion_group]),
        "mfa_admins": lambda pid: _ca_policy(
            pid, "CA002: Require multifactor authentication for admins", include_users=[], include_roles=roles,
            exclude_users=bg),
        "mfa_admins_or_device": lambda pid: _ca_policy(
            pid, "Admins: MFA or compliant device", include_users=[], include_roles=roles, exclude_users=bg,
            controls=["mfa", "compliantDevice"]),
        "phish_admins": lambda pid: _ca_policy(
            pid, "CA003: Require phishing-resistant multifactor authentication for admins", include_users=[],
            include_roles=roles, exclude_users=bg, controls=[], strength=phishing),
        "phish_admins_custom": lambda pid: _ca_policy(
            pid, "CA003: Require phishing-resistant multifactor authentication for admins", include_users=[],
            include_roles=roles, exclude_users=bg, controls=[], strength=custom_strength),
        "phish_admins_partial": lambda pid: _ca_policy(
            pid, "Phishing-resistant MFA for Global Administrators", include_users=[],
            include_roles=[c.GLOBAL_ADMIN, c.SECURITY_ADMIN], exclude_users=bg, controls=[], strength=phishing),
        "block_legacy": lambda pid: _ca_policy(
            pid, "CA004: Block legacy authentication", exclude_users=bg,
            client_app_types=["exchangeActiveSync", "other"], controls=["block"]),
        # One block policy per legacy client type: together they block legacy authentication.
        "block_legacy_eas": lambda pid: _ca_policy(
            pid, "CA004a: Block Exchange ActiveSync clients", exclude_users=bg,
            client_app_types=["exchangeActiveSync"], controls=["block"]),
        "block_legacy_other": lambda pid: _ca_policy(
            pid, "CA004b: Block other legacy clients", exclude_users=bg,
            client_app_types=["other"], controls=["block"]),
        "block_legacy_report_only": lambda pid: _ca_policy(
            pid, "CA004: Block legacy authentication", state="enabledForReportingButNotEnforced", exclude_users=bg,
            client_app_types=["exchangeActiveSync", "other"], controls=["block"]),
        "device_admins": lambda pid: _ca_policy(
            pid, "CA005: Require compliant device for admins", include_users=[], include_roles=roles,
            exclude_users=bg, controls=["mfa", "compliantDevice"], operator="AND"),
        "mfa_guests": lambda pid: _ca_policy(
            pid, "CA006: Require multifactor authentication for guest access", include_users=["GuestsOrExternalUsers"]),
        "block_countries": lambda pid: _ca_policy(
            pid, "Block sign-ins from blocked countries", exclude_users=bg, controls=["block"],
            locations={"includeLocations": [guid(rng)], "excludeLocations": []}),
        "legacy_disabled_draft": lambda pid: _ca_policy(
            pid, "Block legacy authentication (draft)", state="disabled", exclude_users=bg,
            client_app_types=["exchangeActiveSync", "other"], controls=["block"]),
        # Wave 2 (issue 12): risk-based policies (CON-5), as Microsoft's templates build them.
        "risk_user_high": lambda pid: _ca_policy(
            pid, "CA007: Require password change for high-risk users", exclude_users=bg, user_risk=["high"],
            controls=["mfa", "passwordChange"], operator="AND"),
        "risk_sign_in_high": lambda pid: _ca_policy(
            pid, "CA008: Require multifactor authentication for risky sign-ins", exclude_users=bg,
            sign_in_risk=["high", "medium"]),
        "risk_sign_in_report_only": lambda pid: _ca_policy(
            pid, "CA008: Require multifactor authentication for risky sign-ins",
            state="enabledForReportingButNotEnforced", exclude_users=bg, sign_in_risk=["high", "medium"]),
    }
    return [builders[key](guid(rng)) for key in keys]


# --- the tenant ------------------------------------------------------------------------------------------


def _principal_user(user: Json) -> Json:
    # What `$expand=principal` returns for a user (Graph's default user properties).
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": user["id"],
        "accountEnabled": user["accountEnabled"],
        "displayName": user["displayName"],
        "givenName": user["givenName"],
        "surname": user["surname"],
        "mail": user["mail"],
        "userPrincipalName": user["userPrincipalName"],
        "userType": user["userType"],
    }


def _assignment(rng: random.Random, role: str, principal: Json) -> Json:
    return {
        "id": assignment_id(rng),
        "principalId": principal["id"],
        "roleDefinitionId": role,
        "directoryScopeId": "/",
        "principal": principal,
    }


def _auth_methods(rng: random.Random, user: Json, kind: str, registered: bool, created: datetime) -> list[Json]:
    """A privileged user's methods (ADM-6 reviews the recovery email and phone numbers)."""
    when = iso(created + timedelta(days=rng.randint(30, 900)))
    methods: list[Json] = [{
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
        "id": "28c10230-6103-485e-b985-444c60001490",
        "password": None,
        "createdDateTime": when,
    }]
    if kind == "breakglass":
        methods.append({
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
            "id": guid(rng), "displayName": "YubiKey 5 NFC (safe A)", "createdDateTime": when,
            "aaGuid": "fa2b99dc-9e39-4257-8f92-4a30d23c4118", "model": "YubiKey 5 Series with NFC",
            "attestationCertificates": [], "attestationLevel": "attested",
        })
        return methods
    if not registered:
        return methods
    given = (user.get("givenName") or "it").lower()
    methods.append({
        "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
        "id": "3179e48a-750b-4051-897c-87b9720928f7",
        "phoneNumber": f"+1 425555{rng.randint(100, 199):04d}",
        "phoneType": "mobile",
        "smsSignInState": "notEnabled",
    })
    methods.append({
        "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
        "id": guid(rng), "displayName": rng.choice(("iPhone 15", "Pixel 8", "Galaxy S24", "iPhone 14 Pro")),
        "deviceTag": "SoftwareTokenActivated", "phoneAppVersion": "6.2411.7423", "createdDateTime": when,
    })
    if rng.random() < 0.6:
        methods.append({
            "@odata.type": "#microsoft.graph.emailAuthenticationMethod",
            "id": "3ddfcfc8-9383-446f-83cc-3ab9be4be18f",
            "emailAddress": f"{given}.{rng.choice(('home', 'private', 'personal'))}@wingtipmail.com",
        })
    if kind == "admin" and rng.random() < 0.5:
        methods.append({
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
            "id": guid(rng), "displayName": "Security key", "createdDateTime": when,
            "aaGuid": "ee882879-721c-4913-9775-3dfcce97072a", "model": "YubiKey 5 Series",
            "attestationCertificates": [], "attestationLevel": "attested",
        })
    return methods


def build_snapshot(p: Posture) -> TenantSnapshot:
    rng = random.Random(f"{SEED}:{p.slug}")
    tid = tenant_guid(p.slug)
    people = _People(p, rng)

    # Directory: daily staff, guests, then the accounts that hold roles.
    daily = people.daily(p.members)
    guests = people.guests(p.guests)
    enabled_daily = [u for u in daily if u["accountEnabled"]]
    breakers = [people.break_glass_account(n + 1) for n in range(p.break_glass)]
    staff = list(enabled_daily)
    rng.shuffle(staff)

    def holder() -> Json:
        person = staff.pop() if staff else people.daily(1)[0]
        return person if p.admins_use_daily_accounts else people.admin_account(person)

    assignments: list[Json] = []
    privileged_users: list[Json] = []
    for user in breakers:
        assignments.append(_assignment(rng, c.GLOBAL_ADMIN, _principal_user(user)))
        privileged_users.append(user)
    named_roles = [c.GLOBAL_ADMIN] * p.global_admins + list(p.admin_roles)
    named_admins: list[Json] = []
    for role in named_roles:
        user = holder()
        assignments.append(_assignment(rng, role, _principal_user(user)))
        privileged_users.append(user)
        named_admins.append(user)
    if p.shared_admin:
        user = people.shared_admin()
        assignments.append(_assignment(rng, c.GLOBAL_ADMIN, _principal_user(user)))
        privileged_users.append(user)
    if p.guest_admin_role and guests:
        assignments.append(_assignment(rng, p.guest_admin_role, _principal_user(guests[0])))
        privileged_users.append(guests[0])
        people.registered[guests[0]["id"]] = False
    for _ in range(p.readers):
        if staff:
            assignments.append(_assignment(rng, c.GLOBAL_READER, _principal_user(staff.pop())))
    if p.directory_sync:
        user = people.sync_account()
        assignments.append(_assignment(rng, c.DIRECTORY_SYNC_ACCOUNTS, _principal_user(user)))
    if p.service_principal_role:
        sp = {
            "@odata.type": "#microsoft.graph.servicePrincipal",
            "id": guid(rng),
            "accountEnabled": True,
            "appId": guid(rng),
            "displayName": "Mailbox Migration Tool",
            "servicePrincipalType": "Application",
        }
        assignments.append(_assignment(rng, p.service_principal_role, sp))
    group_members: dict[str, list[Json]] = {}
    if p.role_group:
        gid = guid(rng)
        members = [holder(), holder()]
        group = {
            "@odata.type": "#microsoft.graph.group",
            "id": gid,
            "displayName": "Role - Helpdesk Administrators",
            "description": "Role-assignable group: Helpdesk Administrator",
            "isAssignableToRole": True,
            "mailEnabled": False,
            "mailNickname": "role-helpdesk-admins",
            "securityEnabled": True,
        }
        assignments.append(_assignment(rng, c.HELPDESK_ADMIN, group))
        group_members[gid] = [
            {"@odata.type": "#microsoft.graph.user", "id": m["id"], "displayName": m["displayName"],
             "userPrincipalName": m["userPrincipalName"], "userType": m["userType"],
             "creationType": m["creationType"]}
            for m in members
        ]
        privileged_users.extend(members)
    if p.dap_partner:
        partner_name, partner_tid = p.dap_partner
        reference = {
            "@odata.type": "#microsoft.graph.directoryObjectPartnerReference",
            "id": guid(rng),
            "deletedDateTime": None,
            "description": "Delegated admin privileges (DAP): the partner's AdminAgents group",
            "displayName": f"{partner_name} - AdminAgents",
            "externalPartnerTenantId": partner_tid,
            "objectType": "Group",
        }
        assignments.append(_assignment(rng, c.GLOBAL_ADMIN, reference))
    eligibility: list[Json] = []
    for role in p.eligible_roles:
        user = holder()
        eligibility.append({
            "id": assignment_id(rng),
            "principalId": user["id"],
            "roleDefinitionId": role,
            "directoryScopeId": "/",
            "memberType": "Direct",
            "status": "Provisioned",
            "principal": _principal_user(user),
        })
        privileged_users.append(user)
        named_admins.append(user)

    # MFA registration: a fixed share of enabled daily staff, and the named admins the posture leaves bare.
    unregistered = round(len(enabled_daily) * (1 - p.mfa_registered))
    for user in rng.sample(enabled_daily, min(unregistered, len(enabled_daily))):
        people.registered[user["id"]] = False
    for user in named_admins[: p.unregistered_admins]:
        people.registered[user["id"]] = False
    privileged_ids = {u["id"] for u in privileged_users}
    registration = []
    for user in people.users:
        registered = people.registered[user["id"]]
        kind = people.kind[user["id"]]
        methods = (["fido2"] if kind == "breakglass" else rng.choice(_METHOD_SETS)) if registered else []
        registration.append({
            "id": user["id"],
            "userPrincipalName": user["userPrincipalName"],
            "userDisplayName": user["displayName"],
            "userType": user["userType"].lower(),
            "isAdmin": user["id"] in privileged_ids,
            "isMfaRegistered": registered,
            "isMfaCapable": registered and user["accountEnabled"],
            "methodsRegistered": methods,
        })

    # The collector reads the methods of every user holding a role (active, eligible, through a group).
    by_id = {u["id"]: u for u in people.users}
    holder_ids = [a["principalId"] for a in assignments + eligibility if a["principalId"] in by_id]
    holder_ids += [m["id"] for members in group_members.values() for m in members]
    methods_map = {
        uid: _auth_methods(rng, by_id[uid], people.kind[uid], people.registered[uid], p.created)
        for uid in dict.fromkeys(holder_ids)
    }

    custom_strength = None
    strengths = [dict(s) for s in c.BUILT_IN_STRENGTHS]
    if "phish_admins_custom" in p.policies:
        custom_strength = {
            "id": guid(rng),
            "displayName": CUSTOM_STRENGTH_NAME,
            "policyType": "custom",
            "requirementsSatisfied": "mfa",
            "allowedCombinations": ["fido2", "windowsHelloForBusiness"],
        }
        strengths.append(custom_strength)
    policies = conditional_access(p.policies, rng, [u["id"] for u in breakers], guid(rng), custom_strength)

    org = {
        "id": tid,
        "displayName": p.name,
        "verifiedDomains": [
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": True, "isInitial": False,
             "name": p.domain, "type": "Managed"},
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": False, "isInitial": True,
             "name": p.initial_domain, "type": "Managed"},
        ],
        "securityComplianceNotificationMails": list(p.security_mails),
        "technicalNotificationMails": list(p.technical_mails),
    }
    max_score = float(rng.choice((218, 236, 254, 271, 298)))
    score_day = p.collected_at - timedelta(days=1)
    secure_score = {
        "id": f"{tid}_{score_day:%Y-%m-%d}",
        "azureTenantId": tid,
        "createdDateTime": iso(score_day.replace(hour=0, minute=0, second=0)),
        "currentScore": round(max_score * p.secure_score, 2),
        "maxScore": max_score,
        "averageComparativeScores": [
            {"basis": "AllTenants", "averageScore": 41.24},
            {"basis": "TotalSeats", "averageScore": 38.9, "seatSizeRangeLowerValue": 1,
             "seatSizeRangeUpperValue": 500},
        ],
    }

    governance = GovernanceContext(
        owner_id=(named_admins or breakers or people.users)[0]["id"],
        group_id=guid(random.Random(f"{SEED}:{p.slug}:azure-owners")),
        group_name="Azure Owners",
    )
    subs = [_subscription(rng, p, tid, sub, governance) for sub in p.subscriptions]

    r = c.REQUESTS
    sections: dict[str, Section] = {
        "organization": ok([org], r["organization"]),
        "security_defaults": ok(
            {"id": "00000000-0000-0000-0000-000000000005", "displayName": "Security Defaults",
             "isEnabled": p.security_defaults}, r["security_defaults"]),
        "conditional_access_policies": ok(policies, r["conditional_access_policies"]),
        "authentication_strength_policies": ok(strengths, r["authentication_strength_policies"]),
        "role_assignments": ok(assignments, r["role_assignments"]),
        "role_eligibility_schedules": ok(eligibility, r["role_eligibility_schedules"]) if p.has_p2
        else missing(SectionStatus.NOT_LICENSED, NOT_LICENSED_P2, r["role_eligibility_schedules"]),
        "group_members": ok(group_members, r["group_members"]),
        "users": ok(people.users, r["users"]),
        "user_registration_details": ok(registration, r["user_registration_details"]) if p.has_p1
        else missing(SectionStatus.NOT_LICENSED, NOT_LICENSED_P1, r["user_registration_details"]),
        "authentication_methods": ok(methods_map, r["authentication_methods"]),
        "secure_scores": ok([secure_score], r["secure_scores"]),
        "subscriptions": ok([s[0] for s in subs], c.SUBSCRIPTIONS_FROM_RESOURCE_GRAPH if subs else r["subscriptions"]),
    }
    # Wave 2 (issue 12)
    sections.update(wave2.tenant_sections(p, tid, people.users, people.kind, assignments, eligibility,
                                          group_members, named_admins))
    for name in c.PARTNER_ONLY:
        sections[name] = missing(SectionStatus.NOT_COLLECTED, PARTNER_ONLY_REASON, r[name])
    sections["azure_group_members"] = _azure_group_members(p, subs, governance, named_admins, r["azure_group_members"])
    sections.update(p.extra_sections)
    for name in p.forbidden:
        sections[name] = forbidden_graph(name)
    if not sections["role_assignments"].ok:  # role holders unknown: their groups and methods were not read
        for name in ("group_members", "authentication_methods", "sign_in_activity"):
            sections[name] = dependent("role_assignments", sections["role_assignments"], r[name])
    sections = {name: sections[name] for name in TENANT_SECTIONS}  # the model's order, for stable files

    return TenantSnapshot.model_construct(
        schema_version=SCHEMA_VERSION,
        tenant=Tenant.model_construct(id=tid, display_name=p.name, default_domain=p.domain, kind=p.kind,
                                      tags=list(p.tags)),
        collected_at=p.collected_at,
        tool_version=TOOL_VERSION,
        sections=sections,
        azure_subscriptions=[s[1] for s in subs],
    )


# --- Azure -----------------------------------------------------------------------------------------------


def _azure_group_members(p: Posture, subs: list, governance: GovernanceContext, admins: list[Json], request: str) -> Section:
    """What the collector reads for groups holding Owner on subscriptions: their users, or why not."""
    readable = [snap for _, snap in subs if snap.sections["azure_role_assignments"].status is SectionStatus.OK]
    if subs and not readable:
        return missing(SectionStatus.NOT_COLLECTED, "no subscription's role assignments could be read", request)
    if any(s.owner_group for s in p.subscriptions if not s.forbidden):
        return ok({governance.group_id: owner_group_members(admins[:2])}, request)
    return ok({}, request)


def _subscription(rng: random.Random, p: Posture, tid: str, s: SubscriptionPosture,
                  governance: GovernanceContext) -> tuple[Json, SubscriptionSnapshot]:
    sid = guid(rng)
    arm = {
        "id": f"/subscriptions/{sid}",
        "managedByTenants": [],
        "subscriptionId": sid,
        "tenantId": tid,
        "displayName": s.name,
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "CSP_2015-05-01",
                                 "spendingLimit": "Off"},
        "tags": {},
    }
    req = {name: template.format(subscriptionId=sid) for name, template in c.SUBSCRIPTION_REQUESTS.items()}
    enabled_at = iso(p.created + timedelta(days=rng.randint(60, 400)))
    finance = f"finance@{p.domain}"
    ops = f"it-operations@{p.domain}"

    if s.security_contact == "missing":
        contacts: list[Json] = []
    else:
        on = s.security_contact == "good"
        contacts = [{
            "id": f"/subscriptions/{sid}/providers/Microsoft.Security/securityContacts/default",
            "name": "default",
            "type": "Microsoft.Security/securityContacts",
            "properties": {
                "emails": f"security@{p.domain};{ops}" if on else ops,
                "phone": f"+1 425555{rng.randint(100, 199):04d}",
                "isEnabled": on,
                "notificationsByRole": {"state": "On" if on else "Off", "roles": ["Owner"]},
                "notificationsSources": [
                    {"sourceType": "Alert", "minimalSeverity": "Medium"},
                    {"sourceType": "AttackPath", "minimalRiskLevel": "Critical"},
                ] if on else [],
            },
        }]

    standard = {"standard": {"VirtualMachines", "StorageAccounts", "KeyVaults", "Arm", "CloudPosture"},
                "partial": {"VirtualMachines"}, "free": set(), "absent": set()}[s.defender]
    pricings = [] if s.defender == "absent" else [
        {
            "id": f"/subscriptions/{sid}/providers/Microsoft.Security/pricings/{plan}",
            "name": plan,
            "type": "Microsoft.Security/pricings",
            "properties": (
                {"pricingTier": "Standard", **({"subPlan": c.DEFENDER_SUBPLANS[plan]} if plan in c.DEFENDER_SUBPLANS else {}),
                 "freeTrialRemainingTime": "PT0S", "enablementTime": enabled_at, "enforce": "False",
                 "resourcesCoverageStatus": "FullyCovered"}
                if plan in standard else
                {"pricingTier": "Free", "freeTrialRemainingTime": "PT0S", "enforce": "False"}
            ),
        }
        for plan in c.DEFENDER_PLANS
    ]

    budgets: list[Json] = []
    if s.budget != "missing":
        reach = s.budget == "good"
        amount = float(rng.choice((1500, 2500, 4000, 7500, 12000)))

        def notification(threshold: int, kind: str) -> Json:
            return {
                "enabled": True,
                "operator": "GreaterThan",
                "threshold": threshold,
                "contactEmails": [finance, ops] if reach else [],
                "contactRoles": ["Owner"] if reach else [],
                "contactGroups": [],
                "thresholdType": kind,
                "locale": "en-us",
            }

        budgets.append({
            "id": f"subscriptions/{sid}/providers/Microsoft.Consumption/budgets/monthly-azure-spend",
            "name": "monthly-azure-spend",
            "type": "Microsoft.Consumption/budgets",
            "eTag": f"\"1d{rng.getrandbits(52):013x}\"",
            "properties": {
                "category": "Cost",
                "amount": amount,
                "timeGrain": "Monthly",
                "timePeriod": {"startDate": "2026-01-01T00:00:00Z", "endDate": "2027-12-31T00:00:00Z"},
                "currentSpend": {"amount": round(amount * rng.uniform(0.35, 0.9), 2), "unit": s.currency},
                "notifications": {
                    "Actual_GreaterThan_80_Percent": notification(80, "Actual"),
                    "Forecasted_GreaterThan_100_Percent": notification(100, "Forecasted"),
                },
            },
        })

    actions: list[Json] = []
    if s.anomaly_alert:
        actions.append({
            "id": f"subscriptions/{sid}/providers/Microsoft.CostManagement/scheduledActions/daily-anomaly-alert",
            "name": "daily-anomaly-alert",
            "type": "Microsoft.CostManagement/ScheduledActions",
            "kind": "InsightAlert",
            "eTag": f"\"1d{rng.getrandbits(52):013x}\"",
            "systemData": {
                "createdBy": f"it-operations@{p.domain}", "createdByType": "User", "createdAt": enabled_at,
                "lastModifiedBy": f"it-operations@{p.domain}", "lastModifiedByType": "User", "lastModifiedAt": enabled_at,
            },
            "properties": {
                "displayName": "Daily anomaly by resource group",
                "fileDestination": {"fileFormats": []},
                "notification": {"to": [finance, ops], "subject": f"Cost anomaly detected in {s.name}"},
                "scope": f"subscriptions/{sid}",
                "schedule": {"frequency": "Daily", "startDate": enabled_at, "endDate": "2027-12-31T00:00:00Z"},
                "status": "Enabled",
                "viewId": f"/subscriptions/{sid}/providers/Microsoft.CostManagement/views/ms:DailyAnomalyByResourceGroup",
            },
        })
    elif rng.random() < 0.5:
        # A scheduled cost report is not an anomaly alert (kind Email): realistic noise for CST-2.
        actions.append({
            "id": f"subscriptions/{sid}/providers/Microsoft.CostManagement/scheduledActions/monthly-cost-report",
            "name": "monthly-cost-report",
            "type": "Microsoft.CostManagement/ScheduledActions",
            "kind": "Email",
            "eTag": f"\"1d{rng.getrandbits(52):013x}\"",
            "properties": {
                "displayName": "Monthly cost by resource",
                "scope": f"subscriptions/{sid}",
                "status": "Enabled",
                "viewId": f"/subscriptions/{sid}/providers/Microsoft.CostManagement/views/ms:CostByResource",
                "schedule": {"frequency": "Monthly", "daysOfMonth": [1], "hourOfDay": 8, "startDate": enabled_at,
                             "endDate": "2027-12-31T00:00:00Z"},
                "notification": {"to": [finance], "subject": f"Azure costs for {s.name}"},
            },
        })

    if s.forbidden:
        sections = {name: forbidden_arm(name, sid, AUDITOR_APP_ID) for name in SUBSCRIPTION_SECTIONS}
    else:
        sections = {
            "security_contacts": ok(contacts, req["security_contacts"]),
            "pricings": ok(pricings, req["pricings"]),
            "budgets": ok(budgets, req["budgets"]),
            "scheduled_actions": ok(actions, req["scheduled_actions"]),
            **subscription_sections(p, s, sid, governance, p.collected_at),
        }
    snapshot = SubscriptionSnapshot.model_construct(subscription_id=sid, display_name=s.name, sections=sections)
    return arm, snapshot
