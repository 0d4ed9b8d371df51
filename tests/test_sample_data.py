"""The bundled sample: it loads, it is what generate.py writes, it has the shapes Graph and ARM answer
with, and across the customers every wave-1 check shows each of its outcomes (from the real checks)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from auditor.config import load_config, validate_acceptances
from auditor.evaluate import evaluate
from auditor.fields import GRAPH_SELECT
from auditor.registry import Registry
from auditor.results import Status
from auditor.samples import sample_config_path, sample_dir, sample_snapshots_dir
from auditor.snapshot import TENANT_SECTIONS, SectionStatus, TenantKind, TenantSnapshot, dump_snapshot, load_snapshot, load_snapshots
from auditor.tenant_refs import known_tenants, resolve
from sample_data.generate import synthetic_snapshot, write_sample

# The sample was collected on 2026-11-20; evaluate it the next morning so dates in the data (expiring GDAP
# relationships, alert ages, risk acceptance expiry) mean what the stories in portfolio.py say.
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_entry_points()


@pytest.fixture(scope="module")
def snapshots() -> list[TenantSnapshot]:
    return load_snapshots([sample_snapshots_dir()])


@pytest.fixture(scope="module")
def config():
    return load_config(sample_config_path())


@pytest.fixture(scope="module")
def results(snapshots, registry, config):
    return evaluate(snapshots, registry, NOW, config)


def customers(snapshots):
    return [s for s in snapshots if s.tenant.kind is TenantKind.CUSTOMER]


def partner(snapshots):
    return next(s for s in snapshots if s.tenant.kind is TenantKind.PARTNER)


# --- files -----------------------------------------------------------------------------------------------


def test_every_sample_file_loads(registry, config):
    files = sorted(sample_snapshots_dir().glob("*.json"))
    assert files
    for path in files:
        snapshot = load_snapshot(path)
        assert path.stem, snapshot.tenant.display_name
    validate_acceptances(config, set(registry.ids()), "sample config")  # raises on an unknown check id
    assert config.branding.partner_name == "Northwind Cloud Partners"
    assert config.branding.logo is not None and config.branding.logo.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_portfolio_has_one_partner_and_at_least_eight_customers(snapshots, config):
    assert sum(s.tenant.kind is TenantKind.PARTNER for s in snapshots) == 1
    assert len(customers(snapshots)) >= 8
    assert config.partner is not None and config.partner.id == partner(snapshots).tenant.id
    assert {t.id for t in config.tenants} == {s.tenant.id for s in customers(snapshots)}
    assert len({s.tenant.id for s in snapshots}) == len(snapshots)


def test_config_has_an_active_and_an_expired_risk_acceptance(config, snapshots):
    ids = {s.tenant.id for s in customers(snapshots)}
    active = [a for a in config.risk_acceptances if a.expires >= NOW.date()]
    expired = [a for a in config.risk_acceptances if a.expires < NOW.date()]
    assert active and expired
    known = known_tenants(snapshots, config)
    tenants = [resolve(a.tenant, known).id for a in config.risk_acceptances]  # names and domains resolve too
    assert all(tenant in ids for tenant in tenants)
    assert {resolve(a.tenant, known).id for a in active}.isdisjoint({resolve(a.tenant, known).id for a in expired})


def test_config_attests_adm6_for_some_customers_not_all_and_one_attestation_has_expired(config, snapshots):
    known = known_tenants(snapshots, config)
    attested = {resolve(a.tenant, known).id for a in config.attestations if a.check == "ADM-6"}
    customer_ids = {s.tenant.id for s in customers(snapshots)}
    assert attested and attested < customer_ids
    assert any(a.valid_until < NOW.date() for a in config.attestations)
    assert any(a.valid_until >= NOW.date() for a in config.attestations)


def test_regenerating_gives_byte_identical_files(tmp_path):
    write_sample(tmp_path)
    committed = sorted(p.name for p in sample_snapshots_dir().glob("*.json"))
    generated = sorted(p.name for p in (tmp_path / "tenants").glob("*.json"))
    assert generated == committed
    for name in committed:
        assert (tmp_path / "tenants" / name).read_bytes() == (sample_snapshots_dir() / name).read_bytes(), name
    assert (tmp_path / "config.toml").read_bytes() == sample_config_path().read_bytes()


# --- coverage of the checks ------------------------------------------------------------------------------


def wave1_customer_checks(registry):
    return [spec for spec in registry if spec.wave == 1 and spec.applies(TenantKind.CUSTOMER)]


# Wave 2 (issue 12): besides PASS, FAIL and UNKNOWN, the statuses each rule makes where a licence is absent.
WAVE2_CUSTOMER_STATUSES = {
    "ADM-5": {Status.PASS, Status.FAIL, Status.UNKNOWN},
    "ADM-7": {Status.PASS, Status.FAIL, Status.UNKNOWN, Status.NOT_APPLICABLE},
    "PAR-6": {Status.PASS, Status.FAIL, Status.UNKNOWN},  # MANUAL needs a run without a configured partner
    "CON-5": {Status.PASS, Status.FAIL, Status.UNKNOWN, Status.NOT_APPLICABLE},
}


def test_every_wave2_customer_check_shows_each_of_its_outcomes_somewhere(registry, results):
    wave2 = sorted(spec.id for spec in registry if spec.wave == 2 and spec.applies(TenantKind.CUSTOMER))
    # Every wave-2 customer check has its outcomes listed: the Graph side here, Azure governance below.
    assert wave2 == sorted({**WAVE2_CUSTOMER_STATUSES, **AZURE_GOVERNANCE})
    missing = {}
    for check_id, wanted in WAVE2_CUSTOMER_STATUSES.items():
        statuses = {r.status for t in results.tenants if t.kind == "customer" for r in t.results if r.check_id == check_id}
        if not wanted <= statuses:
            missing[check_id] = sorted(s.value for s in wanted - statuses)
    assert not missing, f"statuses no customer shows: {missing}"


def test_wave2_partner_checks_find_the_partner_problems(results, registry):
    tenant = next(t for t in results.tenants if t.kind == "partner")
    by_id = {r.check_id: r for r in tenant.results}
    assert {"PAR-5", "CON-4"} <= set(by_id)
    assert by_id["PAR-5"].status is Status.FAIL and "NCP-trey-research-azure" in by_id["PAR-5"].summary
    assert by_id["CON-4"].status is Status.FAIL and "securityAlertsPromptlyResolved" in by_id["CON-4"].summary


def test_every_wave1_customer_check_passes_fails_and_is_unknown_somewhere(registry, results):
    specs = wave1_customer_checks(registry)
    assert specs, "no wave-1 checks are installed"
    missing = {}
    for spec in specs:
        statuses = {r.status for t in results.tenants if t.kind == "customer" for r in t.results if r.check_id == spec.id}
        # A MANUAL check never passes or fails: it must show MANUAL where data exists and UNKNOWN where not.
        wanted = {Status.MANUAL, Status.UNKNOWN} if Status.MANUAL in statuses else {Status.PASS, Status.FAIL, Status.UNKNOWN}
        if not wanted <= statuses:
            missing[spec.id] = sorted(s.value for s in wanted - statuses)
    assert not missing, f"statuses no customer shows: {missing}"


def test_no_check_crashes_on_the_sample(results):
    errors = [(t.display_name, r.check_id, r.summary) for t in results.tenants for r in t.results
              if r.status is Status.ERROR]
    assert not errors


def test_partner_checks_find_the_partner_problems(results):
    tenant = next(t for t in results.tenants if t.kind == "partner")
    by_id = {r.check_id: r for r in tenant.results}
    for check_id in ("PAR-2", "PAR-3", "PAR-4", "CON-3"):
        if check_id in by_id:
            assert by_id[check_id].status is Status.FAIL, (check_id, by_id[check_id].summary)


def test_risk_acceptances_apply(results, config):
    accepted = [(t.tenant_id, r.check_id) for t in results.tenants for r in t.results if r.status is Status.ACCEPTED]
    expired = [(t.tenant_id, r.check_id) for t in results.tenants for r in t.results
               if r.acceptance is not None and r.acceptance.expired and r.status is Status.FAIL]
    assert accepted and expired


# --- the partner's story (from the data itself) --------------------------------------------------------


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_partner_sample_shows_gdap_and_alert_problems(snapshots):
    snap = partner(snapshots)
    collected = snap.collected_at
    relationships = snap.data("delegated_admin_relationships")
    active = [r for r in relationships if r["status"] == "active"]
    grants_ga = [r for r in active if any(role["roleDefinitionId"] == "62e90394-69f5-4237-9190-012177145e10"
                                          for role in r["accessDetails"]["unifiedRoles"])]
    expiring = [r for r in active if r["autoExtendDuration"] == "PT0S"
                and collected < parse(r["endDateTime"]) <= collected + timedelta(days=30)]
    assert grants_ga and expiring
    with_gdap = {r["customer"]["tenantId"] for r in active}
    contracted = {c["customerId"] for c in snap.data("contracts")}
    assert contracted - with_gdap, "every contracted customer has GDAP: nothing for PAR-4 to find"
    assert set(snap.data("delegated_admin_access_assignments")) <= {r["id"] for r in relationships}
    stale_alerts = [a for a in snap.data("partner_security_alerts")
                    if a["status"] == "active" and parse(a["detectedDateTime"]) < collected - timedelta(hours=24)]
    assert stale_alerts


def test_customer_stories_are_in_the_data(snapshots):
    custs = customers(snapshots)
    reasons = {s.tenant.display_name: {n: sec.reason for n, sec in s.sections.items()} for s in custs}
    no_p1 = [s for s in custs if s.section("user_registration_details").status is SectionStatus.NOT_LICENSED]
    assert no_p1
    reason = no_p1[0].section("user_registration_details").reason
    assert "Microsoft Entra ID P1" in reason and "RequestFromNonPremiumTenantOrB2CTenant" in reason
    forbidden = [s for s in custs if sum(sec.status is SectionStatus.FORBIDDEN for sec in s.sections.values()) >= 3]
    assert forbidden, reasons
    assert any("Policy.Read.All" in sec.reason for sec in forbidden[0].sections.values())
    assert any(s.section("subscriptions").ok and s.data("subscriptions") == [] for s in custs)
    assert any(len(s.azure_subscriptions) >= 2 for s in custs)
    dap = [s for s in custs if s.section("role_assignments").ok and any(
        a["principal"].get("@odata.type") == "#microsoft.graph.directoryObjectPartnerReference"
        and a["roleDefinitionId"] == "62e90394-69f5-4237-9190-012177145e10" for a in s.data("role_assignments"))]
    assert dap


# --- shapes ----------------------------------------------------------------------------------------------


def _objects(section_name: str, data):
    """The Graph objects a section holds (map sections hold lists per parent id)."""
    shape = TENANT_SECTIONS.get(section_name)
    if shape == "map":
        return [obj for values in data.values() for obj in values]
    if shape == "object_map":  # parent id -> one entity (signInActivity per privileged user)
        return list(data.values())
    return data if isinstance(data, list) else [data]


def test_graph_sections_keep_only_selected_fields(snapshots):
    for snapshot in snapshots:
        for name, section in snapshot.sections.items():
            selected = GRAPH_SELECT.get(name)
            if not section.ok or not selected:  # ARM sections and whole-kept sections have no $select
                continue
            allowed = set(selected) | {"@odata.type"}
            for obj in _objects(name, section.data):
                extra = set(obj) - allowed
                assert not extra, f"{snapshot.tenant.display_name}: {name} has fields outside $select: {extra}"


def test_every_collected_section_names_its_request(snapshots):
    for snapshot in snapshots:
        sections = list(snapshot.sections.items()) + [
            (name, section) for sub in snapshot.azure_subscriptions for name, section in sub.sections.items()
        ]
        for name, section in sections:
            if section.status is not SectionStatus.NOT_COLLECTED:
                # GETs, and the one read-only POST: an Azure Resource Graph query
                assert section.request.startswith(("GET /", "POST /providers/Microsoft.ResourceGraph/resources?")), (
                    snapshot.tenant.display_name, name)
            if not section.ok:
                assert section.reason, (snapshot.tenant.display_name, name)


def test_subscription_sections_name_their_subscription(snapshots):
    for snapshot in snapshots:
        listed = {s["subscriptionId"] for s in snapshot.data_if_ok("subscriptions", [])}
        assert listed == {sub.subscription_id for sub in snapshot.azure_subscriptions}
        for sub in snapshot.azure_subscriptions:
            for section in sub.sections.values():
                if section.request.startswith("POST /providers/Microsoft.ResourceGraph/"):
                    continue  # one Resource Graph query answers every subscription
                assert f"/subscriptions/{sub.subscription_id}/" in section.request


# --- synthetic tenants for the benchmarks --------------------------------------------------------------


def test_synthetic_snapshots_are_valid_deterministic_and_varied():
    first = dump_snapshot(synthetic_snapshot(3, users=60, subscriptions=2))
    assert dump_snapshot(synthetic_snapshot(3, users=60, subscriptions=2)) == first
    assert dump_snapshot(synthetic_snapshot(4, users=60, subscriptions=2)) != first
    snapshot = TenantSnapshot.model_validate(json.loads(first))
    assert len(snapshot.azure_subscriptions) == 2
    assert 55 <= len(snapshot.data("users")) <= 80
    partner_snapshot = TenantSnapshot.model_validate(json.loads(dump_snapshot(synthetic_snapshot(1, 40, 0, "partner"))))
    assert partner_snapshot.tenant.kind is TenantKind.PARTNER
    assert partner_snapshot.section("delegated_admin_relationships").ok


def test_checks_do_not_crash_on_synthetic_tenants(registry):
    tenants = [synthetic_snapshot(i, users=40, subscriptions=i % 3) for i in range(40)]
    tenants.append(synthetic_snapshot(40, users=40, subscriptions=0, kind="partner"))
    results = evaluate(tenants, registry, NOW)
    errors = [(t.display_name, r.check_id, r.summary) for t in results.tenants for r in t.results
              if r.status is Status.ERROR]
    assert not errors
    statuses = {r.status for t in results.tenants for r in t.results}
    assert {Status.PASS, Status.FAIL} <= statuses


def test_sample_dir_is_the_package_folder():
    assert sample_dir() == Path(__file__).resolve().parents[1] / "sample_data"


def test_every_mail_address_is_on_a_fictional_domain(snapshots):
    """Evidence rows reach customer-facing reports: no address in the sample may be a real mailbox."""
    import re

    fictional = {s.tenant.default_domain for s in snapshots} | {
        "wingtipmail.com", "proseware-consulting.com", "adatum.net", "litwareinc.net", "contoso-advisors.com",
    }
    text = "\n".join(p.read_text(encoding="utf-8") for p in sample_snapshots_dir().glob("*.json"))
    text += sample_config_path().read_text(encoding="utf-8")
    domains = {m.lower() for m in re.findall(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)", text)}
    unexpected = {d for d in domains if d not in fictional and not d.endswith(".onmicrosoft.com")}
    assert domains and not unexpected


def test_summaries_stay_readable(results):
    """Summaries reach the customer's report: raw API error text stays in the snapshot, and a tenant
    without PIM is not told that eligible assignments were missed."""
    for tenant in results.tenants:
        for result in tenant.results:
            assert "(Graph 4" not in result.summary and "(ARM 4" not in result.summary, (tenant.display_name, result.check_id)
            assert "Eligible assignments not counted: role_eligibility_schedules is not_licensed" not in result.summary


# --- Azure governance and CST-4 (wave 2) ---------------------------------------------------------------

AZURE_GOVERNANCE = {
    "AZR-1": {Status.PASS, Status.FAIL, Status.UNKNOWN},
    "AZR-2": {Status.PASS, Status.FAIL, Status.UNKNOWN},
    "AZR-3": {Status.PASS, Status.FAIL, Status.UNKNOWN},
    "AZR-4": {Status.PASS, Status.FAIL, Status.UNKNOWN},
    "AZR-5": {Status.PASS, Status.FAIL, Status.UNKNOWN},
    "CST-4": {Status.PASS, Status.MANUAL, Status.UNKNOWN},  # CST-4 lists creations for review: never FAIL
}


def test_every_azure_governance_check_shows_each_of_its_outcomes(results):
    missing = {}
    for check_id, wanted in AZURE_GOVERNANCE.items():
        statuses = {r.status for t in results.tenants if t.kind == "customer" for r in t.results if r.check_id == check_id}
        if not wanted <= statuses:
            missing[check_id] = sorted(s.value for s in wanted - statuses)
    assert not missing, f"statuses no customer shows: {missing}"


def test_azr1_is_manual_where_the_partner_is_not_part_of_the_run(snapshots, registry):
    """Customers only, no config: the partner's groups are unknown, so foreign principals are for review."""
    results = evaluate(customers(snapshots), registry, NOW)
    statuses = {r.status for t in results.tenants for r in t.results if r.check_id == "AZR-1"}
    assert Status.MANUAL in statuses and Status.PASS in statuses  # PASS: no foreign principal at all
