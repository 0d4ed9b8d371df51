"""MFA enforcement (area `mfa`): MFA-1 to MFA-5 of CHECKLIST.md.

The Conditional Access terms ("counts", "requires MFA", "phishing-resistant", "privileged roles held") live
in checks/conditional_access.py and checks/privileged.py, shared with the admin and device checks.
"""

from __future__ import annotations

from typing import Any, Mapping

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Status
from auditor.snapshot import SectionStatus, TenantSnapshot
from checks.ca_coverage import (
    LEGACY_CLIENT_TYPES,
    client_app_types,
    judge_admin_coverage,
    legacy_types_targeted,
    names_legacy_clients,
    union_coverage,
)
from checks.conditional_access import (
    ADMIN_COVERAGE_SECTIONS,
    POLICY_SECTIONS,
    SECURITY_DEFAULTS_ROW,
    PolicyAssessment,
    assess_policies,
    grant_blocks,
    grant_is_phishing_resistant,
    grant_requires_mfa,
    near_misses,
    security_defaults_enabled,
    security_defaults_unknown,
)
from checks.identity import is_external
from checks.privileged import (
    HOLDER_SECTIONS,
    no_role_holders_read,
    privileged_holders,
    privileged_users,
    section_note,
    unclassified_text,
)

CA_REF = "https://learn.microsoft.com/entra/identity/conditional-access/policy-all-users-mfa-strength"
SECURITY_DEFAULTS_REF = "https://learn.microsoft.com/entra/fundamentals/security-defaults"
CSP_REF = "https://learn.microsoft.com/partner-center/security/partner-security-requirements"
CUSTOMER_REF = "https://learn.microsoft.com/partner-center/customers/customer-security-best-practices"

_CA = "conditional_access_policies"


def _decided_before_ca(snapshot: TenantSnapshot, when_on: Outcome) -> Outcome | None:
    """What security defaults decide for MFA-1, MFA-2 and MFA-5: ``when_on`` when they are on, UNKNOWN when
    their state is unknown, UNKNOWN when they are off and Conditional Access could not be read. None when the
    CA policies must be judged (security defaults and CA policies cannot both be active)."""
    enabled = security_defaults_enabled(snapshot)
    if enabled is None:
        return security_defaults_unknown(snapshot)
    if enabled:
        return when_on
    if not snapshot.section(_CA).ok:
        return Outcome(
            Status.UNKNOWN,
            f"Security defaults are off, and Conditional Access could not be read: {section_note(snapshot, _CA)}.",
        )
    return None


def _mfa_grant_for_all(policy: Mapping[str, Any], strengths: Mapping[str, Mapping[str, Any]]) -> bool | None:
    return grant_requires_mfa(policy, strengths, allow_device=True)


def _strict_mfa_grant(policy: Mapping[str, Any], strengths: Mapping[str, Mapping[str, Any]]) -> bool | None:
    return grant_requires_mfa(policy, strengths, allow_device=False)


def _candidates(assessments: list[PolicyAssessment]) -> list[dict[str, str]]:
    """Evidence: the policies whose grant meets the requirement (or might), counting or not."""
    return [a.evidence() for a in assessments if a.grant is not False]


@check(
    id="MFA-1",
    title="MFA is required for all users",
    action="Require MFA for every user",
    fix=(
        "Turn on security defaults (without Microsoft Entra ID P1), or create the Conditional Access "
        "policy \"Require multifactor authentication for all users\" from Microsoft's template and set it "
        "to On."
    ),
    effort="low",
    tenant_wide=True,
    area="mfa",
    severity="critical",
    applies_to=["customer", "partner"],
    needs=["security_defaults"],
    reads=["security_defaults", *POLICY_SECTIONS],
    references=[CUSTOMER_REF, CSP_REF, SECURITY_DEFAULTS_REF, CA_REF],
    remediation="""
        Require multifactor authentication for every user. Without Entra ID P1, turn on security defaults
        (Microsoft Entra admin center > Identity > Overview > Properties > Manage security defaults). With P1,
        create a Conditional Access policy from the template "Require multifactor authentication for all
        users": Users = All users (exclude only your one or two break-glass accounts), Target resources = All
        cloud apps, Grant = Require multifactor authentication (or an authentication strength), and set it
        to On (report-only does not enforce anything).
    """,
)
def mfa_all_users(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Every user must pass MFA to sign in.

    Stolen or guessed passwords are the most common way into a tenant; MFA stops nearly all of those
    attacks. Microsoft requires it of CSP partners and recommends it for every customer.

    Decisions: security defaults and Conditional Access cannot both be active, so when security defaults
    are on the check PASSes without reading CA policies; when they are off CA policies are needed and an
    unreadable CA section is UNKNOWN (naming its status). A security-defaults answer without `isEnabled` is
    UNKNOWN, never "off". As in Microsoft's own template, "mfa OR compliantDevice/domainJoinedDevice"
    counts here (not for admins). A policy whose custom authentication strength cannot be resolved makes
    the check UNKNOWN when no other policy passes.
    """
    decided = _decided_before_ca(snapshot, Outcome(
        Status.PASS, "Security defaults are on: every user must register and use MFA.", [SECURITY_DEFAULTS_ROW]))
    if decided is not None:
        return decided
    assessments = assess_policies(snapshot, ctx, _mfa_grant_for_all)
    passing = [a for a in assessments if a.qualifies and a.all_users]
    if passing:
        return Outcome(
            Status.PASS,
            f"Policy {', '.join(repr(a.name) for a in passing)} requires MFA for all users on all cloud apps.",
            [a.evidence() for a in passing],
        )
    evidence = _candidates(assessments)
    unresolved = [a for a in assessments if a.undecidable and a.all_users]
    if unresolved:
        return Outcome(
            Status.UNKNOWN,
            f"Policy {', '.join(repr(a.name) for a in unresolved)} uses an authentication strength that could "
            f"not be resolved ({section_note(snapshot, 'authentication_strength_policies')}).",
            evidence,
        )
    misses = near_misses(a for a in assessments if a.all_users)
    return Outcome(
        Status.FAIL,
        "Security defaults are off and no enabled Conditional Access policy requires MFA for all users on all "
        "cloud apps." + (f" Policies that would but do not count: {misses}." if misses else ""),
        evidence,
    )


@check(
    id="MFA-2",
    title="MFA is required for every administrator",
    action="Require MFA for every administrator",
    fix=(
        "Create the Conditional Access policy \"Require multifactor authentication for admins\" from "
        "Microsoft's template, covering every privileged role, and set it to On."
    ),
    effort="low",
    area="mfa",
    severity="critical",
    applies_to=["customer", "partner"],
    needs=["security_defaults"],
    reads=["security_defaults", *ADMIN_COVERAGE_SECTIONS],
    references=[CUSTOMER_REF, CSP_REF, SECURITY_DEFAULTS_REF,
                "https://learn.microsoft.com/entra/identity/conditional-access/policy-old-require-mfa-admin"],
    remediation="""
        Create a Conditional Access policy from the template "Require multifactor authentication for
        admins": include the directory roles Global, Privileged Role, Privileged Authentication, Security,
        Exchange, SharePoint, User, Billing, Conditional Access, Application, Cloud Application, Helpdesk,
        Authentication, Password, Intune and Hybrid Identity Administrator (or All users), All cloud apps,
        Grant = Require multifactor authentication with no other alternative, and set it to On. Exclude at most
        your two break-glass accounts, never a group or role.
    """,
)
def mfa_admins(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Every holder of a privileged role must pass MFA, with no weaker alternative.

    Administrator accounts are the first target of attackers: one compromised Global Administrator is
    the whole tenant. MFA for admins is a Microsoft requirement for partners and their customers.

    Decisions: security defaults on → PASS (they require MFA for these roles) without reading CA policies;
    off → CA needed, UNKNOWN when unreadable. Roles held are counted from active assignments, PIM-eligible
    ones when readable (the summary says when they were not), and role-assignable groups expanded. A policy
    for all users, or policies including all 16 privileged roles, PASS even when role assignments are
    unreadable. "mfa OR compliantDevice" does not count here: MFA must not be optional for admins.
    """
    decided = _decided_before_ca(snapshot, Outcome(
        Status.PASS, "Security defaults are on: administrators must use MFA at every sign-in."))
    if decided is not None:
        return decided
    return judge_admin_coverage(snapshot, assess_policies(snapshot, ctx, _strict_mfa_grant), "requires MFA")


@check(
    id="MFA-3",
    title="Administrators must use phishing-resistant MFA",
    action="Give administrators phishing-resistant sign-in",
    fix=(
        "Give each administrator a FIDO2 security key, Windows Hello for Business or a certificate, then "
        "require the \"Phishing-resistant MFA\" authentication strength for the admin roles in Conditional "
        "Access."
    ),
    effort="high",
    area="mfa",
    severity="high",
    applies_to=["customer", "partner"],
    needs=[_CA],
    reads=["security_defaults", *ADMIN_COVERAGE_SECTIONS],
    references=[CSP_REF, "https://learn.microsoft.com/entra/identity/conditional-access/policy-admin-phish-resistant-mfa",
                "https://learn.microsoft.com/entra/identity/authentication/concept-authentication-strengths"],
    remediation="""
        Give every administrator a FIDO2 security key, Windows Hello for Business or a certificate, then
        create a Conditional Access policy from the template "Require phishing-resistant multifactor
        authentication for admins": include the privileged directory roles (or All users), All cloud apps,
        Grant = Require authentication strength "Phishing-resistant MFA", and set it to On.
    """,
)
def mfa_admins_phishing_resistant(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Every holder of a privileged role must use a phishing-resistant method (FIDO2, Windows Hello for
    Business, certificate).

    Push, SMS and one-time codes can be relayed by adversary-in-the-middle phishing kits; phishing-resistant
    methods cannot. Microsoft recommends them for administrators.

    Decisions: a strength is phishing-resistant when it is the built-in `...0004`, or a custom strength
    whose allowed combinations are all Windows Hello, FIDO2 or certificate MFA; strengths are matched by id
    and combinations, never display name; a custom strength referenced by id is resolved from
    authentication_strength_policies (UNKNOWN when it cannot be). Security defaults alone FAIL (they allow
    any MFA method and no CA policy can be on with them).
    """
    assessments = assess_policies(snapshot, ctx, grant_is_phishing_resistant)
    outcome = judge_admin_coverage(snapshot, assessments, "requires a phishing-resistant authentication strength")
    if outcome.status is Status.FAIL and security_defaults_enabled(snapshot):
        outcome.summary = "Security defaults are on, but they do not require phishing-resistant methods. " + outcome.summary
    return outcome


@check(
    id="MFA-4",
    title="Users and every administrator are registered for MFA",
    action="Get every user and administrator registered for MFA",
    fix=(
        "Ask each listed user to register at https://aka.ms/mysecurityinfo, administrators first, and "
        "turn on the registration campaign in the Microsoft Entra admin center."
    ),
    effort="medium",
    area="mfa",
    severity="high",
    applies_to=["customer", "partner"],
    needs=["users"],
    reads=["user_registration_details", *HOLDER_SECTIONS],
    references=[CUSTOMER_REF,
                "https://learn.microsoft.com/graph/api/resources/userregistrationdetails",
                "https://learn.microsoft.com/entra/identity/authentication/howto-registration-mfa-sspr-combined"],
    remediation="""
        Ask each listed user to register at https://aka.ms/mysecurityinfo (Microsoft Authenticator, a FIDO2
        key or Windows Hello). Administrators first: an admin without a registered method is one stolen
        password from a compromised tenant. Turn on the registration campaign (Entra admin center >
        Protection > Authentication methods > Registration campaign) to nudge everyone else.
    """,
)
def mfa_registration(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Every privileged user, and at least 95 % (configurable) of enabled member users, have registered
    an MFA method.

    Enforcement only protects people who registered: an unregistered account can be registered by whoever
    first signs in with its password.

    Decisions: the ratio counts enabled internal users: `users` with `accountEnabled` not false that are not
    external identities. External identities (the one definition every check shares, checks/identity.py:
    `userType` Guest, a UPN with `#EXT#`, or `creationType` Invitation) register MFA in their home tenant, so
    they are left out of the ratio and out of the admin rule and listed apart in the evidence (ADM-4 judges
    external admins). Disabled accounts are left out too, and disabled admins (who cannot sign in) from the
    admin rule. A user with no registration record counts as unregistered. The registration report needs
    Entra ID P1: not licensed is UNKNOWN naming the licence. A ratio below the threshold FAILs even when
    role assignments are unreadable; otherwise unreadable (or empty) role assignments are UNKNOWN, and so is
    a role holder of unknown kind (null or unexpanded principal: it may be an unregistered person), named by
    principal id. Exactly the threshold passes.
    """
    report = snapshot.section("user_registration_details")
    if report.status is SectionStatus.NOT_LICENSED:
        return Outcome(Status.UNKNOWN, "MFA registration details need a Microsoft Entra ID P1 licence, which the "
                                       f"tenant lacks ({report.brief_reason or 'not licensed'}).")
    if not report.ok:
        return Outcome(Status.UNKNOWN, f"Not evaluated: {section_note(snapshot, 'user_registration_details')}.")
    registered = {r["id"].lower(): bool(r.get("isMfaRegistered")) for r in report.data or [] if r.get("id")}

    def row(user: Mapping[str, Any], privileged: str, counted: str = "yes") -> dict[str, str]:
        user_id = user["id"].lower()
        state = ("MFA-registered" if registered.get(user_id) else
                 "not MFA-registered" if user_id in registered else "no registration record")
        return {
            "user": user.get("displayName") or "",
            "userPrincipalName": user.get("userPrincipalName") or "",
            "privileged": privileged,
            "registration": state,
            "counted": counted,
        }

    enabled = [u for u in snapshot.data("users") or [] if u.get("id") and u.get("accountEnabled") is not False]
    members = [u for u in enabled if not is_external(u)]
    externals = [u for u in enabled if is_external(u)]
    if not members:
        return Outcome(Status.UNKNOWN, "The users list holds no enabled internal user.")
    unregistered = [u for u in members if not registered.get(u["id"].lower())]
    ratio = (len(members) - len(unregistered)) / len(members)
    threshold = ctx.settings.mfa_registration_threshold
    ratio_text = (f"{ratio:.1%} of {len(members)} enabled internal users are MFA-registered "
                  f"(threshold {threshold:.0%})")
    if externals:
        ratio_text += f"; {len(externals)} external identit{'y' if len(externals) == 1 else 'ies'} not counted"

    roles_readable = snapshot.section("role_assignments").ok and not no_role_holders_read(snapshot)
    holders = privileged_holders(snapshot) if roles_readable else None
    admins = [a for a in privileged_users(snapshot, holders) if a.record.get("accountEnabled") is not False] if holders else []
    internal_admins = [a for a in admins if not a.is_external]
    admin_ids = {a.id.lower() for a in admins}
    unregistered_admins = [a for a in internal_admins if not registered.get(a.id.lower())]
    external_note = "no: external identity (MFA registered in its home tenant)"
    evidence = [
        row({"id": a.id, "displayName": a.display_name, "userPrincipalName": a.user_principal_name},
            "yes: " + ", ".join(a.roles))
        for a in unregistered_admins
    ] + [row(u, "no") for u in unregistered if u["id"].lower() not in admin_ids] + [
        row({"id": a.id, "displayName": a.display_name, "userPrincipalName": a.user_principal_name},
            "yes: " + ", ".join(a.roles), external_note)
        for a in admins if a.is_external
    ] + [row(u, "no", external_note) for u in externals if u["id"].lower() not in admin_ids]

    if ratio < threshold - 1e-9 or unregistered_admins:  # 1e-9: 19/20 is exactly 95 %
        admin_text = f"; {len(unregistered_admins)} privileged user(s) are not registered" if unregistered_admins else ""
        return Outcome(Status.FAIL, ratio_text + admin_text + ".", evidence)
    if holders is None:
        why = no_role_holders_read(snapshot) if snapshot.section("role_assignments").ok else (
            section_note(snapshot, "role_assignments") + ".")
        return Outcome(Status.UNKNOWN, f"{ratio_text}, but privileged users could not be checked: {why}", evidence)
    unjudged = holders.unjudged_text()
    if unjudged:
        evidence += [{"user": f"(principal id {h.principal_id})", "userPrincipalName": "", "privileged": "yes: "
                      + h.role_name, "registration": "unknown: principal type unknown", "counted": "no"}
                     for h in holders.unclassified()]
        evidence += [{"user": f"(members of group {name})", "userPrincipalName": "", "privileged": "yes: via group",
                      "registration": "unknown: members not read", "counted": "no"}
                     for name in holders.unexpanded_groups]
        return Outcome(Status.UNKNOWN, f"{ratio_text}, but {unjudged} could not be checked.", evidence)
    return Outcome(Status.PASS, f"{ratio_text}; all {len(internal_admins)} enabled internal privileged users are "
                                "registered.", evidence)


@check(
    id="MFA-5",
    title="Legacy authentication is blocked",
    action="Block legacy authentication",
    fix=(
        "Create the Conditional Access policy \"Block legacy authentication\" from Microsoft's template "
        "and set it to On, or turn on security defaults."
    ),
    effort="low",
    tenant_wide=True,
    area="mfa",
    severity="high",
    applies_to=["customer", "partner"],
    needs=["security_defaults"],
    reads=["security_defaults", *POLICY_SECTIONS],
    references=[CUSTOMER_REF, SECURITY_DEFAULTS_REF,
                "https://learn.microsoft.com/entra/identity/conditional-access/policy-block-legacy-authentication"],
    remediation="""
        Create a Conditional Access policy from the template "Block legacy authentication": Users = All
        users (exclude at most your break-glass accounts), Target resources = All cloud apps, Conditions >
        Client apps = Exchange ActiveSync clients and Other clients, Grant = Block access, and set it to On.
        Without Entra ID P1, turn on security defaults, which block legacy authentication.
    """,
)
def legacy_auth_blocked(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Sign-ins through legacy protocols (POP, IMAP, SMTP AUTH, older Office clients, Exchange ActiveSync
    basic auth) are blocked.

    Legacy protocols cannot do MFA, so they let password-spray attacks walk around every MFA policy.

    Decisions: security defaults on → PASS without CA (they block legacy authentication); off → CA needed,
    UNKNOWN when unreadable. A policy counts as for the other MFA rules (all users, all apps, enabled, at
    most 2 break-glass exclusions, no excluded group/role/guests) except that it targets client app types.
    The counting all-users block policies are judged together: legacy authentication is blocked when their
    union covers both `exchangeActiveSync` and `other` (`all` covers both), so one policy per client type is
    as good as one for both. The grant must be `block`: requiring MFA is not a block (the checklist asks for
    an explicit block, which does not depend on how each legacy protocol handles a challenge it cannot
    answer).
    """
    decided = _decided_before_ca(snapshot, Outcome(
        Status.PASS, "Security defaults are on: legacy authentication is blocked.",
        [{**SECURITY_DEFAULTS_ROW, "grant": "block legacy authentication", "client_apps": "legacy"}]))
    if decided is not None:
        return decided
    assessments = assess_policies(snapshot, ctx, lambda policy, _: grant_blocks(policy), allow_client_app_types=True)

    def evidence(a: PolicyAssessment) -> dict[str, str]:
        return {**a.evidence(), "client_apps": ", ".join(client_app_types(a.policy))}

    covered_by = union_coverage([a for a in assessments if a.all_users], LEGACY_CLIENT_TYPES,
                                lambda a: legacy_types_targeted(a.policy))
    if all(covered_by.values()):
        names = list(dict.fromkeys(name for names in covered_by.values() for name in names))
        blocking = [a for a in assessments if a.name in names]
        one = len(names) == 1
        return Outcome(Status.PASS, f"Polic{'y' if one else 'ies'} {', '.join(repr(n) for n in names)} "
                                    f"block{'s' if one else ''} legacy authentication (Exchange ActiveSync and other "
                                    f"clients) for all users{'' if one else ', together'}.",
                       [evidence(a) for a in blocking])
    missing = [t for t, names in covered_by.items() if not names]
    related = [a for a in assessments if a.grant or names_legacy_clients(a.policy)]
    reasons = []
    for a in related:
        why = list(a.scope.reasons)
        if not a.grant:
            why.append("grant is not block" + (" (requiring MFA is not a block)" if "mfa" in a.grant_text else ""))
        if not a.all_users:
            why.append("not all users")
        if not legacy_types_targeted(a.policy):
            why.append("client apps include neither exchangeActiveSync nor other")
        if a.qualifies and a.all_users:
            why.append("blocks " + ", ".join(sorted(legacy_types_targeted(a.policy))) + " only")
        reasons.append(f'"{a.name}" ({"; ".join(why)})')
    return Outcome(
        Status.FAIL,
        "Legacy authentication is not blocked: security defaults are off and no enabled all-users block policy "
        f"(alone or with others) covers {' and '.join(missing)} clients."
        + (f" Related policies: {'; '.join(reasons)}." if reasons else ""),
        [evidence(a) for a in related],
    )
