"""The bundled sample, evaluated and rendered once per test session for the report tests
(tests/test_report_sample.py, tests/test_report_browser.py); the fixture lives in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

from auditor.results import AuditResults

OPERATOR = "root"  # the login that ran the audit: recorded in results.json, never on a page


def sample_results() -> AuditResults:
    """The bundled sample evaluated as `run --sample` does: as of its collection time."""
    from auditor.config import load_config
    from auditor.evaluate import evaluate
    from auditor.registry import Registry
    from auditor.samples import sample_config_path, sample_snapshots_dir
    from auditor.snapshot import load_snapshots

    config = load_config(sample_config_path())
    snapshots = load_snapshots([sample_snapshots_dir()])
    as_of = max(s.collected_at for s in snapshots)
    return evaluate(snapshots, Registry.from_entry_points(), as_of, config, operator=OPERATOR)


def render_sample(out: Path) -> tuple[AuditResults, Path, dict[str, int]]:
    from auditor.config import load_config
    from auditor.report import render_all
    from auditor.samples import sample_config_path

    results = sample_results()
    written = render_all(results, out, load_config(sample_config_path()).branding, jobs=2)
    return results, out, {w.label: w.pages for w in written}
