"""Customer scorecards and the partner portfolio report, as HTML and PDF (DESIGN.md "Reports").

One module per job:

- ``paths``: where templates and bundled assets live; the errors a render raises.
- ``branding``: the partner's logo and colours, validated before anything is rendered.
- ``wording``: customer words (no API names, no tool configuration) and partner-only hints.
- ``evidence``: evidence tables, offending rows first, advisory rows folded into a sentence.
- ``priority``: the action plan and its documented priority rule.
- ``unknowns``, ``summary``: why checks could not run; the executive summary's sentences.
- ``scorecard``, ``portfolio``: the view models.
- ``charts``: inline SVG charts.
- ``environment``: the Jinja2 environment and HTML rendering.
- ``pdf``: WeasyPrint with the restricted URL fetcher.
- ``writers``: writing every report, in parallel workers when asked.

The names below are imported lazily, so ``import auditor.report.charts`` does not pull in Jinja2.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "BrandingError": "paths",
    "RenderError": "paths",
    "ASSETS_DIR": "paths",
    "STYLESHEET": "paths",
    "validate_branding": "branding",
    "resolve_brand": "branding",
    "Brand": "branding",
    "tenant_slugs": "formatting",
    "EVIDENCE_ROWS_SHOWN": "evidence",
    "EVIDENCE_ROWS_IN_REPORT": "evidence",
    "RenderContext": "environment",
    "render_scorecard_html": "environment",
    "render_portfolio_html": "environment",
    "scorecard_view": "scorecard",
    "portfolio_view": "portfolio",
    "html_to_pdf": "pdf",
    "restricted_fetcher": "pdf",
    "render_all": "writers",
    "render_reports": "writers",
    "Written": "writers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'auditor.report' has no attribute {name!r}")
    return getattr(import_module(f"auditor.report.{module}"), name)
