"""The PartnerContext a run hands to every customer check (auditor.registry.PartnerContext).

Built once per run from the config (partner tenant id, ``known_partners``) and the partner's own snapshot
when it is part of the run. A run without the partner still gets a context: it says what is not known, and
checks that need the partner's facts answer MANUAL rather than guess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.registry import PartnerContext

if TYPE_CHECKING:
    from auditor.config import AuditConfig
    from auditor.snapshot import TenantSnapshot


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
    group_ids, group_ids_read = partner_group_ids(partner_snapshot)
    return PartnerContext(
        tenant_id=partner_id,
        name=name,
        known_partner_tenants=frozenset(known),
        partner_read=partner_snapshot is not None,
        group_ids=group_ids,
        group_ids_read=group_ids_read,
    )


def partner_group_ids(partner_snapshot: "TenantSnapshot | None") -> tuple[frozenset[str], bool]:
    """(lower-case group ids, complete?) of the partner's own role-holding security groups, read from its
    snapshot. Not collected yet (the Azure governance checks add the sections): (empty, False)."""
    return frozenset(), False
