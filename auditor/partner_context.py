"""The PartnerContext a run hands to every customer check (auditor.registry.PartnerContext).

Built once per run from the config (partner tenant id, ``known_partners``) and the partner's own snapshot
when it is part of the run (or, for a shard that does not hold the partner, read for context only). A run
without the partner still gets a context: it says what is not known, and checks that need the partner's
facts answer MANUAL rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.registry import PartnerContext

if TYPE_CHECKING:
    from auditor.config import AuditConfig
    from auditor.snapshot import TenantSnapshot

# The partner-tenant sections the context is read from: what a shard without the partner collects for it.
CONTEXT_SECTIONS = ("partner_agent_groups", "delegated_admin_relationships", "delegated_admin_access_assignments")
# Partner Center creates these two security groups in every CSP partner's tenant (DAP's "Admin agents" and
# "Helpdesk agents"); legacy AOBO gave AdminAgents Owner on the Azure subscriptions the partner sold.
AGENT_GROUP_NAMES = ("AdminAgents", "HelpdeskAgents")


def partner_context(config: "AuditConfig | None", partner_snapshot: "TenantSnapshot | None") -> PartnerContext:
    """The context for the customer checks of one run.

    ``partner_snapshot`` is the partner tenant's snapshot when the run has it (the engine evaluates it
    first), else None. The partner tenant id comes from the config, or from the snapshot when the config
    names none (an offline run of snapshots)."""
    partner_id = None
    name = ""
    if config is not None and config.partner is not None:
        partner_id, name = config.partner.id.lower(), config.partner.name
    if partner_snapshot is not None:
        partner_id = partner_id or partner_snapshot.tenant.id.lower()
        name = name or partner_snapshot.tenant.display_name
    known = {p.id.lower() for p in config.known_partners} if config is not None else set()
    if partner_id:
        known.add(partner_id)
    groups = partner_groups(partner_snapshot)
    return PartnerContext(
        tenant_id=partner_id,
        name=name,
        known_partner_tenants=frozenset(known),
        partner_read=partner_snapshot is not None,
        group_ids=frozenset(groups.labels),
        group_ids_read=groups.complete,
        group_labels=tuple(sorted(groups.labels.items())),
        admin_agents_group_ids=groups.admin_agents,
        group_ids_note=groups.note,
    )


@dataclass(frozen=True)
class PartnerGroups:
    labels: dict[str, str]  # lower-case group id -> what it is
    admin_agents: frozenset[str]
    complete: bool
    note: str  # why not complete ("" when complete)


def partner_groups(partner_snapshot: "TenantSnapshot | None") -> PartnerGroups:
    """The partner's own security groups that may hold roles in customer tenants and subscriptions, read
    from its snapshot: the AdminAgents and HelpdeskAgents groups (`partner_agent_groups`, matched by their
    exact display names) and the security groups of its live GDAP access assignments
    (`accessContainer.accessContainerId` of every assignment whose relationship is not terminated or
    expired). Complete only when both sections are ok: otherwise a customer's foreign principal could be a
    partner group nobody read, and the note names the section that was not."""
    if partner_snapshot is None:
        return PartnerGroups({}, frozenset(), False, "the partner tenant is not part of this run")
    labels: dict[str, str] = {}
    admin_agents: set[str] = set()
    notes = []
    agents = partner_snapshot.section("partner_agent_groups")
    if agents.ok:
        for group in agents.data or []:
            group_id = str(group.get("id") or "").lower()
            display = str(group.get("displayName") or "")
            if group_id and display in AGENT_GROUP_NAMES:
                labels[group_id] = display
                if display == "AdminAgents":
                    admin_agents.add(group_id)
    else:
        notes.append(f"partner_agent_groups is {agents.status.value} ({agents.brief_reason or 'no reason recorded'})")
    relationships = partner_snapshot.section("delegated_admin_relationships")
    assignments = partner_snapshot.section("delegated_admin_access_assignments")
    if relationships.ok and assignments.ok and isinstance(assignments.data, dict):
        names = {str(r.get("id")): str(r.get("displayName") or r.get("id")) for r in relationships.data or []
                 if str(r.get("status", "")).lower() not in ("terminated", "expired")}
        for relationship_id, items in assignments.data.items():
            if relationship_id not in names:
                continue
            for assignment in items or []:
                container = (assignment.get("accessContainer") or {}).get("accessContainerId")
                if container and str(assignment.get("status", "")).lower() not in ("deleted", "deleting", "error"):
                    labels.setdefault(str(container).lower(), f"GDAP security group (relationship {names[relationship_id]})")
    else:
        bad = assignments if relationships.ok else relationships
        name = "delegated_admin_access_assignments" if relationships.ok else "delegated_admin_relationships"
        notes.append(f"{name} is {bad.status.value} ({bad.brief_reason or 'no reason recorded'})")
    return PartnerGroups(labels, frozenset(admin_agents), not notes, "; ".join(notes))


def partner_group_ids(partner_snapshot: "TenantSnapshot | None") -> tuple[frozenset[str], bool]:
    """(lower-case group ids, complete?) of the partner's own role-holding security groups (see
    `partner_groups`)."""
    groups = partner_groups(partner_snapshot)
    return frozenset(groups.labels), groups.complete
