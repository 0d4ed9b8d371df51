"""The Jinja2 environment of the reports (autoescape on for every template: tenant data is untrusted), the
context every report of one run shares, and rendering a scorecard or the portfolio to HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from auditor.safe_text import file_text
from auditor.report.wording import customer_text
from auditor.framework_view import portfolio_frameworks, tenant_frameworks
from auditor.report import charts
from auditor.report.branding import Brand
from auditor.report.formatting import fmt_date, fmt_datetime, fmt_pct, fmt_score
from auditor.report.paths import STYLESHEET, TEMPLATES_DIR
from auditor.report.portfolio import portfolio_view
from auditor.report.priority import CheckTexts
from auditor.report.scorecard import scorecard_view
from auditor.report.summary import status_meanings
from auditor.results import (
    AREA_TITLES,
    INCOMPLETE,
    SEVERITY_WEIGHTS,
    STATUS_LABELS,
    AuditResults,
    ScoringRule,
    Status,
    TenantResult,
    ruleset_label,
)
from auditor.scoring import GRADE_FLOORS
from auditor.trend import TenantChange

# After "@", "_", "/" and "-", and before "." and "#": where a UPN or a long identifier may wrap.
_BREAK_AFTER = re.compile(r"(?<=[@_/-])(?=.)|(?<=.)(?=[.#])")


_LONG_WORD = re.compile(r"\S{17,}")


def breakable(value: Any) -> Markup:
    """Escaped text with line-break opportunities (<wbr>) at "@", ".", "_", "#", "/" and "-" inside words
    longer than 16 characters, so UPNs and identifiers wrap there rather than mid-word (the PDF turns each
    into U+200B: see auditor.report.pdf.html_to_pdf). Called for every evidence cell (~1,000 per
    scorecard, twice: in the HTML and in the PDF): text without a long word is escaped in one step, and each
    text is worked out once per process."""
    return _breakable_text(str(value))


@lru_cache(maxsize=16384)
def _breakable_text(value: str) -> Markup:
    text = file_text(value)
    if not _LONG_WORD.search(text):
        return escape(text)
    parts = []
    last = 0
    for match in _LONG_WORD.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup("<wbr>").join(escape(piece) for piece in _BREAK_AFTER.split(match.group(0))))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _finalize(value: Any) -> Any:
    return file_text(value) if isinstance(value, str) and not isinstance(value, Markup) else value


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one environment of this process: templates are compiled once, not once per report."""
    # autoescape=True (not select_autoescape): every template escapes, whatever its file name.
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Every value a template prints is the tenants' text at heart: controls and bidi overrides dropped
    # (auditor.safe_text.file_text), before autoescape. Markup (already escaped by a filter) passes as is.
    env.finalize = _finalize
    env.filters.update(score=fmt_score, pct=fmt_pct, date=fmt_date, datetime=fmt_datetime, breakable=breakable,
                       customer_words=customer_text)
    env.globals.update(
        Status=Status,
        STATUS_LABELS=STATUS_LABELS,
        INCOMPLETE=INCOMPLETE,
        SEVERITY_WEIGHTS=SEVERITY_WEIGHTS,
        GRADE_FLOORS=GRADE_FLOORS,
        AREA_TITLES=AREA_TITLES,
        score_colour=charts.score_colour,
        grade_colour=charts.grade_colour,
    )
    return env


@lru_cache(maxsize=1)
def stylesheet_text() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


@dataclass(frozen=True)
class RenderContext:
    """What every report of one run shares. ``operator`` is the login that ran the audit: recorded in the
    partner's data outputs, never printed on a customer page (the cover names the partner instead)."""

    results_tool: str
    tool_version: str
    ruleset_version: str
    run_id: str
    operator: str
    generated_at: datetime
    brand: Brand
    paper: str
    texts: dict[str, CheckTexts] = field(default_factory=dict)
    scoring: ScoringRule = field(default_factory=ScoringRule)
    media: tuple[str, ...] = ("html", "pdf")  # which of the two each document is written as (--formats)

    @property
    def checklist(self) -> str:
        """The rule set as customers read it: "Checklist version 3, November 2026"."""
        return ruleset_label(self.ruleset_version)

    @property
    def status_meanings(self) -> dict[Status, str]:
        return status_meanings(self.scoring)


def _common(ctx: RenderContext, media: str) -> dict[str, Any]:
    if media == "html":
        logo_src = ctx.brand.logo_data_uri
        inline_css = Markup(stylesheet_text())
    else:
        logo_src, inline_css = ctx.brand.logo_file_url, None
    return {
        "ctx": ctx,
        "brand": ctx.brand,
        "logo_src": logo_src,
        "inline_css": inline_css,
        "page_size": ctx.paper,
        "media": media,
    }


def render(template: str, ctx: RenderContext, media: str, values: dict[str, Any]) -> str:
    """``template`` rendered for ``media`` ("html": self-contained; "pdf": assets by file for WeasyPrint)."""
    return environment().get_template(template).render(**values, **_common(ctx, media))


def scorecard_values(tenant: TenantResult, ctx: RenderContext, change: TenantChange | None) -> dict[str, Any]:
    view = scorecard_view(tenant, ctx.texts, change, ctx.scoring, (ctx.run_id, ctx.generated_at))
    return {"view": view, "tenant": tenant, "frameworks": tenant_frameworks(tenant.results)}


def portfolio_values(results: AuditResults, ctx: RenderContext, slugs: dict[str, str],
                     history: dict[str, TenantChange] | None) -> dict[str, Any]:
    return {"view": portfolio_view(results, slugs, ctx.texts, history), "results": results,
            "frameworks": portfolio_frameworks(results)}


def render_scorecard_html(tenant: TenantResult, ctx: RenderContext, change: TenantChange | None = None,
                          media: str = "html") -> str:
    return render("scorecard.html", ctx, media, scorecard_values(tenant, ctx, change))


def render_portfolio_html(results: AuditResults, ctx: RenderContext, slugs: dict[str, str],
                          history: dict[str, TenantChange] | None = None, media: str = "html") -> str:
    return render("portfolio.html", ctx, media, portfolio_values(results, ctx, slugs, history))
