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
    "Attested on", "Attested until", "Remediation", "References",
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
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _append(sheet: Any, values: list[Any]) -> None:
    sheet.append([_cell_text(v) for v in values])
    # openpyxl turns any string starting with "=" into a formula; tenant data must stay text.
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _sheet(workbook: Any, title: str, columns: list[str], first: bool = False) -> Any:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(name, max(12, len(name) + 2))
    return sheet


def _finish(sheet: Any) -> None:
    """Number formats by column name, and a filter over the whole table."""
    for header in sheet[1]:
        if header.value in _FORMATS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=header.column, max_col=header.column):
                cell.number_format = _FORMATS[header.value]
    sheet.auto_filter.ref = sheet.dimensions


def build_workbook(results: AuditResults) -> Any:
    from openpyxl import Workbook

    workbook = Workbook()
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
            ])
            for row_number, row in enumerate(result.evidence, start=1):
                for field_name, value in row.items():
                    _append(evidence, [
                        tenant.display_name, tenant.tenant_id, result.check_id, result.status.value,
                        row_number, field_name, value,
                    ])

    for item, value in (
        ("Run ID", results.run_id),
        ("Evaluated at (UTC)", results.generated_at),
        ("Tool", f"{results.tool.name} {results.tool.version}"),
        ("Checklist", ruleset_label(results.tool.ruleset_version)),
        ("Rule-set version", results.tool.ruleset_version),
        ("Scoring rule", results.scoring.describe()),
        ("Accepted risk", results.scoring.accepted_risk.value),
        ("Minimum coverage for a grade", results.scoring.min_coverage),
    ):
        _append(about, [item, value])
    about["B8"].number_format = "0.0%"
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
