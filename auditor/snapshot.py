"""The snapshot: what Microsoft's APIs answered for one tenant, and how each answer was obtained.

A snapshot is the evidence of an audit. Section data stays in Graph's and ARM's own JSON shape
(camelCase field names, exactly as the APIs return them), so an auditor can archive it, re-evaluate it
with a newer rule set, or serve it back through the emulator. Only the envelope (tenant, section status,
reason, request) is ours.

Every known section must be present in a file; a section that was not fetched says so with the status
``not_collected``. That keeps "we did not look" distinguishable from "there was nothing".
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditor import jsonfast
from auditor.fsutil import atomic_write_bytes

SCHEMA_VERSION = "1"
SUPPORTED_SCHEMA_VERSIONS = ("1",)


class SectionStatus(StrEnum):
    OK = "ok"
    FORBIDDEN = "forbidden"
    NOT_LICENSED = "not_licensed"
    NOT_FOUND = "not_found"
    ERROR = "error"
    NOT_COLLECTED = "not_collected"


_API_DETAIL = re.compile(r"\s*\((?:Graph|ARM) \d{3}\b.*\)\s*$", re.DOTALL)


class TenantKind(StrEnum):
    CUSTOMER = "customer"
    PARTNER = "partner"


class Section(BaseModel):
    """One API answer. ``data`` is a list of Graph/ARM objects for collections, one object for entities,
    or an object keyed by parent id for per-object lists (group members, authentication methods)."""

    model_config = ConfigDict(extra="forbid")

    status: SectionStatus
    reason: str = ""
    request: str = ""
    data: list[dict[str, Any]] | dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status is SectionStatus.OK

    @property
    def brief_reason(self) -> str:
        """The reason without the API's own error text that collectors append in parentheses ("(Graph 403
        Authorization_RequestDenied: ...)"): for one-line summaries; the snapshot keeps the full reason."""
        return _API_DETAIL.sub("", self.reason)

    @classmethod
    def of(cls, data: Any, request: str = "") -> "Section":
        return cls(status=SectionStatus.OK, data=data, request=request)

    @classmethod
    def missing(cls, status: SectionStatus, reason: str, request: str = "") -> "Section":
        return cls(status=status, reason=reason, request=request)


# Tenant-level sections. The value documents where each one comes from; collectors and the emulator use
# the same names. Data shape: "list" of objects, "object", "map" (parent id -> list of objects), or
# "object_map" (parent id -> the one object a per-parent entity GET returns).
TENANT_SECTIONS: dict[str, str] = {
    "organization": "list",                      # GET /organization
    "security_defaults": "object",               # GET /policies/identitySecurityDefaultsEnforcementPolicy
    "conditional_access_policies": "list",       # GET /identity/conditionalAccess/policies
    "authentication_strength_policies": "list",  # GET /policies/authenticationStrengthPolicies
    "role_assignments": "list",                  # GET /roleManagement/directory/roleAssignments?$expand=principal
    "role_eligibility_schedules": "list",        # GET /roleManagement/directory/roleEligibilitySchedules?$expand=principal
    "group_members": "map",                      # GET /groups/{id}/transitiveMembers (role-assignable groups holding roles)
    "users": "list",                             # GET /users?$select=...
    "user_registration_details": "list",         # GET /reports/authenticationMethods/userRegistrationDetails
    "authentication_methods": "map",             # GET /users/{id}/authentication/methods (privileged users)
    "secure_scores": "list",                     # GET /security/secureScores?$top=1
    "contracts": "list",                         # GET /contracts (partner)
    "delegated_admin_relationships": "list",     # GET /tenantRelationships/delegatedAdminRelationships (partner)
    "delegated_admin_access_assignments": "map", # GET .../delegatedAdminRelationships/{id}/accessAssignments
    "partner_security_alerts": "list",           # GET beta /security/partner/securityAlerts (partner)
    "subscriptions": "list",                     # Resource Graph resourcecontainers (ARM's list shape), or ARM GET /subscriptions
    # Wave 2 (issue 12): ADM-5, ADM-7, PAR-6, CON-4, CON-5.
    "sign_in_activity": "object_map",            # GET /users/{id}?$select=id,createdDateTime,signInActivity (privileged users)
    "role_assignment_schedule_instances": "list",  # GET /roleManagement/directory/roleAssignmentScheduleInstances
    "service_provider_sign_ins": "list",         # GET beta /auditLogs/signIns?$filter=crossTenantAccessType eq 'serviceProvider' ...
    "risky_users": "list",                       # GET /identityProtection/riskyUsers?$filter=riskLevel eq 'high'
    "partner_security_requirements": "list",     # GET beta /security/partner/securityScore/requirements (partner)
    # Azure governance (AZR-1 to AZR-5):
    "partner_agent_groups": "list",              # GET /groups?$filter=displayName in ('AdminAgents','HelpdeskAgents') (partner)
    "azure_group_members": "map",                # GET /groups/{id}/transitiveMembers/microsoft.graph.user (groups holding subscription roles)
}

# Sections read once per Azure subscription (ARM).
SUBSCRIPTION_SECTIONS: dict[str, str] = {
    "security_contacts": "list",  # GET /subscriptions/{id}/providers/Microsoft.Security/securityContacts
    "pricings": "list",           # GET /subscriptions/{id}/providers/Microsoft.Security/pricings
    "budgets": "list",            # GET /subscriptions/{id}/providers/Microsoft.Consumption/budgets
    "scheduled_actions": "list",  # GET /subscriptions/{id}/providers/Microsoft.CostManagement/scheduledActions
    # Azure governance (AZR-1 to AZR-5) and recent creations (CST-4). Where Azure Resource Graph answers
    # (auditor/collect/resource_graph.py) one query serves every subscription; the per-subscription read
    # named here is the fallback. Items keep ARM's shape either way (CST-4's keep the shape of their source).
    "azure_role_assignments": "list",  # ARG authorizationresources, or GET .../Microsoft.Authorization/roleAssignments?$filter=atScope()
    "activity_log_alerts": "list",     # ARG resources, or GET .../Microsoft.Insights/activityLogAlerts
    "diagnostic_settings": "list",     # GET /subscriptions/{id}/providers/Microsoft.Insights/diagnosticSettings
    "resource_creations": "list",      # ARG resourcechanges (Create, 7 days), or the activity log's creations
}

# Sections added after schema version 1 was first written: a snapshot from an older tool version lacks them
# and still loads, each read as not_collected (it was never asked for), so archived snapshots can be
# re-evaluated with a newer rule set.
ADDED_SECTIONS: tuple[str, ...] = (
    # Wave 2 (issue 12)
    "sign_in_activity", "role_assignment_schedule_instances", "service_provider_sign_ins", "risky_users",
    "partner_security_requirements",
    # Azure governance (issue 13)
    "partner_agent_groups", "azure_group_members",
)
# The same for the sections read once per subscription.
ADDED_SUBSCRIPTION_SECTIONS: tuple[str, ...] = (
    # Azure governance and CST-4 (issue 13)
    "azure_role_assignments", "activity_log_alerts", "diagnostic_settings", "resource_creations",
)

_SHAPE_TYPES = {"list": list, "object": dict, "map": dict, "object_map": dict}
# Shapes whose Graph answer is one entity (no "value" list): the whole section, or one per parent.
ENTITY_SHAPES = ("object", "object_map")

# Delegated access and Partner Center (issue 14): read only with a partner user's delegated sign-in
# ([auth] method = "gdap"); app-only runs record them as not_collected with the reason.
DELEGATED_SECTIONS: dict[str, str] = {
    "entra_diagnostic_settings": "list",           # ARM GET /providers/microsoft.aadiam/diagnosticSettings (tenant)
    "partner_center_customers": "list",            # Partner Center GET /v1/customers (partner)
    "partner_center_usage_budgets": "object_map",  # Partner Center GET /v1/customers/{id}/usagebudget (partner; null: 404)
    "partner_center_webhook_registration": "object",  # Partner Center GET /webhooks/v1/registration (partner)
}
TENANT_SECTIONS.update(DELEGATED_SECTIONS)
ADDED_SECTIONS += tuple(DELEGATED_SECTIONS)


def _with_added_sections(
    sections: dict[str, Section], added: tuple[str, ...] = ADDED_SECTIONS
) -> dict[str, Section]:
    """Sections with every section of ``added`` (ADDED_SECTIONS for a tenant, ADDED_SUBSCRIPTION_SECTIONS
    for a subscription) the file lacks read as not_collected."""
    absent = [name for name in added if name not in sections]
    if not absent:
        return sections
    reason = "not in this snapshot: it was written by a tool version that did not collect this section"
    return {**sections, **{name: Section.missing(SectionStatus.NOT_COLLECTED, reason) for name in absent}}


def _check_shapes(sections: dict[str, Section], known: dict[str, str], where: str) -> dict[str, Section]:
    missing = [name for name in known if name not in sections]
    if missing:
        raise ValueError(f"missing section(s) {', '.join(missing)} in {where}")
    for name, section in sections.items():
        shape = known.get(name)
        if shape is None or not section.ok:
            continue
        if not isinstance(section.data, _SHAPE_TYPES[shape]):
            raise ValueError(f"section {name!r} in {where} must hold a JSON {'array' if shape == 'list' else 'object'} when ok")
    return sections


class Tenant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    display_name: str
    default_domain: str = ""
    kind: TenantKind = TenantKind.CUSTOMER
    tags: list[str] = Field(default_factory=list)


class SubscriptionSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscription_id: str
    display_name: str = ""
    sections: dict[str, Section]

    @field_validator("sections")
    @classmethod
    def _all_sections_present(cls, value: dict[str, Section]) -> dict[str, Section]:
        return _check_shapes(_with_added_sections(value, ADDED_SUBSCRIPTION_SECTIONS), SUBSCRIPTION_SECTIONS,
                             "subscription")


class TenantSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str
    tenant: Tenant
    collected_at: datetime
    tool_version: str
    sections: dict[str, Section]
    azure_subscriptions: list[SubscriptionSnapshot] = Field(default_factory=list)

    @field_validator("schema_version")
    @classmethod
    def _supported(cls, value: str) -> str:
        if value not in SUPPORTED_SCHEMA_VERSIONS:
            raise ValueError(
                f"unsupported schema_version {value!r}; this tool reads {', '.join(SUPPORTED_SCHEMA_VERSIONS)}"
            )
        return value

    @field_validator("sections")
    @classmethod
    def _all_sections_present(cls, value: dict[str, Section]) -> dict[str, Section]:
        return _check_shapes(_with_added_sections(value), TENANT_SECTIONS, "sections")

    def section(self, name: str) -> Section:
        """A tenant-level section; an unknown name reads as not collected rather than raising, so a
        third-party check that needs a section this collector does not know degrades to UNKNOWN."""
        found = self.sections.get(name)
        if found is None:
            return Section.missing(SectionStatus.NOT_COLLECTED, f"section {name!r} is not collected by this tool")
        return found

    def data(self, name: str) -> Any:
        """The data of a section known to be ok (the engine guarantees it for a check's ``needs``)."""
        return self.section(name).data

    def data_if_ok(self, name: str, default: Any = None) -> Any:
        section = self.section(name)
        return section.data if section.ok else default


class SnapshotError(Exception):
    """A snapshot file that cannot be used; the message is one line naming the file and the field."""


def load_snapshot(path: Path) -> TenantSnapshot:
    """The snapshot in the file at ``path``; SnapshotError (one line naming the file) for any bytes, any
    size and any nesting that are not one."""
    from auditor.input_files import SNAPSHOT_MAX_BYTES, InputFileError, read_input, validation_error_line

    try:
        raw = read_input(path, SNAPSHOT_MAX_BYTES)
    except InputFileError as exc:
        raise SnapshotError(str(exc)) from None
    if not raw.strip():
        raise SnapshotError(f"{path}: the file is empty, not a snapshot")
    try:
        document = jsonfast.loads(raw)  # json.loads's value and errors, through orjson (auditor/jsonfast.py)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: not valid JSON: {exc}") from None
    except RecursionError:
        raise SnapshotError(f"{path}: not valid JSON: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise SnapshotError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise SnapshotError(f"{path}: a snapshot must be a JSON object")
    try:
        return TenantSnapshot.model_validate(document)
    except ValidationError as exc:
        raise SnapshotError(validation_error_line(path, exc, "a snapshot")) from None
    except RecursionError:
        raise SnapshotError(f"{path}: nested too deeply") from None


# The sections an outline keeps whole: the organization names the tenant's verified domains, which config
# references (risk acceptances, attestations) may use before any tenant is evaluated.
OUTLINE_KEEPS = frozenset({"organization"})


def outline(snapshot: TenantSnapshot) -> TenantSnapshot:
    """The snapshot without its bulk: every section keeps its status, reason and request (what the
    readability, hint and selection steps read); only the sections in OUTLINE_KEEPS keep their data. A
    300-user tenant's outline is a few KB where the snapshot is 1.7 MB in memory: a run holds outlines and
    reloads each snapshot whole only while it is evaluated (1,000 snapshots at once were 2 GB)."""
    sections = {name: section if name in OUTLINE_KEEPS or section.data is None
                else section.model_copy(update={"data": None})
                for name, section in snapshot.sections.items()}
    return snapshot.model_copy(update={"sections": sections})


def snapshot_files(paths: list[Path]) -> Iterator[Path]:
    """Snapshot files named directly or found in folders (``*.json``, sorted, not recursive). A ``*.json``
    entry that is not a file (a folder named like a snapshot) is a SnapshotError rather than skipped: a run
    that silently audits fewer tenants than the folder seems to hold would flatter the portfolio."""
    for path in paths:
        if path.is_dir():
            for entry in sorted(path.glob("*.json")):
                if not entry.is_file():
                    raise SnapshotError(f"{entry}: named like a snapshot but not a file; move it out of {path}")
                yield entry
        elif path.exists():
            yield path
        else:
            raise SnapshotError(f"{path}: no such file or folder")


def load_snapshots(paths: list[Path]) -> list[TenantSnapshot]:
    """Every snapshot under ``paths``; SnapshotError when none, or when two files hold one tenant (which
    one to audit would be a guess, and auditing both would count the tenant twice)."""
    snapshots: list[TenantSnapshot] = []
    seen: dict[str, Path] = {}
    for path in snapshot_files(paths):
        snapshot = load_snapshot(path)
        key = snapshot.tenant.id.lower()
        if key in seen:
            raise SnapshotError(f"tenant {snapshot.tenant.id} is in two snapshot files: {seen[key]} and {path}")
        seen[key] = path
        snapshots.append(snapshot)
    if not snapshots:
        raise SnapshotError(f"no snapshot files found in {', '.join(str(p) for p in paths)}")
    return snapshots


def _sections_document(sections: dict[str, Section]) -> dict[str, dict[str, Any]]:
    return {name: {"status": s.status.value, "reason": s.reason, "request": s.request, "data": s.data}
            for name, s in sections.items()}


def snapshot_document(snapshot: TenantSnapshot) -> dict[str, Any]:
    """The snapshot as JSON values, in field order. The small envelope goes through pydantic (its forms of
    dates and enums); the section data, the bulk, is handed over as it is: it came from JSON or from our own
    builders, and pydantic's walk through every value of it cost more than writing it (issue 16)."""
    document = snapshot.model_dump(mode="json", exclude={"sections", "azure_subscriptions"})
    document["sections"] = _sections_document(snapshot.sections)
    document["azure_subscriptions"] = [
        {"subscription_id": sub.subscription_id, "display_name": sub.display_name,
         "sections": _sections_document(sub.sections)}
        for sub in snapshot.azure_subscriptions
    ]
    return document


def dump_snapshot_bytes(snapshot: TenantSnapshot) -> bytes:
    """The snapshot file's bytes: UTF-8 JSON indented by two spaces, written by orjson. Data orjson cannot
    write exactly (an integer beyond 64 bits, a lone surrogate) takes pydantic's slower path, same layout."""
    try:
        return jsonfast.dumps(snapshot_document(snapshot), indent=True)
    except TypeError:  # orjson.JSONEncodeError
        return snapshot.model_dump_json(indent=2, exclude_none=False).encode("utf-8")


def dump_snapshot(snapshot: TenantSnapshot) -> str:
    """The snapshot file's text (see dump_snapshot_bytes)."""
    return dump_snapshot_bytes(snapshot).decode("utf-8")


def write_snapshot(path: Path, snapshot: TenantSnapshot) -> Path:
    """Write the snapshot file atomically (complete under its name, or not there). Blocking and CPU-bound
    (about 2 ms for a 300-user tenant): the collector calls it off its event loop."""
    return atomic_write_bytes(path, dump_snapshot_bytes(snapshot))
