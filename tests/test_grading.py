"""Scoring version 3 through the engine and the rendered scorecard: accepted risk earns no points, a critical
accepted risk caps the grade, no grade below the coverage floor, attestations of MANUAL checks (and their
expiry), and tenant references in the config that cannot silently miss. Every figure is computed by hand."""

import re
import types
from datetime import date, timedelta
from html import unescape

import pytest

from auditor.config import ConfigError, parse_config
from auditor.evaluate import evaluate
from auditor.registry import Outcome, Registry, check
from auditor.report import RenderContext, render_scorecard_html, resolve_brand
from auditor.results import INCOMPLETE, Status
from tests.builders import NOW, TENANT_ID, forbidden, make_snapshot


def fixed(check_id: str, severity: str, status: Status, area: str = "admins", needs: tuple[str, ...] = ()):
    @check(id=check_id, title=f"Check {check_id}", area=area, severity=severity, applies_to=["customer"],
           needs=list(needs), remediation="Do the thing.")
    def run(snapshot, ctx):
        return Outcome(status, f"{check_id} outcome.", [{"user": "admin@contoso.example"}])

    return run


def registry() -> Registry:
    """Weights: critical 10, high 6, medium 3, low 1."""
    module = types.ModuleType("grading_checks")
    functions = [
        fixed("G-1", "critical", Status.PASS),
        fixed("G-2", "critical", Status.FAIL),   # accepted in the config below
        fixed("G-3", "high", Status.PASS),
        fixed("G-4", "high", Status.PASS),
        fixed("G-5", "high", Status.PASS),
        fixed("G-6", "medium", Status.MANUAL),  # attested in the config below
        fixed("G-7", "low", Status.PASS, needs=("budgets",)),  # UNKNOWN: budgets not collected
    ]
    for index, function in enumerate(functions):
        function.__name__ = f"check_{index}"
        function.__module__ = module.__name__
        setattr(module, function.__name__, function)
    return Registry.from_modules(module)


REGISTRY = registry()
TODAY = NOW.date()


def config(extra: str = "", tenant: str = TENANT_ID, reviewed: date = TODAY - timedelta(days=10),
           scoring: str = "") -> str:
    return f"""
[[tenants]]
id = "{TENANT_ID}"
name = "Test Tenant Ltd"

[[risk_acceptances]]
check = "G-2"
tenant = "{tenant}"
reason = "Legacy app until the migration"
owner = "CIO"
expires = {(TODAY + timedelta(days=30)).isoformat()}

[[attestations]]
check = "G-6"
tenant = "{tenant}"
reviewer = "Dana Whitfield"
reviewed = {reviewed.isoformat()}
note = "Every recovery phone confirmed"
{scoring}
{extra}
"""


def snapshot(**sections):
    organization = [{"id": TENANT_ID, "verifiedDomains": [
        {"name": "contoso.example", "isDefault": True}, {"name": "contoso.onmicrosoft.com", "isDefault": False}]}]
    return make_snapshot(organization=sections.pop("organization", organization), **sections)


def tenant_of(text: str, snapshots=None):
    results = evaluate(snapshots or [snapshot()], REGISTRY, NOW, parse_config(text, "tenants.toml"))
    return results, results.tenants[0]


def by_id(tenant):
    return {r.check_id: r for r in tenant.results}


def test_version_3_by_hand_accepted_counts_attested_passes_critical_accepted_caps():
    results, tenant = tenant_of(config())
    found = by_id(tenant)
    assert found["G-2"].status is Status.ACCEPTED
    assert found["G-6"].status is Status.PASS and found["G-6"].attestation.reviewer == "Dana Whitfield"
    assert found["G-7"].status is Status.UNKNOWN
    # passed 10 + 6 + 6 + 6 + 3 = 31; scored 31 + 10 (accepted critical) = 41 → 75.6; coverage 41 / 42
    assert tenant.score == pytest.approx(75.6)
    assert tenant.coverage == pytest.approx(0.976)
    assert tenant.grade == "D"  # a C, capped by the accepted critical
    assert results.scoring.accepted_risk.value == "counted"


def test_the_excluded_switch_restores_the_old_rule_by_hand():
    results, tenant = tenant_of(config(scoring='[scoring]\naccepted_risk = "excluded"'))
    # passed 31 of 31 scored; coverage 31 / 42 = 0.738: under the 75 % floor, so no grade either
    assert (tenant.score, tenant.coverage, tenant.grade) == (100.0, pytest.approx(0.738), INCOMPLETE)
    _, tenant = tenant_of(config(scoring='[scoring]\naccepted_risk = "excluded"\nmin_coverage = 0.7'))
    assert tenant.grade == "A"  # the old rule: outside the score, and no cap
    assert results.scoring.describe() == ("scoring version 3: accepted risks excluded from the score; "
                                          "no grade below 75.0% coverage")


def test_an_attestation_older_than_its_validity_is_flagged_and_the_check_stays_manual():
    _, tenant = tenant_of(config(reviewed=TODAY - timedelta(days=90)))
    g6 = by_id(tenant)["G-6"]
    assert g6.status is Status.MANUAL
    assert g6.attestation.expired and g6.attestation.valid_until == TODAY - timedelta(days=1)
    assert "expired after 90 days" in g6.summary
    # passed 28 of 38 scored = 73.7; coverage 38 / 42 = 0.905
    assert (tenant.score, tenant.grade) == (pytest.approx(73.7), "D")
    _, fresh = tenant_of(config(reviewed=TODAY - timedelta(days=89)))
    assert by_id(fresh)["G-6"].status is Status.PASS  # 89 days old: still younger than 90


def test_an_attested_review_names_the_reviewer_and_date_in_the_result():
    _, tenant = tenant_of(config())
    g6 = by_id(tenant)["G-6"]
    reviewed = (TODAY - timedelta(days=10)).isoformat()
    assert g6.summary.startswith(f"Reviewed and attested by Dana Whitfield on {reviewed}: Every recovery phone confirmed")
    assert g6.attestation.valid_until == TODAY + timedelta(days=79)


def test_a_perfect_tenant_with_attested_reviews_reaches_full_coverage():
    module = types.ModuleType("perfect")
    for index, function in enumerate([fixed("P-1", "high", Status.PASS), fixed("P-2", "medium", Status.MANUAL)]):
        function.__name__, function.__module__ = f"c{index}", module.__name__
        setattr(module, function.__name__, function)
    text = f'[[attestations]]\ncheck = "P-2"\ntenant = "*"\nreviewer = "R"\nreviewed = {TODAY.isoformat()}\n'
    tenant = evaluate([snapshot()], Registry.from_modules(module), NOW, parse_config(text)).tenants[0]
    assert (tenant.score, tenant.coverage, tenant.grade) == (100.0, 1.0, "A")


@pytest.mark.parametrize("reference", [TENANT_ID.upper(), "contoso.example", "CONTOSO.onmicrosoft.com",
                                       "test.onmicrosoft.com", "test tenant ltd"])
def test_a_tenant_may_be_named_by_id_any_domain_or_display_name(reference):
    _, tenant = tenant_of(config(tenant=reference))
    assert by_id(tenant)["G-2"].status is Status.ACCEPTED and by_id(tenant)["G-6"].status is Status.PASS


def test_a_reference_matching_no_tenant_is_a_config_error_naming_the_entry_and_candidates():
    with pytest.raises(ConfigError) as error:
        tenant_of(config(tenant="Test Tenant"))
    message = str(error.value)
    assert message.startswith("tenants.toml:6: risk_acceptances[0] (check G-2): tenant 'Test Tenant'")
    assert "matches no tenant of this run" in message and f"Test Tenant Ltd ({TENANT_ID})" in message
    assert "\n" not in message


def test_a_reference_matching_several_tenants_names_them():
    other = make_snapshot(tenant_id="9f0e0e0e-0000-4000-8000-000000000001", name="Test Tenant Ltd")
    with pytest.raises(ConfigError, match=r"names 2 tenants .*give the tenant id"):
        tenant_of(config(tenant="Test Tenant Ltd"), [snapshot(), other])


def test_an_attestation_dated_after_the_evaluation_is_a_config_error():
    with pytest.raises(ConfigError, match=r"attestations\[0\] \(check G-6\): reviewed .* is after the evaluation"):
        tenant_of(config(reviewed=TODAY + timedelta(days=1)))


def test_a_tenant_listed_in_the_config_but_outside_the_run_is_no_error():
    # A group or shard run evaluates some tenants; entries for the others stay valid, and apply to none here.
    text = config() + '\n[[tenants]]\nid = "11111111-2222-4333-8444-555555555555"\nname = "Elsewhere Ltd"\n' + \
        '[[risk_acceptances]]\ncheck = "G-2"\ntenant = "Elsewhere Ltd"\nreason = "r"\nowner = "o"\nexpires = 2030-01-01\n'
    _, tenant = tenant_of(text)
    assert by_id(tenant)["G-2"].status is Status.ACCEPTED


# --- through the rendered scorecard -------------------------------------------------------------------


def scorecard_text(results) -> str:
    ctx = RenderContext("csp-posture-auditor", "0.1.0", results.tool.ruleset_version, results.run_id, "", NOW,
                        resolve_brand(None), "A4", {}, results.scoring)
    html = render_scorecard_html(results.tenants[0], ctx)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_scorecard_states_the_version_3_figures_and_rule():
    results, _ = tenant_of(config())
    text = scorecard_text(results)
    assert "5 of the 6 practices we could assess are in place and 1 is not, which gives a score of 75.6 out of 100 (grade D)" in text
    assert "1 of those not in place is an accepted risk" in text
    assert "An accepted critical risk limits the grade to D" in text
    assert "Reviewed by Dana Whitfield on" in text and "Attested reviews" in text
    assert "Checklist version 3, November 2026" in text and "wave" not in text.lower()
    assert "An accepted risk earns no points" in text


def test_the_scorecard_of_an_expired_attestation_flags_it():
    results, _ = tenant_of(config(reviewed=TODAY - timedelta(days=120)))
    text = scorecard_text(results)
    assert "Review attestation expired" in text and "review again" in text


def test_an_incomplete_tenant_is_never_called_strong_and_is_told_what_was_missing():
    sections = {"organization": forbidden("Organization.Read.All"), "budgets": forbidden("Budgets")}
    module = types.ModuleType("sparse")
    functions = [fixed("S-1", "low", Status.PASS)] + [
        fixed(f"S-{n}", "high", Status.PASS, needs=("role_assignments",)) for n in range(2, 5)]
    for index, function in enumerate(functions):
        function.__name__, function.__module__ = f"c{index}", module.__name__
        setattr(module, function.__name__, function)
    snap = make_snapshot(role_assignments=forbidden("RoleManagement.Read.Directory"), **sections)
    results = evaluate([snap], Registry.from_modules(module), NOW)
    tenant = results.tenants[0]
    # 1 of 19 by weight: 100 on what could be read, coverage 5.3 %
    assert (tenant.score, tenant.coverage, tenant.grade) == (100.0, pytest.approx(0.053), INCOMPLETE)
    text = scorecard_text(results)
    assert "strong" not in text
    assert "could assess only 1 of them: 5.3% of the checklist by weight" in text
    assert "A grade needs at least 75.0%, so this audit gives none (Incomplete)" in text
    assert ("3 checks could not be assessed because the audit app was not given permission to read it "
            "(role assignments). The next audit can assess them with the permission RoleManagement.Read.Directory.") in text
    cover = text.split("Executive summary")[0]
    assert "Grade Incomplete" in cover or "Incomplete Grade" in cover
    assert "100.0/100" not in text
