"""Result formats (JSON, CSV, and the console table in the CLI). Each writer is a function of the results
document alone, so ``auditor report`` can re-render saved results without re-evaluating."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Callable

from auditor.fsutil import atomic_write_text
from auditor.results import AuditResults

CSV_COLUMNS = [
    "tenant_id", "tenant", "kind", "tenant_score", "tenant_grade", "check_id", "title", "area", "severity",
    "status", "summary", "evidence_count", "accepted_by", "accepted_until", "remediation",
]


def results_json(results: AuditResults) -> str:
    return results.model_dump_json(indent=2) + "\n"


def results_csv(results: AuditResults) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for tenant in results.tenants:
        for result in tenant.results:
            writer.writerow({
                "tenant_id": tenant.tenant_id,
                "tenant": tenant.display_name,
                "kind": tenant.kind,
                "tenant_score": "" if tenant.score is None else tenant.score,
                "tenant_grade": tenant.grade,
                "check_id": result.check_id,
                "title": result.title,
                "area": result.area.value,
                "severity": result.severity.value,
                "status": result.status.value,
                "summary": result.summary,
                "evidence_count": len(result.evidence),
                "accepted_by": result.acceptance.owner if result.acceptance else "",
                "accepted_until": result.acceptance.expires.isoformat() if result.acceptance else "",
                "remediation": result.remediation,
            })
    return buffer.getvalue()


Writer = Callable[[AuditResults, Path], list[Path]]


def write_json(results: AuditResults, out_dir: Path) -> list[Path]:
    return [atomic_write_text(out_dir / "results.json", results_json(results))]


def write_csv(results: AuditResults, out_dir: Path) -> list[Path]:
    return [atomic_write_text(out_dir / "results.csv", results_csv(results))]


WRITERS: dict[str, Writer] = {"json": write_json, "csv": write_csv}


def write_results(results: AuditResults, out_dir: Path, formats: list[str] | None = None) -> list[Path]:
    written: list[Path] = []
    for name in formats or list(WRITERS):
        written.extend(WRITERS[name](results, out_dir))
    return written


def dump_json_lines(data: object) -> str:
    return json.dumps(data, indent=2, default=str)
