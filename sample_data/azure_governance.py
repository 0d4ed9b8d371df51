"""The Azure governance part of a sample tenant: per subscription, the role assignments at or above it, its
activity-log alerts and action groups, its diagnostic settings and the creations of the week before
collection (CST-4); per tenant, the members of groups holding subscription roles. Shapes follow
/work/shared/graph-examples (ARM 2022-04-01 role assignments, 2020-10-01 alerts, 2023-01-01 action groups,
2021-05-01-preview diagnostic settings) and the rows of the collector's Resource Graph queries.

Everything random comes from an RNG seeded by the tenant and subscription, separate from the builder's own,
so adding these sections leaves every other value of the sample as it was.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from auditor.collect.resource_graph import query_request_line
from auditor.snapshot import Section, SectionStatus
from sample_data import catalog as c

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ROLE_WRITE = "Microsoft.Authorization/roleAssignments/write"

Json = dict[str, Any]


@dataclass(frozen=True)
class GovernanceContext:
    """What the subscriptions of one tenant share: the Owner user, and the customer group holding Owner."""

    owner_id: str
    group_id: str
    group_name: str


def _guid(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ok(data: Any, request: str) -> Section:
    return Section.model_construct(status=SectionStatus.OK, reason="", request=request, data=data)


def _assignment(rng: random.Random, sid: str, principal: str, kind: str, role: str) -> Json:
    name = _guid(rng)
    return {
        "properties": {"roleDefinitionId": f"/subscriptions/{sid}/providers/Microsoft.Authorization/roleDefinitions/{role}",
                       "principalId": principal, "principalType": kind, "scope": f"/subscriptions/{sid}"},
        "id": f"/subscriptions/{sid}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "type": "Microsoft.Authorization/roleAssignments",
        "name": name,
    }


def _action_group(sid: str, domain: str, receiver: str) -> Json:
    return {
        "id": f"/subscriptions/{sid}/resourceGroups/rg-monitoring/providers/microsoft.insights/actionGroups/ag-it-operations",
        "type": "Microsoft.Insights/ActionGroups",
        "name": "ag-it-operations",
        "location": "Global",
        "tags": {},
        "properties": {
            "groupShortName": "itops",
            "enabled": True,
            "emailReceivers": [{"name": "IT operations", "emailAddress": f"it-operations@{domain}",
                                "status": "Enabled" if receiver == "good" else "Disabled",
                                "useCommonAlertSchema": True}],
            "smsReceivers": [], "webhookReceivers": [], "itsmReceivers": [], "azureAppPushReceivers": [],
            "automationRunbookReceivers": [], "voiceReceivers": [], "logicAppReceivers": [],
            "azureFunctionReceivers": [], "armRoleReceivers": [], "eventHubReceivers": [],
        },
    }


def _alert(sid: str, name: str, conditions: list[Json], group_id: str, description: str) -> Json:
    return {
        "id": f"/subscriptions/{sid}/resourceGroups/rg-monitoring/providers/microsoft.insights/activityLogAlerts/{name}",
        "type": "Microsoft.Insights/ActivityLogAlerts",
        "name": name,
        "location": "Global",
        "tags": {},
        "properties": {
            "scopes": [f"subscriptions/{sid}"],
            "condition": {"allOf": conditions},
            "actions": {"actionGroups": [{"actionGroupId": group_id, "webhookProperties": {}}]},
            "enabled": True,
            "description": description,
        },
    }


def _creation(sid: str, kind: str, name: str, when: datetime, by: str, location: str, sku: str) -> Json:
    target = f"/subscriptions/{sid}/resourceGroups/rg-{name.split('-')[0]}/providers/{kind}/{name}"
    return {
        "id": f"{target}/providers/Microsoft.Resources/changes/08584{int(when.timestamp()):d}_{len(name)}",
        "subscriptionId": sid,
        "properties": {"targetResourceId": target, "targetResourceType": kind, "changeType": "Create",
                       "changeAttributes": {"timestamp": iso(when), "changedBy": by, "changedByType": "User",
                                            "clientType": "Azure Portal", "operation": f"{kind}/write",
                                            "previousResourceSnapshotId": None, "newResourceSnapshotId": None}},
        "location": location,
        "skuName": sku,
    }


# (type, name, sku) of what a subscription's creations posture makes in the week before collection.
_CREATIONS = {
    "gpu": (("Microsoft.Compute/virtualMachines", "vmgpu-eastus-07", "Standard_NC24ads_A100_v4"),
            ("Microsoft.Compute/virtualMachineScaleSets", "vmss-render-01", "Standard_NV36ads_A10_v5"),
            ("Microsoft.Network/publicIPAddresses", "pip-vmgpu-07", "Standard")),
    "some": (("Microsoft.Storage/storageAccounts", "stbookingexports", "Standard_LRS"),
             ("Microsoft.Web/sites", "app-booking-api", "")),
}


def subscription_sections(p: Any, s: Any, sid: str, ctx: GovernanceContext, collected_at: datetime) -> dict[str, Section]:
    """The four Azure governance sections of one readable subscription (``p``: the tenant's Posture,
    ``s``: the subscription's SubscriptionPosture)."""
    rng = random.Random(f"{p.slug}:{sid}:azure-governance")
    assignments = [_assignment(rng, sid, ctx.owner_id, "User", OWNER)]
    if s.owner_group:
        assignments.append(_assignment(rng, sid, ctx.group_id, "Group", OWNER))
    for principal, role in s.foreign_principals:
        assignments.append(_assignment(rng, sid, principal, "ForeignGroup", role))

    group = _action_group(sid, p.domain, s.alert_receiver)
    alerts: list[Json] = []
    if s.role_alert:
        alerts.append(_alert(sid, "alert-role-assignment-changes", [
            {"field": "category", "equals": "Administrative"},
            {"field": "operationName", "equals": ROLE_WRITE}], group["id"],
            "Someone granted or changed a role on the subscription."))
    if s.health_alert:
        alerts.append(_alert(sid, "alert-service-health", [
            {"field": "category", "equals": "ServiceHealth", "odata.type": None},
            {"anyOf": [{"field": "properties.incidentType", "equals": kind, "odata.type": None}
                       for kind in ("Incident", "Maintenance", "Security")], "odata.type": None}], group["id"],
            "Azure service issues, maintenance and security advisories."))
    alerts_and_groups = alerts + ([group] if alerts else [])

    settings: list[Json] = []
    if s.activity_export != "missing":
        logs = ([{"categoryGroup": "allLogs", "enabled": True}] if s.activity_export == "good" else
                [{"category": "Administrative", "enabled": True}, {"category": "Security", "enabled": False}])
        settings.append({
            "id": f"subscriptions/{sid}/providers/AzureResourceManager/diagnosticSettings/activity-log-to-workspace",
            "type": None,
            "name": "activity-log-to-workspace",
            "properties": {
                "workspaceId": f"/subscriptions/{sid}/resourceGroups/rg-monitoring/providers/"
                               "Microsoft.OperationalInsights/workspaces/law-activity",
                "logs": logs,
            },
        })

    creations = []
    for index, (kind, name, sku) in enumerate(_CREATIONS.get(s.creations, ())):
        when = collected_at - timedelta(days=1 + index, hours=rng.randint(1, 20), minutes=rng.randint(0, 59))
        by = f"{rng.choice(('svc-deploy', 'j.smith', 'it-operations'))}@{p.domain}"
        creations.append(_creation(sid, kind, name, when, by, rng.choice(("eastus", "westeurope", "southcentralus")), sku))

    return {
        "azure_role_assignments": _ok(assignments, query_request_line("azure_role_assignments")),
        "activity_log_alerts": _ok(alerts_and_groups, query_request_line("activity_log_alerts")),
        "diagnostic_settings": _ok(settings, c.SUBSCRIPTION_REQUESTS["diagnostic_settings"].format(subscriptionId=sid)),
        "resource_creations": _ok(creations, query_request_line("resource_creations")),
    }


def owner_group_members(users: list[Json]) -> list[Json]:
    """`transitiveMembers/microsoft.graph.user` entries (the fields auditor/fields.py keeps)."""
    return [{"id": u["id"], "displayName": u["displayName"], "userPrincipalName": u["userPrincipalName"],
             "userType": u["userType"], "creationType": u.get("creationType"), "accountEnabled": u["accountEnabled"]}
            for u in users]
