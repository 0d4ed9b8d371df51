"""The scoring rule on hand-computed examples (weights: critical 10, high 6, medium 3, low 1)."""

import pytest

from auditor.results import Area, CheckResult, Severity, Status
from auditor.scoring import grade_for, score_results, score_tenant


def result(status: str, severity: str, area: str = "mfa", check_id: str = "X-1") -> CheckResult:
    return CheckResult(check_id=check_id, title="t", area=Area(area), severity=Severity(severity),
                       status=Status(status), summary="s")


def test_score_and_coverage_by_hand():
    results = [
        result("PASS", "critical"),   # 10 passed
        result("FAIL", "high"),       # 6 failed
        result("PASS", "medium"),     # 3 passed
        result("UNKNOWN", "high"),    # 6 applicable, unscored
        result("ACCEPTED", "medium"), # 3 applicable, unscored
        result("NOT_APPLICABLE", "critical"),  # outside everything
        result("MANUAL", "low"),      # 1 applicable, unscored
        result("ERROR", "low"),       # 1 applicable, unscored
    ]
    score = score_results(results)
    # 100 * 13 / 19 = 68.42; coverage 19 / 30
    assert score.score == pytest.approx(68.4)
    assert score.coverage == pytest.approx(0.633)
    assert score.grade == "D"  # 68.4 is at least 60


def test_critical_fail_caps_grade_at_d():
    results = [result("FAIL", "critical")] + [result("PASS", "critical", check_id=f"P-{i}") for i in range(19)]
    score = score_results(results)
    assert score.score == pytest.approx(95.0)
    assert score.grade == "D"


def test_high_fail_does_not_cap():
    results = [result("FAIL", "high")] + [result("PASS", "critical", check_id=f"P-{i}") for i in range(10)]
    assert score_results(results).score == pytest.approx(94.3)
    assert score_results(results).grade == "A"


@pytest.mark.parametrize(
    ("score", "critical", "grade"),
    [(100, False, "A"), (90, False, "A"), (89.9, False, "B"), (80, False, "B"), (70, False, "C"),
     (60, False, "D"), (59.9, False, "F"), (95, True, "D"), (50, True, "F"), (None, False, "–")],
)
def test_grade_boundaries(score, critical, grade):
    assert grade_for(score, critical) == grade


def test_nothing_scored_has_no_score():
    score = score_results([result("UNKNOWN", "high"), result("MANUAL", "medium")])
    assert score.score is None and score.coverage == 0.0 and score.grade == "–"


def test_all_not_applicable_has_zero_coverage():
    assert score_results([result("NOT_APPLICABLE", "high")]).coverage == 0.0


def test_area_subscores_use_the_same_rule():
    results = [
        result("PASS", "high", "mfa"), result("FAIL", "medium", "mfa"),    # mfa 6/9
        result("FAIL", "low", "cost"), result("UNKNOWN", "high", "cost"),  # cost 0/1, coverage 1/7
    ]
    tenant = score_tenant(results)
    assert tenant.areas["mfa"].score == pytest.approx(66.7)
    assert tenant.areas["mfa"].coverage == pytest.approx(1.0)
    assert tenant.areas["cost"].score == pytest.approx(0.0)
    assert tenant.areas["cost"].coverage == pytest.approx(0.143)
    assert "defender" not in tenant.areas
    assert tenant.score == pytest.approx(60.0)  # 6 / 10
