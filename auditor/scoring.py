"""The scoring rule (DESIGN.md), per tenant and per area, and the portfolio tables across tenants.

Weights: critical 10, high 6, medium 3, low 1. Score = 100 × Σw(PASS) / Σw(PASS + FAIL). ACCEPTED, MANUAL,
UNKNOWN, NOT_APPLICABLE and ERROR are outside the score; coverage = Σw(PASS + FAIL) / Σw(applicable), where
applicable is every result but NOT_APPLICABLE. Grade A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, else F; any critical
FAIL caps the grade at D. pandas is imported only where the portfolio tables are built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from auditor.results import Area, AreaScore, CheckResult, Severity, Status

if TYPE_CHECKING:
    import pandas as pd

    from auditor.results import AuditResults

GRADE_FLOORS: tuple[tuple[str, float], ...] = (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0))
NO_GRADE = "–"  # no PASS or FAIL at all: nothing to grade
SCORED = (Status.PASS, Status.FAIL)


@dataclass(frozen=True)
class Score:
    score: float | None
    coverage: float
    grade: str


@dataclass(frozen=True)
class TenantScore(Score):
    areas: dict[str, AreaScore]


def grade_for(score: float | None, has_critical_fail: bool) -> str:
    if score is None:
        return NO_GRADE
    grade = next((letter for letter, floor in GRADE_FLOORS if score >= floor), "F")
    if has_critical_fail and grade in ("A", "B", "C"):
        return "D"
    return grade


def score_results(results: Iterable[CheckResult]) -> Score:
    passed = scored = applicable = 0
    critical_fail = False
    for result in results:
        if result.status is Status.NOT_APPLICABLE:
            continue
        weight = result.severity.weight
        applicable += weight
        if result.status is Status.PASS:
            passed += weight
            scored += weight
        elif result.status is Status.FAIL:
            scored += weight
            critical_fail = critical_fail or result.severity is Severity.CRITICAL
    score = round(100.0 * passed / scored, 1) if scored else None
    coverage = round(scored / applicable, 3) if applicable else 0.0
    return Score(score=score, coverage=coverage, grade=grade_for(score, critical_fail))


def score_tenant(results: list[CheckResult]) -> TenantScore:
    overall = score_results(results)
    areas: dict[str, AreaScore] = {}
    for area in Area:
        in_area = [r for r in results if r.area is area]
        if in_area:
            sub = score_results(in_area)
            areas[area.value] = AreaScore(score=sub.score, coverage=sub.coverage)
    return TenantScore(score=overall.score, coverage=overall.coverage, grade=overall.grade, areas=areas)


def area_table(results: "AuditResults") -> "pd.DataFrame":
    """Tenant × area scores (NaN where an area has nothing scored), ranked by overall score."""
    import pandas as pd

    rows = [
        {
            "tenant_id": t.tenant_id,
            "tenant": t.display_name,
            "kind": t.kind,
            "score": t.score,
            "grade": t.grade,
            "coverage": t.coverage,
            **{area.value: (t.areas[area.value].score if area.value in t.areas else None) for area in Area},
        }
        for t in results.tenants
    ]
    frame = pd.DataFrame(rows, columns=["tenant_id", "tenant", "kind", "score", "grade", "coverage", *[a.value for a in Area]])
    return frame.sort_values(["score", "tenant"], ascending=[False, True], na_position="last").reset_index(drop=True)


def common_failures(results: "AuditResults", top: int | None = 10) -> "pd.DataFrame":
    """The checks failing in the most tenants: check_id, title, severity, tenants (count), tenant names."""
    import pandas as pd

    rows = [
        {"check_id": r.check_id, "title": r.title, "severity": r.severity.value,
         "severity_rank": r.severity.rank, "tenant": t.display_name}
        for t in results.tenants
        for r in t.results
        if r.status is Status.FAIL
    ]
    columns = ["check_id", "title", "severity", "tenants", "tenant_names"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    grouped = (
        frame.groupby(["check_id", "title", "severity", "severity_rank"], as_index=False)
        .agg(tenants=("tenant", "nunique"), tenant_names=("tenant", lambda names: sorted(set(names))))
        .sort_values(["tenants", "severity_rank", "check_id"], ascending=[False, True, True])
    )
    grouped = grouped[columns].reset_index(drop=True)
    return grouped.head(top) if top else grouped
