"""What changed for a tenant between two audits: the contract between the history store (which finds the
previous result) and the reports (which show it). Pure functions of results, no database here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from auditor.results import Status, TenantResult, score_change


@dataclass(frozen=True)
class ScorePoint:
    run_id: str
    at: datetime
    score: float | None
    grade: str


@dataclass(frozen=True)
class TenantChange:
    tenant_id: str
    points: list[ScorePoint] = field(default_factory=list)  # oldest first, the current run last
    previous_run_id: str | None = None
    previous_at: datetime | None = None
    newly_failing: list[str] = field(default_factory=list)  # check ids
    fixed: list[str] = field(default_factory=list)
    still_failing: list[str] = field(default_factory=list)
    score_change: float | None = None

    @property
    def first_audit(self) -> bool:
        return self.previous_run_id is None


def failing_ids(tenant: TenantResult) -> set[str]:
    return {r.check_id for r in tenant.results if r.status is Status.FAIL}


def passing_ids(tenant: TenantResult) -> set[str]:
    return {r.check_id for r in tenant.results if r.status is Status.PASS}


def compare(
    previous: TenantResult | None,
    current: TenantResult,
    points: list[ScorePoint] | None = None,
    previous_run_id: str | None = None,
    previous_at: datetime | None = None,
) -> TenantChange:
    """Fixed = FAIL before and PASS now; newly failing = FAIL now and not FAIL before; still failing = FAIL
    in both. A check that went from FAIL to UNKNOWN is neither fixed nor failing: we cannot tell."""
    if previous is None:
        return TenantChange(tenant_id=current.tenant_id, points=points or [])
    before, now_failing = failing_ids(previous), failing_ids(current)
    return TenantChange(
        tenant_id=current.tenant_id,
        points=points or [],
        previous_run_id=previous_run_id or "previous",
        previous_at=previous_at,
        newly_failing=sorted(now_failing - before),
        fixed=sorted(before & passing_ids(current)),
        still_failing=sorted(before & now_failing),
        score_change=score_change(current.score, previous.score),  # from the rounded scores every output shows
    )
