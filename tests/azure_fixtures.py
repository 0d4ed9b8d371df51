"""ARM shapes for the Azure governance checks, modelled on /work/shared/graph-examples (see its README):
role assignments (2022-04-01 RoleAssignments_ListForScope), activity-log alerts (2020-10-01, including the
capitalised "Field"/"Equals" spelling of ActivityLogAlertRule_CreateOrUpdate.json), action groups (2023-01-01),
subscription diagnostic settings (2021-05-01-preview), Resource Graph resourcechanges rows and activity-log
events (2015-04-01). No Microsoft example shows principalType ForeignGroup or an alert conditioned on
operationName Microsoft.Authorization/roleAssignments/write: those two are built from the specification's
PrincipalType enum (User, Group, ServicePrincipal, ForeignGroup) and the alert condition's documented fields
(`field`, `equals`, `containsAny`, `anyOf`)."""

from __future__ import annotations

from typing import Any

SUB_A = "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2"
SUB_B = "187f412d-1758-44d9-b052-169e2564721d"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
OTHER_ROLE = "0b5fe924-9a61-425c-96af-cfe6e287ca2d"  # the example's role: none of the well-known ones


def role_assignment(principal_id: str, principal_type: str = "User", role: str = OWNER, sub: str = SUB_A,
                    scope: str | None = None, name: str = "b0f43c54-e787-4862-89b1-a653fa9cf747") -> dict[str, Any]:
    scope = scope if scope is not None else f"/subscriptions/{sub}"
    return {
        "properties": {
            "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": principal_id,
            "principalType": principal_type,
            "scope": scope,
        },
        "id": f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "type": "Microsoft.Authorization/roleAssignments",
        "name": name,
    }


def action_group(sub: str = SUB_A, name: str = "SampleActionGroup", enabled: bool = True,
                 email_status: str = "Enabled") -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/Default-NotificationRules/providers/microsoft.insights/actionGroups/{name}",
        "type": "Microsoft.Insights/ActionGroups",
        "name": name,
        "location": "Global",
        "tags": {},
        "properties": {
            "groupShortName": "sample",
            "enabled": enabled,
            "emailReceivers": [{"name": "John Doe's email", "emailAddress": "johndoe@email.com",
                                "status": email_status, "useCommonAlertSchema": True}],
            "smsReceivers": [],
            "webhookReceivers": [],
        },
    }


def activity_log_alert(conditions: list[dict], sub: str = SUB_A, name: str = "SampleActivityLogAlertRule1",
                       scopes: list[str] | None = None, enabled: bool = True, group: str | None = "default",
                       capitalised: bool = False) -> dict[str, Any]:
    """An activity-log alert rule; ``capitalised`` spells the condition keys "Field"/"Equals" as one of
    Microsoft's examples does."""
    if capitalised:
        conditions = [{k.capitalize(): v for k, v in c.items()} for c in conditions]
    group_id = action_group(sub)["id"] if group == "default" else group
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/MyResourceGroup1/providers/microsoft.insights/activityLogAlerts/{name}",
        "type": "Microsoft.Insights/ActivityLogAlerts",
        "name": name,
        "location": "Global",
        "tags": {},
        "properties": {
            "scopes": scopes if scopes is not None else [f"subscriptions/{sub}"],
            "condition": {"allOf": conditions},
            "actions": {"actionGroups": [{"actionGroupId": group_id, "webhookProperties": {}}] if group_id else []},
            "enabled": enabled,
            "description": "Description of sample Activity Log Alert rule.",
        },
    }


ROLE_WRITE = [{"field": "category", "equals": "Administrative"},
              {"field": "operationName", "equals": "Microsoft.Authorization/roleAssignments/write"}]
SERVICE_HEALTH = [{"field": "category", "equals": "ServiceHealth", "odata.type": None},
                  {"anyOf": [{"field": "properties.incidentType", "equals": "Incident", "odata.type": None},
                             {"field": "properties.incidentType", "equals": "Maintenance", "odata.type": None}],
                   "odata.type": None}]


def diagnostic_setting(logs: list[dict] | None = None, sub: str = SUB_A, destinations: bool = True) -> dict[str, Any]:
    props: dict[str, Any] = {"logs": logs if logs is not None else [{"categoryGroup": "allLogs", "enabled": True}]}
    if destinations:
        props["workspaceId"] = (f"/subscriptions/{sub}/resourceGroups/apptest/providers/"
                                "Microsoft.OperationalInsights/workspaces/test1")
    else:
        props["marketplacePartnerId"] = "/subscriptions/abc/resourceGroups/test-rg/providers/Microsoft.Datadog/monitors/dd1"
    return {"id": f"subscriptions/{sub}/providers/AzureResourceManager/diagnosticSettings/ds4", "type": None,
            "name": "ds4", "properties": props}


def resource_change(resource_type: str, name: str, when: str, sub: str = SUB_A, location: str = "westus",
                    sku: str = "", change_type: str = "Create", by: str = "admin@contoso.com") -> dict[str, Any]:
    """A row of our Resource Graph resourcechanges query (auditor/collect/resource_graph.py)."""
    target = f"/subscriptions/{sub}/resourceGroups/rg1/providers/{resource_type}/{name}"
    return {
        "id": f"{target}/providers/Microsoft.Resources/changes/08584202080000000000_1",
        "subscriptionId": sub,
        "properties": {"targetResourceId": target, "targetResourceType": resource_type, "changeType": change_type,
                       "changeAttributes": {"timestamp": when, "changedBy": by, "changedByType": "User",
                                            "clientType": "Azure Portal", "operation": f"{resource_type}/write"}},
        "location": location,
        "skuName": sku,
    }


def activity_event(resource_type: str, name: str, when: str, sub: str = SUB_A, created: bool = True) -> dict[str, Any]:
    """An activity-log event shaped as arm_activity_log_2015-04-01.json (claims dropped)."""
    resource_id = f"/subscriptions/{sub}/resourceGroups/rg1/providers/{resource_type}/{name}"
    return {
        "caller": "admin@contoso.com",
        "eventTimestamp": when,
        "operationName": {"value": f"{resource_type}/write", "localizedValue": f"{resource_type}/write"},
        "resourceId": resource_id,
        "resourceType": {"value": resource_type, "localizedValue": resource_type},
        "properties": {"statusCode": "Created" if created else "OK"},
        "status": {"value": "Succeeded", "localizedValue": "Succeeded"},
        "subStatus": {"value": "Created" if created else "OK",
                      "localizedValue": "Created (HTTP Status Code: 201)" if created else "OK"},
        "subscriptionId": sub,
    }
