"""A tenant name without a space (Entra allows 256 characters of one) wraps on every page of the
scorecard instead of running off it: the cover stays one page with its contents box, and no line of text
leaves the paper."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from auditor.report import render_reports
from auditor.report.formatting import soft_wrapped
from tests.test_render_helpers import make_results, make_tenant

LONG = "A" * 256


def test_soft_wrapped_breaks_only_long_runs():
    assert soft_wrapped("Contoso Pharmaceuticals Ltd") == "Contoso Pharmaceuticals Ltd"
    wrapped = soft_wrapped("Fabrikam " + LONG)
    assert wrapped.replace("\u200b", "") == "Fabrikam " + LONG
    assert max(len(piece) for piece in wrapped.split("\u200b")) <= 10 + len("Fabrikam ")


def _right_edge_overflow(pdf_path) -> list[tuple[int, str]]:
    """Text drawn past the page's right edge, as (page number, text) pairs."""
    reader = PdfReader(pdf_path)
    outside: list[tuple[int, str]] = []
    for number, page in enumerate(reader.pages, start=1):
        width = float(page.mediabox.width)

        def visit(text, cm, tm, font, size, page_number=number, width=width):
            x = tm[4] * cm[0] + cm[4]
            if text.strip() and x + 0.3 * size * len(text.strip()) > width + 1:
                outside.append((page_number, text.strip()[:40]))

        page.extract_text(visitor_text=visit)
    return outside


def test_a_long_unbroken_name_stays_on_the_page(tmp_path):
    tenant = make_tenant(LONG, posture=0.5, seed=3)
    render_reports(make_results([tenant]), tmp_path, media=("pdf",))
    pdf = next(tmp_path.rglob("scorecard.pdf"))
    reader = PdfReader(pdf)
    first = reader.pages[0].extract_text()
    assert "Contents" in first  # the cover keeps its contents box on its one page
    assert "Executive summary" in reader.pages[1].extract_text()
    assert not _right_edge_overflow(pdf)


class _Labels:
    """A Progress that keeps the labels it is given."""

    def __init__(self) -> None:
        self.labels: list[str] = []

    def start(self, total: int, description: str) -> None:
        pass

    def advance(self, label: str = "", failed: bool = False) -> None:
        self.labels.append(label)

    def finish(self) -> None:
        pass


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_names_a_long_tenant_without_the_report_break_points(tmp_path, jobs):
    """The break points are for reports only: the terminal's progress shows the name as text, so a name
    copied from it is the tenant's own (one process and render workers alike)."""
    results = make_results([make_tenant("Fabrikam " + LONG[:150], tenant_id="11111111-1111-4111-8111-111111111111"),
                            make_tenant("Contoso Ltd", tenant_id="22222222-2222-4222-8222-222222222222")])
    progress = _Labels()
    render_reports(results, tmp_path, jobs=jobs, progress=progress, media=("html",))
    assert sorted(progress.labels) == sorted(["Fabrikam " + LONG[:150], "Contoso Ltd", "portfolio"])
