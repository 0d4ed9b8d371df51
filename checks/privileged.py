"""Who holds a privileged Microsoft Entra role: the shared answer for the MFA, admin, partner and device checks.

A holder is found three ways, as the checklist's "privileged roles held" says: active role assignments
(`role_assignments`), PIM-eligible assignments (`role_eligibility_schedules`, only when that section is
readable), and role-assignable groups holding a role, expanded to their members (`group_members`, when
readable). A group whose members could not be read stays a holder itself, so its role still counts as held.

Each holder is classified once, by checks/identity.py. Partner references (legacy DAP) and service
principals are kept as holders but are not users: user-based checks skip them (PAR-1 reports partner
references). A holder of unknown kind is kept too: the checks that depend on its kind say UNKNOWN and name
its principal id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Iterable

from auditor.memo import per_snapshot
from auditor.snapshot import SectionStatus, TenantSnapshot
from checks.identity import (
    GROUP_TYPE,
    PARTNER_REFERENCE_TYPE,
    SERVICE_PRINCIPAL_TYPE,
    USER_TYPE,
    PrincipalKind,
    classify_principal,
    external_reasons,
    is_user_member,
)

__all__ = [  # the classifier's names, re-exported for the checks that import them from here
    "GROUP_TYPE", "PARTNER_REFERENCE_TYPE", "SERVICE_PRINCIPAL_TYPE", "USER_TYPE", "PrincipalKind",
]

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
HYBRID_IDENTITY_ADMINISTRATOR = "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"

# Role template ids from Microsoft's "Microsoft Entra built-in roles" page (permissions reference). They are
# the same in every tenant; CA policies' includeRoles and roleDefinitionId of built-in roles use them.
PRIVILEGED_ROLES: dict[str, str] = {
    GLOBAL_ADMINISTRATOR: "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
    "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
    HYBRID_IDENTITY_ADMINISTRATOR: "Hybrid Identity Administrator",
}

# The sections privileged_holders reads: a check using it lists them in its `reads`.
HOLDER_SECTIONS = ("role_assignments", "role_eligibility_schedules", "group_members", "users")

# Schedules in these states grant nothing (Graph's roleEligibilitySchedule.status values).
_INACTIVE_SCHEDULE_STATUSES = {"revoked", "canceled", "denied", "failed", "expired", "deleted"}


class AssignmentKind(StrEnum):
    ACTIVE = "active"
    ELIGIBLE = "eligible"


# Holders that stand for people signing in (a group with unread members may hold anyone).
PEOPLE_KINDS = frozenset({PrincipalKind.USER, PrincipalKind.GROUP})


@dataclass(frozen=True)
class RoleHolder:
    """One principal holding one privileged role one way (a person eligible and active counts twice)."""

    role_id: str
    principal_id: str
    kind: PrincipalKind
    display_name: str
    user_principal_name: str
    user_type: str
    assignment: AssignmentKind
    via_group: str = ""  # the role-assignable group's name when the role comes through membership
    scope: str = "/"
    # Details for evidence, not identity: two rows naming the same holder the same way are one holder.
    creation_type: str = field(default="", compare=False)
    assignment_id: str = field(default="", compare=False)
    partner_tenant_id: str = field(default="", compare=False)  # externalPartnerTenantId of a partner reference

    @property
    def role_name(self) -> str:
        return PRIVILEGED_ROLES.get(self.role_id, self.role_id)

    @property
    def is_user(self) -> bool:
        return self.kind is PrincipalKind.USER


@dataclass(frozen=True)
class PrivilegedHolders:
    holders: tuple[RoleHolder, ...]
    eligibility_read: bool
    eligibility_note: str  # why eligibility was not read ("" when it was)
    eligibility_complete: bool  # read, or nothing to read (no PIM licence): no eligible holder is missed
    unexpanded_groups: tuple[str, ...]  # role-holding groups whose members could not be read

    def users(self) -> list[RoleHolder]:
        return [h for h in self.holders if h.is_user]

    def unclassified(self) -> list[RoleHolder]:
        """Holders of unknown kind (null or unexpanded principal, no type): one per principal id."""
        return list({h.principal_id: h for h in self.holders if h.kind is PrincipalKind.UNKNOWN}.values())

    def roles_held(self) -> set[str]:
        """Roles with a holder who signs in as a user: users and groups (a group with unread members may hold
        anyone). Service principals and partner references are left out (user Conditional Access policies
        cannot target them, and PAR-1 reports partner references), and so are holders of unknown kind: see
        `roles_held_by_unclassified`."""
        return {h.role_id for h in self.holders if h.kind in PEOPLE_KINDS}

    def roles_held_by_unclassified(self) -> set[str]:
        """Roles held by a holder of unknown kind: perhaps by a person, perhaps not."""
        return {h.role_id for h in self.holders if h.kind is PrincipalKind.UNKNOWN}

    def holders_of(self, role_id: str) -> list[RoleHolder]:
        return [h for h in self.holders if h.role_id == role_id]

    def unjudged_text(self) -> str:
        """What this list of holders cannot tell about people, for summaries: the holders of unknown type and
        the role-holding groups whose members could not be read (any of them may be the admin a rule is
        about); "" when the list is complete. A check judging privileged people is UNKNOWN while this is
        non-empty, unless a FAIL already decides it."""
        parts = [unclassified_text(self.unclassified())]
        if self.unexpanded_groups:
            parts.append(f"the members of role-holding group(s) {', '.join(self.unexpanded_groups)}")
        return " and ".join(part for part in parts if part)


def unclassified_text(holders: Iterable[RoleHolder]) -> str:
    """'2 role holder(s) of unknown type (principal id a, b)' for summaries; "" when there is none."""
    ids = list(dict.fromkeys(h.principal_id or "(no principal id)" for h in holders))
    if not ids:
        return ""
    return f"{len(ids)} role holder(s) of unknown type (principal id {', '.join(ids)})"


def unclassified_row(holder: RoleHolder) -> dict[str, str]:
    """The evidence columns naming a holder of unknown kind."""
    return {"principal_id": holder.principal_id, "role": holder.role_name, "assignment": holder.assignment.value,
            "note": "principal type unknown (null or unexpanded principal without @odata.type)"}


@dataclass(frozen=True)
class PrivilegedUser:
    """A person (user object) holding at least one privileged role, joined with `users` when possible."""

    id: str
    display_name: str
    user_principal_name: str
    user_type: str
    roles: tuple[str, ...]  # role names
    assignments: tuple[str, ...]  # "active", "eligible", "via group X"
    record: dict[str, Any]  # the `users` object ({} when the users section lacks it)
    creation_type: str = ""

    @property
    def external_reasons(self) -> list[str]:
        """Why this user is an external identity (checks/identity.py), empty when internal."""
        return external_reasons({"userType": self.user_type, "userPrincipalName": self.user_principal_name,
                                 "creationType": self.creation_type})

    @property
    def is_external(self) -> bool:
        return bool(self.external_reasons)


def section_note(snapshot: TenantSnapshot, name: str) -> str:
    """'<name> is <status> (<reason>)' for evidence and summaries."""
    section = snapshot.section(name)
    return f"{name} is {section.status.value} ({section.brief_reason or 'no reason recorded'})"


def no_role_holders_read(snapshot: TenantSnapshot) -> str | None:
    """A reason when the role answer is empty: no active assignment and no readable eligible one. Every
    tenant has at least one Global Administrator, so an empty answer is taken as incomplete (UNKNOWN), the
    way an empty security-defaults answer is never read as "disabled"."""
    if snapshot.data_if_ok("role_assignments", []) or snapshot.data_if_ok("role_eligibility_schedules", []):
        return None
    return ("The role assignments answer is empty (and no eligible assignment was read); every tenant has "
            "at least one Global Administrator, so the answer is taken as incomplete.")


@per_snapshot
def users_by_id(snapshot: TenantSnapshot) -> dict[str, dict[str, Any]]:
    """Users keyed by lower-cased object id (shared by every check of the snapshot: read, never modify)."""
    return {u["id"].lower(): u for u in snapshot.data_if_ok("users", []) or [] if u.get("id")}


def _holders_from(
    rows: Iterable[dict[str, Any]],
    assignment: AssignmentKind,
    roles: dict[str, str],
    users: dict[str, dict[str, Any]],
    groups: dict[str, Any] | None,
    unexpanded: dict[str, str],
) -> list[RoleHolder]:
    found: list[RoleHolder] = []
    for row in rows:
        role_id = (row.get("roleDefinitionId") or "").lower()
        if role_id not in roles:
            continue
        if assignment is AssignmentKind.ELIGIBLE and (row.get("status") or "").lower() in _INACTIVE_SCHEDULE_STATUSES:
            continue
        principal_id = row.get("principalId") or (row.get("principal") or {}).get("id", "")
        principal = row.get("principal") or {}
        kind = classify_principal(principal, principal_id, users, groups or {})
        known = users.get(principal_id.lower(), {})
        base = dict(
            role_id=role_id,
            principal_id=principal_id,
            assignment=assignment,
            scope=row.get("directoryScopeId") or "/",
            assignment_id=row.get("id") or "",
        )
        if kind is PrincipalKind.GROUP and groups is not None and principal_id in groups:
            group_name = principal.get("displayName") or principal_id
            for member in groups[principal_id] or []:
                if not is_user_member(member):
                    continue  # transitiveMembers also lists nested groups; their users are listed too
                member_id = member.get("id", "")
                record = users.get(member_id.lower(), {})
                found.append(RoleHolder(
                    kind=PrincipalKind.USER,
                    display_name=record.get("displayName") or member.get("displayName") or member_id,
                    user_principal_name=record.get("userPrincipalName") or member.get("userPrincipalName") or "",
                    user_type=record.get("userType") or member.get("userType") or "",
                    creation_type=record.get("creationType") or member.get("creationType") or "",
                    via_group=group_name,
                    **{**base, "principal_id": member_id},
                ))
            continue
        if kind is PrincipalKind.GROUP:
            unexpanded[principal_id] = principal.get("displayName") or principal_id
        found.append(RoleHolder(
            kind=kind,
            display_name=known.get("displayName") or principal.get("displayName") or principal_id,
            user_principal_name=known.get("userPrincipalName") or principal.get("userPrincipalName") or "",
            user_type=known.get("userType") or principal.get("userType") or "",
            creation_type=known.get("creationType") or principal.get("creationType") or "",
            partner_tenant_id=principal.get("externalPartnerTenantId") or "",
            **base,
        ))
    return found


def privileged_holders(snapshot: TenantSnapshot, roles: dict[str, str] = PRIVILEGED_ROLES) -> PrivilegedHolders:
    """Every holder of the given roles. Reads `role_assignments` (the caller makes sure it is ok) and the
    optional eligibility and group-member sections when they are ok."""
    if roles is PRIVILEGED_ROLES:  # the common case, computed once per snapshot for all the checks
        return _privileged_holders_default(snapshot)
    return _privileged_holders(snapshot, roles)


@per_snapshot
def _privileged_holders_default(snapshot: TenantSnapshot) -> PrivilegedHolders:
    return _privileged_holders(snapshot, PRIVILEGED_ROLES)


def _privileged_holders(snapshot: TenantSnapshot, roles: dict[str, str]) -> PrivilegedHolders:
    users = users_by_id(snapshot)
    groups = snapshot.data_if_ok("group_members")
    unexpanded: dict[str, str] = {}
    holders = _holders_from(
        snapshot.data_if_ok("role_assignments", []) or [], AssignmentKind.ACTIVE, roles, users, groups, unexpanded
    )
    eligibility = snapshot.section("role_eligibility_schedules")
    if eligibility.ok:
        holders += _holders_from(eligibility.data or [], AssignmentKind.ELIGIBLE, roles, users, groups, unexpanded)
        note = ""
    elif eligibility.status is SectionStatus.NOT_LICENSED:
        # Without Entra ID P2 there is no PIM, so there can be no eligible assignments to miss.
        note = section_note(snapshot, "role_eligibility_schedules") + "; without PIM no eligible assignments exist"
    else:
        note = section_note(snapshot, "role_eligibility_schedules")
    return PrivilegedHolders(
        holders=tuple(dict.fromkeys(holders)),
        eligibility_read=eligibility.ok,
        eligibility_note=note,
        eligibility_complete=eligibility.ok or eligibility.status is SectionStatus.NOT_LICENSED,
        unexpanded_groups=tuple(sorted(unexpanded.values())),
    )


def privileged_roles_held(snapshot: TenantSnapshot) -> set[str]:
    return privileged_holders(snapshot).roles_held()


def privileged_users(snapshot: TenantSnapshot, holders: PrivilegedHolders | None = None) -> list[PrivilegedUser]:
    """The distinct people holding a privileged role, sorted by UPN, with their `users` object."""
    holders = holders or privileged_holders(snapshot)
    users = users_by_id(snapshot)
    by_id: dict[str, list[RoleHolder]] = {}
    for holder in holders.users():
        by_id.setdefault(holder.principal_id.lower(), []).append(holder)
    result = []
    for user_id, held in by_id.items():
        record = users.get(user_id, {})

        def known(attribute: str, held: list[RoleHolder] = held) -> str:
            # Whichever row of this person carries the value (an expanded principal or a group member may
            # lack a field another row has), never "the first row".
            return next((getattr(h, attribute) for h in held if getattr(h, attribute)), "")

        ways = []
        for h in held:
            way = f"via group {h.via_group}" if h.via_group else h.assignment.value
            if way not in ways:
                ways.append(way)
        result.append(PrivilegedUser(
            id=known("principal_id"),
            display_name=record.get("displayName") or known("display_name"),
            user_principal_name=record.get("userPrincipalName") or known("user_principal_name"),
            user_type=record.get("userType") or known("user_type"),
            roles=tuple(dict.fromkeys(h.role_name for h in held)),
            assignments=tuple(ways),
            record=record,
            creation_type=record.get("creationType") or known("creation_type"),
        ))
    result.sort(key=lambda u: (u.user_principal_name.lower() or u.display_name.lower(), u.id))
    return result
