"""Where each snapshot section comes from: the API, the path and the query string.

The collectors build their requests from this table and the emulator routes requests back to sections with
it, so the two can never disagree about a path. Nothing here does I/O; importing it is cheap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from auditor.fields import GRAPH_SELECT


class Api(StrEnum):
    GRAPH = "v1.0"
    GRAPH_BETA = "beta"
    ARM = "arm"


# Graph pages hold at most 999 objects where the endpoint allows $top; fewer pages, fewer round trips.
TOP = 999


@dataclass(frozen=True)
class SectionRequest:
    section: str
    api: Api
    path: str  # may hold one "{id}" (a parent object: group, user, relationship, subscription)
    select: tuple[str, ...] = ()
    expand: str = ""
    top: int | None = None
    api_version: str = ""  # ARM only
    partner_only: bool = False
    # A fixed OData $filter (the emulator understands the forms used here). It may hold placeholders such as
    # "{since}"/"{until}", filled in by the collector through ``values`` before the filter is encoded.
    filter: str = ""
    # The $filter is answered by the service itself (ARM's atScope(), the activity log's time window): the
    # emulator serves the stored answer rather than evaluating it.
    server_filter: bool = False
    # ARM lists of one section that holds several resource types (activity_log_alerts: alerts and action
    # groups): the lower-case type this list returns, so the emulator serves each list its own items.
    item_type: str = ""

    def query(self, encode: bool = True, values: Mapping[str, str] | None = None) -> str:
        """The query string; ``encode`` percent-encodes the $filter's spaces and operators for the wire
        (a request line in a snapshot keeps it readable); ``values`` fill the $filter's "{name}" placeholders
        (left as they are when not given, as a request line shows them)."""
        parts: list[str] = []
        if self.select:
            parts.append("$select=" + ",".join(self.select))
        if self.expand:
            parts.append("$expand=" + self.expand)
        if self.filter:
            text = self.filter
            for name, value in (values or {}).items():
                text = text.replace("{" + name + "}", value)
            parts.append("$filter=" + (quote(text, safe="'(),/:") if encode else text))
        if self.top:
            parts.append(f"$top={self.top}")
        if self.api_version:
            parts.append(f"api-version={self.api_version}")
        return "&".join(parts)

    def relative_url(self, parent_id: str = "", encode: bool = True, values: Mapping[str, str] | None = None) -> str:
        """The path and query below the API root ("/users?$select=..."), as a $batch item names it;
        ``values`` fill the $filter's placeholders (see query)."""
        path = self.path.replace("{id}", quote(parent_id, safe="")) if "{id}" in self.path else self.path
        query = self.query(encode, values)
        return f"{path}?{query}" if query else path

    def request_line(self, parent_id: str = "") -> str:
        """What a snapshot section records as its request: "GET /v1.0/users?$select=...". For per-parent
        sections the parent is written as {id}, so one line describes the whole map."""
        url = self.relative_url(parent_id or "{id}", encode=False).replace(quote("{id}", safe=""), "{id}")
        prefix = "" if self.api is Api.ARM else f"/{self.api.value}"
        return f"GET {prefix}{url}"

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile(self.path)


def _select(section: str, drop: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(field for field in GRAPH_SELECT[section] if field not in drop)


def _graph(section: str, path: str, **kwargs: object) -> SectionRequest:
    return SectionRequest(section=section, api=Api.GRAPH, path=path, **kwargs)  # type: ignore[arg-type]


# `principal` is a navigation property: it is asked for with $expand, not $select.
GRAPH_REQUESTS: dict[str, SectionRequest] = {
    r.section: r
    for r in (
        _graph("organization", "/organization", select=_select("organization")),
        _graph(
            "security_defaults",
            "/policies/identitySecurityDefaultsEnforcementPolicy",
            select=_select("security_defaults"),
        ),
        _graph(
            "conditional_access_policies",
            "/identity/conditionalAccess/policies",
            select=_select("conditional_access_policies"),
        ),
        _graph(
            "authentication_strength_policies",
            "/policies/authenticationStrengthPolicies",
            select=_select("authentication_strength_policies"),
        ),
        _graph(
            "role_assignments",
            "/roleManagement/directory/roleAssignments",
            select=_select("role_assignments", ("principal",)),
            expand="principal",
        ),
        _graph(
            "role_eligibility_schedules",
            "/roleManagement/directory/roleEligibilitySchedules",
            select=_select("role_eligibility_schedules", ("principal",)),
            expand="principal",
        ),
        _graph(
            "group_members", "/groups/{id}/transitiveMembers", select=_select("group_members"), top=TOP
        ),
        _graph("users", "/users", select=_select("users"), top=TOP),
        _graph(
            "user_registration_details",
            "/reports/authenticationMethods/userRegistrationDetails",
            select=_select("user_registration_details"),
            top=TOP,
        ),
        _graph("authentication_methods", "/users/{id}/authentication/methods"),
        _graph("secure_scores", "/security/secureScores", select=_select("secure_scores"), top=1),
        _graph("contracts", "/contracts", select=_select("contracts"), partner_only=True),
        _graph(
            "delegated_admin_relationships",
            "/tenantRelationships/delegatedAdminRelationships",
            select=_select("delegated_admin_relationships"),
            partner_only=True,
        ),
        _graph(
            "delegated_admin_access_assignments",
            "/tenantRelationships/delegatedAdminRelationships/{id}/accessAssignments",
            select=_select("delegated_admin_access_assignments"),
            partner_only=True,
        ),
        SectionRequest(
            section="partner_security_alerts",
            api=Api.GRAPH_BETA,
            path="/security/partner/securityAlerts",
            partner_only=True,
        ),
        # Wave 2 (issue 12) ------------------------------------------------------------------------------
        # Per privileged user: never in the users list, which Graph would refuse whole without Entra ID P1.
        _graph("sign_in_activity", "/users/{id}", select=_select("sign_in_activity")),
        _graph(
            "role_assignment_schedule_instances",
            "/roleManagement/directory/roleAssignmentScheduleInstances",
            select=_select("role_assignment_schedule_instances"),
        ),
        # Beta only (crossTenantAccessType, signInEventTypes). Interactive and non-interactive sign-ins:
        # without the signInEventTypes filter the list holds interactive ones only. Pages of up to 1,000
        # (Graph's maximum for signIns); no date filter: Microsoft keeps 30 days of sign-ins (P1/P2), the
        # window PAR-6 judges, so the request line is the same on every run.
        SectionRequest(
            section="service_provider_sign_ins",
            api=Api.GRAPH_BETA,
            path="/auditLogs/signIns",
            select=_select("service_provider_sign_ins"),
            filter="crossTenantAccessType eq 'serviceProvider' and "
                   "signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')",
            top=TOP,
        ),
        _graph(
            "risky_users",
            "/identityProtection/riskyUsers",
            select=_select("risky_users"),
            filter="riskLevel eq 'high'",
        ),
        SectionRequest(
            section="partner_security_requirements",
            api=Api.GRAPH_BETA,
            path="/security/partner/securityScore/requirements",
            partner_only=True,
        ),
        # Azure governance: the partner's own agent groups (AZR-1 judges customers' foreign principals
        # against them), and the users in customer groups that hold subscription roles (AZR-2).
        _graph(
            "partner_agent_groups",
            "/groups",
            select=_select("partner_agent_groups"),
            filter="displayName in ('AdminAgents','HelpdeskAgents')",
            partner_only=True,
        ),
        _graph(
            "azure_group_members",
            "/groups/{id}/transitiveMembers/microsoft.graph.user",
            select=_select("azure_group_members"),
            top=TOP,
        ),
    )
}

# Sections fetched once per parent object; the snapshot keeps them as {parent id: [objects]} ("map") or
# {parent id: object} ("object_map").
PER_PARENT_SECTIONS = ("group_members", "authentication_methods", "delegated_admin_access_assignments",
                       "sign_in_activity")
AZURE_PER_PARENT_SECTIONS = ("azure_group_members",)  # read once ARM has named the groups (collector)


def _arm(section: str, path: str, api_version: str, **kwargs: object) -> SectionRequest:
    return SectionRequest(section=section, api=Api.ARM, path=path, api_version=api_version, **kwargs)  # type: ignore[arg-type]


ARM_SUBSCRIPTIONS = _arm("subscriptions", "/subscriptions", "2022-12-01")

_PROVIDERS = "/subscriptions/{id}/providers"
ARM_SUBSCRIPTION_REQUESTS: dict[str, SectionRequest] = {
    r.section: r
    for r in (
        # 2023-12-01-preview carries notificationsSources/notificationsByRole, which CON-2 reads.
        _arm("security_contacts", f"{_PROVIDERS}/Microsoft.Security/securityContacts", "2023-12-01-preview"),
        _arm("pricings", f"{_PROVIDERS}/Microsoft.Security/pricings", "2024-01-01"),
        _arm("budgets", f"{_PROVIDERS}/Microsoft.Consumption/budgets", "2024-08-01"),
        _arm("scheduled_actions", f"{_PROVIDERS}/Microsoft.CostManagement/scheduledActions", "2024-08-01"),
        # Azure governance and CST-4. The first, second and fourth are the fallbacks of one Azure Resource
        # Graph query each (auditor/collect/resource_graph.py), used where Resource Graph is refused.
        # atScope(): the assignments at the subscription and above it (management groups, root), not below.
        _arm("azure_role_assignments", f"{_PROVIDERS}/Microsoft.Authorization/roleAssignments", "2022-04-01",
             filter="atScope()", server_filter=True),
        _arm("activity_log_alerts", f"{_PROVIDERS}/Microsoft.Insights/activityLogAlerts", "2020-10-01",
             item_type="microsoft.insights/activitylogalerts"),
        _arm("diagnostic_settings", f"{_PROVIDERS}/Microsoft.Insights/diagnosticSettings", "2021-05-01-preview"),
        # The activity log of the 7 days before collection; the collector keeps the creations (201 Created).
        _arm("resource_creations", f"{_PROVIDERS}/Microsoft.Insights/eventtypes/management/values", "2015-04-01",
             filter="eventTimestamp ge '{since}' and eventTimestamp le '{until}'", server_filter=True),
    )
}
# The per-subscription sections one Resource Graph query can answer for every subscription at once.
RESOURCE_GRAPH_SECTIONS = ("azure_role_assignments", "activity_log_alerts", "resource_creations")
# activity_log_alerts also holds the subscription's action groups: the fallback reads this list too.
ARM_ACTION_GROUPS = _arm("activity_log_alerts", f"{_PROVIDERS}/Microsoft.Insights/actionGroups", "2023-01-01",
                         item_type="microsoft.insights/actiongroups")

ALL_REQUESTS: tuple[SectionRequest, ...] = (
    *GRAPH_REQUESTS.values(),
    ARM_SUBSCRIPTIONS,
    *ARM_SUBSCRIPTION_REQUESTS.values(),
    ARM_ACTION_GROUPS,
)

PARTNER_ONLY_SECTIONS = tuple(r.section for r in GRAPH_REQUESTS.values() if r.partner_only)


def _compile(path: str) -> re.Pattern[str]:
    escaped = re.escape(path).replace(re.escape("{id}"), "(?P<id>[^/]+)")
    return re.compile(f"^{escaped}$", re.IGNORECASE)


def match_request(api: Api, path: str) -> tuple[SectionRequest, str] | None:
    """The section a request path (below the API root, without query) belongs to, and its parent id."""
    for request in ALL_REQUESTS:
        if (request.api is Api.ARM) != (api is Api.ARM):
            continue
        if request.api is Api.GRAPH_BETA and api is not Api.GRAPH_BETA:
            continue
        found = request.pattern.match(path)
        if found:
            return request, found.groupdict().get("id") or ""
    return None
