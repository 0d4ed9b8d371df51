"""The scoring rule, version 3, on hand-computed examples (weights: critical 10, high 6, medium 3, low 1)."""

import pytest

from auditor.results import (
    INCOMPLETE,
    AcceptedRisk,
    Area,
    CheckResult,
    ScoringRule,
    Severity,
    Status,
    fmt_coverage,
    fmt_score,
    round_half_up,
    score_change,
)
from auditor.scoring import grade_for, score_results, score_tenant

EXCLUDED = ScoringRule(accepted_risk=AcceptedRisk.EXCLUDED)


def result(status: str, severity: str, area: str = "mfa", check_id: str = "X-1") -> CheckResult:
    return CheckResult(check_id=check_id, title="t", area=Area(area), severity=Severity(severity),
                       status=Status(status), summary="s")


MIXED = [
    result("PASS", "critical"),   # 10 passed
    result("FAIL", "high"),       # 6 failed
    result("PASS", "medium"),     # 3 passed
    result("UNKNOWN", "high"),    # 6 applicable, unscored
    result("ACCEPTED", "medium"), # 3: scored as not met (version 3), or outside (excluded)
    result("NOT_APPLICABLE", "critical"),  # outside everything
    result("MANUAL", "low"),      # 1 applicable, unscored
    result("ERROR", "low"),       # 1 applicable, unscored
]


def test_accepted_risk_earns_no_points_by_hand():
    score = score_results(MIXED)
    # 100 * 13 / (13 + 6 + 3) = 59.09; coverage 22 / 30 = 0.733, under the 75 % floor
    assert score.score == pytest.approx(59.1)
    assert score.coverage == pytest.approx(0.733)
    assert score.grade == INCOMPLETE


def test_the_excluded_switch_gives_the_old_rule_by_hand():
    score = score_results(MIXED, EXCLUDED)
    # 100 * 13 / 19 = 68.42; coverage 19 / 30 = 0.633, still under the floor
    assert score.score == pytest.approx(68.4)
    assert score.coverage == pytest.approx(0.633)
    assert score.grade == INCOMPLETE
    assert score_results(MIXED, ScoringRule(accepted_risk=AcceptedRisk.EXCLUDED, min_coverage=0.6)).grade == "D"


def test_accepting_a_failure_does_not_lift_the_grade():
    failing = [result("FAIL", "high")] + [result("PASS", "high", check_id=f"P-{i}") for i in range(4)]
    accepted = [result("ACCEPTED", "high")] + failing[1:]
    # 100 * 24 / 30 = 80.0 either way: a signature does not make the tenant safer
    assert score_results(failing).score == score_results(accepted).score == pytest.approx(80.0)
    assert score_results(accepted).grade == "B"
    assert score_results(accepted, EXCLUDED).score == pytest.approx(100.0)  # the old rule did lift it


def test_critical_fail_caps_grade_at_d():
    results = [result("FAIL", "critical")] + [result("PASS", "critical", check_id=f"P-{i}") for i in range(19)]
    score = score_results(results)
    assert score.score == pytest.approx(95.0)
    assert score.grade == "D" and score.capped


def test_critical_accepted_still_caps_the_grade():
    results = [result("ACCEPTED", "critical")] + [result("PASS", "critical", check_id=f"P-{i}") for i in range(19)]
    score = score_results(results)
    assert score.score == pytest.approx(95.0)  # 190 / 200
    assert score.grade == "D" and score.capped
    old = score_results(results, EXCLUDED)
    assert old.score == pytest.approx(100.0) and old.grade == "A"  # 190 / 190, no cap under the old rule


def test_high_fail_does_not_cap():
    results = [result("FAIL", "high")] + [result("PASS", "critical", check_id=f"P-{i}") for i in range(10)]
    assert score_results(results).score == pytest.approx(94.3)
    assert score_results(results).grade == "A"


@pytest.mark.parametrize(
    ("score", "critical", "grade"),
    [(100, False, "A"), (90, False, "A"), (89.9, False, "B"), (80, False, "B"), (70, False, "C"),
     (60, False, "D"), (59.9, False, "F"), (95, True, "D"), (50, True, "F"), (None, False, INCOMPLETE)],
)
def test_grade_boundaries(score, critical, grade):
    assert grade_for(score, critical) == grade


@pytest.mark.parametrize(
    ("coverage", "grade"), [(1.0, "A"), (0.75, "A"), (0.749, INCOMPLETE), (0.06, INCOMPLETE), (0.0, INCOMPLETE)]
)
def test_no_letter_grade_below_the_coverage_floor(coverage, grade):
    assert grade_for(100.0, False, coverage) == grade


def test_a_perfect_score_on_six_percent_coverage_is_incomplete():
    # One low check passes (1), and 16 of weight 16 could not be read: 100 % of 1/17 = 5.9 % coverage.
    results = [result("PASS", "low")] + [result("UNKNOWN", "low", check_id=f"U-{i}") for i in range(16)]
    score = score_results(results)
    assert (score.score, score.coverage, score.grade) == (100.0, pytest.approx(0.059), INCOMPLETE)


def test_the_coverage_floor_is_configurable_and_judged_on_the_rounded_figure():
    # coverage 3 / 4 = 0.75 exactly: graded at the default floor; not at 0.8
    results = [result("PASS", "medium"), result("UNKNOWN", "low")]
    assert score_results(results).coverage == pytest.approx(0.75)
    assert score_results(results).grade == "A"
    assert score_results(results, ScoringRule(min_coverage=0.8)).grade == INCOMPLETE
    assert score_results([result("PASS", "low"), result("UNKNOWN", "low")], ScoringRule(min_coverage=0.0)).grade == "A"


def test_nothing_scored_has_no_score_and_is_incomplete():
    score = score_results([result("UNKNOWN", "high"), result("MANUAL", "medium")])
    assert score.score is None and score.coverage == 0.0 and score.grade == INCOMPLETE


def test_all_not_applicable_has_zero_coverage():
    assert score_results([result("NOT_APPLICABLE", "high")]).coverage == 0.0


def test_area_subscores_use_the_same_rule():
    results = [
        result("PASS", "high", "mfa"), result("FAIL", "medium", "mfa"),    # mfa 6/9
        result("FAIL", "low", "cost"), result("UNKNOWN", "high", "cost"),  # cost 0/1, coverage 1/7
        result("ACCEPTED", "high", "defender"), result("PASS", "low", "defender"),  # defender 1/7
    ]
    tenant = score_tenant(results)
    assert tenant.areas["mfa"].score == pytest.approx(66.7)
    assert tenant.areas["mfa"].coverage == pytest.approx(1.0)
    assert tenant.areas["mfa"].grade == "D"
    assert tenant.areas["cost"].score == pytest.approx(0.0)
    assert tenant.areas["cost"].coverage == pytest.approx(0.143)
    assert tenant.areas["cost"].grade == INCOMPLETE and tenant.areas["cost"].incomplete
    assert tenant.areas["defender"].score == pytest.approx(14.3)
    assert tenant.areas["defender"].grade == "F"
    assert "partner" not in tenant.areas
    assert tenant.score == pytest.approx(41.2)  # (6 + 1) / (9 + 1 + 7) = 7 / 17
    assert tenant.coverage == pytest.approx(0.739)  # 17 / 23: no tenant grade
    assert tenant.grade == INCOMPLETE


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (68.25, 1, 68.3), (68.35, 1, 68.4), (0.0625, 3, 0.063), (-2.25, 1, -2.3), (89.95, 1, 90.0), (0.7495, 3, 0.75),
])
def test_one_rounding_rule_half_away_from_zero(value, digits, expected):
    assert round_half_up(value, digits) == expected


def test_score_changes_are_the_difference_of_the_rounded_scores_shown():
    # 70.05 is shown as 70.1 and 68.04 as 68.0: the change printed beside them is 2.1, not 2.0
    assert (fmt_score(70.05), fmt_score(68.04), score_change(70.05, 68.04)) == ("70.1", "68.0", 2.1)
    assert score_change(None, 50.0) is None
    assert fmt_coverage(0.7335) == "73.4%" and fmt_score(None) == "–"
