"""Tenant strings in files (issue 11, kind 2): CSV and XLSX read back as a program and a spreadsheet would.
A carriage return cannot start a row, no cell starts a formula even after spaces or separators, control
characters are gone, and bidirectional overrides are dropped (a name cannot reorder the text around it)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from auditor.outputs import results_csv
from auditor.safe_text import file_text, shorten, spreadsheet_text
from auditor.xlsx_export import build_workbook
from tests.test_render_helpers import make_results, make_tenant

HOSTILE_NAMES = [
    "Contoso\r=cmd|' /C calc'!A0",
    "Fabrikam\r\n+SUM(A1:A9)",
    "  =HYPERLINK(\"http://evil.example\")",
    ";@SUM(1)",
    "Nul\x00Vtab\x0bBack\x08space",
    "Trojan \u202etxt.exe",
]


@pytest.fixture(scope="module")
def results():
    return make_results([make_tenant(name, tenant_id=f"00000000-0000-4000-8000-00000000000{i}")
                         for i, name in enumerate(HOSTILE_NAMES)])


def _dangerous(cell: str) -> bool:
    first = cell.lstrip(" \t\n,;|\u2068")[:1]
    return bool(first) and first in "=+-@" and not cell.startswith("'")


def test_csv_rows_stay_rows_and_no_cell_is_a_formula(results):
    text = results_csv(results)
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = sum(len(t.results) for t in results.tenants)
    assert len(rows) == expected
    tenants = {row["tenant"] for row in rows}
    assert len(tenants) == len(HOSTILE_NAMES)
    for row in rows:
        for value in row.values():
            assert not _dangerous(value), value
            assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in value), repr(value)
    # A spreadsheet-style reader (pandas' C parser) sees the same number of rows and no formula.
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert len(frame) == expected
    assert not any(_dangerous(v) for v in frame["tenant"])


def test_xlsx_cells_are_text_without_controls(results, tmp_path):
    path = tmp_path / "r.xlsx"
    build_workbook(results, path)
    workbook = load_workbook(path)
    names = [row[0] for row in workbook["summary"].iter_rows(min_row=2, values_only=True)]
    assert len(names) == len(HOSTILE_NAMES)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                if isinstance(cell.value, str):
                    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in cell.value), repr(cell.value)
    assert "Trojan txt.exe" in names  # the override dropped: the name reads in its stored order


@pytest.mark.parametrize("raw, expected", [
    ("a\r\nb\rc", "a\nb\nc"),
    ("x\x00y\x0bz\x08\x7f\x9b", "xyz"),
    ("tab\tkept", "tab\tkept"),
    ("\u202eevil", "evil"),
    ("a\u2067b\u202ac\u2069d\u202c", "abcd"),
    ("mark\u200fhere", "\u2068mark\u200fhere\u2069"),
    ("\u2068mark\u200fhere\u2069", "\u2068mark\u200fhere\u2069"),  # the same again: it is idempotent
    ("plain ünïcödé", "plain ünïcödé"),
])
def test_file_text(raw, expected):
    assert file_text(raw) == expected


@pytest.mark.parametrize("raw", ["=1+1", " =1", "\t+1", "\r-1", ";@x", ",=x", "｜", "\uff1dSUM(1)"])
def test_spreadsheet_text_neutralises_formula_starts(raw):
    shown = spreadsheet_text(raw)
    if raw == "｜":
        assert shown == raw
    else:
        assert shown.startswith("'")


def test_shorten():
    assert shorten("x" * 10, 10) == "x" * 10
    assert shorten("x" * 11, 10) == "x" * 9 + "…"


def test_reports_show_hostile_names_as_text_and_long_names_shortened(tmp_path):
    """HTML and PDF (issue 11, kind 2): no control character reaches them, a right-to-left override is
    isolated, a name of thousands of characters is shortened (JSON keeps it whole), and a tenant called
    CON or "snapshots" gets a folder Windows and the tool can both use."""
    from pypdf import PdfReader

    from auditor.report import render_reports
    from auditor.report.formatting import slugify

    hostile = "Evil \x1b[31mRED\x1b[0m \u202egnp.exe\x00\x0b\x08"
    long_name = "Very Long Name " * 600
    results = make_results([make_tenant(hostile, tenant_id="00000000-0000-4000-8000-0000000000a1"),
                            make_tenant(long_name, tenant_id="00000000-0000-4000-8000-0000000000a2")])
    render_reports(results, tmp_path, None, jobs=1)
    html_files = sorted(tmp_path.rglob("*.html"))
    assert len(html_files) == 3
    for path in html_files:
        text = path.read_text()
        assert not any(ord(ch) < 32 and ch not in "\n\t\r" for ch in text), path
        assert "\u202egnp.exe" not in text or "\u2068Evil" in text
        assert long_name not in text
    assert long_name[:150] in (tmp_path / "portfolio.html").read_text()
    for pdf in tmp_path.rglob("*.pdf"):
        extracted = "".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
        assert "\x1b" not in extracted
    assert slugify("CON") == "con-tenant" and slugify("nul.txt") == "nul-txt-tenant"
    assert slugify("Snapshots") == "snapshots-tenant" and slugify("Contoso") == "contoso"


def test_one_line_for_notifications():
    from auditor.safe_text import one_line

    assert one_line("Contoso\r\n\x1b[31m\u202eevil\u2028x", 100) == "Contoso [31m evil x"
    assert one_line("  " + "y" * 10, 5) == "yyyy…"


def test_an_override_in_a_tenant_name_cannot_reverse_the_reports_own_sentences(tmp_path):
    """The new-user trial: a name with an unterminated right-to-left override, placed in the summary's
    sentence ("We checked NAME's Microsoft 365 …"), reversed the rest of that sentence in the PDF."""
    from pypdf import PdfReader

    from auditor.report import render_reports

    results = make_results([make_tenant("Evil \u202eCorp Travel", tenant_id="00000000-0000-4000-8000-0000000000b1")])
    render_reports(results, tmp_path, None, jobs=1, media=("html", "pdf"))
    reader = PdfReader(next(tmp_path.rglob("scorecard.pdf")))
    cover, summary = (" ".join(reader.pages[n].extract_text().split()) for n in (0, 1))
    assert "Evil Corp Travel" in cover and "levarT" not in cover
    assert "We checked Evil Corp Travel" in summary and "tfosorciM" not in summary
    assert "\u202e" not in next(tmp_path.rglob("scorecard.html")).read_text()
