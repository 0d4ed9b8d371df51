"""Writing the reports: each scorecard and the portfolio as HTML and PDF from one view model, in one
process or in a pool of render workers that end with their parent."""

from __future__ import annotations

import gc
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from auditor.config import Branding
from auditor.fsutil import atomic_write_bytes, atomic_write_text
from auditor.progress import NoProgress, Progress
from auditor.report.branding import resolve_brand
from auditor.report.environment import RenderContext, environment, portfolio_values, render, scorecard_values
from auditor.report.formatting import soft_wrapped, tenant_slugs
from auditor.report.paths import paper_size
from auditor.report.pdf import BrandColours, _report_html_class, _stylesheets, brand_colours, html_to_pdf
from auditor.report.priority import CheckTexts, check_texts
from auditor.safe_text import shorten
from auditor.results import AuditResults, TenantResult
from auditor.trend import TenantChange


@dataclass(frozen=True)
class Written:
    paths: tuple[Path, ...]
    pages: int
    html_seconds: float
    pdf_seconds: float
    label: str


def _write_html_and_pdf(template: str, ctx: RenderContext, folder: Path, label: str, started: float,
                        values: dict[str, Any]) -> Written:
    """FOLDER/<template> as HTML and as PDF from one view model; html_seconds includes building the view."""
    stem = Path(template).stem
    paths: list[Path] = []
    if "html" in ctx.media:
        paths.append(atomic_write_text(folder / f"{stem}.html", render(template, ctx, "html", values)))
    html_done = time.perf_counter()
    pages = 0
    if "pdf" in ctx.media:
        pdf = html_to_pdf(render(template, ctx, "pdf", values), ctx.brand, ctx.paper)
        paths.append(atomic_write_bytes(folder / f"{stem}.pdf", pdf.data))
        pages = pdf.pages
    return Written(tuple(paths), pages, html_done - started, time.perf_counter() - html_done, label)


def write_scorecard(tenant: TenantResult, ctx: RenderContext, folder: Path, change: TenantChange | None) -> Written:
    started = time.perf_counter()
    values = scorecard_values(tenant, ctx, change)
    return _write_html_and_pdf("scorecard.html", ctx, folder, tenant.display_name, started, values)


def write_portfolio(results: AuditResults, ctx: RenderContext, out_dir: Path, slugs: dict[str, str],
                    history: dict[str, TenantChange] | None) -> Written:
    started = time.perf_counter()
    values = portfolio_values(results, ctx, slugs, history)
    return _write_html_and_pdf("portfolio.html", ctx, out_dir, "portfolio", started, values)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """While this process renders: what it already holds (the audit results, modules, stylesheets) is out of
    the cyclic garbage collector's sight, so its collections walk only the documents' own objects; put back
    afterwards, so nothing is kept longer than it would be."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _warm_up(paper: str, colours: BrandColours) -> None:
    from auditor.workers import die_with_parent

    die_with_parent()  # SIGTERM or SIGKILL to the main process must not leave workers writing files
    _stylesheets(paper, colours)
    _report_html_class()
    environment()
    # What a render worker holds for its whole life (modules, stylesheets, templates) is moved out of the
    # cyclic collector's sight: the collection after each document then walks only that document's objects.
    gc.freeze()


NAME_CHARS = 200  # a tenant name in reports


def _renamed(results: AuditResults, name_for: Callable[[str], str]) -> AuditResults:
    """``results`` with each tenant's display name passed through ``name_for`` (a copy only of the tenants
    whose name changes)."""
    tenants = []
    for tenant in results.tenants:
        name = name_for(tenant.display_name)
        tenants.append(tenant if name == tenant.display_name else tenant.model_copy(update={"display_name": name}))
    return results.model_copy(update={"tenants": tenants})


def render_all(
    results: AuditResults,
    out_dir: Path,
    branding: Branding | None = None,
    *,
    paper: str = "A4",
    history: dict[str, TenantChange] | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    texts: dict[str, CheckTexts] | None = None,
    media: tuple[str, ...] = ("html", "pdf"),
) -> list[Written]:
    """Render every report; returns one ``Written`` per document (paths, pages, timings) for the caller
    and the benchmark. Branding and paper are checked before anything is rendered."""
    brand = resolve_brand(branding)
    size = paper_size(paper)
    ctx = RenderContext(
        results_tool=results.tool.name,
        tool_version=results.tool.version,
        ruleset_version=results.tool.ruleset_version,
        run_id=results.run_id,
        operator=results.operator,
        generated_at=results.generated_at,
        brand=brand,
        paper=size,
        texts=check_texts() if texts is None else texts,
        scoring=results.scoring,
        media=tuple(media),
    )
    history = history or {}
    # Reports (and folder names) show at most NAME_CHARS of a tenant's name: an 8 KB name took minutes to lay
    # out. results.json, CSV and XLSX keep it whole.
    results = _renamed(results, lambda name: shorten(name, NAME_CHARS))
    slugs = tenant_slugs(results.tenants)
    # Progress names each tenant as the terminal shows text: without the report-only break points below.
    labels = {tenant.tenant_id: tenant.display_name for tenant in results.tenants}
    # Then a long run without a space (Entra allows 256 characters of one) gets invisible break points, so
    # the name wraps on the cover, in the summary and in the running header instead of leaving the page.
    results = _renamed(results, soft_wrapped)
    with_portfolio = len(results.tenants) > 1 or any(t.kind == "partner" for t in results.tenants)
    progress = progress or NoProgress()
    progress.start(len(results.tenants) + (1 if with_portfolio else 0), "Rendering reports")
    written: list[Written] = []
    if jobs <= 1:
        with frozen_heap():
            for tenant in results.tenants:
                written.append(write_scorecard(tenant, ctx, out_dir / slugs[tenant.tenant_id],
                                               history.get(tenant.tenant_id)))
                progress.advance(labels[tenant.tenant_id])
            if with_portfolio:
                written.append(write_portfolio(results, ctx, out_dir, slugs, history))
                progress.advance("portfolio")
    else:
        from auditor.workers import stopping_workers

        with ProcessPoolExecutor(max_workers=jobs, initializer=_warm_up,
                                 initargs=(size, brand_colours(ctx.brand))) as pool:
            futures = {}  # each document's future -> its progress label
            if with_portfolio:  # the longest document first, so it does not finish last alone
                futures[pool.submit(write_portfolio, results, ctx, out_dir, slugs, history)] = "portfolio"
            for tenant in results.tenants:
                futures[pool.submit(write_scorecard, tenant, ctx, out_dir / slugs[tenant.tenant_id],
                                    history.get(tenant.tenant_id))] = labels[tenant.tenant_id]
            # One failed document, Ctrl-C or SIGTERM stops the run: the workers are killed, nothing more is written.
            with stopping_workers(pool):
                for future in as_completed(futures):
                    written.append(future.result())
                    progress.advance(futures[future])
    progress.finish()
    return written


def render_reports(
    results: AuditResults,
    out_dir: Path,
    branding: Branding | None = None,
    *,
    paper: str = "A4",
    history: dict[str, TenantChange] | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    media: tuple[str, ...] = ("html", "pdf"),
) -> list[Path]:
    """Write DIR/<tenant-slug>/scorecard.html and .pdf for every tenant (the partner's own included) and
    DIR/portfolio.html and .pdf when there is more than one tenant or a partner tenant."""
    if not media:
        return []
    written = render_all(results, out_dir, branding, paper=paper, history=history, jobs=jobs, progress=progress,
                         media=media)
    return [path for item in written for path in item.paths]
