"""Why a check could not run (UNKNOWN), and what would let it run next time, in words for the admin who
grants the access: parsed from the engine's own wording or searched in a check's summary."""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.report.wording import customer_text
from auditor.results import CheckResult

# What lets a check whose data was unavailable run next time, when the recorded reason does not say.
SECTION_NEEDS: dict[str, str] = {
    "organization": "Microsoft Graph permission Organization.Read.All",
    "security_defaults": "Microsoft Graph permission Policy.Read.All",
    "conditional_access_policies": "Microsoft Graph permission Policy.Read.All",
    "authentication_strength_policies": "Microsoft Graph permission Policy.Read.AuthenticationMethod",
    "role_assignments": "Microsoft Graph permission RoleManagement.Read.Directory",
    "role_eligibility_schedules": "Microsoft Graph permission RoleEligibilitySchedule.Read.Directory "
                                  "(Microsoft Entra ID P2)",
    "group_members": "Microsoft Graph permission GroupMember.Read.All",
    "users": "Microsoft Graph permission User.Read.All",
    "user_registration_details": "Microsoft Graph permission AuditLog.Read.All (Microsoft Entra ID P1)",
    "authentication_methods": "Microsoft Graph permission UserAuthenticationMethod.Read.All",
    "secure_scores": "Microsoft Graph permission SecurityEvents.Read.All",
    "contracts": "Microsoft Graph permission Directory.Read.All",
    "delegated_admin_relationships": "Microsoft Graph permission DelegatedAdminRelationship.Read.All",
    "delegated_admin_access_assignments": "Microsoft Graph permission DelegatedAdminRelationship.Read.All",
    "partner_security_alerts": "Microsoft Graph (beta) permission PartnerSecurity.Read.All",
    "subscriptions": "Azure Reader role on the tenant's subscriptions",
    "security_contacts": "Azure Security Reader role on each subscription",
    "pricings": "Azure Security Reader role on each subscription",
    "budgets": "Azure Cost Management Reader role on each subscription",
    "scheduled_actions": "Azure Cost Management Reader role on each subscription",
}
SECTION_STATUS_LABELS = {
    "forbidden": "Permission missing",
    "not_licensed": "Licence missing",
    "not_found": "Not found",
    "error": "Collection error",
    "not_collected": "Not collected",
}
_UNKNOWN_SUMMARY = re.compile(r"^Not evaluated: section (?P<section>\S+) is (?P<status>[a-z_]+) \((?P<reason>.*)\)\.?$", re.S)
_SECTION_STATUS = re.compile(r"(?:section )?(?P<section>[a-z_]+) is (?P<status>forbidden|not_licensed|not_found|error|not_collected)\b")
_TECHNICAL = re.compile(r"\s*\((?P<error>(?:Graph|ARM)\s+\d{3}\b.*)\)", re.S)
_AZURE_ROLE = re.compile(r"lacks the (?P<name>[\w ]+?) role\b")
_PERMISSION = re.compile(r"lacks the (?P<name>[\w.]+) permission")
_LICENCE = re.compile(r"has no (?P<name>.+?) licen[cs]e")


@dataclass
class UnknownItem:
    result: CheckResult
    section: str
    problem: str
    detail: str
    remedy: str
    technical: str = ""  # the API's own error, for the admin who fixes it


def unknown_item(result: CheckResult) -> UnknownItem:
    """What was missing for an UNKNOWN result and what would let the check run. The engine's own wording
    ("Not evaluated: section X is forbidden (reason)") is parsed exactly; a check's own UNKNOWN summary is
    searched for the same clues (a section status, a permission, an Azure role, a licence)."""
    summary = " ".join(result.summary.split())
    match = _UNKNOWN_SUMMARY.match(summary)
    if match:
        section, status, reason = match["section"], match["status"], match["reason"].strip()
    else:
        found = _SECTION_STATUS.search(summary)
        section, status = (found["section"], found["status"]) if found else ("", "")
        if not status and re.search(r"licen[cs]e", summary):
            status = "not_licensed"
        reason = summary
    technical = ""
    if (api_error := _TECHNICAL.search(reason)) is not None:
        technical = api_error["error"].strip()
        reason = (reason[: api_error.start()] + reason[api_error.end():]).strip()
    remedy = SECTION_NEEDS.get(section, "")
    if (permission := _PERMISSION.search(summary)) is not None:
        remedy = f"Grant the audit app the permission {permission['name']} (admin consent)"
    elif (role := _AZURE_ROLE.search(summary)) is not None:
        remedy = f"Assign the audit app the Azure {role['name']} role on each subscription"
    elif (licence := _LICENCE.search(summary)) is not None:
        remedy = f"A {licence['name']} licence in the tenant"
    elif status == "not_collected":
        remedy = "Collect this data in the next run"
    elif status == "error":
        remedy = "Re-run the audit; if the error repeats, check the service's health and the app's access"
    if not remedy:
        remedy = _need_from_permissions(section, status)
    return UnknownItem(
        result=result,
        section=section.replace("_", " "),
        problem=SECTION_STATUS_LABELS.get(status, status.replace("_", " ") or "Data unavailable"),
        detail=customer_text(reason[:1].upper() + reason[1:]) if reason else "",
        remedy=remedy or "See the check's summary in the findings",
        technical=technical[:240] + ("…" if len(technical) > 240 else ""),
    )


def _need_from_permissions(section: str, status: str) -> str:
    """For a section this module does not name (a plugin's, a newer area's): the permission, Azure role or
    licence the collector's own table gives."""
    if not section:
        return ""
    from auditor.collect.permissions import AZURE_ROLES, GRAPH_PERMISSIONS, LICENCES

    if status == "not_licensed" and section in LICENCES:
        return f"A {LICENCES[section]} licence in the tenant"
    if section in GRAPH_PERMISSIONS:
        return f"Microsoft Graph permission {GRAPH_PERMISSIONS[section]}"
    if section in AZURE_ROLES:
        return f"Azure {AZURE_ROLES[section]} role on each subscription"
    return ""
