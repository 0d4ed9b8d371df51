"""PartnerContext: built from the config and the partner's snapshot, the same for every customer check."""

from auditor.config import parse_config
from auditor.partner_context import partner_context
from tests.builders import make_snapshot

PARTNER = "2067070C-C4D1-4ED3-A9F0-5A7C5DE0C3C3"
OTHER = "6f1c0a34-3c2b-4b8e-9d3a-2b1f0e9d8c7a"


def test_context_from_config_names_partner_and_known_partners():
    config = parse_config(f'[partner]\nid = "{PARTNER}"\nname = "Northwind"\n'
                          f'[[known_partners]]\nid = "{OTHER.upper()}"\nname = "Litware MSP"\n')
    ctx = partner_context(config, None)
    assert ctx.tenant_id == PARTNER.lower() and ctx.name == "Northwind"
    assert ctx.is_known_partner(PARTNER) and ctx.is_known_partner(OTHER)
    assert not ctx.is_known_partner("00000000-0000-0000-0000-000000000001")
    assert not ctx.partner_read and not ctx.group_ids_read


def test_context_without_config_takes_the_partner_from_its_snapshot():
    snapshot = make_snapshot()
    ctx = partner_context(None, snapshot)
    assert ctx.partner_read and ctx.tenant_id == snapshot.tenant.id.lower()
    assert ctx.is_known_partner(snapshot.tenant.id.upper())


def test_no_partner_at_all_knows_nobody():
    ctx = partner_context(None, None)
    assert ctx.tenant_id is None and not ctx.is_known_partner(PARTNER) and not ctx.partner_read


def test_engine_hands_every_customer_check_the_same_partner_context():
    """The partner is evaluated first and its context reaches customer checks; a context-only partner
    snapshot (a shard without the partner) gives the same context without being evaluated."""
    from datetime import datetime, timezone

    from auditor.evaluate import evaluate
    from auditor.registry import CheckContext, Outcome, Registry, check
    from auditor.results import Status

    seen = []

    @check(id="TST-1", title="records the partner context", area="partner", severity="low",
           applies_to=["customer"], needs=[])
    def records(snapshot, ctx: CheckContext) -> Outcome:
        """Test check."""
        seen.append(ctx.partner)
        return Outcome(Status.PASS, "ok")

    registry = Registry([getattr(records, "__auditor_check__")])
    partner = make_snapshot(tenant_id=PARTNER.lower(), name="Northwind", kind="partner")
    customers = [make_snapshot(tenant_id=f"00000000-0000-0000-0000-00000000000{i}", name=f"C{i}") for i in (1, 2)]
    now = datetime(2026, 11, 21, tzinfo=timezone.utc)
    evaluate([*customers, partner], registry, now)
    assert len(seen) == 2 and seen[0] == seen[1]
    assert seen[0].partner_read and seen[0].tenant_id == PARTNER.lower()
    seen.clear()
    results = evaluate(customers, registry, now, partner_snapshot=partner)
    assert {t.kind for t in results.tenants} == {"customer"}
    assert seen[0].partner_read and seen[0].tenant_id == PARTNER.lower()
    seen.clear()
    evaluate(customers, registry, now)
    assert not seen[0].partner_read and seen[0].tenant_id is None


def test_partner_groups_are_the_agent_groups_and_live_gdap_security_groups():
    from auditor.snapshot import Section, SectionStatus

    relationships = [{"id": "r1", "displayName": "NCP-1", "status": "active"},
                     {"id": "r2", "displayName": "NCP-old", "status": "terminated"}]
    assignments = {
        "r1": [{"id": "a1", "status": "active", "accessContainer": {"accessContainerId": "AAAA-GDAP"}}],
        "r2": [{"id": "a2", "status": "active", "accessContainer": {"accessContainerId": "old-group"}}],
    }
    agents = [{"id": "ADMIN-ID", "displayName": "AdminAgents"}, {"id": "help-id", "displayName": "HelpdeskAgents"},
              {"id": "other", "displayName": "AdminAgents (copy)"}]
    snapshot = make_snapshot(kind="partner", partner_agent_groups=agents, delegated_admin_relationships=relationships,
                             delegated_admin_access_assignments=assignments)
    ctx = partner_context(None, snapshot)
    assert ctx.group_ids_read and ctx.group_ids == {"admin-id", "help-id", "aaaa-gdap"}
    assert ctx.admin_agents_group_ids == {"admin-id"}
    assert ctx.group_label("AAAA-GDAP") == "GDAP security group (relationship NCP-1)"
    unread = make_snapshot(kind="partner", partner_agent_groups=Section.missing(SectionStatus.FORBIDDEN, "no permission"),
                           delegated_admin_relationships=relationships, delegated_admin_access_assignments=assignments)
    ctx = partner_context(None, unread)
    assert not ctx.group_ids_read and "partner_agent_groups is forbidden" in ctx.group_ids_note
