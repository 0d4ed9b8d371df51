"""The subscription helper (checks/azure.py): judging each subscription and combining the verdicts."""

from datetime import datetime, timezone

from auditor.evaluate import run_check
from auditor.registry import CheckContext, check
from auditor.results import Status
from auditor.snapshot import Section, SectionStatus, SubscriptionSnapshot
from checks.azure import Verdict, evaluate_subscriptions, first_working, parse_time
from tests.builders import NOW, forbidden, make_snapshot, subscription

CTX = CheckContext(now=NOW)
SUB_A = "20ff7fc3-e762-44dd-bd96-b71116dcdc23"
SUB_B = "d34fd44c-ebfa-4a9c-bceb-9eeafe72ac15"


def budget(name: str) -> dict:
    return {
        "id": f"subscriptions/{SUB_A}/providers/Microsoft.Consumption/budgets/{name}",
        "name": name,
        "type": "Microsoft.Consumption/budgets",
        "properties": {"category": "Cost", "amount": 100.0, "timeGrain": "Monthly"},
    }


def judge_has_budget(sub: SubscriptionSnapshot) -> Verdict:
    """A toy judge: a subscription passes when its budgets list is non-empty."""
    if sub.sections["budgets"].data:
        return Verdict.passed("has a budget")
    return Verdict.failed("no budget")


def evaluate(snapshot, **kwargs):
    return evaluate_subscriptions(
        snapshot, ["budgets"], judge_has_budget, fails="have no budget", passes="have a budget", **kwargs
    )


# A check defined only for these tests, so the engine's gating is exercised through the real run_check.
@check(id="TST-1", title="test", area="cost", severity="low", applies_to=["customer"], needs=["budgets"])
def toy_check(snapshot, ctx):
    return evaluate(snapshot)


def test_all_subscriptions_pass():
    outcome = evaluate(make_snapshot(subscriptions=[
        subscription(SUB_A, "Production", budgets=[budget("a")]),
        subscription(SUB_B, "Development", budgets=[budget("b")]),
    ]))
    assert outcome.status is Status.PASS
    assert {row["subscription_id"] for row in outcome.evidence} == {SUB_A, SUB_B}


def test_one_failing_subscription_fails_and_is_named_by_name_and_id():
    outcome = evaluate(make_snapshot(subscriptions=[
        subscription(SUB_A, "Production", budgets=[budget("a")]),
        subscription(SUB_B, "Development", budgets=[]),
    ]))
    assert outcome.status is Status.FAIL
    assert "Development" in outcome.summary and SUB_B in outcome.summary
    assert "Production" not in outcome.summary
    assert outcome.evidence == [
        {"subscription": "Development", "subscription_id": SUB_B, "result": "FAIL", "detail": "no budget"}
    ]


def test_forbidden_and_failing_subscriptions_fail():
    outcome = evaluate(make_snapshot(subscriptions=[
        subscription(SUB_A, "Production", budgets=forbidden("Cost Management Reader")),
        subscription(SUB_B, "Development", budgets=[]),
    ]))
    assert outcome.status is Status.FAIL
    results = {row["subscription"]: row["result"] for row in outcome.evidence}
    assert results == {"Development": "FAIL", "Production": "UNKNOWN"}


def test_forbidden_and_passing_subscriptions_are_unknown_naming_status_and_reason():
    outcome = evaluate(make_snapshot(subscriptions=[
        subscription(SUB_A, "Production", budgets=forbidden("Cost Management Reader")),
        subscription(SUB_B, "Development", budgets=[budget("b")]),
    ]))
    assert outcome.status is Status.UNKNOWN
    assert "Production" in outcome.summary
    assert "forbidden" in outcome.summary and "Cost Management Reader" in outcome.summary
    unknown_rows = [row for row in outcome.evidence if row["result"] == "UNKNOWN"]
    assert [row["subscription_id"] for row in unknown_rows] == [SUB_A]


def test_subscription_listed_but_not_collected_is_unknown():
    snapshot = make_snapshot(
        subscriptions=[subscription(SUB_A, "Production", budgets=[budget("a")])],
    )
    listed = snapshot.data("subscriptions") + [
        {"id": f"/subscriptions/{SUB_B}", "subscriptionId": SUB_B, "displayName": "Forgotten", "state": "Enabled"}
    ]
    snapshot.sections["subscriptions"] = Section.of(listed)
    outcome = evaluate(snapshot)
    assert outcome.status is Status.UNKNOWN
    assert "Forgotten" in outcome.summary and "not_collected" in outcome.summary


def test_on_missing_hook_can_turn_a_section_into_a_fail():
    not_found = Section.missing(SectionStatus.NOT_FOUND, "provider not registered")

    def missing_is_fail(sub, name, section):
        return Verdict.failed("absent") if section.status is SectionStatus.NOT_FOUND else None

    snapshot = make_snapshot(subscriptions=[subscription(SUB_A, "Production", budgets=not_found)])
    assert evaluate(snapshot).status is Status.UNKNOWN
    assert evaluate(snapshot, on_missing=missing_is_fail).status is Status.FAIL


def test_evidence_rows_share_keys():
    outcome = evaluate(make_snapshot(subscriptions=[
        subscription(SUB_A, "Production", budgets=forbidden()),
        subscription(SUB_B, "Development", budgets=[]),
    ]))
    assert len({tuple(sorted(row)) for row in outcome.evidence}) == 1


def test_engine_returns_not_applicable_without_subscriptions():
    result = run_check(toy_check.__auditor_check__, make_snapshot(subscriptions=[]), CTX)
    assert result.status is Status.NOT_APPLICABLE


def test_engine_returns_unknown_when_subscription_list_is_unreadable():
    snapshot = make_snapshot(subscriptions=[subscription(SUB_A, budgets=[])])
    # `subscriptions` is also make_snapshot's parameter name, so the section is replaced afterwards.
    snapshot.sections["subscriptions"] = forbidden("Reader on the subscriptions")
    result = run_check(toy_check.__auditor_check__, snapshot, CTX)
    assert result.status is Status.UNKNOWN
    assert "subscriptions" in result.summary


def test_check_runs_through_engine_and_fails():
    snapshot = make_snapshot(subscriptions=[subscription(SUB_A, "Production", budgets=[])])
    assert run_check(toy_check.__auditor_check__, snapshot, CTX).status is Status.FAIL


def test_parse_time_reads_graph_and_arm_formats():
    assert parse_time("2024-02-10T11:24:42.3148266Z") == datetime(2024, 2, 10, 11, 24, 42, 314826, tzinfo=timezone.utc)
    assert parse_time("2024-02-10T11:24:42") == datetime(2024, 2, 10, 11, 24, 42, tzinfo=timezone.utc)
    assert parse_time(None) is None
    assert parse_time("not a date") is None


def test_first_working_passes_on_any_working_item_and_otherwise_lists_every_problem():
    def problem(item):
        return None if item["ok"] else f"{item['name']}: broken"

    def works(item):
        return f"{item['name']} works"

    items = [{"name": "a", "ok": False}, {"name": "b", "ok": True}]
    assert first_working(items, problem, none="nothing", works=works) == Verdict.passed("b works")
    broken = [{"name": "a", "ok": False}, {"name": "c", "ok": False}]
    assert first_working(broken, problem, none="nothing", works=works) == Verdict.failed("a: broken; c: broken")
    assert first_working([], problem, none="nothing", works=works) == Verdict.failed("nothing")
