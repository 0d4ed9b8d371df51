"""Conditional Access terms the MFA, legacy-authentication and device checks share (CHECKLIST.md, "Terms the
MFA, legacy-authentication and device rules share"): when a policy **counts**, when its grant **requires
MFA**, is **phishing-resistant**, **requires a compliant device** or **blocks**, and which users it covers.

Plain functions over Graph's own JSON (v1.0 conditionalAccessPolicy). A grant test answers True, False, or
None when it cannot tell (an authentication strength referenced by id that nobody could resolve), so a check
can say UNKNOWN instead of a false FAIL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from auditor.registry import CheckContext, Outcome
from auditor.results import Status
from auditor.snapshot import TenantSnapshot
from checks.privileged import HOLDER_SECTIONS, PRIVILEGED_ROLES, section_note, users_by_id

Policy = Mapping[str, Any]
Strengths = Mapping[str, Mapping[str, Any]]

MFA_STRENGTH = "00000000-0000-0000-0000-000000000002"
PASSWORDLESS_STRENGTH = "00000000-0000-0000-0000-000000000003"
PHISHING_RESISTANT_STRENGTH = "00000000-0000-0000-0000-000000000004"

PHISHING_RESISTANT_METHODS = frozenset({"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"})
# Combinations that are one factor on their own; a strength allowing any of them is not MFA, whatever its
# requirementsSatisfied says.
SINGLE_FACTOR_COMBINATIONS = frozenset({
    "password", "sms", "voice", "email", "x509CertificateSingleFactor", "federatedSingleFactor",
})
DEVICE_CONTROLS = frozenset({"compliantDevice", "domainJoinedDevice"})

# The built-in strengths are the same in every tenant, so a policy naming one by id is decidable even when
# authentication_strength_policies could not be read (values from Graph's documented list response).
BUILT_IN_STRENGTHS: dict[str, dict[str, Any]] = {
    MFA_STRENGTH: {
        "id": MFA_STRENGTH, "displayName": "Multifactor authentication", "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": [
            "windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor", "deviceBasedPush",
            "temporaryAccessPassOneTime", "temporaryAccessPassMultiUse", "password,microsoftAuthenticatorPush",
            "password,softwareOath", "password,hardwareOath", "password,x509CertificateSingleFactor",
            "password,x509CertificateMultiFactor", "password,sms", "password,voice", "federatedMultiFactor",
            "microsoftAuthenticatorPush,federatedSingleFactor", "softwareOath,federatedSingleFactor",
            "hardwareOath,federatedSingleFactor", "sms,federatedSingleFactor", "voice,federatedSingleFactor",
        ],
    },
    PASSWORDLESS_STRENGTH: {
        "id": PASSWORDLESS_STRENGTH, "displayName": "Passwordless MFA", "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor", "deviceBasedPush"],
    },
    PHISHING_RESISTANT_STRENGTH: {
        "id": PHISHING_RESISTANT_STRENGTH, "displayName": "Phishing-resistant MFA", "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
    },
}

_GUEST_TOKEN = "GuestsOrExternalUsers"

# The sections assess_policies reads (users: to name excluded users and match break-glass UPNs), and with
# them the ones judge_admin_coverage (checks/ca_coverage.py) adds: a check lists them in its `reads`.
POLICY_SECTIONS = ("conditional_access_policies", "authentication_strength_policies", "users")
ADMIN_COVERAGE_SECTIONS = (*POLICY_SECTIONS, *HOLDER_SECTIONS)


# --- authentication strengths ------------------------------------------------------------------------------

def strengths_index(snapshot: TenantSnapshot) -> dict[str, dict[str, Any]]:
    """Strength policies by id: the built-ins, overlaid with the tenant's list when it was readable."""
    index = {key: dict(value) for key, value in BUILT_IN_STRENGTHS.items()}
    for item in snapshot.data_if_ok("authentication_strength_policies", []) or []:
        if item.get("id"):
            index[item["id"]] = item
    return index


def resolve_strength(policy: Policy, strengths: Strengths) -> tuple[bool, dict[str, Any] | None]:
    """(uses a strength, the resolved strength or None when it cannot be resolved). A strength embedded in
    the policy with its combinations is used as it is; one given only by id is looked up by id, never by
    display name."""
    embedded = (policy.get("grantControls") or {}).get("authenticationStrength")
    if not embedded:
        return False, None
    if embedded.get("allowedCombinations"):
        return True, dict(embedded)
    found = strengths.get(embedded.get("id", ""))
    return True, dict(found) if found else None


def strength_is_mfa(strength: Mapping[str, Any]) -> bool:
    if strength.get("id") in BUILT_IN_STRENGTHS:
        return True
    combinations = strength.get("allowedCombinations") or []
    return (
        strength.get("requirementsSatisfied") == "mfa"
        and bool(combinations)
        and not any(c in SINGLE_FACTOR_COMBINATIONS for c in combinations)
    )


def strength_is_phishing_resistant(strength: Mapping[str, Any]) -> bool:
    if strength.get("id") == PHISHING_RESISTANT_STRENGTH:
        return True
    combinations = strength.get("allowedCombinations") or []
    return bool(combinations) and all(
        part in PHISHING_RESISTANT_METHODS for combination in combinations for part in combination.split(",")
    )


# --- grant controls ----------------------------------------------------------------------------------------

def _controls(policy: Policy) -> tuple[str, list[str], int]:
    """(operator, built-in controls, total number of controls incl. custom factors, terms of use, strength)."""
    grant = policy.get("grantControls") or {}
    built_in = list(grant.get("builtInControls") or [])
    total = (
        len(built_in)
        + len(grant.get("customAuthenticationFactors") or [])
        + len(grant.get("termsOfUse") or [])
        + (1 if grant.get("authenticationStrength") else 0)
    )
    return (grant.get("operator") or "OR").upper(), built_in, total


def _mandatory(operator: str, total: int) -> bool:
    """Every control must be satisfied: operator AND, or a single control."""
    return operator == "AND" or total == 1


def grant_blocks(policy: Policy) -> bool:
    _, built_in, _ = _controls(policy)
    return "block" in built_in


def grant_requires_mfa(policy: Policy, strengths: Strengths, allow_device: bool = False) -> bool | None:
    """MFA is mandatory: `mfa` (or a multi-factor strength) with operator AND or as the only control. With
    ``allow_device`` (MFA-1 only) an OR of MFA with managed-device controls also counts, as in Microsoft's
    "Require MFA or compliant device" template; any other OR alternative makes MFA optional. None when the
    policy's strength cannot be resolved."""
    operator, built_in, total = _controls(policy)
    if "block" in built_in:
        return False
    uses_strength, strength = resolve_strength(policy, strengths)
    if uses_strength and strength is None:
        return None
    strength_mfa = bool(strength) and strength_is_mfa(strength)
    has_mfa = "mfa" in built_in or strength_mfa
    if not has_mfa:
        return False
    if _mandatory(operator, total):
        return True
    if allow_device:
        grant = policy.get("grantControls") or {}
        alternatives_ok = (
            all(c == "mfa" or c in DEVICE_CONTROLS for c in built_in)
            and not grant.get("customAuthenticationFactors")
            and not grant.get("termsOfUse")
            and (not uses_strength or strength_mfa)
        )
        return alternatives_ok
    return False


def grant_is_phishing_resistant(policy: Policy, strengths: Strengths) -> bool | None:
    """A phishing-resistant strength (built-in ...0004, or a custom one allowing only Windows Hello, FIDO2
    and certificate MFA) that is mandatory. None when the strength cannot be resolved."""
    operator, built_in, total = _controls(policy)
    if "block" in built_in:
        return False
    uses_strength, strength = resolve_strength(policy, strengths)
    if not uses_strength:
        return False
    if strength is None:
        return None
    return strength_is_phishing_resistant(strength) and _mandatory(operator, total)


def grant_requires_compliant_device(policy: Policy, strengths: Strengths | None = None) -> bool:
    """A managed device is mandatory: `compliantDevice` with AND or alone, or an OR of `compliantDevice` and
    `domainJoinedDevice` only (both are managed devices). An OR with `mfa` or anything else does not count."""
    operator, built_in, total = _controls(policy)
    if "block" in built_in or "compliantDevice" not in built_in:
        return False
    if _mandatory(operator, total):
        return True
    return total == len(built_in) and all(c in DEVICE_CONTROLS for c in built_in)


def describe_grant(policy: Policy, strengths: Strengths) -> str:
    """Human text of a grant, e.g. 'mfa OR compliantDevice' or 'strength "Phishing-resistant MFA"'."""
    grant = policy.get("grantControls") or {}
    operator, built_in, _ = _controls(policy)
    parts = list(built_in)
    parts += [f"custom factor {c}" for c in grant.get("customAuthenticationFactors") or []]
    parts += ["terms of use" for _ in grant.get("termsOfUse") or []]
    uses_strength, strength = resolve_strength(policy, strengths)
    if uses_strength:
        embedded = grant.get("authenticationStrength") or {}
        name = (strength or embedded).get("displayName") or embedded.get("id", "")
        parts.append(f'strength "{name}"' + ("" if strength else " (unresolved)"))
    return f" {operator} ".join(parts) if parts else "(no grant controls)"


# --- users and exclusions ----------------------------------------------------------------------------------

def _users(policy: Policy) -> Mapping[str, Any]:
    return ((policy.get("conditions") or {}).get("users")) or {}


def covers_all_users(policy: Policy) -> bool:
    return "All" in (_users(policy).get("includeUsers") or [])


def included_roles(policy: Policy) -> set[str]:
    return {r.lower() for r in _users(policy).get("includeRoles") or []}


def covers_roles(policy: Policy, role_ids: Iterable[str]) -> bool:
    """The policy applies to every holder of these roles (all users, or every role included)."""
    return covers_all_users(policy) or {r.lower() for r in role_ids} <= included_roles(policy)


def describe_users(policy: Policy) -> str:
    users = _users(policy)
    if covers_all_users(policy):
        return "All users"
    parts = []
    roles = users.get("includeRoles") or []
    if roles:
        parts.append("roles: " + ", ".join(sorted(PRIVILEGED_ROLES.get(r.lower(), r) for r in roles)))
    if users.get("includeUsers"):
        parts.append(f"{len(users['includeUsers'])} user(s)" if users["includeUsers"] != ["None"] else "no users")
    if users.get("includeGroups"):
        parts.append(f"{len(users['includeGroups'])} group(s)")
    return "; ".join(parts) or "nobody"


def _name_user(user_id: str, users_by_id: Mapping[str, Mapping[str, Any]]) -> str:
    record = users_by_id.get(user_id.lower()) or {}
    return record.get("userPrincipalName") or user_id


def exclusions(policy: Policy, users_by_id: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Every exclusion named for evidence: excluded users (by UPN when known), groups, roles, guest types."""
    users = _users(policy)
    users_by_id = users_by_id or {}
    named = []
    for user_id in users.get("excludeUsers") or []:
        named.append("guests or external users" if user_id == _GUEST_TOKEN else f"user {_name_user(user_id, users_by_id)}")
    named += [f"group {g}" for g in users.get("excludeGroups") or []]
    named += [f"role {PRIVILEGED_ROLES.get(r.lower(), r)}" for r in users.get("excludeRoles") or []]
    if users.get("excludeGuestsOrExternalUsers"):
        named.append("guests or external users")
    return named


# --- does a policy count -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PolicyScope:
    """Whether a policy counts (enabled, all cloud apps, not narrowed, acceptable exclusions) and why not."""

    counts: bool
    reasons: tuple[str, ...]  # why it does not count; empty when it counts
    exclusions: tuple[str, ...]  # every exclusion, named, whether acceptable or not


def _narrowing_conditions(conditions: Mapping[str, Any], allow_client_app_types: bool,
                          allow_risk: str = "") -> list[str]:
    reasons = []
    for key, label in (
        ("signInRiskLevels", "sign-in risk levels"),
        ("userRiskLevels", "user risk levels"),
        ("servicePrincipalRiskLevels", "service principal risk levels"),
        ("insiderRiskLevels", "insider risk levels"),
    ):
        if key == allow_risk:
            continue  # the risk condition the requirement itself is about (CON-5)
        value = conditions.get(key)
        if value and value != "none" and value != ["none"]:
            reasons.append(f"limited to {label} {value if isinstance(value, str) else ', '.join(value)}")
    locations = conditions.get("locations")
    if locations and (
        [x.lower() for x in locations.get("includeLocations") or []] != ["all"] or locations.get("excludeLocations")
    ):
        reasons.append("limited by locations")
    platforms = conditions.get("platforms")
    if platforms and (
        [x.lower() for x in platforms.get("includePlatforms") or []] != ["all"] or platforms.get("excludePlatforms")
    ):
        reasons.append("limited by device platforms")
    devices = conditions.get("devices") or {}
    if devices.get("deviceFilter") or devices.get("includeDevices") or devices.get("excludeDevices"):
        reasons.append("limited by a device filter")
    if (conditions.get("authenticationFlows") or {}).get("transferMethods"):
        reasons.append("limited to authentication flows")
    if not allow_client_app_types:
        client_apps = [c.lower() for c in conditions.get("clientAppTypes") or ["all"]]
        if client_apps != ["all"]:
            reasons.append(f"limited to client app types {', '.join(conditions['clientAppTypes'])}")
    return reasons


def policy_counts(
    policy: Policy,
    ctx: CheckContext,
    allow_client_app_types: bool = False,
    users_by_id: Mapping[str, Mapping[str, Any]] | None = None,
    allow_risk: str = "",
) -> PolicyScope:
    """The checklist's "counts" rule. Exclusions: at most 2 users, and when the config declares break-glass
    accounts, excluded users must be among them (matched by object id or, through `users_by_id`, by UPN);
    any excluded group, role or guest/external user type disqualifies. ``allow_client_app_types`` lets the
    legacy-authentication check (MFA-5) target specific client app types; ``allow_risk`` names the one risk
    condition (`userRiskLevels` or `signInRiskLevels`) a risk-based requirement (CON-5) is about, which then
    does not narrow the policy (any other risk condition still does).

    Decision: a locations or platforms condition that includes "All" and excludes nothing narrows nothing
    and is accepted; risk levels, device filters and authentication flows always narrow."""
    reasons: list[str] = []
    state = policy.get("state") or "unknown"
    if state != "enabled":
        reasons.append("report-only" if state == "enabledForReportingButNotEnforced" else f"state {state}")
    conditions = policy.get("conditions") or {}
    apps = conditions.get("applications") or {}
    if "All" not in (apps.get("includeApplications") or []):
        reasons.append("not all cloud apps")
    if apps.get("excludeApplications"):
        reasons.append(f"excludes {len(apps['excludeApplications'])} app(s)")
    reasons += _narrowing_conditions(conditions, allow_client_app_types, allow_risk)

    users = conditions.get("users") or {}
    users_by_id = users_by_id or {}
    excluded_users = [u for u in users.get("excludeUsers") or [] if u != _GUEST_TOKEN]
    if len(excluded_users) > 2:
        reasons.append(f"excludes {len(excluded_users)} users (at most 2 break-glass accounts allowed)")
    if ctx.settings.break_glass_accounts:
        undeclared = [
            _name_user(u, users_by_id) for u in excluded_users
            if not ctx.is_break_glass(u, (users_by_id.get(u.lower()) or {}).get("userPrincipalName"))
        ]
        if undeclared:
            reasons.append(f"excludes users not declared break-glass: {', '.join(undeclared)}")
    if users.get("excludeGroups"):
        reasons.append("excludes group(s)")
    if users.get("excludeRoles"):
        reasons.append("excludes role(s)")
    if _GUEST_TOKEN in (users.get("excludeUsers") or []) or users.get("excludeGuestsOrExternalUsers"):
        reasons.append("excludes guests or external users")
    return PolicyScope(counts=not reasons, reasons=tuple(reasons), exclusions=tuple(exclusions(policy, users_by_id)))


# --- policies assessed for one requirement ----------------------------------------------------------------

GrantTest = Callable[[Policy, Strengths], bool | None]


@dataclass(frozen=True)
class PolicyAssessment:
    """One policy judged for one requirement (a grant test)."""

    id: str
    name: str
    state: str
    scope: PolicyScope
    all_users: bool
    roles: frozenset[str]
    grant: bool | None  # the grant test: True, False, or None when undecidable
    grant_text: str
    users_text: str
    policy: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def qualifies(self) -> bool:
        return self.scope.counts and self.grant is True

    @property
    def undecidable(self) -> bool:
        return self.scope.counts and self.grant is None

    def evidence(self) -> dict[str, str]:
        return {
            "policy": self.name,
            "state": self.state,
            "users": self.users_text,
            "grant": self.grant_text,
            "counts": "yes" if self.scope.counts else "no: " + "; ".join(self.scope.reasons),
            "exclusions": ", ".join(self.scope.exclusions) or "none",
        }


def assess_policies(
    snapshot: TenantSnapshot,
    ctx: CheckContext,
    grant_test: GrantTest,
    allow_client_app_types: bool = False,
    allow_risk: str = "",
) -> list[PolicyAssessment]:
    """Every CA policy judged for a grant test. The caller makes sure conditional_access_policies is ok."""
    strengths = strengths_index(snapshot)
    users = users_by_id(snapshot)
    result = []
    for policy in snapshot.data("conditional_access_policies") or []:
        result.append(PolicyAssessment(
            id=policy.get("id", ""),
            name=policy.get("displayName") or policy.get("id", ""),
            state=policy.get("state") or "unknown",
            scope=policy_counts(policy, ctx, allow_client_app_types, users, allow_risk),
            all_users=covers_all_users(policy),
            roles=frozenset(included_roles(policy)),
            grant=grant_test(policy, strengths),
            grant_text=describe_grant(policy, strengths),
            users_text=describe_users(policy),
            policy=policy,
        ))
    return result


def near_misses(assessments: Iterable[PolicyAssessment]) -> str:
    """'"Name" (report-only); ...' for policies whose grant passes but which do not count, for summaries."""
    missed = [f'"{a.name}" ({"; ".join(a.scope.reasons)})' for a in assessments if a.grant is not False and not a.scope.counts]
    return "; ".join(missed)


# --- security defaults ---------------------------------------------------------------------------------------

def security_defaults_enabled(snapshot: TenantSnapshot) -> bool | None:
    """True or False from `isEnabled`; None when the section is not ok or the answer has no boolean
    `isEnabled` (an empty answer is never read as "disabled")."""
    data = snapshot.data_if_ok("security_defaults")
    value = data.get("isEnabled") if isinstance(data, dict) else None
    return value if isinstance(value, bool) else None


def security_defaults_unknown(snapshot: TenantSnapshot) -> Outcome:
    section = snapshot.section("security_defaults")
    if section.ok:
        return Outcome(Status.UNKNOWN, "The security defaults answer has no isEnabled value, so it is unknown "
                                       "whether security defaults are on.")
    return Outcome(Status.UNKNOWN, f"Not evaluated: {section_note(snapshot, 'security_defaults')}.")


SECURITY_DEFAULTS_ROW = {
    "policy": "Security defaults",
    "state": "enabled",
    "users": "All users",
    "grant": "mfa (enforced by Microsoft)",
    "counts": "yes",
    "exclusions": "none",
}
