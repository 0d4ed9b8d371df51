"""The evaluation engine: UNKNOWN gating, NOT_APPLICABLE, ERROR isolation, risk acceptance, ordering."""

from datetime import date
import types

import pytest

from auditor.config import RiskAcceptance
from auditor.evaluate import evaluate, evaluate_tenant, find_acceptance
from auditor.registry import Outcome, Registry, RegistryError, check
from auditor.results import Status
from tests.builders import NOW, forbidden, make_snapshot, not_licensed, subscription


def build_module():
    module = types.ModuleType("fake_checks")

    @check(id="T-1", title="Org present", area="contacts", severity="high", applies_to=["customer", "partner"],
           needs=["organization"], remediation="Fix it.")
    def org_present(snapshot, ctx):
        """Org present.

        Why it matters."""
        return Outcome(Status.FAIL if not snapshot.data("organization")[0].get("ok") else Status.PASS, "org")

    @check(id="T-2", title="Crashes", area="mfa", severity="critical", applies_to=["customer"])
    def crashes(snapshot, ctx):
        raise KeyError("displayName")

    @check(id="T-3", title="Budgets", area="cost", severity="medium", applies_to=["customer"], needs=["budgets"])
    def budgets(snapshot, ctx):
        return Outcome(Status.PASS, f"{len(snapshot.azure_subscriptions)} subscriptions")

    @check(id="T-4", title="Partner only", area="partner", severity="low", applies_to=["partner"])
    def partner_only(snapshot, ctx):
        return Outcome(Status.PASS, "partner")

    for function in (org_present, crashes, budgets, partner_only):
        function.__module__ = module.__name__
        setattr(module, function.__name__, function)
    return module


REGISTRY = Registry.from_modules(build_module())


def statuses(tenant):
    return {r.check_id: r.status for r in tenant.results}


def test_needed_section_not_ok_gives_unknown_with_reason():
    tenant = evaluate_tenant(make_snapshot(organization=forbidden("Organization.Read.All")), REGISTRY, NOW)
    result = next(r for r in tenant.results if r.check_id == "T-1")
    assert result.status is Status.UNKNOWN
    assert "forbidden" in result.summary and "Organization.Read.All" in result.summary


def test_crash_becomes_error_and_the_run_goes_on():
    tenant = evaluate_tenant(make_snapshot(organization=[{"ok": True}]), REGISTRY, NOW)
    assert statuses(tenant)["T-2"] is Status.ERROR
    assert "KeyError" in next(r.summary for r in tenant.results if r.check_id == "T-2")
    assert statuses(tenant)["T-1"] is Status.PASS


def test_subscription_checks():
    no_azure = evaluate_tenant(make_snapshot(subscriptions=[]), REGISTRY, NOW)
    assert statuses(no_azure)["T-3"] is Status.NOT_APPLICABLE
    unreadable = evaluate_tenant(make_snapshot(subscriptions=forbidden("Reader")), REGISTRY, NOW)
    assert statuses(unreadable)["T-3"] is Status.UNKNOWN
    uncollected = evaluate_tenant(make_snapshot(), REGISTRY, NOW)
    assert statuses(uncollected)["T-3"] is Status.UNKNOWN
    with_azure = evaluate_tenant(make_snapshot(subscriptions=[subscription("s1", budgets=[])]), REGISTRY, NOW)
    assert statuses(with_azure)["T-3"] is Status.PASS


def test_applies_to_filters_checks_by_tenant_kind():
    customer = evaluate_tenant(make_snapshot(), REGISTRY, NOW)
    partner = evaluate_tenant(make_snapshot(kind="partner"), REGISTRY, NOW)
    assert set(statuses(customer)) == {"T-1", "T-2", "T-3"}
    assert set(statuses(partner)) == {"T-1", "T-4"}


def acceptance(tenant="*", expires=date(2027, 3, 31), check_id="T-1"):
    return RiskAcceptance(check=check_id, tenant=tenant, reason="Replacing the mail gateway in Q1",
                          owner="ciso@contoso.com", expires=expires)


def test_unexpired_acceptance_turns_fail_into_accepted():
    tenant = evaluate_tenant(make_snapshot(organization=[{"ok": False}]), REGISTRY, NOW, acceptances=[acceptance()])
    result = next(r for r in tenant.results if r.check_id == "T-1")
    assert result.status is Status.ACCEPTED
    assert result.acceptance.owner == "ciso@contoso.com" and not result.acceptance.expired


def test_expired_acceptance_no_longer_applies_and_is_flagged():
    tenant = evaluate_tenant(make_snapshot(organization=[{"ok": False}]), REGISTRY, NOW,
                             acceptances=[acceptance(expires=date(2026, 9, 30))])
    result = next(r for r in tenant.results if r.check_id == "T-1")
    assert result.status is Status.FAIL
    assert result.acceptance.expired


def test_acceptance_does_not_touch_pass_or_other_tenants():
    passing = evaluate_tenant(make_snapshot(organization=[{"ok": True}]), REGISTRY, NOW, acceptances=[acceptance()])
    assert statuses(passing)["T-1"] is Status.PASS
    other = evaluate_tenant(make_snapshot(organization=[{"ok": False}]), REGISTRY, NOW,
                            acceptances=[acceptance(tenant="another-tenant")])
    assert statuses(other)["T-1"] is Status.FAIL


def test_tenant_specific_acceptance_wins_over_all_tenants():
    snapshot = make_snapshot()
    chosen = find_acceptance(
        [acceptance(expires=date(2028, 1, 1)), acceptance(tenant=snapshot.tenant.id, expires=date(2026, 1, 1))],
        "T-1", snapshot.tenant.id,
    )
    assert chosen.tenant == snapshot.tenant.id


def test_evaluate_scores_and_orders_partner_first():
    snapshots = [make_snapshot(name="Zeta", organization=[{"ok": True}]),
                 make_snapshot(kind="partner", tenant_id="p", name="Partner", organization=[{"ok": True}]),
                 make_snapshot(tenant_id="a", name="Alpha", organization=[{"ok": False}])]
    results = evaluate(snapshots, REGISTRY, NOW, run_id="r1")
    assert [t.display_name for t in results.tenants] == ["Partner", "Alpha", "Zeta"]
    alpha = results.tenants[1]
    # T-1 high FAIL is the only scored result: coverage 6 / 19 is under the floor, so no letter grade
    assert alpha.score == 0.0 and alpha.grade == "Incomplete"
    assert results.tenants[2].score == 100.0
    assert results.run_id == "r1" and results.generated_at == NOW


def test_duplicate_ids_are_a_load_time_error():
    with pytest.raises(RegistryError, match="duplicate check id T-1"):
        Registry.from_modules(build_module(), build_module())


def test_unknown_needed_section_is_refused_unless_namespaced():
    with pytest.raises(RegistryError, match="unknown section"):
        check(id="X-1", title="x", area="mfa", severity="low", applies_to=["customer"], needs=["userz"])(
            lambda s, c: None)
    check(id="X-2", title="x", area="mfa", severity="low", applies_to=["customer"], needs=["vendor.things"])(
        lambda s, c: None)


def test_check_returning_wrong_type_is_error():
    module = types.ModuleType("bad")

    @check(id="B-1", title="bad", area="mfa", severity="low", applies_to=["customer"])
    def bad(snapshot, ctx):
        return "PASS"

    bad.__module__ = "bad"
    module.bad = bad
    tenant = evaluate_tenant(make_snapshot(), Registry.from_modules(module), NOW)
    assert tenant.results[0].status is Status.ERROR


def test_not_licensed_reason_reaches_summary():
    tenant = evaluate_tenant(make_snapshot(organization=not_licensed()), REGISTRY, NOW)
    result = next(r for r in tenant.results if r.check_id == "T-1")
    assert result.status is Status.UNKNOWN and "Microsoft Entra ID P1" in result.summary
