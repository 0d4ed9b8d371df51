"""The layout does not depend on the machine: PDFs embed only the bundled fonts, loaded through the
restricted fetcher, and no stylesheet or chart names another font family."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader

from auditor.report import charts
from auditor.report import ASSETS_DIR, STYLESHEET, render_reports
from tests.test_render_helpers import make_results, make_tenant

FONTS_DIR = ASSETS_DIR / "fonts"
# WeasyPrint names embedded fonts "Liberation-Sans-Bold" and the like; compared without hyphens.
BUNDLED = {"LiberationSans", "LiberationSansBold", "LiberationSansItalic", "LiberationSansBoldItalic",
           "LiberationMono", "LiberationMonoBold"}


def embedded_fonts(path: Path) -> set[str]:
    """PostScript names of every font a PDF uses, without the subset tag (``ABCDEF+``)."""
    names = set()
    for page in PdfReader(path).pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            name = re.sub(r"^[A-Z]{6}\+", "", str(ref.get_object()["/BaseFont"]).lstrip("/"))
            names.add(name.replace("-", ""))
    return names


def test_pdf_embeds_only_the_bundled_fonts(tmp_path):
    results = make_results([make_tenant("Contoso Ltd", posture=0.5)])
    render_reports(results, tmp_path, None)
    pdfs = sorted(tmp_path.rglob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        used = embedded_fonts(pdf)
        assert used, f"{pdf.name}: no font found"
        assert used <= BUNDLED, f"{pdf.name} embeds fonts that are not bundled: {sorted(used - BUNDLED)}"
        assert "LiberationSansBold" in used  # headings: the bold face really is the bundled one


def test_bundled_fonts_and_licence_ship_with_the_package():
    files = {p.name for p in FONTS_DIR.iterdir()}
    assert "LICENSE.txt" in files and "SIL Open Font License" in (FONTS_DIR / "LICENSE.txt").read_text()
    declared = re.findall(r"url\((fonts/[^)]+)\)", (ASSETS_DIR / "fonts.css").read_text())
    assert declared and all((ASSETS_DIR / url).is_file() for url in declared)


def test_no_other_font_family_is_named():
    families = set()
    for css in (STYLESHEET.read_text(), (ASSETS_DIR / "fonts.css").read_text()):
        for value in re.findall(r"font(?:-family)?\s*:\s*([^;}]+)", css):
            families |= {name.strip().strip('"') for name in re.findall(r'"[^"]+"', value)}
    families |= {name.strip() for name in charts.FONT.split(",")}
    assert families <= {"Liberation Sans", "Liberation Mono", "sans-serif", "monospace"}, families
