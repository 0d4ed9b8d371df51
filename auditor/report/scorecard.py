"""The customer scorecard's view model: the executive page (grade, score, coverage, the action plan, the
trend), the findings in the order of the action plan, the checks in place as one line each, and the
appendix that holds their evidence. Every check-authored text passes through ``customer_text`` here."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from markupsafe import Markup

from auditor.report import charts
from auditor.report.evidence import EvidenceTable, evidence_table
from auditor.report.formatting import fmt_date, fmt_pct, first_sentences, remediation_blocks, safe_link
from auditor.report.paths import SCORECARD_TITLE
from auditor.report.priority import ACTIONS_SHOWN, Action, CheckTexts, action_for, prioritised
from auditor.report.summary import plain_summary
from auditor.report.unknowns import UnknownItem, unknown_item
from auditor.report.wording import customer_text, split_remediation
from auditor.results import (
    STATUS_LABELS,
    Area,
    CheckResult,
    ScoringRule,
    Severity,
    Status,
    TenantResult,
)
from auditor.scoring import scored_statuses
from auditor.trend import TenantChange

PASS_EVIDENCE_ROWS = 3  # rows of a passing check's evidence in the appendix; the partner's workbook has all
WHY_CHARS = 240  # "why it matters" in a finding: its first sentences, up to this many characters

# Within an area (the checks in place, the portfolio's partner table): failing first.
STATUS_ORDER = [Status.FAIL, Status.ERROR, Status.ACCEPTED, Status.MANUAL, Status.UNKNOWN, Status.PASS,
                Status.NOT_APPLICABLE]


@dataclass
class Finding:
    result: CheckResult
    anchor: str
    why: str
    evidence: EvidenceTable | None
    remediation: list[dict[str, Any]]
    references: list[tuple[str, str | None]]
    summary: str = ""  # the result's summary in customer words
    number: int | None = None  # its place in the action plan (failing checks)

    @property
    def brief(self) -> str:
        """The summary's first sentence: what a check in place shows on its one line."""
        return first_sentences(self.summary, 120)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.result.status]


@dataclass
class AreaView:
    area: Area
    title: str
    anchor: str
    score: float | None
    coverage: float
    findings: list[Finding]  # every finding of the area, failing first
    counts: dict[Status, int]
    incomplete: bool = False

    @property
    def in_place(self) -> list[Finding]:
        return [f for f in self.findings if f.result.status is Status.PASS]


@dataclass
class HistoryView:
    first_audit: bool
    previous_at: str
    score_change: float | None
    fixed: list[tuple[str, str]]
    new_failures: list[tuple[str, str]]
    still_failing: list[tuple[str, str]]
    chart: Markup | None

    @property
    def points(self) -> float | None:
        """The score change as the report prints it: one decimal, the difference of the rounded scores
        shown (0 reads as unchanged)."""
        return self.score_change


@dataclass
class ScorecardView:
    tenant: TenantResult
    title: str
    counts: list[tuple[Status, str, int]]
    gauge: Markup
    area_bars: Markup
    areas: list[AreaView]
    actions: list[Action]  # the executive page's "what to do first" (at most ACTIONS_SHOWN)
    to_fix: list[Finding]  # every failing check, in the order of the action plan
    to_review: list[Finding]  # MANUAL: a person reviews the listed evidence
    accepted_findings: list[Finding]
    not_applicable: list[Finding]
    summary_paragraphs: list[str]
    unknown: list[UnknownItem]
    errors: list[CheckResult]
    accepted: list[CheckResult]
    expired: list[CheckResult]
    appendix: list[Finding]  # findings whose evidence is printed (or continued) in the appendix
    history: HistoryView
    critical_failures: int
    failing: int
    attested: list[CheckResult] = field(default_factory=list)
    attestations_expired: list[CheckResult] = field(default_factory=list)
    assessed: int = 0  # checks in the score (under the run's scoring rule)
    applicable: int = 0  # checks that apply to the tenant

    @property
    def top_actions(self) -> list[Action]:
        return self.actions

    @property
    def has_records(self) -> bool:
        """Accepted risks or attested reviews to list."""
        return bool(self.accepted or self.expired or self.attested or self.attestations_expired)

    @property
    def toc(self) -> list[tuple[str, str, int]]:
        """(anchor, title, level) for the table of contents."""
        toc = [("summary", "Executive summary", 1), ("findings", "Findings", 1)]
        if self.to_fix:
            toc.append(("to-fix", "What to fix, in order", 2))
        if self.to_review:
            toc.append(("to-review", "To review", 2))
        toc.append(("in-place", "What is in place", 2))
        if self.unknown or self.errors:
            toc.append(("unknown", "Checks that could not run", 1))
        toc.append(("frameworks", "Against recognised frameworks", 1))  # includes/frameworks.html
        if self.has_records:
            toc.append(("accepted", "Accepted risks and attested reviews", 1))
        if self.appendix:
            toc.append(("appendix-evidence", "Appendix A: evidence", 1))
        toc.append(("methodology", ("Appendix B: " if self.appendix else "Appendix: ") + "methodology", 1))
        return toc


def status_counts(results: Iterable[CheckResult]) -> dict[Status, int]:
    counts = Counter(result.status for result in results)
    return {status: counts[status] for status in Status}


def anchor(*parts: str) -> str:
    return "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts if p)


def status_sort_key(result: CheckResult) -> tuple[int, int, str]:
    return (STATUS_ORDER.index(result.status), result.severity.rank, result.check_id)


def make_finding(result: CheckResult, texts: dict[str, CheckTexts]) -> Finding:
    """A result as the scorecard prints it: customer words, partner hints removed from the remediation."""
    finding_anchor = anchor("check", result.check_id)
    why = texts[result.check_id].why if result.check_id in texts else ""
    customer_remediation, _ = split_remediation(result.remediation)
    passing = result.status is Status.PASS
    return Finding(
        result=result,
        anchor=finding_anchor,
        why=customer_text(first_sentences(why, WHY_CHARS)) if why else "",
        evidence=(evidence_table(result.evidence, finding_anchor + "-evidence", limit=PASS_EVIDENCE_ROWS - 1,
                                 report_limit=PASS_EVIDENCE_ROWS) if passing
                  else evidence_table(result.evidence, finding_anchor + "-evidence")),
        remediation=remediation_blocks(customer_text(customer_remediation)) if result.status is not Status.PASS else [],
        references=[(url, safe_link(url)) for url in result.references],
        summary=customer_text(result.summary),
    )


def history_view(change: TenantChange | None, titles: dict[str, str], current: tuple[str, datetime] | None = None
                 ) -> HistoryView:
    """The "since the last audit" block; no history, or no earlier run, reads as the first audit. The trend
    points are labelled with their audit dates; ``current`` (run id, evaluation time) dates this run's own
    point by its evaluation time, the --as-of date when one was given."""
    points = change.points if change else []
    dated = [current[1] if current and p.run_id == current[0] else p.at for p in points]
    chart = (Markup(charts.trend_line([charts.TrendPoint(at, p.score) for at, p in zip(dated, points)]))
             if len(points) > 1 else None)
    if change is None or change.first_audit:
        return HistoryView(True, "", None, [], [], [], chart)

    def named(ids: list[str]) -> list[tuple[str, str]]:
        return [(check_id, titles.get(check_id, "")) for check_id in ids]

    return HistoryView(
        first_audit=False,
        previous_at=fmt_date(change.previous_at),
        score_change=change.score_change,
        fixed=named(change.fixed),
        new_failures=named(change.newly_failing),
        still_failing=named(change.still_failing),
        chart=chart,
    )


def _areas(tenant: TenantResult, findings: dict[str, Finding]) -> list[AreaView]:
    areas: list[AreaView] = []
    for area in Area:
        in_area = sorted((r for r in tenant.results if r.area is area), key=status_sort_key)
        if not in_area:
            continue
        sub = tenant.areas.get(area.value)
        areas.append(AreaView(
            area=area,
            title=area.title,
            anchor=anchor("area", area.value),
            score=sub.score if sub else None,
            coverage=sub.coverage if sub else 0.0,
            findings=[findings[r.check_id] for r in in_area],
            counts=status_counts(in_area),
            incomplete=sub is None or sub.incomplete,
        ))
    return areas


def scorecard_view(tenant: TenantResult, texts: dict[str, CheckTexts], change: TenantChange | None,
                   rule: ScoringRule | None = None, current: tuple[str, datetime] | None = None) -> ScorecardView:
    """The scorecard's content for one tenant, under the scoring rule its results were computed with;
    ``texts`` (check id → CheckTexts) may miss checks: titles and remediation stand in for them."""
    rule = rule or ScoringRule()
    counts = status_counts(tenant.results)
    findings = {r.check_id: make_finding(r, texts) for r in tenant.results}
    areas = _areas(tenant, findings)
    failing = prioritised((r for r in tenant.results if r.status is Status.FAIL), texts)
    to_fix = [findings[r.check_id] for r in failing]
    for number, finding in enumerate(to_fix, start=1):
        finding.number = number
    actions = [action_for(f.result, texts.get(f.result.check_id), f.anchor) for f in to_fix[:ACTIONS_SHOWN]]
    critical = sum(1 for r in failing if r.severity is Severity.CRITICAL)
    bars = [
        charts.Bar(a.title, a.score, f"Incomplete · {fmt_pct(a.coverage)}" if a.incomplete
                   else f"coverage {fmt_pct(a.coverage)}", incomplete=a.incomplete)
        for a in areas
    ]
    by_status = sorted(tenant.results, key=status_sort_key)
    unknown = [unknown_item(r) for r in by_status if r.status is Status.UNKNOWN]
    # The appendix holds the evidence of the checks in place and the rows a finding could not show.
    appendix = [findings[r.check_id] for r in by_status
                if (evidence := findings[r.check_id].evidence) is not None
                and r.status is not Status.UNKNOWN
                and (r.status is Status.PASS or evidence.more)]
    top_title = actions[0].action if actions else None
    return ScorecardView(
        tenant=tenant,
        title=SCORECARD_TITLE,
        counts=[(s, STATUS_LABELS[s], counts[s]) for s in STATUS_ORDER if counts[s] or s in (Status.PASS, Status.FAIL)],
        gauge=Markup(charts.gauge(tenant.score, tenant.grade, coverage=tenant.coverage, width=200)),
        area_bars=Markup(charts.bars(bars, width=480, label_width=178)),
        areas=areas,
        actions=actions,
        to_fix=to_fix,
        to_review=[findings[r.check_id] for r in prioritised((r for r in tenant.results if r.status is Status.MANUAL), texts)],
        accepted_findings=[findings[r.check_id] for r in by_status if r.status is Status.ACCEPTED],
        not_applicable=[findings[r.check_id] for r in by_status if r.status is Status.NOT_APPLICABLE],
        summary_paragraphs=plain_summary(tenant, counts, top_title, critical, unknown, rule),
        unknown=unknown,
        errors=[r for r in tenant.results if r.status is Status.ERROR],
        accepted=[r for r in tenant.results if r.status is Status.ACCEPTED],
        expired=[r for r in tenant.results if r.status is Status.FAIL and r.acceptance and r.acceptance.expired],
        appendix=appendix,
        history=history_view(change, {r.check_id: r.title for r in tenant.results}, current),
        critical_failures=critical,
        failing=len(failing),
        attested=[r for r in tenant.results if r.attestation and not r.attestation.expired],
        attestations_expired=[r for r in tenant.results if r.attestation and r.attestation.expired],
        assessed=sum(counts[s] for s in scored_statuses(rule)),
        applicable=sum(counts.values()) - counts[Status.NOT_APPLICABLE],
    )
