"""Where text sits on the PDF page: the running header and footer keep their one line each (the margin boxes
have fixed widths since issue 16: WeasyPrint no longer measures their text on every page, so these texts
must fit the widths given); the cover's provenance, a long partner name and the summary's figures."""

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


def _fragments(page) -> list[tuple[float, float, str]]:
    """(x, baseline y, text) of each text fragment on the page, in PDF points."""
    found: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], text.strip()))

    page.extract_text(visitor_text=visit)
    return found


# 200 characters: the longest partner name the branding accepts.
LONG_PARTNER = ("Northwind Cloud Partners International Managed Security Services and Consulting Group " * 3)[:200]


def test_a_long_partner_name_wraps_beside_the_logo_not_under_it(tmp_path):
    render_reports(make_results([make_tenant("Coho Winery", seed=5)]), tmp_path,
                   Branding(partner_name=LONG_PARTNER), media=("pdf",))
    cover = PdfReader(next(tmp_path.rglob("scorecard.pdf"))).pages[0]
    # The name's lines: the fragments above the cover's title (the tenant's name), at the top of the band.
    title = max(y for x, y, text in _fragments(cover) if text == "Coho Winery")
    name_lines = [(x, y) for x, y, text in _fragments(cover) if y > title]
    assert len({round(y) for _, y in name_lines}) >= 3  # it does wrap
    starts = {round(x) for x, _ in name_lines}
    assert len(starts) == 1, name_lines  # every line starts at the same x, right of the logo
    title_x = min(x for x, y, text in _fragments(cover) if text == "Coho Winery")
    assert starts.pop() > title_x + 30  # the logo sits at the band's left edge, with the title; the name beside it


def test_the_summary_figures_sit_in_two_rows_of_two(tmp_path):
    """Beside the gauge, four figures of 30 mm did not fit: the fourth wrapped alone under the first."""
    render_reports(make_results([make_tenant("Coho Winery", posture=0.4, seed=5)]), tmp_path, media=("pdf",))
    summary = PdfReader(next(tmp_path.rglob("scorecard.pdf"))).pages[1]
    where = {text: (round(x), round(y)) for x, y, text in _fragments(summary)
             if text in ("GRADE", "SCORE OUT OF 100", "COVERAGE", "CRITICAL FAILURES")}
    assert len(where) == 4, where
    assert where["GRADE"][1] == where["SCORE OUT OF 100"][1] > where["COVERAGE"][1] == where["CRITICAL FAILURES"][1]
    assert where["GRADE"][0] == where["COVERAGE"][0] < where["SCORE OUT OF 100"][0] == where["CRITICAL FAILURES"][0]
