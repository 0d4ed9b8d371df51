"""Privileged accounts (area `admins`): ADM-1, ADM-2, ADM-3, ADM-4 and ADM-6 of CHECKLIST.md.

Who is privileged comes from checks/privileged.py (active assignments, PIM-eligible ones when readable,
role-assignable groups expanded), each holder classified by checks/identity.py. Partner references and
service principals are not people and are left to PAR-1 and other checks. A holder of unknown kind (null or
unexpanded principal) may be a person: a check that judges people says UNKNOWN for it, naming its principal
id, unless another holder already FAILs. An empty role answer (no active and no eligible assignment at all)
is UNKNOWN in every check here: a tenant always has a Global Administrator, so such an answer is incomplete.
"""

from __future__ import annotations

from typing import Any

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
    unclassified_text,
)
from checks.names import generic_name, organisation_words, upn_local_part
from checks.service_plans import collaboration_plans

ROLES_REF = "https://learn.microsoft.com/entra/identity/role-based-access-control/best-practices"
CUSTOMER_REF = "https://learn.microsoft.com/partner-center/customers/customer-security-best-practices"


def _user_row(user: PrivilegedUser, **extra: Any) -> dict[str, Any]:
    return {
        "user": user.display_name,
        "userPrincipalName": user.user_principal_name,
        "roles": ", ".join(user.roles),
        **extra,
    }


def _unclassified_rows(snapshot: TenantSnapshot, **columns: str) -> list[dict[str, Any]]:
    """One evidence row per role holder of unknown kind, in the shape of `_user_row` (``columns`` are the
    check's own extra columns, filled for these rows), naming the principal id and its roles."""
    roles: dict[str, list[str]] = {}
    for holder in privileged_holders(snapshot).holders:
        if holder.kind is PrincipalKind.UNKNOWN:
            roles.setdefault(holder.principal_id, []).append(holder.role_name)
    rows = [{"user": f"(principal id {pid})", "userPrincipalName": "", "roles": ", ".join(dict.fromkeys(names)),
             **columns} for pid, names in roles.items()]
    # A role-holding group whose members could not be read may hold anyone: named, never silently dropped.
    note = section_note(snapshot, "group_members")
    rows += [{"user": f"(members of group {name}: not read, {note})", "userPrincipalName": "", "roles": "",
              **columns} for name in privileged_holders(snapshot).unexpanded_groups]
    return rows


def _unclassified_summary(snapshot: TenantSnapshot) -> str:
    """Holders of unknown type and unreadable role groups, as one phrase ("" when there is none)."""
    return privileged_holders(snapshot).unjudged_text()


@check(
    id="ADM-1",
    title="Two to four Global Administrators",
    action="Keep two to four Global Administrators",
    fix=(
        "With fewer than two, add a second named administrator or a break-glass account; with more than "
        "four, move people to least-privileged roles in the Microsoft Entra admin center."
    ),
    effort="low",
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
    untyped = holders.unclassified()
    evidence: list[dict[str, Any]] = [
        {"holder": u.display_name, "userPrincipalName": u.user_principal_name, "userType": u.user_type,
         "assignment": ", ".join(u.assignments), "note": ""}
        for u in people
    ]
    for name in holders.unexpanded_groups:
        evidence.append({"holder": name, "userPrincipalName": "", "userType": "group", "assignment": "group",
                         "note": f"members not read ({section_note(snapshot, 'group_members')})"})
    for holder in untyped:
        evidence.append({"holder": holder.principal_id, "userPrincipalName": "", "userType": "unknown",
                         "assignment": holder.assignment.value,
                         "note": f"principal id {holder.principal_id}: type unknown, not counted"})
    if holders.eligibility_note:
        evidence.append({"holder": "(PIM-eligible assignments)", "userPrincipalName": "", "userType": "",
                         "assignment": "eligible", "note": "not read: " + holders.eligibility_note})
    count = len(people)
    not_counted = f" {len(others)} service principal/partner holder(s) not counted." if others else ""
    eligible_text = "" if holders.eligibility_read else " (eligible assignments not read)"
    if count > 4:
        return Outcome(Status.FAIL, f"{count} Global Administrators{eligible_text}; at most 4 are recommended."
                                    + not_counted, evidence)
    unread = []
    if holders.unexpanded_groups:
        unread.append(f"the members of {', '.join(holders.unexpanded_groups)} could not be read")
    if untyped:
        unread.append(f"{unclassified_text(untyped)} may be people")
    if unread:
        return Outcome(Status.UNKNOWN, f"{count} Global Administrators known, but {' and '.join(unread)}.",
                       evidence)
    if count < 2:
        return Outcome(Status.FAIL, f"{count} Global Administrator{'' if count == 1 else 's'}{eligible_text}; at "
                                    "least 2 are needed so one lost account does not lock the tenant."
                                    + not_counted, evidence)
    return Outcome(Status.PASS, f"{count} Global Administrators{eligible_text}." + not_counted, evidence)


@check(
    id="ADM-2",
    title="No shared administrator accounts",
    action="Give every administrator a personal admin account",
    fix=(
        "Create a named admin account for each person, move the privileged roles to it, and block "
        "sign-in on the shared account."
    ),
    effort="medium",
    area="admins",
    severity="high",
    applies_to=["customer", "partner"],
    needs=["role_assignments", "users"],
    reads=HOLDER_SECTIONS,
    references=[ROLES_REF, CUSTOMER_REF],
    remediation="""
        Give every administrator a personal admin account (for example jane.doe.admin@...) with their own
        MFA method, remove the privileged roles from the shared account, and block its sign-in or delete it.
        An account kept for emergencies should be a documented break-glass account, excluded from nothing
        but Conditional Access and watched for every sign-in.

        Partner: declare an emergency account in the tenant's break_glass list in tenants.toml
        (break_glass = [...]) so the audit reviews it as a break-glass account.
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
    organisation = organisation_words(snapshot)
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
    evidence += _unclassified_rows(snapshot, finding="principal type unknown: its name could not be judged")
    if flagged:
        return Outcome(Status.FAIL, f"{flagged} privileged account(s) look shared or generic.", evidence)
    unclassified = _unclassified_summary(snapshot)
    if unclassified:
        return Outcome(Status.UNKNOWN, f"None of the {len(admins)} privileged accounts looks shared or generic, "
                                       f"but {unclassified} could not be judged.", evidence)
    return Outcome(Status.PASS, f"None of the {len(admins)} privileged accounts looks shared or generic.", evidence)


@check(
    id="ADM-3",
    title="Administrator accounts are not used for email and collaboration",
    action="Keep admin accounts free of email and Teams",
    fix=(
        "Give each administrator a separate account for daily email and chat, and remove the Exchange "
        "Online and Teams service plans from the admin account in the Microsoft 365 admin center."
    ),
    effort="medium",
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
    """No privileged user has an enabled service plan that gives an Exchange Online mailbox or Teams.

    Email and chat are where phishing arrives; an administrator who reads mail with the admin account
    hands the attacker admin rights with one click.

    Decisions: a plan counts when its `capabilityStatus` is Enabled or Warning (grace period: still
    working). Mailbox and Teams are decided by each plan's `servicePlanId`, from Microsoft's licensing
    table (checks/service_plans.toml names the plans and the table's date), never by the `service` name:
    Entra ID P1/P2 bring Exchange Foundation, an `exchange` plan that gives no mailbox, and Defender for
    Office 365, Exchange Online Protection, Customer Lockbox and archiving give none either. An enabled
    `exchange` or `TeamspaceAPI` plan in no list of the table makes the check UNKNOWN for that user (named
    in the evidence), unless a known plan already decides FAIL. Teams calling and audio-conferencing plans
    (`MicrosoftCommunicationsOnline`) give neither mailbox nor Teams on their own and are not judged.
    Break-glass accounts are not exempt (they should hold no mailbox either). A privileged user missing from
    the users list, or a role holder of unknown kind, makes the check UNKNOWN unless another admin FAILs.
    """
    empty = no_role_holders_read(snapshot)
    if empty:
        return Outcome(Status.UNKNOWN, empty)
    evidence = []
    failing = undecided = 0
    admins = privileged_users(snapshot)
    for user in admins:
        if not user.record:
            undecided += 1
            evidence.append(_user_row(user, services="unknown: not in the users list"))
            continue
        plans = collaboration_plans(user.record)
        if plans.found:
            failing += 1
            evidence.append(_user_row(user, services=", ".join(plans.found)))
        elif plans.unrecognised:
            undecided += 1
            evidence.append(_user_row(user, services="unknown: unrecognised " + ", ".join(plans.unrecognised)))
    evidence += _unclassified_rows(snapshot, services="unknown: principal type unknown")
    if failing:
        return Outcome(Status.FAIL, f"{failing} privileged account(s) have a mailbox or Teams plan enabled.", evidence)
    unclassified = _unclassified_summary(snapshot)
    if undecided or unclassified:
        parts = [f"{undecided} privileged account(s) are missing from the users list or hold an unrecognised "
                 "Exchange or Teams plan"] if undecided else []
        parts += [f"{unclassified} could not be judged"] if unclassified else []
        return Outcome(Status.UNKNOWN, "No known mailbox or Teams plan found, but " + "; ".join(parts) + ".",
                       evidence)
    return Outcome(Status.PASS, f"None of the {len(admins)} privileged accounts has a mailbox or Teams plan.",
                   evidence)


@check(
    id="ADM-4",
    title="No guest user holds a privileged role",
    action="Remove admin roles from guest accounts",
    fix=(
        "Remove the privileged roles from the listed guests in the Microsoft Entra admin center; partner "
        "staff should work through a GDAP relationship."
    ),
    effort="low",
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

    Decisions: "guest" is the one definition of an external identity every check shares
    (checks/identity.py): `userType` Guest, or a UPN carrying `#EXT#`, or `creationType` Invitation (a B2B
    account turned Member is still external), read from `users` when present, else from the expanded
    principal or group member. Partner references (legacy DAP) are not guests here: PAR-1 reports them. A
    role holder of unknown kind may be a guest: UNKNOWN naming its principal id, unless a guest FAILs.
    """
    empty = no_role_holders_read(snapshot)
    if empty:
        return Outcome(Status.UNKNOWN, empty)
    admins = privileged_users(snapshot)
    guests = [u for u in admins if u.is_external]
    evidence = [_user_row(u, userType=u.user_type or "", external="; ".join(u.external_reasons),
                          assignment=", ".join(u.assignments)) for u in guests]
    unknown_rows = _unclassified_rows(snapshot, userType="unknown", external="principal type unknown",
                                      assignment="")
    if guests:
        return Outcome(Status.FAIL, f"{len(guests)} guest (external) account(s) hold a privileged role.",
                       evidence + unknown_rows)
    unclassified = _unclassified_summary(snapshot)
    if unclassified:
        return Outcome(Status.UNKNOWN, f"None of the {len(admins)} privileged accounts is a guest, but "
                                       f"{unclassified} could not be judged.", unknown_rows)
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
    action="Review administrators' recovery email and phone numbers",
    fix=(
        "Confirm with each administrator that every listed address and number is theirs, and remove the "
        "others in the Microsoft Entra admin center."
    ),
    effort="low",
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
    with no such method gets a row saying so; a user the collector did not fetch gets "not collected". A role
    holder of unknown kind gets a row naming its principal id (its methods cannot be looked up as a user's);
    the review stays MANUAL.
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
    evidence += _unclassified_rows(snapshot, method="(principal type unknown: methods not listed)", value="")
    unclassified = _unclassified_summary(snapshot)
    return Outcome(Status.MANUAL, f"Review the recovery email and phone methods of {len(admins)} privileged "
                                  f"account(s), from {source}."
                                  + (f" Not listed: {unclassified}." if unclassified else ""), evidence)
