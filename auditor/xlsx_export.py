"""results.xlsx: the results for people who live in Excel. Four sheets:

- summary: one row per tenant (score, grade, coverage, status counts, area scores and grades; a grade is
  "Incomplete" below the coverage floor);
- findings: one row per check result (the CSV's columns: codes with the reports' labels beside them);
- evidence: one row per field of each evidence row (tenant, check, row number, field, value). Evidence
  rows differ in shape from check to check, so a long table is the one layout that filters and pivots
  the same way for every check (filter on a check id, then on a field such as userPrincipalName);
- about: the run, the checklist version and the scoring rule that produced the figures.

Tenant data is untrusted: a display name like ``=HYPERLINK(…)`` must stay text, never become a formula,
and control characters that Excel cannot store are removed.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from auditor.fsutil import atomic_write_bytes
from auditor.safe_text import file_text
from auditor.results import Area, AuditResults, Status, ruleset_label

FILE_NAME = "results.xlsx"

SUMMARY_COLUMNS = [
    "Tenant", "Tenant ID", "Domain", "Kind", "Tags", "Score", "Grade", "Coverage",
    *[status.value for status in Status],
    *[column for area in Area for column in (f"{area.title} score", f"{area.title} grade")],
]
FINDINGS_COLUMNS = [
    "Tenant", "Tenant ID", "Check ID", "Title", "Area", "Area title", "Severity", "Status", "Status label",
    "Summary", "Evidence rows", "Accepted by", "Accepted until", "Acceptance reason", "Attested by",
    "Attested on", "Attested until", "Remediation", "References", "Frameworks",
]
EVIDENCE_COLUMNS = ["Tenant", "Tenant ID", "Check ID", "Status", "Row", "Field", "Value"]
ABOUT_COLUMNS = ["Item", "Value"]

_WIDTHS = {"Tenant": 28, "Title": 48, "Summary": 70, "Remediation": 70, "Value": 60, "Tenant ID": 38, "Item": 22}
# Scores carry one decimal and coverage one decimal of a percentage, as in every other output.
_FORMATS = {"Coverage": "0.0%", "Score": "0.0", "Accepted until": "yyyy-mm-dd", "Attested on": "yyyy-mm-dd",
            "Attested until": "yyyy-mm-dd", **{f"{area.title} score": "0.0" for area in Area}}


def _cell_text(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, datetime):
        # Excel has no time zones; the tool's times are UTC.
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        value = json.dumps(value, default=str, ensure_ascii=False)
    # Control characters dropped (openpyxl refuses most of them), bidirectional overrides isolated. Cells
    # are typed as strings (never formulas), so no apostrophe is needed here, unlike the CSV.
    return file_text(value)


class _Sheet:
    """A write-only (streaming) worksheet and what it needs to format a row without reading the sheet back.

    openpyxl's ordinary worksheet keeps every cell in memory and ``sheet[sheet.max_row]`` scans them all on
    each append, which made the export quadratic in evidence rows (a 100,000-user tenant never finished);
    a write-only sheet streams each row to a temporary file as it is appended."""

    def __init__(self, workbook: Any, title: str, columns: list[str]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.ws = workbook.create_sheet(title)
        self.columns = columns
        self.rows = 0
        # Layout is set before the first row: a streamed sheet writes it ahead of the rows.
        for index, name in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(name, max(12, len(name) + 2))
        self.ws.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for name in columns:
            cell = WriteOnlyCell(self.ws, value=name)
            cell.font = bold
            header.append(cell)
        self.ws.append(header)
        self.rows = 1
        self._formats = [_FORMATS.get(name) for name in columns]


def _append(sheet: _Sheet, values: list[Any], formats: list[str | None] | None = None) -> None:
    """One row; ``formats`` overrides the columns' number formats for this row (the "about" sheet holds
    values of different kinds in one column)."""
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value, number_format in zip([_cell_text(v) for v in values], formats or sheet._formats):
        cell = WriteOnlyCell(sheet.ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl turns any string starting with "=" into a formula; tenant data stays text
        if number_format:
            cell.number_format = number_format
        row.append(cell)
    sheet.ws.append(row)
    sheet.rows += 1


def _sheet(workbook: Any, title: str, columns: list[str], first: bool = False) -> _Sheet:
    return _Sheet(workbook, title, columns)


def _finish(sheet: _Sheet) -> None:
    """A filter over the whole table (number formats are set per cell as rows are appended)."""
    from openpyxl.utils import get_column_letter

    sheet.ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{sheet.rows}"


def build_workbook(results: AuditResults) -> Any:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    summary = _sheet(workbook, "summary", SUMMARY_COLUMNS, first=True)
    findings = _sheet(workbook, "findings", FINDINGS_COLUMNS)
    evidence = _sheet(workbook, "evidence", EVIDENCE_COLUMNS)
    about = _sheet(workbook, "about", ABOUT_COLUMNS)

    for tenant in results.tenants:
        counts = {status: 0 for status in Status}
        for result in tenant.results:
            counts[result.status] += 1
        _append(summary, [
            tenant.display_name, tenant.tenant_id, tenant.default_domain, tenant.kind, ", ".join(tenant.tags),
            tenant.score, tenant.grade, tenant.coverage,
            *[counts[status] for status in Status],
            *[value for area in Area for value in (
                (tenant.areas[area.value].score, tenant.areas[area.value].grade or None)
                if area.value in tenant.areas else (None, None))],
        ])
        for result in tenant.results:
            acceptance, attestation = result.acceptance, result.attestation
            _append(findings, [
                tenant.display_name, tenant.tenant_id, result.check_id, result.title, result.area.value,
                result.area_title, result.severity.value, result.status.value, result.status_label,
                result.summary, len(result.evidence),
                acceptance.owner if acceptance else None,
                acceptance.expires if acceptance else None,
                acceptance.reason if acceptance else None,
                attestation.reviewer if attestation else None,
                attestation.reviewed if attestation else None,
                attestation.valid_until if attestation else None,
                result.remediation, "\n".join(result.references),
                "\n".join(f"{ref.framework} {ref.version} {ref.control}: {ref.title}" for ref in result.frameworks),
            ])
            for row_number, row in enumerate(result.evidence, start=1):
                for field_name, value in row.items():
                    _append(evidence, [
                        tenant.display_name, tenant.tenant_id, result.check_id, result.status.value,
                        row_number, field_name, value,
                    ])

    for item, value, number_format in (
        ("Run ID", results.run_id, None),
        ("Evaluated at (UTC)", results.generated_at, None),
        ("Tool", f"{results.tool.name} {results.tool.version}", None),
        ("Checklist", ruleset_label(results.tool.ruleset_version), None),
        ("Rule-set version", results.tool.ruleset_version, None),
        ("Scoring rule", results.scoring.describe(), None),
        ("Accepted risk", results.scoring.accepted_risk.value, None),
        ("Minimum coverage for a grade", results.scoring.min_coverage, "0.0%"),
    ):
        _append(about, [item, value], [None, number_format])
    for sheet in (summary, findings, evidence):
        _finish(sheet)
    provenance = workbook.properties
    provenance.title = f"Audit {results.run_id}"
    provenance.creator = f"{results.tool.name} {results.tool.version} (rule set {results.tool.ruleset_version}; {results.scoring.describe()})"
    provenance.created = provenance.modified = _cell_text(results.generated_at)  # UTC, like every cell
    return workbook


def write_xlsx(results: AuditResults, out_dir: Path) -> list[Path]:
    """Write ``out_dir/results.xlsx`` atomically (a killed run leaves the previous file intact)."""
    buffer = io.BytesIO()
    build_workbook(results).save(buffer)
    return [atomic_write_bytes(Path(out_dir) / FILE_NAME, buffer.getvalue())]
