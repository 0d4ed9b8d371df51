from dataclasses import replace

import pytest

from auditor.evaluate import run_check
from auditor.registry import CheckContext, CheckSettings, Registry
from auditor.results import Status
from auditor.snapshot import Section, SectionStatus
from tests.builders import NOW, forbidden, make_snapshot, subscription

REGISTRY = Registry.from_modules("checks.defender")
CTX = CheckContext(now=NOW)
SUB_A = "20ff7fc3-e762-44dd-bd96-b71116dcdc23"
SUB_B = "d34fd44c-ebfa-4a9c-bceb-9eeafe72ac15"


def run(check_id, snapshot, ctx=CTX):
    return run_check(REGISTRY.get(check_id), snapshot, ctx)


def pricing(sub_id: str, name: str, tier: str) -> dict:
    """One plan as ARM's Microsoft.Security/pricings list returns it (2024-01-01)."""
    properties = {"pricingTier": tier, "freeTrialRemainingTime": "PT0S", "enforce": "False",
                  "resourcesCoverageStatus": "FullyCovered" if tier == "Standard" else "NotCovered"}
    if tier == "Standard":
        properties["enablementTime"] = "2023-03-01T12:42:42.1921106Z"
    return {
        "id": f"/subscriptions/{sub_id}/providers/Microsoft.Security/pricings/{name}",
        "name": name,
        "type": "Microsoft.Security/pricings",
        "properties": properties,
    }


def pricings(
    sub_id: str,
    standard=("VirtualMachines", "StorageAccounts", "KeyVaults", "Arm"),
    free=("AppServices", "SqlServers"),
) -> list[dict]:
    return [pricing(sub_id, n, "Standard") for n in standard] + [pricing(sub_id, n, "Free") for n in free]


def all_free(sub_id: str) -> list[dict]:
    return pricings(sub_id, standard=(), free=("VirtualMachines", "StorageAccounts", "KeyVaults", "Arm", "AppServices"))


# What the collector records for ARM's first answer 409 MissingSubscriptionRegistration.
UNREGISTERED = Section.missing(
    SectionStatus.NOT_FOUND,
    "the resource provider is not registered (ARM 409 MissingSubscriptionRegistration: The subscription is not "
    "registered to use namespace 'Microsoft.Security')",
)


# --- DEF-1 ---

def test_def1_pass_free_tier_counts():
    result = run("DEF-1", make_snapshot(subscriptions=[subscription(SUB_A, "Production", pricings=all_free(SUB_A))]))
    assert result.status is Status.PASS
    assert "free" in result.evidence[0]["detail"]


def test_def1_fail_when_pricings_absent():
    result = run("DEF-1", make_snapshot(subscriptions=[
        subscription(SUB_A, "Production", pricings=pricings(SUB_A)),
        subscription(SUB_B, "Development", pricings=[]),
    ]))
    assert result.status is Status.FAIL
    assert [row["subscription_id"] for row in result.evidence] == [SUB_B]


def test_def1_fail_when_security_provider_unregistered():
    result = run("DEF-1", make_snapshot(subscriptions=[subscription(SUB_A, "Production", pricings=UNREGISTERED)]))
    assert result.status is Status.FAIL
    assert "not registered" in result.evidence[0]["detail"]


@pytest.mark.parametrize("check_id", ["DEF-1", "DEF-2"])
def test_error_mentioning_registration_is_unknown_not_fail(check_id):
    # The reason text is never parsed: only the collector's not_found classification means "not registered".
    error = Section.missing(SectionStatus.ERROR, "page 2 failed: ARM 409 MissingSubscriptionRegistration: the "
                            "subscription is not registered; the list was not read whole")
    result = run(check_id, make_snapshot(subscriptions=[subscription(SUB_A, "Production", pricings=error)]))
    assert result.status is Status.UNKNOWN


def test_def1_fail_when_pricings_not_found():
    not_found = Section.missing(SectionStatus.NOT_FOUND, "ARM answered 404")
    result = run("DEF-1", make_snapshot(subscriptions=[subscription(SUB_A, pricings=not_found)]))
    assert result.status is Status.FAIL


def test_def1_unknown_when_forbidden():
    result = run("DEF-1", make_snapshot(subscriptions=[subscription(SUB_A, pricings=forbidden("Security Reader"))]))
    assert result.status is Status.UNKNOWN
    assert "Security Reader" in result.summary


def test_def1_not_applicable_without_subscriptions():
    assert run("DEF-1", make_snapshot(subscriptions=[])).status is Status.NOT_APPLICABLE


# --- DEF-2 ---

def test_def2_pass_all_required_plans_standard():
    result = run("DEF-2", make_snapshot(subscriptions=[subscription(SUB_A, pricings=pricings(SUB_A))]))
    assert result.status is Status.PASS


def test_def2_fail_names_plans_that_are_free_or_missing():
    plans = pricings(SUB_A, standard=("VirtualMachines", "Arm"), free=("StorageAccounts",))  # KeyVaults absent
    result = run("DEF-2", make_snapshot(subscriptions=[subscription(SUB_A, "Production", pricings=plans)]))
    assert result.status is Status.FAIL
    detail = result.evidence[0]["detail"]
    assert "StorageAccounts" in detail and "KeyVaults" in detail
    assert "VirtualMachines" not in detail


def test_def2_required_plans_come_from_settings():
    plans = pricings(SUB_A, standard=("VirtualMachines",), free=("StorageAccounts", "KeyVaults", "Arm"))
    snapshot = make_snapshot(subscriptions=[subscription(SUB_A, pricings=plans)])
    assert run("DEF-2", snapshot).status is Status.FAIL
    narrow = CheckContext(now=NOW, settings=replace(CheckSettings(), defender_required_plans=("VirtualMachines",)))
    assert run("DEF-2", snapshot, narrow).status is Status.PASS


def test_def2_forbidden_and_failing_fails_forbidden_and_passing_is_unknown():
    failing = subscription(SUB_B, "Development", pricings=all_free(SUB_B))
    passing = subscription(SUB_B, "Development", pricings=pricings(SUB_B))
    blocked = subscription(SUB_A, "Production", pricings=forbidden("Security Reader"))
    assert run("DEF-2", make_snapshot(subscriptions=[blocked, failing])).status is Status.FAIL
    assert run("DEF-2", make_snapshot(subscriptions=[blocked, passing])).status is Status.UNKNOWN


def test_def2_not_applicable_without_subscriptions():
    assert run("DEF-2", make_snapshot(subscriptions=[])).status is Status.NOT_APPLICABLE


# --- DEF-3 ---

def secure_score(current: float, maximum: float = 697.0) -> list[dict]:
    """Shaped like GET /security/secureScores?$top=1 ($select applied)."""
    return [{
        "id": "00000001-0001-0001-0001-000000000001c_2026-11-25",
        "azureTenantId": "00000001-0001-0001-0001-000000000001c",
        "createdDateTime": "2026-11-25T15:21:00Z",
        "currentScore": current,
        "maxScore": maximum,
        "averageComparativeScores": [
            {"basis": "AllTenants", "averageScore": 37.0},
            {"basis": "TotalSeats", "averageScore": 46.0},
            {"basis": "IndustryTypes", "averageScore": 109.0},
        ],
    }]


def test_def3_pass_above_threshold_shows_comparatives():
    result = run("DEF-3", make_snapshot(secure_scores=secure_score(450.0)))
    assert result.status is Status.PASS
    bases = [row["basis"] for row in result.evidence]
    assert bases == ["This tenant", "Average: AllTenants", "Average: TotalSeats", "Average: IndustryTypes"]
    assert len({tuple(sorted(row)) for row in result.evidence}) == 1


def test_def3_fail_below_threshold():
    result = run("DEF-3", make_snapshot(secure_scores=secure_score(387.0)))  # 55.5 %
    assert result.status is Status.FAIL
    assert result.evidence[0]["percent"] == 55.5


def test_def3_threshold_is_configurable_and_partner_tenants_apply():
    snapshot = make_snapshot(kind="partner", secure_scores=secure_score(387.0))
    lenient = CheckContext(now=NOW, settings=replace(CheckSettings(), secure_score_threshold=0.5))
    assert run("DEF-3", snapshot, lenient).status is Status.PASS
    assert REGISTRY.get("DEF-3").applies(snapshot.tenant.kind)


def test_def3_unknown_on_empty_list_or_zero_max():
    assert run("DEF-3", make_snapshot(secure_scores=[])).status is Status.UNKNOWN
    assert run("DEF-3", make_snapshot(secure_scores=secure_score(0.0, 0.0))).status is Status.UNKNOWN


def test_def3_unknown_when_forbidden():
    result = run("DEF-3", make_snapshot(secure_scores=forbidden("SecurityEvents.Read.All")))
    assert result.status is Status.UNKNOWN
    assert "SecurityEvents.Read.All" in result.summary


def test_def3_chooses_the_latest_score_by_date_not_position():
    older = {**secure_score(300.0)[0], "id": "t_2026-11-24", "createdDateTime": "2026-11-24T15:21:00Z"}
    newer = {**secure_score(450.0)[0], "id": "t_2026-11-25", "createdDateTime": "2026-11-25T15:21:00Z"}
    result = run("DEF-3", make_snapshot(secure_scores=[older, newer]))  # oldest first: position would mislead
    assert result.status is Status.PASS
    assert result.evidence[0]["date"] == "2026-11-25T15:21:00Z"


def test_def3_unknown_when_several_scores_and_one_is_undated():
    undated = {**secure_score(450.0)[0], "createdDateTime": None}
    result = run("DEF-3", make_snapshot(secure_scores=[undated] + secure_score(300.0)))
    assert result.status is Status.UNKNOWN
    assert "createdDateTime" in result.summary


@pytest.mark.parametrize("code", ["MissingSubscriptionRegistration", "SubscriptionNotRegistered"])
def test_collector_classifies_arm_provider_not_registered_codes(code):
    """ARM answers 409 with either code for an unregistered resource provider; both are the documented
    "not registered" answer that DEF-1/DEF-2 judge as FAIL (on a list's first page only, see auditor/collect)."""
    import json

    from auditor.collect.answers import failure

    body = json.dumps({"error": {"code": code, "message": "The subscription is not registered to use namespace "
                                                          "'Microsoft.Security'."}})
    fetched = failure("pricings", 409, body, arm=True, subscription_id=SUB_A)
    assert fetched.status is SectionStatus.NOT_FOUND
    section = Section.missing(fetched.status, fetched.reason)
    assert run("DEF-1", make_snapshot(subscriptions=[subscription(SUB_A, "Production", pricings=section)])).status \
        is Status.FAIL
