"""Privileged accounts, wave 2 (area `admins`): ADM-5 (stale admin accounts) and ADM-7 (standing Global
Administrator access) of CHECKLIST.md, "Rules version 3" > "Wave 2".

Who is privileged comes from checks/privileged.py and checks/identity.py, as for ADM-1..6. ADM-5 reads each
privileged user's `signInActivity` (collected per user: Entra ID P1); ADM-7 reads PIM's role assignment
schedule instances (Entra ID P2).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from auditor.registry import CheckContext, Outcome, check
from auditor.results import Evidence, Status
from auditor.snapshot import SectionStatus, TenantSnapshot
from checks.azure import parse_time
from checks.identity import PrincipalKind, classify_principal, is_user_member
from checks.privileged import (
    GLOBAL_ADMINISTRATOR,
    HOLDER_SECTIONS,
    no_role_holders_read,
    privileged_holders,
    privileged_users,
    section_note,
    users_by_id,
)

ROLES_REF = "https://learn.microsoft.com/entra/identity/role-based-access-control/best-practices"
SIGN_IN_ACTIVITY_REF = "https://learn.microsoft.com/graph/api/resources/signinactivity"
INACTIVE_REF = "https://learn.microsoft.com/entra/identity/monitoring-health/howto-manage-inactive-user-accounts"
PIM_REF = "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-configure"
INSTANCES_REF = "https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignmentscheduleinstances"

ENTRA_P1 = "Microsoft Entra ID P1"
ENTRA_P2 = "Microsoft Entra ID P2"


# --- ADM-5 -----------------------------------------------------------------------------------------------


def _moment(value: Any) -> datetime | None:
    """A signInActivity timestamp; None for absent, unreadable or Graph's "never" placeholder (0001-01-01)."""
    parsed = parse_time(value)
    return parsed if parsed is not None and parsed.year > 1 else None


def last_sign_in(activity: dict[str, Any] | None) -> tuple[datetime | None, str]:
    """(the last sign-in that counts, which field said so) from a Graph signInActivity object.

    `lastSuccessfulSignInDateTime` decides wherever Graph returns the field (the other two also count failed
    attempts); otherwise the later of `lastSignInDateTime` (interactive) and `lastNonInteractiveSignInDateTime`.
    A null signInActivity, a null field and the `0001-01-01` placeholder all mean "never"."""
    if not isinstance(activity, dict):
        return None, "no signInActivity"
    if "lastSuccessfulSignInDateTime" in activity:
        return _moment(activity.get("lastSuccessfulSignInDateTime")), "lastSuccessfulSignInDateTime"
    candidates = [(m, f) for f in ("lastSignInDateTime", "lastNonInteractiveSignInDateTime")
                  if (m := _moment(activity.get(f))) is not None]
    if not candidates:
        return None, "lastSignInDateTime, lastNonInteractiveSignInDateTime"
    return max(candidates)


@check(
    id="ADM-5",
    title="Every privileged account signed in recently",
    action="Remove admin roles from unused accounts",
    fix=(
        "Confirm with each listed account's owner whether it is still needed; remove the roles and block "
        "sign-in where it is not, or make it eligible through Privileged Identity Management."
    ),
    effort="medium",
    area="admins",
    severity="medium",
    applies_to=["customer", "partner"],
    needs=["role_assignments"],
    reads=["sign_in_activity", *HOLDER_SECTIONS],
    references=[ROLES_REF, INACTIVE_REF, SIGN_IN_ACTIVITY_REF],
    remediation="""
        For each account in the evidence, confirm with its owner whether it is still needed. Remove the
        privileged roles from accounts nobody uses (Microsoft Entra admin center > Identity > Roles & admins
        > the role > Assignments) and block sign-in or delete the account; an account that is still needed
        should be made PIM-eligible so it holds no standing rights while unused. Emergency-access
        (break-glass) accounts are exempt.

        Partner: declare the tenant's emergency-access accounts in its break_glass list in tenants.toml, so
        the audit lists them without judging their sign-ins.
    """,
    wave=2,
)
def admins_signed_in_recently(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Every privileged user signed in within the last 90 days (`admin_sign_in_days`).

    A privileged account nobody uses is still a way in: its password is not changed, its MFA phone may have
    changed hands, and no one notices a sign-in that should not happen. Unused admin rights should be removed.

    Decisions: the last sign-in is `signInActivity.lastSuccessfulSignInDateTime` wherever Graph returns the
    field (the older two also count failed attempts), else the later of `lastSignInDateTime` and
    `lastNonInteractiveSignInDateTime`; Graph's `0001-01-01` placeholder and a null `signInActivity` mean
    never. An account created within the window is not stale (listed as new). Declared break-glass accounts
    are listed, not judged (they are meant to stay unused). Without Entra ID P1 Graph refuses
    `signInActivity`: UNKNOWN naming the licence, never a FAIL. A privileged user whose sign-in activity was
    not collected, or a role holder of unknown kind, makes the check UNKNOWN unless another account FAILs.
    """
    empty = no_role_holders_read(snapshot)
    if empty:
        return Outcome(Status.UNKNOWN, empty)
    section = snapshot.section("sign_in_activity")
    if section.status is SectionStatus.NOT_LICENSED:
        return Outcome(Status.UNKNOWN, f"Sign-in activity needs {ENTRA_P1}, which the tenant does not have "
                                       "(Graph refused signInActivity as not licensed).")
    if not section.ok:
        return Outcome(Status.UNKNOWN, f"Sign-in activity could not be read: {section_note(snapshot, 'sign_in_activity')}.")
    records = {str(key).lower(): value for key, value in (section.data or {}).items()}  # type: ignore[union-attr]
    days = ctx.settings.admin_sign_in_days
    since = ctx.now - timedelta(days=days)
    admins = privileged_users(snapshot)
    rows: list[Evidence] = []
    stale = undecided = 0
    for user in admins:
        base = {"user": user.display_name, "userPrincipalName": user.user_principal_name, "roles": ", ".join(user.roles)}
        record = records.get(user.id.lower())
        if record is None:
            undecided += 1
            rows.append(base | {"last_sign_in": "", "days_ago": "", "finding": "unknown: sign-in activity not collected"})
            continue
        moment, source = last_sign_in(record.get("signInActivity"))
        created = _moment(record.get("createdDateTime"))
        shown = {"last_sign_in": moment.isoformat() if moment else "never",
                 "days_ago": (ctx.now - moment).days if moment else ""}
        if ctx.is_break_glass(user.user_principal_name, user.id):
            rows.append(base | shown | {"finding": "break-glass account: listed, not judged"})
        elif moment is not None and moment >= since:
            continue
        elif created is not None and created >= since:
            rows.append(base | shown | {"finding": f"created {created.date().isoformat()}: new, not stale"})
        else:
            stale += 1
            rows.append(base | shown | {"finding": f"no sign-in within {days} days ({source})"})
    unclassified = privileged_holders(snapshot).unjudged_text()
    if stale:
        return Outcome(Status.FAIL, f"{stale} privileged account(s) did not sign in within {days} days.", rows)
    if undecided or unclassified:
        parts = [f"the sign-in activity of {undecided} privileged account(s) was not collected"] if undecided else []
        parts += [f"{unclassified} could not be judged"] if unclassified else []
        return Outcome(Status.UNKNOWN, "No stale privileged account found, but " + " and ".join(parts) + ".", rows)
    return Outcome(Status.PASS, f"All {len(admins)} privileged accounts signed in within {days} days "
                                "(break-glass and new accounts listed).", rows)


# --- ADM-7 -----------------------------------------------------------------------------------------------


def _is_standing(instance: dict[str, Any]) -> bool:
    """A permanent active assignment: assignmentType Assigned (not a PIM activation) and no end date."""
    return (str(instance.get("assignmentType") or "").lower() == "assigned"
            and not instance.get("endDateTime"))


def _principals(snapshot: TenantSnapshot) -> dict[str, dict[str, Any]]:
    """Expanded principals of the active role assignments, by lower-cased principal id."""
    found: dict[str, dict[str, Any]] = {}
    for row in snapshot.data_if_ok("role_assignments", []) or []:
        principal = row.get("principal") or {}
        pid = str(row.get("principalId") or principal.get("id") or "").lower()
        if pid and principal:
            found[pid] = principal
    return found


@check(
    id="ADM-7",
    title="No standing Global Administrator access except break-glass",
    action="Make Global Administrator eligible, not permanent",
    fix=(
        "In Privileged Identity Management, make each listed person eligible for Global Administrator "
        "instead of permanently active; keep permanent access only on the two break-glass accounts."
    ),
    effort="medium",
    area="admins",
    severity="medium",
    applies_to=["customer", "partner"],
    reads=["role_assignment_schedule_instances", *HOLDER_SECTIONS],
    references=[PIM_REF, INSTANCES_REF, ROLES_REF],
    remediation="""
        In Microsoft Entra admin center > Identity Governance > Privileged Identity Management > Microsoft
        Entra roles > Roles > Global Administrator, make each person in the evidence eligible instead of
        active (Add assignments > Eligible, then remove the permanent active assignment), with MFA and
        approval required on activation. Keep permanent Global Administrator only on the two emergency-access
        (break-glass) accounts.

        Partner: declare the two emergency-access accounts in the tenant's break_glass list in tenants.toml,
        so the audit accepts their standing access.
    """,
    wave=2,
)
def no_standing_global_admin(snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
    """Global Administrator is held through PIM eligibility; only break-glass accounts hold it permanently.

    A permanent Global Administrator is a full-tenant takeover waiting for one phished session. With PIM the
    role is activated for hours, with MFA and a reason, and is absent the rest of the time.

    Decisions: standing means a role assignment schedule instance for Global Administrator with
    `assignmentType` Assigned (a PIM activation is `Activated`) and no `endDateTime`; a time-bound active
    assignment is not standing. A role-assignable group holding the role permanently makes each of its
    members standing (members unread: UNKNOWN unless a FAIL decides). Each standing person must be a declared
    break-glass account; when the config declares none, at most 2 standing holders pass (the two
    emergency-access accounts Microsoft recommends). Service principals cannot be made eligible and
    partner references (legacy DAP) are PAR-1's: both are listed, not judged. A holder of unknown kind is
    UNKNOWN naming its principal id, unless a FAIL decides. Without Entra ID P2 (PIM refused as not
    licensed) there is no eligibility to use: NOT_APPLICABLE. An empty instance list is taken as incomplete
    (every tenant has a Global Administrator): UNKNOWN.
    """
    section = snapshot.section("role_assignment_schedule_instances")
    if section.status is SectionStatus.NOT_LICENSED:
        return Outcome(Status.NOT_APPLICABLE, f"Privileged Identity Management needs {ENTRA_P2}, which the tenant "
                                              "does not have, so Global Administrator cannot be made eligible.")
    if not section.ok:
        return Outcome(Status.UNKNOWN, "PIM assignment instances could not be read: "
                                       f"{section_note(snapshot, 'role_assignment_schedule_instances')}.")
    instances = section.data or []
    if not instances:
        return Outcome(Status.UNKNOWN, "The PIM assignment instances answer is empty; every tenant has a Global "
                                       "Administrator, so the answer is taken as incomplete.")
    users = users_by_id(snapshot)
    groups = snapshot.data_if_ok("group_members") or {}
    principals = _principals(snapshot)
    standing: dict[str, Evidence] = {}  # person id -> row
    rows: list[Evidence] = []
    unknown: list[str] = []
    for instance in instances:  # type: ignore[union-attr]
        if str(instance.get("roleDefinitionId") or "").lower() != GLOBAL_ADMINISTRATOR or not _is_standing(instance):
            continue
        pid = str(instance.get("principalId") or "")
        principal = principals.get(pid.lower(), {})
        kind = classify_principal(principal, pid, users, groups)
        base = {"instance_id": instance.get("id", "")}
        if kind is PrincipalKind.USER:
            record = users.get(pid.lower(), {})
            standing.setdefault(pid.lower(), base | {
                "holder": record.get("displayName") or principal.get("displayName") or pid,
                "userPrincipalName": record.get("userPrincipalName") or principal.get("userPrincipalName") or "",
                "assignment": "permanent active"})
        elif kind is PrincipalKind.GROUP and pid in groups:
            name = principal.get("displayName") or pid
            for member in groups[pid] or []:
                if is_user_member(member):
                    mid = str(member.get("id") or "")
                    record = users.get(mid.lower(), {})
                    standing.setdefault(mid.lower(), base | {
                        "holder": record.get("displayName") or member.get("displayName") or mid,
                        "userPrincipalName": record.get("userPrincipalName") or member.get("userPrincipalName") or "",
                        "assignment": f"permanent active via group {name}"})
        elif kind is PrincipalKind.GROUP:
            unknown.append(f"the members of group {principal.get('displayName') or pid}")
            rows.append(base | {"holder": principal.get("displayName") or pid, "userPrincipalName": "",
                                "assignment": "permanent active (group)",
                                "finding": f"members not read ({section_note(snapshot, 'group_members')})"})
        elif kind in (PrincipalKind.SERVICE_PRINCIPAL, PrincipalKind.PARTNER):
            what = "service principal: cannot be made eligible" if kind is PrincipalKind.SERVICE_PRINCIPAL \
                else "partner reference (legacy DAP): see PAR-1"
            rows.append(base | {"holder": principal.get("displayName") or pid, "userPrincipalName": "",
                                "assignment": "permanent active", "finding": f"listed, not judged ({what})"})
        else:
            unknown.append(f"principal id {pid}")
            rows.append(base | {"holder": f"(principal id {pid})", "userPrincipalName": "",
                                "assignment": "permanent active", "finding": "principal type unknown"})
    declared = bool(ctx.settings.break_glass_accounts)
    offenders = 0
    for person_id, row in standing.items():
        if ctx.is_break_glass(row["userPrincipalName"], person_id):
            row["finding"] = "declared break-glass account"
        elif declared:
            offenders += 1
            row["finding"] = "standing access: not a declared break-glass account"
        else:
            row["finding"] = "standing access (no break-glass accounts declared: at most 2 allowed)"
    people_rows = sorted(standing.values(), key=lambda r: str(r["userPrincipalName"] or r["holder"]).lower())
    evidence = people_rows + rows
    count = len(standing)
    eligible = len({h.principal_id for h in privileged_holders(snapshot).holders_of(GLOBAL_ADMINISTRATOR)
                    if h.assignment.value == "eligible"})
    eligible_text = f" {eligible} person(s) hold it through eligibility." if eligible else ""
    if declared and offenders:
        return Outcome(Status.FAIL, f"{offenders} person(s) hold Global Administrator permanently without being a "
                                    f"declared break-glass account.{eligible_text}", evidence)
    if not declared and count > 2:
        return Outcome(Status.FAIL, f"{count} people hold Global Administrator permanently; with no break-glass "
                                    f"accounts declared, at most 2 are allowed.{eligible_text}", evidence)
    if unknown:
        return Outcome(Status.UNKNOWN, f"{count} standing Global Administrator(s) within the rule, but "
                                       f"{' and '.join(unknown)} could not be judged.", evidence)
    return Outcome(Status.PASS, f"{count} standing Global Administrator(s), all within the rule (break-glass)."
                                + eligible_text, evidence)
