"""View-models for the "Against recognised frameworks" page of the scorecard and the portfolio's one line per
framework: plain functions over results, no rendering.

A control's status for one tenant combines the results of every check mapped to it (auditor/frameworks.toml)
that applied to the tenant (NOT_APPLICABLE results are left out):
- failing: any of them FAIL or ACCEPTED (an accepted risk is a deliberate gap, not a met control);
- passing: all of them PASS (an attested MANUAL check is already PASS);
- not assessed: otherwise (UNKNOWN, ERROR, a MANUAL review still open, or a PASS beside one of those).
A passing check is evidence towards a control, not a certification of it: the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from auditor.results import AuditResults, CheckResult, Status

PASSING, FAILING, NOT_ASSESSED = "passing", "failing", "not assessed"


@dataclass
class ControlRow:
    control: str
    title: str
    status: str  # PASSING, FAILING or NOT_ASSESSED
    checks: list[tuple[str, Status]] = field(default_factory=list)  # (check id, status) in check order


@dataclass
class FrameworkRow:
    framework: str  # label, e.g. "CIS M365"
    version: str
    controls: list[ControlRow] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.controls if row.status == status)

    @property
    def evidenced(self) -> int:
        return len(self.controls)

    @property
    def passing(self) -> int:
        return self.count(PASSING)

    @property
    def failing(self) -> int:
        return self.count(FAILING)

    @property
    def not_assessed(self) -> int:
        return self.count(NOT_ASSESSED)


def _control_status(statuses: list[Status]) -> str:
    if any(status in (Status.FAIL, Status.ACCEPTED) for status in statuses):
        return FAILING
    if statuses and all(status is Status.PASS for status in statuses):
        return PASSING
    return NOT_ASSESSED


def tenant_frameworks(results: Iterable[CheckResult]) -> list[FrameworkRow]:
    """Per framework (in first-seen order), the controls the tenant's applicable checks give evidence for,
    each with its combined status. Frameworks no applicable check maps to are absent."""
    grouped: dict[tuple[str, str], dict[str, ControlRow]] = {}
    for result in results:
        if result.status is Status.NOT_APPLICABLE:
            continue
        for ref in result.frameworks:
            controls = grouped.setdefault((ref.framework, ref.version), {})
            row = controls.setdefault(ref.control, ControlRow(ref.control, ref.title, NOT_ASSESSED))
            row.checks.append((result.check_id, result.status))
    rows = []
    for (name, version), controls in grouped.items():
        for row in controls.values():
            row.status = _control_status([status for _, status in row.checks])
        rows.append(FrameworkRow(name, version, list(controls.values())))
    return rows


@dataclass
class PortfolioFrameworkLine:
    framework: str
    version: str
    tenants: int  # tenants with at least one control evidenced
    passing: int  # tenant-control pairs
    failing: int
    not_assessed: int

    @property
    def sentence(self) -> str:
        pairs = self.passing + self.failing + self.not_assessed
        return (f"{self.framework} {self.version}: {pairs} control assessment{'s' if pairs != 1 else ''} across "
                f"{self.tenants} tenant{'s' if self.tenants != 1 else ''}: {self.passing} passing, "
                f"{self.failing} failing, {self.not_assessed} not assessed.")


def portfolio_frameworks(results: AuditResults) -> list[PortfolioFrameworkLine]:
    """One line per framework over every tenant: counts of (tenant, control) pairs by status."""
    lines: dict[tuple[str, str], PortfolioFrameworkLine] = {}
    for tenant in results.tenants:
        for row in tenant_frameworks(tenant.results):
            line = lines.setdefault((row.framework, row.version), PortfolioFrameworkLine(row.framework, row.version, 0, 0, 0, 0))
            line.tenants += 1
            line.passing += row.passing
            line.failing += row.failing
            line.not_assessed += row.not_assessed
    return list(lines.values())
