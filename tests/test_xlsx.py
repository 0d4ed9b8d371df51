"""results.xlsx: four sheets, untrusted text stays text, Excel's limits kept, written atomically. Every test reads
the written file back with openpyxl, as a spreadsheet would."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, timedelta, timezone

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from auditor import xlsx_export
from auditor.results import Acceptance, Attestation
from auditor.safe_text import file_text
from auditor.xlsx_export import (
    ABOUT_COLUMNS, EVIDENCE_COLUMNS, FINDINGS_COLUMNS, MAX_CELL_CHARS, SUMMARY_COLUMNS, TRUNCATED_MARKER, write_xlsx,
)
from tests.test_store_backends import audit, check, tenant


@pytest.fixture
def results():
    contoso = tenant("c-1", "Contoso", {"MFA-1": "PASS", "MFA-2": "FAIL", "CON-1": "UNKNOWN"}, tags=["retail", "eu"])
    contoso.results[1].evidence = [
        {"userPrincipalName": "ann@contoso.com", "roles": ["Global Administrator"]},
        {"userPrincipalName": "=HYPERLINK(\"https://evil.example\",\"click\")", "roles": []},
    ]
    contoso.results.append(check("ADM-1", "ACCEPTED", acceptance=Acceptance(reason="Vendor", owner="CISO", expires=date(2027, 3, 31))))
    hostile = tenant("h-2", "=1+2\x07Hostile", {"MFA-1": "FAIL"})
    hostile.results[0].evidence = []
    return audit("run-1", [contoso, hostile])


def rows(sheet):
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_four_sheets_with_a_row_per_tenant_finding_and_evidence_field(results, tmp_path):
    (path,) = write_xlsx(results, tmp_path)
    assert path == tmp_path / "results.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["summary", "findings", "evidence", "about"]

    summary = rows(book["summary"])
    assert summary[0] == SUMMARY_COLUMNS
    contoso = dict(zip(SUMMARY_COLUMNS, summary[1]))
    assert (contoso["Tenant"], contoso["Tags"], contoso["Score"], contoso["FAIL"], contoso["ACCEPTED"]) == (
        "Contoso", "retail, eu", results.tenants[0].score, 1, 1)
    assert len(summary) == 1 + len(results.tenants)

    findings = rows(book["findings"])
    assert findings[0] == FINDINGS_COLUMNS
    assert len(findings) == 1 + sum(len(t.results) for t in results.tenants)
    accepted = dict(zip(FINDINGS_COLUMNS, findings[4]))
    assert (accepted["Check ID"], accepted["Status"], accepted["Accepted by"]) == ("ADM-1", "ACCEPTED", "CISO")
    # The reports' words beside the codes, so a filter on either finds the same rows.
    assert (accepted["Status label"], accepted["Area"], accepted["Area title"]) == ("Accepted risk", "mfa", "MFA enforcement")
    assert accepted["Accepted until"].date() == date(2027, 3, 31)

    evidence = rows(book["evidence"])
    assert evidence[0] == EVIDENCE_COLUMNS
    expected_fields = sum(len(row) for t in results.tenants for r in t.results for row in r.evidence)
    assert len(evidence) == 1 + expected_fields
    mfa2 = [dict(zip(EVIDENCE_COLUMNS, row)) for row in evidence[1:] if row[2] == "MFA-2"]
    assert [(e["Row"], e["Field"], e["Value"]) for e in mfa2[:2]] == [
        (1, "userPrincipalName", "ann@contoso.com"), (1, "roles", '["Global Administrator"]')]


def test_tenant_text_never_becomes_a_formula(results, tmp_path):
    (path,) = write_xlsx(results, tmp_path)
    book = openpyxl.load_workbook(path)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    formulas = [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert formulas == []
    texts = {cell.value for cell in cells if isinstance(cell.value, str)}
    assert '=HYPERLINK("https://evil.example","click")' in texts
    assert "=1+2Hostile" in texts  # the control character Excel cannot store is dropped


def test_the_file_is_replaced_whole(results, tmp_path):
    (tmp_path / "results.xlsx").write_bytes(b"old")
    write_xlsx(results, tmp_path)
    assert openpyxl.load_workbook(tmp_path / "results.xlsx").sheetnames == ["summary", "findings", "evidence", "about"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.xlsx"]  # no temporary file left behind


def test_an_empty_portfolio_still_gives_the_four_sheets(tmp_path):
    (path,) = write_xlsx(audit("empty", []), tmp_path / "new-folder")
    book = openpyxl.load_workbook(path)
    assert [len(rows(book[name])) for name in book.sheetnames] == [1, 1, 1, 9]


def test_the_workbook_times_are_utc(results, tmp_path):
    # --as-of 2026-01-15T11:00+02:00 evaluates at 09:00 UTC; the file's creation time said 11:00 (as UTC).
    from datetime import datetime, timedelta, timezone

    results.generated_at = datetime(2026, 1, 15, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    book = openpyxl.load_workbook(write_xlsx(results, tmp_path)[0])
    assert book.properties.created == datetime(2026, 1, 15, 9, 0)
    assert book["summary"]["H2"].number_format == "0.0%"  # Coverage: one decimal, as in every output
    assert book["summary"]["F2"].number_format == "0.0"  # Score
    assert book["findings"]["M2"].number_format == "yyyy-mm-dd"  # Accepted until


def test_every_table_has_a_bold_frozen_header_fixed_widths_and_a_filter(results, tmp_path):
    book = openpyxl.load_workbook(write_xlsx(results, tmp_path)[0])
    for name, columns in (("summary", SUMMARY_COLUMNS), ("findings", FINDINGS_COLUMNS), ("evidence", EVIDENCE_COLUMNS),
                          ("about", ABOUT_COLUMNS)):
        sheet = book[name]
        assert [cell.value for cell in sheet[1]] == columns
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
        last = get_column_letter(len(columns))
        # Excel's own widths: the 28 characters asked for plus the cell padding Excel adds (under one character).
        widths = [sheet.column_dimensions[get_column_letter(i)].width for i in range(1, len(columns) + 1)]
        assert all(12 <= width < 72 for width in widths)
        if name == "about":
            assert sheet.auto_filter.ref is None
            assert 22 <= widths[0] < 23
        else:
            assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}"
            assert 28 <= widths[0] < 29 and 38 <= widths[1] < 39  # Tenant, Tenant ID
    assert book.properties.title == "Audit run-1"
    assert book.properties.creator.startswith("csp-posture-auditor 0.1.0 (rule set 2026.11-wave1; ")
    about = {row[0].value: row[1] for row in book["about"].iter_rows(min_row=2)}
    assert about["Evaluated at (UTC)"].number_format == "yyyy-mm-dd h:mm:ss"
    assert about["Minimum coverage for a grade"].number_format == "0.0%"


def test_values_keep_their_types(tmp_path):
    contoso = tenant("c-1", "Contoso", {"MFA-1": "FAIL", "ADM-1": "PASS"})
    contoso.results[0].evidence = [{
        "enabled": True, "count": 42, "ratio": 0.25, "missing": None, "empty": "", "nested": {"a": [1, "x"]},
        "signedIn": datetime(2026, 1, 15, 11, 0, tzinfo=timezone(timedelta(hours=2))), "since": date(2025, 12, 1),
        "nan": float("nan"), "inf": float("-inf"), "huge": 10 ** 400,
    }]
    contoso.results[1].attestation = Attestation(reviewer="CISO", reviewed=date(2026, 1, 2),
                                                 valid_until=date(2026, 7, 2))
    book = openpyxl.load_workbook(write_xlsx(audit("run-1", [contoso]), tmp_path)[0])
    cells = {row[5].value: row[6] for row in book["evidence"].iter_rows(min_row=2)}
    values = {field: cell.value for field, cell in cells.items()}
    assert values["enabled"] is True and cells["enabled"].data_type == "b"
    assert values["count"] == 42 and values["ratio"] == 0.25 and cells["count"].data_type == "n"
    assert values["missing"] is None and values["empty"] is None  # blank cells
    assert values["nested"] == '{"a": [1, "x"]}'
    assert values["signedIn"] == datetime(2026, 1, 15, 9, 0)  # naive UTC
    assert cells["signedIn"].number_format == "yyyy-mm-dd h:mm:ss"
    assert values["since"] == datetime(2025, 12, 1) and cells["since"].number_format == "yyyy-mm-dd"
    # What Excel cannot hold as a number is written as results.json writes it.
    assert (values["nan"], values["inf"], values["huge"]) == ("NaN", "-Infinity", str(10 ** 400))
    findings = [dict(zip(FINDINGS_COLUMNS, row)) for row in book["findings"].iter_rows(min_row=2)]
    attested = findings[1]
    assert attested["Attested on"].value == datetime(2026, 1, 2)
    assert attested["Attested on"].number_format == "yyyy-mm-dd"
    assert attested["Evidence rows"].value == 1 and attested["Evidence rows"].data_type == "n"
    assert findings[0]["Attested until"].value is None and findings[0]["Attested until"].number_format == "yyyy-mm-dd"
    summary = dict(zip(SUMMARY_COLUMNS, next(book["summary"].iter_rows(min_row=2))))
    assert summary["MFA enforcement score"].number_format == "0.0" and summary["Coverage"].value == contoso.coverage


def test_a_value_shaped_like_xlsxwriters_own_markup_stays_text(tmp_path):
    # In constant_memory mode XlsxWriter copies a string that starts with <r> and ends with </r> into the
    # sheet unescaped: this one would add a formula cell beside it.
    injection = ('<r><t>x</t></r></is></c><c r="H2"><f>HYPERLINK("http://evil.example","click")</f></c>'
                 '<c r="I2" t="inlineStr"><is><r><t>y</t></r>')
    contoso = tenant("c-1", injection, {"MFA-1": "FAIL"})
    contoso.results[0].evidence = [{"displayName": injection, "other": "<r>plain</r>", "escape": "_x0041_"}]
    path = write_xlsx(audit("run-1", [contoso]), tmp_path)[0]
    book = openpyxl.load_workbook(path)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    evidence = {row[5]: row[6] for row in book["evidence"].iter_rows(min_row=2, values_only=True)}
    assert evidence["displayName"] == injection and evidence["other"] == "<r>plain</r>"
    assert book["summary"]["A2"].value == injection and book["evidence"].max_column == len(EVIDENCE_COLUMNS)
    # A literal "_x0041_" is stored escaped (_x005F_ is the underscore), so Excel shows it as typed, not "A".
    with zipfile.ZipFile(path) as archive:
        assert "_x005F_x0041_" in archive.read("xl/worksheets/sheet3.xml").decode("utf-8")


def test_a_cell_longer_than_excel_allows_is_cut_with_a_marker(tmp_path):
    contoso = tenant("c-1", "Contoso", {"MFA-1": "FAIL"})
    contoso.results[0].evidence = [{"plain": "x" * 40_000, "trojan": "\u200f" + "y" * 40_000,
                                    "emoji": "\U0001F600" * 20_000, "fits": "z" * MAX_CELL_CHARS,
                                    "surrogate": "Tail\ud800spin"}]
    book = openpyxl.load_workbook(write_xlsx(audit("run-1", [contoso]), tmp_path)[0])
    values = {row[5]: row[6] for row in book["evidence"].iter_rows(min_row=2, values_only=True)}
    for name in ("plain", "trojan", "emoji"):
        assert len(values[name].encode("utf-16-le")) // 2 <= MAX_CELL_CHARS, name
    assert values["plain"].endswith(TRUNCATED_MARKER) and values["plain"].startswith("x" * 30_000)
    assert len(values["plain"]) == MAX_CELL_CHARS
    # A bidirectional mark keeps the value in its isolate, closed after the marker even when cut.
    assert values["trojan"].startswith("\u2068\u200fyyy") and values["trojan"].endswith(TRUNCATED_MARKER + "\u2069")
    assert values["emoji"].endswith(TRUNCATED_MARKER) and len(values["emoji"]) > 16_000
    assert values["fits"] == "z" * MAX_CELL_CHARS
    assert values["surrogate"] == "Tail\ufffdspin"  # no XML file can hold a lone surrogate


def test_a_table_longer_than_a_sheet_continues_on_numbered_sheets(results, tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_export, "MAX_ROWS", 4)  # a header and three rows per sheet
    book = openpyxl.load_workbook(write_xlsx(results, tmp_path)[0])
    findings = sum(len(t.results) for t in results.tenants)
    fields = sum(len(row) for t in results.tenants for r in t.results for row in r.evidence)
    assert (findings, fields) == (5, 10)
    # Every table the same way, "about" too (its dozen rows never reach the real limit).
    assert book.sheetnames == ["summary", "findings", "findings (2)", "evidence", "evidence (2)", "evidence (3)",
                               "evidence (4)", "about", "about (2)", "about (3)", "about (4)"]
    evidence = []
    for name in ("evidence", "evidence (2)", "evidence (3)", "evidence (4)"):
        sheet = rows(book[name])
        assert sheet[0] == EVIDENCE_COLUMNS and book[name].freeze_panes == "A2"
        assert book[name].auto_filter.ref == f"A1:G{len(sheet)}"
        evidence += sheet[1:]
    assert [len(rows(book[name])) for name in book.sheetnames] == [3, 4, 3, 4, 4, 4, 2, 4, 4, 4, 2]
    expected = [(t.display_name, r.check_id, n, field) for t in results.tenants for r in t.results
                for n, row in enumerate(r.evidence, start=1) for field in row]
    assert [(row[0], row[2], row[4], row[5]) for row in evidence] == [
        (file_text(name), check, n, field) for name, check, n, field in expected]
    about = dict(row for name in book.sheetnames if name.startswith("about") for row in rows(book[name])[1:])
    assert about["evidence continues on"] == (
        "evidence (2), evidence (3), evidence (4) (Excel holds at most 4 rows per sheet)")
    assert about["findings continues on"].startswith("findings (2) ")


def test_a_failed_export_keeps_the_previous_file_and_leaves_no_temporary_file(results, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.xlsx").write_bytes(b"previous")
    rows_written = []

    def failing(self, *args):
        rows_written.append(args)
        if len(rows_written) > 5:  # rows are on disk by now: summary's and findings' row files exist
            raise RuntimeError("killed")
        return real(self, *args)

    real = xlsx_export._Table.append_cells
    monkeypatch.setattr(xlsx_export._Table, "append_cells", failing)
    with pytest.raises(RuntimeError, match="killed"):
        write_xlsx(results, out)
    assert (out / "results.xlsx").read_bytes() == b"previous"
    assert sorted(p.name for p in out.iterdir()) == ["results.xlsx"]
    assert list(scratch.iterdir()) == []  # XlsxWriter's row files went with their folder
    monkeypatch.setattr(xlsx_export._Table, "append_cells", real)
    write_xlsx(results, out)
    assert list(scratch.iterdir()) == []


# Remediation as check authors write it: lines wrapped mid-sentence, a blank line, numbered steps.
WRAPPED = ("Require multifactor authentication for every user. Without Entra ID P1, turn on security defaults\n"
           "(Microsoft Entra admin center > Identity > Overview).\n\n1. Create the policy\nfrom the template.\n"
           "2. Turn it on.")
ONE_LINE = ("Require multifactor authentication for every user. Without Entra ID P1, turn on security defaults "
            "(Microsoft Entra admin center > Identity > Overview). 1. Create the policy from the template. "
            "2. Turn it on.")


def test_remediation_is_one_line_and_lists_wrap_one_item_per_line(results, tmp_path):
    """A line break in a cell without wrapping shows as nothing in Excel ("defaults(Microsoft"): the
    author's wrapped lines are joined and steps numbered inline (CSV too); the list columns wrap."""
    import csv
    import io

    from auditor.outputs import results_csv

    finding = results.tenants[0].results[1]
    finding.remediation = WRAPPED
    finding.references = ["https://learn.microsoft.com/a", "https://learn.microsoft.com/b"]
    (path,) = write_xlsx(results, tmp_path)
    sheet = openpyxl.load_workbook(path)["findings"]
    row = dict(zip(FINDINGS_COLUMNS, rows(sheet)[2]))
    assert row["Check ID"] == "MFA-2"
    assert row["Remediation"] == ONE_LINE
    assert row["References"] == "https://learn.microsoft.com/a\nhttps://learn.microsoft.com/b"
    cells = {column: sheet.cell(row=3, column=n) for n, column in enumerate(FINDINGS_COLUMNS, start=1)}
    assert cells["References"].alignment.wrap_text and cells["Frameworks"].alignment.wrap_text
    assert not cells["Remediation"].alignment.wrap_text
    csv_row = next(r for r in csv.DictReader(io.StringIO(results_csv(results))) if r["check_id"] == "MFA-2")
    assert csv_row["remediation"] == ONE_LINE
    assert results.tenants[0].results[1].remediation == WRAPPED  # results.json keeps the text as written
