"""Who a directory object is: the one classifier of role holders and the one definition of an external
identity every check uses (CHECKLIST.md, "Rules version 3": one classifier of role holders, one definition
of an external identity).

Two checks that answer "is this holder a partner?" or "is this user a guest?" differently give a tenant two
contradicting verdicts, so the answers live here and nowhere else. A holder this module cannot classify is
`PrincipalKind.UNKNOWN`: a check that depends on the holder's kind says UNKNOWN and names the principal id,
never "not a partner" or "not a guest".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Mapping

USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"
SERVICE_PRINCIPAL_TYPE = "#microsoft.graph.servicePrincipal"
PARTNER_REFERENCE_TYPE = "#microsoft.graph.directoryObjectPartnerReference"


class PrincipalKind(StrEnum):
    USER = "user"
    GROUP = "group"
    SERVICE_PRINCIPAL = "servicePrincipal"
    PARTNER = "partnerReference"
    UNKNOWN = "unknown"


_BY_ODATA_TYPE = {
    USER_TYPE: PrincipalKind.USER,
    GROUP_TYPE: PrincipalKind.GROUP,
    SERVICE_PRINCIPAL_TYPE: PrincipalKind.SERVICE_PRINCIPAL,
    PARTNER_REFERENCE_TYPE: PrincipalKind.PARTNER,
}


def classify_principal(
    principal: Mapping[str, Any] | None,
    principal_id: str,
    users: Mapping[str, Any],
    groups: Mapping[str, Any],
) -> PrincipalKind:
    """The kind of a role assignment's principal.

    ``principal`` is the expanded `principal` of a Graph unifiedRoleAssignment or roleEligibilitySchedule
    (None or {} when Graph returned it null or it was not expanded); ``users`` is the `users` section keyed by
    lower-cased object id, ``groups`` the `group_members` section keyed by group id.

    Order of evidence: the `@odata.type` Graph puts on an expanded directoryObject decides. Without it, a
    field only one kind carries decides: `externalPartnerTenantId` (directoryObjectPartnerReference, legacy
    DAP: Microsoft's resource page), `userPrincipalName`/`userType` or presence in the users list (user),
    `isAssignableToRole`/`groupTypes` or presence in group_members (group), `appId`/`servicePrincipalType`
    (service principal). Nothing of that (a null or unexpanded principal, an unknown type): UNKNOWN.
    """
    principal = principal or {}
    by_type = _BY_ODATA_TYPE.get(str(principal.get("@odata.type") or ""))
    if by_type is not None:
        return by_type
    if "externalPartnerTenantId" in principal:
        return PrincipalKind.PARTNER
    if principal_id.lower() in users or "userPrincipalName" in principal or "userType" in principal:
        return PrincipalKind.USER
    if principal_id in groups or "isAssignableToRole" in principal or "groupTypes" in principal:
        return PrincipalKind.GROUP
    if "appId" in principal or "servicePrincipalType" in principal:
        return PrincipalKind.SERVICE_PRINCIPAL
    return PrincipalKind.UNKNOWN


def is_user_member(member: Mapping[str, Any]) -> bool:
    """A `transitiveMembers` entry that is a user (the list also holds nested groups and devices)."""
    return classify_principal(member, str(member.get("id") or ""), {}, {}) is PrincipalKind.USER


def external_reasons(user: Mapping[str, Any]) -> list[str]:
    """Why a user is an external identity, for evidence; empty for an internal user.

    ``user`` is a Graph user (or the same fields of an expanded principal or group member): `userType`,
    `userPrincipalName`, `creationType`. An external identity is a B2B account whose password and MFA live
    in another tenant: `userType` Guest, or a UPN carrying `#EXT#` (the mark Entra puts on every invited
    account, also when its userType was changed to Member), or `creationType` Invitation (Microsoft's
    "Properties of a Microsoft Entra B2B collaboration user").
    """
    reasons = []
    if str(user.get("userType") or "").lower() == "guest":
        reasons.append("userType Guest")
    if "#ext#" in str(user.get("userPrincipalName") or "").lower():
        reasons.append("UPN contains #EXT#")
    if str(user.get("creationType") or "").lower() == "invitation":
        reasons.append("creationType Invitation")
    return reasons


def is_external(user: Mapping[str, Any]) -> bool:
    """True for an external (B2B) identity: see `external_reasons`."""
    return bool(external_reasons(user))
