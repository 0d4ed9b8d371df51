"""Privileged accounts (area `admins`): ADM-1, ADM-2, ADM-3, ADM-4 and ADM-6 of CHECKLIST.md.

Who is privileged comes from checks/privileged.py (active assignments, PIM-eligible ones when readable,
role-assignable groups expanded). Partner references and service principals are not people and are left
to PAR-1 and other checks. An empty role answer (no active and no eligible assignment at all) is UNKNOWN in
every check here: a tenant always has a Global Administrator, so such an answer is incomplete.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Status
from auditor.snapshot import TenantSnapshot
from checks.privileged import (
    GLOBAL_ADMINISTRATOR,
    HOLDER_SECTIONS,
    PRIVILEGED_ROLES,
    PrincipalKind,
    PrivilegedUser,
    no_role_holders_read,
    privileged_holders,
    privileged_users,
    section_note,
)

ROLES_REF = "https://learn.microsoft.com/entra/identity/role-based-access-control/best-practices"
CUSTOMER_REF = "https://learn.microsoft.com/partner-center/customers/customer-security-best-practices"


def _user_row(user: PrivilegedUser, **extra: Any) -> dict[str, Any]:
    return {
        "user": user.display_name,
        "userPrincipalName": user.user_principal_name,
        "roles": ", ".join(user.roles),
        **extra,
    }


@check(
    id="ADM-1",
    title="Two to four Global Administrators",
    area="admins",
    severity="high",
    applies_to=["customer", "partner"],
    needs=["role_assignments"],
    reads=HOLDER_SECTIONS,
    references=[ROLES_REF,
                "https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference#global-administrator"],
    remediation="""
        Keep between two and four Global Administrators. With fewer than two, one lost account locks the
        organisation out: add a second named admin or a break-glass account. With more than four, move
        people to least-privileged roles (User, Exchange, SharePoint, Helpdesk Administrator, ...) in
        Microsoft Entra admin center > Identity > Roles & admins > Global Administrator, and make the
        remaining ones eligible through Privileged Identity Management rather than permanent.
    """,
)
def global_admin_count(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """The tenant has at least two and at most four Global Administrators.

    Every Global Administrator can take over the whole tenant, so each one more is one more account to
    phish; a single one is a single point of failure (Microsoft recommends fewer than five, and at least two).

    Decisions: distinct people are counted (a user both active and eligible, or in two groups, counts once),
    including PIM-eligible holders when role_eligibility_schedules is readable; the evidence has a row
    saying when it was not (and that without Entra ID P2 no eligibility can exist). Service principals and
    partner references (legacy DAP, see PAR-1) are not counted. A role-assignable group whose members could
    not be read, or a holder whose type is unknown (principal not expanded and not in the users list), makes
    the count a lower bound: more than four still FAILs, anything else is UNKNOWN.
    """
    empty = no_role_holders_read(snapshot)
    if empty:
        return Outcome(Status.UNKNOWN, empty)
    holders = privileged_holders(snapshot, {GLOBAL_ADMINISTRATOR: PRIVILEGED_ROLES[GLOBAL_ADMINISTRATOR]})
    people = privileged_users(snapshot, holders)
    others = [h for h in holders.holders if h.kind in (PrincipalKind.SERVICE_PRINCIPAL, PrincipalKind.PARTNER)]
    untyped = {h.principal_id: h for h in holders.holders if h.kind is PrincipalKind.OTHER}
    evidence: list[dict[str, Any]] = [
        {"holder": u.display_name, "userPrincipalName": u.user_principal_name, "userType": u.user_type,
         "assignment": ", ".join(u.assignments), "note": ""}
        for u in people
    ]
    for name in holders.unexpanded_groups:
        evidence.append({"holder": name, "userPrincipalName": "", "userType": "group", "assignment": "group",
                         "note": f"members not read ({section_note(snapshot, 'group_members')})"})
    for holder in untyped.values():
        evidence.append({"holder": holder.display_name, "userPrincipalName": "", "userType": "unknown",
                         "assignment": holder.assignment.value, "note": "principal type unknown: not counted"})
    if holders.eligibility_note:
        evidence.append({"holder": "(PIM-eligible assignments)", "userPrincipalName": "", "userType": "",
                         "assignment": "eligible", "note": "not read: " + holders.eligibility_note})
    count = len(people)
    not_counted = f" {len(others)} service principal/partner holder(s) not counted." if others else ""
    eligible_text = "" if holders.eligibility_read else " (eligible assignments not read)"
    if count > 4:
        return Outcome(Status.FAIL, f"{count} Global Administrators{eligible_text}; at most 4 are recommended."
                                    + not_counted, evidence)
    unread = [f"members of {', '.join(holders.unexpanded_groups)}"] if holders.unexpanded_groups else []
    if untyped:
        unread.append(f"what {len(untyped)} other holder(s) are")
    if unread:
        return Outcome(Status.UNKNOWN, f"{count} Global Administrators known, but {' and '.join(unread)} "
                                       "could not be read.", evidence)
    if count < 2:
        return Outcome(Status.FAIL, f"{count} Global Administrator{'' if count == 1 else 's'}{eligible_text}; at "
                                    "least 2 are needed so one lost account does not lock the tenant."
                                    + not_counted, evidence)
    return Outcome(Status.PASS, f"{count} Global Administrators{eligible_text}." + not_counted, evidence)


# Words that name a function, team or placeholder rather than a person. Compound spellings are listed
# because a name is split on separators and digits, not inside words ("itsupport" stays whole).
GENERIC_NAME_WORDS = frozenset({
    "admin", "admins", "administrator", "administrators", "adm", "sysadmin", "superadmin", "globaladmin",
    "tenantadmin", "itadmin", "o365admin", "m365admin", "msadmin", "cloudadmin", "domainadmin",
    "it", "itsupport", "support", "helpdesk", "servicedesk", "desk", "office", "info", "shared", "service",
    "services", "svc", "test", "testing", "tester", "temp", "tmp", "root", "user", "account", "accounts",
    "team", "group", "global", "tenant", "mailbox", "operations", "ops", "security", "backup", "default",
    "noreply", "no", "reply", "master", "owner", "microsoft", "office365", "o365", "m365", "azure", "cloud",
    "breakglass", "emergency", "access", "partner", "csp", "msp", "company", "the", "of", "and",
})


def _tokens(text: str) -> list[str]:
    """Words between separators, a listed compound kept whole ("o365admin"), others split into letters and
    digits: "it.support" -> it, support; "admin2" -> admin, 2."""
    tokens = []
    for chunk in re.split(r"[^a-z0-9]+", text.lower()):
        if chunk in GENERIC_NAME_WORDS:
            tokens.append(chunk)
        elif chunk:
            tokens += re.findall(r"[a-z]+|[0-9]+", chunk)
    return tokens


def upn_local_part(upn: str) -> str:
    """The name part of a UPN; for a B2B guest ('jane_fabrikam.com#EXT#@...') the local part of the
    original address ('jane')."""
    lowered = upn.lower()
    if "#ext#" in lowered:
        return upn[: lowered.index("#ext#")].rsplit("_", 1)[0]
    return upn.split("@")[0]


def generic_name(text: str, organisation_words: Iterable[str] = ()) -> bool:
    """True when every word of the name is generic, a number or the organisation's own name ("admin",
    "IT Support", "admin2", "Contoso Admin"), so "Itzel Ortiz" or a personal admin account such as
    "jane.doe.admin" is not flagged."""
    neutral = GENERIC_NAME_WORDS | set(organisation_words)
    tokens = _tokens(text)
    return bool(tokens) and any(not t.isdigit() for t in tokens) and all(t in neutral or t.isdigit() for t in tokens)


def _organisation_words(snapshot: TenantSnapshot) -> set[str]:
    words = set(_tokens(snapshot.tenant.display_name))
    if snapshot.tenant.default_domain:
        words.add(snapshot.tenant.default_domain.split(".")[0].lower())
    return words - {"ltd", "inc", "llc", "gmbh", "co"}


@check(
    id="ADM-2",
    title="No shared administrator accounts",
    area="admins",
    severity="high",
    applies_to=["customer", "partner"],
    needs=["role_assignments", "users"],
    reads=HOLDER_SECTIONS,
    references=[ROLES_REF, CUSTOMER_REF],
    remediation="""
        Give every administrator a personal admin account (for example jane.doe.admin@...) with their own
        MFA method, remove the privileged roles from the shared account, and block its sign-in or delete it.
        Accounts kept for emergencies must be declared as break-glass accounts in the auditor's tenants.toml
        (break_glass = [...]) so they are reviewed as such.
    """,
)
def no_shared_admins(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """No privileged role is held by a shared or generic account.

    A shared account ("admin@", "itsupport@") has a password several people know, no single owner, MFA
    tied to one phone, and an audit trail that names nobody.

    Decisions: a name is generic when every word of the UPN's local part (for guests, of their original
    address) or of the display name is in a list of generic words (admin, administrator, it, support,
    helpdesk, office, info, shared, service, test, temp, sysadmin, root, ...), a number, or the
    organisation's own name; whole words only, so "Itzel Ortiz" is not "it" and a personal "jane.admin"
    is not generic. A user with neither given name nor surname is flagged too. Accounts declared
    break-glass in the config are exempt and listed as such.
    """
    empty = no_role_holders_read(snapshot)
    if empty:
        return Outcome(Status.UNKNOWN, empty)
    organisation = _organisation_words(snapshot)
    evidence = []
    flagged = 0
    admins = privileged_users(snapshot)
    for user in admins:
        findings = []
        local = upn_local_part(user.user_principal_name)
        if local and generic_name(local, organisation):
            findings.append(f'generic user name "{local}"')
        if user.display_name and generic_name(user.display_name, organisation):
            findings.append(f'generic display name "{user.display_name}"')
        if user.record and not (user.record.get("givenName") or "").strip() and not (user.record.get("surname") or "").strip():
            findings.append("no given name or surname")
        if not findings:
            continue
        if ctx.is_break_glass(user.user_principal_name, user.id):
            evidence.append(_user_row(user, finding="exempt: declared break-glass (" + "; ".join(findings) + ")"))
            continue
        flagged += 1
        evidence.append(_user_row(user, finding="; ".join(findings)))
    if flagged:
        return Outcome(Status.FAIL, f"{flagged} privileged account(s) look shared or generic.", evidence)
    return Outcome(Status.PASS, f"None of the {len(admins)} privileged accounts looks shared or generic.", evidence)


# assignedPlans `service` values of Exchange Online and Teams (Teams: TeamspaceAPI; Teams/Skype calling
# and meetings: MicrosoftCommunicationsOnline). Compared case-insensitively.
COLLABORATION_SERVICES = {"exchange": "Exchange Online", "teamspaceapi": "Microsoft Teams",
                          "microsoftcommunicationsonline": "Teams calling and meetings"}
# "Warning" is the grace period after a subscription lapses: the service still works.
ACTIVE_CAPABILITY_STATUSES = {"enabled", "warning"}


def collaboration_plans(user_record: dict[str, Any]) -> list[str]:
    found = []
    for plan in user_record.get("assignedPlans") or []:
        service = (plan.get("service") or "").lower()
        if service in COLLABORATION_SERVICES and (plan.get("capabilityStatus") or "").lower() in ACTIVE_CAPABILITY_STATUSES:
            found.append(COLLABORATION_SERVICES[service])
    return list(dict.fromkeys(found))


@check(
    id="ADM-3",
    title="Administrator accounts are not used for email and collaboration",
    area="admins",
    severity="medium",
    applies_to=["customer", "partner"],
    needs=["role_assignments", "users"],
    reads=HOLDER_SECTIONS,
    references=[ROLES_REF, CUSTOMER_REF],
    remediation="""
        Keep privileged roles on dedicated, cloud-only admin accounts without a mailbox or Teams: give each
        administrator a separate account for daily email and chat, and remove the Exchange Online and Teams
        service plans from the admin account (Microsoft 365 admin center > Users > Active users > the admin
        > Licenses and apps: untick Exchange Online and Microsoft Teams, or assign no Microsoft 365 licence).
    """,
)
def admins_without_mailbox(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """No privileged user has an enabled Exchange Online or Teams service plan.

    Email and chat are where phishing arrives; an administrator who reads mail with the admin account
    hands the attacker admin rights with one click.

    Decisions: a plan counts when its `capabilityStatus` is Enabled or Warning (grace period: still
    working); services `exchange`, `TeamspaceAPI` (Teams) and `MicrosoftCommunicationsOnline` (Teams
    calling/Skype). Break-glass accounts are not exempt (they should hold no mailbox either). A privileged
    user missing from the users list makes the check UNKNOWN unless another admin already FAILs.
    """
    empty = no_role_holders_read(snapshot)
    if empty:
        return Outcome(Status.UNKNOWN, empty)
    evidence = []
    failing = missing = 0
    admins = privileged_users(snapshot)
    for user in admins:
        if not user.record:
            missing += 1
            evidence.append(_user_row(user, services="unknown: not in the users list"))
            continue
        plans = collaboration_plans(user.record)
        if plans:
            failing += 1
            evidence.append(_user_row(user, services=", ".join(plans)))
    if failing:
        return Outcome(Status.FAIL, f"{failing} privileged account(s) have Exchange Online or Teams enabled.", evidence)
    if missing:
        return Outcome(Status.UNKNOWN, f"{missing} privileged account(s) are not in the users list, so their "
                                       "service plans are unknown.", evidence)
    return Outcome(Status.PASS, f"None of the {len(admins)} privileged accounts has Exchange Online or Teams.", evidence)


@check(
    id="ADM-4",
    title="No guest user holds a privileged role",
    area="admins",
    severity="high",
    applies_to=["customer", "partner"],
    needs=["role_assignments"],
    reads=HOLDER_SECTIONS,
    references=[ROLES_REF, "https://learn.microsoft.com/entra/external-id/user-properties"],
    remediation="""
        Remove the privileged roles from guest (B2B) accounts: Microsoft Entra admin center > Identity >
        Roles & admins > the role > Assignments (active and eligible). Partner staff should work through a
        GDAP relationship, and anyone else who needs admin rights through a member account your
        organisation controls, with your MFA and your lifecycle.
    """,
)
def no_guest_admins(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """No guest (B2B) account holds a privileged role, actively, eligibly or through a group.

    A guest's password, MFA and offboarding are controlled by another organisation: a privileged guest is
    a door into the tenant whose lock someone else holds.

    Decisions: a user is a guest when its `userType` is Guest (from `users` when present, else the expanded
    principal or group member) or its UPN carries `#EXT#`. Partner references (legacy DAP) are not guests
    here: PAR-1 reports them.
    """
    empty = no_role_holders_read(snapshot)
    if empty:
        return Outcome(Status.UNKNOWN, empty)
    admins = privileged_users(snapshot)
    guests = [u for u in admins if u.is_guest]
    evidence = [_user_row(u, userType=u.user_type or "Guest", assignment=", ".join(u.assignments)) for u in guests]
    if guests:
        return Outcome(Status.FAIL, f"{len(guests)} guest account(s) hold a privileged role.", evidence)
    return Outcome(Status.PASS, f"None of the {len(admins)} privileged accounts is a guest.")


EMAIL_METHOD_TYPE = "#microsoft.graph.emailAuthenticationMethod"
PHONE_METHOD_TYPE = "#microsoft.graph.phoneAuthenticationMethod"
# methodsRegistered values of userRegistrationDetails that are recovery email or phone methods.
REGISTERED_RECOVERY_METHODS = {
    "email": "email", "mobilePhone": "mobile phone", "alternateMobilePhone": "alternate mobile phone",
    "officePhone": "office phone",
}


def recovery_methods(methods: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(method, value) of the email and phone methods in a Graph authentication methods list. The type comes
    from @odata.type, or from the shape when the list came from /emailMethods or /phoneMethods (no type)."""
    found = []
    for method in methods:
        odata_type = method.get("@odata.type")
        if odata_type == EMAIL_METHOD_TYPE or (odata_type is None and "emailAddress" in method):
            found.append(("email", method.get("emailAddress") or ""))
        elif odata_type == PHONE_METHOD_TYPE or (odata_type is None and "phoneNumber" in method):
            found.append((f"phone ({method.get('phoneType') or 'unknown type'})", method.get("phoneNumber") or ""))
    return found


@check(
    id="ADM-6",
    title="Administrators' recovery email and phone numbers are reviewed",
    area="admins",
    severity="medium",
    applies_to=["customer", "partner"],
    needs=["role_assignments"],
    reads=["authentication_methods", "user_registration_details", *HOLDER_SECTIONS],
    references=[CUSTOMER_REF, "https://learn.microsoft.com/graph/api/authentication-list-methods"],
    remediation="""
        Check with each administrator that every listed email address and phone number is theirs and
        current; remove unknown or personal-shared ones (Microsoft Entra admin center > Users > the user >
        Authentication methods). A recovery method an attacker controls resets the admin's password.
    """,
)
def admin_recovery_methods(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """MANUAL: each privileged user's password-recovery email and phone methods, listed for review.

    Self-service password reset sends codes to these addresses and numbers; a stale number or a former
    employee's address is a way to reset an administrator's password.

    Decisions: the values come from `authentication_methods` (per user, Graph's email and phone method
    shapes); when that section is not ok, the method names (without values) come from
    `user_registration_details.methodsRegistered`; when neither is readable the check is UNKNOWN. A user
    with no such method gets a row saying so; a user the collector did not fetch gets "not collected".
    """
    empty = no_role_holders_read(snapshot)
    if empty:
        return Outcome(Status.UNKNOWN, empty)
    admins = privileged_users(snapshot)
    methods = snapshot.data_if_ok("authentication_methods")
    registrations = snapshot.data_if_ok("user_registration_details")
    if methods is None and registrations is None:
        return Outcome(Status.UNKNOWN, "Recovery methods could not be read: "
                                       f"{section_note(snapshot, 'authentication_methods')}; "
                                       f"{section_note(snapshot, 'user_registration_details')}.")
    evidence = []
    if methods is not None:
        by_id = {key.lower(): value for key, value in methods.items()}
        for user in admins:
            listed = by_id.get(user.id.lower())
            if listed is None:
                evidence.append(_user_row(user, method="(not collected)", value=""))
                continue
            found = recovery_methods(listed)
            evidence += [_user_row(user, method=m, value=v) for m, v in found] or [
                _user_row(user, method="(no email or phone method)", value="")]
        source = "authentication methods"
    else:
        by_id = {r["id"].lower(): r for r in registrations if r.get("id")}
        for user in admins:
            record = by_id.get(user.id.lower())
            if record is None:
                evidence.append(_user_row(user, method="(no registration record)", value=""))
                continue
            found = [REGISTERED_RECOVERY_METHODS[m] for m in record.get("methodsRegistered") or []
                     if m in REGISTERED_RECOVERY_METHODS]
            evidence += [_user_row(user, method=m, value="(value not available)") for m in found] or [
                _user_row(user, method="(no email or phone method)", value="")]
        source = (f"registration details (method names only; "
                  f"{section_note(snapshot, 'authentication_methods')})")
    return Outcome(Status.MANUAL, f"Review the recovery email and phone methods of {len(admins)} privileged "
                                  f"account(s), from {source}.", evidence)
