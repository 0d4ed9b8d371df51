"""The partner's portfolio report: every tenant ranked, the heatmap, the most common failing checks, the
accepted and expired risks per tenant, the configuration notes for the partner, and the partner's own
failing checks with their remediation. This is the partner's document: raw words are allowed here."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from markupsafe import Markup

from auditor.report import charts
from auditor.report.paths import HEATMAP_ROWS_PER_CHART, PORTFOLIO_TITLE
from auditor.report.priority import CheckTexts, prioritised
from auditor.report.scorecard import Finding, make_finding, status_counts, status_sort_key
from auditor.report.wording import split_remediation
from auditor.results import (
    AREA_TITLES,
    INCOMPLETE,
    Area,
    AuditResults,
    CheckResult,
    Severity,
    Status,
    TenantResult,
    is_letter_grade,
)
from auditor.trend import TenantChange

# An UNKNOWN whose reason is one of these is still an answer from Microsoft: the tenant was read.
_ANSWERED = re.compile(r"\b(forbidden|not_licensed|not_found|licen[cs]e|permission|role)\b")


def is_readable(tenant: TenantResult) -> bool:
    """Whether the audit could read the tenant at all: a check was decided, or Microsoft answered with a
    refusal (a missing permission or licence), as opposed to errors and nothing collected."""
    return any(
        r.status not in (Status.UNKNOWN, Status.ERROR) or (r.status is Status.UNKNOWN and _ANSWERED.search(r.summary))
        for r in tenant.results
    )


@dataclass
class PortfolioRow:
    rank: int
    tenant: TenantResult
    slug: str
    fails: int
    critical: int
    unknown: int
    change: str
    meter: Markup
    failing_areas: list[str] = field(default_factory=list)  # Area values with a failing check
    failing_checks: list[str] = field(default_factory=list)  # check ids, for the HTML filters


@dataclass
class CommonFailure:
    check_id: str
    title: str
    severity: str
    tenants: int
    names: list[str]  # every tenant, never "and N more"
    impact: int  # severity weight × tenants
    meter: Markup
    others: list[str] = field(default_factory=list)  # the tenants where it does not fail

    @property
    def by_exception(self) -> bool:
        """Name the tenants where the check does not fail when they are the shorter list: every tenant is
        still accounted for by name, in a fraction of the space."""
        return len(self.others) < len(self.names)


@dataclass
class RiskRow:
    tenant: TenantResult
    result: CheckResult


@dataclass
class PartnerNote:
    """One partner hint of a check, with every tenant where the check fails."""

    check_id: str
    title: str
    hint: str
    tenants: list[str]


@dataclass
class PortfolioView:
    title: str
    rows: list[PortfolioRow]
    heatmaps: list[Markup]
    common: list[CommonFailure]
    critical_rows: list[tuple[PortfolioRow, list[CheckResult]]]
    partner: TenantResult | None
    partner_findings: list[Finding]  # the partner's own checks, failing first, with remediation
    average: float | None  # over the graded customers: an incomplete tenant's score rests on too little
    grades: list[tuple[str, int]]
    customers: int
    incomplete: int = 0
    readable: int = 0  # customers the audit could read at all
    graded: int = 0  # customers with a letter grade
    risks: list[RiskRow] = field(default_factory=list)  # accepted and expired acceptances, per tenant
    notes: list[PartnerNote] = field(default_factory=list)  # partner-only hints of failing checks
    areas: list[tuple[str, str]] = field(default_factory=list)  # (value, title) for the HTML filters
    checks: list[tuple[str, str]] = field(default_factory=list)  # failing (check id, title) for the filters
    tags: list[str] = field(default_factory=list)

    @property
    def critical_customers(self) -> int:
        return sum(1 for row, _ in self.critical_rows if row.tenant.kind != "partner")

    @property
    def toc(self) -> list[tuple[str, str, int]]:
        return [
            ("overview", "Overview", 1),
            ("critical", "Tenants with critical failures", 1),
            ("ranking", "Tenants ranked by score", 1),
            ("heatmap", "Scores by tenant and area", 1),
            ("common", "Most common failing checks", 1),
            ("risks", "Accepted and expired risks", 1),
            ("notes", "Configuration notes for the partner", 1),
            ("partner", "The partner's own tenant", 1),
            ("methodology", "Appendix: methodology", 1),
        ]


def change_text(change: TenantChange | None) -> str:
    if change is None or change.first_audit:
        return "first audit"
    if change.score_change is None:
        return "not comparable"
    # One decimal, the difference of the rounded scores shown, like every other output.
    return f"{change.score_change:+.1f}" if change.score_change else "no change"


def _common(results: AuditResults) -> list[CommonFailure]:
    from auditor.scoring import common_failures

    total = len(results.tenants)
    everyone = sorted({t.display_name for t in results.tenants})
    return [
        CommonFailure(rec.check_id, rec.title, rec.severity, int(rec.tenants), list(rec.tenant_names), int(rec.impact),
                      Markup(charts.meter(int(rec.tenants) / total if total else 0, width=56, height=7,
                                          colour=charts.score_colour(0))),
                      others=[name for name in everyone if name not in set(rec.tenant_names)])
        for rec in common_failures(results, top=15).itertuples(index=False)
    ]


def portfolio_view(results: AuditResults, slugs: dict[str, str], texts: dict[str, CheckTexts],
                   history: dict[str, TenantChange] | None) -> PortfolioView:
    """The portfolio's content; ``slugs`` maps tenant ids to their scorecard folders."""
    from auditor.scoring import area_table

    history = history or {}
    by_id = {t.tenant_id: t for t in results.tenants}
    rows: list[PortfolioRow] = []
    for index, record in enumerate(area_table(results).itertuples(index=False), start=1):
        tenant = by_id[record.tenant_id]
        counts = status_counts(tenant.results)
        failing = [r for r in tenant.results if r.status is Status.FAIL]
        rows.append(PortfolioRow(
            rank=index,
            tenant=tenant,
            slug=slugs[tenant.tenant_id],
            fails=counts[Status.FAIL],
            critical=sum(1 for r in failing if r.severity is Severity.CRITICAL),
            unknown=counts[Status.UNKNOWN] + counts[Status.ERROR],
            change=change_text(history.get(tenant.tenant_id)),
            meter=Markup(charts.meter(tenant.coverage, width=60, height=7, colour="#6b7785")),
            failing_areas=sorted({r.area.value for r in failing}),
            failing_checks=sorted({r.check_id for r in failing}),
        ))
    areas = [a for a in Area if any(a.value in t.areas for t in results.tenants)]
    heatmaps: list[Markup] = []
    for start in range(0, len(rows), HEATMAP_ROWS_PER_CHART):
        chunk = rows[start : start + HEATMAP_ROWS_PER_CHART]
        values = [[row.tenant.areas[a.value].score if a.value in row.tenant.areas else None for a in areas]
                  for row in chunk]
        incomplete = [[a.value in row.tenant.areas and row.tenant.areas[a.value].incomplete for a in areas]
                      for row in chunk]
        heatmaps.append(Markup(charts.heatmap([r.tenant.display_name for r in chunk], [AREA_TITLES[a] for a in areas],
                                              values, incomplete=incomplete, legend=start == 0)))
    critical_rows = [
        (row, prioritised((r for r in row.tenant.results if r.status is Status.FAIL and r.severity is Severity.CRITICAL),
                          texts))
        for row in sorted(rows, key=lambda r: (-r.critical, r.tenant.score if r.tenant.score is not None else 101))
        if row.critical
    ]
    partner = next((t for t in results.tenants if t.kind == "partner"), None)
    partner_findings = []
    if partner is not None:
        for result in sorted(partner.results, key=status_sort_key):
            if result.status is Status.NOT_APPLICABLE:
                continue
            finding = make_finding(result, texts)
            partner_findings.append(finding)
    customers = [t for t in results.tenants if t.kind != "partner"]
    graded_scores = [t.score for t in customers if t.score is not None and not t.incomplete]
    grades = Counter(t.grade if is_letter_grade(t.grade) else INCOMPLETE for t in results.tenants)
    order = ["A", "B", "C", "D", "F", INCOMPLETE]
    risks = [RiskRow(t, r) for row in rows for t in [row.tenant] for r in sorted(t.results, key=status_sort_key)
             if r.acceptance is not None]
    # One note per check and hint, naming every tenant it concerns: 200 tenants make a list, not 200 rows.
    notes: dict[tuple[str, str], PartnerNote] = {}
    for row in rows:
        for result in prioritised((r for r in row.tenant.results if r.status in (Status.FAIL, Status.ACCEPTED)), texts):
            for hint in split_remediation(result.remediation)[1]:
                note = notes.setdefault((result.check_id, hint), PartnerNote(result.check_id, result.title, hint, []))
                note.tenants.append(row.tenant.display_name)
    failing_checks = sorted({(r.check_id, r.title) for t in results.tenants for r in t.results if r.status is Status.FAIL})
    return PortfolioView(
        title=PORTFOLIO_TITLE,
        rows=rows,
        heatmaps=heatmaps,
        common=_common(results),
        critical_rows=critical_rows,
        partner=partner,
        partner_findings=partner_findings,
        average=sum(graded_scores) / len(graded_scores) if graded_scores else None,
        grades=[(g, grades.get(g, 0)) for g in order] + [(g, n) for g, n in grades.items() if g not in order],
        customers=len(customers),
        incomplete=sum(1 for t in results.tenants if t.incomplete),
        readable=sum(1 for t in customers if is_readable(t)),
        graded=len(graded_scores),
        risks=risks,
        notes=sorted(notes.values(), key=lambda n: n.check_id),
        areas=[(a.value, a.title) for a in areas],
        checks=failing_checks,
        tags=sorted({tag for t in results.tenants for tag in t.tags}),
    )
