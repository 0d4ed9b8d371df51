"""The running header and footer keep their one line each (the margin boxes have fixed widths since issue
16: WeasyPrint no longer measures their text on every page, so these texts must fit the widths given)."""

from __future__ import annotations

from collections import defaultdict

from pypdf import PdfReader

from auditor.config import Branding
from auditor.report import render_reports
from tests.test_render_helpers import make_results, make_tenant

# 75 characters with spaces: the running header shows it cut at 70, the longest text the header carries.
LONG_NAME = "Contoso Pharmaceuticals International Holdings and Research Subsidiaries"


def _lines(page) -> dict[int, str]:
    """The page's text by baseline (PDF points from the bottom), each line's fragments joined in order."""
    lines: dict[int, list[tuple[float, str]]] = defaultdict(list)

    def visit(text, cm, tm, font, size):
        if text.strip():
            x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
            lines[round(y)].append((x, text.strip()))

    page.extract_text(visitor_text=visit)
    return {y: " ".join(text for _, text in sorted(parts)) for y, parts in lines.items()}


# A partner's own confidentiality line of 100 characters.
FOOTER = "Confidential: prepared by Northwind Cloud Partners for the named organisation; do not forward it."


def test_header_and_footer_stay_on_one_line_each(tmp_path):
    results = make_results([make_tenant(LONG_NAME + " Group", posture=0.4, seed=5)])
    render_reports(results, tmp_path, Branding(partner_name="Northwind", footer_text=FOOTER), media=("pdf",))
    reader = PdfReader(next(tmp_path.rglob("scorecard.pdf")))
    pages = len(reader.pages)
    for number in (2, pages):
        lines = _lines(reader.pages[number - 1])
        top, bottom = max(lines), min(lines)
        # Header: the name cut at 70 characters and the report title share the top line.
        assert LONG_NAME[:60] in lines[top] and "Security posture scorecard" in lines[top], lines[top]
        # Footer: the partner's confidentiality line and the page number share the bottom line.
        assert lines[bottom] == f"{FOOTER} Page {number} of {pages}", lines[bottom]


def test_cover_provenance_values_sit_on_their_labels_line(tmp_path):
    """The cover's labels and values share a line (a layout rule for the table around them took the values'
    padding away and set each 1.3 mm above its label; found by the new-user trial)."""
    tenant = make_tenant("Coho Winery", posture=0.4, seed=5)
    render_reports(make_results([tenant]), tmp_path, media=("pdf",))
    lines = _lines(PdfReader(next(tmp_path.rglob("scorecard.pdf"))).pages[0])
    assert any(text.startswith("Organisation Coho Winery") for text in lines.values()), lines
    assert any(text.startswith("Tenant type Customer") for text in lines.values()), lines
