"""Collection of the wave-2 sections through the real collector and the emulator: honest statuses for a
missing licence, requests inside the existing $batch rounds, the beta sign-ins' $filter and $select, older
snapshots still loading, and `auditor permissions` naming the new permissions per check."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.collect.emulator import Emulator
from auditor.collect.emulator_odata import parse_filter
from auditor.collect.faults import Fault, FaultKind
from auditor.collect.permissions import requirements
from auditor.collect.plan import GRAPH_REQUESTS
from auditor.registry import Registry
from auditor.snapshot import ADDED_SECTIONS, SectionStatus, dump_snapshot, load_snapshot
from tests.test_collect import collect, comparable
from tests.test_collect_data import CUSTOMER_A, customer, partner


async def test_wave2_sections_round_trip_inside_the_batches(tmp_path: Path) -> None:
    tenants = [customer(), partner([(CUSTOMER_A, "Contoso Inc")])]
    async with Emulator(tenants) as emulator:
        got = await collect(emulator, tenants, tmp_path)
        customer_requests = emulator.http_requests(CUSTOMER_A)
        activity_items = [r for r in emulator.requests if r.section == "sign_in_activity"]
        sign_in_reads = [r for r in emulator.requests if r.section == "service_provider_sign_ins"]
    for original in tenants:
        assert comparable(got[original.tenant.id]) == comparable(original)
    assert activity_items and all(r.in_batch for r in activity_items)  # per-user GETs ride in the $batch
    # The customer's beta sign-ins are its only Graph request outside a v1.0 $batch.
    graph = [r for r in customer_requests if r.path.startswith(("/v1.0", "/beta"))]
    assert [r.path.split("?")[0] for r in graph if not r.path.endswith("$batch")] == ["/beta/auditLogs/signIns"]
    assert {r.tenant.lower() for r in sign_in_reads} >= {CUSTOMER_A}
    assert got[CUSTOMER_A].sections["partner_security_requirements"].status is SectionStatus.NOT_COLLECTED


def test_sign_in_request_filters_service_providers_both_event_types_with_select_and_paging() -> None:
    request = GRAPH_REQUESTS["service_provider_sign_ins"]
    line = request.request_line()
    assert line.startswith("GET /beta/auditLogs/signIns?$select=")
    assert "crossTenantAccessType eq 'serviceProvider'" in line
    assert "signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')" in line
    assert "$top=999" in line and " " not in request.relative_url()  # percent-encoded on the wire
    clauses = parse_filter(request.filter)
    assert clauses is not None
    # the documented sign-in (crossTenantAccessType "none") is not a service-provider one
    documented = {"crossTenantAccessType": "none", "signInEventTypes": ["interactiveUser"]}
    assert not all(c.matches(documented) for c in clauses)
    assert all(c.matches({**documented, "crossTenantAccessType": "serviceProvider"}) for c in clauses)
    assert not all(c.matches({"crossTenantAccessType": "serviceProvider", "signInEventTypes": ["servicePrincipal"]})
                   for c in clauses)


async def test_sign_ins_are_paged_to_the_end(tmp_path: Path) -> None:
    tenant = customer()
    sign_in = tenant.sections["service_provider_sign_ins"].data[0]
    tenant.sections["service_provider_sign_ins"].data = [{**sign_in, "id": f"s-{i}"} for i in range(7)]
    async with Emulator([tenant], max_page_size=3) as emulator:
        got = await collect(emulator, [tenant], tmp_path)
    assert [s["id"] for s in got[CUSTOMER_A].sections["service_provider_sign_ins"].data] == [f"s-{i}" for i in range(7)]


async def test_missing_licences_give_not_licensed_naming_the_licence(tmp_path: Path) -> None:
    tenants = [customer()]
    faults = [Fault(FaultKind.NOT_LICENSED, section=name, tenant=CUSTOMER_A) for name in
              ("sign_in_activity", "role_assignment_schedule_instances", "service_provider_sign_ins", "risky_users")]
    async with Emulator(tenants, faults=faults) as emulator:
        got = await collect(emulator, tenants, tmp_path)
        pim = {r.status for r in emulator.requests if r.section == "role_assignment_schedule_instances"}
    sections = got[CUSTOMER_A].sections
    assert pim == {400}  # PIM answers AadPremiumLicenseRequired, as for eligibility
    for name, licence in (("sign_in_activity", "P1"), ("role_assignment_schedule_instances", "P2"),
                          ("service_provider_sign_ins", "P1"), ("risky_users", "P2")):
        assert sections[name].status is SectionStatus.NOT_LICENSED, name
        assert f"Microsoft Entra ID {licence}" in sections[name].reason, (name, sections[name].reason)
    assert sections["users"].ok  # signInActivity is never asked for in the users list


async def test_sign_in_activity_not_read_when_role_assignments_are_not(tmp_path: Path) -> None:
    tenants = [customer()]
    async with Emulator(tenants, faults=[Fault(FaultKind.FORBIDDEN, section="role_assignments")]) as emulator:
        got = await collect(emulator, tenants, tmp_path)
    section = got[CUSTOMER_A].sections["sign_in_activity"]
    assert section.status is SectionStatus.NOT_COLLECTED and "role_assignments" in section.reason


def test_snapshot_from_before_wave_2_still_loads(tmp_path: Path) -> None:
    document = json.loads(dump_snapshot(customer()))
    for name in ADDED_SECTIONS:
        document["sections"].pop(name)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    snapshot = load_snapshot(path)
    assert {snapshot.sections[n].status for n in ADDED_SECTIONS} == {SectionStatus.NOT_COLLECTED}
    document["sections"].pop("users")  # a wave-1 section is still required
    path.write_text(json.dumps(document), encoding="utf-8")
    try:
        load_snapshot(path)
    except Exception as exc:  # SnapshotError, one line naming the section
        assert "users" in str(exc)
    else:
        raise AssertionError("a snapshot without a wave-1 section must not load")


def test_permissions_name_the_new_permissions_per_check() -> None:
    registry = Registry.from_entry_points()
    needs = {spec.id: spec.sections for spec in registry if spec.wave == 2 and spec.id in
             ("ADM-5", "ADM-7", "PAR-6", "CON-4", "CON-5")}
    found = {r.name: set(r.checks) for r in requirements(needs)}
    assert {"ADM-5", "PAR-6"} <= found["AuditLog.Read.All"]
    assert "ADM-5" in found["User.Read.All"]
    assert "ADM-7" in found["RoleAssignmentSchedule.Read.Directory"]
    assert "CON-5" in found["IdentityRiskyUser.Read.All"]
    assert "CON-4" in found["PartnerSecurity.Read.All"]
    wave1 = {spec.id: spec.sections for spec in registry if spec.wave <= 1}
    assert "IdentityRiskyUser.Read.All" not in {r.name for r in requirements(wave1)}


def test_every_wave2_check_is_wave_2() -> None:
    registry = Registry.from_entry_points()
    graph_side = ["ADM-5", "ADM-7", "CON-4", "CON-5", "PAR-5", "PAR-6"]
    azure_governance = ["AZR-1", "AZR-2", "AZR-3", "AZR-4", "AZR-5", "CST-4"]  # issue 13, wave 2 as well
    assert sorted(s.id for s in registry if s.wave == 2) == sorted(graph_side + azure_governance)
