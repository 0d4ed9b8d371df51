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
