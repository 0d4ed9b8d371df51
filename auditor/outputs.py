"""Result formats (JSON, CSV, and the console table in the CLI). Each writer is a function of the results
document alone, so ``auditor report`` can re-render saved results without re-evaluating.

Every format uses the same vocabulary and figures: status and area codes with the reports' labels beside
them, scores with one decimal, coverage as a percentage with one decimal, the grade ("Incomplete" below the
coverage floor) and the scoring rule that produced them."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable

from auditor.frameworks import labels as framework_labels
from auditor.report.formatting import remediation_line
from auditor.fsutil import atomic_write_text
from auditor.results import AuditResults, fmt_coverage, fmt_score
from auditor.safe_text import spreadsheet_text

CSV_COLUMNS = [
    "tenant_id", "tenant", "kind", "tenant_score", "tenant_grade", "tenant_coverage", "check_id", "title",
    "area", "area_title", "severity", "status", "status_label", "summary", "evidence_count", "accepted_by",
    "accepted_until", "attested_by", "attested_on", "attested_until", "remediation", "frameworks", "scoring_rule",
]


def results_json(results: AuditResults) -> str:
    return results.model_dump_json(indent=2) + "\n"


def _cell(value: object) -> object:
    """Tenant data is untrusted: text cells lose control characters and bidirectional overrides, and
    never start a formula (auditor.safe_text.spreadsheet_text). A cell holding a line break is quoted by
    the csv writer, since LF is its line terminator."""
    return spreadsheet_text(value) if isinstance(value, str) else value


def results_csv(results: AuditResults) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    rule = results.scoring.describe()
    for tenant in results.tenants:
        for result in tenant.results:
            acceptance, attestation = result.acceptance, result.attestation
            writer.writerow({key: _cell(value) for key, value in {
                "tenant_id": tenant.tenant_id,
                "tenant": tenant.display_name,
                "kind": tenant.kind,
                "tenant_score": "" if tenant.score is None else fmt_score(tenant.score),
                "tenant_grade": tenant.grade,
                "tenant_coverage": fmt_coverage(tenant.coverage),
                "check_id": result.check_id,
                "title": result.title,
                "area": result.area.value,
                "area_title": result.area_title,
                "severity": result.severity.value,
                "status": result.status.value,
                "status_label": result.status_label,
                "summary": result.summary,
                "evidence_count": len(result.evidence),
                "accepted_by": acceptance.owner if acceptance else "",
                "accepted_until": acceptance.expires.isoformat() if acceptance else "",
                "attested_by": attestation.reviewer if attestation else "",
                "attested_on": attestation.reviewed.isoformat() if attestation else "",
                "attested_until": attestation.valid_until.isoformat() if attestation else "",
                "remediation": remediation_line(result.remediation),
                "frameworks": framework_labels(result.frameworks),
                "scoring_rule": rule,
            }.items()})
    return buffer.getvalue()


Writer = Callable[[AuditResults, Path], list[Path]]


def write_json(results: AuditResults, out_dir: Path) -> list[Path]:
    return [atomic_write_text(out_dir / "results.json", results_json(results))]


def write_csv(results: AuditResults, out_dir: Path) -> list[Path]:
    return [atomic_write_text(out_dir / "results.csv", results_csv(results))]


def write_xlsx(results: AuditResults, out_dir: Path) -> list[Path]:
    from auditor.xlsx_export import write_xlsx as write  # XlsxWriter only when asked for

    return write(results, out_dir)


WRITERS: dict[str, Writer] = {"json": write_json, "csv": write_csv, "xlsx": write_xlsx}


def write_results(results: AuditResults, out_dir: Path, formats: list[str] | None = None) -> list[Path]:
    """Write the data outputs named in ``formats`` (json, csv, xlsx); None means all of them, and an empty
    list none (``run --formats pdf`` asks for no data file)."""
    written: list[Path] = []
    for name in list(WRITERS) if formats is None else formats:
        written.extend(WRITERS[name](results, out_dir))
    return written

