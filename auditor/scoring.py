"""The scoring rule (CHECKLIST.md "Scoring, version 3"), per tenant and per area, and the portfolio tables
across tenants.

Weights: critical 10, high 6, medium 3, low 1. Score = 100 × Σw(PASS) / Σw(PASS + FAIL + ACCEPTED): an
accepted risk earns no points, as "risk accepted" earns none in Microsoft Secure Score (the config switch
``accepted_risk = "excluded"`` leaves ACCEPTED out of score and coverage instead). MANUAL, UNKNOWN,
NOT_APPLICABLE and ERROR are outside the score; coverage = Σw(scored) / Σw(applicable), where applicable is
every result but NOT_APPLICABLE. Grade A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, else F; any critical FAIL (or critical
ACCEPTED when accepted risks count) caps the grade at D. Below the coverage floor (75 % by default), or with
nothing scored, the grade is "Incomplete". Scores and coverage are rounded once, here, with the one rounding
rule of every output (auditor.results.round_half_up), and the grade is given from the rounded figures, so a
printed 75.0 % coverage is graded and a printed 89.9 is a B. pandas is imported only for the portfolio tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from auditor.results import (
    INCOMPLETE,
    AcceptedRisk,
    Area,
    AreaScore,
    CheckResult,
    ScoringRule,
    Severity,
    Status,
    round_half_up,
)

if TYPE_CHECKING:
    import pandas as pd

    from auditor.results import AuditResults

GRADE_FLOORS: tuple[tuple[str, float], ...] = (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0))
CURRENT_RULE = ScoringRule()


@dataclass(frozen=True)
class Score:
    score: float | None
    coverage: float
    grade: str
    capped: bool = False  # a critical FAIL (or counted critical ACCEPTED) limited the grade to D


@dataclass(frozen=True)
class TenantScore(Score):
    areas: dict[str, AreaScore] | None = None


def scored_statuses(rule: ScoringRule) -> tuple[Status, ...]:
    """The statuses in the score's denominator under ``rule``."""
    if rule.accepted_risk is AcceptedRisk.COUNTED:
        return (Status.PASS, Status.FAIL, Status.ACCEPTED)
    return (Status.PASS, Status.FAIL)


def letter_for(score: float, has_critical_fail: bool) -> str:
    """The letter for a score (0–100); a critical failure caps it at D."""
    grade = next((letter for letter, floor in GRADE_FLOORS if score >= floor), "F")
    if has_critical_fail and grade in ("A", "B", "C"):
        return "D"
    return grade


def grade_for(score: float | None, has_critical_fail: bool, coverage: float = 1.0,
              min_coverage: float = CURRENT_RULE.min_coverage) -> str:
    """The grade: "Incomplete" with nothing scored or below the coverage floor, else the (capped) letter."""
    if score is None or coverage < min_coverage:
        return INCOMPLETE
    return letter_for(score, has_critical_fail)


def score_results(results: Iterable[CheckResult], rule: ScoringRule = CURRENT_RULE) -> Score:
    """Score, coverage (a fraction, 3 decimals) and grade of ``results`` under ``rule``."""
    counted = scored_statuses(rule)
    passed = scored = applicable = 0
    capped = False
    for result in results:
        if result.status is Status.NOT_APPLICABLE:
            continue
        weight = result.severity.weight
        applicable += weight
        if result.status not in counted:
            continue
        scored += weight
        if result.status is Status.PASS:
            passed += weight
        elif result.severity is Severity.CRITICAL:
            capped = True  # a critical FAIL, or a critical ACCEPTED where accepted risks count
    score = round_half_up(100.0 * passed / scored) if scored else None
    coverage = round_half_up(scored / applicable, 3) if applicable else 0.0
    grade = grade_for(score, capped, coverage, rule.min_coverage)
    return Score(score=score, coverage=coverage, grade=grade, capped=capped and grade == "D")


def score_tenant(results: list[CheckResult], rule: ScoringRule = CURRENT_RULE) -> TenantScore:
    """The tenant's score and, per area with results, the area's score under the same rule."""
    overall = score_results(results, rule)
    areas: dict[str, AreaScore] = {}
    for area in Area:
        in_area = [r for r in results if r.area is area]
        if in_area:
            sub = score_results(in_area, rule)
            areas[area.value] = AreaScore(score=sub.score, coverage=sub.coverage, grade=sub.grade)
    return TenantScore(score=overall.score, coverage=overall.coverage, grade=overall.grade,
                       capped=overall.capped, areas=areas)


def area_table(results: "AuditResults") -> "pd.DataFrame":
    """Tenant × area scores (NaN where an area has nothing scored), ranked: graded tenants by score, then
    incomplete ones by score (an incomplete tenant's score rests on too little to rank it among the rest)."""
    import pandas as pd

    rows = [
        {
            "tenant_id": t.tenant_id,
            "tenant": t.display_name,
            "kind": t.kind,
            "score": t.score,
            "grade": t.grade,
            "coverage": t.coverage,
            "incomplete": t.incomplete,
            **{area.value: (t.areas[area.value].score if area.value in t.areas else None) for area in Area},
        }
        for t in results.tenants
    ]
    columns = ["tenant_id", "tenant", "kind", "score", "grade", "coverage", "incomplete", *[a.value for a in Area]]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["incomplete", "score", "tenant"], ascending=[True, False, True],
                             na_position="last").reset_index(drop=True)


def common_failures(results: "AuditResults", top: int | None = 10) -> "pd.DataFrame":
    """The checks failing in the most tenants, ordered by severity weight × tenants affected (a critical
    check failing in two tenants outranks a low one failing in ten), then tenants, then check id: columns
    check_id, title, severity, tenants (count), tenant_names (every one, sorted), impact (weight × tenants)."""
    import pandas as pd

    rows = [
        {"check_id": r.check_id, "title": r.title, "severity": r.severity.value,
         "weight": r.severity.weight, "tenant": t.display_name}
        for t in results.tenants
        for r in t.results
        if r.status is Status.FAIL
    ]
    columns = ["check_id", "title", "severity", "tenants", "tenant_names", "impact"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    grouped = (
        frame.groupby(["check_id", "title", "severity", "weight"], as_index=False)
        .agg(tenants=("tenant", "nunique"), tenant_names=("tenant", lambda names: sorted(set(names))))
    )
    grouped["impact"] = grouped["weight"] * grouped["tenants"]
    grouped = grouped.sort_values(["impact", "tenants", "check_id"], ascending=[False, False, True])
    grouped = grouped[columns].reset_index(drop=True)
    return grouped.head(top) if top else grouped
