"""Where the report templates and their bundled assets live, and the limits every report shares."""

from __future__ import annotations

from pathlib import Path


def _package_dir() -> Path:
    # Through __path__, not the package's __init__: an editable install made before reports/__init__.py
    # existed imports `reports` as a namespace package, whose __init__ never runs.
    import reports

    return Path(next(iter(reports.__path__))).resolve()


TEMPLATES_DIR = _package_dir() / "templates"
ASSETS_DIR = TEMPLATES_DIR / "assets"
STYLESHEET = TEMPLATES_DIR / "print.css"
FONTS_STYLESHEET = ASSETS_DIR / "fonts.css"  # @font-face rules for the bundled fonts (PDF only)
PLACEHOLDER_LOGO = ASSETS_DIR / "logo-placeholder.svg"


SCORECARD_TITLE = "Security posture scorecard"
PORTFOLIO_TITLE = "Portfolio security report"
PAPER_SIZES = {"A4": "A4", "LETTER": "letter"}
HEATMAP_ROWS_PER_CHART = 40  # one SVG per page-sized slice, because an SVG never breaks across pages


class BrandingError(Exception):
    """Branding that cannot be used (a missing or non-image logo, a bad colour); one line."""


class RenderError(Exception):
    """A report that cannot be rendered from the given input; one line."""


def paper_size(paper: str) -> str:
    """"a4"/"Letter" → the CSS page size; RenderError for anything else."""
    size = PAPER_SIZES.get(paper.upper())
    if size is None:
        raise RenderError(f"paper {paper!r}: choose A4 or Letter")
    return size
